// Command http is the reference a user would write instead of quickjwt's
// service: net/http and golang-jwt, with the same POST /v1/tokens and
// GET /v1/verify contract, the same claims and the same checks (HTTP Basic
// clients with SHA-256-hashed secrets, claims checked against validator
// rules, unknown claims refused, typed tokens, iss/aud/exp, a revocation
// lookup of jti, family and subject). make loadtest runs it beside the
// service.
//
//	ADDR=127.0.0.1:8081 SECRET=... CLIENT_ID=... CLIENT_SECRET_SHA256=<hex> http
package main

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log"
	"mime"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/go-playground/validator/v10"
	gjwt "github.com/golang-jwt/jwt/v5"
)

const (
	iss        = "https://auth.example.com"
	aud        = "api"
	accessTTL  = 15 * time.Minute
	refreshTTL = 14 * 24 * time.Hour
	bodyLimit  = 64 << 10
)

type claims struct {
	gjwt.RegisteredClaims
	Fam   string `json:"fam"`
	Scope string `json:"scope,omitempty"`
}

type server struct {
	key      []byte
	clientID string
	clientH  []byte
	rules    map[string]string
	validate *validator.Validate
	parser   *gjwt.Parser

	mu      sync.RWMutex
	revoked map[string]time.Time // jti and fam; a real one also expires them
	subs    map[string]int64
}

func main() {
	h, err := hex.DecodeString(os.Getenv("CLIENT_SECRET_SHA256"))
	if err != nil || len(h) != sha256.Size || os.Getenv("SECRET") == "" {
		log.Fatal("set SECRET, CLIENT_ID and CLIENT_SECRET_SHA256")
	}
	s := &server{
		key: []byte(os.Getenv("SECRET")), clientID: os.Getenv("CLIENT_ID"), clientH: h,
		rules:    map[string]string{"sub": "required,max=128", "scope": "omitempty,max=256"},
		validate: validator.New(),
		parser: gjwt.NewParser(gjwt.WithValidMethods([]string{"HS256"}), gjwt.WithIssuer(iss), gjwt.WithAudience(aud),
			gjwt.WithExpirationRequired(), gjwt.WithIssuedAt()),
		revoked: map[string]time.Time{}, subs: map[string]int64{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/tokens", s.tokens)
	mux.HandleFunc("/v1/verify", s.verify)
	srv := &http.Server{Addr: os.Getenv("ADDR"), Handler: mux, ReadTimeout: 5 * time.Second,
		WriteTimeout: 10 * time.Second, IdleTimeout: 60 * time.Second, MaxHeaderBytes: 8192}
	log.Fatal(srv.ListenAndServe())
}

func problem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"type": "about:blank", "title": http.StatusText(status), "status": status, "detail": detail})
}

func newJTI() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (s *server) tokens(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	sum := sha256.Sum256([]byte(secret))
	if subtle.ConstantTimeCompare(sum[:], s.clientH) != 1 || !ok || id != s.clientID {
		w.Header().Set("WWW-Authenticate", `Basic realm="reference"`)
		problem(w, 401, "client authentication failed")
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		problem(w, 415, "the body must be JSON")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, bodyLimit))
	if err != nil {
		problem(w, 413, "body too large")
		return
	}
	var in map[string]any
	if json.Unmarshal(body, &in) != nil || in == nil {
		problem(w, 400, "the body must be one JSON object of claims")
		return
	}
	for name, rule := range s.rules {
		if err := s.validate.Var(in[name], rule); err != nil {
			problem(w, 400, name+": "+err.Error())
			return
		}
	}
	for name := range in {
		if _, ok := s.rules[name]; !ok {
			problem(w, 400, name+": unknown claim")
			return
		}
	}
	sub, _ := in["sub"].(string)
	scope, _ := in["scope"].(string)
	now := time.Now()
	fam := newJTI()
	at := gjwt.NewWithClaims(gjwt.SigningMethodHS256, claims{RegisteredClaims: gjwt.RegisteredClaims{
		Issuer: iss, Subject: sub, Audience: gjwt.ClaimStrings{aud}, IssuedAt: gjwt.NewNumericDate(now),
		NotBefore: gjwt.NewNumericDate(now), ExpiresAt: gjwt.NewNumericDate(now.Add(accessTTL)), ID: newJTI(),
	}, Fam: fam, Scope: scope})
	at.Header["typ"] = "at+jwt"
	rt := gjwt.NewWithClaims(gjwt.SigningMethodHS256, claims{RegisteredClaims: gjwt.RegisteredClaims{
		Issuer: iss, Subject: sub, Audience: gjwt.ClaimStrings{aud}, IssuedAt: gjwt.NewNumericDate(now),
		NotBefore: gjwt.NewNumericDate(now), ExpiresAt: gjwt.NewNumericDate(now.Add(refreshTTL)), ID: newJTI(),
	}, Fam: fam, Scope: scope})
	rt.Header["typ"] = "rt+jwt"
	a, err1 := at.SignedString(s.key)
	rs, err2 := rt.SignedString(s.key)
	if err := errors.Join(err1, err2); err != nil {
		problem(w, 500, "internal error")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(map[string]any{"access": a, "refresh": rs, "token_type": "Bearer",
		"expires_in": int64(accessTTL.Seconds()), "refresh_expires_in": int64(refreshTTL.Seconds())})
}

func (s *server) verify(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	if len(auth) < 7 || !strings.EqualFold(auth[:7], "bearer ") {
		w.Header().Set("WWW-Authenticate", "Bearer")
		problem(w, 401, "no token")
		return
	}
	var c claims
	_, err := s.parser.ParseWithClaims(auth[7:], &c, func(t *gjwt.Token) (any, error) {
		if t.Header["typ"] != "at+jwt" {
			return nil, errors.New("not an access token")
		}
		return s.key, nil
	})
	if err == nil && c.ID == "" {
		err = errors.New("no jti")
	}
	if err == nil {
		s.mu.RLock()
		_, r1 := s.revoked[c.ID]
		_, r2 := s.revoked[c.Fam]
		cut, r3 := s.subs[c.Subject]
		s.mu.RUnlock()
		if r1 || r2 || (r3 && c.IssuedAt.Unix() <= cut) {
			err = errors.New("token revoked")
		}
	}
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		problem(w, 401, "invalid token")
		return
	}
	w.Header().Set("X-Auth-Subject", c.Subject)
	w.WriteHeader(http.StatusOK)
}
