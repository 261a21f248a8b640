package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/quickjwt/quickjwt/issuer"
)

const (
	clientID     = "backend"
	clientSecret = "a-client-secret-of-enough-length-0123456789"
)

func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

func clientHash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// testConfig is the embedded defaults with an HS256 key from a file, one
// client, and state in a temporary directory.
func testConfig(t *testing.T) Config {
	t.Helper()
	cfg, _, err := loadConfig("", nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Server.DataDir = t.TempDir()
	cfg.Keys.Signing = SigningKeyConfig{Kid: "k1", Alg: "HS256", SecretFile: writeFile(t, "secret", "0123456789abcdef0123456789abcdef\n")}
	cfg.Clients = []ClientConfig{{ID: clientID, SecretHash: clientHash(clientSecret)}}
	cfg.Claims.Rules = map[string]string{"sub": "required,max=128", "role": "omitempty,oneof=admin user"}
	cfg.Verify.Headers = map[string]string{"X-Auth-Subject": "sub", "X-Auth-Role": "role"}
	return cfg
}

func testServer(t *testing.T, cfg Config) *server {
	t.Helper()
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	s, err := newServer(cfg, discardLog())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.close)
	return s
}

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

type resp struct {
	status int
	body   string
	header http.Header
}

func (r resp) problem(t *testing.T) map[string]any {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal([]byte(r.body), &p); err != nil || r.header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("not a problem response: %d %q %v", r.status, r.body, r.header)
	}
	return p
}

// call sends a request; headers alternate name, value.
func call(t *testing.T, s *server, method, path, body string, headers ...string) resp {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	r, err := s.web.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return resp{r.StatusCode, string(b), r.Header}
}

func mint(t *testing.T, s *server, claims string) tokenResponse {
	t.Helper()
	r := call(t, s, "POST", "/v1/tokens", claims, "Authorization", basic(clientID, clientSecret), "Content-Type", "application/json")
	var tr tokenResponse
	if r.status != 200 || json.Unmarshal([]byte(r.body), &tr) != nil {
		t.Fatalf("mint %s: %d %s", claims, r.status, r.body)
	}
	return tr
}

func TestTokensEndpoint(t *testing.T) {
	s := testServer(t, testConfig(t))
	tr := mint(t, s, `{"sub":"alice","role":"admin"}`)
	if tr.TokenType != "Bearer" || tr.ExpiresIn != 900 || tr.RefreshExpiresIn != 1209600 || tr.Access == "" || tr.Refresh == "" {
		t.Fatalf("%+v", tr)
	}
	claims, err := s.iss.CheckAccess(t.Context(), tr.Access)
	if err != nil || string(claims.raw) != `{"sub":"alice","role":"admin"}` {
		t.Fatalf("minted claims %s, %v", claims.raw, err)
	}
	auth, ct := basic(clientID, clientSecret), "application/json"
	tests := []struct {
		name    string
		body    string
		headers []string
		status  int
		want    string // in the body
	}{
		{"no credentials", `{"sub":"a"}`, []string{"Content-Type", ct}, 401, "client authentication failed"},
		{"wrong secret", `{"sub":"a"}`, []string{"Authorization", basic(clientID, "nope"), "Content-Type", ct}, 401, "client authentication failed"},
		{"unknown client", `{"sub":"a"}`, []string{"Authorization", basic("eve", clientSecret), "Content-Type", ct}, 401, ""},
		{"bearer instead of basic", `{"sub":"a"}`, []string{"Authorization", "Bearer " + tr.Access, "Content-Type", ct}, 401, ""},
		{"garbage basic", `{"sub":"a"}`, []string{"Authorization", "Basic !!!", "Content-Type", ct}, 401, ""},
		{"wrong content type", `{"sub":"a"}`, []string{"Authorization", auth, "Content-Type", "text/plain"}, 415, "application/json"},
		{"malformed JSON", `{"sub":`, []string{"Authorization", auth, "Content-Type", ct}, 400, "one JSON object"},
		{"not an object", `["sub"]`, []string{"Authorization", auth, "Content-Type", ct}, 400, "one JSON object"},
		{"missing sub", `{}`, []string{"Authorization", auth, "Content-Type", ct}, 400, `"field":"sub","rule":"required"`},
		{"rule broken", `{"sub":"a","role":"root"}`, []string{"Authorization", auth, "Content-Type", ct}, 400, `"field":"role","rule":"oneof"`},
		{"claim of another type", `{"sub":true,"role":{"x":[1]}}`, []string{"Authorization", auth, "Content-Type", ct}, 400, `"field":"sub"`},
		{"number as sub", `{"sub":12}`, []string{"Authorization", auth, "Content-Type", ct}, 400, `"field":"sub","rule":"string"`},
		{"null claim", `{"sub":null}`, []string{"Authorization", auth, "Content-Type", ct}, 400, `"field":"sub","rule":"required"`},
		{"unknown claim", `{"sub":"a","admin":true}`, []string{"Authorization", auth, "Content-Type", ct}, 400, `"field":"admin","rule":"unknown"`},
		{"registered claim", `{"sub":"a","exp":99999999999}`, []string{"Authorization", auth, "Content-Type", ct}, 400, `"field":"exp","rule":"reserved"`},
		{"duplicate claim", `{"sub":"a","sub":"b"}`, []string{"Authorization", auth, "Content-Type", ct}, 400, "unique keys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, s, "POST", "/v1/tokens", tt.body, tt.headers...)
			if r.status != tt.status || !strings.Contains(r.body, tt.want) {
				t.Fatalf("%d %s, want %d with %s", r.status, r.body, tt.status, tt.want)
			}
			if r.status == 401 && r.header.Get("WWW-Authenticate") != `Basic realm="quickjwt"` {
				t.Errorf("challenge %q", r.header.Get("WWW-Authenticate"))
			}
			r.problem(t)
		})
	}
}

