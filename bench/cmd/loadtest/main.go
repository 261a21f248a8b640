// Command loadtest runs wrk against quickjwt's service and against the
// net/http + golang-jwt reference (bench/http) in one run: POST /v1/tokens and
// GET /v1/verify, at 64 and 256 connections, in alternating rounds, and
// prints the median requests/s, p50 and p99 latency, non-2xx responses, each
// server's peak RSS, and the ratios. Run it from the bench directory (make
// loadtest does); it needs wrk (Debian's package).
package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	secret       = "a load-test HMAC secret of 32+ bytes!"
	clientID     = "bench"
	clientSecret = "a-load-test-client-secret-of-43-characters"
	claimsBody   = `{"sub":"user-1234567890","scope":"read:profile write:profile"}`
)

type server struct {
	name string
	bin  string
	args []string
	env  []string
}

type sample struct {
	rps, p50, p99 float64 // requests/s, seconds
	non2xx        int
}

func main() {
	duration := flag.Duration("d", 10*time.Second, "duration of each wrk run")
	rounds := flag.Int("rounds", 3, "alternating rounds")
	conns := flag.String("c", "64,256", "connection counts")
	threads := flag.Int("t", 2, "wrk threads")
	flag.Parse()
	if _, err := exec.LookPath("wrk"); err != nil {
		fail("wrk is not installed: apt-get install wrk")
	}
	dir, err := os.MkdirTemp("", "quickjwt-loadtest")
	check(err)
	defer os.RemoveAll(dir)

	ours := filepath.Join(dir, "quickjwt")
	ref := filepath.Join(dir, "reference")
	build(ours, ".", "..") // the service, from its own module
	build(ref, "./http", ".")

	sum := sha256.Sum256([]byte(clientSecret))
	hash := hex.EncodeToString(sum[:])
	cfg := filepath.Join(dir, "config.yaml")
	check(os.WriteFile(cfg, []byte(fmt.Sprintf(`server: {production: true, data_dir: %q}
log: {level: warn}
issuer: {issuer: "https://auth.example.com", audience: api}
keys: {signing: {kid: k1, alg: HS256, secret_env: QUICKJWT_BENCH_SECRET}}
clients: [{id: %s, secret_hash: "sha256:%s"}]
claims: {rules: {sub: "required,max=128", scope: "omitempty,max=256"}}
`, dir, clientID, hash)), 0o600))
	servers := []server{
		{"quickjwt", ours, []string{"serve", "-config", cfg}, []string{"QUICKJWT_BENCH_SECRET=" + secret}},
		{"net/http+golang-jwt", ref, nil, []string{"SECRET=" + secret, "CLIENT_ID=" + clientID, "CLIENT_SECRET_SHA256=" + hash}},
	}
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(clientID+":"+clientSecret))
	lua := filepath.Join(dir, "tokens.lua")
	check(os.WriteFile(lua, []byte(fmt.Sprintf(`wrk.method = "POST"
wrk.body = %q
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = %q
`, claimsBody, auth)), 0o600))

	var connCounts []int
	for _, c := range strings.Split(*conns, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		check(err)
		connCounts = append(connCounts, n)
	}
	results := map[string][]sample{} // server|scenario|conns
	peak := map[string]int64{}       // server -> KiB
	for round := range *rounds {
		order := slices.Clone(servers)
		if round%2 == 1 {
			slices.Reverse(order)
		}
		for _, srv := range order {
			addr := freeAddr()
			cmd := exec.Command(srv.bin, srv.args...)
			cmd.Env = append(os.Environ(), append(srv.env, "ADDR="+addr, "QUICKJWT_SERVER_ADDR="+addr)...)
			cmd.Stderr = os.Stderr
			check(cmd.Start())
			base := "http://" + addr
			waitReady(base)
			token := mint(base, auth)
			for _, scenario := range []string{"tokens", "verify"} {
				for _, c := range connCounts {
					args := []string{"-t", strconv.Itoa(*threads), "-c", strconv.Itoa(c), "--latency"}
					url := base + "/v1/verify"
					if scenario == "tokens" {
						args, url = append(args, "-s", lua), base+"/v1/tokens"
					} else {
						args = append(args, "-H", "Authorization: Bearer "+token)
					}
					wrk(append(args, "-d", "1s", url)) // warm up
					s := wrk(append(args, "-d", duration.String(), url))
					key := fmt.Sprintf("%s|%s|%d", srv.name, scenario, c)
					results[key] = append(results[key], s)
					fmt.Fprintf(os.Stderr, "round %d %-20s %-7s c=%-4d %10.0f req/s  p50 %s  p99 %s  non-2xx %d\n",
						round+1, srv.name, scenario, c, s.rps, ms(s.p50), ms(s.p99), s.non2xx)
				}
			}
			if kb := rssPeak(cmd.Process.Pid); kb > peak[srv.name] {
				peak[srv.name] = kb
			}
			_ = cmd.Process.Signal(syscall.SIGTERM)
			_ = cmd.Wait()
		}
	}

	fmt.Printf("\n| endpoint | conns | server | req/s (median) | p50 | p99 | non-2xx |\n|---|---|---|---|---|---|---|\n")
	for _, scenario := range []string{"tokens", "verify"} {
		for _, c := range connCounts {
			for _, srv := range servers {
				s := median(results[fmt.Sprintf("%s|%s|%d", srv.name, scenario, c)])
				fmt.Printf("| %s | %d | %s | %.0f | %s | %s | %d |\n", endpoint(scenario), c, srv.name, s.rps, ms(s.p50), ms(s.p99), s.non2xx)
			}
		}
	}
	fmt.Printf("\n| endpoint | conns | req/s quickjwt / reference | p99 reference / quickjwt |\n|---|---|---|---|\n")
	for _, scenario := range []string{"tokens", "verify"} {
		for _, c := range connCounts {
			a := median(results[fmt.Sprintf("%s|%s|%d", servers[0].name, scenario, c)])
			b := median(results[fmt.Sprintf("%s|%s|%d", servers[1].name, scenario, c)])
			fmt.Printf("| %s | %d | %.2f | %.2f |\n", endpoint(scenario), c, a.rps/b.rps, b.p99/a.p99)
		}
	}
	fmt.Printf("\n| server | peak RSS |\n|---|---|\n")
	for _, srv := range servers {
		fmt.Printf("| %s | %.1f MiB |\n", srv.name, float64(peak[srv.name])/1024)
	}
}

