package issuer

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"
	"unicode/utf8"
)

// Config holds everything an Issuer needs. A zero field means its default.
// New copies the Config; changing it afterwards has no effect.
type Config struct {
	// Keys signs and verifies tokens. Required. Replace it at run time with
	// Issuer.SetKeys.
	Keys KeySet

	// Issuer is written to the iss claim of every token and, when set, a
	// checked token must carry exactly this iss. Optional. Default: "" (no
	// iss written or checked).
	Issuer string

	// Audience is written to the aud claim of every token and, when set, a
	// checked token's aud (a string or an array of strings) must contain it.
	// Optional. Default: "" (no aud written or checked).
	Audience string

	// AccessTTL is the lifetime of access tokens (exp - iat).
	// Optional. Default: 15 minutes.
	AccessTTL time.Duration

	// RefreshTTL is the lifetime of refresh tokens.
	// Optional. Default: 14 days.
	RefreshTTL time.Duration

	// Leeway is the clock skew tolerated when exp, nbf and iat are checked.
	// Optional. Default: 0.
	Leeway time.Duration

	// MaxTokenSize is the longest token, in bytes, that is looked at; a longer
	// one is refused with ErrTooLarge before any decoding.
	// Optional. Default: 8192.
	MaxTokenSize int

	// AllowWeakKeys accepts HMAC secrets shorter than their hash output and
	// RSA keys under 2048 bits. Only for migrating a deployment whose existing
	// tokens were signed with such a key. An empty secret is always refused.
	// Optional. Default: false.
	AllowWeakKeys bool

	// Compat makes tokens that quick_jwt (PyJWT) would make: header
	// {"alg":"HS256","typ":"JWT"} (with the signing key's algorithm) without
	// kid, the payload alone as claims
	// (no exp, iat, jti, type marker), byte for byte. Checks then accept
	// tokens without registered claims (exp, nbf and iat are still checked
	// when present) and, as in quick_jwt, an untyped access token passes a
	// refresh check and the other way round. Only for migrations.
	// Optional. Default: false.
	Compat bool

	// Store keeps revocations and the used refresh tokens. Optional.
	// Default: a MemoryStore that the Issuer owns and closes in Close; use
	// issuer/redisstore to share them between instances.
	Store Store

	// ReuseGrace lets a client that lost the answer to a refresh use the
	// same refresh token once more within this time of its first use,
	// without the family being revoked. Optional. Default: 0 (none).
	ReuseGrace time.Duration

	// DisableRotation stops Refresh from recording refresh tokens as used,
	// so that a refresh token can be replayed until it expires, as in
	// quick_jwt. Optional. Default: false (rotation with reuse detection).
	DisableRotation bool

	// Now is the clock. Optional. Default: time.Now.
	Now func() time.Time

	// Rand is the source of token ids (jti) and family ids. It must be
	// cryptographically secure in production; tests and examples inject a
	// fixed one. Optional. Default: crypto/rand.
	Rand io.Reader

	// Logger receives key rotations and store errors, never one line per
	// token. Optional. Default: a logger that discards.
	Logger *slog.Logger
}

// Defaults of Config.
const (
	DefaultAccessTTL    = 15 * time.Minute
	DefaultRefreshTTL   = 14 * 24 * time.Hour
	DefaultMaxTokenSize = 8 << 10
)

// withDefaults returns a copy of c with every zero field filled in.
func (c Config) withDefaults() Config {
	if c.AccessTTL == 0 {
		c.AccessTTL = DefaultAccessTTL
	}
	if c.RefreshTTL == 0 {
		c.RefreshTTL = DefaultRefreshTTL
	}
	if c.MaxTokenSize == 0 {
		c.MaxTokenSize = DefaultMaxTokenSize
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	c.Keys.Verify = append([]Key(nil), c.Keys.Verify...)
	return c
}

// Validate reports every problem of the config at once, each wrapped in
// ErrInvalidConfig (or ErrInvalidKey / ErrWeakKey for the keys). It does not
// fill in defaults.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...)))
	}
	if c.AccessTTL < 0 {
		bad("AccessTTL %v is negative", c.AccessTTL)
	}
	if c.RefreshTTL < 0 {
		bad("RefreshTTL %v is negative", c.RefreshTTL)
	}
	if c.Leeway < 0 {
		bad("Leeway %v is negative", c.Leeway)
	}
	if c.ReuseGrace < 0 {
		bad("ReuseGrace %v is negative", c.ReuseGrace)
	}
	if c.MaxTokenSize < 0 {
		bad("MaxTokenSize %d is negative", c.MaxTokenSize)
	}
	if !utf8.ValidString(c.Issuer) {
		bad("Issuer is not valid UTF-8")
	}
	if !utf8.ValidString(c.Audience) {
		bad("Audience is not valid UTF-8")
	}
	if err := c.Keys.check(c.AllowWeakKeys); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
