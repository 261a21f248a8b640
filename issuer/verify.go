package issuer

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

// CheckAccess verifies an access token and returns its payload, as quick_jwt's
// access_check_depends does. The payload is decoded and validated like a
// created one. Errors match ErrInvalidToken, and the specific reason (see
// errors.go).
//
// When only the revocation check could not be made, because the Store
// failed, the error matches ErrStore (not ErrInvalidToken) and the payload is
// returned as well: a caller that checks err != nil fails closed, and one that
// chooses to fail open on the revocation check can use it.
func (i *Issuer[A, R]) CheckAccess(ctx context.Context, token string) (A, error) {
	return check(&i.core, ctx, token, Access, i.access, nil)
}

// CheckRefresh verifies a refresh token and returns its payload. An access
// token never passes.
func (i *Issuer[A, R]) CheckRefresh(ctx context.Context, token string) (R, error) {
	return check(&i.core, ctx, token, Refresh, i.refresh, nil)
}

// CheckAccessClaims is CheckAccess that also returns the token's registered
// claims, read in the same pass.
func (i *Issuer[A, R]) CheckAccessClaims(ctx context.Context, token string) (A, Claims, error) {
	var cl Claims
	a, err := check(&i.core, ctx, token, Access, i.access, &cl)
	return a, cl, err
}

// CheckRefreshClaims is CheckRefresh that also returns the token's registered
// claims.
func (i *Issuer[A, R]) CheckRefreshClaims(ctx context.Context, token string) (R, Claims, error) {
	var cl Claims
	r, err := check(&i.core, ctx, token, Refresh, i.refresh, &cl)
	return r, cl, err
}

// Revoke ends the session a token belongs to: it verifies the token (of
// either type, expired or not) and denylists its jti until its exp and, when
// it has one, its family, so that every token of the pair and of its later
// refreshes is refused from then on (RFC 7009 asks as much for a revoked
// refresh token).
func (c *core) Revoke(ctx context.Context, token string) error {
	sc := c.getScratch()
	defer c.putScratch(sc)
	var cl Claims
	if _, err := c.verify(ctx, token, checkMode{anyType: true, skipTime: true, skipRevocation: true}, sc, &cl); err != nil {
		return err
	}
	if cl.ID == "" && cl.Family == "" {
		return fmt.Errorf("%w: a token without jti or fam cannot be revoked", ErrMissingClaim)
	}
	now := c.cfg.Now()
	var revs [2]Revocation
	n := 0
	if cl.ID != "" && cl.ExpiresAt.After(now) {
		revs[n] = Revocation{ID: cl.ID, Until: cl.ExpiresAt.Add(c.cfg.Leeway)}
		n++
	}
	if cl.Family != "" {
		revs[n] = Revocation{ID: cl.Family, Until: now.Add(c.familyLife())}
		n++
	}
	if n == 0 {
		return nil
	}
	if err := c.store.Revoke(ctx, revs[:n]...); err != nil {
		return fmt.Errorf("%w: %v", ErrStore, err)
	}
	return nil
}

// RevokeSubject logs sub out everywhere: every token of sub issued until now
// (to the second) is refused from then on; tokens issued later are not.
func (c *core) RevokeSubject(ctx context.Context, sub string) error {
	if sub == "" {
		return fmt.Errorf("%w: empty subject", ErrInvalidConfig)
	}
	now := c.cfg.Now()
	if err := c.store.RevokeSubject(ctx, sub, now, now.Add(c.familyLife())); err != nil {
		return fmt.Errorf("%w: %v", ErrStore, err)
	}
	return nil
}

// familyLife bounds how long a token issued until now can stay valid: what a
// revocation of a family or subject must outlive.
func (c *core) familyLife() time.Duration {
	return max(c.cfg.AccessTTL, c.cfg.RefreshTTL) + c.cfg.Leeway
}

func check[P any](c *core, ctx context.Context, token string, want TokenType, cd *codec[P], out *Claims) (P, error) {
	var zero P
	sc := c.getScratch()
	cl, err := c.verify(ctx, token, checkMode{want: want}, sc, out)
	if err != nil && !errors.Is(err, ErrStore) {
		c.putScratch(sc)
		return zero, err
	}
	storeErr := err // only the revocation check failed: see CheckAccess
	p := cd.get()
	err = cd.decode(cl, p) // copies what it keeps, so sc can go back now
	c.putScratch(sc)
	if err == nil {
		err = cd.validate(p, true)
	}
	v := *p
	cd.put(p)
	if err != nil {
		return zero, err
	}
	return v, storeErr
}

