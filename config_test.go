package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEmbeddedDefaults(t *testing.T) {
	cfg, warnings, err := loadConfig("", nil)
	if err != nil || len(warnings) > 0 {
		t.Fatal(err, warnings)
	}
	if cfg.Server.Addr != "127.0.0.1:8080" || cfg.Server.Prefix != "/v1" || cfg.Issuer.AccessTTL != 15*time.Minute ||
		cfg.Issuer.RefreshTTL != 14*24*time.Hour || cfg.Verify.Headers["X-Auth-Subject"] != "sub" || cfg.Claims.Rules["sub"] != "required,max=128" {
		t.Fatalf("defaults: %+v", cfg)
	}
}

// The shipped config.yaml names every field (and the file is where each is
// documented): a field added to Config without its line there fails here.
func TestConfigYAMLNamesEveryField(t *testing.T) {
	lines := strings.Split(string(defaultConfig), "\n")
	for _, env := range envNames() {
		// The field's key is the part of the variable after its section,
		// e.g. QUICKJWT_ISSUER_ACCESS_TTL -> access_ttl under issuer.
		path := strings.ToLower(strings.TrimPrefix(env, envPrefix))
		found := false
		for i, line := range lines {
			key, _, ok := strings.Cut(strings.TrimSpace(line), ":")
			if !ok || strings.HasPrefix(key, "#") || !strings.HasSuffix(path, key) {
				continue
			}
			// The key must be documented: a comment above it or above the
			// block of keys it stands in, before any blank line.
			for j := i - 1; j >= 0 && !found; j-- {
				prev := strings.TrimSpace(lines[j])
				if prev == "" {
					break
				}
				found = strings.HasPrefix(prev, "#")
			}
			if found {
				break
			}
		}
		if !found {
			t.Errorf("config.yaml has no documented line for %s", env)
		}
	}
}

func TestStrictYAML(t *testing.T) {
	p := writeFile(t, "c.yaml", "server:\n  addr: 127.0.0.1:9000\n  adr: typo\n")
	_, _, err := loadConfig(p, nil)
	if err == nil || !strings.Contains(err.Error(), "field adr not found") || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("unknown key: %v", err)
	}
	p = writeFile(t, "c.yaml", "issuer:\n  access_ttl: soon\n")
	if _, _, err := loadConfig(p, nil); err == nil || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "soon") {
		t.Fatalf("bad duration: %v", err)
	}
	p = writeFile(t, "c.yaml", "server:\n  addr: 127.0.0.1:9000\n")
	cfg, _, err := loadConfig(p, nil)
	if err != nil || cfg.Server.Addr != "127.0.0.1:9000" || cfg.Server.Prefix != "/v1" {
		t.Fatalf("file over defaults: %v %+v", err, cfg.Server)
	}
}

