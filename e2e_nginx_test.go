package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quickjwt/quickjwt/internal/testtool"
)

// readmeBlock returns the text of README.md from the end of marker to the
// next code fence, so that tests run what the README tells readers to.
func readmeBlock(t *testing.T, marker string) string {
	t.Helper()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := bytes.Cut(readme, []byte(marker))
	block, _, ok2 := bytes.Cut(rest, []byte("```"))
	if !ok || !ok2 {
		t.Fatalf("README.md has no block after %q", marker)
	}
	return string(block)
}

// The README's nginx auth_request snippet, run by a real nginx in front of a
// backend: a request gets through with a good access token only, and the
// backend sees the subject quickjwt vouched for, never the client's own
// X-Auth-Subject.
func TestE2ENginxAuthRequest(t *testing.T) {
	nginx := testtool.Find(t, "QUICKJWT_REQUIRE_NGINX", "apt-get install nginx-light", "nginx", "/usr/sbin/nginx")
	dir := t.TempDir()
	p := start(t, dir, e2eConfig(t, dir))

	var mu sync.Mutex
	var seen []string // X-Auth-Subject of each request the backend got
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("X-Auth-Subject"))
		mu.Unlock()
		io.WriteString(w, "backend")
	}))
	t.Cleanup(backend.Close)

	snippet := readmeBlock(t, "```nginx\n")
	if !strings.Contains(snippet, "auth_request") {
		t.Fatalf("README.md's nginx snippet is not an auth_request setup:\n%s", snippet)
	}
	snippet = strings.ReplaceAll(snippet, "http://127.0.0.1:8080", p.base)
	snippet = strings.ReplaceAll(snippet, "http://backend", backend.URL)
	addr := freeAddr(t)
	conf := filepath.Join(dir, "nginx.conf")
	err := os.WriteFile(conf, []byte(fmt.Sprintf(`
daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log stderr warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    server {
        listen %[2]s;
%[3]s
    }
}
`, dir, addr, snippet)), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	var nginxLog syncBuffer
	cmd := exec.Command(nginx, "-p", dir, "-c", conf)
	cmd.Stdout, cmd.Stderr = &nginxLog, &nginxLog
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("nginx log:\n%s", nginxLog.String())
		}
	})
	front := "http://" + addr
	for deadline := time.Now().Add(10 * time.Second); ; {
		select {
		case <-exited:
			t.Fatalf("nginx exited:\n%s", nginxLog.String())
		default:
		}
		if r, err := http.Get(front + "/"); err == nil {
			r.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx did not start:\n%s", nginxLog.String())
		}
		time.Sleep(20 * time.Millisecond)
	}

	r := p.do(t, "POST", "/v1/tokens", `{"sub":"alice"}`, "Authorization", basic(clientID, clientSecret), "Content-Type", "application/json")
	var tr tokenResponse
	if r.status != 200 || json.Unmarshal([]byte(r.body), &tr) != nil {
		t.Fatalf("tokens: %d %s", r.status, r.body)
	}
	send := func(method, body string, headers ...string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, front+"/api/orders", strings.NewReader(body))
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	get := func(headers ...string) (int, string) { t.Helper(); return send("GET", "", headers...) }

	if code, body := get("Authorization", "Bearer "+tr.Access, "X-Auth-Subject", "mallory"); code != 200 || body != "backend" {
		t.Fatalf("good token through nginx: %d %q", code, body)
	}
	// nginx asks with the request's own method; the body stays with the backend.
	if code, body := send("POST", `{"item":42}`, "Authorization", "Bearer "+tr.Access, "Content-Type", "application/json"); code != 200 || body != "backend" {
		t.Fatalf("POST with a good token through nginx: %d %q", code, body)
	}
	for name, h := range map[string][]string{
		"no token":                   {"X-Auth-Subject", "mallory"},
		"refresh token":              {"Authorization", "Bearer " + tr.Refresh},
		"tampered token":             {"Authorization", "Bearer " + tr.Access[:len(tr.Access)-4] + "AAAA"},
		"not a bearer token":         {"Authorization", "Basic " + tr.Access},
		"subject header but no auth": {"X-Auth-Subject", "alice"},
	} {
		if code, body := get(h...); code != 401 || body == "backend" {
			t.Errorf("%s: nginx answered %d %q, want 401 without reaching the backend", name, code, body)
		}
	}
	if r := p.do(t, "POST", "/v1/logout", "", "Authorization", "Bearer "+tr.Access); r.status != 204 {
		t.Fatalf("logout: %d %s", r.status, r.body)
	}
	if code, _ := get("Authorization", "Bearer "+tr.Access); code != 401 {
		t.Errorf("revoked token through nginx: %d, want 401", code)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 || seen[0] != "alice" || seen[1] != "alice" {
		t.Errorf("the backend got X-Auth-Subject %q, want two requests as alice", seen)
	}
}
