package main

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"
	"go.yaml.in/yaml/v3"
)

// defaultConfig is config.yaml: the documented defaults, compiled in.
//
//go:embed config.yaml
var defaultConfig []byte

// Config is the service configuration; config.yaml documents every field.
type Config struct {
	Server    ServerConfig    `yaml:"server"`
	Log       LogConfig       `yaml:"log"`
	Issuer    IssuerConfig    `yaml:"issuer"`
	Keys      KeysConfig      `yaml:"keys"`
	Clients   []ClientConfig  `yaml:"clients" validate:"dive"`
	Claims    ClaimsConfig    `yaml:"claims"`
	Cookies   CookiesConfig   `yaml:"cookies"`
	Verify    VerifyConfig    `yaml:"verify"`
	RateLimit RateLimitConfig `yaml:"rate_limit"`
	Store     StoreConfig     `yaml:"store"`
}

type ServerConfig struct {
	Addr            string        `yaml:"addr" validate:"required,hostname_port"`
	Prefix          string        `yaml:"prefix" validate:"required,startswith=/,excludes= "`
	Production      bool          `yaml:"production"`
	DataDir         string        `yaml:"data_dir"`
	ReadTimeout     time.Duration `yaml:"read_timeout" validate:"gt=0"`
	WriteTimeout    time.Duration `yaml:"write_timeout" validate:"gt=0"`
	IdleTimeout     time.Duration `yaml:"idle_timeout" validate:"gt=0"`
	DrainDelay      time.Duration `yaml:"drain_delay" validate:"gte=0"`
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout" validate:"gt=0"`
	BodyLimit       int           `yaml:"body_limit" validate:"gt=0"`
	HeaderLimit     int           `yaml:"header_limit" validate:"gte=1024"`
}

type LogConfig struct {
	Format   string `yaml:"format" validate:"oneof=text json"`
	Level    string `yaml:"level" validate:"oneof=debug info warn error"`
	Requests bool   `yaml:"requests"`
}

type IssuerConfig struct {
	Issuer        string        `yaml:"issuer"`
	Audience      string        `yaml:"audience"`
	AccessTTL     time.Duration `yaml:"access_ttl" validate:"gt=0"`
	RefreshTTL    time.Duration `yaml:"refresh_ttl" validate:"gt=0"`
	Leeway        time.Duration `yaml:"leeway" validate:"gte=0"`
	MaxTokenSize  int           `yaml:"max_token_size" validate:"gte=512"`
	AllowWeakKeys bool          `yaml:"allow_weak_keys"`
}

type KeysConfig struct {
	Signing SigningKeyConfig `yaml:"signing"`
	Verify  []KeyConfig      `yaml:"verify" validate:"dive"`
}

// SigningKeyConfig is a KeyConfig that must hold a private part.
type SigningKeyConfig struct {
	Kid            string `yaml:"kid" validate:"required_with=Alg SecretEnv SecretFile PrivateKeyFile,max=128"`
	Alg            string `yaml:"alg" validate:"required_with=Kid,omitempty,oneof=HS256 HS384 HS512 RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA"`
	SecretEnv      string `yaml:"secret_env"`
	SecretFile     string `yaml:"secret_file"`
	PrivateKeyFile string `yaml:"private_key_file"`
}

func (k SigningKeyConfig) key() KeyConfig {
	return KeyConfig{Kid: k.Kid, Alg: k.Alg, SecretEnv: k.SecretEnv, SecretFile: k.SecretFile, PrivateKeyFile: k.PrivateKeyFile}
}

func (k SigningKeyConfig) isZero() bool { return k == SigningKeyConfig{} }

// KeyConfig names a key and where its material comes from.
type KeyConfig struct {
	Kid            string `yaml:"kid" validate:"required_with=Alg SecretEnv SecretFile PrivateKeyFile PublicKeyFile,max=128"`
	Alg            string `yaml:"alg" validate:"required_with=Kid,omitempty,oneof=HS256 HS384 HS512 RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA"`
	SecretEnv      string `yaml:"secret_env"`
	SecretFile     string `yaml:"secret_file"`
	PrivateKeyFile string `yaml:"private_key_file"`
	PublicKeyFile  string `yaml:"public_key_file"`
}

