package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/quickjwt/quickjwt/app"
	"github.com/quickjwt/quickjwt/issuer"
	"github.com/quickjwt/quickjwt/issuer/storetest"
)

type User struct {
	Sub string `json:"sub" validate:"required,max=64"`
}

var secret = []byte("0123456789abcdef0123456789abcdef")

type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *clock) Now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *clock) Add(d time.Duration) { c.ns.Add(int64(d)) }

type fixture struct {
	t   *testing.T
	clk *clock
	iss *issuer.Issuer[User, User]
	jwt *app.JWT[User, User]
	web *fiber.App
}

// newFixture builds the quickstart's routes around one issuer.
func newFixture(t *testing.T, cfg app.Config, icfg issuer.Config) *fixture {
	t.Helper()
	f := &fixture{t: t, clk: newClock()}
	if icfg.Keys.Signing.IsZero() {
		k, err := issuer.NewHMACKey("k1", issuer.HS256, secret)
		if err != nil {
			t.Fatal(err)
		}
		icfg.Keys.Signing = k
	}
	icfg.Now = f.clk.Now
	var err error
	if f.iss, err = issuer.New[User, User](icfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.iss.Close() })
	if f.jwt, err = app.New(f.iss, cfg); err != nil {
		t.Fatal(err)
	}
	f.web = fiber.New(fiber.Config{ErrorHandler: app.ErrorHandler(nil), DisableStartupMessage: true})
	j := f.jwt
	f.web.Get("/create-tokens", func(c *fiber.Ctx) error {
		u := User{Sub: c.Query("sub")}
		tokens, err := j.CreateTokens(c, u, u)
		if err != nil {
			return err
		}
		return c.JSON(tokens)
	})
	f.web.Get("/create-access-token", func(c *fiber.Ctx) error {
		tok, err := j.CreateAccessToken(c, User{Sub: c.Query("sub")})
		if err != nil {
			return err
		}
		return c.JSON(tok)
	})
	f.web.Get("/create-refresh-token", func(c *fiber.Ctx) error {
		tok, err := j.CreateRefreshToken(c, User{Sub: c.Query("sub")})
		if err != nil {
			return err
		}
		return c.JSON(tok)
	})
	echo := func(c *fiber.Ctx, u User) error { return c.JSON(u) }
	echoOpt := func(c *fiber.Ctx, u *User) error { return c.JSON(u) }
	f.web.Get("/access-token-check", j.Access(echo))
	f.web.Post("/access-token-check", j.Access(echo))
	f.web.Get("/refresh-token-check", j.Refreshing(echo))
	f.web.Get("/access-token-check-optional", j.AccessOptional(echoOpt))
	f.web.Get("/refresh-token-check-optional", j.RefreshingOptional(echoOpt))
	f.web.Get("/refresh-jwt", j.RefreshHandler(nil))
	f.web.Post("/refresh-jwt", j.RefreshHandler(nil))
	f.web.Get("/logout-depends", j.LogoutHandler())
	f.web.Post("/logout", j.LogoutHandler())
	f.web.Get("/boom", func(c *fiber.Ctx) error { return errors.New("database password is hunter2") })
	return f
}

type result struct {
	status  int
	body    string
	header  http.Header
	cookies map[string]*http.Cookie
}

// do sends a request; each opt is "H:Name: value" for a header or
// "C:name=value" for a cookie.
func (f *fixture) do(method, target string, opts ...string) result {
	f.t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for _, o := range opts {
		switch {
		case strings.HasPrefix(o, "H:"):
			k, v, _ := strings.Cut(o[2:], ": ")
			req.Header.Add(k, v)
		case strings.HasPrefix(o, "C:"):
			k, v, _ := strings.Cut(o[2:], "=")
			req.AddCookie(&http.Cookie{Name: k, Value: v})
		}
	}
	resp, err := f.web.Test(req, -1)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := result{status: resp.StatusCode, body: string(b), header: resp.Header, cookies: map[string]*http.Cookie{}}
	for _, c := range resp.Cookies() {
		r.cookies[c.Name] = c
	}
	return r
}