type checkMode struct {
	want           TokenType
	anyType        bool // any token type (Revoke)
	skipTime       bool // do not check exp, nbf, iat
	skipRevocation bool
}

// bytesOf views s as bytes without copying. The bytes must not be written.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// verify checks everything about a token but its payload type, and returns
// the payload's JSON (the claims without those the issuer writes), which
// lives in sc. The order is: size, structure,
// header, signature, type, registered claims, revocation; so a forged token
// is always reported as a signature error, whatever else is wrong with it.
// When only the revocation check failed, the claims come with an ErrStore
// error.
func (c *core) verify(ctx context.Context, token string, m checkMode, sc *scratch, out *Claims) ([]byte, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	if len(token) > c.cfg.MaxTokenSize {
		return nil, ErrTooLarge
	}
	d1 := strings.IndexByte(token, '.')
	if d1 < 0 {
		return nil, ErrMalformed
	}
	d2 := strings.IndexByte(token[d1+1:], '.') + d1 + 1
	if d2 == d1 || strings.IndexByte(token[d2+1:], '.') >= 0 {
		return nil, ErrMalformed
	}

	r := c.ring.Load()
	var (
		k   *ringKey
		typ TokenType
		alg []byte
	)
	if ref, ok := r.byHdr[token[:d1]]; ok {
		k, typ = ref.k, ref.typ
	} else {
		var err error
		if k, typ, alg, err = c.parseHeader(r, token[:d1], sc); err != nil {
			return nil, err
		}
	}

	if d2+1 == len(token) {
		return nil, ErrSignature
	}
	sig, err := decodeB64(sc.sig[:0], token[d2+1:])
	if err != nil {
		return nil, ErrMalformed
	}
	sc.sig = sig
	input := bytesOf(token[:d2])
	if k != nil {
		err = k.verifySignature(input, sig, token)
	} else {
		k, err = r.verifyAnyKey(alg, input, sig, token)
	}
	if err != nil {
		return nil, err
	}

	switch {
	case typ == numTypes:
		return nil, ErrTokenType
	case m.anyType, typ == m.want, c.cfg.Compat && typ == Untyped:
	default:
		return nil, ErrTokenType
	}

	cl, err := decodeB64(sc.claims[:0], token[d1+1:d2])
	if err != nil {
		return nil, ErrMalformed
	}
	sc.claims = cl
	var rc registered
	if err := rc.read(cl); err != nil {
		return nil, err
	}
	if err := c.checkClaims(&rc, m); err != nil {
		return nil, err
	}
	var storeErr error
	if !m.skipRevocation {
		revoked, err := c.store.Revoked(ctx, Query{ID: rc.jti, Family: rc.fam, Subject: rc.sub, IssuedAt: time.Unix(0, rc.iat)})
		switch {
		case err != nil:
			storeErr = fmt.Errorf("%w: %v", ErrStore, err)
		case revoked:
			return nil, ErrRevoked
		}
	}
	if out != nil {
		rc.fill(out, k.id, typ)
	}
	if c.cfg.Compat {
		return cl, storeErr // no claim is the issuer's: the payload may hold them all
	}
	sc.payload = rc.appendPayload(sc.payload[:0], cl)
	return sc.payload, storeErr
}

// parseHeader reads a header that is not one of the prebuilt ones. It returns
// the key named by kid, or nil with the header's alg when a Compat token has
// no kid.
func (c *core) parseHeader(r *ring, seg string, sc *scratch) (*ringKey, TokenType, []byte, error) {
	h, err := decodeB64(sc.hdr[:0], seg)
	if err != nil {
		return nil, 0, nil, ErrMalformed
	}
	sc.hdr = h
	var (
		alg, kid, typ  []byte
		hasKID, hasTyp bool
		unsupported    bool
	)
	s := scanner{b: h}
	it := topObject(&s)
	for it.next() {
		name := it.name()
		var ok = true
		switch string(name) {
		case "alg":
			alg, ok = strValue(it.val())
		case "kid":
			kid, ok = strValue(it.val())
			hasKID = true
		case "typ":
			typ, ok = strValue(it.val())
			hasTyp = true
		case "crit", "jwk", "jku", "x5u", "x5c":
			unsupported = true
		}
		if !ok {
			return nil, 0, nil, ErrMalformed
		}
	}
	if it.finish() != nil || alg == nil {
		return nil, 0, nil, ErrMalformed
	}
	if bytes.EqualFold(alg, []byte("none")) {
		return nil, 0, nil, ErrAlgNone
	}
	if unsupported {
		return nil, 0, nil, ErrUnsupportedHeader
	}
	t := parseTyp(typ, hasTyp)
	if !hasKID {
		if !c.cfg.Compat {
			return nil, 0, nil, fmt.Errorf("%w: the token has no kid", ErrUnknownKey)
		}
		return nil, t, alg, nil
	}
	k := r.byKID[string(kid)]
	if k == nil {
		if len(kid) > 64 {
			kid = kid[:64]
		}
		return nil, 0, nil, fmt.Errorf("%w: kid %q", ErrUnknownKey, kid)
	}
	if subtle.ConstantTimeCompare(alg, []byte(k.alg)) != 1 {
		return nil, 0, nil, ErrAlgMismatch
	}
	return k, t, nil, nil
}

