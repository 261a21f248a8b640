// Package app brings issuer to gofiber/fiber/v2 handlers: each of quick_jwt's
// FastAPI dependencies has a counterpart here, generic over the payload types
// so that handlers receive typed payloads.
//
// # Example
//
//	iss, _ := issuer.New[User, User](issuer.Config{Keys: keys})
//	jwt, _ := app.New(iss) // cookies: HttpOnly, Secure, SameSite=Lax; CSRF on
//	web := fiber.New(fiber.Config{ErrorHandler: app.ErrorHandler(logger)})
//
//	web.Get("/create-tokens", func(c *fiber.Ctx) error { // create_jwt_depends
//		u := User{Sub: c.Query("sub")}
//		tokens, err := jwt.CreateTokens(c, u, u) // sets both cookies
//		if err != nil {
//			return err // 400 with per-field details for an invalid payload
//		}
//		return c.JSON(tokens)
//	})
//	web.Get("/me", jwt.Access(func(c *fiber.Ctx, u User) error { // access_check_depends
//		return c.JSON(u)
//	}))
//	web.Get("/refresh-jwt", jwt.RefreshHandler(nil)) // refresh_jwt_depends
//	web.Get("/logout", jwt.LogoutHandler())          // logout_depends, and revokes
//
// # Tokens in requests
//
// A token is read from the Authorization header (scheme Bearer, any case),
// then from the cookie of its type; Config.Lookup changes the sources and
// their order. The first source holding a token is used; a malformed
// Authorization header is a 401, never a silent fall back to the cookie.
//
// # Errors
//
// A missing or invalid token is answered with 401, a WWW-Authenticate
// challenge (RFC 6750) and an application/problem+json body (RFC 9457); a
// cookie-authenticated POST, PUT, PATCH or DELETE without the CSRF header
// with 403, as is a refresh or logout by cookie without it on any method. ErrorHandler does the same for errors handlers return, and
// answers an invalid payload with 400 and its failed fields.
//
// # Concurrency
//
// A JWT holds no per-request state and is safe for concurrent use; values
// for a request live in its fiber.Ctx under a key private to the JWT, so
// several JWTs (several issuers) can serve one app side by side.
package app
