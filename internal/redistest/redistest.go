// Package redistest gives tests a Redis: the one named by QUICKJWT_REDIS_ADDR,
// or a throwaway redis-server of their own. Without either, tests skip with a
// clear message, unless QUICKJWT_REQUIRE_REDIS=1 (set by CI) makes that a
// failure.
package redistest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/quickjwt/quickjwt/internal/testtool"
)

// Server is a redis-server this process started.
type Server struct {
	Addr string
	t    testing.TB
	dir  string
	cmd  *exec.Cmd
}

func unavailable(t testing.TB, why string) {
	t.Helper()
	testtool.Unavailable(t, "QUICKJWT_REQUIRE_REDIS", why, "install Debian's redis-server, or set QUICKJWT_REDIS_ADDR")
}

// Addr returns the address of a Redis for the test: QUICKJWT_REDIS_ADDR, or
// a new throwaway server stopped at the end of the test.
func Addr(t testing.TB) string {
	t.Helper()
	if addr := os.Getenv("QUICKJWT_REDIS_ADDR"); addr != "" {
		c := redis.NewClient(&redis.Options{Addr: addr})
		defer c.Close()
		if err := c.Ping(context.Background()).Err(); err != nil {
			unavailable(t, fmt.Sprintf("QUICKJWT_REDIS_ADDR=%s does not answer: %v", addr, err))
		}
		return addr
	}
	return Start(t).Addr
}

// Start runs a throwaway redis-server on a free port (no persistence), and
// stops it at the end of the test.
func Start(t testing.TB) *Server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		unavailable(t, "no redis-server binary is installed")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &Server{Addr: addr, t: t, dir: t.TempDir()}
	s.Restart()
	t.Cleanup(s.Stop)
	return s
}

// Stop kills the server (as a crash would).
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// Restart starts the server again on the same port, empty.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	_, port, _ := net.SplitHostPort(s.Addr)
	cmd := exec.Command("redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", s.dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "Ready to accept connections") {
				ready <- true
			}
		}
		ready <- false
	}()
	select {
	case ok := <-ready:
		if !ok {
			s.t.Fatal("redis-server exited before it was ready")
		}
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		s.t.Fatal("redis-server did not start")
	}
	s.cmd = cmd
}