// verifyAnyKey verifies a Compat token without kid against every key of its
// algorithm, the signing key first.
func (r *ring) verifyAnyKey(alg, input, sig []byte, raw string) (*ringKey, error) {
	found := false
	for _, k := range r.keys {
		if subtle.ConstantTimeCompare(alg, []byte(k.alg)) != 1 {
			continue
		}
		found = true
		if k.verifySignature(input, sig, raw) == nil {
			return k, nil
		}
	}
	if !found {
		return nil, ErrAlgMismatch
	}
	return nil, ErrSignature
}

// parseTyp maps a typ header to a TokenType; numTypes means unknown. Media
// types compare without regard to case and may carry "application/" (RFC 7515
// section 4.1.9).
func parseTyp(typ []byte, present bool) TokenType {
	if !present {
		return Untyped
	}
	if len(typ) > len("application/") && bytes.EqualFold(typ[:len("application/")], []byte("application/")) {
		typ = typ[len("application/"):]
	}
	for t := Untyped; t < numTypes; t++ {
		if bytes.EqualFold(typ, []byte(typNames[t])) {
			return t
		}
	}
	return numTypes
}

// registered holds the registered claims of a token as read from its JSON.
// The byte slices point into the decoded claims.
type registered struct {
	iss, sub, jti, fam, aud []byte // aud is the raw JSON value
	iat, nbf, exp           int64  // Unix nanoseconds
	has                     uint8

	// The payload's members (every member but the claims the issuer writes)
	// as spans of the claims, neighbours merged: one span for our tokens.
	pay     [4][2]int32
	npay    int
	payTorn bool // more spans than pay holds
}

// member records the current member as part of the payload.
func (rc *registered) member(cl []byte, it *objIter) {
	start, end := int32(it.ks-1), int32(it.ve)
	if rc.npay > 0 && rc.pay[rc.npay-1][1]+1 == start && cl[start-1] == ',' {
		rc.pay[rc.npay-1][1] = end
		return
	}
	if rc.npay == len(rc.pay) {
		rc.payTorn = true
		return
	}
	rc.pay[rc.npay] = [2]int32{start, end}
	rc.npay++
}

// appendPayload appends the payload's members of cl as one JSON object.
func (rc *registered) appendPayload(dst, cl []byte) []byte {
	if rc.payTorn {
		return payloadMembers(dst, cl)
	}
	dst = append(dst, '{')
	for i, p := range rc.pay[:rc.npay] {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, cl[p[0]:p[1]]...)
	}
	return append(dst, '}')
}

const (
	hasIss = 1 << iota
	hasSub
	hasAud
	hasJti
	hasFam
	hasIat
	hasNbf
	hasExp
)

// read walks the claims object once, checking all of it, and picks out the
// registered claims.
func (rc *registered) read(cl []byte) error {
	s := scanner{b: cl}
	it := topObject(&s)
	for it.next() {
		name := it.name()
		var ok = true
		switch string(name) {
		case "iss":
			rc.iss, ok = strValue(it.val())
			rc.has |= hasIss
		case "sub": // registered, but the payload's: the issuer does not write it
			rc.sub, ok = strValue(it.val())
			rc.has |= hasSub
			rc.member(cl, &it)
		case "jti":
			rc.jti, ok = strValue(it.val())
			rc.has |= hasJti
		case "fam":
			rc.fam, ok = strValue(it.val())
			rc.has |= hasFam
		case "aud":
			rc.aud, ok = it.val(), it.val()[0] == '"' || it.val()[0] == '['
			rc.has |= hasAud
		case "iat":
			rc.iat, ok = numericDate(it.val())
			rc.has |= hasIat
		case "nbf":
			rc.nbf, ok = numericDate(it.val())
			rc.has |= hasNbf
		case "exp":
			rc.exp, ok = numericDate(it.val())
			rc.has |= hasExp
		default:
			rc.member(cl, &it)
		}
		if !ok {
			return fmt.Errorf("%w: %s has the wrong JSON type", ErrMissingClaim, name)
		}
	}
	if it.finish() != nil {
		return ErrMalformed
	}
	return nil
}

