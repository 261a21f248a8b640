package app_test

import (
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/quickjwt/quickjwt/app"
	"github.com/quickjwt/quickjwt/issuer"
)

type UserScheme struct {
	Sub string `json:"sub" validate:"required"`
}

// exampleApp is quick_jwt's basic use case on Fiber.
func exampleApp() (*fiber.App, func()) {
	key, _ := issuer.NewHMACKey("k1", issuer.HS256, []byte("an example secret of 32 bytes..."))
	iss, _ := issuer.New[UserScheme, UserScheme](issuer.Config{Keys: issuer.KeySet{Signing: key},
		Now: func() time.Time { return time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC) }})
	jwt, _ := app.New(iss)
	web := fiber.New(fiber.Config{ErrorHandler: app.ErrorHandler(nil), DisableStartupMessage: true})
	web.Get("/create-tokens", func(c *fiber.Ctx) error {
		user := UserScheme{Sub: c.Query("sub")}
		tokens, err := jwt.CreateTokens(c, user, user)
		if err != nil {
			return err
		}
		return c.JSON(tokens)
	})
	web.Get("/me", jwt.Access(func(c *fiber.Ctx, user UserScheme) error { return c.JSON(user) }))
	web.Get("/maybe", jwt.AccessOptional(func(c *fiber.Ctx, user *UserScheme) error { return c.JSON(user) }))
	web.Post("/refresh", jwt.RefreshHandler(nil))
	web.Post("/logout", jwt.LogoutHandler())
	return web, func() { iss.Close() }
}

func get(web *fiber.App, method, target string, header ...string) (int, string, []string) {
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, _ := web.Test(req, -1)
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header.Values("Set-Cookie")
}

func ExampleNew() {
	web, done := exampleApp()
	defer done()
	status, body, cookies := get(web, "GET", "/create-tokens?sub=some_id")
	fmt.Println(status, strings.HasPrefix(body, `{"access":"eyJ`))
	for _, c := range cookies {
		name, _, _ := strings.Cut(c, "=")
		_, attrs, _ := strings.Cut(c, "; ")
		fmt.Println(name, attrs)
	}
	// Output:
	// 200 true
	// access max-age=900; path=/; HttpOnly; secure; SameSite=Lax
	// refresh max-age=1209600; path=/; HttpOnly; secure; SameSite=Lax
	// csrf_token max-age=1209600; path=/; secure; SameSite=Lax
}

func ExampleJWT_Access() {
	web, done := exampleApp()
	defer done()
	_, body, _ := get(web, "GET", "/create-tokens?sub=some_id")
	access := body[len(`{"access":"`):strings.Index(body, `","refresh"`)]

	fmt.Println(get(web, "GET", "/me", "Authorization", "Bearer "+access))
	status, problem, _ := get(web, "GET", "/me")
	fmt.Println(status, problem)
	// Output:
	// 200 {"sub":"some_id"} []
	// 401 {"type":"about:blank","title":"Unauthorized","status":401,"detail":"no token"}
}

func ExampleJWT_AccessOptional() {
	web, done := exampleApp()
	defer done()
	fmt.Println(get(web, "GET", "/maybe"))
	fmt.Println(get(web, "GET", "/maybe", "Authorization", "Bearer junk")) // quick_jwt's default; see Config.StrictOptional
	// Output:
	// 200 null []
	// 200 null []
}

func ExampleErrorHandler() {
	web, done := exampleApp()
	defer done()
	status, body, _ := get(web, "GET", "/create-tokens?sub=") // an invalid payload
	fmt.Println(status, body)
	// Output:
	// 400 {"type":"about:blank","title":"Bad Request","status":400,"detail":"the payload is invalid","errors":[{"field":"sub","rule":"required"}]}
}

func ExampleJWT_LogoutHandler() {
	web, done := exampleApp()
	defer done()
	_, body, _ := get(web, "GET", "/create-tokens?sub=some_id")
	access := body[len(`{"access":"`):strings.Index(body, `","refresh"`)]
	status, _, cookies := get(web, "POST", "/logout", "Authorization", "Bearer "+access)
	fmt.Println(status, len(cookies))
	status, _, _ = get(web, "GET", "/me", "Authorization", "Bearer "+access)
	fmt.Println(status)
	// Output:
	// 204 3
	// 401
}
