package app

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	json "github.com/goccy/go-json"
	"github.com/gofiber/fiber/v2"
	"github.com/quickjwt/quickjwt/issuer"
)

// Problem is the body of every error response: RFC 9457 problem details,
// sent as application/problem+json.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// Errors lists the failed rules of an invalid payload (400).
	Errors []issuer.FieldViolation `json:"errors,omitempty"`
}

// StatusFor maps an error to its HTTP status: 401 for a missing or invalid
// token, 403 for a failed CSRF check, 400 for an invalid payload being
// created, 503 when the revocation store is down, a *fiber.Error's own code,
// and 500 for anything else.
func StatusFor(err error) int {
	var fe *fiber.Error
	switch {
	case errors.Is(err, issuer.ErrInvalidToken):
		return fiber.StatusUnauthorized
	case errors.Is(err, ErrCSRF):
		return fiber.StatusForbidden
	case errors.Is(err, issuer.ErrInvalidPayload):
		return fiber.StatusBadRequest
	case errors.Is(err, issuer.ErrStore):
		return fiber.StatusServiceUnavailable
	case errors.As(err, &fe):
		return fe.Code
	}
	return fiber.StatusInternalServerError
}

// ErrorHandler returns a fiber.ErrorHandler that answers every error a
// handler returns with a problem response: the issuer's and this package's
// errors with their statuses (see StatusFor), a *fiber.Error with its code and
// message, and anything else with a generic 500, the details going to log
// only. Set it as fiber.Config.ErrorHandler so that the errors of
// CreateTokens and friends reach clients as 400 with per-field details.
func ErrorHandler(log *slog.Logger) fiber.ErrorHandler {
	return problemHandler("", log)
}

func problemHandler(realm string, log *slog.Logger) fiber.ErrorHandler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return func(c *fiber.Ctx, err error) error { return writeProblem(c, err, realm, log) }
}

// tokenReasons are the reasons a 401 names, most specific first. They are
// fixed texts: nothing a client sent is echoed into a header.
var tokenReasons = []error{
	ErrNoToken, ErrBadAuthorization,
	issuer.ErrTooLarge, issuer.ErrMalformed, issuer.ErrAlgNone, issuer.ErrUnsupportedHeader,
	issuer.ErrUnknownKey, issuer.ErrAlgMismatch, issuer.ErrSignature, issuer.ErrTokenType,
	issuer.ErrMissingClaim, issuer.ErrExpired, issuer.ErrNotYetValid, issuer.ErrIssuer,
	issuer.ErrAudience, issuer.ErrRevoked, issuer.ErrReused, issuer.ErrInvalidPayload,
}

func reason(err error) string {
	for _, r := range tokenReasons {
		if errors.Is(err, r) {
			msg := r.Error()
			if _, rest, ok := strings.Cut(msg, ": "); ok {
				msg = rest
			}
			return msg
		}
	}
	return "invalid token"
}

func writeProblem(c *fiber.Ctx, err error, realm string, log *slog.Logger) error {
	status := StatusFor(err)
	p := Problem{Type: "about:blank", Title: http.StatusText(status), Status: status}
	switch {
	case status == fiber.StatusUnauthorized && errors.Is(err, issuer.ErrInvalidToken):
		p.Detail = reason(err)
		challenge := "Bearer"
		if realm != "" {
			challenge += ` realm="` + realm + `"`
		}
		if !errors.Is(err, ErrNoToken) {
			// RFC 6750 section 3: no error code when no token was sent.
			if realm != "" {
				challenge += ","
			}
			challenge += ` error="invalid_token", error_description="` + p.Detail + `"`
		}
		c.Set(fiber.HeaderWWWAuthenticate, challenge)
	case status == fiber.StatusForbidden && errors.Is(err, ErrCSRF):
		p.Detail = "the CSRF token is missing or does not match its cookie"
	case status == fiber.StatusBadRequest:
		var pe *issuer.PayloadError
		var fe *fiber.Error
		switch {
		case errors.As(err, &pe):
			p.Detail, p.Errors = "the payload is invalid", pe.Fields
			if pe.Err != nil {
				p.Detail += ": " + pe.Err.Error()
			}
		case errors.As(err, &fe):
			p.Detail = fe.Message
		}
	case status == fiber.StatusServiceUnavailable && errors.Is(err, issuer.ErrStore):
		p.Detail = "the token store is unavailable; try again"
		logErr(c, log, status, err)
	default:
		var fe *fiber.Error
		if status < 500 && errors.As(err, &fe) {
			p.Detail = fe.Message
		} else {
			logErr(c, log, status, err)
		}
	}
	body, merr := json.Marshal(p)
	if merr != nil {
		return merr
	}
	c.Set(fiber.HeaderContentType, "application/problem+json")
	return c.Status(status).Send(body)
}

func logErr(c *fiber.Ctx, log *slog.Logger, status int, err error) {
	if log == nil {
		return
	}
	ctx := c.UserContext()
	if ctx == nil {
		ctx = context.Background()
	}
	log.LogAttrs(ctx, slog.LevelError, "request failed",
		slog.Int("status", status), slog.String("method", c.Method()), slog.String("path", c.Path()),
		slog.String("request_id", c.GetRespHeader(fiber.HeaderXRequestID)), slog.Any("err", err))
}
