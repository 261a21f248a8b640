// Package bench compares quickjwt with the Go JWT libraries a user would pick
// instead, on identical claims, in one run. It is its own module, so that
// those libraries never enter quickjwt's go.mod. See README.md.
package bench

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"time"
	"unsafe"

	chjwt "github.com/cristalhq/jwt/v5"
	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	gjwt "github.com/golang-jwt/jwt/v5"
	kjwt "github.com/kataras/jwt"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"
	xjwt "github.com/lestrrat-go/jwx/v3/jwt"
	"github.com/quickjwt/quickjwt/issuer"
)

// The claims every implementation signs and checks. Access tokens: iss, sub,
// aud, iat, nbf, exp, jti, a type, scope. Refresh tokens: iss, sub, iat, exp,
// jti, a type. iat/exp/jti are fresh for every token; jti is 128 bits from
// crypto/rand everywhere.
const (
	Iss   = "https://auth.example.com"
	Sub   = "user-1234567890"
	Aud   = "api"
	Scope = "read:profile write:profile"

	AccessTTL  = 15 * time.Minute
	RefreshTTL = 14 * 24 * time.Hour
)

// Keys are the keys every implementation uses.
type Keys struct {
	HMAC []byte
	EC   *ecdsa.PrivateKey
	Ed   ed25519.PrivateKey
}

// NewKeys makes a key of each kind.
func NewKeys() Keys {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	return Keys{HMAC: []byte("a benchmark secret of 32+ bytes!!"), EC: ec, Ed: ed}
}

// Signer makes one access and one refresh token.
type Signer func() (access, refresh string, err error)

// Checker checks an access token: signature, exp/nbf/iss/aud, type, and
// decodes the claims; it returns the subject it read.
type Checker func(token string) (sub string, err error)

// Impl is one implementation under test.
type Impl struct {
	Name string
	// New returns the signer and checker for alg ("HS256", "ES256",
	// "EdDSA"), or an error when the library does not support it.
	New func(alg string, k Keys) (Signer, Checker, error)
}

// Impls are the implementations, quickjwt first.
var Impls = []Impl{
	{"quickjwt", newQuickJWT},
	{"quickjwt-append", newQuickJWTAppend},
	{"golang-jwt", newGolangJWT},
	{"cristalhq", newCristalhq},
	{"jwx", newJWX},
	{"go-jose", newGoJOSE},
	{"kataras", newKataras},
}

var errUnsupported = errors.New("not supported by this library")

// unsafeString views b as a string; b must not change while it is used.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

func newJTI() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// --- quickjwt ---

// QAccess and QRefresh are plain structs, validated with their tags.
type QAccess struct {
	Sub   string `json:"sub" validate:"required"`
	Scope string `json:"scope"`
}

type QRefresh struct {
	Sub string `json:"sub" validate:"required"`
}

// FAccess and FRefresh write their own JSON and check themselves.
type FAccess struct{ Sub, Scope string }

func (a *FAccess) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"sub":`...)
	dst = issuer.AppendJSONString(dst, a.Sub)
	dst = append(dst, `,"scope":`...)
	dst = issuer.AppendJSONString(dst, a.Scope)
	return append(dst, '}')
}

func (a *FAccess) Validate() error {
	if a.Sub == "" {
		return errors.New("sub is required")
	}
	return nil
}

type FRefresh struct{ Sub string }

func (r *FRefresh) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"sub":`...)
	dst = issuer.AppendJSONString(dst, r.Sub)
	return append(dst, '}')
}

func (r *FRefresh) Validate() error {
	if r.Sub == "" {
		return errors.New("sub is required")
	}
	return nil
}

