package issuer_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/quickjwt/quickjwt/issuer"
)

var (
	rsaOnce sync.Once
	rsaKey  *rsa.PrivateKey
)

// testRSAKey is one 2048-bit key shared by the tests: generating is slow.
func testRSAKey(t testing.TB) *rsa.PrivateKey {
	rsaOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return rsaKey
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func pkcs8(t testing.TB, k any) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pemBlock("PRIVATE KEY", der)
}

func pkix(t testing.TB, k any) []byte {
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pemBlock("PUBLIC KEY", der)
}

func TestHMACKeyStrength(t *testing.T) {
	for _, tc := range []struct {
		alg  issuer.Algorithm
		size int
	}{{issuer.HS256, 32}, {issuer.HS384, 48}, {issuer.HS512, 64}} {
		t.Run(string(tc.alg), func(t *testing.T) {
			short, err := issuer.NewHMACKey("k", tc.alg, make([]byte, tc.size-1))
			if err != nil {
				t.Fatal(err)
			}
			_, err = issuer.New[User, User](issuer.Config{Keys: issuer.KeySet{Signing: short}})
			if !errors.Is(err, issuer.ErrWeakKey) || !strings.Contains(err.Error(), fmt.Sprint(tc.size)) {
				t.Fatalf("short key: %v, want ErrWeakKey naming %d bytes", err, tc.size)
			}
			iss, err := issuer.New[User, User](issuer.Config{Keys: issuer.KeySet{Signing: short}, AllowWeakKeys: true})
			if err != nil {
				t.Fatalf("short key with AllowWeakKeys: %v", err)
			}
			iss.Close()
			full, _ := issuer.NewHMACKey("k", tc.alg, make([]byte, tc.size))
			iss, err = issuer.New[User, User](issuer.Config{Keys: issuer.KeySet{Signing: full}})
			if err != nil {
				t.Fatalf("key of %d bytes: %v", tc.size, err)
			}
			iss.Close()
		})
	}
	// quick_jwt's own tests sign with "" and " ".
	if _, err := issuer.NewHMACKey("k", issuer.HS256, nil); !errors.Is(err, issuer.ErrInvalidKey) {
		t.Errorf("empty key: %v", err)
	}
	space, _ := issuer.NewHMACKey("k", issuer.HS256, []byte(" "))
	if _, err := issuer.New[User, User](issuer.Config{Keys: issuer.KeySet{Signing: space}}); !errors.Is(err, issuer.ErrWeakKey) {
		t.Errorf("one-space key: %v", err)
	}
	// A weak verify-only key is refused too.
	_, err := issuer.New[User, User](issuer.Config{Keys: issuer.KeySet{Signing: mustHMAC(t, "k1", secret32), Verify: []issuer.Key{space}}})
	if !errors.Is(err, issuer.ErrWeakKey) {
		t.Errorf("weak verify-only key: %v", err)
	}
	if _, err := issuer.NewHMACKey("k", issuer.RS256, secret32); !errors.Is(err, issuer.ErrInvalidKey) {
		t.Errorf("HMAC secret for RS256: %v", err)
	}
	if _, err := issuer.NewHMACKey("", issuer.HS256, secret32); !errors.Is(err, issuer.ErrInvalidKey) {
		t.Errorf("empty kid: %v", err)
	}
}