func (k KeyConfig) isZero() bool { return k == KeyConfig{} }

type ClientConfig struct {
	ID         string `yaml:"id" validate:"required,printascii,excludes=:"`
	SecretHash string `yaml:"secret_hash" validate:"required,startswith=sha256:,len=71"`
}

type ClaimsConfig struct {
	Rules        map[string]string `yaml:"rules"`
	AllowUnknown bool              `yaml:"allow_unknown"`
}

type CookiesConfig struct {
	Enabled     bool   `yaml:"enabled"`
	Insecure    bool   `yaml:"insecure"`
	Domain      string `yaml:"domain"`
	SameSite    string `yaml:"same_site" validate:"oneof=Lax Strict None"`
	AccessPath  string `yaml:"access_path" validate:"startswith=/"`
	RefreshPath string `yaml:"refresh_path" validate:"startswith=/"`
}

type VerifyConfig struct {
	Headers    map[string]string `yaml:"headers" validate:"dive,keys,required,printascii,excludes= ,endkeys,required"`
	Revocation string            `yaml:"revocation" validate:"oneof=fail-closed fail-open"`
}

type StoreConfig struct {
	Type       string        `yaml:"type" validate:"oneof=memory redis"`
	MaxEntries int           `yaml:"max_entries" validate:"gt=0"`
	ReuseGrace time.Duration `yaml:"reuse_grace" validate:"gte=0,lte=1m"`
	Redis      RedisConfig   `yaml:"redis"`
}

type RedisConfig struct {
	Addr        string        `yaml:"addr" validate:"required,hostname_port"`
	PasswordEnv string        `yaml:"password_env"`
	DB          int           `yaml:"db" validate:"gte=0"`
	TLS         bool          `yaml:"tls"`
	KeyPrefix   string        `yaml:"key_prefix"`
	Required    bool          `yaml:"required"`
	DialTimeout time.Duration `yaml:"dial_timeout" validate:"gt=0"`
	Timeout     time.Duration `yaml:"timeout" validate:"gt=0"`
}

type RateLimitConfig struct {
	Tokens  LimitConfig `yaml:"tokens"`
	Refresh LimitConfig `yaml:"refresh"`
}

type LimitConfig struct {
	Max    int           `yaml:"max" validate:"gte=0"`
	Window time.Duration `yaml:"window" validate:"gt=0"`
}

// envPrefix starts the name of every environment override.
const envPrefix = "QUICKJWT_"

// loadConfig reads the embedded defaults, then the file at path (if any),
// then the environment overrides, and validates the result. Every problem of
// a stage is reported at once. warnings name QUICKJWT_ variables that match
// no field and are no secret's variable: a typo, most likely.
func loadConfig(path string, environ []string) (cfg Config, warnings []string, err error) {
	if err := decodeYAML(defaultConfig, &cfg, "embedded config.yaml"); err != nil {
		return cfg, nil, err
	}
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return cfg, nil, fmt.Errorf("config: %w", err)
		}
		if err := decodeYAML(b, &cfg, path); err != nil {
			return cfg, nil, err
		}
	}
	if warnings, err = applyEnv(&cfg, environ); err != nil {
		return cfg, warnings, err
	}
	warnings = slices.DeleteFunc(warnings, func(name string) bool { return slices.Contains(cfg.secretEnvs(), name) })
	return cfg, warnings, cfg.validate()
}

// secretEnvs are the variables the configuration reads secrets from.
func (c Config) secretEnvs() []string {
	names := []string{c.Keys.Signing.SecretEnv, c.Store.Redis.PasswordEnv}
	for _, k := range c.Keys.Verify {
		names = append(names, k.SecretEnv)
	}
	return names
}

// decodeYAML decodes strictly on top of what v holds: an unknown key is an
// error naming it and its line, and every error of the document is listed.
func decodeYAML(b []byte, v any, name string) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		msg = strings.ReplaceAll(strings.TrimPrefix(msg, "unmarshal errors:\n"), "\n ", ";")
		return fmt.Errorf("config %s: %s", name, strings.TrimSpace(msg))
	}
	return nil
}

