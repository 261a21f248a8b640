package main

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/quickjwt/quickjwt/internal/testtool"
)

// browser finds Chromium; without it the test is skipped, unless
// QUICKJWT_REQUIRE_BROWSER=1 (set by .ci/run) makes that a failure.
func browser(t *testing.T) string {
	return testtool.Find(t, "QUICKJWT_REQUIRE_BROWSER", "apt-get install chromium", "chromium", "chromium-browser", "google-chrome")
}

// The quickstart page's flow in real headless Chromium: the cookies are set,
// sent (with the CSRF header where needed), refreshed, and gone after logout.
func TestBrowserFlow(t *testing.T) {
	execPath := browser(t)
	web := newTestApp(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go web.Listener(ln)
	t.Cleanup(func() { web.ShutdownWithTimeout(5 * time.Second) })
	url := "http://" + ln.Addr().String() + "/"

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath),
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	defer cancelTimeout()

	seq := 0
	// click presses a button and waits for the page to show the answer.
	click := func(id string) (status, text string) {
		t.Helper()
		seq++
		err := chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS("#"+id)),
			chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#out[data-seq="%d"]`, seq))))
		if err == nil {
			var attr chromedp.AttributeResult
			if attr, err = chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#out"), "data-status")); err == nil {
				status = attr.Value
				text, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#out")))
			}
		}
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		return status, text
	}
	cookies := func() map[string]*network.Cookie {
		t.Helper()
		list, err := chromedp.Run(ctx, func(ctx context.Context, tg *chromedp.Target) ([]*network.Cookie, error) {
			res, err := cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{url}})
			return res.Cookies, err
		})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]*network.Cookie{}
		for _, c := range list {
			m[c.Name] = c
		}
		return m
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("#login")),
		chromedp.SetValue(chromedp.CSS("#sub"), "alice")); err != nil {
		t.Fatal(err)
	}
	if st, text := click("login"); st != "200" || !strings.Contains(text, `"access":"eyJ`) {
		t.Fatalf("login: %s %s", st, text)
	}
	jar := cookies()
	for _, name := range []string{"access", "refresh", "csrf_token"} {
		if jar[name] == nil {
			t.Fatalf("after login the browser has no %s cookie: %v", name, jar)
		}
	}
	if !jar["access"].HTTPOnly || !jar["refresh"].HTTPOnly || jar["csrf_token"].HTTPOnly {
		t.Errorf("HttpOnly: access %v, refresh %v, csrf_token %v", jar["access"].HTTPOnly, jar["refresh"].HTTPOnly, jar["csrf_token"].HTTPOnly)
	}
	firstAccess := jar["access"].Value

	// The cookie travels (the page sends no Authorization header) with the CSRF header.
	if st, text := click("profile"); st != "200" || !strings.Contains(text, `{"sub":"alice"}`) {
		t.Fatalf("profile: %s %s", st, text)
	}
	if st, text := click("profile-nocsrf"); st != "403" {
		t.Fatalf("profile without CSRF header: %s %s", st, text)
	}
	if st, text := click("refresh"); st != "200" || !strings.Contains(text, `"refresh":"eyJ`) {
		t.Fatalf("refresh: %s %s", st, text)
	}
	if jar = cookies(); jar["access"] == nil || jar["access"].Value == firstAccess {
		t.Fatalf("refresh did not replace the access cookie")
	}
	if st, text := click("profile"); st != "200" || !strings.Contains(text, "alice") {
		t.Fatalf("profile after refresh: %s %s", st, text)
	}
	if st, text := click("logout"); st != "200" {
		t.Fatalf("logout: %s %s", st, text)
	}
	jar = cookies()
	for _, name := range []string{"access", "refresh", "csrf_token"} {
		if jar[name] != nil {
			t.Errorf("after logout the browser still has %s=%s", name, jar[name].Value)
		}
	}
	if st, _ := click("profile"); st != "401" {
		t.Fatalf("profile after logout: %s", st)
	}
}
