package issuer_test

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/quickjwt/quickjwt/issuer"
)

func TestMemoryStore(t *testing.T) {
	clk := newClock()
	s := issuer.NewMemoryStore(issuer.MemoryStoreConfig{Now: clk.Now, SweepInterval: time.Hour})
	defer s.Close()
	revoked := func(id string) bool {
		t.Helper()
		ok, err := s.Revoked(ctx, []byte(id))
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if revoked("a") {
		t.Fatal("unknown id reported revoked")
	}
	s.Revoke(ctx, "a", t0.Add(time.Minute))
	s.Revoke(ctx, "b", t0.Add(time.Hour))
	s.Revoke(ctx, "past", t0.Add(-time.Second)) // already expired: nothing to keep
	if !revoked("a") || !revoked("b") || revoked("past") || s.Len() != 2 {
		t.Fatalf("after Revoke: a %v, b %v, past %v, len %d", revoked("a"), revoked("b"), revoked("past"), s.Len())
	}
	s.Revoke(ctx, "a", t0.Add(-time.Hour)) // an earlier time does not shorten it
	s.Revoke(ctx, "b", t0.Add(2*time.Hour))
	clk.Add(time.Minute)
	if revoked("a") {
		t.Error("a outlived its expiry")
	}
	clk.Add(90 * time.Minute)
	if !revoked("b") {
		t.Error("b's later expiry was not kept")
	}
	s.Sweep()
	if s.Len() != 1 {
		t.Errorf("after Sweep: %d entries, want 1", s.Len())
	}
}

func TestMemoryStoreConcurrent(t *testing.T) {
	s := issuer.NewMemoryStore(issuer.MemoryStoreConfig{SweepInterval: time.Millisecond})
	defer s.Close()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				id := fmt.Sprintf("%d-%d", g, i)
				s.Revoke(ctx, id, time.Now().Add(time.Hour))
				if ok, _ := s.Revoked(ctx, []byte(id)); !ok {
					t.Errorf("%s not revoked", id)
					return
				}
			}
		}()
	}
	wg.Wait()
	if s.Len() != 8000 {
		t.Fatalf("len %d, want 8000", s.Len())
	}
}

func TestMemoryStoreCloseStopsSweeper(t *testing.T) {
	before := runtime.NumGoroutine()
	stores := make([]*issuer.MemoryStore, 20)
	for i := range stores {
		stores[i] = issuer.NewMemoryStore(issuer.MemoryStoreConfig{})
	}
	for _, s := range stores {
		s.Close()
		s.Close() // idempotent
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines after Close, %d before", n, before)
	}
	// An Issuer closes the store it made itself.
	before = runtime.NumGoroutine()
	iss, err := issuer.New[User, User](issuer.Config{Keys: issuer.KeySet{Signing: mustHMAC(t, "k", secret32)}})
	if err != nil {
		t.Fatal(err)
	}
	iss.Close()
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("Issuer.Close left %d goroutines, %d before", n, before)
	}
}
