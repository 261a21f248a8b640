package bench

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	gjwt "github.com/golang-jwt/jwt/v5"
)

var keys = NewKeys()

// Every implementation's tokens are valid JWTs with the claims of the
// comparison: golang-jwt verifies them, and each implementation checks its
// own and refuses a tampered one. No benchmark measures anything else.
func TestTokensAreValid(t *testing.T) {
	for _, alg := range []string{"HS256", "ES256", "EdDSA"} {
		_, _, verifyKey, _ := gjMethod(alg, keys)
		for _, impl := range Impls {
			t.Run(alg+"/"+impl.Name, func(t *testing.T) {
				sign, check, err := impl.New(alg, keys)
				if err != nil {
					t.Fatal(err)
				}
				access, refresh, err := sign()
				if err != nil {
					t.Fatal(err)
				}
				access, refresh = strings.Clone(access), strings.Clone(refresh)
				for _, c := range []struct {
					tok string
					ttl time.Duration
					aud bool
				}{{access, AccessTTL, true}, {refresh, RefreshTTL, false}} {
					var claims gjwt.MapClaims
					opts := []gjwt.ParserOption{gjwt.WithValidMethods([]string{alg}), gjwt.WithIssuer(Iss), gjwt.WithSubject(Sub),
						gjwt.WithExpirationRequired(), gjwt.WithIssuedAt()}
					if c.aud {
						opts = append(opts, gjwt.WithAudience(Aud))
					}
					if _, err := gjwt.ParseWithClaims(c.tok, &claims, func(*gjwt.Token) (any, error) { return verifyKey, nil }, opts...); err != nil {
						t.Fatalf("golang-jwt refuses %s: %v", c.tok, err)
					}
					exp, _ := claims.GetExpirationTime()
					iat, _ := claims.GetIssuedAt()
					if d := exp.Sub(iat.Time); d < c.ttl || d > c.ttl+time.Second || claims["jti"] == nil {
						t.Fatalf("claims %v", claims)
					}
				}
				if sub, err := check(access); err != nil || sub != Sub {
					t.Fatalf("own check: %q %v", sub, err)
				}
				if _, err := check(refresh); err == nil {
					t.Fatal("a refresh token passed the access check")
				}
				if _, err := check(access[:len(access)-6] + "AAAAAA"); err == nil {
					t.Fatal("a tampered token passed")
				}
			})
		}
	}
}

func benchSign(b *testing.B, alg string) {
	for _, impl := range Impls {
		sign, _, err := impl.New(alg, keys)
		if err != nil {
			continue
		}
		b.Run(impl.Name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := sign(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func benchCheck(b *testing.B, alg string) {
	for _, impl := range Impls {
		sign, check, err := impl.New(alg, keys)
		if err != nil {
			continue
		}
		access, _, err := sign()
		if err != nil {
			b.Fatal(err)
		}
		access = strings.Clone(access)
		b.Run(impl.Name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := check(access); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSignPair: both tokens of a pair, HS256.
func BenchmarkSignPair(b *testing.B)      { benchSign(b, "HS256") }
func BenchmarkSignPairES256(b *testing.B) { benchSign(b, "ES256") }
func BenchmarkSignPairEdDSA(b *testing.B) { benchSign(b, "EdDSA") }

// BenchmarkCheckAccess: parse, verify, check exp/nbf/iss/aud/type, decode.
func BenchmarkCheckAccess(b *testing.B)      { benchCheck(b, "HS256") }
func BenchmarkCheckAccessES256(b *testing.B) { benchCheck(b, "ES256") }
func BenchmarkCheckAccessEdDSA(b *testing.B) { benchCheck(b, "EdDSA") }

// BenchmarkFloor is the physical floor the ratios are quoted against: the two
// bare HMAC-SHA256 computations of an HS256 pair, over signing inputs as long
// as quickjwt's.
func BenchmarkFloor(b *testing.B) {
	sign, _, _ := newQuickJWT("HS256", keys)
	access, refresh, _ := sign()
	in1 := []byte(access[:strings.LastIndexByte(access, '.')])
	in2 := []byte(refresh[:strings.LastIndexByte(refresh, '.')])
	m := hmac.New(sha256.New, keys.HMAC)
	var sum [sha256.Size]byte
	b.Run("hmac-pair", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m.Reset()
			m.Write(in1)
			m.Sum(sum[:0])
			m.Reset()
			m.Write(in2)
			m.Sum(sum[:0])
		}
	})
}

// BenchmarkParallel runs pair signing and checks on every core (-cpu 1,2
// shows how throughput scales with GOMAXPROCS).
func BenchmarkParallel(b *testing.B) {
	for _, impl := range Impls {
		if impl.Name != "quickjwt" && impl.Name != "golang-jwt" {
			continue
		}
		sign, check, _ := impl.New("HS256", keys)
		access, _, _ := sign()
		access = strings.Clone(access)
		b.Run("sign/"+impl.Name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, _, err := sign(); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
		b.Run("check/"+impl.Name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := check(access); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkPayloadSize: how pair signing and checks grow with the claims,
// padded with one string claim to about 100 B, 1 KB and 8 KB.
func BenchmarkPayloadSize(b *testing.B) {
	for _, size := range []int{100, 1 << 10, 8 << 10} {
		pad := strings.Repeat("x", size-len(`{"sub":"user-1234567890","scope":"`)-2)
		for _, name := range []string{"quickjwt", "golang-jwt"} {
			sign, check := sizedImpl(b, name, pad)
			access, _, err := sign()
			if err != nil {
				b.Fatal(err)
			}
			access = strings.Clone(access)
			b.Run(fmt.Sprintf("%dB/sign/%s", size, name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, _, err := sign(); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(fmt.Sprintf("%dB/check/%s", size, name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := check(access); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
