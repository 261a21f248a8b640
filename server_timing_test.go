package main

import (
	"encoding/json"
	"testing"

	"github.com/valyala/fasthttp"
)

// BenchmarkService drives the service's handler with a reused RequestCtx, no
// network: what the service itself costs per request.
func BenchmarkService(b *testing.B) {
	t := &testing.T{}
	cfg := testConfig(t)
	cfg.Server.DataDir = b.TempDir()
	s, err := newServer(cfg, discardLog())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(s.close)
	h := s.web.Handler()

	mintCtx := &fasthttp.RequestCtx{}
	mintCtx.Request.Header.SetMethod("POST")
	mintCtx.Request.SetRequestURI("/v1/tokens")
	mintCtx.Request.Header.Set("Authorization", basic(clientID, clientSecret))
	mintCtx.Request.Header.SetContentType("application/json")
	mintCtx.Request.SetBodyString(`{"sub":"user-1234567890","role":"admin"}`)
	h(mintCtx)
	var tr tokenResponse
	if err := json.Unmarshal(mintCtx.Response.Body(), &tr); err != nil {
		b.Fatalf("%s", mintCtx.Response.Body())
	}
	verifyCtx := &fasthttp.RequestCtx{}
	verifyCtx.Request.Header.SetMethod("GET")
	verifyCtx.Request.SetRequestURI("/v1/verify")
	verifyCtx.Request.Header.Set("Authorization", "Bearer "+tr.Access)

	for _, bc := range []struct {
		name string
		ctx  *fasthttp.RequestCtx
	}{{"verify", verifyCtx}, {"tokens", mintCtx}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				h(bc.ctx)
				if bc.ctx.Response.StatusCode() != 200 {
					b.Fatalf("%d %s", bc.ctx.Response.StatusCode(), bc.ctx.Response.Body())
				}
			}
		})
	}
}
