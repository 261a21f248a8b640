package bench

import (
	"context"
	"testing"
	"time"

	gjwt "github.com/golang-jwt/jwt/v5"
	"github.com/quickjwt/quickjwt/issuer"
)

// sizedImpl is quickjwt or golang-jwt with scope set to pad, for the payload
// size benchmarks.
func sizedImpl(tb testing.TB, name, pad string) (Signer, Checker) {
	switch name {
	case "quickjwt":
		cfg, _ := QuickJWTConfig("HS256", keys)
		iss, err := issuer.New[QAccess, QRefresh](cfg)
		if err != nil {
			tb.Fatal(err)
		}
		ctx := context.Background()
		return func() (string, string, error) {
				t, err := iss.CreateTokens(ctx, QAccess{Sub: Sub, Scope: pad}, QRefresh{Sub: Sub})
				return t.Access, t.Refresh, err
			}, func(tok string) (string, error) {
				a, err := iss.CheckAccess(ctx, tok)
				return a.Sub, err
			}
	}
	parser := gjwt.NewParser(gjwt.WithValidMethods([]string{"HS256"}), gjwt.WithIssuer(Iss), gjwt.WithAudience(Aud), gjwt.WithExpirationRequired())
	return func() (string, string, error) {
			now := time.Now()
			at := gjwt.NewWithClaims(gjwt.SigningMethodHS256, gjAccess{RegisteredClaims: gjwt.RegisteredClaims{
				Issuer: Iss, Subject: Sub, Audience: gjwt.ClaimStrings{Aud}, IssuedAt: gjwt.NewNumericDate(now),
				NotBefore: gjwt.NewNumericDate(now), ExpiresAt: gjwt.NewNumericDate(now.Add(AccessTTL)), ID: newJTI(),
			}, Scope: pad})
			at.Header["typ"] = "at+jwt"
			a, err := at.SignedString(keys.HMAC)
			if err != nil {
				return "", "", err
			}
			rt := gjwt.NewWithClaims(gjwt.SigningMethodHS256, gjwt.RegisteredClaims{Issuer: Iss, Subject: Sub,
				IssuedAt: gjwt.NewNumericDate(now), ExpiresAt: gjwt.NewNumericDate(now.Add(RefreshTTL)), ID: newJTI()})
			rt.Header["typ"] = "rt+jwt"
			r, err := rt.SignedString(keys.HMAC)
			return a, r, err
		}, func(tok string) (string, error) {
			var c gjAccess
			_, err := parser.ParseWithClaims(tok, &c, func(t *gjwt.Token) (any, error) { return keys.HMAC, nil })
			return c.Subject, err
		}
}