func TestEnvOverrides(t *testing.T) {
	env := []string{
		"QUICKJWT_ISSUER_ACCESS_TTL=5m",
		"QUICKJWT_SERVER_ADDR=0.0.0.0:9999",
		`QUICKJWT_VERIFY_HEADERS={"X-User":"sub","X-Role":"role"}`,
		"QUICKJWT_CLAIMS_RULES={sub: required, role: 'omitempty,oneof=admin user'}",
		"QUICKJWT_COOKIES_ENABLED=true",
		"QUICKJWT_SIGNING_SECRET=not-a-field",
		"PATH=/usr/bin",
	}
	cfg, warnings, err := loadConfig("", env)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Issuer.AccessTTL != 5*time.Minute || cfg.Server.Addr != "0.0.0.0:9999" || cfg.Verify.Headers["X-Role"] != "role" ||
		len(cfg.Verify.Headers) != 2 || cfg.Claims.Rules["role"] != "omitempty,oneof=admin user" || !cfg.Cookies.Enabled {
		t.Fatalf("overrides not applied: %+v", cfg)
	}
	if len(warnings) != 1 || warnings[0] != "QUICKJWT_SIGNING_SECRET" {
		t.Fatalf("warnings %v", warnings)
	}
	// A variable the config reads a secret from is no typo.
	env = append(env, "QUICKJWT_KEYS_SIGNING_SECRET_ENV=QUICKJWT_SIGNING_SECRET", "QUICKJWT_KEYS_SIGNING_KID=k1", "QUICKJWT_KEYS_SIGNING_ALG=HS256")
	if _, warnings, err = loadConfig("", env); err != nil || len(warnings) != 0 {
		t.Fatalf("secret_env named: warnings %v, %v", warnings, err)
	}
	var stderr strings.Builder
	if _, _, err := config("", []string{"QUICKJWT_ISSUER_ACESS_TTL=5m"}, &stderr); err != nil || !strings.Contains(stderr.String(), "level=WARN") ||
		!strings.Contains(stderr.String(), "QUICKJWT_ISSUER_ACESS_TTL") {
		t.Fatalf("a misspelt variable: %v, log %q", err, stderr.String())
	}
	if _, _, err := loadConfig("", []string{"QUICKJWT_ISSUER_LEEWAY=a while"}); err == nil || !strings.Contains(err.Error(), "QUICKJWT_ISSUER_LEEWAY") {
		t.Fatalf("bad value: %v", err)
	}
}

func TestValidationReportsEverythingAtOnce(t *testing.T) {
	p := writeFile(t, "c.yaml", `
server: {addr: "nowhere", prefix: v1, body_limit: 0}
log: {format: xml}
issuer: {access_ttl: 0s}
keys:
  signing: {kid: k1, alg: HS256, secret_env: A, secret_file: /b}
  verify: [{kid: k2, alg: ES256, secret_env: C}]
clients: [{id: a, secret_hash: "md5:x"}, {id: a, secret_hash: "sha256:0000000000000000000000000000000000000000000000000000000000000000"}]
claims: {rules: {exp: required, role: "oneof=", x: "nosuchrule"}}
cookies: {same_site: Sometimes}
`)
	_, _, err := loadConfig(p, nil)
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"server.addr", "server.prefix", "server.body_limit", "log.format", "issuer.access_ttl",
		"keys.signing: give exactly one", "keys.verify[0]: ES256 needs a PEM key file", "clients[0].secret_hash",
		`clients[1].id: "a" is used twice`, "claims.rules.exp", "claims.rules.x", "cookies.same_site"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not report %s:\n%v", want, err)
		}
	}
}

func TestProductionNeedsKeysAndClients(t *testing.T) {
	_, _, err := loadConfig("", []string{"QUICKJWT_SERVER_PRODUCTION=true"})
	if err == nil || !strings.Contains(err.Error(), "keys.signing must be configured") || !strings.Contains(err.Error(), "at least one client") {
		t.Fatalf("production without keys and clients: %v", err)
	}
}

// FuzzConfigYAML: any file is loaded or refused with an error; it never
// panics, and what loads is valid.
func FuzzConfigYAML(f *testing.F) {
	f.Add(string(defaultConfig))
	f.Add("server: {addr: 127.0.0.1:9000}\n")
	f.Add("issuer:\n  access_ttl: soon\n")
	f.Add("keys: {signing: {kid: k, alg: HS256, secret_env: X}}\n")
	f.Add("claims: {rules: {role: 'oneof=a b', x: nosuchrule}}\n")
	f.Add("[1, 2")
	f.Add("")
	f.Fuzz(func(t *testing.T, doc string) {
		var cfg Config
		if err := decodeYAML(defaultConfig, &cfg, "defaults"); err != nil {
			t.Fatal(err)
		}
		if decodeYAML([]byte(doc), &cfg, "fuzz") != nil {
			return
		}
		_ = cfg.validate() // must not panic, whatever the rules say
	})
}
