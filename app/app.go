package app

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/quickjwt/quickjwt/issuer"
	"github.com/valyala/fasthttp"
)

// Errors of the request layer. ErrNoToken, ErrBadAuthorization match
// issuer.ErrInvalidToken too, so one errors.Is tells "answer 401".
var (
	// ErrNoToken means no source held a token.
	ErrNoToken error = &authError{"app: no token"}
	// ErrBadAuthorization means the Authorization header is sent twice, is
	// not of the Bearer scheme, or holds an empty token.
	ErrBadAuthorization error = &authError{"app: malformed Authorization header"}
	// ErrCSRF means a cookie-authenticated request that changes state (an
	// unsafe method, or any refresh or logout) did not repeat the CSRF cookie
	// in the CSRF header.
	ErrCSRF = errors.New("app: CSRF token missing or wrong")
)

type authError struct{ msg string }

func (e *authError) Error() string        { return e.msg }
func (e *authError) Is(target error) bool { return target == issuer.ErrInvalidToken }

// JWT binds an issuer.Issuer to Fiber: it reads tokens from requests, checks
// them, and sets and clears cookies. Each JWT keeps its own request values,
// so several can serve one Fiber app side by side. A JWT is safe for
// concurrent use; it holds no per-request state.
type JWT[A, R any] struct {
	iss *issuer.Issuer[A, R]
	cfg Config
	key *localsKey // this JWT's key for request-scoped values
}

// localsKey is unexported and compared by pointer: no two JWTs share one.
type localsKey struct{ _ byte }

// checked is what the middlewares leave for the handler.
type checked[P any] struct {
	payload P
	claims  issuer.Claims
}

// New returns a JWT for iss. cfg is optional; zero fields take their defaults.
func New[A, R any](iss *issuer.Issuer[A, R], cfg ...Config) (*JWT[A, R], error) {
	var c Config
	if len(cfg) > 0 {
		c = cfg[0]
	}
	c, err := c.withDefaults(iss.AccessTTL(), iss.RefreshTTL())
	if err != nil {
		return nil, err
	}
	return &JWT[A, R]{iss: iss, cfg: c, key: &localsKey{}}, nil
}

// Issuer returns the issuer the JWT checks with.
func (j *JWT[A, R]) Issuer() *issuer.Issuer[A, R] { return j.iss }

// --- creating tokens (quick_jwt's create_jwt_depends) ---

// CreateTokens signs a pair, sets the access, refresh and CSRF cookies on the
// response, and returns the pair for the handler to send.
func (j *JWT[A, R]) CreateTokens(c *fiber.Ctx, access A, refresh R) (issuer.Tokens, error) {
	t, err := j.iss.CreateTokens(c.UserContext(), access, refresh)
	if err != nil {
		return t, err
	}
	j.setCookie(c, j.cfg.Access, t.Access)
	j.setCookie(c, j.cfg.Refresh, t.Refresh)
	j.setCSRFCookie(c)
	return t, nil
}

// CreateAccessToken signs an access token, sets its cookie (and the CSRF
// cookie), and returns it.
func (j *JWT[A, R]) CreateAccessToken(c *fiber.Ctx, access A) (string, error) {
	t, err := j.iss.CreateAccessToken(c.UserContext(), access)
	if err != nil {
		return t, err
	}
	j.setCookie(c, j.cfg.Access, t)
	j.setCSRFCookie(c)
	return t, nil
}

// CreateRefreshToken signs a refresh token, sets its cookie (and the CSRF
// cookie), and returns it.
func (j *JWT[A, R]) CreateRefreshToken(c *fiber.Ctx, refresh R) (string, error) {
	t, err := j.iss.CreateRefreshToken(c.UserContext(), refresh)
	if err != nil {
		return t, err
	}
	j.setCookie(c, j.cfg.Refresh, t)
	j.setCSRFCookie(c)
	return t, nil
}

// --- checking tokens (access_check_depends and friends) ---

// Access wraps a handler that needs a valid access token: the handler gets
// the typed payload; a missing or invalid token is answered with 401, a
// cookie-authenticated unsafe request without the CSRF header with 403.
func (j *JWT[A, R]) Access(h func(c *fiber.Ctx, access A) error) fiber.Handler {
	return required(j, j.checkAccess, h)
}

// AccessOptional wraps a handler that takes an access token if there is one:
// it gets nil when the token is missing, and also when it is invalid (as in
// quick_jwt) unless Config.StrictOptional makes that a 401.
func (j *JWT[A, R]) AccessOptional(h func(c *fiber.Ctx, access *A) error) fiber.Handler {
	return optional(j, j.checkAccess, h)
}

