package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"os"

	"github.com/quickjwt/quickjwt/issuer"
	"github.com/quickjwt/quickjwt/issuer/redisstore"
	"github.com/redis/go-redis/v9"
)

// newStore makes the configured token store, and the function that closes it.
func newStore(cfg StoreConfig, log *slog.Logger) (issuer.Store, func(), error) {
	if cfg.Type != "redis" {
		m := issuer.NewMemoryStore(issuer.MemoryStoreConfig{MaxEntries: cfg.MaxEntries})
		return m, func() { m.Close() }, nil
	}
	rc := cfg.Redis
	opts := &redis.Options{
		Addr:         rc.Addr,
		DB:           rc.DB,
		DialTimeout:  rc.DialTimeout,
		ReadTimeout:  rc.Timeout,
		WriteTimeout: rc.Timeout,
		MaxRetries:   1, // an outage answers 503 quickly rather than after a series of back-offs
	}
	if rc.PasswordEnv != "" {
		pw, ok := os.LookupEnv(rc.PasswordEnv)
		if !ok || pw == "" {
			return nil, nil, fmt.Errorf("store.redis.password_env: environment variable %s is unset or empty", rc.PasswordEnv)
		}
		opts.Password = pw
	}
	if rc.TLS {
		host, _, _ := net.SplitHostPort(rc.Addr)
		opts.TLSConfig = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	rdb := redis.NewClient(opts)
	st := redisstore.New(rdb, redisstore.Config{Prefix: rc.KeyPrefix})
	ctx, cancel := context.WithTimeout(context.Background(), rc.DialTimeout+rc.Timeout)
	defer cancel()
	if err := st.Ping(ctx); err != nil {
		if rc.Required {
			rdb.Close()
			return nil, nil, fmt.Errorf("store: Redis at %s does not answer: %w (store.redis.required: false starts without it, degraded)", rc.Addr, err)
		}
		log.Warn("Redis does not answer: starting degraded (refresh and logout answer 503, /readyz 503) until it does",
			"addr", rc.Addr, "err", err)
	}
	return st, func() { rdb.Close() }, nil
}
