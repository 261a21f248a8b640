// Package testtool finds the programs some tests drive (Chromium, nginx,
// redis-server). Without one, such a test skips and says how to install it,
// unless its QUICKJWT_REQUIRE_ variable is 1 (as .ci/run sets it), which
// makes that a failure.
package testtool

import (
	"os"
	"os/exec"
	"testing"
)

// Find returns the path of the first of names that is installed (looked up
// in PATH, or taken as a path); without any, it calls Unavailable.
func Find(t testing.TB, requireEnv, install string, names ...string) string {
	t.Helper()
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	Unavailable(t, requireEnv, "no "+names[0]+" is installed", install)
	return ""
}

// Unavailable fails the test when requireEnv is 1 and skips it otherwise,
// saying why and how to install what is missing.
func Unavailable(t testing.TB, requireEnv, why, install string) {
	t.Helper()
	if os.Getenv(requireEnv) == "1" {
		t.Fatalf("%s=1, but %s (%s)", requireEnv, why, install)
	}
	t.Skipf("skipping: %s (%s)", why, install)
}