// Refreshing wraps a handler that needs a valid refresh token; see Access.
// To issue a new pair from it, use JWT.Refresh or RefreshHandler instead,
// which also continue the token's family.
func (j *JWT[A, R]) Refreshing(h func(c *fiber.Ctx, refresh R) error) fiber.Handler {
	return required(j, j.checkRefresh, h)
}

// RefreshingOptional wraps a handler that takes a refresh token if there is
// one; see AccessOptional.
func (j *JWT[A, R]) RefreshingOptional(h func(c *fiber.Ctx, refresh *R) error) fiber.Handler {
	return optional(j, j.checkRefresh, h)
}

func required[A, R, P any](j *JWT[A, R], check func(*fiber.Ctx) (P, error), h func(*fiber.Ctx, P) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p, err := check(c)
		if err != nil {
			return j.fail(c, err)
		}
		return h(c, p)
	}
}

func optional[A, R, P any](j *JWT[A, R], check func(*fiber.Ctx) (P, error), h func(*fiber.Ctx, *P) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p, err := check(c)
		switch {
		case err == nil:
			return h(c, &p)
		case j.optionalMiss(err):
			return h(c, nil)
		}
		return j.fail(c, err)
	}
}

// RequireAccess is middleware for route groups: it checks the access token
// as Access does and leaves the payload and claims for AccessPayload and
// AccessClaims. Storing them costs one allocation per request that the Access
// wrapper does not.
func (j *JWT[A, R]) RequireAccess() fiber.Handler { return j.accessMiddleware(false) }

// OptionalAccess is RequireAccess that lets requests without a (valid) token
// through, as AccessOptional does.
func (j *JWT[A, R]) OptionalAccess() fiber.Handler { return j.accessMiddleware(true) }

func (j *JWT[A, R]) accessMiddleware(optional bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if j.cfg.Next != nil && j.cfg.Next(c) {
			return c.Next()
		}
		tok, err := j.token(c, j.cfg.Access.Name, unsafeMethod(c.Method()))
		v := new(checked[A])
		if err == nil {
			v.payload, v.claims, err = j.iss.CheckAccessClaims(c.UserContext(), tok)
			err = j.storeError(c, err)
		}
		switch {
		case err == nil:
			c.Locals(j.key, v)
		case !optional || !j.optionalMiss(err):
			return j.fail(c, err)
		}
		return c.Next()
	}
}

// AccessPayload returns the payload RequireAccess or OptionalAccess checked;
// ok is false when they did not run or found no valid token.
func (j *JWT[A, R]) AccessPayload(c *fiber.Ctx) (A, bool) {
	v, ok := c.Locals(j.key).(*checked[A])
	if !ok {
		var zero A
		return zero, false
	}
	return v.payload, true
}

// AccessClaims returns the registered claims of the token RequireAccess or
// OptionalAccess checked.
func (j *JWT[A, R]) AccessClaims(c *fiber.Ctx) (issuer.Claims, bool) {
	v, ok := c.Locals(j.key).(*checked[A])
	if !ok {
		return issuer.Claims{}, false
	}
	return v.claims, true
}

// --- refreshing (refresh_jwt_depends) ---

// Refresh checks the request's refresh token, lets next build the new
// payloads from the old refresh payload, issues the new pair in the same
// family, sets its cookies and returns it. Refreshing spends the token and
// sets new cookies, whatever the method: a refresh cookie needs the CSRF
// header on GET too.
func (j *JWT[A, R]) Refresh(c *fiber.Ctx, next func(old R) (A, R, error)) (issuer.Tokens, error) {
	tok, err := j.token(c, j.cfg.Refresh.Name, true)
	if err != nil {
		return issuer.Tokens{}, err
	}
	return j.RefreshWith(c, tok, next)
}

// RefreshWith is Refresh for a refresh token the handler found itself, such
// as in a JSON body. Such a token is not cookie-authenticated, so no CSRF
// header is needed.
func (j *JWT[A, R]) RefreshWith(c *fiber.Ctx, tok string, next func(old R) (A, R, error)) (issuer.Tokens, error) {
	t, err := j.iss.Refresh(c.UserContext(), tok, next)
	if err != nil {
		return t, err
	}
	j.setCookie(c, j.cfg.Access, t.Access)
	j.setCookie(c, j.cfg.Refresh, t.Refresh)
	j.setCSRFCookie(c)
	return t, nil
}

