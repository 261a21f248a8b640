package issuer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	json "github.com/goccy/go-json"
)

// Tokens is a pair of tokens as quick_jwt's create_jwt_tokens returns it. It
// marshals to exactly {"access":"…","refresh":"…"}.
type Tokens struct {
	Access  string `json:"access"`
	Refresh string `json:"refresh"`
}

// Pair holds the two tokens of a pair as bytes. SignPair replaces their
// contents and reuses their capacity, so a Pair kept by the caller makes
// signing allocation-free. A Pair must not be used by two goroutines at once.
type Pair struct {
	Access  []byte
	Refresh []byte
}

// Claims are the registered claims of a checked token.
type Claims struct {
	Type      TokenType `json:"typ"`           // from the typ header
	KeyID     string    `json:"kid"`           // kid header
	Issuer    string    `json:"iss,omitempty"` // iss
	Subject   string    `json:"sub,omitempty"` // sub, when the payload has one
	Audience  []string  `json:"aud,omitempty"` // aud, as a list even when the token has one string
	ID        string    `json:"jti,omitempty"` // jti
	Family    string    `json:"fam,omitempty"` // fam: the refresh family a pair belongs to
	IssuedAt  time.Time `json:"iat"`           // iat; zero when absent
	NotBefore time.Time `json:"nbf"`           // nbf; zero when absent
	ExpiresAt time.Time `json:"exp"`           // exp; zero when absent
}

// Issuer creates and checks typed token pairs: access tokens carrying a
// payload of type A and refresh tokens carrying a payload of type R. Both must
// be struct types. An Issuer is safe for concurrent use; SetKeys may run while
// tokens are signed and checked.
type Issuer[A, R any] struct {
	core
	access  *codec[A]
	refresh *codec[R]
}

// core is the part of an Issuer that does not depend on the payload types.
type core struct {
	cfg      Config
	ring     atomic.Pointer[ring]
	store    Store
	ownStore *MemoryStore // the store New made, closed by Close
	log      *slog.Logger
	prefix   []byte // `"iss":"…","aud":"…",` written at the start of every claims object
	scratch  sync.Pool
	closed   atomic.Bool
}

// New checks cfg and the payload types, and returns an Issuer. A payload field
// whose JSON name is a registered claim the issuer writes (iss, aud, exp, nbf,
// iat, jti, fam; compared without regard to case, as JSON decoding matches
// them) is reported here rather than silently overwritten.
func New[A, R any](cfg Config) (*Issuer[A, R], error) {
	cfg = cfg.withDefaults()
	var errs []error
	if err := cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	v := newValidator()
	ac, err := newCodec[A](v, cfg.Compat)
	if err != nil {
		errs = append(errs, fmt.Errorf("access payload: %w", err))
	}
	rc, err := newCodec[R](v, cfg.Compat)
	if err != nil {
		errs = append(errs, fmt.Errorf("refresh payload: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	r, err := newRing(cfg.Keys)
	if err != nil {
		return nil, err
	}
	iss := &Issuer[A, R]{access: ac, refresh: rc}
	c := &iss.core
	c.cfg, c.log, c.store = cfg, cfg.Logger, cfg.Store
	if c.store == nil {
		c.ownStore = NewMemoryStore(MemoryStoreConfig{Now: cfg.Now})
		c.store = c.ownStore
	}
	c.ring.Store(r)
	if cfg.Issuer != "" {
		c.prefix = append(c.prefix, `"iss":`...)
		c.prefix = appendString(c.prefix, cfg.Issuer, false)
		c.prefix = append(c.prefix, ',')
	}
	if cfg.Audience != "" {
		c.prefix = append(c.prefix, `"aud":`...)
		c.prefix = appendString(c.prefix, cfg.Audience, false)
		c.prefix = append(c.prefix, ',')
	}
	c.scratch.New = func() any {
		sc := &scratch{}
		sc.enc = json.NewEncoder(sc)
		sc.enc.SetEscapeHTML(false)
		return sc
	}
	return iss, nil
}

// SetKeys replaces the key set atomically: tokens signed from then on carry
// the new signing key's kid, and tokens signed by any key of the new set
// verify. Signing and checking never wait for it. An invalid set is refused
// and the current one stays.
func (c *core) SetKeys(ks KeySet) error {
	ks.Verify = append([]Key(nil), ks.Verify...)
	if err := ks.check(c.cfg.AllowWeakKeys); err != nil {
		return err
	}
	r, err := newRing(ks)
	if err != nil {
		return err
	}
	c.ring.Store(r)
	c.log.LogAttrs(context.Background(), slog.LevelInfo, "issuer keys replaced",
		slog.String("kid", ks.Signing.id), slog.Int("verify_only", len(ks.Verify)))
	return nil
}

// Keys returns the current key set.
func (c *core) Keys() KeySet {
	ks := c.ring.Load().set
	ks.Verify = append([]Key(nil), ks.Verify...)
	return ks
}

// JWKS returns the current key set's public keys as a JWKS document (RFC
// 7517). It is rendered when keys change, not on each call.
func (c *core) JWKS() string { return c.ring.Load().jwks }

// Store returns the revocation store the Issuer checks.
func (c *core) Store() Store { return c.store }

// Close stops the Issuer's own store, if it made one. Create and check calls
// made after Close fail with ErrClosed. Close is idempotent.
func (c *core) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	if c.ownStore != nil {
		return c.ownStore.Close()
	}
	return nil
}

// AccessTTL returns the lifetime of access tokens.
func (c *core) AccessTTL() time.Duration { return c.cfg.AccessTTL }

// RefreshTTL returns the lifetime of refresh tokens.
func (c *core) RefreshTTL() time.Duration { return c.cfg.RefreshTTL }

// scratch holds the buffers of one sign or check call. Pooled per Issuer.
type scratch struct {
	claims  []byte // claims JSON of the token being built, or decoded from a token
	payload []byte // the payload's JSON
	sig     []byte // decoded signature
	hdr     []byte // decoded header
	rnd     [3 * idLen]byte
	fam     [64]byte      // base64url family id of the pair being signed
	enc     *json.Encoder // writes into payload
}

// Write lets the JSON encoder append to sc.payload.
func (sc *scratch) Write(p []byte) (int, error) {
	sc.payload = append(sc.payload, p...)
	return len(p), nil
}

// maxPooledBuf keeps a token that was once huge from pinning its buffers.
const maxPooledBuf = 64 << 10

func (c *core) getScratch() *scratch { return c.scratch.Get().(*scratch) }

func (c *core) putScratch(sc *scratch) {
	if cap(sc.claims) > maxPooledBuf || cap(sc.payload) > maxPooledBuf || cap(sc.sig) > maxPooledBuf || cap(sc.hdr) > maxPooledBuf {
		return
	}
	c.scratch.Put(sc)
}
