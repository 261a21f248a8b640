package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds the service once per test run.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "quickjwt-e2e")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "quickjwt")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// proc is a running service.
type proc struct {
	cmd    *exec.Cmd
	base   string
	stderr *syncBuffer
	done   chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs the binary in dir with a config file holding yaml, on a free
// address (given by QUICKJWT_SERVER_ADDR), and waits until it answers.
func start(t *testing.T, dir, yaml string, env ...string) *proc {
	t.Helper()
	addr := freeAddr(t)
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	p := &proc{base: "http://" + addr, stderr: &syncBuffer{}, done: make(chan error, 1)}
	p.cmd = exec.Command(binary(t), "serve", "-config", cfgPath)
	p.cmd.Dir = dir
	p.cmd.Env = append(append(os.Environ(), "QUICKJWT_SERVER_ADDR="+addr), env...)
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("service log:\n%s", p.stderr)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-p.done:
			t.Fatalf("service exited: %v\n%s", err, p.stderr)
		default:
		}
		if r, err := http.Get(p.base + "/healthz"); err == nil {
			r.Body.Close()
			return p
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("service did not start:\n%s", p.stderr)
	return nil
}

type httpResult struct {
	status int
	body   string
	header http.Header
}

func (p *proc) do(t *testing.T, method, path, body string, headers ...string) httpResult {
	t.Helper()
	req, err := http.NewRequest(method, p.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return httpResult{r.StatusCode, string(b), r.Header}
}

// httpGet sends a bearer GET and returns the status.
func httpGet(url, token string) (int, error) {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, r.Body)
	r.Body.Close()
	return r.StatusCode, nil
}

func e2eConfig(t *testing.T, dir string) string {
	secret := filepath.Join(dir, "k1.secret")
	if err := os.WriteFile(secret, []byte("0123456789abcdef0123456789abcdef"), 0o600); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf(`
issuer: {access_ttl: 1s}
keys: {signing: {kid: k1, alg: HS256, secret_file: %q}}
clients: [{id: %s, secret_hash: %q}]
claims: {rules: {sub: "required,max=128", role: "omitempty,oneof=admin user"}}
verify: {headers: {X-Auth-Subject: sub, X-Auth-Role: role}}
server: {body_limit: 1024, header_limit: 4096}
`, secret, clientID, clientHash(clientSecret))
}

// Every endpoint over real HTTP, with bad input answered by the right 4xx.
func TestE2EEndpoints(t *testing.T) {
	dir := t.TempDir()
	p := start(t, dir, e2eConfig(t, dir))
	auth, ct := basic(clientID, clientSecret), "application/json"

	r := p.do(t, "POST", "/v1/tokens", `{"sub":"alice","role":"admin"}`, "Authorization", auth, "Content-Type", ct)
	var tr tokenResponse
	if r.status != 200 || json.Unmarshal([]byte(r.body), &tr) != nil || tr.ExpiresIn != 1 || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("tokens: %d %s", r.status, r.body)
	}
	for _, bad := range []struct {
		name, body string
		headers    []string
		status     int
		want       string
	}{
		{"malformed JSON", `{"sub":`, []string{"Authorization", auth, "Content-Type", ct}, 400, "one JSON object"},
		{"wrong content type", `{"sub":"a"}`, []string{"Authorization", auth, "Content-Type", "text/plain"}, 415, "application/json"},
		{"oversized body", `{"sub":"` + strings.Repeat("x", 2000) + `"}`, []string{"Authorization", auth, "Content-Type", ct}, 413, ""},
		{"missing client secret", `{"sub":"a"}`, []string{"Content-Type", ct}, 401, "client authentication failed"},
		{"wrong client secret", `{"sub":"a"}`, []string{"Authorization", basic(clientID, "wrong"), "Content-Type", ct}, 401, "client authentication failed"},
		{"unknown claim", `{"sub":"a","admin":true}`, []string{"Authorization", auth, "Content-Type", ct}, 400, `"field":"admin","rule":"unknown"`},
	} {
		if r := p.do(t, "POST", "/v1/tokens", bad.body, bad.headers...); r.status != bad.status || !strings.Contains(r.body, bad.want) {
			t.Errorf("%s: %d %s, want %d %s", bad.name, r.status, r.body, bad.status, bad.want)
		}
	}
	if r := p.do(t, "GET", "/v1/verify", "", "Authorization", "Bearer "+tr.Access, "X-Big", strings.Repeat("h", 5000)); r.status != 431 {
		t.Errorf("oversized header: %d", r.status)
	}

	r = p.do(t, "GET", "/v1/verify", "", "Authorization", "Bearer "+tr.Access)
	if r.status != 200 || r.header.Get("X-Auth-Subject") != "alice" || r.header.Get("X-Auth-Role") != "admin" || r.body != "" {
		t.Fatalf("verify: %d %q %v", r.status, r.body, r.header)
	}
	tampered := tr.Access[:len(tr.Access)-43] + strings.Repeat("A", 43)
	if r := p.do(t, "GET", "/v1/verify", "", "Authorization", "Bearer "+tampered); r.status != 401 ||
		r.header.Get("WWW-Authenticate") != `Bearer error="invalid_token", error_description="invalid signature"` {
		t.Errorf("tampered: %d %v", r.status, r.header)
	}

	r = p.do(t, "POST", "/v1/refresh", `{"refresh":"`+tr.Refresh+`"}`, "Content-Type", ct)
	var next tokenResponse
	if r.status != 200 || json.Unmarshal([]byte(r.body), &next) != nil {
		t.Fatalf("refresh: %d %s", r.status, r.body)
	}
	if r := p.do(t, "POST", "/v1/refresh", "", "Authorization", "Bearer "+next.Refresh); r.status != 200 {
		t.Fatalf("refresh by bearer: %d %s", r.status, r.body)
	}
	if r := p.do(t, "POST", "/v1/logout", "", "Authorization", "Bearer "+next.Access); r.status != 204 {
		t.Fatalf("logout: %d %s", r.status, r.body)
	}
	if r := p.do(t, "GET", "/v1/verify", "", "Authorization", "Bearer "+next.Access); r.status != 401 || !strings.Contains(r.header.Get("WWW-Authenticate"), "token revoked") {
		t.Fatalf("revoked: %d %v", r.status, r.header)
	}

	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready", "/.well-known/jwks.json": `{"keys":[]}`, "/metrics": "quickjwt_tokens_issued_total 1"} {
		if r := p.do(t, "GET", path, ""); r.status != 200 || !strings.Contains(r.body, want) {
			t.Errorf("%s: %d %.200s", path, r.status, r.body)
		}
	}

	// access_ttl is 1s: wait for the first access token's exp.
	claims, _ := base64.RawURLEncoding.DecodeString(strings.Split(tr.Access, ".")[1])
	var exp struct{ Exp int64 }
	json.Unmarshal(claims, &exp)
	time.Sleep(time.Until(time.Unix(exp.Exp, 0)) + 50*time.Millisecond)
	if r := p.do(t, "GET", "/v1/verify", "", "Authorization", "Bearer "+tr.Access); r.status != 401 || !strings.Contains(r.header.Get("WWW-Authenticate"), "token expired") {
		t.Errorf("expired: %d %v", r.status, r.header)
	}
}