// QuickJWTKey returns the issuer.Key for alg.
func QuickJWTKey(alg string, k Keys) (issuer.Key, error) {
	var priv any
	switch alg {
	case "HS256":
		return issuer.NewHMACKey("k1", issuer.HS256, k.HMAC)
	case "ES256":
		priv = k.EC
	case "EdDSA":
		priv = k.Ed
	default:
		return issuer.Key{}, errUnsupported
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return issuer.Key{}, err
	}
	return issuer.ParsePrivateKeyPEM("k1", issuer.Algorithm(alg), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// QuickJWTConfig is the issuer configuration of the benchmarks.
func QuickJWTConfig(alg string, k Keys) (issuer.Config, error) {
	key, err := QuickJWTKey(alg, k)
	return issuer.Config{Keys: issuer.KeySet{Signing: key}, Issuer: Iss, Audience: Aud,
		AccessTTL: AccessTTL, RefreshTTL: RefreshTTL, MaxTokenSize: 64 << 10}, err
}

func newQuickJWT(alg string, k Keys) (Signer, Checker, error) {
	cfg, err := QuickJWTConfig(alg, k)
	if err != nil {
		return nil, nil, err
	}
	iss, err := issuer.New[QAccess, QRefresh](cfg)
	if err != nil {
		return nil, nil, err
	}
	ctx := context.Background()
	sign := func() (string, string, error) {
		t, err := iss.CreateTokens(ctx, QAccess{Sub: Sub, Scope: Scope}, QRefresh{Sub: Sub})
		return t.Access, t.Refresh, err
	}
	check := func(tok string) (string, error) {
		a, err := iss.CheckAccess(ctx, tok)
		return a.Sub, err
	}
	return sign, check, nil
}

// newQuickJWTAppend signs with the allocation-free primitive into reused
// buffers; the strings it returns are views of them, valid until the next
// call (the benchmark only keeps them that long).
func newQuickJWTAppend(alg string, k Keys) (Signer, Checker, error) {
	cfg, err := QuickJWTConfig(alg, k)
	if err != nil {
		return nil, nil, err
	}
	iss, err := issuer.New[FAccess, FRefresh](cfg)
	if err != nil {
		return nil, nil, err
	}
	plain, err := issuer.New[QAccess, QRefresh](cfg)
	if err != nil {
		return nil, nil, err
	}
	var pair issuer.Pair
	sign := func() (string, string, error) {
		if err := iss.SignPair(&pair, FAccess{Sub: Sub, Scope: Scope}, FRefresh{Sub: Sub}); err != nil {
			return "", "", err
		}
		return unsafeString(pair.Access), unsafeString(pair.Refresh), nil
	}
	check := func(tok string) (string, error) {
		a, err := plain.CheckAccess(context.Background(), tok)
		return a.Sub, err
	}
	return sign, check, nil
}

// --- golang-jwt ---

type gjAccess struct {
	gjwt.RegisteredClaims
	Scope string `json:"scope"`
}

func gjMethod(alg string, k Keys) (gjwt.SigningMethod, any, any, error) {
	switch alg {
	case "HS256":
		return gjwt.SigningMethodHS256, k.HMAC, k.HMAC, nil
	case "ES256":
		return gjwt.SigningMethodES256, k.EC, &k.EC.PublicKey, nil
	case "EdDSA":
		return gjwt.SigningMethodEdDSA, k.Ed, k.Ed.Public(), nil
	}
	return nil, nil, nil, errUnsupported
}

func newGolangJWT(alg string, k Keys) (Signer, Checker, error) {
	method, signKey, verifyKey, err := gjMethod(alg, k)
	if err != nil {
		return nil, nil, err
	}
	sign := func() (string, string, error) {
		now := time.Now()
		at := gjwt.NewWithClaims(method, gjAccess{RegisteredClaims: gjwt.RegisteredClaims{
			Issuer: Iss, Subject: Sub, Audience: gjwt.ClaimStrings{Aud},
			IssuedAt: gjwt.NewNumericDate(now), NotBefore: gjwt.NewNumericDate(now),
			ExpiresAt: gjwt.NewNumericDate(now.Add(AccessTTL)), ID: newJTI(),
		}, Scope: Scope})
		at.Header["typ"] = "at+jwt"
		a, err := at.SignedString(signKey)
		if err != nil {
			return "", "", err
		}
		rt := gjwt.NewWithClaims(method, gjwt.RegisteredClaims{
			Issuer: Iss, Subject: Sub, IssuedAt: gjwt.NewNumericDate(now),
			ExpiresAt: gjwt.NewNumericDate(now.Add(RefreshTTL)), ID: newJTI(),
		})
		rt.Header["typ"] = "rt+jwt"
		r, err := rt.SignedString(signKey)
		return a, r, err
	}
	parser := gjwt.NewParser(gjwt.WithValidMethods([]string{alg}), gjwt.WithIssuer(Iss), gjwt.WithAudience(Aud), gjwt.WithExpirationRequired())
	keyFunc := func(t *gjwt.Token) (any, error) {
		if t.Header["typ"] != "at+jwt" {
			return nil, errors.New("not an access token")
		}
		return verifyKey, nil
	}
	check := func(tok string) (string, error) {
		var c gjAccess
		_, err := parser.ParseWithClaims(tok, &c, keyFunc)
		return c.Subject, err
	}
	return sign, check, nil
}

// --- cristalhq/jwt: its Builder writes "typ":"JWT", so the type is a claim ---

type chAccess struct {
	chjwt.RegisteredClaims
	Typ   string `json:"typ"`
	Scope string `json:"scope"`
}

type chRefresh struct {
	chjwt.RegisteredClaims
	Typ string `json:"typ"`
}

func newCristalhq(alg string, k Keys) (Signer, Checker, error) {
	var (
		signer   chjwt.Signer
		verifier chjwt.Verifier
		err      error
	)
	switch alg {
	case "HS256":
		signer, err = chjwt.NewSignerHS(chjwt.HS256, k.HMAC)
		if err == nil {
			verifier, err = chjwt.NewVerifierHS(chjwt.HS256, k.HMAC)
		}
	case "ES256":
		signer, err = chjwt.NewSignerES(chjwt.ES256, k.EC)
		if err == nil {
			verifier, err = chjwt.NewVerifierES(chjwt.ES256, &k.EC.PublicKey)
		}
	case "EdDSA":
		signer, err = chjwt.NewSignerEdDSA(k.Ed)
		if err == nil {
			verifier, err = chjwt.NewVerifierEdDSA(k.Ed.Public().(ed25519.PublicKey))
		}
	default:
		return nil, nil, errUnsupported
	}
	if err != nil {
		return nil, nil, err
	}
	b := chjwt.NewBuilder(signer)
	sign := func() (string, string, error) {
		now := time.Now()
		a, err := b.Build(&chAccess{RegisteredClaims: chjwt.RegisteredClaims{
			Issuer: Iss, Subject: Sub, Audience: chjwt.Audience{Aud},
			IssuedAt: chjwt.NewNumericDate(now), NotBefore: chjwt.NewNumericDate(now),
			ExpiresAt: chjwt.NewNumericDate(now.Add(AccessTTL)), ID: newJTI(),
		}, Typ: "access", Scope: Scope})
		if err != nil {
			return "", "", err
		}
		r, err := b.Build(&chRefresh{RegisteredClaims: chjwt.RegisteredClaims{
			Issuer: Iss, Subject: Sub, IssuedAt: chjwt.NewNumericDate(now),
			ExpiresAt: chjwt.NewNumericDate(now.Add(RefreshTTL)), ID: newJTI(),
		}, Typ: "refresh"})
		if err != nil {
			return "", "", err
		}
		return a.String(), r.String(), nil
	}
	check := func(tok string) (string, error) {
		t, err := chjwt.Parse([]byte(tok), verifier)
		if err != nil {
			return "", err
		}
		var c chAccess
		if err := t.DecodeClaims(&c); err != nil {
			return "", err
		}
		switch {
		case c.ExpiresAt == nil || !c.IsValidAt(time.Now()):
			return "", errors.New("expired or not valid yet")
		case !c.IsIssuer(Iss) || !c.IsForAudience(Aud):
			return "", errors.New("wrong iss or aud")
		case c.Typ != "access":
			return "", errors.New("not an access token")
		}
		return c.Subject, nil
	}
	return sign, check, nil
}

// --- lestrrat-go/jwx ---

func newJWX(alg string, k Keys) (Signer, Checker, error) {
	var (
		a            jwa.SignatureAlgorithm
		sKey, vKey   any
		errNotAccess = errors.New("not an access token")
		typAt, typRt = jws.NewHeaders(), jws.NewHeaders()
	)
	switch alg {
	case "HS256":
		a, sKey, vKey = jwa.HS256(), k.HMAC, k.HMAC
	case "ES256":
		a, sKey, vKey = jwa.ES256(), k.EC, &k.EC.PublicKey
	case "EdDSA":
		a, sKey, vKey = jwa.EdDSA(), k.Ed, k.Ed.Public()
	default:
		return nil, nil, errUnsupported
	}
	_ = typAt.Set(jws.TypeKey, "at+jwt")
	_ = typRt.Set(jws.TypeKey, "rt+jwt")
	sign := func() (string, string, error) {
		now := time.Now()
		at, err := xjwt.NewBuilder().Issuer(Iss).Subject(Sub).Audience([]string{Aud}).IssuedAt(now).NotBefore(now).
			Expiration(now.Add(AccessTTL)).JwtID(newJTI()).Claim("scope", Scope).Build()
		if err != nil {
			return "", "", err
		}
		as, err := xjwt.Sign(at, xjwt.WithKey(a, sKey, jws.WithProtectedHeaders(typAt)))
		if err != nil {
			return "", "", err
		}
		rt, err := xjwt.NewBuilder().Issuer(Iss).Subject(Sub).IssuedAt(now).Expiration(now.Add(RefreshTTL)).JwtID(newJTI()).Build()
		if err != nil {
			return "", "", err
		}
		rs, err := xjwt.Sign(rt, xjwt.WithKey(a, sKey, jws.WithProtectedHeaders(typRt)))
		return string(as), string(rs), err
	}
	parseOpts := []xjwt.ParseOption{xjwt.WithKey(a, vKey), xjwt.WithIssuer(Iss), xjwt.WithAudience(Aud), xjwt.WithValidate(true)}
	check := func(tok string) (string, error) {
		// The typ header is only reachable through the JWS message, so jwx
		// parses it too, as a jwx user checking the type would.
		msg, err := jws.Parse([]byte(tok))
		if err != nil {
			return "", err
		}
		if typ, ok := msg.Signatures()[0].ProtectedHeaders().Type(); !ok || typ != "at+jwt" {
			return "", errNotAccess
		}
		t, err := xjwt.Parse([]byte(tok), parseOpts...)
		if err != nil {
			return "", err
		}
		var scope string
		if err := t.Get("scope", &scope); err != nil || scope == "" {
			return "", fmt.Errorf("scope: %v", err)
		}
		sub, _ := t.Subject()
		return sub, nil
	}
	return sign, check, nil
}

// --- go-jose ---

type joseScope struct {
	Scope string `json:"scope"`
}

func newGoJOSE(alg string, k Keys) (Signer, Checker, error) {
	var (
		a          jose.SignatureAlgorithm
		sKey, vKey any
	)
	switch alg {
	case "HS256":
		a, sKey, vKey = jose.HS256, k.HMAC, k.HMAC
	case "ES256":
		a, sKey, vKey = jose.ES256, k.EC, &k.EC.PublicKey
	case "EdDSA":
		a, sKey, vKey = jose.EdDSA, k.Ed, k.Ed.Public()
	default:
		return nil, nil, errUnsupported
	}
	at, err := jose.NewSigner(jose.SigningKey{Algorithm: a, Key: sKey}, (&jose.SignerOptions{}).WithType("at+jwt"))
	if err != nil {
		return nil, nil, err
	}
	rt, err := jose.NewSigner(jose.SigningKey{Algorithm: a, Key: sKey}, (&jose.SignerOptions{}).WithType("rt+jwt"))
	if err != nil {
		return nil, nil, err
	}
	sign := func() (string, string, error) {
		now := time.Now()
		as, err := josejwt.Signed(at).Claims(josejwt.Claims{
			Issuer: Iss, Subject: Sub, Audience: josejwt.Audience{Aud},
			IssuedAt: josejwt.NewNumericDate(now), NotBefore: josejwt.NewNumericDate(now),
			Expiry: josejwt.NewNumericDate(now.Add(AccessTTL)), ID: newJTI(),
		}).Claims(joseScope{Scope}).Serialize()
		if err != nil {
			return "", "", err
		}
		rs, err := josejwt.Signed(rt).Claims(josejwt.Claims{
			Issuer: Iss, Subject: Sub, IssuedAt: josejwt.NewNumericDate(now),
			Expiry: josejwt.NewNumericDate(now.Add(RefreshTTL)), ID: newJTI(),
		}).Serialize()
		return as, rs, err
	}
	algs := []jose.SignatureAlgorithm{a}
	check := func(tok string) (string, error) {
		t, err := josejwt.ParseSigned(tok, algs)
		if err != nil {
			return "", err
		}
		if t.Headers[0].ExtraHeaders[jose.HeaderType] != "at+jwt" {
			return "", errors.New("not an access token")
		}
		var std josejwt.Claims
		var priv joseScope
		if err := t.Claims(vKey, &std, &priv); err != nil {
			return "", err
		}
		if std.Expiry == nil {
			return "", errors.New("no exp")
		}
		return std.Subject, std.ValidateWithLeeway(josejwt.Expected{Issuer: Iss, AnyAudience: josejwt.Audience{Aud}, Time: time.Now()}, 0)
	}
	return sign, check, nil
}

// --- kataras/jwt: the type is a claim ---

type kAccess struct {
	kjwt.Claims
	Typ   string `json:"typ"`
	Scope string `json:"scope"`
}

type kRefresh struct {
	kjwt.Claims
	Typ string `json:"typ"`
}

func newKataras(alg string, k Keys) (Signer, Checker, error) {
	var (
		a          kjwt.Alg
		sKey, vKey any
	)
	switch alg {
	case "HS256":
		a, sKey, vKey = kjwt.HS256, k.HMAC, k.HMAC
	case "ES256":
		a, sKey, vKey = kjwt.ES256, k.EC, &k.EC.PublicKey
	case "EdDSA":
		a, sKey, vKey = kjwt.EdDSA, k.Ed, k.Ed.Public()
	default:
		return nil, nil, errUnsupported
	}
	sign := func() (string, string, error) {
		now := time.Now()
		as, err := kjwt.Sign(a, sKey, kAccess{Claims: kjwt.Claims{
			Issuer: Iss, Subject: Sub, Audience: kjwt.Audience{Aud},
			IssuedAt: now.Unix(), NotBefore: now.Unix(), Expiry: now.Add(AccessTTL).Unix(), ID: newJTI(),
		}, Typ: "access", Scope: Scope})
		if err != nil {
			return "", "", err
		}
		rs, err := kjwt.Sign(a, sKey, kRefresh{Claims: kjwt.Claims{
			Issuer: Iss, Subject: Sub, IssuedAt: now.Unix(), Expiry: now.Add(RefreshTTL).Unix(), ID: newJTI(),
		}, Typ: "refresh"})
		return string(as), string(rs), err
	}
	expected := kjwt.Expected{Issuer: Iss, Audience: kjwt.Audience{Aud}}
	check := func(tok string) (string, error) {
		v, err := kjwt.Verify(a, vKey, []byte(tok), expected)
		if err != nil {
			return "", err
		}
		var c kAccess
		if err := v.Claims(&c); err != nil {
			return "", err
		}
		if c.Typ != "access" || c.Expiry == 0 {
			return "", errors.New("not an access token")
		}
		return c.Subject, nil
	}
	return sign, check, nil
}
