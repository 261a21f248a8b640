package issuer_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/quickjwt/quickjwt/issuer"
)

// fuzzToken returns a valid access token of iss.
func fuzzToken(f *testing.F, iss *issuer.Issuer[User, User]) string {
	tok, err := iss.CreateAccessToken(ctx, User{Sub: "fuzz"})
	if err != nil {
		f.Fatal(err)
	}
	return tok
}

// FuzzCheckAccess: any input is refused with a token error or accepted; it
// never panics, and an accepted token carries a correct HMAC over its own
// header and claims (checked here independently).
func FuzzCheckAccess(f *testing.F) {
	iss := newIssuer(f, nil, issuer.Config{})
	tok := fuzzToken(f, iss)
	for _, seed := range []string{
		tok, tok[:len(tok)/2], tok[:strings.LastIndexByte(tok, '.')+1], "", "...", "eyJ.eyJ.eyJ", "not a token", pyjwtSeed,
		b64(`{"alg":"none","kid":"k1","typ":"at+jwt"}`) + "." + b64(`{"sub":"x","exp":99999999999,"iat":1,"jti":"j"}`) + ".",
		forgeHS256(`{"alg":"HS384","kid":"k1","typ":"at+jwt"}`, `{"sub":"x","exp":99999999999,"iat":1,"jti":"j"}`, secret32),
		forgeHS256(`{"alg":"HS256","kid":"k1","typ":"at+jwt"}`, `{"sub":"x","exp":99999999999,"iat":1,"jti":"j","x":{"a":[1,{"b":null}]}}`, secret32),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		_, err := iss.CheckAccess(ctx, tok)
		if err != nil {
			if !errors.Is(err, issuer.ErrInvalidToken) {
				t.Fatalf("error %v does not match ErrInvalidToken", err)
			}
			return
		}
		i := strings.LastIndexByte(tok, '.')
		if i < 0 || tok[i+1:] != hs256Sig(tok[:i], secret32) {
			t.Fatalf("accepted %q without a valid signature", tok)
		}
	})
}

// FuzzMutatedToken: changing any byte of a valid token makes it fail.
func FuzzMutatedToken(f *testing.F) {
	iss := newIssuer(f, nil, issuer.Config{})
	tok := fuzzToken(f, iss)
	for _, pos := range []int{0, 5, len(tok) / 2, strings.IndexByte(tok, '.'), strings.LastIndexByte(tok, '.'), len(tok) - 1} {
		f.Add(uint16(pos), byte(1))
		f.Add(uint16(pos), byte(0x20))
	}
	f.Fuzz(func(t *testing.T, pos uint16, x byte) {
		if x == 0 {
			return
		}
		b := []byte(tok)
		b[int(pos)%len(b)] ^= x
		if _, err := iss.CheckAccess(ctx, string(b)); err == nil {
			t.Fatalf("mutated token accepted: byte %d ^ %#x: %s", int(pos)%len(b), x, b)
		}
	})
}