// RefreshHandler is a ready-made refresh endpoint: it answers with the new
// pair as {"access":"…","refresh":"…"} (and its cookies), or with the error
// response of the failure. next may be nil to keep both payloads: the new
// access payload is then made from the refresh payload, which needs A and R
// to be the same type.
func (j *JWT[A, R]) RefreshHandler(next func(old R) (A, R, error)) fiber.Handler {
	if next == nil {
		next = func(old R) (A, R, error) {
			a, ok := any(old).(A)
			if !ok {
				var zero A
				return zero, old, errors.New("app: RefreshHandler(nil) needs one payload type for access and refresh tokens")
			}
			return a, old, nil
		}
	}
	return func(c *fiber.Ctx) error {
		t, err := j.Refresh(c, next)
		if err != nil {
			return j.fail(c, err)
		}
		return c.JSON(t)
	}
}

// --- logout (logout_depends) ---

// Logout revokes the access and refresh tokens the request presents (in the
// Authorization header or the cookies; an invalid or expired one is skipped)
// and deletes the cookies with the path and domain they were set with, so
// browsers really drop them. With cookies it needs the CSRF header whatever
// the method, so that no cross-site link or image can log a user out.
func (j *JWT[A, R]) Logout(c *fiber.Ctx) error {
	ctx := c.UserContext()
	var tokens [3]string
	n := 0
	if bearer, err := j.bearer(c); err == nil && bearer != "" {
		tokens[n] = bearer
		n++
	}
	fromCookie := false
	for _, name := range []string{j.cfg.Access.Name, j.cfg.Refresh.Name} {
		if v := c.Cookies(name); v != "" {
			tokens[n] = v
			n++
			fromCookie = true
		}
	}
	if err := j.checkCSRF(c, fromCookie, true); err != nil {
		return err
	}
	for _, tok := range tokens[:n] {
		if err := j.iss.Revoke(ctx, tok); err != nil && !errors.Is(err, issuer.ErrInvalidToken) {
			return err // the store failed: the token may still be valid
		}
	}
	j.clearCookies(c)
	return nil
}

// LogoutHandler is a ready-made logout endpoint answering 204 No Content.
func (j *JWT[A, R]) LogoutHandler() fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := j.Logout(c); err != nil {
			return j.fail(c, err)
		}
		return c.SendStatus(fiber.StatusNoContent)
	}
}

// --- internals ---

func (j *JWT[A, R]) checkAccess(c *fiber.Ctx) (A, error) {
	tok, err := j.token(c, j.cfg.Access.Name, unsafeMethod(c.Method()))
	if err != nil {
		var zero A
		return zero, err
	}
	a, err := j.iss.CheckAccess(c.UserContext(), tok)
	return a, j.storeError(c, err)
}

func (j *JWT[A, R]) checkRefresh(c *fiber.Ctx) (R, error) {
	tok, err := j.token(c, j.cfg.Refresh.Name, unsafeMethod(c.Method()))
	if err != nil {
		var zero R
		return zero, err
	}
	r, err := j.iss.CheckRefresh(c.UserContext(), tok)
	return r, j.storeError(c, err)
}

// storeError applies OnStoreError to a check's error: nil when the only
// failure was the revocation store's and the policy accepts that.
func (j *JWT[A, R]) storeError(c *fiber.Ctx, err error) error {
	if err != nil && j.cfg.OnStoreError != nil && errors.Is(err, issuer.ErrStore) && j.cfg.OnStoreError(c, err) {
		return nil
	}
	return err
}

// token finds the request's token of the type whose cookie is named cookie,
// and checks CSRF when the cookie authenticates a request that changes state.
func (j *JWT[A, R]) token(c *fiber.Ctx, cookie string, changes bool) (string, error) {
	tok, fromCookie, err := j.lookup(c, cookie)
	if err == nil {
		err = j.checkCSRF(c, fromCookie, changes)
	}
	return tok, err
}

// optionalMiss reports whether an optional check lets the handler run
// without a payload.
func (j *JWT[A, R]) optionalMiss(err error) bool {
	if errors.Is(err, ErrNoToken) {
		return true
	}
	return !j.cfg.StrictOptional && errors.Is(err, issuer.ErrInvalidToken)
}

// lookup finds the token in the configured sources, in order.
func (j *JWT[A, R]) lookup(c *fiber.Ctx, cookie string) (tok string, fromCookie bool, err error) {
	for _, s := range j.cfg.Lookup {
		switch s {
		case Header:
			tok, err := j.bearer(c)
			if err != nil || tok != "" {
				return tok, false, err
			}
		case Cookie:
			if v := c.Cookies(cookie); v != "" {
				return v, true, nil
			}
		}
	}
	return "", false, ErrNoToken
}