func TestHMACKeyFromEnvAndFile(t *testing.T) {
	t.Setenv("QJWT_TEST_SECRET", string(secret32))
	fromEnv, err := issuer.HMACKeyFromEnv("k1", issuer.HS256, "QJWT_TEST_SECRET")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, append(secret32, "\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	fromFile, err := issuer.HMACKeyFromFile("k1", issuer.HS256, path)
	if err != nil {
		t.Fatal(err)
	}
	// Both sign exactly as the literal secret does (the file's newline is not part of it).
	want := newIssuer(t, nil, issuer.Config{Keys: issuer.KeySet{Signing: mustHMAC(t, "k1", secret32)}})
	tok, _ := want.CreateAccessToken(ctx, User{Sub: "s"})
	for name, k := range map[string]issuer.Key{"env": fromEnv, "file": fromFile} {
		iss := newIssuer(t, nil, issuer.Config{Keys: issuer.KeySet{Signing: k}})
		if _, err := iss.CheckAccess(ctx, tok); err != nil {
			t.Errorf("key from %s: %v", name, err)
		}
	}

	t.Setenv("QJWT_TEST_EMPTY", "")
	for _, name := range []string{"QJWT_TEST_UNSET_VARIABLE", "QJWT_TEST_EMPTY"} {
		_, err := issuer.HMACKeyFromEnv("k1", issuer.HS256, name)
		if !errors.Is(err, issuer.ErrInvalidKey) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v, want ErrInvalidKey naming the variable", name, err)
		}
	}
	if _, err := issuer.HMACKeyFromFile("k1", issuer.HS256, filepath.Join(t.TempDir(), "missing")); !errors.Is(err, issuer.ErrInvalidKey) {
		t.Errorf("missing file: %v", err)
	}
	empty := filepath.Join(t.TempDir(), "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	if _, err := issuer.HMACKeyFromFile("k1", issuer.HS256, empty); !errors.Is(err, issuer.ErrInvalidKey) {
		t.Errorf("file holding only a newline: %v", err)
	}
}

func TestParsePEM(t *testing.T) {
	rk := testRSAKey(t)
	ec256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ec384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	ec521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	sec1 := func(k *ecdsa.PrivateKey) []byte {
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return pemBlock("EC PRIVATE KEY", der)
	}
	tests := []struct {
		name string
		alg  issuer.Algorithm
		priv []byte
		pub  []byte
	}{
		{"RS256 PKCS#1", issuer.RS256, pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rk)), pemBlock("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&rk.PublicKey))},
		{"RS384 PKCS#8", issuer.RS384, pkcs8(t, rk), pkix(t, &rk.PublicKey)},
		{"RS512 PKCS#8", issuer.RS512, pkcs8(t, rk), pkix(t, &rk.PublicKey)},
		{"PS256 PKCS#1", issuer.PS256, pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rk)), pkix(t, &rk.PublicKey)},
		{"PS384 PKCS#8", issuer.PS384, pkcs8(t, rk), pkix(t, &rk.PublicKey)},
		{"PS512 PKCS#8", issuer.PS512, pkcs8(t, rk), pkix(t, &rk.PublicKey)},
		{"ES256 SEC1", issuer.ES256, sec1(ec256), pkix(t, &ec256.PublicKey)},
		{"ES384 PKCS#8", issuer.ES384, pkcs8(t, ec384), pkix(t, &ec384.PublicKey)},
		{"ES512 SEC1", issuer.ES512, sec1(ec521), pkix(t, &ec521.PublicKey)},
		{"EdDSA PKCS#8", issuer.EdDSA, pkcs8(t, ed), pkix(t, ed.Public())},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			priv, err := issuer.ParsePrivateKeyPEM("signer", tt.alg, tt.priv)
			if err != nil {
				t.Fatal(err)
			}
			pub, err := issuer.ParsePublicKeyPEM("signer", tt.alg, tt.pub)
			if err != nil {
				t.Fatal(err)
			}
			if pub.CanSign() || !priv.CanSign() {
				t.Fatalf("CanSign: private %v, public %v", priv.CanSign(), pub.CanSign())
			}
			signer := newIssuer(t, nil, issuer.Config{Keys: issuer.KeySet{Signing: priv}})
			tok, err := signer.CreateAccessToken(ctx, User{Sub: "s"})
			if err != nil {
				t.Fatal(err)
			}
			// A service holding only the public key checks it.
			verifier := newIssuer(t, nil, issuer.Config{Keys: issuer.KeySet{
				Signing: mustHMAC(t, "local", secret32), Verify: []issuer.Key{pub}}})
			if u, err := verifier.CheckAccess(ctx, tok); err != nil || u.Sub != "s" {
				t.Fatalf("verify with public key: %+v, %v", u, err)
			}
		})
	}
}