func TestVerifyEndpoint(t *testing.T) {
	cfg := testConfig(t)
	s := testServer(t, cfg)
	tr := mint(t, s, `{"sub":"alice","role":"admin"}`)
	for _, method := range []string{"GET", "POST", "HEAD", "PUT"} {
		r := call(t, s, method, "/v1/verify", "", "Authorization", "Bearer "+tr.Access)
		if r.status != 200 || r.header.Get("X-Auth-Subject") != "alice" || r.header.Get("X-Auth-Role") != "admin" {
			t.Fatalf("%s verify: %d %v", method, r.status, r.header)
		}
	}
	noRole := mint(t, s, `{"sub":"bob"}`)
	if r := call(t, s, "GET", "/v1/verify", "", "Authorization", "Bearer "+noRole.Access); r.status != 200 || r.header.Get("X-Auth-Role") != "" {
		t.Fatalf("claim not in token: %d %v", r.status, r.header)
	}
	tampered := tr.Access[:len(tr.Access)-43] + strings.Repeat("A", 43)
	for name, c := range map[string]struct {
		headers []string
		reason  string
	}{
		"no token":                    {nil, ""},
		"tampered":                    {[]string{"Authorization", "Bearer " + tampered}, "invalid signature"},
		"refresh token":               {[]string{"Authorization", "Bearer " + tr.Refresh}, "wrong token type"},
		"garbage":                     {[]string{"Authorization", "Bearer x.y.z"}, "malformed token"},
		"cookie when cookies are off": {[]string{"Cookie", "access=" + tr.Access}, ""},
	} {
		r := call(t, s, "GET", "/v1/verify", "", c.headers...)
		challenge := r.header.Get("WWW-Authenticate")
		if r.status != 401 || !strings.HasPrefix(challenge, "Bearer") || !strings.Contains(challenge, c.reason) {
			t.Errorf("%s: %d %q", name, r.status, challenge)
		}
	}
}