// SIGTERM during a burst: during the drain delay and the shutdown every
// request sent is answered in full (requests half sent when the signal comes
// included), and the service exits cleanly.
func TestE2EGracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	p := start(t, dir, e2eConfig(t, dir), "QUICKJWT_ISSUER_ACCESS_TTL=10m", "QUICKJWT_SERVER_DRAIN_DELAY=500ms")
	r := p.do(t, "POST", "/v1/tokens", `{"sub":"alice"}`, "Authorization", basic(clientID, clientSecret), "Content-Type", "application/json")
	var tr tokenResponse
	if json.Unmarshal([]byte(r.body), &tr) != nil {
		t.Fatalf("mint: %d %s", r.status, r.body)
	}

	// Requests half sent when the signal comes: the service must finish them.
	const slow = 5
	conns := make([]net.Conn, slow)
	host := strings.TrimPrefix(p.base, "http://")
	for i := range conns {
		c, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "GET /v1/verify HTTP/1.1\r\nHost: x\r\n")
		conns[i] = c
	}
	// And a burst of whole requests, on fresh and on kept-alive connections.
	var (
		wg       sync.WaitGroup
		ok, bad  atomic.Int64
		stop     atomic.Bool
		firstErr atomic.Value
	)
	for w := range 8 {
		client := &http.Client{Transport: &http.Transport{DisableKeepAlives: w%2 == 0}}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				req, _ := http.NewRequest("GET", p.base+"/v1/verify", nil)
				req.Header.Set("Authorization", "Bearer "+tr.Access)
				r, err := client.Do(req)
				if err != nil {
					bad.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					return
				}
				io.Copy(io.Discard, r.Body)
				r.Body.Close()
				if r.StatusCode != 200 {
					bad.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Sprintf("status %d", r.StatusCode))
					return
				}
				ok.Add(1)
			}
		}()
	}
	time.Sleep(200 * time.Millisecond)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	before := ok.Load()
	if r, err := http.Get(p.base + "/readyz"); err != nil || r.StatusCode != 503 {
		t.Errorf("readyz while draining: %v %v", r, err)
	}
	// The half-sent requests complete after the signal.
	for i, c := range conns {
		fmt.Fprintf(c, "Authorization: Bearer %s\r\n\r\n", tr.Access)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		status, err := bufio.NewReader(c).ReadString('\n')
		if err != nil || !strings.HasPrefix(status, "HTTP/1.1 200") {
			t.Errorf("half-sent request %d: %q %v", i, status, err)
		}
	}
	time.Sleep(100 * time.Millisecond)
	stop.Store(true) // the burst ends within the drain delay
	wg.Wait()
	select {
	case err := <-p.done:
		p.done <- err
		if err != nil {
			t.Fatalf("exit: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the service did not exit after SIGTERM")
	}
	if bad.Load() > 0 || ok.Load() <= before {
		t.Fatalf("ok %d (%d before the drain), failed %d (first: %v)", ok.Load(), before, bad.Load(), firstErr.Load())
	}
	if !strings.Contains(p.stderr.String(), "stopped") {
		t.Errorf("no clean stop in the log:\n%s", p.stderr)
	}
}

