package issuer

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"unicode/utf8"

	json "github.com/goccy/go-json"
)

// Algorithm is a JWS signing algorithm (RFC 7518, RFC 8037).
type Algorithm string

// The algorithms an Issuer signs and verifies with. "none" is not one of them.
const (
	HS256 Algorithm = "HS256"
	HS384 Algorithm = "HS384"
	HS512 Algorithm = "HS512"
	RS256 Algorithm = "RS256"
	RS384 Algorithm = "RS384"
	RS512 Algorithm = "RS512"
	PS256 Algorithm = "PS256"
	PS384 Algorithm = "PS384"
	PS512 Algorithm = "PS512"
	ES256 Algorithm = "ES256"
	ES384 Algorithm = "ES384"
	ES512 Algorithm = "ES512"
	EdDSA Algorithm = "EdDSA"
)

type algFamily uint8

const (
	famUnknown algFamily = iota
	famHMAC
	famRSA // RS* and PS*
	famEC
	famEd
)

// algInfo describes an algorithm: its family, its hash and, for ECDSA, the
// curve it requires.
func (a Algorithm) info() (fam algFamily, hash crypto.Hash, curve elliptic.Curve) {
	switch a {
	case HS256:
		return famHMAC, crypto.SHA256, nil
	case HS384:
		return famHMAC, crypto.SHA384, nil
	case HS512:
		return famHMAC, crypto.SHA512, nil
	case RS256, PS256:
		return famRSA, crypto.SHA256, nil
	case RS384, PS384:
		return famRSA, crypto.SHA384, nil
	case RS512, PS512:
		return famRSA, crypto.SHA512, nil
	case ES256:
		return famEC, crypto.SHA256, elliptic.P256()
	case ES384:
		return famEC, crypto.SHA384, elliptic.P384()
	case ES512:
		return famEC, crypto.SHA512, elliptic.P521()
	case EdDSA:
		return famEd, 0, nil
	}
	return famUnknown, 0, nil
}

// minRSABits is the smallest RSA modulus accepted unless weak keys are allowed.
const minRSABits = 2048

// maxKIDLen bounds a key id; it is copied into every token header.
const maxKIDLen = 128

// Key is one signing or verification key with its key id (kid) and algorithm.
// Build it with NewHMACKey, HMACKeyFromEnv, HMACKeyFromFile,
// ParsePrivateKeyPEM, ParsePublicKeyPEM or GenerateKey. A Key is immutable and
// safe to share. Printing or logging a Key never shows its secret.
type Key struct {
	id      string
	alg     Algorithm
	secret  []byte           // HMAC
	private crypto.Signer    // *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey
	public  crypto.PublicKey // *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey
}

// ID returns the key id that tokens signed with the key carry in their kid
// header.
func (k Key) ID() string { return k.id }

// Algorithm returns the key's algorithm.
func (k Key) Algorithm() Algorithm { return k.alg }

// CanSign reports whether the key holds private or secret material, so that it
// can be the signing key of a KeySet.
func (k Key) CanSign() bool { return k.secret != nil || k.private != nil }

// IsZero reports whether k is the zero Key.
func (k Key) IsZero() bool { return k.alg == "" }

// String describes the key without its material.
func (k Key) String() string {
	if k.IsZero() {
		return "Key{}"
	}
	kind := "public"
	if k.CanSign() {
		kind = "[redacted]"
	}
	return fmt.Sprintf("Key{kid=%q alg=%s %s}", k.id, k.alg, kind)
}

// Format makes every fmt verb, %#v included, print String.
func (k Key) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(k.String())) }

// LogValue keeps key material out of logs.
func (k Key) LogValue() slog.Value {
	return slog.GroupValue(slog.String("kid", k.id), slog.String("alg", string(k.alg)))
}

func keyErr(kid string, format string, args ...any) error {
	return fmt.Errorf("%w: kid %q: %s", ErrInvalidKey, kid, fmt.Sprintf(format, args...))
}

func checkKID(kid string) error {
	if kid == "" || len(kid) > maxKIDLen || !utf8.ValidString(kid) {
		return keyErr(kid, "a key id must be 1 to %d bytes of UTF-8", maxKIDLen)
	}
	for _, r := range kid {
		if r < 0x20 || r == 0x7f {
			return keyErr(kid, "a key id must not hold control characters")
		}
	}
	return nil
}

// NewHMACKey returns an HMAC key for HS256, HS384 or HS512. The secret is
// copied. An empty secret is always refused; a secret shorter than the hash
// output is refused when the key is used, unless Config.AllowWeakKeys is set.
func NewHMACKey(kid string, alg Algorithm, secret []byte) (Key, error) {
	if err := checkKID(kid); err != nil {
		return Key{}, err
	}
	if fam, _, _ := alg.info(); fam != famHMAC {
		return Key{}, keyErr(kid, "%q is not an HMAC algorithm", alg)
	}
	if len(secret) == 0 {
		return Key{}, keyErr(kid, "empty HMAC secret")
	}
	return Key{id: kid, alg: alg, secret: bytes.Clone(secret)}, nil
}