func TestRefreshEndpoint(t *testing.T) {
	s := testServer(t, testConfig(t))
	tr := mint(t, s, `{"sub":"alice","role":"user"}`)
	for name, req := range map[string]func(refresh string) (string, []string){
		"bearer": func(rt string) (string, []string) { return "", []string{"Authorization", "Bearer " + rt} },
		"body": func(rt string) (string, []string) {
			return `{"refresh":"` + rt + `"}`, []string{"Content-Type", "application/json"}
		},
	} {
		body, headers := req(mint(t, s, `{"sub":"alice","role":"user"}`).Refresh)
		r := call(t, s, "POST", "/v1/refresh", body, headers...)
		var next tokenResponse
		if r.status != 200 || json.Unmarshal([]byte(r.body), &next) != nil || next.Access == tr.Access {
			t.Fatalf("%s: %d %s", name, r.status, r.body)
		}
		claims, err := s.iss.CheckAccess(t.Context(), next.Access)
		if err != nil || string(claims.raw) != `{"sub":"alice","role":"user"}` {
			t.Fatalf("%s: refreshed claims %s %v", name, claims.raw, err)
		}
	}
	for name, c := range map[string]struct {
		body    string
		headers []string
		status  int
	}{
		"access token":        {"", []string{"Authorization", "Bearer " + tr.Access}, 401},
		"nothing":             {"", nil, 401},
		"body without JSON":   {`refresh=x`, []string{"Content-Type", "application/x-www-form-urlencoded"}, 415},
		"body of wrong shape": {`{"token":"x"}`, []string{"Content-Type", "application/json"}, 400},
		"garbage in body":     {`{"refresh":"x"}`, []string{"Content-Type", "application/json"}, 401},
	} {
		if r := call(t, s, "POST", "/v1/refresh", c.body, c.headers...); r.status != c.status {
			t.Errorf("%s: %d %s, want %d", name, r.status, r.body, c.status)
		}
	}
}

// A replayed refresh token is refused and takes its family with it.
func TestRefreshReuse(t *testing.T) {
	s := testServer(t, testConfig(t))
	tr := mint(t, s, `{"sub":"alice"}`)
	r := call(t, s, "POST", "/v1/refresh", "", "Authorization", "Bearer "+tr.Refresh)
	var next tokenResponse
	if r.status != 200 || json.Unmarshal([]byte(r.body), &next) != nil {
		t.Fatalf("refresh: %d %s", r.status, r.body)
	}
	r = call(t, s, "POST", "/v1/refresh", "", "Authorization", "Bearer "+tr.Refresh)
	if r.status != 401 || !strings.Contains(r.header.Get("WWW-Authenticate"), "refresh token reused") {
		t.Fatalf("replay: %d %v", r.status, r.header)
	}
	for _, tok := range []string{next.Access, tr.Access} {
		if r := call(t, s, "GET", "/v1/verify", "", "Authorization", "Bearer "+tok); r.status != 401 {
			t.Errorf("a token of the family after the replay: %d", r.status)
		}
	}
	if r := call(t, s, "POST", "/v1/refresh", "", "Authorization", "Bearer "+next.Refresh); r.status != 401 {
		t.Errorf("the newest refresh token after the replay: %d", r.status)
	}
	if !strings.Contains(call(t, s, "GET", "/metrics", "").body, `quickjwt_tokens_rejected_total{reason="reused"} 1`) {
		t.Error("no reuse in the metrics")
	}
}

func TestRevokeEndpoint(t *testing.T) {
	s := testServer(t, testConfig(t))
	auth := basic(clientID, clientSecret)
	a := mint(t, s, `{"sub":"alice"}`)
	a2 := mint(t, s, `{"sub":"alice"}`)
	b := mint(t, s, `{"sub":"bob"}`)
	verify := func(tok string) int {
		return call(t, s, "GET", "/v1/verify", "", "Authorization", "Bearer "+tok).status
	}
	// RFC 7009: a form with the token; the whole session goes.
	if r := call(t, s, "POST", "/v1/revoke", "token="+a.Refresh, "Authorization", auth, "Content-Type", "application/x-www-form-urlencoded"); r.status != 200 {
		t.Fatalf("revoke by token: %d %s", r.status, r.body)
	}
	if verify(a.Access) != 401 || verify(a2.Access) != 200 {
		t.Fatalf("after revoking a's session: a %d, a2 %d", verify(a.Access), verify(a2.Access))
	}
	// Everywhere: by subject, as JSON.
	if r := call(t, s, "POST", "/v1/revoke", `{"sub":"alice"}`, "Authorization", auth, "Content-Type", "application/json"); r.status != 200 {
		t.Fatalf("revoke by subject: %d %s", r.status, r.body)
	}
	if verify(a2.Access) != 401 || verify(b.Access) != 200 {
		t.Fatalf("after revoking alice: a2 %d, b %d", verify(a2.Access), verify(b.Access))
	}
	for name, c := range map[string]struct {
		body, ct, auth string
		status         int
	}{
		"invalid token is not an error": {"token=garbage", "application/x-www-form-urlencoded", auth, 200},
		"neither":                       {"{}", "application/json", auth, 400},
		"both":                          {`{"token":"x","sub":"y"}`, "application/json", auth, 400},
		"no client":                     {"token=x", "application/x-www-form-urlencoded", "", 401},
		"other body":                    {"token=x", "text/plain", auth, 415},
	} {
		headers := []string{"Content-Type", c.ct}
		if c.auth != "" {
			headers = append(headers, "Authorization", c.auth)
		}
		if r := call(t, s, "POST", "/v1/revoke", c.body, headers...); r.status != c.status {
			t.Errorf("%s: %d %s, want %d", name, r.status, r.body, c.status)
		}
	}
}

