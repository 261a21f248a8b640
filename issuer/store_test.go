package issuer_test

import (
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/quickjwt/quickjwt/issuer"
	"github.com/quickjwt/quickjwt/issuer/storetest"
)

func TestMemoryStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) issuer.Store {
		s := issuer.NewMemoryStore(issuer.MemoryStoreConfig{SweepInterval: 50 * time.Millisecond})
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestMemoryStoreSweepAndBound(t *testing.T) {
	clk := newClock()
	s := issuer.NewMemoryStore(issuer.MemoryStoreConfig{Now: clk.Now, SweepInterval: time.Hour, MaxEntries: 64 * 4})
	defer s.Close()
	for i := range 64 * 4 {
		if err := s.Revoke(ctx, issuer.Revocation{ID: fmt.Sprint("id-", i), Until: t0.Add(time.Minute)}); err != nil && !errors.Is(err, issuer.ErrStoreFull) {
			t.Fatal(err)
		}
	}
	// The bound is kept per shard: some shard fills up before the total does.
	full := 0
	for i := range 1000 {
		if err := s.Revoke(ctx, issuer.Revocation{ID: fmt.Sprint("more-", i), Until: t0.Add(time.Minute)}); errors.Is(err, issuer.ErrStoreFull) {
			full++
		}
	}
	if full == 0 || s.Len() > 64*4 {
		t.Fatalf("bound not kept: %d entries, %d refusals", s.Len(), full)
	}
	if _, err := s.UseRefresh(ctx, "x", t0, t0.Add(time.Minute), 0); err != nil && !errors.Is(err, issuer.ErrStoreFull) {
		t.Fatal(err)
	}
	// Once the entries expire and are swept, there is room again.
	clk.Add(2 * time.Minute)
	s.Sweep()
	if s.Len() != 0 {
		t.Fatalf("%d entries after the sweep", s.Len())
	}
	if err := s.Revoke(ctx, issuer.Revocation{ID: "again", Until: clk.Now().Add(time.Minute)}); err != nil {
		t.Fatal(err)
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
