package issuer

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"
	"unsafe"
)

// idLen is the size of a token id (jti) or family id: 128 random bits.
const idLen = 16

// SignPair signs an access and a refresh token into p, replacing the contents
// of p.Access and p.Refresh and reusing their capacity. Both payloads are
// validated first. The pair shares a new family id (fam) and one reading of
// the clock. With an HMAC key and payload types that implement JSONAppender
// (and have no validate tags, or check themselves with PayloadValidator), it
// allocates nothing.
func (i *Issuer[A, R]) SignPair(p *Pair, access A, refresh R) error {
	var err error
	p.Access, p.Refresh, err = i.signPairIn(p.Access[:0], p.Refresh[:0], false, access, refresh, "")
	return err
}

// signPairIn signs a pair in family fam (base64url), or in a new family when
// fam is empty: the access token appended to a, the refresh token to b, or
// with shared to a after the access token (then b comes back holding both).
func (i *Issuer[A, R]) signPairIn(a, b []byte, shared bool, access A, refresh R, fam string) ([]byte, []byte, error) {
	pa, pr := i.access.get(), i.refresh.get()
	*pa, *pr = access, refresh
	a, b, err := i.signPair(a, b, shared, pa, pr, fam)
	i.access.put(pa)
	i.refresh.put(pr)
	return a, b, err
}

func (i *Issuer[A, R]) signPair(a, b []byte, shared bool, pa *A, pr *R, fam string) ([]byte, []byte, error) {
	if i.closed.Load() {
		return a, b, ErrClosed
	}
	if err := i.access.validate(pa, false); err != nil {
		return a, b, err
	}
	if err := i.refresh.validate(pr, false); err != nil {
		return a, b, err
	}
	sc := i.getScratch()
	defer i.putScratch(sc)
	ids, err := i.random(sc, 3)
	if err != nil {
		return a, b, err
	}
	famID := sc.fam[:0]
	if fam == "" {
		famID = appendB64(famID, ids[2*idLen:])
	} else {
		famID = append(famID, fam...)
	}
	r, now := i.ring.Load(), i.cfg.Now()
	payload, err := i.access.encode(pa, sc)
	if err != nil {
		return a, b, err
	}
	if a, err = i.signToken(a, r.signing, Access, now, ids[:idLen], famID, payload, sc); err != nil {
		return a, b, err
	}
	if payload, err = i.refresh.encode(pr, sc); err != nil {
		return a, b, err
	}
	if shared {
		b = a
	}
	b, err = i.signToken(b, r.signing, Refresh, now, ids[idLen:2*idLen], famID, payload, sc)
	return a, b, err
}

// AppendAccessToken appends a signed access token to dst.
func (i *Issuer[A, R]) AppendAccessToken(dst []byte, access A) ([]byte, error) {
	return signOne(&i.core, dst, i.access, access, Access)
}

// AppendRefreshToken appends a signed refresh token, which starts a new
// family, to dst.
func (i *Issuer[A, R]) AppendRefreshToken(dst []byte, refresh R) ([]byte, error) {
	return signOne(&i.core, dst, i.refresh, refresh, Refresh)
}

func signOne[P any](c *core, dst []byte, cd *codec[P], payload P, t TokenType) ([]byte, error) {
	if c.closed.Load() {
		return dst, ErrClosed
	}
	pp := cd.get()
	defer cd.put(pp)
	*pp = payload
	if err := cd.validate(pp, false); err != nil {
		return dst, err
	}
	sc := c.getScratch()
	defer c.putScratch(sc)
	ids, err := c.random(sc, 2)
	if err != nil {
		return dst, err
	}
	var fam []byte
	if t == Refresh {
		fam = appendB64(sc.fam[:0], ids[idLen:])
	}
	js, err := cd.encode(pp, sc)
	if err != nil {
		return dst, err
	}
	return c.signToken(dst, c.ring.Load().signing, t, c.cfg.Now(), ids[:idLen], fam, js, sc)
}

// Refresh checks a refresh token and issues a new pair in the same family:
// next maps the old refresh payload to the payloads of the new pair.
//
// Refresh tokens rotate (RFC 9700 section 4.14.2): the first use of a refresh
// token is recorded in the Store, and a later use of the same token is taken
// for a replay by a thief: the whole family is revoked, the replayed token,
// the newest one and the access tokens issued from them alike, and Refresh
// returns ErrReused. Config.ReuseGrace lets a client that lost the answer
// retry once within that time. Of concurrent refreshes with one token exactly
// one succeeds (with no grace). Config.DisableRotation turns this off; tokens
// without jti (Compat) are not rotated.
func (i *Issuer[A, R]) Refresh(ctx context.Context, token string, next func(old R) (A, R, error)) (Tokens, error) {
	var cl Claims
	old, err := check(&i.core, ctx, token, Refresh, i.refresh, &cl)
	if err != nil {
		return Tokens{}, err // a store failure fails closed here
	}
	a, r, err := next(old)
	if err != nil {
		return Tokens{}, err
	}
	// Sign before recording the use, so that a failure to sign (an invalid
	// new payload) does not spend the token.
	t, err := i.createTokens(a, r, cl.Family)
	if err != nil || i.cfg.DisableRotation || cl.ID == "" {
		return t, err
	}
	now := i.cfg.Now()
	until := cl.ExpiresAt.Add(i.cfg.Leeway)
	if cl.ExpiresAt.IsZero() {
		until = now.Add(i.cfg.RefreshTTL)
	}
	use, err := i.store.UseRefresh(ctx, cl.ID, now, until, i.cfg.ReuseGrace)
	if err != nil {
		return Tokens{}, fmt.Errorf("%w: %v", ErrStore, err)
	}
	if use != UseReplay {
		return t, nil
	}
	i.log.LogAttrs(ctx, slog.LevelWarn, "refresh token reused: revoking its family",
		slog.String("fam", cl.Family), slog.String("sub", cl.Subject), slog.String("jti", cl.ID))
	if cl.Family != "" {
		if err := i.store.Revoke(ctx, Revocation{ID: cl.Family, Until: now.Add(i.familyLife())}); err != nil {
			return Tokens{}, fmt.Errorf("%w: %v", ErrStore, err)
		}
	}
	return Tokens{}, ErrReused
}

