package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quickjwt/quickjwt/internal/redistest"
)

func redisConfig(t *testing.T, dir, addr, extra string) string {
	prefix := fmt.Sprintf("e2e-%d:", time.Now().UnixNano())
	return e2eConfig(t, dir) + fmt.Sprintf("store: {type: redis, redis: {addr: %q, key_prefix: %q}}\n", addr, prefix) + extra
}

func mintVia(t *testing.T, p *proc) tokenResponse {
	t.Helper()
	r := p.do(t, "POST", "/v1/tokens", `{"sub":"alice"}`, "Authorization", basic(clientID, clientSecret), "Content-Type", "application/json")
	var tr tokenResponse
	if r.status != 200 || json.Unmarshal([]byte(r.body), &tr) != nil {
		t.Fatalf("mint: %d %s", r.status, r.body)
	}
	return tr
}

// Two service processes on one Redis: a refresh on one and a replay on the
// other kill the family on both; a logout on one is seen by the other.
func TestE2EMultiInstance(t *testing.T) {
	addr := redistest.Addr(t)
	dir := t.TempDir()
	cfg := redisConfig(t, dir, addr, "")
	p1 := start(t, t.TempDir(), cfg, "QUICKJWT_ISSUER_ACCESS_TTL=10m")
	p2 := start(t, t.TempDir(), cfg, "QUICKJWT_ISSUER_ACCESS_TTL=10m")

	login := mintVia(t, p1)
	r := p1.do(t, "POST", "/v1/refresh", "", "Authorization", "Bearer "+login.Refresh)
	var next tokenResponse
	if r.status != 200 || json.Unmarshal([]byte(r.body), &next) != nil {
		t.Fatalf("refresh on 1: %d %s", r.status, r.body)
	}
	if r := p2.do(t, "POST", "/v1/refresh", "", "Authorization", "Bearer "+login.Refresh); r.status != 401 || !strings.Contains(r.header.Get("WWW-Authenticate"), "reused") {
		t.Fatalf("replay on 2: %d %v", r.status, r.header)
	}
	for i, p := range []*proc{p1, p2} {
		if r := p.do(t, "GET", "/v1/verify", "", "Authorization", "Bearer "+next.Access); r.status != 401 {
			t.Errorf("instance %d accepts the family after the replay: %d", i+1, r.status)
		}
	}

	other := mintVia(t, p2)
	if r := p2.do(t, "POST", "/v1/logout", "", "Authorization", "Bearer "+other.Access); r.status != 204 {
		t.Fatalf("logout on 2: %d", r.status)
	}
	if r := p1.do(t, "GET", "/v1/verify", "", "Authorization", "Bearer "+other.Access); r.status != 401 || !strings.Contains(r.header.Get("WWW-Authenticate"), "revoked") {
		t.Fatalf("logout on 2, verify on 1: %d %v", r.status, r.header)
	}

	third := mintVia(t, p1)
	if r := p2.do(t, "POST", "/v1/revoke", "sub=alice", "Authorization", basic(clientID, clientSecret), "Content-Type", "application/x-www-form-urlencoded"); r.status != 200 {
		t.Fatalf("revoke alice on 2: %d %s", r.status, r.body)
	}
	if r := p1.do(t, "GET", "/v1/verify", "", "Authorization", "Bearer "+third.Access); r.status != 401 {
		t.Fatalf("alice logged out everywhere, verify on 1: %d", r.status)
	}
}