func TestLogoutEndpoint(t *testing.T) {
	s := testServer(t, testConfig(t))
	tr := mint(t, s, `{"sub":"alice"}`)
	if r := call(t, s, "POST", "/v1/logout", "", "Authorization", "Bearer "+tr.Access); r.status != 204 {
		t.Fatalf("logout: %d %s", r.status, r.body)
	}
	if r := call(t, s, "GET", "/v1/verify", "", "Authorization", "Bearer "+tr.Access); r.status != 401 || !strings.Contains(r.header.Get("WWW-Authenticate"), "revoked") {
		t.Fatalf("after logout: %d %v", r.status, r.header)
	}
}

func TestCookieMode(t *testing.T) {
	cfg := testConfig(t)
	cfg.Cookies.Enabled = true
	cfg.Cookies.RefreshPath = "/v1"
	s := testServer(t, cfg)
	r := call(t, s, "POST", "/v1/tokens", `{"sub":"alice"}`, "Authorization", basic(clientID, clientSecret), "Content-Type", "application/json")
	cookies := map[string]*http.Cookie{}
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		cookies[c.Name] = c
	}
	if cookies["access"] == nil || cookies["refresh"] == nil || cookies["refresh"].Path != "/v1" || !cookies["access"].HttpOnly || !cookies["access"].Secure {
		t.Fatalf("cookies: %v", r.header["Set-Cookie"])
	}
	access, refresh, csrf := "access="+cookies["access"].Value, "refresh="+cookies["refresh"].Value, "csrf_token="+cookies["csrf_token"].Value
	if r := call(t, s, "GET", "/v1/verify", "", "Cookie", access); r.status != 200 || r.header.Get("X-Auth-Subject") != "alice" {
		t.Fatalf("verify by cookie: %d", r.status)
	}
	if r := call(t, s, "POST", "/v1/refresh", "", "Cookie", refresh+"; "+csrf); r.status != 403 {
		t.Fatalf("refresh by cookie without CSRF header: %d %s", r.status, r.body)
	}
	if r := call(t, s, "POST", "/v1/refresh", "", "Cookie", refresh+"; "+csrf, "X-CSRF-Token", cookies["csrf_token"].Value); r.status != 200 {
		t.Fatalf("refresh by cookie: %d %s", r.status, r.body)
	}
	r = call(t, s, "POST", "/v1/logout", "", "Cookie", access+"; "+csrf, "X-CSRF-Token", cookies["csrf_token"].Value)
	if r.status != 204 || !strings.Contains(strings.Join(r.header["Set-Cookie"], "\n"), "access=; expires=Tue, 10 Nov 2009") {
		t.Fatalf("logout: %d %v", r.status, r.header["Set-Cookie"])
	}
}

