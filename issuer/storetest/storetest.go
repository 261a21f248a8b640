// Package storetest holds the conformance suite every issuer.Store passes,
// and a Store that is always down, for testing failure paths.
package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/quickjwt/quickjwt/issuer"
)

// Run runs the conformance suite. newStore returns a fresh, empty store for
// each subtest (and registers its cleanup). The suite uses the real clock,
// which a remote store keeps too, and sleeps a little where expiry is tested.
func Run(t *testing.T, newStore func(t *testing.T) issuer.Store) {
	ctx := context.Background()
	q := func(jti, fam, sub string, iat time.Time) issuer.Query {
		return issuer.Query{ID: []byte(jti), Family: []byte(fam), Subject: []byte(sub), IssuedAt: iat}
	}
	revoked := func(t *testing.T, s issuer.Store, qq issuer.Query) bool {
		t.Helper()
		ok, err := s.Revoked(ctx, qq)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}

	t.Run("revoke by id and family", func(t *testing.T) {
		s := newStore(t)
		now := time.Now()
		if err := s.Revoke(ctx, issuer.Revocation{ID: "jti-1", Until: now.Add(time.Hour)}, issuer.Revocation{ID: "fam-1", Until: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			q    issuer.Query
			want bool
		}{
			{q("jti-1", "", "", now), true},
			{q("jti-2", "fam-1", "", now), true},
			{q("jti-2", "fam-2", "", now), false},
			{q("", "", "", now), false},
			{q("fam-1", "", "", now), true}, // ids share one namespace: both are random
		} {
			if got := revoked(t, s, c.q); got != c.want {
				t.Errorf("Revoked(%s/%s) = %v, want %v", c.q.ID, c.q.Family, got, c.want)
			}
		}
	})

	t.Run("nothing kept for the past", func(t *testing.T) {
		s := newStore(t)
		if err := s.Revoke(ctx, issuer.Revocation{ID: "old", Until: time.Now().Add(-time.Second)}); err != nil {
			t.Fatal(err)
		}
		if revoked(t, s, q("old", "", "", time.Now())) {
			t.Error("a revocation whose time has passed is kept")
		}
	})

	t.Run("expiry, and an earlier time does not shorten", func(t *testing.T) {
		s := newStore(t)
		now := time.Now()
		if err := s.Revoke(ctx, issuer.Revocation{ID: "short", Until: now.Add(300 * time.Millisecond)},
			issuer.Revocation{ID: "long", Until: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if err := s.Revoke(ctx, issuer.Revocation{ID: "long", Until: now.Add(200 * time.Millisecond)}); err != nil {
			t.Fatal(err)
		}
		if !revoked(t, s, q("short", "", "", now)) {
			t.Fatal("not revoked")
		}
		deadline := time.Now().Add(3 * time.Second)
		for revoked(t, s, q("short", "", "", now)) {
			if time.Now().After(deadline) {
				t.Fatal("the revocation outlived its time")
			}
			time.Sleep(50 * time.Millisecond)
		}
		if !revoked(t, s, q("long", "", "", now)) {
			t.Fatal("a second, earlier time shortened a revocation")
		}
	})

	t.Run("subject", func(t *testing.T) {
		s := newStore(t)
		cut := time.Now()
		if err := s.RevokeSubject(ctx, "alice", cut, cut.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		sameSecond := time.Unix(cut.Unix(), 0)
		for _, c := range []struct {
			name string
			q    issuer.Query
			want bool
		}{
			{"issued before", q("j", "", "alice", cut.Add(-10*time.Second)), true},
			{"issued in the same second", q("j", "", "alice", sameSecond), true},
			{"issued after", q("j", "", "alice", cut.Add(2*time.Second)), false},
			{"another subject", q("j", "", "bob", cut.Add(-10*time.Second)), false},
		} {
			if got := revoked(t, s, c.q); got != c.want {
				t.Errorf("%s: %v, want %v", c.name, got, c.want)
			}
		}
		// A later cutoff moves it on.
		if err := s.RevokeSubject(ctx, "alice", cut.Add(5*time.Second), cut.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if !revoked(t, s, q("j", "", "alice", cut.Add(2*time.Second))) {
			t.Error("a later cutoff was not applied")
		}
	})

	t.Run("refresh use, replay and grace", func(t *testing.T) {
		s := newStore(t)
		now := time.Now()
		use := func(jti string, at time.Time, grace time.Duration) issuer.UseResult {
			t.Helper()
			r, err := s.UseRefresh(ctx, jti, at, now.Add(time.Hour), grace)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		if r := use("r1", now, 0); r != issuer.UseFirst {
			t.Fatalf("first use: %v", r)
		}
		if r := use("r1", now, 0); r != issuer.UseReplay {
			t.Fatalf("second use without grace: %v", r)
		}
		if r := use("r2", now, 5*time.Second); r != issuer.UseFirst {
			t.Fatalf("first use: %v", r)
		}
		if r := use("r2", now.Add(2*time.Second), 5*time.Second); r != issuer.UseRetry {
			t.Fatalf("retry within grace: %v", r)
		}
		if r := use("r2", now.Add(3*time.Second), 5*time.Second); r != issuer.UseReplay {
			t.Fatalf("second retry: %v", r)
		}
		use("r3", now, 5*time.Second)
		if r := use("r3", now.Add(6*time.Second), 5*time.Second); r != issuer.UseReplay {
			t.Fatalf("retry after grace: %v", r)
		}
		// A used mark is not a revocation.
		if revoked(t, s, q("r1", "", "", now)) {
			t.Error("a used refresh token's jti reads as revoked")
		}
	})

	t.Run("concurrent uses: exactly one wins", func(t *testing.T) {
		s := newStore(t)
		now := time.Now()
		const n = 64
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			results = map[issuer.UseResult]int{}
			errs    []error
		)
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := s.UseRefresh(ctx, "contended", now, now.Add(time.Hour), 0)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
				}
				results[r]++
			}()
		}
		wg.Wait()
		if len(errs) > 0 {
			t.Fatal(errs[0])
		}
		if results[issuer.UseFirst] != 1 || results[issuer.UseReplay] != n-1 {
			t.Fatalf("results %v, want 1 first and %d replays", results, n-1)
		}
	})

	t.Run("ping", func(t *testing.T) {
		if err := newStore(t).Ping(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// ErrDown is what Down returns.
var ErrDown = errors.New("storetest: store down")

// Down is a Store whose every call fails, as an unreachable one does.
type Down struct{}

func (Down) Revoke(context.Context, ...issuer.Revocation) error { return ErrDown }
func (Down) RevokeSubject(context.Context, string, time.Time, time.Time) error {
	return ErrDown
}
func (Down) Revoked(context.Context, issuer.Query) (bool, error) { return false, ErrDown }
func (Down) UseRefresh(context.Context, string, time.Time, time.Time, time.Duration) (issuer.UseResult, error) {
	return issuer.UseReplay, ErrDown
}
func (Down) Ping(context.Context) error { return ErrDown }

var _ issuer.Store = Down{}
