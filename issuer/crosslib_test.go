package issuer_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	gjwt "github.com/golang-jwt/jwt/v5"
	"github.com/quickjwt/quickjwt/issuer"
)

type crossKey struct {
	key       issuer.Key
	sign, ver any // what golang-jwt signs and verifies with
}

// crossKeys returns a key of every algorithm, with the key material
// golang-jwt needs to sign and verify with it.
func crossKeys(t *testing.T) []crossKey {
	t.Helper()
	var out []crossKey
	for _, alg := range []issuer.Algorithm{issuer.HS256, issuer.HS384, issuer.HS512} {
		secret := make([]byte, 64)
		copy(secret, fmt.Sprintf("secret for %s, long enough for any HMAC", alg))
		k, err := issuer.NewHMACKey("k-"+string(alg), alg, secret)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, crossKey{k, secret, secret})
	}
	rk := testRSAKey(t)
	ec256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ec384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	ec521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	for _, c := range []struct {
		alg  issuer.Algorithm
		priv crypto.Signer
	}{
		{issuer.RS256, rk}, {issuer.RS384, rk}, {issuer.RS512, rk},
		{issuer.PS256, rk}, {issuer.PS384, rk}, {issuer.PS512, rk},
		{issuer.ES256, ec256}, {issuer.ES384, ec384}, {issuer.ES512, ec521}, {issuer.EdDSA, ed},
	} {
		k, err := issuer.ParsePrivateKeyPEM("k-"+string(c.alg), c.alg, pkcs8(t, c.priv))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, crossKey{k, c.priv, c.priv.Public()})
	}
	return out
}

// Our tokens verify with golang-jwt, for every algorithm, with golang-jwt's
// strictest options.
func TestTokensVerifyWithGolangJWT(t *testing.T) {
	for _, ck := range crossKeys(t) {
		t.Run(string(ck.key.Algorithm()), func(t *testing.T) {
			iss := newIssuer(t, nil, issuer.Config{Keys: issuer.KeySet{Signing: ck.key}, Issuer: "https://auth.example", Audience: "api"})
			tokens, err := iss.CreateTokens(ctx, User{Sub: "u1"}, User{Sub: "u1"})
			if err != nil {
				t.Fatal(err)
			}
			for typ, tok := range map[string]string{"at+jwt": tokens.Access, "rt+jwt": tokens.Refresh} {
				var claims gjwt.MapClaims
				parsed, err := gjwt.ParseWithClaims(tok, &claims, func(tk *gjwt.Token) (any, error) {
					if tk.Header["kid"] != ck.key.ID() || tk.Header["typ"] != typ {
						return nil, fmt.Errorf("header %v", tk.Header)
					}
					return ck.ver, nil
				}, gjwt.WithValidMethods([]string{string(ck.key.Algorithm())}), gjwt.WithIssuer("https://auth.example"),
					gjwt.WithAudience("api"), gjwt.WithExpirationRequired(), gjwt.WithIssuedAt(), gjwt.WithSubject("u1"),
					gjwt.WithTimeFunc(func() time.Time { return t0 }))
				if err != nil || !parsed.Valid {
					t.Fatalf("golang-jwt refuses our %s token: %v", typ, err)
				}
			}
		})
	}
}

// Tokens made by golang-jwt with our key, header and claims pass our checks.
func TestGolangJWTTokensCheck(t *testing.T) {
	for _, ck := range crossKeys(t) {
		t.Run(string(ck.key.Algorithm()), func(t *testing.T) {
			iss := newIssuer(t, nil, issuer.Config{Keys: issuer.KeySet{Signing: ck.key}, Issuer: "https://auth.example", Audience: "api"})
			mint := func(typ string) string {
				tk := gjwt.NewWithClaims(gjwt.GetSigningMethod(string(ck.key.Algorithm())), gjwt.MapClaims{
					"iss": "https://auth.example", "aud": []string{"api", "other"}, "sub": "u2",
					"iat": t0.Unix(), "nbf": t0.Unix(), "exp": t0.Add(time.Minute).Unix(), "jti": "golang-jwt-" + typ,
				})
				tk.Header["kid"], tk.Header["typ"] = ck.key.ID(), typ
				s, err := tk.SignedString(ck.sign)
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
			a, cl, err := iss.CheckAccessClaims(ctx, mint("at+jwt"))
			if err != nil || a.Sub != "u2" || cl.ID != "golang-jwt-at+jwt" || len(cl.Audience) != 2 {
				t.Fatalf("access: %+v %+v %v", a, cl, err)
			}
			if r, err := iss.CheckRefresh(ctx, mint("rt+jwt")); err != nil || r.Sub != "u2" {
				t.Fatalf("refresh: %+v %v", r, err)
			}
			if _, err := iss.CheckAccess(ctx, mint("JWT")); err == nil {
				t.Fatal("golang-jwt's default typ JWT passed an access check")
			}
		})
	}
}
