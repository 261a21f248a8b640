package issuer_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/quickjwt/quickjwt/issuer"
)

// BenchmarkRefresh is one rotation: check the refresh token (with its
// revocation lookups), record its use, sign the new pair.
func BenchmarkRefresh(b *testing.B) {
	iss := newTyped[Scoped, Scoped](b, mustHMAC(b, "k1", secret32))
	keep := func(old Scoped) (Scoped, Scoped, error) { return old, old, nil }
	tokens, err := iss.CreateTokens(ctx, benchScoped, benchScoped)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if tokens, err = iss.Refresh(ctx, tokens.Refresh, keep); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMemoryStore measures a revocation lookup as the store fills: n
// live revocations, plus as many used refresh marks; each lookup asks for a
// jti, a family and a subject (as a check does), half of them present. The
// B/entry metric is the heap the entries take, per entry.
func BenchmarkMemoryStore(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			s := issuer.NewMemoryStore(issuer.MemoryStoreConfig{MaxEntries: 4 * n})
			defer s.Close()
			until := time.Now().Add(time.Hour)
			ids := make([][]byte, n)
			for i := range n {
				id := fmt.Sprintf("jti-%016x-%06d", i*2654435761, i) // 22 bytes, as a real jti
				ids[i] = []byte(id)
				if err := s.Revoke(ctx, issuer.Revocation{ID: id, Until: until}); err != nil {
					b.Fatal(err)
				}
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			perEntry := float64(after.HeapAlloc-before.HeapAlloc-uint64(n*(24+22))) / float64(n) // minus the test's own ids
			missing := []byte("jti-not-there-000000000")
			sub := []byte("user-1234567890")
			iat := time.Now()
			b.ReportAllocs()
			b.ResetTimer()
			i := 0
			for b.Loop() {
				id := ids[i%n]
				if i&1 == 1 {
					id = missing
				}
				if _, err := s.Revoked(ctx, issuer.Query{ID: id, Family: missing, Subject: sub, IssuedAt: iat}); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(perEntry, "B/entry")
		})
	}
}
