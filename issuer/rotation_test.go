package issuer_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/quickjwt/quickjwt/issuer"
	"github.com/quickjwt/quickjwt/issuer/storetest"
)

func keep(old User) (User, User, error) { return old, old, nil }

// A stolen refresh token replayed after its owner used it kills the family:
// the replayed token, the newest refresh token and the access tokens issued
// from them.
func TestRotationReuseKillsFamily(t *testing.T) {
	clk := newClock()
	iss := newIssuer(t, clk, issuer.Config{})
	login, _ := iss.CreateTokens(ctx, User{Sub: "u"}, User{Sub: "u"})
	clk.Add(time.Minute)
	second, err := iss.Refresh(ctx, login.Refresh, keep)
	if err != nil {
		t.Fatal(err)
	}
	third, err := iss.Refresh(ctx, second.Refresh, keep)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := iss.CreateTokens(ctx, User{Sub: "u"}, User{Sub: "u"}) // another login: another family

	// The thief replays the first refresh token.
	if _, err := iss.Refresh(ctx, login.Refresh, keep); !errors.Is(err, issuer.ErrReused) || !errors.Is(err, issuer.ErrInvalidToken) {
		t.Fatalf("replay: %v, want ErrReused", err)
	}
	for name, tok := range map[string]string{"login access": login.Access, "second access": second.Access, "newest access": third.Access} {
		if _, err := iss.CheckAccess(ctx, tok); !errors.Is(err, issuer.ErrRevoked) {
			t.Errorf("%s after the replay: %v", name, err)
		}
	}
	if _, err := iss.Refresh(ctx, third.Refresh, keep); !errors.Is(err, issuer.ErrRevoked) {
		t.Errorf("newest refresh token after the replay: %v", err)
	}
	if _, err := iss.CheckAccess(ctx, other.Access); err != nil {
		t.Errorf("another family after the replay: %v", err)
	}
	if _, err := iss.Refresh(ctx, other.Refresh, keep); err != nil {
		t.Errorf("refresh of another family: %v", err)
	}
}

func TestRotationGrace(t *testing.T) {
	clk := newClock()
	iss := newIssuer(t, clk, issuer.Config{ReuseGrace: 10 * time.Second})
	login, _ := iss.CreateTokens(ctx, User{Sub: "u"}, User{Sub: "u"})
	if _, err := iss.Refresh(ctx, login.Refresh, keep); err != nil {
		t.Fatal(err)
	}
	clk.Add(3 * time.Second)
	retry, err := iss.Refresh(ctx, login.Refresh, keep) // the answer was lost: the client retries
	if err != nil {
		t.Fatalf("retry within grace: %v", err)
	}
	if _, err := iss.CheckAccess(ctx, retry.Access); err != nil {
		t.Fatalf("the retry's pair: %v", err)
	}
	if _, err := iss.Refresh(ctx, login.Refresh, keep); !errors.Is(err, issuer.ErrReused) {
		t.Fatalf("second retry: %v, want ErrReused", err)
	}
}

// Of many concurrent refreshes with one token, exactly one gets a pair.
func TestRotationConcurrent(t *testing.T) {
	iss := newIssuer(t, nil, issuer.Config{})
	login, _ := iss.CreateTokens(ctx, User{Sub: "u"}, User{Sub: "u"})
	const n = 32
	var (
		wg          sync.WaitGroup
		mu          sync.Mutex
		won, reused int
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := iss.Refresh(ctx, login.Refresh, keep)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case errors.Is(err, issuer.ErrReused), errors.Is(err, issuer.ErrRevoked):
				reused++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if won != 1 || reused != n-1 {
		t.Fatalf("%d won, %d refused; want exactly one winner", won, reused)
	}
}

func TestRotationEdges(t *testing.T) {
	iss := newIssuer(t, nil, issuer.Config{DisableRotation: true})
	login, _ := iss.CreateTokens(ctx, User{Sub: "u"}, User{Sub: "u"})
	for range 3 {
		if _, err := iss.Refresh(ctx, login.Refresh, keep); err != nil {
			t.Fatalf("without rotation a refresh token is reusable: %v", err)
		}
	}
	// A refresh whose new payload is invalid does not spend the token.
	rot := newIssuer(t, nil, issuer.Config{})
	login, _ = rot.CreateTokens(ctx, User{Sub: "u"}, User{Sub: "u"})
	if _, err := rot.Refresh(ctx, login.Refresh, func(User) (User, User, error) { return User{}, User{}, nil }); !errors.Is(err, issuer.ErrInvalidPayload) {
		t.Fatal(err)
	}
	if _, err := rot.Refresh(ctx, login.Refresh, keep); err != nil {
		t.Fatalf("token spent by a failed refresh: %v", err)
	}
	// The store down: refresh fails closed.
	down := newIssuer(t, nil, issuer.Config{Store: storetest.Down{}})
	login, _ = down.CreateTokens(ctx, User{Sub: "u"}, User{Sub: "u"})
	if _, err := down.Refresh(ctx, login.Refresh, keep); !errors.Is(err, issuer.ErrStore) {
		t.Fatalf("refresh with the store down: %v", err)
	}
}