func TestParsePEMRefuses(t *testing.T) {
	rk := testRSAKey(t)
	ec256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	tests := []struct {
		name string
		alg  issuer.Algorithm
		pem  []byte
		want string
	}{
		{"not PEM", issuer.RS256, []byte("hello"), "no PEM block"},
		{"public key as private", issuer.RS256, pkix(t, &rk.PublicKey), "not a private key"},
		{"RSA key for ES256", issuer.ES256, pkcs8(t, rk), "RSA key cannot be used"},
		{"EC key for RS256", issuer.RS256, pkcs8(t, ec256), "ECDSA key cannot be used"},
		{"P-256 key for ES384", issuer.ES384, pkcs8(t, ec256), "needs curve P-384"},
		{"garbage DER", issuer.RS256, pemBlock("PRIVATE KEY", []byte{1, 2, 3}), "parsing PRIVATE KEY"},
		{"unknown algorithm", "XX256", pkcs8(t, rk), "cannot be used"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := issuer.ParsePrivateKeyPEM("k", tt.alg, tt.pem)
			if !errors.Is(err, issuer.ErrInvalidKey) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrInvalidKey with %q", err, tt.want)
			}
		})
	}
	weak, err := issuer.ParsePrivateKeyPEM("k", issuer.RS256, pkcs8(t, small))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := issuer.New[User, User](issuer.Config{Keys: issuer.KeySet{Signing: weak}}); !errors.Is(err, issuer.ErrWeakKey) {
		t.Fatalf("1024-bit RSA: %v, want ErrWeakKey", err)
	}
	pubOnly, _ := issuer.ParsePublicKeyPEM("k", issuer.RS256, pkix(t, &rk.PublicKey))
	if _, err := issuer.New[User, User](issuer.Config{Keys: issuer.KeySet{Signing: pubOnly}}); !errors.Is(err, issuer.ErrInvalidKey) {
		t.Fatalf("public key as signing key: %v", err)
	}
}

func TestKeyNeverPrintsSecret(t *testing.T) {
	k := mustHMAC(t, "k1", secret32)
	ed := mustGen(t, "k2", issuer.EdDSA)
	pemBytes, err := ed.MarshalPEM()
	if err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	log := slog.New(slog.NewJSONHandler(&logged, nil))
	log.Info("key", "key", k, "ed", ed)
	cfg := issuer.Config{Keys: issuer.KeySet{Signing: k}}
	for _, s := range []string{
		fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s %x %q %d", k, k, k, k, k, k, k),
		fmt.Sprintf("%+v %#v", cfg, cfg), fmt.Sprintf("%#v", ed), logged.String(),
	} {
		if strings.Contains(s, string(secret32)) || strings.Contains(s, fmt.Sprintf("%x", secret32)) ||
			strings.Contains(s, "48, 49, 50") || strings.Contains(s, "[48 49 50") {
			t.Errorf("secret printed: %s", s)
		}
		if strings.Contains(s, string(pemBytes[30:60])) {
			t.Errorf("private key printed: %s", s)
		}
	}
	if got := fmt.Sprint(k); got != `Key{kid="k1" alg=HS256 [redacted]}` {
		t.Errorf("String() = %s", got)
	}
}

func TestJWKS(t *testing.T) {
	rk := testRSAKey(t)
	rsaKey, _ := issuer.ParsePrivateKeyPEM("rsa", issuer.RS256, pkcs8(t, rk))
	ecKey := mustGen(t, "ec", issuer.ES256)
	edKey := mustGen(t, "ed", issuer.EdDSA)
	ks := issuer.KeySet{Signing: edKey, Verify: []issuer.Key{mustHMAC(t, "hmac", secret32), rsaKey, ecKey}}
	doc, err := ks.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(doc), `"hmac"`) || strings.Contains(string(doc), `"oct"`) ||
		strings.Contains(string(doc), base64.RawURLEncoding.EncodeToString(secret32)) {
		t.Fatalf("HMAC key in JWKS: %s", doc)
	}
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(doc, &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 3 || set.Keys[0]["kid"] != "ed" || set.Keys[1]["kid"] != "rsa" || set.Keys[2]["kid"] != "ec" {
		t.Fatalf("keys = %v", set.Keys)
	}
	for _, jwk := range set.Keys {
		if jwk["use"] != "sig" || jwk["d"] != "" {
			t.Errorf("jwk %v: want use sig and no private part", jwk)
		}
	}
	// Rebuild each public key from its JWK, and verify a token with it using
	// only the standard library: the JWKS is what a resource server needs.
	for _, tc := range []struct {
		key issuer.Key
		jwk map[string]string
	}{{edKey, set.Keys[0]}, {rsaKey, set.Keys[1]}, {ecKey, set.Keys[2]}} {
		iss := newIssuer(t, nil, issuer.Config{Keys: issuer.KeySet{Signing: tc.key}})
		tok, err := iss.CreateAccessToken(ctx, User{Sub: "s"})
		if err != nil {
			t.Fatal(err)
		}
		if !verifyWithJWK(t, tc.jwk, tok) {
			t.Errorf("%s: token does not verify with its JWK %v", tc.key, tc.jwk)
		}
		if iss.JWKS() == "" || !strings.Contains(iss.JWKS(), tc.jwk["kid"]) {
			t.Errorf("Issuer.JWKS() = %s", iss.JWKS())
		}
	}
	hmacOnly, _ := issuer.KeySet{Signing: mustHMAC(t, "k1", secret32)}.JWKS()
	if string(hmacOnly) != `{"keys":[]}` {
		t.Errorf("HMAC-only JWKS = %s", hmacOnly)
	}
}