// applyEnv overrides fields from QUICKJWT_* variables, and returns a warning
// for each such variable that names no field.
func applyEnv(cfg *Config, environ []string) (warnings []string, err error) {
	fields := map[string]reflect.Value{}
	collectFields(reflect.ValueOf(cfg).Elem(), envPrefix, fields)
	var errs []error
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, envPrefix) {
			continue
		}
		f, ok := fields[name]
		if !ok {
			warnings = append(warnings, name)
			continue
		}
		v := reflect.New(f.Type()) // a list or map is replaced, not merged
		if err := decodeYAML([]byte(value), v.Interface(), name); err != nil {
			errs = append(errs, err)
			continue
		}
		f.Set(v.Elem())
	}
	return warnings, errors.Join(errs...)
}

// collectFields maps QUICKJWT_<PATH> to each field: structs are walked,
// everything else (scalars, lists, maps) is one field.
func collectFields(v reflect.Value, prefix string, out map[string]reflect.Value) {
	t := v.Type()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		env := prefix + strings.ToUpper(name)
		f := v.Field(i)
		if f.Kind() == reflect.Struct {
			collectFields(f, env+"_", out)
			continue
		}
		out[env] = f
	}
}

// envNames lists every override variable, for the docs and tests.
func envNames() []string {
	var cfg Config
	m := map[string]reflect.Value{}
	collectFields(reflect.ValueOf(&cfg).Elem(), envPrefix, m)
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// validate checks every field with its validate tags, then what tags cannot
// say, and reports every problem at once with the field's path.
func (c Config) validate() error {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		return name
	})
	var errs []error
	if err := v.Struct(c); err != nil {
		var verrs validator.ValidationErrors
		if !errors.As(err, &verrs) {
			return fmt.Errorf("config: %w", err)
		}
		for _, fe := range verrs {
			path := fe.Namespace()
			if _, rest, ok := strings.Cut(path, "."); ok {
				path = rest
			}
			rule := fe.Tag()
			if fe.Param() != "" {
				rule += "=" + fe.Param()
			}
			errs = append(errs, fmt.Errorf("config: %s: %q fails %s", path, fmt.Sprint(fe.Value()), rule))
		}
	}
	checkKey := func(path string, k KeyConfig) {
		if k.isZero() {
			return
		}
		n := 0
		for _, s := range []string{k.SecretEnv, k.SecretFile, k.PrivateKeyFile, k.PublicKeyFile} {
			if s != "" {
				n++
			}
		}
		hmac := strings.HasPrefix(k.Alg, "HS")
		switch {
		case n != 1:
			errs = append(errs, fmt.Errorf("config: %s: give exactly one of secret_env, secret_file, private_key_file, public_key_file", path))
		case hmac && k.SecretEnv == "" && k.SecretFile == "":
			errs = append(errs, fmt.Errorf("config: %s: %s needs secret_env or secret_file", path, k.Alg))
		case !hmac && (k.SecretEnv != "" || k.SecretFile != ""):
			errs = append(errs, fmt.Errorf("config: %s: %s needs a PEM key file, not a secret", path, k.Alg))
		}
	}
	checkKey("keys.signing", c.Keys.Signing.key())
	for i, k := range c.Keys.Verify {
		if k.isZero() {
			errs = append(errs, fmt.Errorf("config: keys.verify[%d]: empty key", i))
		}
		checkKey(fmt.Sprintf("keys.verify[%d]", i), k)
	}
	if c.Server.Production {
		if c.Keys.Signing.isZero() {
			errs = append(errs, errors.New("config: server.production: keys.signing must be configured (no development key in production)"))
		}
		if len(c.Clients) == 0 {
			errs = append(errs, errors.New("config: server.production: at least one client must be configured"))
		}
	}
	seen := map[string]bool{}
	for i, cl := range c.Clients {
		if seen[cl.ID] {
			errs = append(errs, fmt.Errorf("config: clients[%d].id: %q is used twice", i, cl.ID))
		}
		seen[cl.ID] = true
	}
	if _, err := newClaimRules(c.Claims); err != nil {
		errs = append(errs, err)
	}
	if c.Cookies.SameSite == "None" && c.Cookies.Insecure {
		errs = append(errs, errors.New("config: cookies.same_site: None needs Secure cookies (cookies.insecure: false)"))
	}
	return errors.Join(errs...)
}
