package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	json "github.com/goccy/go-json"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/quickjwt/quickjwt/app"
	"github.com/quickjwt/quickjwt/issuer"
)

// server is the auth edge: one issuer, its Fiber layer, and the HTTP API.
type server struct {
	cfg     Config
	log     *slog.Logger
	iss     *issuer.Issuer[claimSet, claimSet]
	jwt     *app.JWT[claimSet, claimSet] // fails closed when the store does
	verify  *app.JWT[claimSet, claimSet] // /verify: verify.revocation decides
	close   func()                       // closes the issuer and its store
	rules   *claimRules
	clients map[string][sha256.Size]byte
	headers []headerClaim
	metrics *metrics
	web     *fiber.App

	expiresIn string        // `<access s>,"refresh_expires_in":<refresh s>}`, the end of every token response
	reqPrefix string        // random per process, so request ids differ between instances
	reqSeq    atomic.Uint64 // request id counter
	draining  atomic.Bool   // shutting down: /readyz says so

	// reload reads the configuration again for a key reload (SIGHUP);
	// nil keeps using cfg.
	reload func() (Config, error)
}

type headerClaim struct{ header, claim string }

// newServer loads the keys and wires every route. It does not listen.
func newServer(cfg Config, log *slog.Logger) (*server, error) {
	s := &server{cfg: cfg, log: log, clients: map[string][sha256.Size]byte{}, metrics: newMetrics()}
	var err error
	if s.rules, err = newClaimRules(cfg.Claims); err != nil {
		return nil, err
	}
	if err := s.loadClients(); err != nil {
		return nil, err
	}
	if s.iss, s.close, err = newIssuer(cfg, log); err != nil {
		return nil, err
	}
	problems := app.ErrorHandler(log)
	lookup := []app.Source{app.Header}
	if cfg.Cookies.Enabled {
		lookup = append(lookup, app.Cookie)
	}
	cookie := func(path string) app.CookieConfig {
		return app.CookieConfig{Path: path, Domain: cfg.Cookies.Domain, Insecure: cfg.Cookies.Insecure, SameSite: cfg.Cookies.SameSite}
	}
	jcfg := app.Config{
		Lookup:         lookup,
		Access:         cookie(cfg.Cookies.AccessPath),
		Refresh:        cookie(cfg.Cookies.RefreshPath),
		DisableCookies: !cfg.Cookies.Enabled,
		Logger:         log,
		ErrorHandler: func(c *fiber.Ctx, err error) error {
			s.metrics.rejected.WithLabelValues(rejectReason(err)).Inc()
			return problems(c, err)
		},
	}
	if s.jwt, err = app.New(s.iss, jcfg); err == nil {
		if cfg.Verify.Revocation == "fail-open" {
			jcfg.OnStoreError = func(*fiber.Ctx, error) bool {
				s.metrics.unchecked.Inc()
				return true
			}
		}
		s.verify, err = app.New(s.iss, jcfg)
	}
	if err != nil {
		s.close()
		return nil, err
	}
	for h, claim := range cfg.Verify.Headers {
		s.headers = append(s.headers, headerClaim{h, claim})
	}
	s.expiresIn = fmt.Sprintf(`%d,"refresh_expires_in":%d}`, int64(cfg.Issuer.AccessTTL/time.Second), int64(cfg.Issuer.RefreshTTL/time.Second))
	var p [6]byte
	_, _ = rand.Read(p[:])
	s.reqPrefix = base64.RawURLEncoding.EncodeToString(p[:])
	s.routes(problems)
	return s, nil
}

