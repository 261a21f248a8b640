package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"testing"

	"github.com/quickjwt/quickjwt/issuer"
)

func cli(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(t.Context(), args, nil, strings.NewReader(stdin), &out, &errOut, nil)
	return out.String(), errOut.String(), err
}

func TestCLIKeygen(t *testing.T) {
	for _, alg := range []string{"ES256", "EdDSA", "PS256", "ES512"} {
		out, _, err := cli(t, "", "keygen", "-alg", alg, "-kid", "k")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := issuer.ParsePrivateKeyPEM("k", issuer.Algorithm(alg), []byte(out)); err != nil {
			t.Errorf("%s: %v\n%s", alg, err, out)
		}
	}
	out, hint, err := cli(t, "", "keygen", "-alg", "HS512")
	secret := strings.TrimSpace(out)
	if err != nil || len(secret) < 64 || !strings.Contains(hint, "secret_env") {
		t.Fatalf("HS512: %q %q %v", secret, hint, err)
	}
	if _, err := issuer.New[User, User](issuer.Config{Keys: issuer.KeySet{Signing: mustKey(t, secret)}}); err != nil {
		t.Fatalf("generated HS512 secret refused: %v", err)
	}
	out, _, err = cli(t, "", "keygen", "-client", "backend")
	var got, hash string
	fmt.Sscanf(out, "secret: %s\nconfig: {id: backend, secret_hash: %q}", &got, &hash)
	sum := sha256.Sum256([]byte(got))
	if err != nil || hash != "sha256:"+hex.EncodeToString(sum[:]) || len(got) < 43 {
		t.Fatalf("client: %q -> %q %q %v", out, got, hash, err)
	}
	if _, _, err := cli(t, "", "keygen", "-alg", "none"); err == nil {
		t.Fatal("keygen -alg none succeeded")
	}
}

type User struct{ Sub string }

func mustKey(t *testing.T, secret string) issuer.Key {
	k, err := issuer.NewHMACKey("k", issuer.HS512, []byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestCLITokenAndVerify(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, "config.yaml", e2eConfig(t, dir))
	out, _, err := cli(t, "", "token", "-config", cfg, "-claims", `{"sub":"carol","role":"user"}`)
	var tr tokenResponse
	if err != nil || json.Unmarshal([]byte(out), &tr) != nil || tr.Access == "" {
		t.Fatalf("token: %q %v", out, err)
	}
	out, _, err = cli(t, "", "verify", "-config", cfg, tr.Access)
	var v struct {
		Registered issuer.Claims
		Payload    map[string]string
	}
	if err != nil || json.Unmarshal([]byte(out), &v) != nil || v.Registered.KeyID != "k1" || v.Registered.Type != issuer.Access ||
		v.Payload["sub"] != "carol" || v.Payload["role"] != "user" {
		t.Fatalf("verify: %s %v", out, err)
	}
	if out, _, err := cli(t, tr.Refresh+"\n", "verify", "-config", cfg, "-refresh", "-"); err != nil || !strings.Contains(out, `"typ": "rt+jwt"`) {
		t.Fatalf("verify -refresh from stdin: %s %v", out, err)
	}
	if _, _, err := cli(t, "", "verify", "-config", cfg, tr.Refresh); err == nil || !strings.Contains(err.Error(), "wrong token type") {
		t.Fatalf("refresh token as access: %v", err)
	}
	if _, _, err := cli(t, "", "token", "-config", cfg, "-claims", `{"role":"root"}`); !errors.Is(err, issuer.ErrInvalidPayload) {
		t.Fatalf("bad claims: %v", err)
	}
}

func TestCLIHelpAndErrors(t *testing.T) {
	for _, cmd := range []string{"serve", "keygen", "token", "verify"} {
		_, usage, err := cli(t, "", cmd, "-h")
		if !errors.Is(err, flag.ErrHelp) || !strings.Contains(usage, "usage: quickjwt "+cmd) {
			t.Errorf("%s -h: %v %q", cmd, err, usage)
		}
	}
	if out, _, err := cli(t, "", "version"); err != nil || !strings.HasPrefix(out, "quickjwt dev") {
		t.Errorf("version: %q %v", out, err)
	}
	if out, _, err := cli(t, "", "help"); err != nil || !strings.Contains(out, "keygen") {
		t.Errorf("help: %q %v", out, err)
	}
	if _, _, err := cli(t, "", "frobnicate"); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Errorf("unknown command: %v", err)
	}
	if _, _, err := cli(t, "", "serve", "-config", "/nonexistent.yaml"); err == nil {
		t.Error("serve with a missing config file succeeded")
	}
	if _, _, err := cli(t, "", "verify"); err == nil {
		t.Error("verify without a token succeeded")
	}
}