// login creates a pair for sub and returns the tokens and the CSRF cookie.
func (f *fixture) login(sub string) (issuer.Tokens, string) {
	f.t.Helper()
	r := f.do("GET", "/create-tokens?sub="+sub)
	if r.status != 200 {
		f.t.Fatalf("create-tokens: %d %s", r.status, r.body)
	}
	var tokens issuer.Tokens
	if err := json.Unmarshal([]byte(r.body), &tokens); err != nil {
		f.t.Fatal(err)
	}
	return tokens, r.cookies["csrf_token"].Value
}

func TestCreateSetsCookies(t *testing.T) {
	f := newFixture(t, app.Config{}, issuer.Config{})
	r := f.do("GET", "/create-tokens?sub=some_id")
	var tokens map[string]string
	if err := json.Unmarshal([]byte(r.body), &tokens); err != nil || r.status != 200 || len(tokens) != 2 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	for name, want := range map[string]struct {
		value    string
		maxAge   int
		httpOnly bool
	}{
		"access":     {tokens["access"], 900, true},
		"refresh":    {tokens["refresh"], 1209600, true},
		"csrf_token": {"", 1209600, false},
	} {
		c := r.cookies[name]
		if c == nil {
			t.Fatalf("no %s cookie in %v", name, r.header["Set-Cookie"])
		}
		if (want.value != "" && c.Value != want.value) || c.MaxAge != want.maxAge || c.HttpOnly != want.httpOnly ||
			!c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Value == "" {
			t.Errorf("cookie %s = %+v", name, c)
		}
	}

	r = f.do("GET", "/create-access-token?sub=some_id")
	var tok string
	if json.Unmarshal([]byte(r.body), &tok) != nil || r.cookies["access"] == nil || r.cookies["access"].Value != tok || r.cookies["refresh"] != nil {
		t.Errorf("create-access-token: %s, cookies %v", r.body, r.header["Set-Cookie"])
	}
	r = f.do("GET", "/create-refresh-token?sub=some_id")
	if json.Unmarshal([]byte(r.body), &tok) != nil || r.cookies["refresh"] == nil || r.cookies["refresh"].Value != tok || r.cookies["access"] != nil {
		t.Errorf("create-refresh-token: %s, cookies %v", r.body, r.header["Set-Cookie"])
	}

	// An invalid payload is a 400 naming the field and rule, and sets nothing.
	r = f.do("GET", "/create-tokens?sub=")
	var p app.Problem
	if json.Unmarshal([]byte(r.body), &p) != nil || r.status != 400 || r.header.Get("Content-Type") != "application/problem+json" ||
		len(p.Errors) != 1 || p.Errors[0].Field != "sub" || p.Errors[0].Rule != "required" || len(r.cookies) != 0 {
		t.Errorf("invalid payload: %d %s %v", r.status, r.body, r.header)
	}
}

func TestCookieConfig(t *testing.T) {
	f := newFixture(t, app.Config{
		Access:  app.CookieConfig{Name: "at", Path: "/api", Domain: "example.com", SameSite: "Strict", MaxAge: time.Minute},
		Refresh: app.CookieConfig{Name: "rt", Path: "/auth", Insecure: true},
	}, issuer.Config{})
	r := f.do("GET", "/create-tokens?sub=x")
	at, rt := r.cookies["at"], r.cookies["rt"]
	if at == nil || at.Path != "/api" || at.Domain != "example.com" || at.SameSite != http.SameSiteStrictMode || at.MaxAge != 60 || !at.Secure {
		t.Errorf("access cookie %+v", at)
	}
	if rt == nil || rt.Path != "/auth" || rt.Secure || rt.MaxAge != 1209600 {
		t.Errorf("refresh cookie %+v", rt)
	}
	// Logout expires each cookie with the path and domain it was set with.
	r = f.do("GET", "/logout-depends")
	if r.status != 204 {
		t.Fatalf("logout: %d %s", r.status, r.body)
	}
	for _, set := range r.header["Set-Cookie"] {
		if !strings.Contains(set, "expires=Tue, 10 Nov 2009") {
			t.Errorf("cookie not expired: %s", set)
		}
	}
	at, rt = r.cookies["at"], r.cookies["rt"]
	if at == nil || at.Path != "/api" || at.Domain != "example.com" || rt == nil || rt.Path != "/auth" || r.cookies["csrf_token"] == nil {
		t.Errorf("cleared cookies: %v", r.header["Set-Cookie"])
	}

	for _, bad := range []app.Config{
		{Access: app.CookieConfig{SameSite: "sometimes"}},
		{Refresh: app.CookieConfig{SameSite: "None", Insecure: true}},
		{Access: app.CookieConfig{Name: "same"}, Refresh: app.CookieConfig{Name: "same"}},
		{Lookup: []app.Source{"query"}},
	} {
		if _, err := app.New(f.iss, bad); err == nil {
			t.Errorf("config %+v accepted", bad)
		}
	}
}

