package issuer_test

import (
	"testing"

	"github.com/quickjwt/quickjwt/issuer"
)

// benchKeys are the algorithms the hot-path benchmarks run with.
func benchKeys(b *testing.B) []issuer.Key {
	return []issuer.Key{mustHMAC(b, "k1", secret32), mustGen(b, "k2", issuer.ES256), mustGen(b, "k3", issuer.EdDSA)}
}

var benchScoped = Scoped{Sub: "user-1234567890", Scope: "read:profile write:profile"}

func BenchmarkSignPair(b *testing.B) {
	for _, k := range benchKeys(b) {
		plain := newTyped[Scoped, Scoped](b, k)
		fast := newTyped[FastScoped, FastScoped](b, k)
		fp := FastScoped(benchScoped)
		b.Run(string(k.Algorithm())+"/CreateTokens", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := plain.CreateTokens(ctx, benchScoped, benchScoped); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(string(k.Algorithm())+"/SignPair-struct", func(b *testing.B) {
			b.ReportAllocs()
			var p issuer.Pair
			for b.Loop() {
				if err := plain.SignPair(&p, benchScoped, benchScoped); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(string(k.Algorithm())+"/SignPair-append", func(b *testing.B) {
			b.ReportAllocs()
			var p issuer.Pair
			for b.Loop() {
				if err := fast.SignPair(&p, fp, fp); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSignPairParallel(b *testing.B) {
	fast := newTyped[FastScoped, FastScoped](b, mustHMAC(b, "k1", secret32))
	plain := newTyped[Scoped, Scoped](b, mustHMAC(b, "k1", secret32))
	b.Run("HS256/CreateTokens", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := plain.CreateTokens(ctx, benchScoped, benchScoped); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("HS256/SignPair-append", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			var p issuer.Pair
			fp := FastScoped(benchScoped)
			for pb.Next() {
				if err := fast.SignPair(&p, fp, fp); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

func BenchmarkSignAccess(b *testing.B) {
	plain := newTyped[Scoped, Scoped](b, mustHMAC(b, "k1", secret32))
	fast := newTyped[FastScoped, FastScoped](b, mustHMAC(b, "k1", secret32))
	b.Run("HS256/CreateAccessToken", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := plain.CreateAccessToken(ctx, benchScoped); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("HS256/AppendAccessToken-append", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		fp := FastScoped(benchScoped)
		for b.Loop() {
			var err error
			if buf, err = fast.AppendAccessToken(buf[:0], fp); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkCheckAccess(b *testing.B) {
	for _, k := range benchKeys(b)[:2] {
		plain := newTyped[Scoped, Scoped](b, k)
		tok, err := plain.CreateAccessToken(ctx, benchScoped)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(string(k.Algorithm()), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := plain.CheckAccess(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(string(k.Algorithm())+"-parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := plain.CheckAccess(ctx, tok); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