// bearer returns the token of the Authorization header, "" when there is no
// such header, or ErrBadAuthorization.
func (j *JWT[A, R]) bearer(c *fiber.Ctx) (string, error) {
	h := &c.Request().Header
	v := h.Peek(fiber.HeaderAuthorization)
	if v == nil {
		return "", nil
	}
	if len(h.PeekAll(fiber.HeaderAuthorization)) > 1 {
		return "", ErrBadAuthorization
	}
	const scheme = "bearer "
	if len(v) < len(scheme) || !bytes.EqualFold(v[:len(scheme)], []byte(scheme)) {
		return "", ErrBadAuthorization
	}
	tok := bytes.TrimLeft(v[len(scheme):], " ")
	if len(tok) == 0 || bytes.IndexByte(tok, ' ') >= 0 {
		return "", ErrBadAuthorization
	}
	// The view lives as long as the request, like every value of the Ctx;
	// nothing keeps it beyond the check.
	return utils.UnsafeString(tok), nil
}

// unsafeMethod reports whether a request can change state, and so needs CSRF
// protection when a cookie authenticates it.
func unsafeMethod(m string) bool {
	switch m {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions, fiber.MethodTrace:
		return false
	}
	return true
}

// checkCSRF asks a cookie-authenticated request that changes state for the
// CSRF header.
func (j *JWT[A, R]) checkCSRF(c *fiber.Ctx, fromCookie, changes bool) error {
	if !fromCookie || j.cfg.CSRF.Disabled || !changes {
		return nil
	}
	want := c.Request().Header.Cookie(j.cfg.CSRF.CookieName)
	got := c.Request().Header.Peek(j.cfg.CSRF.HeaderName)
	if len(want) == 0 || subtle.ConstantTimeCompare(want, got) != 1 {
		return ErrCSRF
	}
	return nil
}

func (j *JWT[A, R]) setCookie(c *fiber.Ctx, cc CookieConfig, value string) {
	if j.cfg.DisableCookies {
		return
	}
	c.Cookie(&fiber.Cookie{
		Name:     cc.Name,
		Value:    value,
		Path:     cc.Path,
		Domain:   cc.Domain,
		MaxAge:   int(cc.MaxAge / time.Second),
		Secure:   !cc.Insecure,
		HTTPOnly: !cc.ScriptReadable,
		SameSite: cc.SameSite,
	})
}

// setCSRFCookie sets a new random CSRF token, readable by the page's scripts
// so that they can echo it, for as long as the refresh cookie lives.
func (j *JWT[A, R]) setCSRFCookie(c *fiber.Ctx) {
	if j.cfg.DisableCookies || j.cfg.CSRF.Disabled {
		return
	}
	var raw [32]byte
	_, _ = rand.Read(raw[:])
	c.Cookie(&fiber.Cookie{
		Name:     j.cfg.CSRF.CookieName,
		Value:    base64.RawURLEncoding.EncodeToString(raw[:]),
		Path:     "/",
		Domain:   j.cfg.Refresh.Domain,
		MaxAge:   int(j.cfg.Refresh.MaxAge / time.Second),
		Secure:   !j.cfg.Refresh.Insecure,
		HTTPOnly: false,
		SameSite: j.cfg.Refresh.SameSite,
	})
}

// clearCookies expires the cookies with the attributes they were set with.
func (j *JWT[A, R]) clearCookies(c *fiber.Ctx) {
	for _, cc := range []CookieConfig{j.cfg.Access, j.cfg.Refresh, {
		Name: j.cfg.CSRF.CookieName, Path: "/", Domain: j.cfg.Refresh.Domain,
		Insecure: j.cfg.Refresh.Insecure, ScriptReadable: true, SameSite: j.cfg.Refresh.SameSite,
	}} {
		c.Cookie(&fiber.Cookie{
			Name:     cc.Name,
			Path:     cc.Path,
			Domain:   cc.Domain,
			Expires:  fasthttp.CookieExpireDelete,
			Secure:   !cc.Insecure,
			HTTPOnly: !cc.ScriptReadable,
			SameSite: cc.SameSite,
		})
	}
}

// fail answers the request with the configured ErrorHandler.
func (j *JWT[A, R]) fail(c *fiber.Ctx, err error) error {
	return j.cfg.ErrorHandler(c, err)
}
