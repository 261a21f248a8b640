package issuer_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quickjwt/quickjwt/issuer"
)

var ctx = context.Background()

// t0 is the fixed time every test starts at.
var t0 = time.Unix(1_800_000_000, 0).UTC()

// clock is a settable clock, safe for concurrent use.
type clock struct{ ns atomic.Int64 }

func newClock() *clock               { c := &clock{}; c.ns.Store(t0.UnixNano()); return c }
func (c *clock) Now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Add(d time.Duration) { c.ns.Add(int64(d)) }

// secret32 is a 32-byte HMAC secret, long enough for HS256.
var secret32 = []byte("0123456789abcdef0123456789abcdef")

// User is the payload of the seed's examples.
type User struct {
	Sub string `json:"sub" validate:"required,max=64"`
}

// Session is a richer access payload.
type Session struct {
	Sub   string   `json:"sub" validate:"required"`
	Role  string   `json:"role" validate:"omitempty,oneof=admin user"`
	Scope []string `json:"scope,omitempty"`
}

func mustHMAC(t testing.TB, kid string, secret []byte) issuer.Key {
	t.Helper()
	k, err := issuer.NewHMACKey(kid, issuer.HS256, secret)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustGen(t testing.TB, kid string, alg issuer.Algorithm) issuer.Key {
	t.Helper()
	k, err := issuer.GenerateKey(kid, alg)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// newIssuer returns an Issuer[User, User] with an HS256 key "k1", the fixed
// clock clk (a new one when nil), and cfg's other fields.
func newIssuer(t testing.TB, clk *clock, cfg issuer.Config) *issuer.Issuer[User, User] {
	t.Helper()
	if clk == nil {
		clk = newClock()
	}
	if cfg.Keys.Signing.IsZero() {
		cfg.Keys.Signing = mustHMAC(t, "k1", secret32)
	}
	cfg.Now = clk.Now
	iss, err := issuer.New[User, User](cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { iss.Close() })
	return iss
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// forgeHS256 builds a token from raw header and claims JSON and signs it with
// secret, independently of the issuer package.
func forgeHS256(header, claims string, secret []byte) string {
	return signSegs(b64(header), b64(claims), secret)
}

// signSegs signs already encoded header and claims segments with HS256.
func signSegs(h, c string, secret []byte) string {
	in := h + "." + c
	return in + "." + hs256Sig(in, secret)
}

// hs256Sig is the base64url HMAC-SHA256 of a signing input.
func hs256Sig(in string, secret []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(in))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Scoped is the plain struct payload of the allocation tests and benchmarks:
// the claims issue 6 compares libraries on (sub and a scope string).
type Scoped struct {
	Sub   string `json:"sub" validate:"required,max=128"`
	Scope string `json:"scope" validate:"max=256"`
}

// FastScoped carries the same claims, writes its own JSON and checks itself,
// so signing it needs no reflection.
type FastScoped struct {
	Sub   string
	Scope string
}

func (p *FastScoped) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"sub":`...)
	dst = issuer.AppendJSONString(dst, p.Sub)
	dst = append(dst, `,"scope":`...)
	dst = issuer.AppendJSONString(dst, p.Scope)
	return append(dst, '}')
}

var errNoSub = errors.New("sub is required")

func (p *FastScoped) Validate() error {
	if p.Sub == "" || len(p.Sub) > 128 || len(p.Scope) > 256 {
		return errNoSub
	}
	return nil
}

func newTyped[A, R any](t testing.TB, k issuer.Key) *issuer.Issuer[A, R] {
	t.Helper()
	iss, err := issuer.New[A, R](issuer.Config{Keys: issuer.KeySet{Signing: k}, Issuer: "https://auth.example", Audience: "api"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { iss.Close() })
	return iss
}
