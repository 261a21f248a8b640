package issuer

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// Store keeps what an Issuer must remember about tokens it has issued:
// revoked token ids and families, subjects logged out everywhere, and the
// refresh tokens already used. Every entry expires with the tokens it
// describes. Implementations must be safe for concurrent use; MemoryStore
// serves one process, issuer/redisstore many.
type Store interface {
	// Revoke denylists each id (a jti or a family) until its time.
	Revoke(ctx context.Context, revs ...Revocation) error
	// RevokeSubject refuses the tokens of sub issued at or before the second
	// of before, until the time until.
	RevokeSubject(ctx context.Context, sub string, before, until time.Time) error
	// Revoked reports whether the token q describes is revoked: by its id,
	// its family, or its subject. The byte slices are only valid during the
	// call.
	Revoked(ctx context.Context, q Query) (bool, error)
	// UseRefresh records that the refresh token jti is being used, at now,
	// and keeps the record until until. It must be atomic: of concurrent
	// calls for one jti, exactly one gets UseFirst (or, within grace of the
	// first use, one more gets UseRetry).
	UseRefresh(ctx context.Context, jti string, now, until time.Time, grace time.Duration) (UseResult, error)
	// Ping reports whether the store answers.
	Ping(ctx context.Context) error
}

// Revocation is one denylisted id and how long to keep it.
type Revocation struct {
	ID    string
	Until time.Time
}

// Query describes a token for Store.Revoked. Empty fields are not looked up.
type Query struct {
	ID       []byte    // jti
	Family   []byte    // fam
	Subject  []byte    // sub
	IssuedAt time.Time // iat, compared with a subject's cutoff
}

// UseResult says what a refresh token's use is.
type UseResult uint8

// Results of Store.UseRefresh.
const (
	// UseFirst is the first use of the refresh token.
	UseFirst UseResult = iota
	// UseRetry is a second use within the grace period of the first, by a
	// client that lost the answer; it is allowed once.
	UseRetry
	// UseReplay is a use after the first (and its retry): the token was
	// stolen or replayed, and its family must die.
	UseReplay
)

// String names the result.
func (r UseResult) String() string {
	switch r {
	case UseFirst:
		return "first"
	case UseRetry:
		return "retry"
	}
	return "replay"
}

// ErrStoreFull is returned by a MemoryStore that holds MaxEntries entries. An
// issuer reports it as ErrStore: nothing is forgotten to make room.
var ErrStoreFull = errors.New("issuer: memory store full")

// MemoryStoreConfig configures a MemoryStore.
type MemoryStoreConfig struct {
	// SweepInterval is how often expired entries are dropped.
	// Optional. Default: 1 minute.
	SweepInterval time.Duration
	// MaxEntries bounds the entries kept. When it is reached, new entries
	// are refused with ErrStoreFull until expired ones are swept: a store
	// that forgets a revocation would let a revoked token through.
	// Optional. Default: 4,000,000 (about 0.4 GiB at the 80 to 100 bytes an
	// entry takes; see bench/README.md).
	MaxEntries int
	// Now is the clock. Optional. Default: time.Now.
	Now func() time.Time
}

const (
	memShards         = 64
	defaultMaxEntries = 4_000_000
)

// MemoryStore is the in-process Store: sharded maps whose entries expire with
// the tokens they describe, bounded by MaxEntries. A background sweeper drops
// expired entries until Close. Safe for concurrent use.
type MemoryStore struct {
	shards [memShards]memShard
	// ids and subjects count the entries of each kind, so that a check can
	// skip the lookups of a kind the store holds none of (no lock taken).
	ids, subjects atomic.Int64
	now           func() time.Time
	max           int64
	stop          chan struct{}
	done          chan struct{}
	once          sync.Once
}

type memShard struct {
	mu       sync.RWMutex
	revoked  map[string]int64    // id -> expiry, Unix ns
	subjects map[string]subEntry // sub -> cutoff
	used     map[string]useEntry // refresh jti -> first use
	n        int64               // entries in the three maps
	_        [24]byte            // keep shards on separate cache lines
}

type subEntry struct{ cutoff, exp int64 } // cutoff: Unix seconds; exp: Unix ns

