// Package redisstore is an issuer.Store on Redis, so that several instances
// of a service share revocations and refresh-token rotation. It needs Redis
// 6.2 or later (SET ... PXAT) and uses 7.0's PEXPIREAT ... GT when present.
//
// A Store is safe for concurrent use. It does not own the client it is given:
// close that yourself.
//
//	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
//	store := redisstore.New(rdb, redisstore.Config{Prefix: "myapp:jwt:"})
//	iss, err := issuer.New[User, User](issuer.Config{Keys: keys, Store: store})
package redisstore

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/quickjwt/quickjwt/issuer"
	"github.com/redis/go-redis/v9"
)

// Config configures a Store.
type Config struct {
	// Prefix starts every key the store writes: revoked ids under
	// <prefix>r:<id>, subjects under <prefix>s:<sub>, used refresh tokens
	// under <prefix>u:<jti>. Optional. Default: "quickjwt:".
	Prefix string
}

// Store is an issuer.Store on Redis.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
}

var _ issuer.Store = (*Store)(nil)

// New returns a Store on a connected client.
func New(rdb redis.UniversalClient, cfg Config) *Store {
	if cfg.Prefix == "" {
		cfg.Prefix = "quickjwt:"
	}
	return &Store{rdb: rdb, prefix: cfg.Prefix}
}

func (s *Store) key(kind string, id []byte) string {
	b := make([]byte, 0, len(s.prefix)+2+len(id))
	b = append(append(append(b, s.prefix...), kind...), id...)
	return string(b)
}

// Revoke denylists each id until its time, in one round trip. A later time
// extends an entry; an earlier one leaves it.
func (s *Store) Revoke(ctx context.Context, revs ...issuer.Revocation) error {
	now := time.Now()
	pipe := s.rdb.Pipeline()
	n := 0
	for _, r := range revs {
		if !r.Until.After(now) {
			continue
		}
		// EVAL, not EVALSHA: in a pipeline a missing script (after a Redis
		// restart) could not be retried.
		extend.Eval(ctx, pipe, []string{s.key("r:", []byte(r.ID))}, "1", r.Until.UnixMilli())
		n++
	}
	if n == 0 {
		return nil
	}
	_, err := pipe.Exec(ctx)
	return err
}

// nowMS is Redis's own clock, in Unix ms, for the scripts.
const nowMS = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`

// extend sets KEYS[1] to ARGV[1] and makes it expire at ARGV[2] (Unix ms),
// unless it already lives longer.
var extend = redis.NewScript(nowMS + `
local at = tonumber(ARGV[2])
local ttl = redis.call('PTTL', KEYS[1])
if ttl == -2 then
  redis.call('SET', KEYS[1], ARGV[1], 'PXAT', at)
elseif ttl >= 0 and at > now + ttl then
  redis.call('PEXPIREAT', KEYS[1], at)
end
return 0`)

// subject keeps the latest cutoff (Unix seconds) and the latest expiry.
var subject = redis.NewScript(nowMS + `
local cur = redis.call('GET', KEYS[1])
if not cur then
  redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2])
  return 1
end
if tonumber(ARGV[1]) > tonumber(cur) then
  redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL')
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl >= 0 and now + ttl < tonumber(ARGV[2]) then
  redis.call('PEXPIREAT', KEYS[1], ARGV[2])
end
return 0`)

// RevokeSubject refuses sub's tokens issued at or before the second of before.
func (s *Store) RevokeSubject(ctx context.Context, sub string, before, until time.Time) error {
	if !until.After(time.Now()) {
		return nil
	}
	return subject.Run(ctx, s.rdb, []string{s.key("s:", []byte(sub))}, before.Unix(), until.UnixMilli()).Err()
}

// Revoked asks for the id, the family and the subject in one MGET.
func (s *Store) Revoked(ctx context.Context, q issuer.Query) (bool, error) {
	var keys [3]string
	n, sub := 0, -1
	for _, id := range [2][]byte{q.ID, q.Family} {
		if len(id) > 0 {
			keys[n] = s.key("r:", id)
			n++
		}
	}
	if len(q.Subject) > 0 {
		sub = n
		keys[n] = s.key("s:", q.Subject)
		n++
	}
	if n == 0 {
		return false, nil
	}
	vals, err := s.rdb.MGet(ctx, keys[:n]...).Result()
	if err != nil {
		return false, err
	}
	for i, v := range vals {
		if v == nil {
			continue
		}
		if i != sub {
			return true, nil
		}
		str, _ := v.(string)
		cutoff, err := strconv.ParseInt(str, 10, 64)
		if err != nil {
			return false, errors.New("redisstore: a subject entry is not a number")
		}
		if q.IssuedAt.Unix() <= cutoff {
			return true, nil
		}
	}
	return false, nil
}

// use records a refresh token's first use as "<first ms>:<retried 0|1>".
// It returns 0 for the first use, 1 for the retry within grace, 2 for a
// replay; being one script, it is atomic.
var use = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[1] .. ':0', 'PXAT', ARGV[2])
  return 0
end
local sep = string.find(v, ':', 1, true)
local first = tonumber(string.sub(v, 1, sep - 1))
if tonumber(ARGV[3]) > 0 and string.sub(v, sep + 1) == '0' and tonumber(ARGV[1]) - first <= tonumber(ARGV[3]) then
  redis.call('SET', KEYS[1], string.sub(v, 1, sep - 1) .. ':1', 'KEEPTTL')
  return 1
end
return 2`)

// UseRefresh records a refresh token's use atomically; see issuer.Store.
func (s *Store) UseRefresh(ctx context.Context, jti string, now, until time.Time, grace time.Duration) (issuer.UseResult, error) {
	if !until.After(now) {
		until = now.Add(grace + time.Second)
	}
	r, err := use.Run(ctx, s.rdb, []string{s.key("u:", []byte(jti))}, now.UnixMilli(), until.UnixMilli(), grace.Milliseconds()).Int()
	if err != nil {
		return issuer.UseReplay, err
	}
	return issuer.UseResult(r), nil
}

// Ping reports whether Redis answers.
func (s *Store) Ping(ctx context.Context) error { return s.rdb.Ping(ctx).Err() }