func verifyWithJWK(t *testing.T, jwk map[string]string, tok string) bool {
	t.Helper()
	dec := func(s string) []byte {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("JWK field %q: %v", s, err)
		}
		return b
	}
	i := strings.LastIndexByte(tok, '.')
	input, sig := []byte(tok[:i]), dec(tok[i+1:])
	digest := sha256.Sum256(input)
	switch jwk["kty"] {
	case "OKP":
		return jwk["crv"] == "Ed25519" && ed25519.Verify(ed25519.PublicKey(dec(jwk["x"])), input, sig)
	case "RSA":
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(dec(jwk["n"])), E: int(new(big.Int).SetBytes(dec(jwk["e"])).Int64())}
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig) == nil
	case "EC":
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, dec(jwk["x"])...), dec(jwk["y"])...))
		if err != nil || jwk["crv"] != "P-256" {
			t.Fatalf("EC JWK: %v", err)
		}
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		return ecdsa.Verify(pub, digest[:], r, s)
	}
	return false
}

func TestKeyRotation(t *testing.T) {
	oldKey, newKey := mustHMAC(t, "old", secret32), mustGen(t, "new", issuer.ES256)
	iss := newIssuer(t, nil, issuer.Config{Keys: issuer.KeySet{Signing: oldKey}})
	before, err := iss.CreateAccessToken(ctx, User{Sub: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if err := iss.SetKeys(issuer.KeySet{Signing: newKey, Verify: []issuer.Key{oldKey}}); err != nil {
		t.Fatal(err)
	}
	after, err := iss.CreateAccessToken(ctx, User{Sub: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if h := decodeSeg(t, after, 0); h["kid"] != "new" || h["alg"] != "ES256" {
		t.Fatalf("token after rotation has header %v", h)
	}
	for name, tok := range map[string]string{"before": before, "after": after} {
		if _, err := iss.CheckAccess(ctx, tok); err != nil {
			t.Errorf("token from %s the rotation: %v", name, err)
		}
	}
	if !strings.Contains(iss.JWKS(), `"new"`) {
		t.Errorf("JWKS after rotation: %s", iss.JWKS())
	}
	// Retire the old key.
	if err := iss.SetKeys(issuer.KeySet{Signing: newKey}); err != nil {
		t.Fatal(err)
	}
	if _, err := iss.CheckAccess(ctx, before); !errors.Is(err, issuer.ErrUnknownKey) {
		t.Errorf("token of a retired key: %v, want ErrUnknownKey", err)
	}
	// A bad set is refused and the current one stays.
	weak, _ := issuer.NewHMACKey("weak", issuer.HS256, []byte("short"))
	if err := iss.SetKeys(issuer.KeySet{Signing: weak}); !errors.Is(err, issuer.ErrWeakKey) {
		t.Errorf("SetKeys with a weak key: %v", err)
	}
	if err := iss.SetKeys(issuer.KeySet{Signing: newKey, Verify: []issuer.Key{mustHMAC(t, "new", secret32)}}); !errors.Is(err, issuer.ErrInvalidKey) {
		t.Errorf("SetKeys with a kid used twice: %v", err)
	}
	if iss.Keys().Signing.ID() != "new" {
		t.Errorf("current signing key = %v", iss.Keys().Signing)
	}
	if _, err := iss.CheckAccess(ctx, after); err != nil {
		t.Errorf("after refused SetKeys: %v", err)
	}
}
