package issuer

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"hash"
	"sync"

	"github.com/cristalhq/jwt/v5"
)

type hashT = hash.Hash

// TokenType tells access tokens from refresh tokens. It travels in the typ
// header: "at+jwt" for access tokens (RFC 9068), "rt+jwt" for refresh tokens.
type TokenType uint8

// Token types.
const (
	// Untyped is a token without a type marker ("typ":"JWT" or none), as
	// quick_jwt makes; only accepted in Compat mode.
	Untyped TokenType = iota
	Access
	Refresh
	numTypes
)

var typNames = [numTypes]string{Untyped: "JWT", Access: "at+jwt", Refresh: "rt+jwt"}

// String returns the token type's typ header value.
func (t TokenType) String() string {
	if t < numTypes {
		return typNames[t]
	}
	return "unknown"
}

// MarshalText writes the typ header value, so Claims marshal readably.
func (t TokenType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText reads what MarshalText writes.
func (t *TokenType) UnmarshalText(b []byte) error {
	v := parseTyp(b, true)
	if v == numTypes {
		return fmt.Errorf("issuer: unknown token type %q", b)
	}
	*t = v
	return nil
}

// ring is a KeySet compiled for use: signers, verifiers, pooled HMAC states and
// prebuilt headers. It is immutable once built; Issuer.SetKeys swaps in a new one.
type ring struct {
	set     KeySet
	signing *ringKey
	byKID   map[string]*ringKey
	byHdr   map[string]hdrRef // base64url header segment -> key and type, for the typed tokens we make
	keys    []*ringKey        // signing key first
	jwks    string
}

type hdrRef struct {
	k   *ringKey
	typ TokenType
}

type ringKey struct {
	Key
	fam      algFamily
	sigLen   int              // raw signature length
	macs     *sync.Pool       // *macState, HMAC keys only
	signer   jwt.Signer       // asymmetric keys with a private part
	verifier jwt.Verifier     // asymmetric keys
	hdr      [numTypes]string // base64url header per token type
}

type macState struct {
	h   hash.Hash
	sum [64]byte
}

func newRing(ks KeySet) (*ring, error) {
	r := &ring{set: ks, byKID: map[string]*ringKey{}, byHdr: map[string]hdrRef{}}
	for i, k := range ks.all() {
		rk, err := compileKey(k)
		if err != nil {
			return nil, err
		}
		r.keys = append(r.keys, rk)
		r.byKID[k.id] = rk
		for t := Access; t < numTypes; t++ {
			r.byHdr[rk.hdr[t]] = hdrRef{rk, t}
		}
		if i == 0 {
			r.signing = rk
		}
	}
	jwks, err := ks.JWKS()
	if err != nil {
		return nil, err
	}
	r.jwks = string(jwks)
	return r, nil
}

func compileKey(k Key) (*ringKey, error) {
	fam, h, _ := k.alg.info()
	rk := &ringKey{Key: k, fam: fam}
	alg := jwt.Algorithm(k.alg)
	var err error
	switch fam {
	case famHMAC:
		// cristalhq's HSAlg returns a fresh slice per signature; the pooled
		// state below lets signing append into the caller's buffer instead.
		newHash, secret := hashNew(h), k.secret
		rk.sigLen = h.Size()
		rk.macs = &sync.Pool{New: func() any { return &macState{h: hmac.New(newHash, secret)} }}
	case famRSA:
		pub := k.public.(*rsa.PublicKey)
		rk.sigLen = pub.Size()
		if k.alg[0] == 'P' {
			rk.verifier, err = jwt.NewVerifierPS(alg, pub)
			if err == nil && k.private != nil {
				rk.signer, err = jwt.NewSignerPS(alg, k.private.(*rsa.PrivateKey))
			}
		} else {
			rk.verifier, err = jwt.NewVerifierRS(alg, pub)
			if err == nil && k.private != nil {
				rk.signer, err = jwt.NewSignerRS(alg, k.private.(*rsa.PrivateKey))
			}
		}
	case famEC:
		pub := k.public.(*ecdsa.PublicKey)
		rk.sigLen = 2 * ((pub.Curve.Params().BitSize + 7) / 8)
		rk.verifier, err = jwt.NewVerifierES(alg, pub)
		if err == nil && k.private != nil {
			rk.signer, err = jwt.NewSignerES(alg, k.private.(*ecdsa.PrivateKey))
		}
	case famEd:
		rk.sigLen = ed25519.SignatureSize
		rk.verifier, err = jwt.NewVerifierEdDSA(k.public.(ed25519.PublicKey))
		if err == nil && k.private != nil {
			rk.signer, err = jwt.NewSignerEdDSA(k.private.(ed25519.PrivateKey))
		}
	default:
		return nil, keyErr(k.id, "unknown algorithm %q", k.alg)
	}
	if err != nil {
		return nil, keyErr(k.id, "%v", err)
	}
	for t := Untyped; t < numTypes; t++ {
		rk.hdr[t] = base64.RawURLEncoding.EncodeToString(appendHeader(nil, k.alg, k.id, t))
	}
	return rk, nil
}

// appendHeader writes the JOSE header of a token of type t. An untyped
// (Compat) header is byte for byte what PyJWT writes: sorted keys, no kid.
func appendHeader(dst []byte, alg Algorithm, kid string, t TokenType) []byte {
	dst = append(dst, `{"alg":"`...)
	dst = append(dst, alg...)
	if t == Untyped {
		return append(dst, `","typ":"JWT"}`...)
	}
	dst = append(dst, `","kid":`...)
	dst = appendString(dst, kid, false)
	dst = append(dst, `,"typ":"`...)
	dst = append(dst, typNames[t]...)
	return append(dst, `"}`...)
}

// appendSignature appends the base64url signature of input to dst.
func (k *ringKey) appendSignature(dst, input []byte) ([]byte, error) {
	if k.macs != nil {
		st := k.macs.Get().(*macState)
		st.h.Reset()
		st.h.Write(input)
		dst = appendB64(dst, st.h.Sum(st.sum[:0]))
		k.macs.Put(st)
		return dst, nil
	}
	sig, err := k.signer.Sign(input)
	if err != nil {
		return dst, err
	}
	return appendB64(dst, sig), nil
}

// verifySignature checks sig (decoded) over input. raw is the whole token,
// which cristalhq's verifiers take for asymmetric keys.
func (k *ringKey) verifySignature(input, sig []byte, raw string) error {
	if len(sig) != k.sigLen {
		return ErrSignature
	}
	if k.macs != nil {
		st := k.macs.Get().(*macState)
		st.h.Reset()
		st.h.Write(input)
		ok := hmac.Equal(st.h.Sum(st.sum[:0]), sig)
		k.macs.Put(st)
		if !ok {
			return ErrSignature
		}
		return nil
	}
	tok, err := jwt.ParseNoVerify([]byte(raw))
	if err != nil {
		return ErrMalformed
	}
	if err := k.verifier.Verify(tok); err != nil {
		return ErrSignature
	}
	return nil
}