func TestCheck(t *testing.T) {
	f := newFixture(t, app.Config{}, issuer.Config{})
	tokens, _ := f.login("some_id")
	f.clk.Add(10 * time.Minute)
	other, _ := f.login("other")
	f.clk.Add(6 * time.Minute) // the first access token is now expired
	expired := tokens.Access
	valid := other.Access

	type tc struct {
		name     string
		opts     []string
		status   int
		reason   string // error_description of the challenge; "" for none
		wantBody string
	}
	for _, source := range []string{"header", "cookie"} {
		with := func(tok string) string {
			if source == "header" {
				return "H:Authorization: Bearer " + tok
			}
			return "C:access=" + tok
		}
		tests := []tc{
			{"valid", []string{with(valid)}, 200, "", `{"sub":"other"}`},
			{"expired", []string{with(expired)}, 401, "token expired", ""},
			{"refresh token", []string{with(other.Refresh)}, 401, "wrong token type", ""},
			{"garbage", []string{with("garbage")}, 401, "malformed token", ""},
			{"tampered", []string{with(valid[:len(valid)-43] + strings.Repeat("A", 43))}, 401, "invalid signature", ""},
		}
		for _, tt := range tests {
			t.Run(source+"/"+tt.name, func(t *testing.T) {
				r := f.do("GET", "/access-token-check", tt.opts...)
				checkResponse(t, r, tt.status, tt.reason, tt.wantBody)
			})
		}
	}
	for _, tt := range []tc{
		{"missing", nil, 401, "", ""},
		{"bearer in lower case", []string{"H:Authorization: bearer " + valid}, 200, "", `{"sub":"other"}`},
		{"empty bearer", []string{"H:Authorization: Bearer "}, 401, "malformed Authorization header", ""},
		{"basic scheme", []string{"H:Authorization: Basic dXNlcjpwYXNz"}, 401, "malformed Authorization header", ""},
		{"two Authorization headers", []string{"H:Authorization: Bearer " + valid, "H:Authorization: Bearer " + valid}, 401, "malformed Authorization header", ""},
		{"bad header does not fall back to a good cookie", []string{"H:Authorization: Token x", "C:access=" + valid}, 401, "malformed Authorization header", ""},
		{"header wins over cookie", []string{"H:Authorization: Bearer " + valid, "C:access=" + expired}, 200, "", `{"sub":"other"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checkResponse(t, f.do("GET", "/access-token-check", tt.opts...), tt.status, tt.reason, tt.wantBody)
		})
	}
	t.Run("refresh check", func(t *testing.T) {
		checkResponse(t, f.do("GET", "/refresh-token-check", "C:refresh="+other.Refresh), 200, "", `{"sub":"other"}`)
		checkResponse(t, f.do("GET", "/refresh-token-check", "H:Authorization: Bearer "+other.Refresh), 200, "", `{"sub":"other"}`)
		checkResponse(t, f.do("GET", "/refresh-token-check", "C:refresh="+valid), 401, "wrong token type", "")
		checkResponse(t, f.do("GET", "/refresh-token-check", "C:access="+other.Refresh), 401, "", "")
	})
}

func checkResponse(t *testing.T, r result, status int, reason, body string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if status == 200 {
		if body != "" && r.body != body {
			t.Fatalf("body %s, want %s", r.body, body)
		}
		return
	}
	var p app.Problem
	if err := json.Unmarshal([]byte(r.body), &p); err != nil || p.Status != status || r.header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("problem body %s (%v), content type %q", r.body, err, r.header.Get("Content-Type"))
	}
	if status != 401 {
		return
	}
	challenge := r.header.Get("WWW-Authenticate")
	switch {
	case reason == "" && challenge != "Bearer" && !strings.Contains(challenge, "invalid_token"):
		t.Fatalf("challenge %q", challenge)
	case reason != "" && challenge != `Bearer error="invalid_token", error_description="`+reason+`"`:
		t.Fatalf("challenge %q, want reason %q", challenge, reason)
	}
}

func TestOptional(t *testing.T) {
	lenient := newFixture(t, app.Config{}, issuer.Config{})
	strict := newFixture(t, app.Config{StrictOptional: true}, issuer.Config{})
	for _, f := range []*fixture{lenient, strict} {
		tokens, _ := f.login("u")
		checkResponse(t, f.do("GET", "/access-token-check-optional", "C:access="+tokens.Access), 200, "", `{"sub":"u"}`)
		checkResponse(t, f.do("GET", "/refresh-token-check-optional", "C:refresh="+tokens.Refresh), 200, "", `{"sub":"u"}`)
		checkResponse(t, f.do("GET", "/access-token-check-optional"), 200, "", `null`)
		checkResponse(t, f.do("GET", "/refresh-token-check-optional"), 200, "", `null`)
	}
	// An invalid token: quick_jwt's behaviour by default, a 401 when strict.
	checkResponse(t, lenient.do("GET", "/access-token-check-optional", "C:access=garbage"), 200, "", `null`)
	checkResponse(t, lenient.do("GET", "/refresh-token-check-optional", "H:Authorization: Basic x"), 200, "", `null`)
	checkResponse(t, strict.do("GET", "/access-token-check-optional", "C:access=garbage"), 401, "malformed token", "")
	checkResponse(t, strict.do("GET", "/refresh-token-check-optional", "H:Authorization: Basic x"), 401, "malformed Authorization header", "")
}

func TestLookupOrder(t *testing.T) {
	f := newFixture(t, app.Config{Lookup: []app.Source{app.Cookie, app.Header}}, issuer.Config{})
	a, _ := f.login("from-cookie")
	b, _ := f.login("from-header")
	checkResponse(t, f.do("GET", "/access-token-check", "C:access="+a.Access, "H:Authorization: Bearer "+b.Access), 200, "", `{"sub":"from-cookie"}`)
	headerOnly := newFixture(t, app.Config{Lookup: []app.Source{app.Header}}, issuer.Config{})
	c, _ := headerOnly.login("x")
	checkResponse(t, headerOnly.do("GET", "/access-token-check", "C:access="+c.Access), 401, "", "")
}

func TestCSRF(t *testing.T) {
	f := newFixture(t, app.Config{}, issuer.Config{})
	tokens, csrf := f.login("u")
	cookie := "C:access=" + tokens.Access
	csrfCookie := "C:csrf_token=" + csrf
	checkResponse(t, f.do("POST", "/access-token-check", cookie, csrfCookie), 403, "", "")
	checkResponse(t, f.do("POST", "/access-token-check", cookie, csrfCookie, "H:X-CSRF-Token: wrong"), 403, "", "")
	checkResponse(t, f.do("POST", "/access-token-check", cookie, "H:X-CSRF-Token: "+csrf), 403, "", "") // no cookie to compare with
	checkResponse(t, f.do("POST", "/access-token-check", cookie, csrfCookie, "H:X-CSRF-Token: "+csrf), 200, "", `{"sub":"u"}`)
	// Safe methods and bearer tokens need no CSRF token.
	checkResponse(t, f.do("GET", "/access-token-check", cookie), 200, "", `{"sub":"u"}`)
	checkResponse(t, f.do("POST", "/access-token-check", "H:Authorization: Bearer "+tokens.Access), 200, "", `{"sub":"u"}`)
	// Refresh and logout change state whatever the method: by cookie, they
	// need it on GET too, so that a cross-site link cannot log a user out or
	// spend the refresh token.
	checkResponse(t, f.do("POST", "/refresh-jwt", "C:refresh="+tokens.Refresh, csrfCookie), 403, "", "")
	checkResponse(t, f.do("GET", "/refresh-jwt", "C:refresh="+tokens.Refresh, csrfCookie), 403, "", "")
	checkResponse(t, f.do("POST", "/logout", cookie, csrfCookie), 403, "", "")
	checkResponse(t, f.do("GET", "/logout-depends", cookie, csrfCookie), 403, "", "")
	checkResponse(t, f.do("GET", "/refresh-token-check", "C:refresh="+tokens.Refresh), 200, "", `{"sub":"u"}`) // only reads
	checkResponse(t, f.do("GET", "/access-token-check", cookie), 200, "", `{"sub":"u"}`)                       // nothing was spent or revoked
	if r := f.do("POST", "/logout", cookie, csrfCookie, "H:X-CSRF-Token: "+csrf); r.status != 204 {
		t.Fatalf("logout with CSRF header: %d %s", r.status, r.body)
	}

	off := newFixture(t, app.Config{CSRF: app.CSRFConfig{Disabled: true}}, issuer.Config{})
	r := off.do("GET", "/create-tokens?sub=u")
	if r.cookies["csrf_token"] != nil {
		t.Error("CSRF cookie set while CSRF is disabled")
	}
	checkResponse(t, off.do("POST", "/access-token-check", "C:access="+r.cookies["access"].Value), 200, "", `{"sub":"u"}`)
}

func TestRefreshHandler(t *testing.T) {
	f := newFixture(t, app.Config{}, issuer.Config{})
	tokens, csrf := f.login("u")
	f.clk.Add(time.Minute)
	r := f.do("GET", "/refresh-jwt", "C:refresh="+tokens.Refresh, "C:csrf_token="+csrf, "H:X-CSRF-Token: "+csrf)
	var next issuer.Tokens
	if r.status != 200 || json.Unmarshal([]byte(r.body), &next) != nil || next.Access == "" || next.Access == tokens.Access {
		t.Fatalf("refresh: %d %s", r.status, r.body)
	}
	if r.cookies["access"].Value != next.Access || r.cookies["refresh"].Value != next.Refresh || r.cookies["csrf_token"] == nil {
		t.Errorf("refresh cookies: %v", r.header["Set-Cookie"])
	}
	_, oldClaims, _ := f.iss.CheckRefreshClaims(context.Background(), tokens.Refresh)
	_, newClaims, err := f.iss.CheckAccessClaims(context.Background(), next.Access)
	if err != nil || newClaims.Family != oldClaims.Family || newClaims.Subject != "u" {
		t.Errorf("new pair: %+v, %v (old family %s)", newClaims, err, oldClaims.Family)
	}
	checkResponse(t, f.do("GET", "/refresh-jwt", "H:Authorization: Bearer "+tokens.Access), 401, "wrong token type", "")
	checkResponse(t, f.do("GET", "/refresh-jwt"), 401, "", "")
}

func TestLogoutRevokes(t *testing.T) {
	f := newFixture(t, app.Config{}, issuer.Config{})
	tokens, csrf := f.login("u")
	if r := f.do("GET", "/logout-depends", "C:access="+tokens.Access, "C:refresh="+tokens.Refresh, "C:csrf_token="+csrf, "H:X-CSRF-Token: "+csrf); r.status != 204 {
		t.Fatalf("logout: %d %s", r.status, r.body)
	}
	checkResponse(t, f.do("GET", "/access-token-check", "H:Authorization: Bearer "+tokens.Access), 401, "token revoked", "")
	checkResponse(t, f.do("GET", "/refresh-token-check", "H:Authorization: Bearer "+tokens.Refresh), 401, "token revoked", "")
	// Logging out with a bearer token, or with nothing valid, still answers 204.
	t2, _ := f.login("v")
	if r := f.do("GET", "/logout-depends", "H:Authorization: Bearer "+t2.Access); r.status != 204 {
		t.Fatalf("bearer logout: %d", r.status)
	}
	checkResponse(t, f.do("GET", "/access-token-check", "H:Authorization: Bearer "+t2.Access), 401, "token revoked", "")
	if r := f.do("GET", "/logout-depends", "C:access=garbage", "C:csrf_token=x", "H:X-CSRF-Token: x"); r.status != 204 {
		t.Fatalf("logout with garbage: %d", r.status)
	}
}

func TestServerErrors(t *testing.T) {
	f := newFixture(t, app.Config{}, issuer.Config{Store: storetest.Down{}})
	r := f.do("GET", "/boom")
	if r.status != 500 || strings.Contains(r.body, "hunter2") {
		t.Errorf("internal error: %d %s", r.status, r.body)
	}
	tokens, _ := f.login("u")
	r = f.do("GET", "/access-token-check", "C:access="+tokens.Access)
	if r.status != 503 || strings.Contains(r.body, "store down") {
		t.Errorf("store down on check: %d %s", r.status, r.body)
	}
	// Failing open, if the application chooses to, accepts the token.
	failOpen := newFixture(t, app.Config{OnStoreError: func(*fiber.Ctx, error) bool { return true }}, issuer.Config{Store: storetest.Down{}})
	open, _ := failOpen.login("u")
	checkResponse(t, failOpen.do("GET", "/access-token-check", "C:access="+open.Access), 200, "", `{"sub":"u"}`)
	checkResponse(t, failOpen.do("GET", "/access-token-check", "C:access=garbage"), 401, "malformed token", "")
	r = f.do("GET", "/logout-depends", "H:Authorization: Bearer "+tokens.Access)
	if r.status != 503 || r.cookies["access"] != nil {
		t.Errorf("store down on logout: %d %s (cookies must stay: nothing was revoked)", r.status, r.body)
	}
	if r := f.do("GET", "/nowhere"); r.status != 404 {
		t.Errorf("unknown route: %d %s", r.status, r.body)
	}
}

// Two issuers in one app: different keys, cookies and request values.
func TestSideBySide(t *testing.T) {
	mk := func(kid string, key []byte, cookie string) (*issuer.Issuer[User, User], *app.JWT[User, User]) {
		k, _ := issuer.NewHMACKey(kid, issuer.HS256, key)
		iss, err := issuer.New[User, User](issuer.Config{Keys: issuer.KeySet{Signing: k}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { iss.Close() })
		j, err := app.New(iss, app.Config{Access: app.CookieConfig{Name: cookie}, Refresh: app.CookieConfig{Name: cookie + "_refresh"},
			CSRF: app.CSRFConfig{CookieName: cookie + "_csrf"}})
		if err != nil {
			t.Fatal(err)
		}
		return iss, j
	}
	userIss, users := mk("users", secret, "user")
	adminIss, admins := mk("admins", []byte("another secret of at least 32 b."), "admin")
	web := fiber.New(fiber.Config{ErrorHandler: app.ErrorHandler(nil)})
	web.Get("/both", users.OptionalAccess(), admins.OptionalAccess(), func(c *fiber.Ctx) error {
		u, uok := users.AccessPayload(c)
		a, aok := admins.AccessPayload(c)
		cl, _ := users.AccessClaims(c)
		return c.SendString(fmt.Sprintf("user=%v:%s admin=%v:%s kid=%s", uok, u.Sub, aok, a.Sub, cl.KeyID))
	})
	web.Get("/admin", admins.RequireAccess(), func(c *fiber.Ctx) error {
		a, _ := admins.AccessPayload(c)
		return c.SendString(a.Sub)
	})
	ut, _ := userIss.CreateAccessToken(context.Background(), User{Sub: "alice"})
	at, _ := adminIss.CreateAccessToken(context.Background(), User{Sub: "root"})
	get := func(path string, cookies map[string]string) (int, string) {
		req := httptest.NewRequest("GET", path, nil)
		for k, v := range cookies {
			req.AddCookie(&http.Cookie{Name: k, Value: v})
		}
		resp, err := web.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if _, body := get("/both", map[string]string{"user": ut, "admin": at}); body != "user=true:alice admin=true:root kid=users" {
		t.Errorf("both: %s", body)
	}
	if _, body := get("/both", map[string]string{"user": ut}); body != "user=true:alice admin=false: kid=users" {
		t.Errorf("user only: %s", body)
	}
	if status, _ := get("/admin", map[string]string{"admin": ut}); status != 401 {
		t.Errorf("a user token in the admin cookie: %d", status)
	}
	if status, body := get("/admin", map[string]string{"admin": at}); status != 200 || body != "root" {
		t.Errorf("admin: %d %s", status, body)
	}
}

func TestNextSkipsMiddleware(t *testing.T) {
	f := newFixture(t, app.Config{Next: func(c *fiber.Ctx) bool { return c.Path() == "/public" }}, issuer.Config{})
	f.web.Get("/public", f.jwt.RequireAccess(), func(c *fiber.Ctx) error {
		_, ok := f.jwt.AccessPayload(c)
		return c.SendString(fmt.Sprint(ok))
	})
	f.web.Get("/private", f.jwt.RequireAccess(), func(c *fiber.Ctx) error { return c.SendString("in") })
	if r := f.do("GET", "/public"); r.status != 200 || r.body != "false" {
		t.Errorf("public: %d %s", r.status, r.body)
	}
	if r := f.do("GET", "/private"); r.status != 401 {
		t.Errorf("private: %d %s", r.status, r.body)
	}
}
