package issuer_test

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/quickjwt/quickjwt/issuer"
)

// Many goroutines sign and check while the key set rotates underneath them.
// Every token signed must check as long as its key is in the set, and no
// check may see a half-swapped set. Run with -race.
func TestConcurrentSignCheckRotate(t *testing.T) {
	keys := []issuer.Key{
		mustHMAC(t, "h0", secret32),
		mustGen(t, "e1", issuer.ES256),
		mustHMAC(t, "h2", []byte("a third secret of at least 32 b.")),
		mustGen(t, "d3", issuer.EdDSA),
	}
	iss := newIssuer(t, nil, issuer.Config{Keys: issuer.KeySet{Signing: keys[0], Verify: keys[1:]}})
	var (
		wg     sync.WaitGroup
		stop   atomic.Bool
		signed atomic.Int64
		errs   = make(chan error, 16)
	)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var p issuer.Pair
			for i := 0; !stop.Load(); i++ {
				sub := fmt.Sprintf("g%d-%d", g, i)
				if err := iss.SignPair(&p, User{Sub: sub}, User{Sub: sub}); err != nil {
					errs <- err
					return
				}
				a, err := iss.CheckAccess(ctx, string(p.Access))
				if err != nil || a.Sub != sub {
					errs <- fmt.Errorf("check %s: %+v, %v", sub, a, err)
					return
				}
				if _, err := iss.CheckRefresh(ctx, string(p.Refresh)); err != nil {
					errs <- fmt.Errorf("refresh %s: %v", sub, err)
					return
				}
				signed.Add(1)
			}
		}()
	}
	// Rotate: each set keeps every key verifiable and only changes which signs.
	for i := 0; i < 200 || signed.Load() < 2000; i++ {
		s := i % len(keys)
		verify := append(append([]issuer.Key{}, keys[:s]...), keys[s+1:]...)
		if err := iss.SetKeys(issuer.KeySet{Signing: keys[s], Verify: verify}); err != nil {
			t.Fatal(err)
		}
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if signed.Load() == 0 {
		t.Fatal("no pair was signed")
	}
	// Dropping a key makes its tokens unknown at once.
	tok, _ := iss.CreateAccessToken(ctx, User{Sub: "last"})
	kid := iss.Keys().Signing.ID()
	var rest []issuer.Key
	for _, k := range keys {
		if k.ID() != kid {
			rest = append(rest, k)
		}
	}
	if err := iss.SetKeys(issuer.KeySet{Signing: rest[0], Verify: rest[1:]}); err != nil {
		t.Fatal(err)
	}
	if _, err := iss.CheckAccess(ctx, tok); !errors.Is(err, issuer.ErrUnknownKey) {
		t.Fatalf("token of the dropped key %s: %v", kid, err)
	}
}
