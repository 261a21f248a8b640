package issuer_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/quickjwt/quickjwt/issuer"
)

// The vectors below were made by PyJWT 2.6.0 (Debian 12's python3-jwt), the
// signing driver quick_jwt uses, with this script; it also checks that PyJWT's
// output equals a token assembled by hand from Python's json, hmac and base64:
//
//	import jwt, json, hmac, hashlib, base64
//	def b64(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
//	def by_hand(payload, key):
//	    h = json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":"), sort_keys=True).encode()
//	    p = json.dumps(payload, separators=(",", ":")).encode()
//	    si = b64(h) + "." + b64(p)
//	    return si + "." + b64(hmac.new(key, si.encode(), hashlib.sha256).digest())
//	for name, payload, key in vectors:
//	    tok = jwt.encode(payload, key, algorithm="HS256")
//	    assert tok == by_hand(payload, key), name
//	    print(name, tok)
//
// with vectors = [
//
//	("seed", {"sub": "some_id"}, b"0123456789abcdef0123456789abcdef"),
//	("one-space key", {"sub": "some_id"}, b" "),
//	("rich", {"sub": "user-1", "name": "Zo\u00eb <admin> & \"co\" \\ /", "emoji": "\U0001F680",
//	  "ctrl": "tab\there\nnl\x01\x7f\b\f\r", "seps": "\u2028\u2029", "n": 42, "neg": -7, "ok": True,
//	  "none": None, "tags": ["a", "b"], "nested": {"k": "v", "empty": []}}, b"0123456789abcdef0123456789abcdef"),
//
// ]
const (
	pyjwtSeed     = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJzb21lX2lkIn0.9w3SBLvwLKXosgXlENnfx9pAhcmSrwGHIlMZ71ciAwY"
	pyjwtSpaceKey = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJzb21lX2lkIn0.CpKSaLuoN-G2v-C_hCo0qvfXIG2222J3FF0V9kei9tw"
	pyjwtRich     = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTEiLCJuYW1lIjoiWm9cdTAwZWIgPGFkbWluPiAmIFwiY29cIiBcXCAvIiwiZW1vamkiOiJcdWQ4M2RcdWRlODAiLCJjdHJsIjoidGFiXHRoZXJlXG5ubFx1MDAwMVx1MDA3ZlxiXGZcciIsInNlcHMiOiJcdTIwMjhcdTIwMjkiLCJuIjo0MiwibmVnIjotNywib2siOnRydWUsIm5vbmUiOm51bGwsInRhZ3MiOlsiYSIsImIiXSwibmVzdGVkIjp7ImsiOiJ2IiwiZW1wdHkiOltdfX0.v1xLZdHtZIhjX3waX7YA_UBE5w3I7fQy29FQTpWeML8"

	// seedToken is the token shown on quick_jwt's "Create JWT" page; its key
	// is not published, so only its header and payload can be compared.
	seedToken = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJzb21lX2lkIn0.EerZU4uZCRh7yXxOqsZKTwzls7BnL-6C8jidTTkit6k"
)

type richPayload struct {
	Sub    string   `json:"sub"`
	Name   string   `json:"name"`
	Emoji  string   `json:"emoji"`
	Ctrl   string   `json:"ctrl"`
	Seps   string   `json:"seps"`
	N      int      `json:"n"`
	Neg    int      `json:"neg"`
	OK     bool     `json:"ok"`
	None   *string  `json:"none"`
	Tags   []string `json:"tags"`
	Nested struct {
		K     string   `json:"k"`
		Empty []string `json:"empty"`
	} `json:"nested"`
}