// numericDate reads a NumericDate (a JSON number of seconds, maybe with a
// fraction) as Unix nanoseconds, saturating beyond the years 1678 and 2262.
func numericDate(raw []byte) (int64, bool) {
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		return 0, false
	}
	if len(raw) <= 10 { // whole seconds up to year 2286: exact, no allocation
		var n int64
		for _, d := range raw {
			if d < '0' || d > '9' {
				goto slow
			}
			n = n*10 + int64(d-'0')
		}
		if n <= math.MaxInt64/int64(time.Second) {
			return n * 1e9, true
		}
		return math.MaxInt64, true
	}
slow:
	f, err := strconv.ParseFloat(string(raw), 64)
	switch {
	case err != nil:
		return 0, false
	case f >= math.MaxInt64/1e9:
		return math.MaxInt64, true
	case f <= math.MinInt64/1e9:
		return math.MinInt64, true
	}
	return int64(f * 1e9), true
}

func (c *core) checkClaims(rc *registered, m checkMode) error {
	const required = hasExp | hasIat | hasJti
	if !c.cfg.Compat && rc.has&required != required {
		return fmt.Errorf("%w: exp, iat and jti are required", ErrMissingClaim)
	}
	if !m.skipTime {
		now, lw := c.cfg.Now().UnixNano(), int64(c.cfg.Leeway)
		switch {
		case rc.has&hasExp != 0 && now-lw >= rc.exp:
			return ErrExpired
		case rc.has&hasNbf != 0 && now+lw < rc.nbf:
			return ErrNotYetValid
		case rc.has&hasIat != 0 && now+lw < rc.iat:
			return ErrNotYetValid
		}
	}
	if c.cfg.Issuer != "" && (rc.has&hasIss == 0 || subtle.ConstantTimeCompare(rc.iss, bytesOf(c.cfg.Issuer)) != 1) {
		return ErrIssuer
	}
	if c.cfg.Audience != "" && !audContains(rc.aud, c.cfg.Audience) {
		return ErrAudience
	}
	return nil
}

// audContains reports whether the raw aud value holds want.
func audContains(raw []byte, want string) bool {
	found := false
	eachAud(raw, func(v []byte) bool {
		found = subtle.ConstantTimeCompare(v, bytesOf(want)) == 1
		return !found
	})
	return found
}

// eachAud calls fn with each string of a raw aud value (a string or an array
// of strings) until fn returns false.
func eachAud(raw []byte, fn func(v []byte) bool) {
	if len(raw) == 0 {
		return
	}
	if raw[0] == '"' {
		v, _ := strValue(raw)
		fn(v)
		return
	}
	s := scanner{b: raw, i: 1}
	for {
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != '"' {
			return // ']' of an empty array, or an element that is not a string
		}
		start := s.i
		s.str()
		v, _ := strValue(s.b[start:s.i])
		if !fn(v) {
			return
		}
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ',' {
			return
		}
		s.i++
	}
}

// fill copies the registered claims out of the scratch buffers.
func (rc *registered) fill(out *Claims, kid string, t TokenType) {
	*out = Claims{
		Type:    t,
		KeyID:   kid,
		Issuer:  string(rc.iss),
		Subject: string(rc.sub),
		ID:      string(rc.jti),
		Family:  string(rc.fam),
	}
	eachAud(rc.aud, func(v []byte) bool {
		out.Audience = append(out.Audience, string(v))
		return true
	})
	out.IssuedAt = numericTime(rc.iat, rc.has&hasIat != 0)
	out.NotBefore = numericTime(rc.nbf, rc.has&hasNbf != 0)
	out.ExpiresAt = numericTime(rc.exp, rc.has&hasExp != 0)
}

func numericTime(ns int64, ok bool) time.Time {
	if !ok {
		return time.Time{}
	}
	return time.Unix(0, ns)
}
