package app_test

import (
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/quickjwt/quickjwt/app"
	"github.com/quickjwt/quickjwt/issuer"
	"github.com/valyala/fasthttp"
)

// overheadApp serves the same trivial answer with and without an access check,
// so that the difference is the middleware's cost.
func overheadApp(t testing.TB) (fasthttp.RequestHandler, string, *issuer.Issuer[User, User]) {
	k, _ := issuer.NewHMACKey("k1", issuer.HS256, secret)
	iss, err := issuer.New[User, User](issuer.Config{Keys: issuer.KeySet{Signing: k}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { iss.Close() })
	j, err := app.New(iss)
	if err != nil {
		t.Fatal(err)
	}
	web := fiber.New(fiber.Config{DisableStartupMessage: true})
	web.Get("/baseline", func(c *fiber.Ctx) error { return c.SendString("user-1234") })
	web.Get("/checked", j.Access(func(c *fiber.Ctx, u User) error { return c.SendString(u.Sub) }))
	tok, err := iss.CreateAccessToken(t.Context(), User{Sub: "user-1234"})
	if err != nil {
		t.Fatal(err)
	}
	return web.Handler(), tok, iss
}

// request prepares a reused RequestCtx for path with the token in the given
// place ("header", "cookie" or "").
func request(path, where, tok string) *fasthttp.RequestCtx {
	ctx := &fasthttp.RequestCtx{}
	ctx.Request.Header.SetMethod("GET")
	ctx.Request.SetRequestURI(path)
	switch where {
	case "header":
		ctx.Request.Header.Set("Authorization", "Bearer "+tok)
	case "cookie":
		ctx.Request.Header.SetCookie("access", tok)
	}
	return ctx
}

func BenchmarkAccessCheck(b *testing.B) {
	h, tok, _ := overheadApp(b)
	for _, bc := range []struct{ name, path, where string }{
		{"baseline", "/baseline", ""},
		{"header", "/checked", "header"},
		{"cookie", "/checked", "cookie"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := request(bc.path, bc.where, tok)
			b.ReportAllocs()
			for b.Loop() {
				h(ctx)
				if ctx.Response.StatusCode() != 200 {
					b.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
				}
			}
		})
	}
}
