//go:build !race

package issuer_test

import (
	"testing"

	"github.com/quickjwt/quickjwt/issuer"
)

// The allocation budgets of issue 2, pinned. (The race detector allocates, so
// these run without it.)
func TestAllocations(t *testing.T) {
	key := mustHMAC(t, "k1", secret32)
	plain := newTyped[Scoped, Scoped](t, key)
	fast := newTyped[FastScoped, FastScoped](t, key)
	sp, fp := Scoped{Sub: "user-1", Scope: "read write"}, FastScoped{Sub: "user-1", Scope: "read write"}
	tokens, err := plain.CreateTokens(ctx, sp, sp)
	if err != nil {
		t.Fatal(err)
	}
	var pair issuer.Pair
	var buf []byte
	tests := []struct {
		name string
		max  float64
		fn   func() error
	}{
		{"SignPair, JSONAppender payload", 0, func() error { return fast.SignPair(&pair, fp, fp) }},
		{"AppendAccessToken, JSONAppender payload", 0, func() (err error) { buf, err = fast.AppendAccessToken(buf[:0], fp); return }},
		// One copy per validated payload.
		{"SignPair, plain struct", 2, func() error { return plain.SignPair(&pair, sp, sp) }},
		// Plus one string for both tokens.
		{"CreateTokens, plain struct", 3, func() error { _, err := plain.CreateTokens(ctx, sp, sp); return err }},
		// goccy's copy of the claims, and the validated copy.
		{"CheckAccess, plain struct", 2, func() error { _, err := plain.CheckAccess(ctx, tokens.Access); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.fn(); err != nil {
				t.Fatal(err)
			}
			if n := testing.AllocsPerRun(500, func() { _ = tt.fn() }); n > tt.max {
				t.Fatalf("%.1f allocs/op, want at most %.0f", n, tt.max)
			}
		})
	}
}
