package redisstore_test

import (
	"testing"

	"github.com/quickjwt/quickjwt/internal/redistest"
	"github.com/quickjwt/quickjwt/issuer"
	"github.com/redis/go-redis/v9"
)

// BenchmarkRedis measures the two paths that talk to Redis: a check (one
// MGET for the jti, family and subject) and a refresh (that, plus the use
// script). Redis runs on the same machine: the figures are mostly the round
// trips over loopback.
func BenchmarkRedis(b *testing.B) {
	addr := redistest.Addr(b)
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	b.Cleanup(func() { rdb.Close() })
	store := newStoreOn(b, rdb)
	key, _ := issuer.NewHMACKey("k1", issuer.HS256, []byte("0123456789abcdef0123456789abcdef"))
	iss, err := issuer.New[user, user](issuer.Config{Keys: issuer.KeySet{Signing: key}, Store: store})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { iss.Close() })
	tokens, _ := iss.CreateTokens(b.Context(), user{Sub: "u"}, user{Sub: "u"})
	b.Run("check", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := iss.CheckAccess(b.Context(), tokens.Access); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("check-parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(8) // many requests in flight, as a server has
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := iss.CheckAccess(b.Context(), tokens.Access); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("refresh", func(b *testing.B) {
		t, _ := iss.CreateTokens(b.Context(), user{Sub: "u"}, user{Sub: "u"}) // a family of its own per run
		b.ReportAllocs()
		for b.Loop() {
			if t, err = iss.Refresh(b.Context(), t.Refresh, func(u user) (user, user, error) { return u, u, nil }); err != nil {
				b.Fatal(err)
			}
		}
	})
}
