package issuer_test

import (
	"crypto/hmac"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/quickjwt/quickjwt/issuer"
	"github.com/quickjwt/quickjwt/issuer/storetest"
)

// nonCanonical re-encodes s so that its last character carries non-zero
// padding bits: a different string that the lax decoder maps to the same
// bytes.
func nonCanonical(t *testing.T, s string) string {
	enc := b64(s)
	if len(enc)%4 == 0 {
		t.Fatalf("%q encodes without spare bits", s)
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, enc[len(enc)-1])
	return enc[:len(enc)-1] + string(alphabet[last|1])
}

// padded encodes claims with '=' padding, adding white space until it needs
// some.
func padded(claims string) string {
	for len(claims)%3 == 0 {
		claims += " "
	}
	return base64.URLEncoding.EncodeToString([]byte(claims))
}

const validHdr = `{"alg":"HS256","kid":"k1","typ":"at+jwt"}`

func TestCheckRejects(t *testing.T) {
	clk := newClock()
	iss := newIssuer(t, clk, issuer.Config{Issuer: "me", Audience: "api"})
	now := t0.Unix()
	claims := func(extra string) string {
		c := fmt.Sprintf(`{"iss":"me","aud":"api","iat":%d,"nbf":%d,"exp":%d,"jti":"j1","fam":"f1","sub":"s"`, now, now, now+60)
		return c + extra + "}"
	}
	// claimsWith replaces one registered claim's "key":value.
	claimsWith := func(old, repl string) string {
		c := claims("")
		if !strings.Contains(c, old) {
			t.Fatalf("%s not in %s", old, c)
		}
		return strings.Replace(c, old, repl, 1)
	}
	sign := func(h, c string) string { return forgeHS256(h, c, secret32) }
	valid := sign(validHdr, claims(""))
	hs384 := func(h, c string) string {
		in := b64(h) + "." + b64(c)
		m := hmac.New(sha512.New384, secret32)
		m.Write([]byte(in))
		return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	}
	otherKey := []byte("another secret key of 32+ bytes!")
	deep := `{"sub":"s","iat":1,"exp":1,"jti":"j","x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + "}"

	tests := []struct {
		name  string
		token string
		want  error // nil: accepted
	}{
		{"valid", valid, nil},
		{"valid, header in another order", sign(`{"typ":"at+jwt","kid":"k1","alg":"HS256"}`, claims("")), nil},
		{"valid, typ with application/ and upper case", sign(`{"alg":"HS256","kid":"k1","typ":"application/AT+JWT"}`, claims("")), nil},
		{"valid, aud array containing ours", sign(validHdr, claimsWith(`"aud":"api"`, `"aud":["web","api"]`)), nil},
		{"valid, fractional exp", sign(validHdr, claimsWith(fmt.Sprintf(`"exp":%d`, now+60), fmt.Sprintf(`"exp":%d.5`, now))), nil},
		{"valid, unknown harmless header", sign(`{"alg":"HS256","kid":"k1","typ":"at+jwt","cty":"x"}`, claims("")), nil},

		{"alg none", b64(`{"alg":"none","kid":"k1","typ":"at+jwt"}`) + "." + b64(claims("")) + ".", issuer.ErrAlgNone},
		{"alg None signed", sign(`{"alg":"None","kid":"k1","typ":"at+jwt"}`, claims("")), issuer.ErrAlgNone},
		{"alg NONE", b64(`{"alg":"NONE","typ":"at+jwt"}`) + "." + b64(claims("")) + ".", issuer.ErrAlgNone},
		{"alg nOnE", b64(`{"alg":"nOnE","kid":"k1"}`) + "." + b64(claims("")) + ".", issuer.ErrAlgNone},
		{"alg HS384 on an HS256 key", hs384(`{"alg":"HS384","kid":"k1","typ":"at+jwt"}`, claims("")), issuer.ErrAlgMismatch},
		{"alg RS256 on an HMAC key", sign(`{"alg":"RS256","kid":"k1","typ":"at+jwt"}`, claims("")), issuer.ErrAlgMismatch},
		{"alg missing", sign(`{"kid":"k1","typ":"at+jwt"}`, claims("")), issuer.ErrMalformed},
		{"alg not a string", sign(`{"alg":1,"kid":"k1","typ":"at+jwt"}`, claims("")), issuer.ErrMalformed},
		{"unknown kid", sign(`{"alg":"HS256","kid":"k9","typ":"at+jwt"}`, claims("")), issuer.ErrUnknownKey},
		{"no kid", sign(`{"alg":"HS256","typ":"at+jwt"}`, claims("")), issuer.ErrUnknownKey},

		{"signature by another key", forgeHS256(validHdr, claims(""), otherKey), issuer.ErrSignature},
		{"empty signature", b64(validHdr) + "." + b64(claims("")) + ".", issuer.ErrSignature},
		{"short signature", valid[:len(valid)-3], issuer.ErrSignature},
		{"signature of other claims", b64(validHdr) + "." + b64(claims(`,"x":1`)) + valid[strings.LastIndexByte(valid, '.'):], issuer.ErrSignature},
		{"expired and forged", forgeHS256(validHdr, claimsWith(fmt.Sprintf(`"exp":%d`, now+60), `"exp":1`), otherKey), issuer.ErrSignature},
		{"wrong type and forged", forgeHS256(`{"alg":"HS256","kid":"k1","typ":"rt+jwt"}`, claims(""), otherKey), issuer.ErrSignature},

		{"jwk header", sign(`{"alg":"HS256","kid":"k1","typ":"at+jwt","jwk":{"kty":"oct","k":"AA"}}`, claims("")), issuer.ErrUnsupportedHeader},
		{"jku header", sign(`{"alg":"HS256","kid":"k1","typ":"at+jwt","jku":"https://evil.example/jwks"}`, claims("")), issuer.ErrUnsupportedHeader},
		{"x5u header", sign(`{"alg":"HS256","kid":"k1","typ":"at+jwt","x5u":"https://evil.example/cert"}`, claims("")), issuer.ErrUnsupportedHeader},
		{"x5c header", sign(`{"alg":"HS256","kid":"k1","typ":"at+jwt","x5c":["MIIB"]}`, claims("")), issuer.ErrUnsupportedHeader},
		{"crit header", sign(`{"alg":"HS256","kid":"k1","typ":"at+jwt","crit":["exp"],"exp":1}`, claims("")), issuer.ErrUnsupportedHeader},

		{"empty", "", issuer.ErrMalformed},
		{"one part", "eyJhbGciOiJIUzI1NiJ9", issuer.ErrMalformed},
		{"two parts", b64(validHdr) + "." + b64(claims("")), issuer.ErrMalformed},
		{"four parts", valid + ".AAAA", issuer.ErrMalformed},
		{"bad base64 in header", "eyJ!!!." + b64(claims("")) + ".AAAA", issuer.ErrMalformed},
		{"padded base64", signSegs(b64(validHdr), padded(claims("")), secret32), issuer.ErrMalformed},
		{"standard base64 alphabet", signSegs(b64(validHdr), strings.NewReplacer("-", "+", "_", "/").Replace(b64(claims(`,"x":"??>>??~~"`))), secret32), issuer.ErrMalformed},
		{"non-canonical base64 in claims", signSegs(b64(validHdr), nonCanonical(t, claims("")), secret32), issuer.ErrMalformed},
		{"non-canonical base64 in signature", valid[:strings.LastIndexByte(valid, '.')+1] + nonCanonical(t, "\x01"), issuer.ErrMalformed},
		{"line break in claims", signSegs(b64(validHdr), b64(claims(""))[:10]+"\n"+b64(claims(""))[10:], secret32), issuer.ErrMalformed},
		{"header is an array", sign(`["HS256"]`, claims("")), issuer.ErrMalformed},
		{"header is not JSON", sign(`alg=HS256`, claims("")), issuer.ErrMalformed},
		{"claims are an array", sign(validHdr, `[1,2]`), issuer.ErrMalformed},
		{"claims are null", sign(validHdr, `null`), issuer.ErrMalformed},
		{"claims are a string", sign(validHdr, `"sub"`), issuer.ErrMalformed},
		{"claims not closed", sign(validHdr, strings.TrimSuffix(claims(""), "}")), issuer.ErrMalformed},
		{"garbage after claims", sign(validHdr, claims("")+"x"), issuer.ErrMalformed},
		{"two objects", sign(validHdr, claims("")+"{}"), issuer.ErrMalformed},
		{"duplicate key in header", sign(`{"alg":"HS256","kid":"k1","kid":"k1","typ":"at+jwt"}`, claims("")), issuer.ErrMalformed},
		{"duplicate alg hiding none", sign(`{"alg":"HS256","kid":"k1","typ":"at+jwt","alg":"none"}`, claims("")), issuer.ErrMalformed},
		{"duplicate key in claims", sign(validHdr, claims(`,"sub":"admin"`)), issuer.ErrMalformed},
		{"duplicate exp in claims", sign(validHdr, claims(`,"exp":99999999999`)), issuer.ErrMalformed},
		{"duplicate key through an escape", sign(validHdr, claims(`,"s\u0075b":"admin"`)), issuer.ErrMalformed},
		{"duplicate exp through an escape", sign(validHdr, claims(`,"\u0065xp":99999999999`)), issuer.ErrMalformed},
		{"duplicate payload key", sign(validHdr, claims(`,"role":"user","role":"admin"`)), issuer.ErrMalformed},
		{"duplicate payload key through an escape", sign(validHdr, claims(`,"role":"user","r\u006fle":"admin"`)), issuer.ErrMalformed},
		{"duplicate key, nested", sign(validHdr, claims(`,"x":{"a":1,"b":2,"a":3}`)), issuer.ErrMalformed},
		{"duplicate key, nested in array", sign(validHdr, claims(`,"x":[{"a":1},{"a":1,"a":2}]`)), issuer.ErrMalformed},
		{"invalid UTF-8", sign(validHdr, claims(",\"x\":\"\xff\"")), issuer.ErrMalformed},
		{"raw control character", sign(validHdr, claims(",\"x\":\"a\x01\"")), issuer.ErrMalformed},
		{"bad escape", sign(validHdr, claims(`,"x":"\q"`)), issuer.ErrMalformed},
		{"bad number", sign(validHdr, claims(`,"x":01`)), issuer.ErrMalformed},
		{"too deep", sign(validHdr, deep), issuer.ErrMalformed},

		{"expired", sign(validHdr, claimsWith(fmt.Sprintf(`"exp":%d`, now+60), fmt.Sprintf(`"exp":%d`, now-1))), issuer.ErrExpired},
		{"expires this second", sign(validHdr, claimsWith(fmt.Sprintf(`"exp":%d`, now+60), fmt.Sprintf(`"exp":%d`, now))), issuer.ErrExpired},
		{"nbf in the future", sign(validHdr, claimsWith(fmt.Sprintf(`"nbf":%d`, now), fmt.Sprintf(`"nbf":%d`, now+10))), issuer.ErrNotYetValid},
		{"iat in the future", sign(validHdr, claimsWith(fmt.Sprintf(`"iat":%d`, now), fmt.Sprintf(`"iat":%d`, now+10))), issuer.ErrNotYetValid},

		{"wrong iss", sign(validHdr, claimsWith(`"iss":"me"`, `"iss":"you"`)), issuer.ErrIssuer},
		{"iss differs in case", sign(validHdr, claimsWith(`"iss":"me"`, `"iss":"Me"`)), issuer.ErrIssuer},
		{"missing iss", sign(validHdr, claimsWith(`"iss":"me",`, ``)), issuer.ErrIssuer},
		{"wrong aud", sign(validHdr, claimsWith(`"aud":"api"`, `"aud":"web"`)), issuer.ErrAudience},
		{"aud array without ours", sign(validHdr, claimsWith(`"aud":"api"`, `"aud":["web","apix"]`)), issuer.ErrAudience},
		{"empty aud array", sign(validHdr, claimsWith(`"aud":"api"`, `"aud":[]`)), issuer.ErrAudience},
		{"missing aud", sign(validHdr, claimsWith(`"aud":"api",`, ``)), issuer.ErrAudience},
		{"aud of wrong type", sign(validHdr, claimsWith(`"aud":"api"`, `"aud":7`)), issuer.ErrMissingClaim},

		{"refresh type", sign(`{"alg":"HS256","kid":"k1","typ":"rt+jwt"}`, claims("")), issuer.ErrTokenType},
		{"untyped JWT", sign(`{"alg":"HS256","kid":"k1","typ":"JWT"}`, claims("")), issuer.ErrTokenType},
		{"no typ", sign(`{"alg":"HS256","kid":"k1"}`, claims("")), issuer.ErrTokenType},
		{"unknown typ", sign(`{"alg":"HS256","kid":"k1","typ":"id+jwt"}`, claims("")), issuer.ErrTokenType},

		{"missing exp", sign(validHdr, claimsWith(fmt.Sprintf(`"exp":%d,`, now+60), ``)), issuer.ErrMissingClaim},
		{"missing iat", sign(validHdr, claimsWith(fmt.Sprintf(`"iat":%d,`, now), ``)), issuer.ErrMissingClaim},
		{"missing jti", sign(validHdr, claimsWith(`"jti":"j1",`, ``)), issuer.ErrMissingClaim},
		{"exp as a string", sign(validHdr, claimsWith(fmt.Sprintf(`"exp":%d`, now+60), fmt.Sprintf(`"exp":"%d"`, now+60))), issuer.ErrMissingClaim},
		{"jti as a number", sign(validHdr, claimsWith(`"jti":"j1"`, `"jti":1`)), issuer.ErrMissingClaim},

		{"revoked jti", sign(validHdr, claimsWith(`"jti":"j1"`, `"jti":"revoked-jti"`)), issuer.ErrRevoked},
		{"revoked family", sign(validHdr, claimsWith(`"fam":"f1"`, `"fam":"revoked-fam"`)), issuer.ErrRevoked},

		{"too large garbage", strings.Repeat("A", 8193), issuer.ErrTooLarge},
		{"too large, well signed", sign(validHdr, claims(`,"pad":"`+strings.Repeat("x", 8192)+`"`)), issuer.ErrTooLarge},
	}
	if err := iss.Store().Revoke(ctx, issuer.Revocation{ID: "revoked-jti", Until: t0.Add(time.Hour)},
		issuer.Revocation{ID: "revoked-fam", Until: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	secretB64 := base64.RawURLEncoding.EncodeToString(secret32)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := iss.CheckAccess(ctx, tt.token)
			if tt.want == nil {
				if err != nil || u.Sub != "s" {
					t.Fatalf("CheckAccess = %+v, %v; want it accepted", u, err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !errors.Is(err, issuer.ErrInvalidToken) {
				t.Errorf("%v does not match ErrInvalidToken", err)
			}
			if msg := err.Error(); strings.Contains(msg, string(secret32)) || strings.Contains(msg, secretB64) {
				t.Errorf("error message %q contains the secret", msg)
			}
		})
	}
}

func TestLeeway(t *testing.T) {
	clk := newClock()
	iss := newIssuer(t, clk, issuer.Config{Leeway: 30 * time.Second})
	tok, err := iss.CreateAccessToken(ctx, User{Sub: "s"})
	if err != nil {
		t.Fatal(err)
	}
	// Made by a host whose clock runs 20 s ahead of ours.
	ahead := forgeHS256(validHdr, fmt.Sprintf(`{"iat":%d,"nbf":%d,"exp":%d,"jti":"j","sub":"s"}`, t0.Unix()+20, t0.Unix()+20, t0.Unix()+600), secret32)
	if _, err := iss.CheckAccess(ctx, ahead); err != nil {
		t.Errorf("token 20 s ahead within 30 s leeway: %v", err)
	}
	clk.Add(15*time.Minute + 29*time.Second)
	if _, err := iss.CheckAccess(ctx, tok); err != nil {
		t.Errorf("29 s after exp with 30 s leeway: %v", err)
	}
	clk.Add(time.Second)
	if _, err := iss.CheckAccess(ctx, tok); !errors.Is(err, issuer.ErrExpired) {
		t.Errorf("30 s after exp with 30 s leeway: %v, want ErrExpired", err)
	}
}

func TestExpiryWithoutLeeway(t *testing.T) {
	clk := newClock()
	iss := newIssuer(t, clk, issuer.Config{})
	tokens, err := iss.CreateTokens(ctx, User{Sub: "s"}, User{Sub: "s"})
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(15*time.Minute - time.Nanosecond)
	if _, err := iss.CheckAccess(ctx, tokens.Access); err != nil {
		t.Fatalf("just before exp: %v", err)
	}
	clk.Add(time.Nanosecond)
	if _, err := iss.CheckAccess(ctx, tokens.Access); !errors.Is(err, issuer.ErrExpired) {
		t.Fatalf("at exp: %v, want ErrExpired", err)
	}
	if _, err := iss.CheckRefresh(ctx, tokens.Refresh); err != nil {
		t.Fatalf("refresh token at access exp: %v", err)
	}
	clk.Add(14 * 24 * time.Hour)
	if _, err := iss.CheckRefresh(ctx, tokens.Refresh); !errors.Is(err, issuer.ErrExpired) {
		t.Fatalf("refresh after 14 days: %v, want ErrExpired", err)
	}
}

func TestMaxTokenSize(t *testing.T) {
	iss := newIssuer(t, nil, issuer.Config{})
	tok, err := iss.CreateAccessToken(ctx, User{Sub: "s"})
	if err != nil {
		t.Fatal(err)
	}
	exact := newIssuer(t, nil, issuer.Config{MaxTokenSize: len(tok)})
	if _, err := exact.CheckAccess(ctx, tok); err != nil {
		t.Errorf("token of exactly MaxTokenSize: %v", err)
	}
	small := newIssuer(t, nil, issuer.Config{MaxTokenSize: len(tok) - 1})
	if _, err := small.CheckAccess(ctx, tok); !errors.Is(err, issuer.ErrTooLarge) {
		t.Errorf("token one byte over: %v, want ErrTooLarge", err)
	}
}

func TestRevoke(t *testing.T) {
	clk := newClock()
	iss := newIssuer(t, clk, issuer.Config{})
	tokens, err := iss.CreateTokens(ctx, User{Sub: "s"}, User{Sub: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if err := iss.Revoke(ctx, tokens.Access); err != nil {
		t.Fatal(err)
	}
	if _, err := iss.CheckAccess(ctx, tokens.Access); !errors.Is(err, issuer.ErrRevoked) {
		t.Fatalf("revoked access token: %v, want ErrRevoked", err)
	}
	// Revoking ends the session: the refresh token of the pair goes too.
	if _, err := iss.CheckRefresh(ctx, tokens.Refresh); !errors.Is(err, issuer.ErrRevoked) {
		t.Fatalf("refresh token of a revoked session: %v, want ErrRevoked", err)
	}
	// Another session of the same user is untouched; an expired token can
	// still end its session.
	other, _ := iss.CreateTokens(ctx, User{Sub: "s"}, User{Sub: "s"})
	clk.Add(20 * time.Minute)
	if err := iss.Revoke(ctx, other.Access); err != nil {
		t.Fatalf("revoking with an expired access token: %v", err)
	}
	if _, err := iss.CheckRefresh(ctx, other.Refresh); !errors.Is(err, issuer.ErrRevoked) {
		t.Fatalf("session of an expired access token: %v", err)
	}
	if err := iss.Revoke(ctx, "not.a.token"); !errors.Is(err, issuer.ErrInvalidToken) {
		t.Fatalf("revoking junk: %v", err)
	}
	forged := forgeHS256(validHdr, `{"iat":1,"exp":99999999999,"jti":"other"}`, []byte("another secret key of 32+ bytes!"))
	if err := iss.Revoke(ctx, forged); !errors.Is(err, issuer.ErrSignature) {
		t.Fatalf("revoking a forged token: %v, want ErrSignature", err)
	}
}

func TestRevokeSubject(t *testing.T) {
	clk := newClock()
	iss := newIssuer(t, clk, issuer.Config{})
	a1, _ := iss.CreateTokens(ctx, User{Sub: "alice"}, User{Sub: "alice"})
	a2, _ := iss.CreateTokens(ctx, User{Sub: "alice"}, User{Sub: "alice"})
	b, _ := iss.CreateTokens(ctx, User{Sub: "bob"}, User{Sub: "bob"})
	clk.Add(time.Second)
	if err := iss.RevokeSubject(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{a1.Access, a2.Access} {
		if _, err := iss.CheckAccess(ctx, tok); !errors.Is(err, issuer.ErrRevoked) {
			t.Errorf("alice's token after RevokeSubject: %v", err)
		}
	}
	for _, tok := range []string{a1.Refresh, a2.Refresh} {
		if _, err := iss.CheckRefresh(ctx, tok); !errors.Is(err, issuer.ErrRevoked) {
			t.Errorf("alice's refresh token after RevokeSubject: %v", err)
		}
	}
	if _, err := iss.CheckAccess(ctx, b.Access); err != nil {
		t.Errorf("bob's token: %v", err)
	}
	clk.Add(time.Second)
	fresh, _ := iss.CreateAccessToken(ctx, User{Sub: "alice"})
	if _, err := iss.CheckAccess(ctx, fresh); err != nil {
		t.Errorf("alice's new login: %v", err)
	}
	if err := iss.RevokeSubject(ctx, ""); err == nil {
		t.Error("empty subject accepted")
	}
}

func TestStoreFailureFailsClosed(t *testing.T) {
	iss := newIssuer(t, nil, issuer.Config{Store: storetest.Down{}})
	tok, err := iss.CreateAccessToken(ctx, User{Sub: "s"})
	if err != nil {
		t.Fatal(err)
	}
	u, err := iss.CheckAccess(ctx, tok)
	if !errors.Is(err, issuer.ErrStore) || errors.Is(err, issuer.ErrInvalidToken) {
		t.Fatalf("err = %v, want ErrStore and not ErrInvalidToken (the token may be fine)", err)
	}
	if u.Sub != "s" {
		t.Fatalf("payload %+v: with ErrStore alone it comes too, for a caller that fails open", u)
	}
	// Anything else wrong still wins over the store's failure.
	if _, err := iss.CheckAccess(ctx, tok[:len(tok)-43]+strings.Repeat("A", 43)); !errors.Is(err, issuer.ErrSignature) {
		t.Fatalf("forged token with the store down: %v", err)
	}
	if err := iss.Revoke(ctx, tok); !errors.Is(err, issuer.ErrStore) {
		t.Fatalf("Revoke with the store down: %v, want ErrStore", err)
	}
}