// SIGHUP reloads the keys from the (changed) configuration without dropping
// a request.
func TestE2EKeyReload(t *testing.T) {
	dir := t.TempDir()
	p := start(t, dir, e2eConfig(t, dir), "QUICKJWT_ISSUER_ACCESS_TTL=10m")
	mintToken := func() string {
		r := p.do(t, "POST", "/v1/tokens", `{"sub":"alice"}`, "Authorization", basic(clientID, clientSecret), "Content-Type", "application/json")
		var tr tokenResponse
		if json.Unmarshal([]byte(r.body), &tr) != nil {
			t.Fatalf("mint: %d %s", r.status, r.body)
		}
		return tr.Access
	}
	old := mintToken()
	// Rotate: a new EdDSA signing key, the old secret kept for verification.
	pemPath := filepath.Join(dir, "k2.pem")
	var pemOut bytes.Buffer
	if err := run(t.Context(), []string{"keygen", "-alg", "EdDSA"}, nil, nil, &pemOut, io.Discard, nil); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(pemPath, pemOut.Bytes(), 0o600)
	cfg := e2eConfig(t, dir)
	cfg = strings.Replace(cfg, "keys: {signing: {kid: k1, alg: HS256,", fmt.Sprintf("keys: {signing: {kid: k2, alg: EdDSA, private_key_file: %q}, verify: [{kid: k1, alg: HS256,", pemPath), 1)
	cfg = strings.Replace(cfg, `k1.secret"}}`, `k1.secret"}]}`, 1)
	os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(cfg), 0o600)

	var failed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if r := p.do(t, "GET", "/v1/verify", "", "Authorization", "Bearer "+old); r.status != 200 {
				if failed.Add(1) == 1 {
					t.Logf("first failure: %d %v", r.status, r.header)
				}
			}
		}
	}()
	time.Sleep(100 * time.Millisecond)
	p.cmd.Process.Signal(syscall.SIGHUP)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(p.stderr.String(), "keys reloaded") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	close(stop)
	wg.Wait()
	if failed.Load() > 0 {
		t.Fatalf("%d verifications failed during the reload", failed.Load())
	}
	fresh := mintToken()
	if !strings.HasPrefix(fresh, "eyJhbGciOiJFZERTQSIsImtpZCI6ImsyIi") { // {"alg":"EdDSA","kid":"k2"
		t.Fatalf("token after reload: %.60s", fresh)
	}
	for _, tok := range []string{old, fresh} {
		if r := p.do(t, "GET", "/v1/verify", "", "Authorization", "Bearer "+tok); r.status != 200 {
			t.Errorf("verify after reload: %d", r.status)
		}
	}
	if r := p.do(t, "GET", "/.well-known/jwks.json", ""); !strings.Contains(r.body, `"kid":"k2"`) {
		t.Errorf("jwks after reload: %s", r.body)
	}
}

