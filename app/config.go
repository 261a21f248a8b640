package app

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Source is a place a token is looked up in.
type Source string

// Token sources.
const (
	// Header is the Authorization header with the Bearer scheme (RFC 6750).
	Header Source = "header"
	// Cookie is the cookie of the token's type (CookieConfig.Name).
	Cookie Source = "cookie"
)

// CookieConfig sets the cookie one token type is stored in. The defaults are
// the secure ones: HttpOnly (no script can read the token), Secure (HTTPS
// only) and SameSite=Lax (not sent on cross-site subrequests or POSTs, so a
// forged cross-site form carries no token).
type CookieConfig struct {
	// Name of the cookie. Optional. Default: "access" for access tokens,
	// "refresh" for refresh tokens (quick_jwt's names).
	Name string
	// MaxAge of the cookie. Optional. Default: the token's lifetime, so the
	// browser drops the cookie when the token expires.
	MaxAge time.Duration
	// Path of the cookie. Optional. Default: "/". Scoping the refresh cookie
	// to the refresh and logout routes (for example "/auth") keeps it out of
	// every other request.
	Path string
	// Domain of the cookie. Optional. Default: "" (the request's host only).
	Domain string
	// Insecure drops the Secure attribute, so the cookie travels over plain
	// HTTP. Only for local development. Optional. Default: false.
	Insecure bool
	// ScriptReadable drops HttpOnly, so page scripts can read the token.
	// Optional. Default: false.
	ScriptReadable bool
	// SameSite is "Lax", "Strict" or "None" ("None" needs Secure).
	// Optional. Default: "Lax".
	SameSite string
}

// CSRFConfig sets the double-submit CSRF protection: when tokens are set as
// cookies, a readable CSRF cookie is set with them, and a request on an
// unsafe method (POST, PUT, PATCH, DELETE) that is authenticated by cookie
// must echo its value in a header; so must a refresh or logout by cookie on
// any method, since both change state. Bearer-authenticated requests need no
// CSRF token: a browser never adds an Authorization header by itself.
type CSRFConfig struct {
	// Disabled turns the check off. Optional. Default: false.
	Disabled bool
	// CookieName is the readable cookie holding the CSRF token.
	// Optional. Default: "csrf_token".
	CookieName string
	// HeaderName is the request header that must repeat it.
	// Optional. Default: "X-CSRF-Token".
	HeaderName string
}

// Config configures a JWT. A zero field means its default.
type Config struct {
	// Next skips the middlewares RequireAccess and OptionalAccess when it
	// returns true: the request goes on without a payload. The wrappers
	// (Access, Refreshing and their optional forms) always check, since
	// their handler needs the payload. Optional. Default: nil.
	Next func(c *fiber.Ctx) bool

	// Lookup lists where a token is looked for, in order; the first source
	// that has one is used and the others are not consulted. A malformed
	// Authorization header (not Bearer, empty, or sent twice) is an error,
	// never a reason to fall back to the cookie.
	// Optional. Default: {Header, Cookie}.
	Lookup []Source

	// Access and Refresh set the cookie of each token type.
	// Optional. Default: see CookieConfig ("access" and "refresh", path /).
	Access  CookieConfig
	Refresh CookieConfig

	// DisableCookies stops the create and refresh helpers from setting
	// cookies (tokens then only travel in response bodies and headers).
	// Optional. Default: false (cookies are set, as quick_jwt does).
	DisableCookies bool

	// CSRF sets the double-submit protection of cookie-authenticated requests.
	// Optional. Default: on, "csrf_token" cookie, "X-CSRF-Token" header.
	CSRF CSRFConfig

	// StrictOptional makes the optional checks answer 401 for a token that is
	// present but invalid; only a missing token gives the handler no payload.
	// Optional. Default: false (quick_jwt's behaviour: a missing or invalid
	// token both give no payload).
	StrictOptional bool

	// Realm is written in WWW-Authenticate challenges. Optional. Default: "".
	Realm string

	// OnStoreError decides what a check does with a token that passed every
	// check but revocation, because the revocation store failed: return true
	// to accept it (fail open), false to answer 503 (fail closed). It may
	// count or log the event. Optional. Default: nil (fail closed).
	OnStoreError func(c *fiber.Ctx, err error) bool

	// ErrorHandler answers a request whose check failed (401, 403, 503).
	// Optional. Default: the problem response of app.ErrorHandler(Logger).
	ErrorHandler fiber.ErrorHandler

	// Logger receives internal errors (5xx); clients only see a generic
	// message. Optional. Default: a logger that discards.
	Logger *slog.Logger
}

// ConfigDefault is the Config used for zero fields.
var ConfigDefault = Config{
	Lookup:  []Source{Header, Cookie},
	Access:  CookieConfig{Name: "access", Path: "/", SameSite: "Lax"},
	Refresh: CookieConfig{Name: "refresh", Path: "/", SameSite: "Lax"},
	CSRF:    CSRFConfig{CookieName: "csrf_token", HeaderName: "X-CSRF-Token"},
}

func (c CookieConfig) withDefaults(d CookieConfig, ttl time.Duration) CookieConfig {
	if c.Name == "" {
		c.Name = d.Name
	}
	if c.Path == "" {
		c.Path = d.Path
	}
	if c.SameSite == "" {
		c.SameSite = d.SameSite
	}
	if c.MaxAge == 0 {
		c.MaxAge = ttl
	}
	return c
}

func (c CookieConfig) check(field string) []error {
	var errs []error
	switch strings.ToLower(c.SameSite) {
	case "lax", "strict":
	case "none":
		if c.Insecure {
			errs = append(errs, fmt.Errorf("app: %s.SameSite None needs a Secure cookie", field))
		}
	default:
		errs = append(errs, fmt.Errorf("app: %s.SameSite %q is not Lax, Strict or None", field, c.SameSite))
	}
	if c.MaxAge < 0 {
		errs = append(errs, fmt.Errorf("app: %s.MaxAge %v is negative", field, c.MaxAge))
	}
	return errs
}

// withDefaults fills zero fields and checks the result.
func (c Config) withDefaults(accessTTL, refreshTTL time.Duration) (Config, error) {
	d := ConfigDefault
	if len(c.Lookup) == 0 {
		c.Lookup = d.Lookup
	}
	c.Lookup = append([]Source(nil), c.Lookup...)
	c.Access = c.Access.withDefaults(d.Access, accessTTL)
	c.Refresh = c.Refresh.withDefaults(d.Refresh, refreshTTL)
	if c.CSRF.CookieName == "" {
		c.CSRF.CookieName = d.CSRF.CookieName
	}
	if c.CSRF.HeaderName == "" {
		c.CSRF.HeaderName = d.CSRF.HeaderName
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.ErrorHandler == nil {
		c.ErrorHandler = problemHandler(c.Realm, c.Logger)
	}
	var errs []error
	for _, s := range c.Lookup {
		if s != Header && s != Cookie {
			errs = append(errs, fmt.Errorf("app: Lookup source %q is not %q or %q", s, Header, Cookie))
		}
	}
	errs = append(errs, c.Access.check("Access")...)
	errs = append(errs, c.Refresh.check("Refresh")...)
	if c.Access.Name == c.Refresh.Name || c.Access.Name == c.CSRF.CookieName || c.Refresh.Name == c.CSRF.CookieName {
		errs = append(errs, fmt.Errorf("app: the access, refresh and CSRF cookies need three names, got %q, %q, %q",
			c.Access.Name, c.Refresh.Name, c.CSRF.CookieName))
	}
	return c, errors.Join(errs...)
}