// newIssuer makes the issuer of the configuration, with its keys and store,
// and the function that closes both.
func newIssuer(cfg Config, log *slog.Logger) (*issuer.Issuer[claimSet, claimSet], func(), error) {
	keys, err := loadKeys(cfg, log)
	if err != nil {
		return nil, nil, err
	}
	store, closeStore, err := newStore(cfg.Store, log)
	if err != nil {
		return nil, nil, err
	}
	iss, err := issuer.New[claimSet, claimSet](issuer.Config{
		Keys:          keys,
		Issuer:        cfg.Issuer.Issuer,
		Audience:      cfg.Issuer.Audience,
		AccessTTL:     cfg.Issuer.AccessTTL,
		RefreshTTL:    cfg.Issuer.RefreshTTL,
		Leeway:        cfg.Issuer.Leeway,
		MaxTokenSize:  cfg.Issuer.MaxTokenSize,
		AllowWeakKeys: cfg.Issuer.AllowWeakKeys,
		Store:         store,
		ReuseGrace:    cfg.Store.ReuseGrace,
		Logger:        log,
	})
	if err != nil {
		closeStore()
		return nil, nil, err
	}
	return iss, func() { iss.Close(); closeStore() }, nil
}

func (s *server) routes(problems fiber.ErrorHandler) {
	cfg := s.cfg.Server
	s.web = fiber.New(fiber.Config{
		AppName:               "quickjwt",
		JSONEncoder:           json.Marshal,
		JSONDecoder:           json.Unmarshal,
		DisableStartupMessage: true,
		ErrorHandler:          problems,
		ReadTimeout:           cfg.ReadTimeout,
		WriteTimeout:          cfg.WriteTimeout,
		IdleTimeout:           cfg.IdleTimeout,
		BodyLimit:             cfg.BodyLimit,
		ReadBufferSize:        cfg.HeaderLimit,
	})
	s.web.Use(s.observe, recover.New()) // a panic is a 500 and a log line, never a dead process
	v := s.web.Group(cfg.Prefix)
	v.Post("/tokens", s.limit(s.cfg.RateLimit.Tokens), s.handleTokens)
	v.Post("/refresh", s.limit(s.cfg.RateLimit.Refresh), s.handleRefresh)
	v.All("/verify", s.verify.Access(s.handleVerify))
	v.Post("/logout", s.handleLogout)
	v.Post("/revoke", s.handleRevoke)
	s.web.Get("/.well-known/jwks.json", s.handleJWKS)
	s.web.Get("/healthz", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	s.web.Get("/readyz", s.handleReady)
	s.web.Get("/metrics", s.metrics.handler())
}

// observe gives each request an id, measures it, and logs it when asked to.
func (s *server) observe(c *fiber.Ctx) error {
	start := time.Now()
	if id := c.Request().Header.Peek(fiber.HeaderXRequestID); validRequestID(id) {
		c.Response().Header.SetBytesV(fiber.HeaderXRequestID, id)
	} else {
		var buf [32]byte
		b := append(buf[:0], s.reqPrefix...)
		b = append(b, '-')
		b = strconv.AppendUint(b, s.reqSeq.Add(1), 10)
		c.Response().Header.SetBytesV(fiber.HeaderXRequestID, b)
	}
	err := c.Next()
	if err != nil {
		if herr := c.App().ErrorHandler(c, err); herr != nil {
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
	}
	status := c.Response().StatusCode()
	elapsed := time.Since(start)
	s.metrics.observe(c.Route().Path, c.Method(), status, elapsed)
	if s.cfg.Log.Requests {
		s.log.LogAttrs(c.UserContext(), slog.LevelInfo, "request",
			slog.String("request_id", c.GetRespHeader(fiber.HeaderXRequestID)), slog.String("method", c.Method()),
			slog.String("path", c.Path()), slog.Int("status", status), slog.Duration("duration", elapsed))
	}
	return nil
}

func validRequestID(id []byte) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for _, b := range id {
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-' || b == '_' || b == '.') {
			return false
		}
	}
	return true
}

// limit returns the rate limit of one endpoint, or a pass-through when off.
func (s *server) limit(l LimitConfig) fiber.Handler {
	if l.Max == 0 {
		return func(c *fiber.Ctx) error { return c.Next() }
	}
	return limiter.New(limiter.Config{
		Max:        l.Max,
		Expiration: l.Window,
		LimitReached: func(c *fiber.Ctx) error {
			return fiber.NewError(fiber.StatusTooManyRequests, "rate limit exceeded; retry later")
		},
	})
}