// With no configuration at all the service starts on development state, and
// its log says how to get a first token; in production it refuses.
func TestE2EDevelopmentDefaults(t *testing.T) {
	dir := t.TempDir()
	p := start(t, dir, "")
	log := p.stderr.String()
	i := strings.Index(log, "curl -u dev:")
	if i < 0 || !strings.Contains(log, "DEVELOPMENT key") {
		t.Fatalf("startup log lacks the first-token hint:\n%s", log)
	}
	secret, _, _ := strings.Cut(log[i+len("curl -u dev:"):], " ")
	r := p.do(t, "POST", "/v1/tokens", `{"sub":"alice"}`, "Authorization", basic("dev", secret), "Content-Type", "application/json")
	if r.status != 200 {
		t.Fatalf("first token: %d %s", r.status, r.body)
	}
	var tr tokenResponse
	json.Unmarshal([]byte(r.body), &tr)
	if r := p.do(t, "GET", "/.well-known/jwks.json", ""); !strings.Contains(r.body, `"kid":"dev"`) || !strings.Contains(r.body, `"OKP"`) {
		t.Fatalf("jwks: %s", r.body)
	}
	// A restart keeps the development key: the token still verifies.
	p.cmd.Process.Signal(syscall.SIGTERM)
	<-p.done
	p.done <- nil
	p2 := start(t, dir, "")
	if r := p2.do(t, "GET", "/v1/verify", "", "Authorization", "Bearer "+tr.Access); r.status != 200 {
		t.Fatalf("token after restart: %d", r.status)
	}

	cmd := exec.Command(binary(t), "serve")
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "QUICKJWT_SERVER_PRODUCTION=true")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "keys.signing must be configured") {
		t.Fatalf("production without keys: %v\n%s", err, out)
	}
}

// The README's walkthrough, from a first token to a revoked one, run as it
// is written (with curl, in the directory the service started in on its
// development defaults): every step answers what its comment says.
func TestE2EReadmeWalkthrough(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "sed", "grep"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s: %v", tool, err)
		}
	}
	script := readmeBlock(t, "In another terminal, with curl alone:\n\n```sh\n")
	dir := t.TempDir()
	p := start(t, dir, "")
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", strings.ReplaceAll(script, "http://127.0.0.1:8080", p.base))
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the walkthrough failed: %v\n%s", err, out)
	}
	var statuses []string // a body without a newline runs into the next status line
	for _, m := range regexp.MustCompile(`HTTP/[0-9.]+ ([0-9]{3}) `).FindAllStringSubmatch(string(out), -1) {
		statuses = append(statuses, m[1])
	}
	// verify, verify after refresh, the replayed refresh, verify of the
	// replayed family, logout, verify after logout.
	want := []string{"200", "200", "401", "401", "204", "401"}
	if strings.Join(statuses, " ") != strings.Join(want, " ") {
		t.Errorf("statuses %v, want %v\n%s", statuses, want, out)
	}
	for _, s := range []string{`"token_type":"Bearer"`, "X-Auth-Subject: alice", "refresh token reused", "token revoked", `"kid":"dev"`, `{"status":"ready"}`, "quickjwt_tokens_issued_total 2"} {
		if !strings.Contains(string(out), s) {
			t.Errorf("the walkthrough's output lacks %q:\n%s", s, out)
		}
	}
}
