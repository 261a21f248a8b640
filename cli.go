package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"strings"

	json "github.com/goccy/go-json"
	"github.com/quickjwt/quickjwt/issuer"
)

// version is set at build time: go build -ldflags "-X main.version=v1.2.3".
var version = "dev"

func versionString() string {
	v := version
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
		v += " " + bi.GoVersion
	}
	return v
}

func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: quickjwt %s\n\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// config loads the configuration and makes the logger it asks for.
func config(path string, environ []string, stderr io.Writer) (Config, *slog.Logger, error) {
	cfg, unknownEnv, err := loadConfig(path, environ)
	if err != nil {
		return cfg, nil, err
	}
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(stderr, opts)
	if cfg.Log.Format == "json" {
		h = slog.NewJSONHandler(stderr, opts)
	}
	log := slog.New(h)
	for _, name := range unknownEnv {
		log.Warn("environment variable names no config field: ignored", "name", name)
	}
	return cfg, log, nil
}

func cmdServe(ctx context.Context, args, environ []string, stderr io.Writer, hup <-chan os.Signal) error {
	fs := newFlags("serve", "serve [-config FILE]", stderr)
	path := fs.String("config", "", "YAML file read over the embedded defaults (config.yaml)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, log, err := config(*path, environ, stderr)
	if err != nil {
		return err
	}
	s, err := newServer(cfg, log)
	if err != nil {
		return err
	}
	s.reload = func() (Config, error) {
		cfg, _, err := loadConfig(*path, environ)
		return cfg, err
	}
	ln, err := net.Listen("tcp", cfg.Server.Addr)
	if err != nil {
		s.close()
		return err
	}
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				_ = s.reloadKeys()
			}
		}
	}()
	return s.run(ctx, ln)
}

func cmdKeygen(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("keygen", "keygen [-alg ALG] [-kid KID] | -client NAME", stderr)
	alg := fs.String("alg", "ES256", "algorithm: HS256/384/512 print a secret; RS*, PS*, ES*, EdDSA print a PKCS #8 PEM private key")
	kid := fs.String("kid", "", "key id, shown in the config snippet (default: the algorithm and a random suffix)")
	client := fs.String("client", "", "make a client secret for the client with this id, and its config entry")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *client != "" {
		secret := newClientSecret()
		sum := sha256.Sum256([]byte(secret))
		fmt.Fprintf(stdout, "secret: %s\n", secret)
		fmt.Fprintf(stderr, "# give the secret to the client; put this in config.yaml under clients:\n")
		fmt.Fprintf(stdout, "config: {id: %s, secret_hash: \"sha256:%s\"}\n", *client, hex.EncodeToString(sum[:]))
		return nil
	}
	id := *kid
	if id == "" {
		id = strings.ToLower(*alg) + "-" + newClientSecret()[:6]
	}
	k, err := issuer.GenerateKey(id, issuer.Algorithm(*alg))
	if err != nil {
		return err
	}
	if strings.HasPrefix(*alg, "HS") {
		// A secret of printable characters, so that it fits an environment
		// variable; its length keeps the full strength of the hash.
		secret := newClientSecret() + newClientSecret()
		fmt.Fprintln(stdout, secret)
		fmt.Fprintf(stderr, "# export QUICKJWT_SIGNING_SECRET=<the line above>, then in config.yaml:\n# keys: {signing: {kid: %s, alg: %s, secret_env: QUICKJWT_SIGNING_SECRET}}\n", id, *alg)
		return nil
	}
	pemBytes, err := k.MarshalPEM()
	if err != nil {
		return err
	}
	_, err = stdout.Write(pemBytes)
	fmt.Fprintf(stderr, "# save it (mode 0600), then in config.yaml:\n# keys: {signing: {kid: %s, alg: %s, private_key_file: signing.pem}}\n", id, *alg)
	return err
}

func cmdToken(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	fs := newFlags("token", "token [-config FILE] [-claims JSON]", stderr)
	path := fs.String("config", "", "YAML file read over the embedded defaults")
	claims := fs.String("claims", `{"sub":"alice"}`, "the claims, a JSON object checked against claims.rules")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, log, err := config(*path, environ, stderr)
	if err != nil {
		return err
	}
	rules, err := newClaimRules(cfg.Claims)
	if err != nil {
		return err
	}
	cs, err := rules.parse([]byte(*claims))
	if err != nil {
		return err
	}
	iss, closeIss, err := newIssuer(cfg, log)
	if err != nil {
		return err
	}
	defer closeIss()
	t, err := iss.CreateTokens(ctx, cs, cs)
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(newTokenResponse(t, cfg.Issuer))
}

func cmdVerify(ctx context.Context, args, environ []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("verify", "verify [-config FILE] [-refresh] TOKEN|-", stderr)
	path := fs.String("config", "", "YAML file read over the embedded defaults")
	refresh := fs.Bool("refresh", false, "check a refresh token instead of an access token")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("verify takes one token (or - to read it from standard input)")
	}
	tok := fs.Arg(0)
	if tok == "-" {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		tok = strings.TrimSpace(line)
	}
	cfg, log, err := config(*path, environ, stderr)
	if err != nil {
		return err
	}
	iss, closeIss, err := newIssuer(cfg, log)
	if err != nil {
		return err
	}
	defer closeIss()
	var (
		payload claimSet
		cl      issuer.Claims
	)
	if *refresh {
		payload, cl, err = iss.CheckRefreshClaims(ctx, tok)
	} else {
		payload, cl, err = iss.CheckAccessClaims(ctx, tok)
	}
	if err != nil {
		return fmt.Errorf("token refused: %w", err)
	}
	out := struct {
		Registered issuer.Claims   `json:"registered"`
		Payload    json.RawMessage `json:"payload"`
	}{cl, payload.raw}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
