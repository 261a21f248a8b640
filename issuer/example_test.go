package issuer_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/quickjwt/quickjwt/issuer"
)

// UserScheme is the payload of quick_jwt's documentation examples.
type UserScheme struct {
	Sub string `json:"sub" validate:"required"`
}

// fixedRand makes the examples' token ids repeatable; production code leaves
// Config.Rand nil to use crypto/rand.
type fixedRand struct{}

func (fixedRand) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(i)
	}
	return len(p), nil
}

func exampleConfig() issuer.Config {
	key, err := issuer.NewHMACKey("2026-12", issuer.HS256, []byte("an example secret of 32 bytes..."))
	if err != nil {
		panic(err)
	}
	return issuer.Config{
		Keys: issuer.KeySet{Signing: key},
		Now:  func() time.Time { return time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC) },
		Rand: fixedRand{},
	}
}

// The seed's basic use case: one call creates the access and refresh tokens.
func Example() {
	ctx := context.Background()
	iss, err := issuer.New[UserScheme, UserScheme](exampleConfig())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer iss.Close()

	user := UserScheme{Sub: "some_id"}
	tokens, err := iss.CreateTokens(ctx, user, user)
	if err != nil {
		fmt.Println(err)
		return
	}
	out, _ := json.MarshalIndent(tokens, "", "  ")
	fmt.Println(string(out))

	checked, err := iss.CheckAccess(ctx, tokens.Access)
	fmt.Println(checked.Sub, err)
	// Output:
	// {
	//   "access": "eyJhbGciOiJIUzI1NiIsImtpZCI6IjIwMjYtMTIiLCJ0eXAiOiJhdCtqd3QifQ.eyJpYXQiOjE3OTYyOTkyMDAsIm5iZiI6MTc5NjI5OTIwMCwiZXhwIjoxNzk2MzAwMTAwLCJqdGkiOiJBQUVDQXdRRkJnY0lDUW9MREEwT0R3IiwiZmFtIjoiSUNFaUl5UWxKaWNvS1NvckxDMHVMdyIsInN1YiI6InNvbWVfaWQifQ.s7MX_Rbeg8Gk7r_MfxckrlUZfiMZtSHQQepnIuZMyWc",
	//   "refresh": "eyJhbGciOiJIUzI1NiIsImtpZCI6IjIwMjYtMTIiLCJ0eXAiOiJydCtqd3QifQ.eyJpYXQiOjE3OTYyOTkyMDAsIm5iZiI6MTc5NjI5OTIwMCwiZXhwIjoxNzk3NTA4ODAwLCJqdGkiOiJFQkVTRXhRVkZoY1lHUm9iSEIwZUh3IiwiZmFtIjoiSUNFaUl5UWxKaWNvS1NvckxDMHVMdyIsInN1YiI6InNvbWVfaWQifQ.eK5O8q7ApASfTSCGxkY5V-qbO7zgPHXR-VNuQLrlpp8"
	// }
	// some_id <nil>
}

