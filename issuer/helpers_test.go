package issuer_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
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
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