func compatIssuer[A, R any](t *testing.T, secret []byte, weak bool) *issuer.Issuer[A, R] {
	t.Helper()
	k, err := issuer.NewHMACKey("legacy", issuer.HS256, secret)
	if err != nil {
		t.Fatal(err)
	}
	iss, err := issuer.New[A, R](issuer.Config{Keys: issuer.KeySet{Signing: k}, Compat: true, AllowWeakKeys: weak, Now: newClock().Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { iss.Close() })
	return iss
}

func TestCompatByteIdenticalToPyJWT(t *testing.T) {
	rich := richPayload{Sub: "user-1", Name: "Zoë <admin> & \"co\" \\ /", Emoji: "🚀",
		Ctrl: "tab\there\nnl\x01\x7f\b\f\r", Seps: "\u2028\u2029", N: 42, Neg: -7, OK: true, Tags: []string{"a", "b"}}
	rich.Nested.K, rich.Nested.Empty = "v", []string{}

	t.Run("seed", func(t *testing.T) {
		iss := compatIssuer[User, User](t, secret32, false)
		tokens, err := iss.CreateTokens(ctx, User{Sub: "some_id"}, User{Sub: "some_id"})
		if err != nil {
			t.Fatal(err)
		}
		if tokens.Access != pyjwtSeed || tokens.Refresh != pyjwtSeed {
			t.Fatalf("got\n%s\n%s\nwant %s", tokens.Access, tokens.Refresh, pyjwtSeed)
		}
		// Header and payload are those of the documentation page too.
		if !strings.HasPrefix(seedToken, pyjwtSeed[:strings.LastIndexByte(pyjwtSeed, '.')+1]) {
			t.Fatalf("seed page token %s and ours differ before the signature", seedToken)
		}
	})
	t.Run("one-space key", func(t *testing.T) {
		iss := compatIssuer[User, User](t, []byte(" "), true)
		tok, err := iss.CreateAccessToken(ctx, User{Sub: "some_id"})
		if err != nil || tok != pyjwtSpaceKey {
			t.Fatalf("got %s, %v\nwant %s", tok, err, pyjwtSpaceKey)
		}
	})
	t.Run("rich", func(t *testing.T) {
		iss := compatIssuer[richPayload, User](t, secret32, false)
		tok, err := iss.CreateAccessToken(ctx, rich)
		if err != nil || tok != pyjwtRich {
			t.Fatalf("got %s, %v\nwant %s", tok, err, pyjwtRich)
		}
		var p issuer.Pair
		if err := iss.SignPair(&p, rich, User{Sub: "x"}); err != nil || string(p.Access) != pyjwtRich {
			t.Fatalf("SignPair: %s, %v", p.Access, err)
		}
	})
}

func TestCompatChecksPyJWTTokens(t *testing.T) {
	iss := compatIssuer[richPayload, User](t, secret32, false)
	got, err := iss.CheckAccess(ctx, pyjwtRich)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Zoë <admin> & \"co\" \\ /" || got.Emoji != "🚀" || got.Ctrl != "tab\there\nnl\x01\x7f\b\f\r" || got.N != 42 || !got.OK || got.Nested.K != "v" {
		t.Fatalf("decoded %+v", got)
	}
	users := compatIssuer[User, User](t, secret32, false)
	// As in quick_jwt, an untyped token passes both checks: Compat is for migrations.
	if _, err := users.CheckRefresh(ctx, pyjwtSeed); err != nil {
		t.Fatalf("untyped token in a Compat refresh check: %v", err)
	}
	// Registered claims are checked when present, as PyJWT does.
	now := t0.Unix()
	expired := forgeHS256(`{"alg":"HS256","typ":"JWT"}`, fmt.Sprintf(`{"sub":"a","exp":%d}`, now-1), secret32)
	if _, err := users.CheckAccess(ctx, expired); !errors.Is(err, issuer.ErrExpired) {
		t.Fatalf("expired Compat token: %v", err)
	}
	// Typed tokens keep their type even in Compat mode.
	typed := forgeHS256(`{"alg":"HS256","kid":"legacy","typ":"rt+jwt"}`, `{"sub":"a"}`, secret32)
	if _, err := users.CheckAccess(ctx, typed); !errors.Is(err, issuer.ErrTokenType) {
		t.Fatalf("refresh-typed token in Compat access check: %v", err)
	}
	if _, err := users.CheckAccess(ctx, forgeHS256(`{"alg":"HS256","typ":"JWT"}`, `{"sub":"a"}`, []byte("another secret key of 32+ bytes!"))); !errors.Is(err, issuer.ErrSignature) {
		t.Fatalf("forged Compat token: %v", err)
	}
	// A token without kid is tried against every key of its algorithm, so a
	// Compat deployment can rotate its secret.
	if err := users.SetKeys(issuer.KeySet{Signing: mustHMAC(t, "next", []byte("the next secret, also 32 bytes!!")),
		Verify: []issuer.Key{mustHMAC(t, "legacy", secret32)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := users.CheckAccess(ctx, pyjwtSeed); err != nil {
		t.Fatalf("old Compat token after rotation: %v", err)
	}
	// Outside Compat mode, an untyped quick_jwt token is refused.
	strict := newIssuer(t, nil, issuer.Config{Keys: issuer.KeySet{Signing: mustHMAC(t, "legacy", secret32)}})
	if _, err := strict.CheckAccess(ctx, pyjwtSeed); !errors.Is(err, issuer.ErrUnknownKey) {
		t.Fatalf("untyped, kid-less token outside Compat: %v", err)
	}
}