// pairBufs backs CreateTokens: both tokens in one buffer, so that one string
// conversion serves both.
type pairBufs struct{ joined []byte }

var pairPool = sync.Pool{New: func() any { return new(pairBufs) }}

// CreateTokens validates both payloads and returns a signed access and
// refresh token, as quick_jwt's create_jwt_tokens does. The two tokens share
// a new family.
func (i *Issuer[A, R]) CreateTokens(ctx context.Context, access A, refresh R) (Tokens, error) {
	return i.createTokens(access, refresh, "")
}

func (i *Issuer[A, R]) createTokens(access A, refresh R, fam string) (Tokens, error) {
	b := pairPool.Get().(*pairBufs)
	defer pairPool.Put(b)
	access1, both, err := i.signPairIn(b.joined[:0], nil, true, access, refresh, fam)
	if err != nil {
		return Tokens{}, err
	}
	b.joined = both
	s := string(both)
	n := len(access1)
	return Tokens{Access: s[:n], Refresh: s[n:]}, nil
}

// CreateAccessToken validates the payload and returns a signed access token.
func (i *Issuer[A, R]) CreateAccessToken(ctx context.Context, access A) (string, error) {
	b := pairPool.Get().(*pairBufs)
	defer pairPool.Put(b)
	var err error
	b.joined, err = i.AppendAccessToken(b.joined[:0], access)
	if err != nil {
		return "", err
	}
	return string(b.joined), nil
}

// CreateRefreshToken validates the payload and returns a signed refresh token
// that starts a new family.
func (i *Issuer[A, R]) CreateRefreshToken(ctx context.Context, refresh R) (string, error) {
	b := pairPool.Get().(*pairBufs)
	defer pairPool.Put(b)
	var err error
	b.joined, err = i.AppendRefreshToken(b.joined[:0], refresh)
	if err != nil {
		return "", err
	}
	return string(b.joined), nil
}

// random fills n ids from the configured source.
func (c *core) random(sc *scratch, n int) ([]byte, error) {
	b := sc.rnd[:n*idLen]
	if c.cfg.Rand == nil {
		_, _ = rand.Read(b) // never fails: crypto/rand.Read crashes the program instead
		return b, nil
	}
	if _, err := io.ReadFull(c.cfg.Rand, b); err != nil {
		return nil, fmt.Errorf("issuer: reading random token id: %w", err)
	}
	return b, nil
}

// signToken appends one compact token: header, claims, signature. payload is
// the payload's JSON object. In Compat mode the claims are the payload alone,
// re-encoded as Python writes it.
func (c *core) signToken(dst []byte, k *ringKey, t TokenType, now time.Time, jti, fam, payload []byte, sc *scratch) ([]byte, error) {
	cl := sc.claims[:0]
	if c.cfg.Compat {
		t = Untyped
		cl = appendPython(cl, payload)
	} else {
		ttl := c.cfg.AccessTTL
		if t == Refresh {
			ttl = c.cfg.RefreshTTL
		}
		iat := now.Unix()
		cl = append(cl, '{')
		cl = append(cl, c.prefix...)
		cl = append(cl, `"iat":`...)
		n := len(cl)
		cl = strconv.AppendInt(cl, iat, 10)
		iatEnd := len(cl)
		cl = append(cl, `,"nbf":`...)
		cl = append(cl, cl[n:iatEnd]...) // nbf is iat: format it once
		cl = append(cl, `,"exp":`...)
		cl = strconv.AppendInt(cl, expiry(now, ttl), 10)
		cl = append(cl, `,"jti":"`...)
		cl = appendB64(cl, jti)
		cl = append(cl, '"')
		if fam != nil {
			// A family read from a token is escaped like any string.
			cl = append(cl, `,"fam":`...)
			cl = appendString(cl, unsafe.String(unsafe.SliceData(fam), len(fam)), false)
		}
		if inner := trimWS(payload[1 : len(payload)-1]); len(inner) > 0 {
			cl = append(cl, ',')
			cl = append(cl, inner...)
		}
		cl = append(cl, '}')
	}
	sc.claims = cl
	start := len(dst)
	dst = append(dst, k.hdr[t]...)
	dst = append(dst, '.')
	dst = appendB64(dst, cl)
	input := dst[start:]
	dst = append(dst, '.')
	return k.appendSignature(dst, input)
}

// expiry is now+ttl in whole seconds, rounded up, so that a token lives at
// least its TTL even though NumericDates drop the fraction of a second.
func expiry(now time.Time, ttl time.Duration) int64 {
	end := now.Add(ttl)
	if end.Nanosecond() != 0 {
		return end.Unix() + 1
	}
	return end.Unix()
}

func trimWS(b []byte) []byte {
	for len(b) > 0 && isWS(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isWS(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func isWS(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