// tokenResponse is what POST /tokens and POST /refresh answer.
type tokenResponse struct {
	Access           string `json:"access"`
	Refresh          string `json:"refresh"`
	TokenType        string `json:"token_type"`
	ExpiresIn        int64  `json:"expires_in"`
	RefreshExpiresIn int64  `json:"refresh_expires_in"`
}

func newTokenResponse(t issuer.Tokens, cfg IssuerConfig) tokenResponse {
	return tokenResponse{
		Access: t.Access, Refresh: t.Refresh, TokenType: "Bearer",
		ExpiresIn:        int64(cfg.AccessTTL / time.Second),
		RefreshExpiresIn: int64(cfg.RefreshTTL / time.Second),
	}
}

// respondTokens writes the tokenResponse JSON by hand, into the response's
// own buffer: tokens are base64url and dots, which need no escaping, and
// reflection would cost more than the rest of the answer.
func (s *server) respondTokens(c *fiber.Ctx, t issuer.Tokens) error {
	c.Set(fiber.HeaderCacheControl, "no-store") // RFC 6749 section 5.1
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	r := c.Response()
	r.ResetBody()
	r.AppendBodyString(`{"access":"`)
	r.AppendBodyString(t.Access)
	r.AppendBodyString(`","refresh":"`)
	r.AppendBodyString(t.Refresh)
	r.AppendBodyString(`","token_type":"Bearer","expires_in":`)
	r.AppendBodyString(s.expiresIn)
	return nil
}

var errJSONBody = fiber.NewError(fiber.StatusUnsupportedMediaType, "the body must be JSON (Content-Type: application/json)")

func isJSON(c *fiber.Ctx) bool {
	ct := strings.ToLower(strings.TrimSpace(c.Get(fiber.HeaderContentType)))
	return ct == fiber.MIMEApplicationJSON || strings.HasPrefix(ct, fiber.MIMEApplicationJSON+";")
}

// POST /tokens: an authenticated client mints a pair for the claims of the body.
func (s *server) handleTokens(c *fiber.Ctx) error {
	if err := s.authenticate(c); err != nil {
		return err
	}
	if !isJSON(c) {
		return errJSONBody
	}
	claims, err := s.rules.parse(c.Body())
	if err != nil {
		return err
	}
	t, err := s.jwt.CreateTokens(c, claims, claims)
	if err != nil {
		return err
	}
	s.metrics.issued.Inc()
	return s.respondTokens(c, t)
}

// POST /refresh: the refresh token from the Bearer header, the refresh cookie
// or a JSON body {"refresh": "…"} gives a new pair with the same claims.
func (s *server) handleRefresh(c *fiber.Ctx) error {
	same := func(old claimSet) (claimSet, claimSet, error) { return old, old, nil }
	t, err := s.jwt.Refresh(c, same)
	if errors.Is(err, app.ErrNoToken) && len(c.Body()) > 0 {
		if !isJSON(c) {
			return errJSONBody
		}
		var body struct {
			Refresh string `json:"refresh"`
		}
		if json.Unmarshal(c.Body(), &body) != nil || body.Refresh == "" {
			return fiber.NewError(fiber.StatusBadRequest, `the body must be {"refresh": "…"}`)
		}
		t, err = s.jwt.RefreshWith(c, body.Refresh, same)
	}
	if err != nil {
		s.metrics.rejected.WithLabelValues(rejectReason(err)).Inc()
		return err
	}
	s.metrics.refreshed.Inc()
	return s.respondTokens(c, t)
}

// /verify: forward authentication. 200 with the mapped claims as headers, or
// a 401 challenge.
func (s *server) handleVerify(c *fiber.Ctx, claims claimSet) error {
	h := &c.Response().Header
	for _, hc := range s.headers {
		if v, ok := claims.headerValue(hc.claim); ok {
			h.SetBytesV(hc.header, v)
		}
	}
	s.metrics.verified.Inc()
	c.Status(fiber.StatusOK) // no body: a proxy only reads the status and headers
	return nil
}

