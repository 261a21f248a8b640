package issuer

import (
	"context"
	"sync"
	"time"
)

// Store keeps the ids of revoked tokens and families until the tokens they
// describe expire. Implementations must be safe for concurrent use.
type Store interface {
	// Revoke denylists id (a jti or a family id) until the given time.
	Revoke(ctx context.Context, id string, until time.Time) error
	// Revoked reports whether id is denylisted now. id is only valid during
	// the call; copy it to keep it.
	Revoked(ctx context.Context, id []byte) (bool, error)
}

// MemoryStoreConfig configures a MemoryStore.
type MemoryStoreConfig struct {
	// SweepInterval is how often expired entries are dropped.
	// Optional. Default: 1 minute.
	SweepInterval time.Duration
	// Now is the clock. Optional. Default: time.Now.
	Now func() time.Time
}

const memShards = 64

// MemoryStore is the in-process Store: a sharded map whose entries expire
// with the tokens they describe. A background sweeper drops expired entries
// until Close. Safe for concurrent use.
type MemoryStore struct {
	shards [memShards]memShard
	now    func() time.Time
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
}

type memShard struct {
	mu sync.RWMutex
	m  map[string]int64 // id -> expiry, unix nanoseconds
	_  [32]byte         // keep shards on separate cache lines
}

// NewMemoryStore returns a MemoryStore and starts its sweeper; call Close to
// stop it.
func NewMemoryStore(cfg MemoryStoreConfig) *MemoryStore {
	if cfg.SweepInterval <= 0 {
		cfg.SweepInterval = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &MemoryStore{now: cfg.Now, stop: make(chan struct{}), done: make(chan struct{})}
	for i := range s.shards {
		s.shards[i].m = map[string]int64{}
	}
	go s.sweepLoop(cfg.SweepInterval)
	return s
}

func (s *MemoryStore) shard(id []byte) *memShard {
	h := uint32(2166136261) // FNV-1a
	for _, c := range id {
		h = (h ^ uint32(c)) * 16777619
	}
	return &s.shards[h%memShards]
}

// Revoke denylists id until the given time; a later time extends it.
func (s *MemoryStore) Revoke(_ context.Context, id string, until time.Time) error {
	exp := until.UnixNano()
	if exp <= s.now().UnixNano() {
		return nil
	}
	sh := s.shard(bytesOf(id))
	sh.mu.Lock()
	if exp > sh.m[id] {
		sh.m[id] = exp
	}
	sh.mu.Unlock()
	return nil
}

// Revoked reports whether id is denylisted now. It reads the clock only when
// id is found.
func (s *MemoryStore) Revoked(_ context.Context, id []byte) (bool, error) {
	sh := s.shard(id)
	sh.mu.RLock()
	exp, ok := sh.m[string(id)]
	sh.mu.RUnlock()
	return ok && exp > s.now().UnixNano(), nil
}

// Len returns the number of entries, expired ones not yet swept included.
func (s *MemoryStore) Len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.RLock()
		n += len(sh.m)
		sh.mu.RUnlock()
	}
	return n
}

// Sweep drops expired entries now. The sweeper calls it on its own.
func (s *MemoryStore) Sweep() {
	now := s.now().UnixNano()
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for id, exp := range sh.m {
			if exp <= now {
				delete(sh.m, id)
			}
		}
		sh.mu.Unlock()
	}
}

func (s *MemoryStore) sweepLoop(every time.Duration) {
	defer close(s.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.Sweep()
		}
	}
}

// Close stops the sweeper and waits for it. It is idempotent.
func (s *MemoryStore) Close() error {
	s.once.Do(func() { close(s.stop) })
	<-s.done
	return nil
}