// HMACKeyFromEnv reads an HMAC secret from the environment variable name.
// The error names the variable, never its value.
func HMACKeyFromEnv(kid string, alg Algorithm, name string) (Key, error) {
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return Key{}, keyErr(kid, "environment variable %s is unset or empty", name)
	}
	return NewHMACKey(kid, alg, []byte(v))
}

// HMACKeyFromFile reads an HMAC secret from a file. One trailing line break
// ("\n" or "\r\n", as editors and echo leave it) is not part of the secret.
func HMACKeyFromFile(kid string, alg Algorithm, path string) (Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Key{}, keyErr(kid, "reading secret file: %v", err)
	}
	b = bytes.TrimSuffix(b, []byte("\n"))
	b = bytes.TrimSuffix(b, []byte("\r"))
	k, err := NewHMACKey(kid, alg, b)
	clear(b)
	return k, err
}

// ParsePrivateKeyPEM parses the first PEM block of data as a private key in
// PKCS #1 ("RSA PRIVATE KEY"), PKCS #8 ("PRIVATE KEY") or SEC 1
// ("EC PRIVATE KEY") form, and checks that it suits alg.
func ParsePrivateKeyPEM(kid string, alg Algorithm, data []byte) (Key, error) {
	block, err := decodePEM(kid, data)
	if err != nil {
		return Key{}, err
	}
	var priv any
	switch block.Type {
	case "RSA PRIVATE KEY":
		priv, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		priv, err = x509.ParseECPrivateKey(block.Bytes)
	case "PRIVATE KEY":
		priv, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	default:
		return Key{}, keyErr(kid, "PEM block %q is not a private key", block.Type)
	}
	if err != nil {
		return Key{}, keyErr(kid, "parsing %s: %v", block.Type, err)
	}
	signer, ok := priv.(crypto.Signer)
	if !ok {
		return Key{}, keyErr(kid, "unsupported private key type %T", priv)
	}
	return newAsymmetricKey(kid, alg, signer, signer.Public())
}

// ParsePublicKeyPEM parses the first PEM block of data as a public key in
// PKIX ("PUBLIC KEY") or PKCS #1 ("RSA PUBLIC KEY") form. The key can verify
// tokens but not sign them.
func ParsePublicKeyPEM(kid string, alg Algorithm, data []byte) (Key, error) {
	block, err := decodePEM(kid, data)
	if err != nil {
		return Key{}, err
	}
	var pub any
	switch block.Type {
	case "PUBLIC KEY":
		pub, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
	default:
		return Key{}, keyErr(kid, "PEM block %q is not a public key", block.Type)
	}
	if err != nil {
		return Key{}, keyErr(kid, "parsing %s: %v", block.Type, err)
	}
	return newAsymmetricKey(kid, alg, nil, pub)
}

func decodePEM(kid string, data []byte) (*pem.Block, error) {
	if err := checkKID(kid); err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, keyErr(kid, "no PEM block found")
	}
	return block, nil
}

// PublicKey returns a verify-only copy of an asymmetric key, as published in
// the JWKS. For an HMAC key it returns ErrInvalidKey: an HMAC key has no
// public part.
func (k Key) PublicKey() (Key, error) {
	if k.public == nil {
		return Key{}, keyErr(k.id, "an HMAC key has no public part")
	}
	return Key{id: k.id, alg: k.alg, public: k.public}, nil
}

