package redisstore_test

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quickjwt/quickjwt/internal/redistest"
	"github.com/quickjwt/quickjwt/issuer"
	"github.com/quickjwt/quickjwt/issuer/redisstore"
	"github.com/quickjwt/quickjwt/issuer/storetest"
	"github.com/redis/go-redis/v9"
)

var prefixSeq atomic.Int64

// newStore returns a store with a prefix of its own: an empty store on a
// shared Redis.
func newStore(t testing.TB, addr string) *redisstore.Store {
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1}) // fail at once when Redis is down
	t.Cleanup(func() { rdb.Close() })
	return newStoreOn(t, rdb)
}

func newStoreOn(t testing.TB, rdb redis.UniversalClient) *redisstore.Store {
	return redisstore.New(rdb, redisstore.Config{Prefix: fmt.Sprintf("test%d-%d:", time.Now().UnixNano(), prefixSeq.Add(1))})
}

func TestConformance(t *testing.T) {
	addr := redistest.Addr(t)
	storetest.Run(t, func(t *testing.T) issuer.Store { return newStore(t, addr) })
}

// Two issuers (two service instances) on one Redis: a replay on one after a
// refresh on the other kills the family on both; a logout on one is seen by
// the other.
func TestSharedBetweenIssuers(t *testing.T) {
	addr := redistest.Addr(t)
	store := newStore(t, addr) // one prefix, two clients would do the same
	key, _ := issuer.NewHMACKey("k1", issuer.HS256, []byte("0123456789abcdef0123456789abcdef"))
	mk := func() *issuer.Issuer[user, user] {
		iss, err := issuer.New[user, user](issuer.Config{Keys: issuer.KeySet{Signing: key}, Store: store})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { iss.Close() })
		return iss
	}
	a, b := mk(), mk()
	ctx := t.Context()
	keep := func(u user) (user, user, error) { return u, u, nil }
	login, _ := a.CreateTokens(ctx, user{Sub: "u"}, user{Sub: "u"})
	next, err := a.Refresh(ctx, login.Refresh, keep)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Refresh(ctx, login.Refresh, keep); !errors.Is(err, issuer.ErrReused) {
		t.Fatalf("replay on the other instance: %v", err)
	}
	for _, iss := range []*issuer.Issuer[user, user]{a, b} {
		if _, err := iss.CheckAccess(ctx, next.Access); !errors.Is(err, issuer.ErrRevoked) {
			t.Fatalf("family after the replay: %v", err)
		}
	}
	other, _ := b.CreateTokens(ctx, user{Sub: "v"}, user{Sub: "v"})
	if err := b.Revoke(ctx, other.Access); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CheckAccess(ctx, other.Access); !errors.Is(err, issuer.ErrRevoked) {
		t.Fatalf("logout on one instance, check on the other: %v", err)
	}
	if _, err := a.CheckRefresh(ctx, other.Refresh); !errors.Is(err, issuer.ErrRevoked) {
		t.Fatalf("refresh token of the logged-out session: %v", err)
	}
	if err := a.RevokeSubject(ctx, "w"); err != nil {
		t.Fatal(err)
	}
}

type user struct {
	Sub string `json:"sub" validate:"required"`
}

// Many goroutines on two issuers race to refresh one token: exactly one wins.
func TestConcurrentRefreshAcrossIssuers(t *testing.T) {
	addr := redistest.Addr(t)
	store := newStore(t, addr)
	key, _ := issuer.NewHMACKey("k1", issuer.HS256, []byte("0123456789abcdef0123456789abcdef"))
	var isss []*issuer.Issuer[user, user]
	for range 2 {
		iss, err := issuer.New[user, user](issuer.Config{Keys: issuer.KeySet{Signing: key}, Store: store})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { iss.Close() })
		isss = append(isss, iss)
	}
	login, _ := isss[0].CreateTokens(t.Context(), user{Sub: "u"}, user{Sub: "u"})
	var (
		wg        sync.WaitGroup
		won, lost atomic.Int64
	)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := isss[i%2].Refresh(t.Context(), login.Refresh, func(u user) (user, user, error) { return u, u, nil })
			switch {
			case err == nil:
				won.Add(1)
			case errors.Is(err, issuer.ErrReused), errors.Is(err, issuer.ErrRevoked):
				lost.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if won.Load() != 1 || lost.Load() != 39 {
		t.Fatalf("%d won, %d refused", won.Load(), lost.Load())
	}
}

// Redis down: every call fails with an error, none panics; back up, it works.
func TestRedisDownAndBack(t *testing.T) {
	srv := redistest.Start(t)
	s := newStore(t, srv.Addr)
	ctx := t.Context()
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	if err := s.Ping(ctx); err == nil {
		t.Fatal("Ping succeeded with Redis down")
	}
	if _, err := s.Revoked(ctx, issuer.Query{ID: []byte("x")}); err == nil {
		t.Fatal("Revoked succeeded with Redis down")
	}
	if _, err := s.UseRefresh(ctx, "x", time.Now(), time.Now().Add(time.Hour), 0); err == nil {
		t.Fatal("UseRefresh succeeded with Redis down")
	}
	if err := s.Revoke(ctx, issuer.Revocation{ID: "x", Until: time.Now().Add(time.Hour)}); err == nil {
		t.Fatal("Revoke succeeded with Redis down")
	}
	srv.Restart()
	deadline := time.Now().Add(5 * time.Second)
	for s.Ping(ctx) != nil {
		if time.Now().After(deadline) {
			t.Fatal("the store did not recover")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := s.Revoke(ctx, issuer.Revocation{ID: "x", Until: time.Now().Add(time.Hour)}); err != nil {
		t.Fatalf("Revoke after the restart (scripts are gone from Redis): %v", err)
	}
	if r, err := s.UseRefresh(ctx, "y", time.Now(), time.Now().Add(time.Hour), 0); err != nil || r != issuer.UseFirst {
		t.Fatalf("UseRefresh after the restart: %v %v", r, err)
	}
}
