package issuer

import "errors"

// tokenError is the type of the sentinels that describe why a token was
// refused. Each of them also matches [ErrInvalidToken], so a caller that only
// needs "reject with 401" checks one error, and a caller that needs the reason
// checks the specific one.
type tokenError struct{ msg string }

func (e *tokenError) Error() string        { return e.msg }
func (e *tokenError) Is(target error) bool { return target == ErrInvalidToken }

// Errors returned when a token is checked. Every one of them matches
// ErrInvalidToken as well as itself through errors.Is. Messages never contain
// key material; they may quote a short, attacker-chosen header value such as a
// kid, so treat them as untrusted text.
var (
	// ErrInvalidToken matches every reason a token can be refused for.
	ErrInvalidToken = errors.New("issuer: invalid token")

	// ErrTooLarge means the token is longer than Config.MaxTokenSize. Nothing
	// of it was decoded.
	ErrTooLarge error = &tokenError{"issuer: token too large"}

	// ErrMalformed means the token is not a compact JWS of three canonical
	// base64url parts whose header and claims are JSON objects without
	// duplicate keys.
	ErrMalformed error = &tokenError{"issuer: malformed token"}

	// ErrAlgNone means the header names the "none" algorithm, in any spelling.
	ErrAlgNone error = &tokenError{"issuer: unsigned token (alg none)"}

	// ErrAlgMismatch means the header's alg differs from the algorithm of the
	// key named by its kid. The algorithm always comes from the key.
	ErrAlgMismatch error = &tokenError{"issuer: algorithm does not match the key"}

	// ErrUnknownKey means the header has no kid, or a kid that is not in the
	// current key set.
	ErrUnknownKey error = &tokenError{"issuer: unknown signing key"}

	// ErrSignature means the signature is missing, empty or wrong.
	ErrSignature error = &tokenError{"issuer: invalid signature"}

	// ErrUnsupportedHeader means the header carries a parameter that is never
	// honoured (jwk, jku, x5u, x5c) or a crit list of extensions.
	ErrUnsupportedHeader error = &tokenError{"issuer: unsupported header parameter"}

	// ErrTokenType means an access token was presented where a refresh token
	// is expected, or the other way round, or the typ header is missing.
	ErrTokenType error = &tokenError{"issuer: wrong token type"}

	// ErrExpired means the exp claim lies in the past, beyond the leeway.
	ErrExpired error = &tokenError{"issuer: token expired"}

	// ErrNotYetValid means nbf or iat lies in the future, beyond the leeway.
	ErrNotYetValid error = &tokenError{"issuer: token not valid yet"}

	// ErrIssuer means the iss claim is missing or differs from Config.Issuer.
	ErrIssuer error = &tokenError{"issuer: wrong issuer"}

	// ErrAudience means the aud claim is missing or does not contain
	// Config.Audience.
	ErrAudience error = &tokenError{"issuer: wrong audience"}

	// ErrMissingClaim means a required registered claim (exp, iat, jti) is
	// absent or has the wrong JSON type.
	ErrMissingClaim error = &tokenError{"issuer: missing or invalid registered claim"}

	// ErrRevoked means the token's jti, the family it belongs to, or its
	// subject was revoked.
	ErrRevoked error = &tokenError{"issuer: token revoked"}

	// ErrReused means a refresh token was used a second time: taken for a
	// replay, it got its whole family revoked.
	ErrReused error = &tokenError{"issuer: refresh token reused; its family is revoked"}
)

// Errors returned when tokens are created, keys are loaded or an Issuer is
// configured.
var (
	// ErrInvalidPayload means a payload failed its validate tags or its
	// Validate method. The error also carries validator.ValidationErrors,
	// reachable with errors.As, and names every failing field and rule. When a
	// checked token's payload fails, the error matches ErrInvalidToken too.
	ErrInvalidPayload = errors.New("issuer: invalid payload")

	// ErrInvalidConfig means Config (or a payload type) cannot be used; the
	// error lists every problem.
	ErrInvalidConfig = errors.New("issuer: invalid config")

	// ErrInvalidKey means key material could not be used: empty, wrong type
	// for the algorithm, unparsable PEM, or an unknown algorithm.
	ErrInvalidKey = errors.New("issuer: invalid key")

	// ErrWeakKey means an HMAC secret is shorter than the hash output of its
	// algorithm, or an RSA key is shorter than 2048 bits, and
	// Config.AllowWeakKeys is false.
	ErrWeakKey = errors.New("issuer: weak key")

	// ErrStore means the revocation store failed; the token's validity is
	// unknown, so it is refused (fail closed).
	ErrStore = errors.New("issuer: revocation store unavailable")

	// ErrClosed means the Issuer was closed.
	ErrClosed = errors.New("issuer: closed")
)