func ExampleNew() {
	key, err := issuer.GenerateKey("k1", issuer.EdDSA)
	if err != nil {
		fmt.Println(err)
		return
	}
	iss, err := issuer.New[UserScheme, UserScheme](issuer.Config{
		Keys:      issuer.KeySet{Signing: key},
		Issuer:    "https://auth.example.com",
		Audience:  "api",
		AccessTTL: 5 * time.Minute,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer iss.Close()
	fmt.Println(iss.AccessTTL(), iss.RefreshTTL())

	// A payload field named like a claim the issuer sets is an error, not an overwrite.
	type Bad struct {
		Exp int64 `json:"exp"`
	}
	_, err = issuer.New[Bad, UserScheme](issuer.Config{Keys: issuer.KeySet{Signing: key}})
	fmt.Println(errors.Is(err, issuer.ErrInvalidConfig))
	// Output:
	// 5m0s 336h0m0s
	// true
}

func ExampleIssuer_CreateAccessToken() {
	iss, _ := issuer.New[UserScheme, UserScheme](exampleConfig())
	defer iss.Close()
	token, err := iss.CreateAccessToken(context.Background(), UserScheme{Sub: "some_id"})
	fmt.Println(token, err)

	_, err = iss.CreateAccessToken(context.Background(), UserScheme{})
	fmt.Println(err)
	// Output:
	// eyJhbGciOiJIUzI1NiIsImtpZCI6IjIwMjYtMTIiLCJ0eXAiOiJhdCtqd3QifQ.eyJpYXQiOjE3OTYyOTkyMDAsIm5iZiI6MTc5NjI5OTIwMCwiZXhwIjoxNzk2MzAwMTAwLCJqdGkiOiJBQUVDQXdRRkJnY0lDUW9MREEwT0R3Iiwic3ViIjoic29tZV9pZCJ9.USLLU7F_2IiQsw_jhYKHfmpyrQNkJmFTW55luK_YUj4 <nil>
	// issuer: invalid payload: sub failed required
}

func ExampleIssuer_CreateRefreshToken() {
	iss, _ := issuer.New[UserScheme, UserScheme](exampleConfig())
	defer iss.Close()
	token, _ := iss.CreateRefreshToken(context.Background(), UserScheme{Sub: "some_id"})
	_, err := iss.CheckAccess(context.Background(), token)
	fmt.Println(err)
	user, err := iss.CheckRefresh(context.Background(), token)
	fmt.Println(user.Sub, err)
	// Output:
	// issuer: wrong token type
	// some_id <nil>
}

// Checking a token gives the typed payload, or an error telling why not.
func ExampleIssuer_CheckAccess() {
	ctx := context.Background()
	iss, _ := issuer.New[UserScheme, UserScheme](exampleConfig())
	defer iss.Close()
	token, _ := iss.CreateAccessToken(ctx, UserScheme{Sub: "some_id"})

	forged := token[:len(token)-43] + strings.Repeat("A", 43) // another signature
	for _, tok := range []string{token, forged, "garbage"} {
		user, err := iss.CheckAccess(ctx, tok)
		switch {
		case err == nil:
			fmt.Println("user", user.Sub)
		case errors.Is(err, issuer.ErrExpired):
			fmt.Println("expired: refresh it")
		case errors.Is(err, issuer.ErrInvalidToken):
			fmt.Println("401:", err)
		default:
			fmt.Println("503:", err) // e.g. ErrStore: the revocation store is down
		}
	}
	// Output:
	// user some_id
	// 401: issuer: invalid signature
	// 401: issuer: malformed token
}

func ExampleIssuer_CheckRefresh() {
	ctx := context.Background()
	iss, _ := issuer.New[UserScheme, UserScheme](exampleConfig())
	defer iss.Close()
	tokens, _ := iss.CreateTokens(ctx, UserScheme{Sub: "a"}, UserScheme{Sub: "b"})
	r, err := iss.CheckRefresh(ctx, tokens.Refresh)
	fmt.Println(r.Sub, err)
	_, err = iss.CheckRefresh(ctx, tokens.Access)
	fmt.Println(err)
	// Output:
	// b <nil>
	// issuer: wrong token type
}

func ExampleIssuer_CheckAccessClaims() {
	ctx := context.Background()
	iss, _ := issuer.New[UserScheme, UserScheme](exampleConfig())
	defer iss.Close()
	tokens, _ := iss.CreateTokens(ctx, UserScheme{Sub: "some_id"}, UserScheme{Sub: "some_id"})
	_, claims, err := iss.CheckAccessClaims(ctx, tokens.Access)
	fmt.Println(err)
	fmt.Println(claims.Type, claims.KeyID, claims.Subject, claims.ID, claims.Family)
	fmt.Println(claims.IssuedAt.UTC(), claims.ExpiresAt.UTC())
	// Output:
	// <nil>
	// at+jwt 2026-12 some_id AAECAwQFBgcICQoLDA0ODw ICEiIyQlJicoKSorLC0uLw
	// 2026-12-03 12:00:00 +0000 UTC 2026-12-03 12:15:00 +0000 UTC
}

func ExampleIssuer_CheckRefreshClaims() {
	ctx := context.Background()
	iss, _ := issuer.New[UserScheme, UserScheme](exampleConfig())
	defer iss.Close()
	tokens, _ := iss.CreateTokens(ctx, UserScheme{Sub: "some_id"}, UserScheme{Sub: "some_id"})
	_, claims, err := iss.CheckRefreshClaims(ctx, tokens.Refresh)
	fmt.Println(claims.Type, claims.Family, claims.ExpiresAt.UTC(), err)
	// Output:
	// rt+jwt ICEiIyQlJicoKSorLC0uLw 2026-12-17 12:00:00 +0000 UTC <nil>
}

// FastUser writes its own JSON and checks itself, so signing it allocates nothing.
type FastUser struct{ Sub string }

func (u *FastUser) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"sub":`...)
	dst = issuer.AppendJSONString(dst, u.Sub)
	return append(dst, '}')
}

func (u *FastUser) Validate() error {
	if u.Sub == "" {
		return errors.New("sub is required")
	}
	return nil
}

// SignPair reuses the caller's buffers: with an HMAC key and a JSONAppender
// payload it allocates nothing.
func ExampleIssuer_SignPair() {
	iss, _ := issuer.New[FastUser, FastUser](exampleConfig())
	defer iss.Close()
	var pair issuer.Pair // keep it, e.g. per worker, to reuse its buffers
	err := iss.SignPair(&pair, FastUser{Sub: "some_id"}, FastUser{Sub: "some_id"})
	fmt.Println(len(pair.Access) > 0, len(pair.Refresh) > 0, err)
	fmt.Println(iss.SignPair(&pair, FastUser{}, FastUser{Sub: "x"}))
	// Output:
	// true true <nil>
	// issuer: invalid payload: sub is required
}

func ExampleIssuer_AppendAccessToken() {
	iss, _ := issuer.New[FastUser, FastUser](exampleConfig())
	defer iss.Close()
	buf := []byte("Bearer ")
	buf, err := iss.AppendAccessToken(buf, FastUser{Sub: "some_id"})
	fmt.Println(string(buf[:20]), err)
	// Output:
	// Bearer eyJhbGciOiJIU <nil>
}

// Rotating keys: the new key signs, the old one still verifies until it is
// dropped from the set.
func ExampleIssuer_SetKeys() {
	ctx := context.Background()
	cfg := exampleConfig()
	iss, _ := issuer.New[UserScheme, UserScheme](cfg)
	defer iss.Close()
	old, _ := iss.CreateAccessToken(ctx, UserScheme{Sub: "some_id"})

	next, _ := issuer.GenerateKey("2027-01", issuer.ES256)
	if err := iss.SetKeys(issuer.KeySet{Signing: next, Verify: []issuer.Key{cfg.Keys.Signing}}); err != nil {
		fmt.Println(err)
		return
	}
	fresh, _ := iss.CreateAccessToken(ctx, UserScheme{Sub: "some_id"})
	_, errOld := iss.CheckAccess(ctx, old)
	_, errNew := iss.CheckAccess(ctx, fresh)
	fmt.Println(errOld, errNew)

	_ = iss.SetKeys(issuer.KeySet{Signing: next})
	_, errOld = iss.CheckAccess(ctx, old)
	fmt.Println(errOld)
	// Output:
	// <nil> <nil>
	// issuer: unknown signing key: kid "2026-12"
}

func ExampleIssuer_Revoke() {
	ctx := context.Background()
	iss, _ := issuer.New[UserScheme, UserScheme](exampleConfig())
	defer iss.Close()
	tokens, _ := iss.CreateTokens(ctx, UserScheme{Sub: "some_id"}, UserScheme{Sub: "some_id"})
	fmt.Println(iss.Revoke(ctx, tokens.Access))
	_, err := iss.CheckAccess(ctx, tokens.Access)
	fmt.Println(err)
	// Output:
	// <nil>
	// issuer: token revoked
}

func ExampleIssuer_JWKS() {
	key, _ := issuer.GenerateKey("ed-1", issuer.EdDSA)
	iss, _ := issuer.New[UserScheme, UserScheme](issuer.Config{Keys: issuer.KeySet{Signing: key}})
	defer iss.Close()
	var doc struct {
		Keys []map[string]string `json:"keys"`
	}
	_ = json.Unmarshal([]byte(iss.JWKS()), &doc)
	k := doc.Keys[0]
	fmt.Println(k["kty"], k["crv"], k["alg"], k["kid"], k["use"], len(k["x"]))
	// Output:
	// OKP Ed25519 EdDSA ed-1 sig 43
}

func ExampleKeySet_JWKS() {
	hmacKey, _ := issuer.NewHMACKey("h1", issuer.HS256, []byte("an example secret of 32 bytes..."))
	doc, err := issuer.KeySet{Signing: hmacKey}.JWKS()
	fmt.Println(string(doc), err) // an HMAC secret is never published
	// Output:
	// {"keys":[]} <nil>
}

func ExampleNewHMACKey() {
	_, err := issuer.NewHMACKey("k1", issuer.HS256, nil)
	fmt.Println(err)

	short, _ := issuer.NewHMACKey("k1", issuer.HS256, []byte("secret"))
	_, err = issuer.New[UserScheme, UserScheme](issuer.Config{Keys: issuer.KeySet{Signing: short}})
	fmt.Println(err)
	// Output:
	// issuer: invalid key: kid "k1": empty HMAC secret
	// issuer: weak key: kid "k1": HS256 needs a secret of at least 32 bytes, got 6 (set AllowWeakKeys only to migrate an existing deployment)
}

func ExampleHMACKeyFromEnv() {
	os.Setenv("EXAMPLE_QUICKJWT_KEY", "an example secret of 32 bytes...")
	key, err := issuer.HMACKeyFromEnv("k1", issuer.HS256, "EXAMPLE_QUICKJWT_KEY")
	fmt.Println(key, err)
	_, err = issuer.HMACKeyFromEnv("k1", issuer.HS256, "EXAMPLE_UNSET_VARIABLE")
	fmt.Println(err)
	// Output:
	// Key{kid="k1" alg=HS256 [redacted]} <nil>
	// issuer: invalid key: kid "k1": environment variable EXAMPLE_UNSET_VARIABLE is unset or empty
}

func ExampleHMACKeyFromFile() {
	f, _ := os.CreateTemp("", "secret")
	defer os.Remove(f.Name())
	fmt.Fprintln(f, "an example secret of 32 bytes...") // the trailing newline is not part of it
	f.Close()
	key, err := issuer.HMACKeyFromFile("k1", issuer.HS256, f.Name())
	fmt.Println(key, err)
	// Output:
	// Key{kid="k1" alg=HS256 [redacted]} <nil>
}

func ExampleGenerateKey() {
	key, _ := issuer.GenerateKey("es-1", issuer.ES256)
	pemBytes, _ := key.MarshalPEM()
	fmt.Println(key, strings.HasPrefix(string(pemBytes), "-----BEGIN PRIVATE KEY-----"))
	// Output:
	// Key{kid="es-1" alg=ES256 [redacted]} true
}

func ExampleParsePrivateKeyPEM() {
	generated, _ := issuer.GenerateKey("tmp", issuer.ES256)
	pemBytes, _ := generated.MarshalPEM() // as read from a file in production

	key, err := issuer.ParsePrivateKeyPEM("es-1", issuer.ES256, pemBytes)
	fmt.Println(key, err)
	_, err = issuer.ParsePrivateKeyPEM("es-1", issuer.RS256, pemBytes)
	fmt.Println(err)
	// Output:
	// Key{kid="es-1" alg=ES256 [redacted]} <nil>
	// issuer: invalid key: kid "es-1": an ECDSA key cannot be used with "RS256"
}

func ExampleParsePublicKeyPEM() {
	signing, _ := issuer.GenerateKey("es-1", issuer.ES256)
	public, _ := signing.PublicKey()
	pemBytes, _ := public.MarshalPEM()

	key, err := issuer.ParsePublicKeyPEM("es-1", issuer.ES256, pemBytes)
	fmt.Println(key, key.CanSign(), err)
	// Output:
	// Key{kid="es-1" alg=ES256 public} false <nil>
}

func ExampleAppendJSONString() {
	fmt.Println(string(issuer.AppendJSONString([]byte("sub="), "Zoë \"the\" <admin>")))
	// Output:
	// sub="Zoë \"the\" <admin>"
}

func ExampleNewMemoryStore() {
	store := issuer.NewMemoryStore(issuer.MemoryStoreConfig{SweepInterval: time.Minute})
	defer store.Close()
	cfg := exampleConfig()
	cfg.Store = store // shared by two issuers, say, or inspected by the caller
	iss, _ := issuer.New[UserScheme, UserScheme](cfg)
	defer iss.Close()
	_ = store.Revoke(context.Background(), issuer.Revocation{ID: "some-jti", Until: time.Now().Add(time.Hour)})
	revoked, _ := store.Revoked(context.Background(), issuer.Query{ID: []byte("some-jti")})
	fmt.Println(revoked, store.Len())
	// Output:
	// true 1
}

// Compat mode makes tokens byte for byte as quick_jwt (PyJWT) does, for a
// migration: no registered claims, no type marker.
func ExampleConfig_compat() {
	key, _ := issuer.NewHMACKey("legacy", issuer.HS256, []byte("0123456789abcdef0123456789abcdef"))
	iss, _ := issuer.New[UserScheme, UserScheme](issuer.Config{Keys: issuer.KeySet{Signing: key}, Compat: true})
	defer iss.Close()
	token, _ := iss.CreateAccessToken(context.Background(), UserScheme{Sub: "some_id"})
	fmt.Println(token)
	// Output:
	// eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJzb21lX2lkIn0.9w3SBLvwLKXosgXlENnfx9pAhcmSrwGHIlMZ71ciAwY
}

// Refresh rotates: the new pair continues the family, and using the old
// refresh token again is taken for a replay.
func ExampleIssuer_Refresh() {
	ctx := context.Background()
	iss, _ := issuer.New[UserScheme, UserScheme](exampleConfig())
	defer iss.Close()
	login, _ := iss.CreateTokens(ctx, UserScheme{Sub: "some_id"}, UserScheme{Sub: "some_id"})

	keep := func(old UserScheme) (UserScheme, UserScheme, error) { return old, old, nil }
	next, err := iss.Refresh(ctx, login.Refresh, keep)
	fmt.Println(err)
	_, err = iss.Refresh(ctx, login.Refresh, keep) // a thief replays the old one
	fmt.Println(err)
	_, err = iss.CheckAccess(ctx, next.Access) // the whole family is revoked
	fmt.Println(err)
	// Output:
	// <nil>
	// issuer: refresh token reused; its family is revoked
	// issuer: token revoked
}

func ExampleIssuer_RevokeSubject() {
	ctx := context.Background()
	iss, _ := issuer.New[UserScheme, UserScheme](exampleConfig())
	defer iss.Close()
	phone, _ := iss.CreateAccessToken(ctx, UserScheme{Sub: "alice"})
	laptop, _ := iss.CreateAccessToken(ctx, UserScheme{Sub: "alice"})
	fmt.Println(iss.RevokeSubject(ctx, "alice")) // log alice out everywhere
	_, err1 := iss.CheckAccess(ctx, phone)
	_, err2 := iss.CheckAccess(ctx, laptop)
	fmt.Println(err1, err2)
	// Output:
	// <nil>
	// issuer: token revoked issuer: token revoked
}

func ExampleIssuer_AppendRefreshToken() {
	iss, _ := issuer.New[FastUser, FastUser](exampleConfig())
	defer iss.Close()
	buf, err := iss.AppendRefreshToken(nil, FastUser{Sub: "some_id"})
	_, claims, _ := iss.CheckRefreshClaims(context.Background(), string(buf))
	fmt.Println(err, claims.Type, claims.Family != "")
	// Output:
	// <nil> rt+jwt true
}

func ExampleIssuer_Keys() {
	iss, _ := issuer.New[UserScheme, UserScheme](exampleConfig())
	defer iss.Close()
	ks := iss.Keys()
	fmt.Println(ks.Signing, len(ks.Verify))
	// Output:
	// Key{kid="2026-12" alg=HS256 [redacted]} 0
}

func ExampleLookupMember() {
	payload := []byte(`{"sub":"some_id","roles":["admin"]}`) // as an UnmarshalJSON method receives it
	v, ok := issuer.LookupMember(payload, "roles")
	fmt.Println(string(v), ok)
	// Output:
	// ["admin"] true
}