func TestOperationalEndpoints(t *testing.T) {
	s := testServer(t, testConfig(t))
	if r := call(t, s, "GET", "/healthz", ""); r.status != 200 || !strings.Contains(r.body, "ok") {
		t.Fatalf("healthz: %d %s", r.status, r.body)
	}
	if r := call(t, s, "GET", "/readyz", ""); r.status != 200 || !strings.Contains(r.body, "ready") {
		t.Fatalf("readyz: %d %s", r.status, r.body)
	}
	r := call(t, s, "GET", "/.well-known/jwks.json", "")
	if r.status != 200 || r.body != `{"keys":[]}` || r.header.Get("Cache-Control") != "public, max-age=300" {
		t.Fatalf("jwks of an HMAC key: %d %s %v", r.status, r.body, r.header)
	}
	mint(t, s, `{"sub":"alice"}`)
	call(t, s, "GET", "/v1/verify", "", "Authorization", "Bearer junk")
	r = call(t, s, "GET", "/metrics", "")
	for _, want := range []string{"quickjwt_tokens_issued_total 1", `quickjwt_tokens_rejected_total{reason="malformed"} 1`,
		`quickjwt_http_request_duration_seconds_count{method="POST",route="/v1/tokens",status="200"} 1`, "process_resident_memory_bytes"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// Request ids: a sane incoming one is kept, anything else replaced.
	if r := call(t, s, "GET", "/healthz", "", "X-Request-ID", "abc-123"); r.header.Get("X-Request-ID") != "abc-123" {
		t.Errorf("request id not kept: %q", r.header.Get("X-Request-ID"))
	}
	a, b := call(t, s, "GET", "/healthz", "", "X-Request-ID", "bad id\x01").header.Get("X-Request-ID"), call(t, s, "GET", "/healthz", "").header.Get("X-Request-ID")
	if a == "" || b == "" || a == b || strings.Contains(a, "bad") {
		t.Errorf("request ids %q %q", a, b)
	}
	if r := call(t, s, "GET", "/nowhere", ""); r.status != 404 {
		t.Errorf("unknown path: %d", r.status)
	}
}

func TestRateLimit(t *testing.T) {
	cfg := testConfig(t)
	cfg.RateLimit.Tokens = LimitConfig{Max: 2, Window: time.Minute}
	s := testServer(t, cfg)
	mint(t, s, `{"sub":"a"}`)
	mint(t, s, `{"sub":"a"}`)
	r := call(t, s, "POST", "/v1/tokens", `{"sub":"a"}`, "Authorization", basic(clientID, clientSecret), "Content-Type", "application/json")
	if r.status != 429 || r.header.Get("Retry-After") == "" {
		t.Fatalf("third request: %d %v", r.status, r.header)
	}
	r.problem(t)
}

// log.format json and log.requests: one JSON line per request, with its id.
func TestRequestLogJSON(t *testing.T) {
	var stderr strings.Builder
	cfg, log, err := config("", []string{"QUICKJWT_LOG_FORMAT=json", "QUICKJWT_LOG_REQUESTS=true"}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	base := testConfig(t)
	cfg.Server.DataDir, cfg.Keys, cfg.Clients = base.Server.DataDir, base.Keys, base.Clients
	s, err := newServer(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.close)
	call(t, s, "GET", "/healthz", "", "X-Request-ID", "req-42")
	var line map[string]any
	last := strings.TrimSpace(stderr.String())
	last = last[strings.LastIndexByte(last, '\n')+1:]
	if err := json.Unmarshal([]byte(last), &line); err != nil || line["msg"] != "request" || line["request_id"] != "req-42" || line["status"] != float64(200) {
		t.Fatalf("log line %q: %v", last, err)
	}
}

// TestClaimSubMustBeString: whatever the rules say, a sub that is not a
// string is refused when minting, since no check would pass the token.
func TestClaimSubMustBeString(t *testing.T) {
	r, err := newClaimRules(ClaimsConfig{AllowUnknown: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		body string
		ok   bool
	}{
		{`{"sub":"alice","n":1}`, true},
		{`{"n":1}`, true},
		{`{"sub":null}`, false},
		{`{"sub":7}`, false},
		{`{"sub":["alice"]}`, false},
	} {
		_, err := r.parse([]byte(tc.body))
		var pe *issuer.PayloadError
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s: %v", tc.body, err)
		case !tc.ok && (!errors.As(err, &pe) || len(pe.Fields) != 1 || pe.Fields[0] != issuer.FieldViolation{Field: "sub", Rule: "string"}):
			t.Errorf("%s: err = %v, want one violation sub/string", tc.body, err)
		}
	}
}
