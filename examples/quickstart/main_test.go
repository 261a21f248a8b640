package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/quickjwt/quickjwt/issuer"
)

var testSecret = []byte("quickstart test secret, 32 bytes")

func newTestApp(t *testing.T) *fiber.App {
	t.Helper()
	web, closeFn, err := newApp(testSecret, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeFn)
	return web
}

type reply struct {
	status  int
	body    string
	cookies map[string]*http.Cookie
}

func get(t *testing.T, web *fiber.App, method, path string, header http.Header, cookies ...*http.Cookie) reply {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := web.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, body: string(b), cookies: map[string]*http.Cookie{}}
	for _, c := range resp.Cookies() {
		r.cookies[c.Name] = c
	}
	return r
}

// Every example of quick_jwt's documentation, on its path and with its
// response shape, with the token in the header and in the cookie.
func TestQuickJWTPaths(t *testing.T) {
	web := newTestApp(t)
	r := get(t, web, "GET", "/create-tokens?sub=some_id", nil)
	var pair issuer.Tokens
	if r.status != 200 || json.Unmarshal([]byte(r.body), &pair) != nil || !strings.HasPrefix(r.body, `{"access":"eyJ`) ||
		r.cookies["access"].Value != pair.Access || r.cookies["refresh"].Value != pair.Refresh {
		t.Fatalf("/create-tokens: %d %s %v", r.status, r.body, r.cookies)
	}
	csrfCookie := r.cookies["csrf_token"]
	if csrfCookie == nil {
		t.Fatal("/create-tokens set no CSRF cookie")
	}
	for _, path := range []string{"/create-access-token?sub=some_id", "/create-refresh-token?sub=some_id"} {
		r := get(t, web, "GET", path, nil)
		var tok string
		cookie := "access"
		if strings.Contains(path, "refresh") {
			cookie = "refresh"
		}
		if r.status != 200 || json.Unmarshal([]byte(r.body), &tok) != nil || r.cookies[cookie] == nil || r.cookies[cookie].Value != tok {
			t.Errorf("%s: %d %s", path, r.status, r.body)
		}
	}
	bearer := func(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }
	access := &http.Cookie{Name: "access", Value: pair.Access}
	refresh := &http.Cookie{Name: "refresh", Value: pair.Refresh}
	tests := []struct {
		name, path string
		header     http.Header
		cookie     *http.Cookie
		status     int
		body       string
	}{
		{"access check, header", "/access-token-check", bearer(pair.Access), nil, 200, `{"sub":"some_id"}`},
		{"access check, cookie", "/access-token-check", nil, access, 200, `{"sub":"some_id"}`},
		{"access check, none", "/access-token-check", nil, nil, 401, ""},
		{"access check, refresh token", "/access-token-check", bearer(pair.Refresh), nil, 401, ""},
		{"refresh check, header", "/refresh-token-check", bearer(pair.Refresh), nil, 200, `{"sub":"some_id"}`},
		{"refresh check, cookie", "/refresh-token-check", nil, refresh, 200, `{"sub":"some_id"}`},
		{"refresh check, access token", "/refresh-token-check", nil, &http.Cookie{Name: "refresh", Value: pair.Access}, 401, ""},
		{"optional access, header", "/access-token-check-optional", bearer(pair.Access), nil, 200, `{"sub":"some_id"}`},
		{"optional access, cookie", "/access-token-check-optional", nil, access, 200, `{"sub":"some_id"}`},
		{"optional access, none", "/access-token-check-optional", nil, nil, 200, `null`},
		{"optional access, invalid", "/access-token-check-optional", bearer("junk"), nil, 200, `null`},
		{"optional refresh, cookie", "/refresh-token-check-optional", nil, refresh, 200, `{"sub":"some_id"}`},
		{"optional refresh, none", "/refresh-token-check-optional", nil, nil, 200, `null`},
		{"profile without CSRF header", "/profile", nil, access, 403, ""},
		{"profile with bearer", "/profile", bearer(pair.Access), nil, 200, `{"sub":"some_id"}`},
		{"invalid payload", "/create-tokens?sub=", nil, nil, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := "GET"
			if tt.path == "/profile" {
				method = "POST"
			}
			var cookies []*http.Cookie
			if tt.cookie != nil {
				cookies = append(cookies, tt.cookie)
			}
			r := get(t, web, method, tt.path, tt.header, cookies...)
			if r.status != tt.status || (tt.body != "" && r.body != tt.body) {
				t.Fatalf("%d %s, want %d %s", r.status, r.body, tt.status, tt.body)
			}
		})
	}

	// Refresh and logout by cookie need the CSRF header, on GET too.
	withCSRF := http.Header{"X-Csrf-Token": {csrfCookie.Value}}
	if r := get(t, web, "GET", "/refresh-jwt", nil, refresh, csrfCookie); r.status != 403 {
		t.Fatalf("/refresh-jwt without CSRF header: %d %s", r.status, r.body)
	}
	if r := get(t, web, "GET", "/logout-depends", nil, access, csrfCookie); r.status != 403 {
		t.Fatalf("/logout-depends without CSRF header: %d %s", r.status, r.body)
	}
	r = get(t, web, "GET", "/refresh-jwt", withCSRF, refresh, csrfCookie)
	var next issuer.Tokens
	if r.status != 200 || json.Unmarshal([]byte(r.body), &next) != nil || next.Access == "" || r.cookies["access"].Value != next.Access {
		t.Fatalf("/refresh-jwt: %d %s", r.status, r.body)
	}
	r = get(t, web, "GET", "/logout-depends", withCSRF, &http.Cookie{Name: "access", Value: next.Access}, &http.Cookie{Name: "refresh", Value: next.Refresh}, csrfCookie)
	if r.status != 200 || r.body != "null" || r.cookies["access"] == nil || r.cookies["access"].Value != "" || r.cookies["refresh"].Value != "" {
		t.Fatalf("/logout-depends: %d %s %v", r.status, r.body, r.cookies)
	}
	if r := get(t, web, "GET", "/access-token-check", bearer(next.Access)); r.status != 401 || !strings.Contains(r.body, "revoked") {
		t.Fatalf("after logout: %d %s", r.status, r.body)
	}
	if r := get(t, web, "GET", "/", nil); r.status != 200 || !strings.Contains(r.body, "quickjwt quickstart") {
		t.Fatalf("page: %d", r.status)
	}
}

func TestRunWithoutKeySaysSo(t *testing.T) {
	var stderr strings.Builder
	env := map[string]string{"ADDR": "127.0.0.1:bad-port"}
	err := run(func(k string) string { return env[k] }, &stderr)
	if err == nil {
		t.Fatal("run on a bad address succeeded")
	}
	if !strings.Contains(stderr.String(), "QUICKJWT_KEY is unset") {
		t.Fatalf("stderr: %s", stderr.String())
	}
}