type useEntry struct {
	first, exp int64 // Unix ns
	retried    bool
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
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = defaultMaxEntries
	}
	s := &MemoryStore{now: cfg.Now, max: int64(cfg.MaxEntries), stop: make(chan struct{}), done: make(chan struct{})}
	for i := range s.shards {
		sh := &s.shards[i]
		sh.revoked, sh.subjects, sh.used = map[string]int64{}, map[string]subEntry{}, map[string]useEntry{}
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

// full reports whether one more entry would pass the bound. It is checked
// per shard against an even share of it, so no global counter is contended.
func (s *MemoryStore) full(sh *memShard) bool { return sh.n >= s.max/memShards }

// Revoke denylists each id until its time; a later time extends an entry.
func (s *MemoryStore) Revoke(_ context.Context, revs ...Revocation) error {
	now := s.now().UnixNano()
	for _, r := range revs {
		exp := r.Until.UnixNano()
		if exp <= now {
			continue
		}
		sh := s.shard(bytesOf(r.ID))
		sh.mu.Lock()
		old, ok := sh.revoked[r.ID]
		switch {
		case ok && exp > old:
			sh.revoked[r.ID] = exp
		case !ok && s.full(sh):
			sh.mu.Unlock()
			return ErrStoreFull
		case !ok:
			sh.revoked[r.ID] = exp
			sh.n++
			s.ids.Add(1)
		}
		sh.mu.Unlock()
	}
	return nil
}

// RevokeSubject refuses sub's tokens issued at or before the second of before.
func (s *MemoryStore) RevokeSubject(_ context.Context, sub string, before, until time.Time) error {
	e := subEntry{cutoff: before.Unix(), exp: until.UnixNano()}
	if e.exp <= s.now().UnixNano() {
		return nil
	}
	sh := s.shard(bytesOf(sub))
	sh.mu.Lock()
	defer sh.mu.Unlock()
	old, ok := sh.subjects[sub]
	if !ok && s.full(sh) {
		return ErrStoreFull
	}
	if ok {
		e.cutoff, e.exp = max(e.cutoff, old.cutoff), max(e.exp, old.exp)
	} else {
		sh.n++
		s.subjects.Add(1)
	}
	sh.subjects[sub] = e
	return nil
}

// Revoked reports whether q's id, family or subject is revoked. It reads the
// clock only when an entry is found.
func (s *MemoryStore) Revoked(_ context.Context, q Query) (bool, error) {
	for _, id := range [2][]byte{q.ID, q.Family} {
		if len(id) == 0 || s.ids.Load() == 0 {
			continue
		}
		sh := s.shard(id)
		sh.mu.RLock()
		exp, ok := sh.revoked[string(id)]
		sh.mu.RUnlock()
		if ok && exp > s.now().UnixNano() {
			return true, nil
		}
	}
	if len(q.Subject) > 0 && s.subjects.Load() > 0 {
		sh := s.shard(q.Subject)
		sh.mu.RLock()
		e, ok := sh.subjects[string(q.Subject)]
		sh.mu.RUnlock()
		if ok && q.IssuedAt.Unix() <= e.cutoff && e.exp > s.now().UnixNano() {
			return true, nil
		}
	}
	return false, nil
}

// UseRefresh records a refresh token's use; see Store.
func (s *MemoryStore) UseRefresh(_ context.Context, jti string, now, until time.Time, grace time.Duration) (UseResult, error) {
	sh := s.shard(bytesOf(jti))
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e, ok := sh.used[jti]
	if ok && e.exp <= s.now().UnixNano() {
		ok = false // expired, not swept yet: the token it marks is expired too
	}
	switch {
	case !ok:
		if _, exists := sh.used[jti]; !exists {
			if s.full(sh) {
				return UseReplay, ErrStoreFull
			}
			sh.n++
		}
		sh.used[jti] = useEntry{first: now.UnixNano(), exp: until.UnixNano()}
		return UseFirst, nil
	case !e.retried && now.UnixNano()-e.first <= int64(grace) && grace > 0:
		e.retried = true
		sh.used[jti] = e
		return UseRetry, nil
	}
	return UseReplay, nil
}

// Ping always succeeds: the store is in memory.
func (s *MemoryStore) Ping(context.Context) error { return nil }

// Len returns the number of entries, expired ones not yet swept included.
func (s *MemoryStore) Len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.RLock()
		n += int(sh.n)
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
		for id, exp := range sh.revoked {
			if exp <= now {
				delete(sh.revoked, id)
				sh.n--
				s.ids.Add(-1)
			}
		}
		for sub, e := range sh.subjects {
			if e.exp <= now {
				delete(sh.subjects, sub)
				sh.n--
				s.subjects.Add(-1)
			}
		}
		for jti, e := range sh.used {
			if e.exp <= now {
				delete(sh.used, jti)
				sh.n--
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
