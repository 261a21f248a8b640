//go:build !race

package app_test

import "testing"

// The access check adds at most 2 allocations to a request beyond Fiber's own
// (issue 3); today it adds 1.
func TestAccessCheckAllocs(t *testing.T) {
	h, tok, _ := overheadApp(t)
	base := request("/baseline", "", "")
	baseline := testing.AllocsPerRun(200, func() { h(base) })
	for _, where := range []string{"header", "cookie"} {
		ctx := request("/checked", where, tok)
		n := testing.AllocsPerRun(200, func() { h(ctx) })
		if ctx.Response.StatusCode() != 200 {
			t.Fatalf("%s: status %d", where, ctx.Response.StatusCode())
		}
		if n-baseline > 2 {
			t.Errorf("%s: %.1f allocs per request, %.1f without the check: %.1f added, want at most 2", where, n, baseline, n-baseline)
		}
	}
}
