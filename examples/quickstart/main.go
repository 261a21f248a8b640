// Command quickstart reproduces the examples of quick_jwt's documentation
// with quickjwt's Fiber layer, on the same paths and with the same response
// shapes, and serves a small page that logs in, calls a protected endpoint
// with cookies and the CSRF header, refreshes and logs out.
//
//	go run ./examples/quickstart          # http://127.0.0.1:3000
//	ADDR=127.0.0.1:8000 QUICKJWT_KEY=$(openssl rand -base64 48) go run ./examples/quickstart
package main

import (
	"crypto/rand"
	_ "embed"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/gofiber/fiber/v2"
	"github.com/quickjwt/quickjwt/app"
	"github.com/quickjwt/quickjwt/issuer"
)

//go:embed index.html
var page []byte

// UserScheme is the payload of quick_jwt's examples.
type UserScheme struct {
	Sub string `json:"sub" validate:"required,max=128"`
}

func main() {
	if err := run(os.Getenv, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(getenv func(string) string, stderr io.Writer) error {
	log := slog.New(slog.NewTextHandler(stderr, nil))
	addr := getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:3000"
	}
	secret := []byte(getenv("QUICKJWT_KEY"))
	if len(secret) == 0 {
		secret = make([]byte, 32)
		_, _ = rand.Read(secret)
		log.Warn("QUICKJWT_KEY is unset: signing with a random key, so tokens die with the process",
			"hint", "export QUICKJWT_KEY=\""+base64.RawURLEncoding.EncodeToString(secret)+"\" to keep them")
	}
	web, closeFn, err := newApp(secret, log)
	if err != nil {
		return err
	}
	defer closeFn()

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-stop
		_ = web.Shutdown()
	}()
	log.Info("quickstart listening", "url", "http://"+addr+"/")
	return web.Listen(addr)
}

// newApp wires the quickstart: one issuer, one app.JWT, quick_jwt's routes.
func newApp(secret []byte, log *slog.Logger) (*fiber.App, func(), error) {
	key, err := issuer.NewHMACKey("quickstart", issuer.HS256, secret)
	if err != nil {
		return nil, nil, err
	}
	iss, err := issuer.New[UserScheme, UserScheme](issuer.Config{Keys: issuer.KeySet{Signing: key}, Logger: log})
	if err != nil {
		return nil, nil, err
	}
	jwt, err := app.New(iss, app.Config{
		// The quickstart serves plain HTTP, so its cookies cannot be Secure.
		// Behind TLS, leave Insecure false (the default).
		Access:  app.CookieConfig{Insecure: true},
		Refresh: app.CookieConfig{Insecure: true},
		Logger:  log,
	})
	if err != nil {
		iss.Close()
		return nil, nil, err
	}
	web := fiber.New(fiber.Config{ErrorHandler: app.ErrorHandler(log), DisableStartupMessage: true})

	web.Get("/", func(c *fiber.Ctx) error {
		c.Type("html", "utf-8")
		return c.Send(page)
	})

	// create_jwt_depends: the pair, or one token as a JSON string; each sets its cookie(s).
	web.Get("/create-tokens", func(c *fiber.Ctx) error {
		user := UserScheme{Sub: c.Query("sub")}
		tokens, err := jwt.CreateTokens(c, user, user)
		if err != nil {
			return err
		}
		return c.JSON(tokens)
	})
	web.Get("/create-access-token", func(c *fiber.Ctx) error {
		token, err := jwt.CreateAccessToken(c, UserScheme{Sub: c.Query("sub")})
		if err != nil {
			return err
		}
		return c.JSON(token)
	})
	web.Get("/create-refresh-token", func(c *fiber.Ctx) error {
		token, err := jwt.CreateRefreshToken(c, UserScheme{Sub: c.Query("sub")})
		if err != nil {
			return err
		}
		return c.JSON(token)
	})

	// access_check_depends, refresh_check_depends and their optional variants.
	payload := func(c *fiber.Ctx, user UserScheme) error { return c.JSON(user) }
	maybe := func(c *fiber.Ctx, user *UserScheme) error { return c.JSON(user) } // null without a token
	web.Get("/access-token-check", jwt.Access(payload))
	web.Get("/refresh-token-check", jwt.Refreshing(payload))
	web.Get("/access-token-check-optional", jwt.AccessOptional(maybe))
	web.Get("/refresh-token-check-optional", jwt.RefreshingOptional(maybe))

	// refresh_jwt_depends: a new pair in the same family, from the refresh payload.
	web.Get("/refresh-jwt", jwt.RefreshHandler(nil))

	// logout_depends: deletes both cookies, and also revokes the tokens.
	web.Get("/logout-depends", func(c *fiber.Ctx) error {
		if err := jwt.Logout(c); err != nil {
			return err
		}
		return c.JSON(nil)
	})

	// A state-changing endpoint for the page: cookie-authenticated, so it needs the CSRF header.
	web.Post("/profile", jwt.Access(payload))

	return web, func() { iss.Close() }, nil
}
