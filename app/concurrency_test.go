package app_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/quickjwt/quickjwt/app"
	"github.com/quickjwt/quickjwt/issuer"
)

// Many concurrent requests with different subjects, over a real socket: each
// response must carry its own subject and its own cookies. quick_jwt keeps
// the request on a shared object and fails this; run it with -race.
func TestNoSharedRequestState(t *testing.T) {
	f := newFixture(t, app.Config{}, issuer.Config{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go f.web.Listener(ln)
	base := "http://" + ln.Addr().String()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	t.Cleanup(func() {
		client.CloseIdleConnections() // the server's shutdown waits for open connections
		f.web.ShutdownWithTimeout(5 * time.Second)
	})

	const workers, each = 32, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := roundTrip(client, base, fmt.Sprintf("user-%d-%d", w, i)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func roundTrip(client *http.Client, base, sub string) error {
	resp, err := client.Get(base + "/create-tokens?sub=" + sub)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var tokens issuer.Tokens
	if err := json.Unmarshal(body, &tokens); err != nil {
		return fmt.Errorf("%s: %s", sub, body)
	}
	cookies := map[string]string{}
	for _, c := range resp.Cookies() {
		cookies[c.Name] = c.Value
	}
	if cookies["access"] != tokens.Access || cookies["refresh"] != tokens.Refresh {
		return fmt.Errorf("%s: cookies %v do not hold the tokens of the body", sub, cookies)
	}
	req, _ := http.NewRequest("GET", base+"/access-token-check", nil)
	req.AddCookie(&http.Cookie{Name: "access", Value: cookies["access"]})
	resp, err = client.Do(req)
	if err != nil {
		return err
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := `{"sub":"` + sub + `"}`; string(body) != want {
		return fmt.Errorf("%s: check answered %s, want %s", sub, body, want)
	}
	return nil
}