func endpoint(s string) string {
	if s == "tokens" {
		return "POST /v1/tokens"
	}
	return "GET /v1/verify"
}

func median(ss []sample) sample {
	pick := func(f func(sample) float64) float64 {
		v := make([]float64, len(ss))
		for i, s := range ss {
			v[i] = f(s)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	out := sample{rps: pick(func(s sample) float64 { return s.rps }), p50: pick(func(s sample) float64 { return s.p50 }),
		p99: pick(func(s sample) float64 { return s.p99 })}
	for _, s := range ss {
		out.non2xx += s.non2xx
	}
	return out
}

func ms(sec float64) string { return fmt.Sprintf("%.2f ms", sec*1000) }

var (
	reRPS    = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	reLat    = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+)(us|ms|s)\s*$`)
	reNon2xx = regexp.MustCompile(`Non-2xx or 3xx responses:\s+(\d+)`)
	reErrors = regexp.MustCompile(`Socket errors:.*`)
)

func wrk(args []string) sample {
	out, err := exec.Command("wrk", args...).CombinedOutput()
	if err != nil {
		fail(fmt.Sprintf("wrk %v: %v\n%s", args, err, out))
	}
	var s sample
	m := reRPS.FindSubmatch(out)
	if m == nil {
		fail("no Requests/sec in wrk's output:\n" + string(out))
	}
	s.rps, _ = strconv.ParseFloat(string(m[1]), 64)
	for _, l := range reLat.FindAllSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(string(l[2]), 64)
		switch string(l[3]) {
		case "us":
			v /= 1e6
		case "ms":
			v /= 1e3
		}
		if string(l[1]) == "50" {
			s.p50 = v
		} else {
			s.p99 = v
		}
	}
	if m := reNon2xx.FindSubmatch(out); m != nil {
		s.non2xx, _ = strconv.Atoi(string(m[1]))
	}
	if e := reErrors.Find(out); e != nil {
		fmt.Fprintf(os.Stderr, "wrk: %s\n", e)
	}
	return s
}

// rssPeak is the process's peak resident set (VmHWM), in KiB.
func rssPeak(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb
		}
	}
	return 0
}

func mint(base, auth string) string {
	req, _ := http.NewRequest("POST", base+"/v1/tokens", strings.NewReader(claimsBody))
	req.Header.Set("Authorization", auth)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	check(err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var t struct{ Access string }
	if resp.StatusCode != 200 || json.Unmarshal(b, &t) != nil {
		fail(fmt.Sprintf("mint at %s: %d %s", base, resp.StatusCode, b))
	}
	return t.Access
}

func waitReady(base string) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		if c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://")); err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	fail("server at " + base + " did not start")
}

func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	defer ln.Close()
	return ln.Addr().String()
}

func build(out, pkg, dir string) {
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	check(cmd.Run())
}

func check(err error) {
	if err != nil {
		fail(err.Error())
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "loadtest:", msg)
	os.Exit(1)
}
