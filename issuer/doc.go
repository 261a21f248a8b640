// Package issuer creates and checks typed JSON Web Token pairs: the
// framework-free core of quickjwt, a Go port of the Python library quick_jwt.
//
// An Issuer[A, R] signs access tokens carrying a payload of struct type A and
// refresh tokens carrying a payload of struct type R. Payloads are validated
// with their `validate` tags (go-playground/validator) when a token is created
// and again when one is checked. Every token carries registered claims (iat,
// nbf, exp, jti, and iss and aud when configured), a kid header naming its
// key, and an explicit type in its typ header ("at+jwt" for access tokens,
// "rt+jwt" for refresh tokens), so that one kind never passes for the other.
//
// # Example
//
//	type User struct {
//		Sub string `json:"sub" validate:"required"`
//	}
//
//	key, _ := issuer.HMACKeyFromEnv("k1", issuer.HS256, "QUICKJWT_KEY")
//	iss, err := issuer.New[User, User](issuer.Config{Keys: issuer.KeySet{Signing: key}})
//	if err != nil { ... }
//	defer iss.Close()
//	tokens, err := iss.CreateTokens(ctx, User{Sub: "some_id"}, User{Sub: "some_id"})
//	// tokens marshals to {"access":"eyJ…","refresh":"eyJ…"}
//	user, err := iss.CheckAccess(ctx, tokens.Access)
//
// # Verification
//
// The algorithm always comes from the key named by the token's kid, never
// from the token; "none", jwk/jku/x5u/x5c headers, crit extensions, duplicate
// JSON keys and non-canonical base64url are refused. Every reason a token is
// refused has a sentinel error that matches ErrInvalidToken as well; see
// errors.go. A forged token is always reported as ErrSignature, whatever else
// is wrong with it.
//
// # Keys
//
// A KeySet has one signing key and any number of verify-only keys. SetKeys
// swaps the whole set atomically; JWKS renders its public keys. HMAC secrets
// shorter than their hash output are refused unless Config.AllowWeakKeys.
//
// # Allocation
//
// SignPair appends both tokens into a caller-owned Pair; with an HMAC key and
// payloads that implement JSONAppender it allocates nothing. CreateTokens
// allocates one string for the two tokens plus one copy per validated payload.
//
// # Concurrency
//
// An Issuer, its keys, Stores and MemoryStore are safe for concurrent use.
// An Issuer is immutable after New except for its key set, which SetKeys
// replaces through an atomic pointer: signing and checking never take a lock.
// A Pair must not be shared between goroutines while it is being signed into.
// Close stops the MemoryStore the Issuer made for itself.
package issuer