// POST /logout: revokes the presented tokens and clears the cookies.
func (s *server) handleLogout(c *fiber.Ctx) error {
	if err := s.jwt.Logout(c); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// POST /revoke (RFC 7009 style, for clients): token=… revokes the session a
// token belongs to; sub=… logs a subject out everywhere. The body is a form
// (as RFC 7009 has it) or JSON. An invalid token is not an error: 200.
func (s *server) handleRevoke(c *fiber.Ctx) error {
	if err := s.authenticate(c); err != nil {
		return err
	}
	var req struct {
		Token string `json:"token" form:"token"`
		Sub   string `json:"sub" form:"sub"`
	}
	switch {
	case isJSON(c):
		if json.Unmarshal(c.Body(), &req) != nil {
			return fiber.NewError(fiber.StatusBadRequest, `the body must be {"token": "…"} or {"sub": "…"}`)
		}
	case strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEApplicationForm):
		req.Token, req.Sub = c.FormValue("token"), c.FormValue("sub")
	default:
		return fiber.NewError(fiber.StatusUnsupportedMediaType, "the body must be a form (token=… or sub=…) or JSON")
	}
	var err error
	switch {
	case req.Token != "" && req.Sub == "":
		err = s.iss.Revoke(c.UserContext(), req.Token)
		if errors.Is(err, issuer.ErrInvalidToken) {
			err = nil // RFC 7009 section 2.2: nothing to revoke is not an error
		}
	case req.Sub != "" && req.Token == "":
		err = s.iss.RevokeSubject(c.UserContext(), req.Sub)
	default:
		return fiber.NewError(fiber.StatusBadRequest, "give exactly one of token and sub")
	}
	if err != nil {
		return err
	}
	s.metrics.revoked.Inc()
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.SendStatus(fiber.StatusOK)
}

func (s *server) handleJWKS(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	c.Set(fiber.HeaderContentType, "application/jwk-set+json")
	return c.SendString(s.iss.JWKS())
}

// GET /readyz: keys loaded and store reachable, and not shutting down.
func (s *server) handleReady(c *fiber.Ctx) error {
	if s.draining.Load() {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "shutting down"})
	}
	if s.iss.Keys().Signing.IsZero() {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "no signing key"})
	}
	if err := s.iss.Store().Ping(c.UserContext()); err != nil {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "store unavailable"})
	}
	return c.JSON(fiber.Map{"status": "ready"})
}

var errClientAuth = fiber.NewError(fiber.StatusUnauthorized, "client authentication failed")

// authenticate checks HTTP Basic credentials against the configured clients,
// in constant time whatever the id.
func (s *server) authenticate(c *fiber.Ctx) error {
	c.Set(fiber.HeaderWWWAuthenticate, `Basic realm="quickjwt"`)
	h := c.Get(fiber.HeaderAuthorization)
	if len(h) < 6 || !strings.EqualFold(h[:6], "basic ") {
		return errClientAuth
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(h[6:]))
	if err != nil {
		return errClientAuth
	}
	id, secret, ok := strings.Cut(string(raw), ":")
	want, known := s.clients[id]
	got := sha256.Sum256([]byte(secret))
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 || !known || !ok {
		return errClientAuth
	}
	c.Response().Header.Del(fiber.HeaderWWWAuthenticate)
	return nil
}

// loadClients reads the configured clients or, in development, makes one.
func (s *server) loadClients() error {
	for _, cl := range s.cfg.Clients {
		sum, err := hex.DecodeString(strings.TrimPrefix(cl.SecretHash, "sha256:"))
		if err != nil || len(sum) != sha256.Size {
			return fmt.Errorf("config: clients: %s: secret_hash is not sha256:<64 hex digits>", cl.ID)
		}
		s.clients[cl.ID] = [sha256.Size]byte(sum)
	}
	if len(s.clients) > 0 {
		return nil
	}
	secret, err := devState(s.cfg.Server.DataDir, "dev-client-secret", func() ([]byte, error) {
		return []byte(newClientSecret()), nil
	})
	if err != nil {
		return err
	}
	s.clients["dev"] = sha256.Sum256(secret)
	s.log.Warn("no clients configured: using the development client \"dev\" kept in "+filepath.Join(s.cfg.Server.DataDir, "dev-client-secret"),
		"first_token", fmt.Sprintf(`curl -u dev:%s -H 'Content-Type: application/json' -d '{"sub":"alice"}' http://%s%s/tokens`,
			secret, s.cfg.Server.Addr, s.cfg.Server.Prefix))
	return nil
}

func newClientSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// devState returns the content of a development file in dir, making it with
// gen (mode 0600) on first use.
func devState(dir, name string, gen func() ([]byte, error)) ([]byte, error) {
	path := filepath.Join(dir, name)
	if b, err := os.ReadFile(path); err == nil {
		return b, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	b, err := gen()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("development state: %w", err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, fmt.Errorf("development state: %w", err)
	}
	return b, nil
}

// reloadKeys reads the configuration and the keys again (SIGHUP) and swaps
// the keys in atomically; requests in flight and new ones never wait. Only
// the keys section takes effect; other changes need a restart. On error the
// current keys stay.
func (s *server) reloadKeys() error {
	cfg := s.cfg
	var err error
	if s.reload != nil {
		cfg, err = s.reload()
	}
	var keys issuer.KeySet
	if err == nil {
		keys, err = loadKeys(cfg, s.log)
	}
	if err == nil {
		err = s.iss.SetKeys(keys)
	}
	if err != nil {
		s.log.Error("key reload failed; keeping the current keys", "err", err)
		return err
	}
	s.log.Info("keys reloaded", "kid", keys.Signing.ID(), "verify_only", len(keys.Verify))
	return nil
}

// run serves on ln until ctx ends, then shuts down gracefully: /readyz turns
// 503 while the service keeps serving for drain_delay (so that a load
// balancer stops sending), then the listener closes, requests in flight
// finish (up to shutdown_timeout), and the issuer's store closes.
func (s *server) run(ctx context.Context, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- s.web.Listener(ln) }()
	s.log.Info("quickjwt listening", "addr", ln.Addr().String(), "prefix", s.cfg.Server.Prefix,
		"kid", s.iss.Keys().Signing.ID(), "alg", string(s.iss.Keys().Signing.Algorithm()))
	select {
	case err := <-errc:
		s.close()
		return err
	case <-ctx.Done():
	}
	s.draining.Store(true)
	s.log.Info("shutting down", "drain", s.cfg.Server.DrainDelay, "timeout", s.cfg.Server.ShutdownTimeout)
	time.Sleep(s.cfg.Server.DrainDelay)
	err := s.web.ShutdownWithTimeout(s.cfg.Server.ShutdownTimeout)
	<-errc
	s.close()
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	s.log.Info("stopped")
	return nil
}

// rejectReason is the metrics label of a refused token.
func rejectReason(err error) string {
	for _, r := range []struct {
		err    error
		reason string
	}{
		{app.ErrNoToken, "missing"}, {app.ErrBadAuthorization, "bad_header"}, {app.ErrCSRF, "csrf"},
		{issuer.ErrExpired, "expired"}, {issuer.ErrNotYetValid, "not_yet_valid"}, {issuer.ErrSignature, "signature"},
		{issuer.ErrRevoked, "revoked"}, {issuer.ErrReused, "reused"}, {issuer.ErrTokenType, "type"}, {issuer.ErrUnknownKey, "unknown_key"},
		{issuer.ErrAlgNone, "alg"}, {issuer.ErrAlgMismatch, "alg"}, {issuer.ErrIssuer, "issuer"}, {issuer.ErrAudience, "audience"},
		{issuer.ErrTooLarge, "malformed"}, {issuer.ErrMalformed, "malformed"}, {issuer.ErrUnsupportedHeader, "malformed"},
		{issuer.ErrMissingClaim, "malformed"}, {issuer.ErrInvalidPayload, "payload"}, {issuer.ErrStore, "store"},
	} {
		if errors.Is(err, r.err) {
			return r.reason
		}
	}
	return "other"
}
