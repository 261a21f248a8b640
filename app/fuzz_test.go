package app_test

import (
	"strings"
	"testing"
)

// FuzzTokenLookup sends any Authorization header and access cookie through
// the access check: it never panics, never answers 5xx, and lets a request
// through only with a valid token found where the lookup rules say.
func FuzzTokenLookup(f *testing.F) {
	h, tok, iss := overheadApp(f)
	for _, s := range []struct{ auth, cookie string }{
		{"Bearer " + tok, ""}, {"bearer " + tok, ""}, {"", tok}, {"Bearer ", tok}, {"Basic abc", ""},
		{"Bearer  " + tok, ""}, {"Bearer " + tok + " x", ""}, {"Bearer", ""}, {"", ""}, {"Bearer " + tok[:20], tok},
	} {
		f.Add(s.auth, s.cookie)
	}
	f.Fuzz(func(t *testing.T, auth, cookie string) {
		ctx := request("/checked", "", "")
		if auth != "" {
			ctx.Request.Header.Set("Authorization", auth)
		}
		if cookie != "" {
			ctx.Request.Header.SetCookie("access", cookie)
		}
		h(ctx)
		status := ctx.Response.StatusCode()
		if status >= 500 {
			t.Fatalf("status %d for %q / %q", status, auth, cookie)
		}
		if status != 200 {
			return
		}
		// Accepted: the header, when there is one, must carry a valid token
		// after "bearer "; otherwise the cookie must hold one.
		got := string(ctx.Request.Header.Peek("Authorization"))
		if got != "" {
			if len(got) < 7 || !strings.EqualFold(got[:7], "bearer ") {
				t.Fatalf("accepted Authorization %q", got)
			}
			got = strings.TrimLeft(got[7:], " ")
		} else {
			got = string(ctx.Request.Header.Cookie("access"))
		}
		if _, err := iss.CheckAccess(t.Context(), got); err != nil {
			t.Fatalf("accepted %q: %v", got, err)
		}
	})
}