// Redis lost under load: refresh, logout and revoke fail closed with 503;
// /verify follows verify.revocation; nothing answers 500 or dies; /readyz
// says so; and all recovers by itself when Redis returns.
func TestE2ERedisLostAndBack(t *testing.T) {
	srv := redistest.Start(t)
	dir := t.TempDir()
	closed := start(t, t.TempDir(), redisConfig(t, dir, srv.Addr, ""), "QUICKJWT_ISSUER_ACCESS_TTL=10m")
	open := start(t, t.TempDir(), redisConfig(t, dir, srv.Addr, ""), "QUICKJWT_ISSUER_ACCESS_TTL=10m", "QUICKJWT_VERIFY_REVOCATION=fail-open")
	tc, to := mintVia(t, closed), mintVia(t, open)

	var (
		stop     atomic.Bool
		wg       sync.WaitGroup
		mu       sync.Mutex
		statuses = map[string]map[int]int{"closed": {}, "open": {}}
		failures atomic.Int64
	)
	for name, pt := range map[string]struct {
		p   *proc
		tok string
	}{"closed": {closed, tc.Access}, "open": {open, to.Access}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				r, err := httpGet(pt.p.base+"/v1/verify", pt.tok)
				if err != nil {
					failures.Add(1)
					continue
				}
				mu.Lock()
				statuses[name][r]++
				mu.Unlock()
			}
		}()
	}
	time.Sleep(200 * time.Millisecond)
	srv.Stop()
	time.Sleep(300 * time.Millisecond)

	auth := basic(clientID, clientSecret)
	if r := closed.do(t, "POST", "/v1/refresh", "", "Authorization", "Bearer "+tc.Refresh); r.status != 503 || !strings.Contains(r.body, "store is unavailable") {
		t.Errorf("refresh with Redis down: %d %s", r.status, r.body)
	}
	if r := closed.do(t, "POST", "/v1/logout", "", "Authorization", "Bearer "+tc.Access); r.status != 503 {
		t.Errorf("logout with Redis down: %d %s", r.status, r.body)
	}
	if r := closed.do(t, "POST", "/v1/revoke", "sub=alice", "Authorization", auth, "Content-Type", "application/x-www-form-urlencoded"); r.status != 503 {
		t.Errorf("revoke with Redis down: %d %s", r.status, r.body)
	}
	if r := closed.do(t, "GET", "/v1/verify", "", "Authorization", "Bearer "+tc.Access); r.status != 503 {
		t.Errorf("verify, fail-closed, Redis down: %d", r.status)
	}
	if r := open.do(t, "GET", "/v1/verify", "", "Authorization", "Bearer "+to.Access); r.status != 200 {
		t.Errorf("verify, fail-open, Redis down: %d", r.status)
	}
	if r := open.do(t, "GET", "/v1/verify", "", "Authorization", "Bearer garbage"); r.status != 401 {
		t.Errorf("fail-open still refuses a bad token: %d", r.status)
	}
	if r := closed.do(t, "GET", "/readyz", ""); r.status != 503 {
		t.Errorf("readyz with Redis down: %d %s", r.status, r.body)
	}
	if r := closed.do(t, "POST", "/v1/tokens", `{"sub":"alice"}`, "Authorization", auth, "Content-Type", "application/json"); r.status != 200 {
		t.Errorf("minting needs no store: %d", r.status)
	}

	srv.Restart()
	deadline := time.Now().Add(10 * time.Second)
	for closed.do(t, "GET", "/readyz", "").status != 200 {
		if time.Now().After(deadline) {
			t.Fatal("the service did not recover when Redis came back")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if r := closed.do(t, "POST", "/v1/refresh", "", "Authorization", "Bearer "+tc.Refresh); r.status != 200 {
		t.Errorf("refresh after Redis came back: %d %s", r.status, r.body)
	}
	if r := closed.do(t, "GET", "/v1/verify", "", "Authorization", "Bearer "+tc.Access); r.status != 200 {
		t.Errorf("verify after Redis came back: %d", r.status)
	}
	stop.Store(true)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	for name, m := range statuses {
		for status := range m {
			if status != 200 && !(name == "closed" && status == 503) {
				t.Errorf("%s instance answered %d under load (%v)", name, status, m)
			}
		}
	}
	if statuses["closed"][503] == 0 || statuses["open"][200] == 0 || failures.Load() > 0 {
		t.Errorf("load: %v, %d connection failures", statuses, failures.Load())
	}
	for _, p := range []*proc{closed, open} {
		if p.cmd.ProcessState != nil || strings.Contains(p.stderr.String(), "panic") {
			t.Errorf("a service died:\n%s", p.stderr)
		}
	}
}

// Redis unreachable at start: a clear error, or (required: false) a degraded
// start that recovers.
func TestE2ERedisAtStart(t *testing.T) {
	srv := redistest.Start(t)
	srv.Stop()
	dir := t.TempDir()
	cfgPath := dir + "/config.yaml"
	os.WriteFile(cfgPath, []byte(redisConfig(t, dir, srv.Addr, "")), 0o600)
	cmd := exec.Command(binary(t), "serve", "-config", cfgPath)
	cmd.Env = append(os.Environ(), "QUICKJWT_SERVER_ADDR="+freeAddr(t))
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "does not answer") || !strings.Contains(string(out), "required: false") {
		t.Fatalf("start without Redis: %v\n%s", err, out)
	}

	p := start(t, t.TempDir(), redisConfig(t, dir, srv.Addr, ""), "QUICKJWT_STORE_REDIS_REQUIRED=false")
	if r := p.do(t, "GET", "/readyz", ""); r.status != 503 || !strings.Contains(p.stderr.String(), "starting degraded") {
		t.Fatalf("degraded start: %d\n%s", r.status, p.stderr)
	}
	srv.Restart()
	deadline := time.Now().Add(10 * time.Second)
	for p.do(t, "GET", "/readyz", "").status != 200 {
		if time.Now().After(deadline) {
			t.Fatal("no recovery")
		}
		time.Sleep(50 * time.Millisecond)
	}
	tr := mintVia(t, p)
	if r := p.do(t, "POST", "/v1/logout", "", "Authorization", "Bearer "+tr.Access); r.status != 204 {
		t.Fatalf("logout after recovery: %d", r.status)
	}
}