// MarshalPEM encodes the key's private part as PKCS #8 ("PRIVATE KEY"), or its
// public part as PKIX ("PUBLIC KEY") for a verify-only key. HMAC keys have no
// PEM form.
func (k Key) MarshalPEM() ([]byte, error) {
	switch {
	case k.private != nil:
		der, err := x509.MarshalPKCS8PrivateKey(k.private)
		if err != nil {
			return nil, keyErr(k.id, "%v", err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
	case k.public != nil:
		der, err := x509.MarshalPKIXPublicKey(k.public)
		if err != nil {
			return nil, keyErr(k.id, "%v", err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
	}
	return nil, keyErr(k.id, "an HMAC key has no PEM form")
}

func newAsymmetricKey(kid string, alg Algorithm, priv crypto.Signer, pub crypto.PublicKey) (Key, error) {
	fam, _, curve := alg.info()
	switch p := pub.(type) {
	case *rsa.PublicKey:
		if fam != famRSA {
			return Key{}, keyErr(kid, "an RSA key cannot be used with %q", alg)
		}
	case *ecdsa.PublicKey:
		if fam != famEC {
			return Key{}, keyErr(kid, "an ECDSA key cannot be used with %q", alg)
		}
		if p.Curve != curve {
			return Key{}, keyErr(kid, "%s needs curve %s, the key is on %s", alg, curve.Params().Name, p.Curve.Params().Name)
		}
	case ed25519.PublicKey:
		if fam != famEd {
			return Key{}, keyErr(kid, "an Ed25519 key cannot be used with %q", alg)
		}
	default:
		return Key{}, keyErr(kid, "unsupported key type %T", pub)
	}
	return Key{id: kid, alg: alg, private: priv, public: pub}, nil
}

// GenerateKey makes a new random key for alg: a secret as long as the hash
// output for HMAC, a 3072-bit RSA key for RS* and PS*, a key on the matching
// curve for ES*, an Ed25519 key for EdDSA.
func GenerateKey(kid string, alg Algorithm) (Key, error) {
	fam, hash, curve := alg.info()
	var (
		priv crypto.Signer
		err  error
	)
	switch fam {
	case famHMAC:
		secret := make([]byte, hash.Size())
		_, _ = rand.Read(secret)
		return NewHMACKey(kid, alg, secret)
	case famRSA:
		priv, err = rsa.GenerateKey(rand.Reader, 3072)
	case famEC:
		priv, err = ecdsa.GenerateKey(curve, rand.Reader)
	case famEd:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		return Key{}, keyErr(kid, "unknown algorithm %q", alg)
	}
	if err != nil {
		return Key{}, keyErr(kid, "generating: %v", err)
	}
	if err := checkKID(kid); err != nil {
		return Key{}, err
	}
	return newAsymmetricKey(kid, alg, priv, priv.Public())
}

// checkStrength refuses weak key material unless allowWeak.
func (k Key) checkStrength(allowWeak bool) error {
	if allowWeak {
		return nil
	}
	if k.secret != nil {
		_, hash, _ := k.alg.info()
		if len(k.secret) < hash.Size() {
			return fmt.Errorf("%w: kid %q: %s needs a secret of at least %d bytes, got %d (set AllowWeakKeys only to migrate an existing deployment)",
				ErrWeakKey, k.id, k.alg, hash.Size(), len(k.secret))
		}
	}
	if p, ok := k.public.(*rsa.PublicKey); ok && p.N.BitLen() < minRSABits {
		return fmt.Errorf("%w: kid %q: RSA key of %d bits, need at least %d", ErrWeakKey, k.id, p.N.BitLen(), minRSABits)
	}
	return nil
}

// KeySet is what an Issuer signs and verifies with: one active signing key and
// any number of verify-only keys, such as the previous signing key during a
// rotation. Every key needs a distinct kid.
type KeySet struct {
	// Signing signs every new token; it verifies too. Required.
	Signing Key
	// Verify holds keys that are only accepted for verification. Optional.
	// Default: none.
	Verify []Key
}

// all returns the signing key first, then the verify-only keys.
func (ks KeySet) all() []Key {
	return append([]Key{ks.Signing}, ks.Verify...)
}

// check reports every problem of the key set at once.
func (ks KeySet) check(allowWeak bool) error {
	var errs []error
	if ks.Signing.IsZero() {
		errs = append(errs, fmt.Errorf("%w: no signing key", ErrInvalidKey))
	} else if !ks.Signing.CanSign() {
		errs = append(errs, keyErr(ks.Signing.id, "the signing key holds no private key"))
	}
	seen := map[string]bool{}
	for _, k := range ks.all() {
		if k.IsZero() {
			continue
		}
		if seen[k.id] {
			errs = append(errs, keyErr(k.id, "the kid is used twice"))
		}
		seen[k.id] = true
		if err := k.checkStrength(allowWeak); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

type jwk struct {
	Kty string `json:"kty"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Crv string `json:"crv,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
}

// JWKS renders the public keys of the set as a JSON Web Key Set (RFC 7517),
// signing key first. HMAC keys have no public part and never appear; a set of
// only HMAC keys renders as {"keys":[]}.
func (ks KeySet) JWKS() ([]byte, error) {
	b64 := base64.RawURLEncoding.EncodeToString
	doc := struct {
		Keys []jwk `json:"keys"`
	}{Keys: []jwk{}}
	for _, k := range ks.all() {
		j := jwk{Use: "sig", Alg: string(k.alg), Kid: k.id}
		switch p := k.public.(type) {
		case *rsa.PublicKey:
			j.Kty, j.N, j.E = "RSA", b64(p.N.Bytes()), b64(big.NewInt(int64(p.E)).Bytes())
		case *ecdsa.PublicKey:
			pt, err := p.ECDH()
			if err != nil {
				return nil, keyErr(k.id, "%v", err)
			}
			raw := pt.Bytes()[1:] // 0x04 || X || Y
			n := len(raw) / 2
			j.Kty, j.Crv, j.X, j.Y = "EC", p.Curve.Params().Name, b64(raw[:n]), b64(raw[n:])
		case ed25519.PublicKey:
			j.Kty, j.Crv, j.X = "OKP", "Ed25519", b64(p)
		default:
			continue
		}
		doc.Keys = append(doc.Keys, j)
	}
	return json.Marshal(doc)
}

// hashNew returns the constructor of the hash for HMAC keys.
func hashNew(h crypto.Hash) func() hashT {
	switch h {
	case crypto.SHA384:
		return sha512.New384
	case crypto.SHA512:
		return sha512.New
	}
	return sha256.New
}
