package issuer_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-playground/validator/v10"
	"github.com/quickjwt/quickjwt/issuer"
)

// decodeSeg decodes one part of a compact token into a map, failing the test
// on error.
func decodeSeg(t *testing.T, tok string, i int) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	return m
}

func TestCreateTokensRoundTrip(t *testing.T) {
	iss := newIssuer(t, nil, issuer.Config{})
	tokens, err := iss.CreateTokens(ctx, User{Sub: "some_id"}, User{Sub: "refresh_id"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := iss.CheckAccess(ctx, tokens.Access)
	if err != nil || a.Sub != "some_id" {
		t.Fatalf("CheckAccess = %+v, %v", a, err)
	}
	r, err := iss.CheckRefresh(ctx, tokens.Refresh)
	if err != nil || r.Sub != "refresh_id" {
		t.Fatalf("CheckRefresh = %+v, %v", r, err)
	}
	single, err := iss.CreateAccessToken(ctx, User{Sub: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if a, err := iss.CheckAccess(ctx, single); err != nil || a.Sub != "x" {
		t.Fatalf("CreateAccessToken then CheckAccess = %+v, %v", a, err)
	}
	single, err = iss.CreateRefreshToken(ctx, User{Sub: "y"})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := iss.CheckRefresh(ctx, single); err != nil || r.Sub != "y" {
		t.Fatalf("CreateRefreshToken then CheckRefresh = %+v, %v", r, err)
	}
}

func TestTokensMarshal(t *testing.T) {
	b, err := json.Marshal(issuer.Tokens{Access: "a.b.c", Refresh: "d.e.f"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"access":"a.b.c","refresh":"d.e.f"}`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestRegisteredClaims(t *testing.T) {
	clk := newClock()
	tests := []struct {
		name                  string
		cfg                   issuer.Config
		accessTTL, refreshTTL time.Duration
	}{
		{name: "defaults", accessTTL: 15 * time.Minute, refreshTTL: 14 * 24 * time.Hour},
		{name: "custom", cfg: issuer.Config{AccessTTL: time.Minute, RefreshTTL: time.Hour, Issuer: "https://auth.example", Audience: "api"},
			accessTTL: time.Minute, refreshTTL: time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iss := newIssuer(t, clk, tt.cfg)
			tokens, err := iss.CreateTokens(ctx, User{Sub: "u1"}, User{Sub: "u1"})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				tok string
				typ string
				ttl time.Duration
			}{{tokens.Access, "at+jwt", tt.accessTTL}, {tokens.Refresh, "rt+jwt", tt.refreshTTL}} {
				h, cl := decodeSeg(t, c.tok, 0), decodeSeg(t, c.tok, 1)
				if h["typ"] != c.typ || h["kid"] != "k1" || h["alg"] != "HS256" {
					t.Errorf("header = %v, want typ %s, kid k1, alg HS256", h, c.typ)
				}
				iat := float64(t0.Unix())
				if cl["iat"] != iat || cl["nbf"] != iat || cl["exp"] != iat+c.ttl.Seconds() {
					t.Errorf("iat/nbf/exp = %v/%v/%v, want %v/%v/%v", cl["iat"], cl["nbf"], cl["exp"], iat, iat, iat+c.ttl.Seconds())
				}
				jti, _ := cl["jti"].(string)
				if raw, err := base64.RawURLEncoding.DecodeString(jti); err != nil || len(raw) != 16 {
					t.Errorf("jti %q is not 128 bits of base64url", jti)
				}
				if cl["sub"] != "u1" {
					t.Errorf("sub = %v", cl["sub"])
				}
				wantIss, wantAud := tt.cfg.Issuer != "", tt.cfg.Audience != ""
				if _, ok := cl["iss"]; ok != wantIss || (wantIss && cl["iss"] != tt.cfg.Issuer) {
					t.Errorf("iss = %v, configured %q", cl["iss"], tt.cfg.Issuer)
				}
				if _, ok := cl["aud"]; ok != wantAud || (wantAud && cl["aud"] != tt.cfg.Audience) {
					t.Errorf("aud = %v, configured %q", cl["aud"], tt.cfg.Audience)
				}
			}
			// The pair shares its family; its two tokens have distinct ids.
			a, r := decodeSeg(t, tokens.Access, 1), decodeSeg(t, tokens.Refresh, 1)
			if a["fam"] == nil || a["fam"] != r["fam"] || a["jti"] == r["jti"] {
				t.Errorf("fam %v/%v, jti %v/%v: want one family and two ids", a["fam"], r["fam"], a["jti"], r["jti"])
			}
		})
	}
}

// A token lives at least its TTL: exp rounds up to the next whole second.
func TestExpiryRoundsUp(t *testing.T) {
	clk := newClock()
	clk.Add(900 * time.Millisecond)
	iss := newIssuer(t, clk, issuer.Config{AccessTTL: time.Second})
	tok, err := iss.CreateAccessToken(ctx, User{Sub: "u"})
	if err != nil {
		t.Fatal(err)
	}
	cl := decodeSeg(t, tok, 1)
	if cl["iat"] != float64(t0.Unix()) || cl["exp"] != float64(t0.Unix()+2) {
		t.Fatalf("iat %v exp %v at %v with a 1s TTL", cl["iat"], cl["exp"], clk.Now())
	}
	clk.Add(999 * time.Millisecond)
	if _, err := iss.CheckAccess(ctx, tok); err != nil {
		t.Fatalf("within its TTL: %v", err)
	}
}

func TestJTIUnique(t *testing.T) {
	iss := newIssuer(t, nil, issuer.Config{})
	seen := map[any]bool{}
	for range 2000 {
		tokens, err := iss.CreateTokens(ctx, User{Sub: "u"}, User{Sub: "u"})
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{tokens.Access, tokens.Refresh} {
			jti := decodeSeg(t, tok, 1)["jti"]
			if seen[jti] {
				t.Fatalf("jti %v issued twice", jti)
			}
			seen[jti] = true
		}
	}
}

func TestCheckedClaims(t *testing.T) {
	clk := newClock()
	iss := newIssuer(t, clk, issuer.Config{Issuer: "me", Audience: "api"})
	tokens, err := iss.CreateTokens(ctx, User{Sub: "u9"}, User{Sub: "u9"})
	if err != nil {
		t.Fatal(err)
	}
	a, cl, err := iss.CheckAccessClaims(ctx, tokens.Access)
	if err != nil {
		t.Fatal(err)
	}
	want := decodeSeg(t, tokens.Access, 1)
	if a.Sub != "u9" || cl.Type != issuer.Access || cl.KeyID != "k1" || cl.Issuer != "me" ||
		cl.Subject != "u9" || !reflect.DeepEqual(cl.Audience, []string{"api"}) ||
		cl.ID != want["jti"] || cl.Family != want["fam"] ||
		!cl.IssuedAt.Equal(t0) || !cl.NotBefore.Equal(t0) || !cl.ExpiresAt.Equal(t0.Add(15*time.Minute)) {
		t.Fatalf("claims = %+v (token %v)", cl, want)
	}
	_, rcl, err := iss.CheckRefreshClaims(ctx, tokens.Refresh)
	if err != nil || rcl.Type != issuer.Refresh || rcl.Family != cl.Family || rcl.ID == cl.ID {
		t.Fatalf("refresh claims = %+v, %v", rcl, err)
	}
}

func TestTypesNeverCross(t *testing.T) {
	iss := newIssuer(t, nil, issuer.Config{})
	tokens, err := iss.CreateTokens(ctx, User{Sub: "u"}, User{Sub: "u"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := iss.CheckAccess(ctx, tokens.Refresh); !errors.Is(err, issuer.ErrTokenType) {
		t.Errorf("refresh token in access check: %v, want ErrTokenType", err)
	}
	if _, err := iss.CheckRefresh(ctx, tokens.Access); !errors.Is(err, issuer.ErrTokenType) {
		t.Errorf("access token in refresh check: %v, want ErrTokenType", err)
	}
}

func TestPayloadValidation(t *testing.T) {
	iss, err := issuer.New[Session, User](issuer.Config{Keys: issuer.KeySet{Signing: mustHMAC(t, "k1", secret32)}})
	if err != nil {
		t.Fatal(err)
	}
	defer iss.Close()
	_, err = iss.CreateTokens(ctx, Session{Role: "root"}, User{Sub: "ok"})
	if !errors.Is(err, issuer.ErrInvalidPayload) || errors.Is(err, issuer.ErrInvalidToken) {
		t.Fatalf("err = %v, want ErrInvalidPayload and not ErrInvalidToken", err)
	}
	for _, want := range []string{"sub failed required", "role failed oneof=admin user"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) || len(verrs) != 2 {
		t.Errorf("validator.ValidationErrors not reachable: %v", verrs)
	}
	var pe *issuer.PayloadError
	if !errors.As(err, &pe) || !reflect.DeepEqual(pe.Fields, []issuer.FieldViolation{
		{Field: "sub", Rule: "required"}, {Field: "role", Rule: "oneof", Param: "admin user"}}) {
		t.Errorf("PayloadError.Fields = %+v", pe)
	}
	if _, err := iss.CreateRefreshToken(ctx, User{Sub: strings.Repeat("x", 65)}); !errors.Is(err, issuer.ErrInvalidPayload) {
		t.Errorf("refresh payload over max: %v", err)
	}
	if _, err := iss.CreateAccessToken(ctx, Session{}); !errors.Is(err, issuer.ErrInvalidPayload) {
		t.Errorf("empty access payload: %v", err)
	}
	var p issuer.Pair
	if err := iss.SignPair(&p, Session{Sub: "a"}, User{}); !errors.Is(err, issuer.ErrInvalidPayload) {
		t.Errorf("SignPair with invalid refresh payload: %v", err)
	}
}

// A token whose signature is good but whose payload breaks the rules (made by
// another service sharing the key, or an older payload version) is refused on
// check, as quick_jwt's Pydantic validation does.
func TestPayloadValidatedOnCheck(t *testing.T) {
	clk := newClock()
	iss := newIssuer(t, clk, issuer.Config{})
	now := t0.Unix()
	claims := func(payload string) string {
		return fmt.Sprintf(`{"iat":%d,"exp":%d,"jti":"j1"%s}`, now, now+60, payload)
	}
	hdr := `{"alg":"HS256","kid":"k1","typ":"at+jwt"}`
	for _, tc := range []struct {
		name, payload string
		want          error
	}{
		{"missing sub", ``, issuer.ErrInvalidPayload},
		{"empty sub", `,"sub":""`, issuer.ErrInvalidPayload},
		{"sub too long", `,"sub":"` + strings.Repeat("x", 65) + `"`, issuer.ErrInvalidPayload},
		// sub is a registered claim: RFC 7519 makes it a string.
		{"sub of wrong type", `,"sub":42`, issuer.ErrMissingClaim},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := iss.CheckAccess(ctx, forgeHS256(hdr, claims(tc.payload), secret32))
			if !errors.Is(err, tc.want) || !errors.Is(err, issuer.ErrInvalidToken) {
				t.Fatalf("err = %v, want %v and ErrInvalidToken", err, tc.want)
			}
		})
	}
	// A payload field of the wrong JSON type cannot be decoded.
	sess, err := issuer.New[Session, User](issuer.Config{Keys: issuer.KeySet{Signing: mustHMAC(t, "k1", secret32)}, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	_, err = sess.CheckAccess(ctx, forgeHS256(hdr, claims(`,"sub":"a","scope":"not-a-list"`), secret32))
	if !errors.Is(err, issuer.ErrInvalidPayload) || !errors.Is(err, issuer.ErrInvalidToken) {
		t.Fatalf("scope of wrong type: %v, want ErrInvalidPayload and ErrInvalidToken", err)
	}
	if u, err := iss.CheckAccess(ctx, forgeHS256(hdr, claims(`,"sub":"fine"`), secret32)); err != nil || u.Sub != "fine" {
		t.Fatalf("valid forged-by-peer token: %+v, %v", u, err)
	}
}

type selfChecked struct {
	Sub string `json:"sub"`
}

func (s *selfChecked) Validate() error {
	if !strings.HasPrefix(s.Sub, "user:") {
		return errors.New("sub must start with user:")
	}
	return nil
}

func TestValidateMethod(t *testing.T) {
	iss, err := issuer.New[selfChecked, selfChecked](issuer.Config{Keys: issuer.KeySet{Signing: mustHMAC(t, "k1", secret32)}})
	if err != nil {
		t.Fatal(err)
	}
	defer iss.Close()
	if _, err := iss.CreateAccessToken(ctx, selfChecked{Sub: "bob"}); !errors.Is(err, issuer.ErrInvalidPayload) || !strings.Contains(err.Error(), "user:") {
		t.Fatalf("err = %v", err)
	}
	tok, err := iss.CreateAccessToken(ctx, selfChecked{Sub: "user:bob"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := iss.CheckAccess(ctx, tok); err != nil {
		t.Fatal(err)
	}
}

type Embedded struct {
	Exp int64 `json:"exp"`
}

func TestReservedClaimCollisions(t *testing.T) {
	type jtiField struct {
		Sub string `json:"sub"`
		ID  string `json:"jti"`
	}
	type upperCase struct {
		Iss string // encodes as "Iss", but decoding matches "iss" without regard to case
	}
	type embeds struct {
		Embedded
		Sub string `json:"sub"`
	}
	type skipped struct {
		Exp int64  `json:"-"`
		Aud string `json:"audience"`
		fam string
	}
	key := issuer.KeySet{Signing: mustHMAC(t, "k1", secret32)}
	check := func(err error, want string) {
		t.Helper()
		if want == "" {
			if err != nil {
				t.Errorf("unexpected error: %v", err)
			}
			return
		}
		if !errors.Is(err, issuer.ErrInvalidConfig) || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want ErrInvalidConfig naming %s", err, want)
		}
	}
	_, err := issuer.New[jtiField, User](issuer.Config{Keys: key})
	check(err, `"jti"`)
	_, err = issuer.New[User, upperCase](issuer.Config{Keys: key})
	check(err, `"Iss"`)
	_, err = issuer.New[embeds, User](issuer.Config{Keys: key})
	check(err, `"exp"`)
	iss, err := issuer.New[skipped, User](issuer.Config{Keys: key})
	check(err, "")
	if iss != nil {
		iss.Close()
	}
	// Compat mode writes no registered claims, so nothing can collide.
	iss2, err := issuer.New[jtiField, User](issuer.Config{Keys: key, Compat: true})
	check(err, "")
	if iss2 != nil {
		iss2.Close()
	}
	_ = skipped{}.fam
}

// subText is a subject type that encodes as a JSON string.
type subText struct{ id int }

func (s subText) MarshalText() ([]byte, error) { return []byte("user-" + strconv.Itoa(s.id)), nil }

func (s *subText) UnmarshalText(b []byte) (err error) {
	s.id, err = strconv.Atoi(strings.TrimPrefix(string(b), "user-"))
	return err
}

// TestSubMustBeString: a checked token's sub must be a JSON string (RFC 7519
// section 4.1.2), so New refuses a payload whose sub field cannot encode as
// one, instead of signing tokens that no check would pass.
func TestSubMustBeString(t *testing.T) {
	type intSub struct {
		Sub int `json:"sub"`
	}
	type nullableSub struct {
		Sub *string `json:"sub"` // nil would be written as null
	}
	type optionalSub struct {
		Sub *string `json:"sub,omitempty"`
	}
	type textSub struct {
		Sub subText `json:"sub"`
	}
	key := issuer.KeySet{Signing: mustHMAC(t, "k1", secret32)}
	_, err := issuer.New[intSub, User](issuer.Config{Keys: key})
	if !errors.Is(err, issuer.ErrInvalidConfig) || !strings.Contains(err.Error(), "Sub") || !strings.Contains(err.Error(), "string") {
		t.Errorf("int sub: err = %v, want ErrInvalidConfig naming the field", err)
	}
	_, err = issuer.New[User, nullableSub](issuer.Config{Keys: key})
	if !errors.Is(err, issuer.ErrInvalidConfig) || !strings.Contains(err.Error(), "omitempty") {
		t.Errorf("*string sub without omitempty: err = %v, want ErrInvalidConfig", err)
	}
	// Compat writes what quick_jwt wrote, a numeric sub included.
	if iss, err := issuer.New[intSub, User](issuer.Config{Keys: key, Compat: true}); err != nil {
		t.Errorf("compat: %v", err)
	} else {
		iss.Close()
	}

	opt, err := issuer.New[optionalSub, textSub](issuer.Config{Keys: key})
	if err != nil {
		t.Fatal(err)
	}
	defer opt.Close()
	bob := "bob"
	for _, p := range []optionalSub{{Sub: &bob}, {}} {
		tok, err := opt.CreateAccessToken(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := opt.CheckAccess(ctx, tok); err != nil {
			t.Errorf("CheckAccess of %v: %v", p.Sub, err)
		}
	}
	tok, err := opt.CreateRefreshToken(ctx, textSub{Sub: subText{7}})
	if err != nil {
		t.Fatal(err)
	}
	if _, cl, err := opt.CheckRefreshClaims(ctx, tok); err != nil || cl.Subject != "user-7" {
		t.Errorf("CheckRefreshClaims = %q, %v; want user-7", cl.Subject, err)
	}

	// A payload that writes its own JSON is checked on every token.
	raw, err := issuer.New[appendPayload, User](issuer.Config{Keys: key})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, js := range []string{`{"sub":1}`, `{"sub":null}`, `{"sub":["a"]}`} {
		if _, err := raw.CreateAccessToken(ctx, appendPayload{js}); !errors.Is(err, issuer.ErrInvalidPayload) || !strings.Contains(err.Error(), "sub") {
			t.Errorf("%s: err = %v, want ErrInvalidPayload naming sub", js, err)
		}
	}
}

// appendPayload writes its own JSON, whatever keys it likes.
type appendPayload struct{ JSON string }

func (p *appendPayload) AppendJSON(dst []byte) []byte { return append(dst, p.JSON...) }

func TestAppendJSONPayloadChecked(t *testing.T) {
	iss, err := issuer.New[appendPayload, User](issuer.Config{Keys: issuer.KeySet{Signing: mustHMAC(t, "k1", secret32)}})
	if err != nil {
		t.Fatal(err)
	}
	defer iss.Close()
	for _, tc := range []struct{ json, wantErr string }{
		{`{"sub":"a","exp":1}`, `"exp"`},
		{`{"s\u0075b":"a","\u0065xp":1}`, `"exp"`},
		{`{"sub":"a","sub":"b"}`, "unique keys"},
		{`["sub"]`, "one JSON object"},
		{`{"sub":"a"} {}`, "one JSON object"},
		{`{"sub":`, "one JSON object"},
		{` {"sub":"a"} `, ""},
		{`{}`, ""},
	} {
		_, err := iss.CreateAccessToken(ctx, appendPayload{tc.json})
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tc.json, err)
		case tc.wantErr != "" && (!errors.Is(err, issuer.ErrInvalidPayload) || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: err = %v, want ErrInvalidPayload with %s", tc.json, err, tc.wantErr)
		}
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	good := issuer.KeySet{Signing: mustHMAC(t, "k1", secret32)}
	if _, err := issuer.New[string, User](issuer.Config{Keys: good}); !errors.Is(err, issuer.ErrInvalidConfig) {
		t.Errorf("non-struct payload: %v", err)
	}
	_, err := issuer.New[User, User](issuer.Config{AccessTTL: -time.Second, Leeway: -1, MaxTokenSize: -1})
	for _, want := range []string{"AccessTTL", "Leeway", "MaxTokenSize", "no signing key"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not report %s", err, want)
		}
	}
}

func TestClose(t *testing.T) {
	iss := newIssuer(t, nil, issuer.Config{})
	tok, _ := iss.CreateAccessToken(ctx, User{Sub: "a"})
	if err := iss.Close(); err != nil {
		t.Fatal(err)
	}
	if err := iss.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	if _, err := iss.CreateTokens(ctx, User{Sub: "a"}, User{Sub: "a"}); !errors.Is(err, issuer.ErrClosed) {
		t.Errorf("CreateTokens after Close: %v", err)
	}
	if _, err := iss.CheckAccess(ctx, tok); !errors.Is(err, issuer.ErrClosed) {
		t.Errorf("CheckAccess after Close: %v", err)
	}
}

func TestRefresh(t *testing.T) {
	clk := newClock()
	iss := newIssuer(t, clk, issuer.Config{})
	first, err := iss.CreateTokens(ctx, User{Sub: "a"}, User{Sub: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Minute)
	var seen User
	next, err := iss.Refresh(ctx, first.Refresh, func(old User) (User, User, error) {
		seen = old
		return User{Sub: "a2"}, User{Sub: "r2"}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen.Sub != "r1" {
		t.Errorf("next got %+v, want the old refresh payload", seen)
	}
	a, acl, err := iss.CheckAccessClaims(ctx, next.Access)
	if err != nil || a.Sub != "a2" {
		t.Fatalf("new access token: %+v, %v", a, err)
	}
	_, old, _ := iss.CheckRefreshClaims(ctx, first.Refresh)
	if acl.Family != old.Family || !acl.IssuedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("new pair: family %q (old %q), iat %v", acl.Family, old.Family, acl.IssuedAt)
	}
	if _, err := iss.Refresh(ctx, first.Access, func(User) (User, User, error) { return User{}, User{}, nil }); !errors.Is(err, issuer.ErrTokenType) {
		t.Errorf("refresh with an access token: %v", err)
	}
	boom := errors.New("user deleted")
	if _, err := iss.Refresh(ctx, first.Refresh, func(User) (User, User, error) { return User{}, User{}, boom }); !errors.Is(err, boom) {
		t.Errorf("error of next: %v", err)
	}
	if _, err := iss.Refresh(ctx, first.Refresh, func(User) (User, User, error) { return User{}, User{Sub: "x"}, nil }); !errors.Is(err, issuer.ErrInvalidPayload) {
		t.Errorf("invalid new payload: %v", err)
	}
	// A family read from a token is escaped when written again.
	odd := forgeHS256(`{"alg":"HS256","kid":"k1","typ":"rt+jwt"}`,
		fmt.Sprintf(`{"iat":%d,"exp":%d,"jti":"j","fam":"a\"b","sub":"s"}`, t0.Unix(), t0.Unix()+3600), secret32)
	tokens, err := iss.Refresh(ctx, odd, func(User) (User, User, error) { return User{Sub: "s"}, User{Sub: "s"}, nil })
	if err != nil {
		t.Fatal(err)
	}
	if _, cl, err := iss.CheckAccessClaims(ctx, tokens.Access); err != nil || cl.Family != `a"b` {
		t.Fatalf("family %q, %v", cl.Family, err)
	}
}

// rawClaims is a payload that reads and writes its own JSON, as a service
// with claims declared at run time has.
type rawClaims struct{ raw []byte }

func (r *rawClaims) AppendJSON(dst []byte) []byte { return append(dst, r.raw...) }
func (r *rawClaims) UnmarshalJSON(b []byte) error {
	r.raw = append([]byte(nil), b...)
	return nil
}

func TestOwnJSONPayloadGetsOnlyItsMembers(t *testing.T) {
	iss, err := issuer.New[rawClaims, rawClaims](issuer.Config{Keys: issuer.KeySet{Signing: mustHMAC(t, "k1", secret32)},
		Issuer: "me", Audience: "api"})
	if err != nil {
		t.Fatal(err)
	}
	defer iss.Close()
	in := rawClaims{[]byte(`{"sub":"alice","role":"admin","n":[1,{"exp":2}]}`)}
	tokens, err := iss.CreateTokens(ctx, in, in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := iss.CheckAccess(ctx, tokens.Access)
	if err != nil || string(got.raw) != string(in.raw) {
		t.Fatalf("decoded %s, %v; want %s", got.raw, err, in.raw)
	}
	// So a refresh can hand the old payload on as it is.
	next, err := iss.Refresh(ctx, tokens.Refresh, func(old rawClaims) (rawClaims, rawClaims, error) { return old, old, nil })
	if err != nil {
		t.Fatal(err)
	}
	if got, err := iss.CheckAccess(ctx, next.Access); err != nil || string(got.raw) != string(in.raw) {
		t.Fatalf("after refresh %s, %v", got.raw, err)
	}
	// Members of a foreign token may come in any order, between the
	// registered claims: the payload still gets exactly its own.
	now := time.Now().Unix()
	mixed := forgeHS256(`{"alg":"HS256","kid":"k1","typ":"at+jwt"}`, fmt.Sprintf(
		`{"a":1,"iss":"me","b":[2],"aud":"api", "c" : {"d":3},"iat":%d,"e":4,"exp":%d,"f":"5","jti":"j","g":6,"sub":"s","h":7}`, now, now+60), secret32)
	got, err = iss.CheckAccess(ctx, mixed)
	if want := `{"a":1,"b":[2],"c" : {"d":3},"e":4,"f":"5","g":6,"sub":"s","h":7}`; err != nil || string(got.raw) != want {
		t.Fatalf("interleaved members: %s, %v; want %s", got.raw, err, want)
	}
}

func TestLookupMember(t *testing.T) {
	obj := []byte(`{"sub":"alice", "n": 1.5 ,"nested":{"role":"x"},"list":[1,2],"esc":"a\"b"}`)
	for _, tc := range []struct{ name, want string }{
		{"sub", `"alice"`}, {"n", `1.5`}, {"nested", `{"role":"x"}`}, {"list", `[1,2]`}, {"esc", `"a\"b"`},
		{"role", ""}, {"missing", ""},
	} {
		v, ok := issuer.LookupMember(obj, tc.name)
		if string(v) != tc.want || ok != (tc.want != "") {
			t.Errorf("%s: %q %v, want %q", tc.name, v, ok, tc.want)
		}
	}
	if _, ok := issuer.LookupMember([]byte(`["sub"]`), "sub"); ok {
		t.Error("found a member in an array")
	}
}
