package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/quickjwt/quickjwt/issuer"
)

// devKeyFile holds the development signing key, in server.data_dir.
const devKeyFile = "dev-signing-key.pem"

// loadKeys reads the configured keys; without a signing key (and outside
// production) it uses a development key kept in data_dir, so that restarts
// keep tokens valid.
func loadKeys(cfg Config, log *slog.Logger) (issuer.KeySet, error) {
	var (
		ks   issuer.KeySet
		errs []error
		err  error
	)
	if cfg.Keys.Signing.isZero() {
		if cfg.Server.Production {
			return ks, errors.New("keys.signing is not configured, and server.production forbids a development key")
		}
		ks.Signing, err = devKey(cfg.Server.DataDir)
		if err != nil {
			return ks, err
		}
		log.Warn("no signing key configured: signing with a DEVELOPMENT key kept in "+
			filepath.Join(cfg.Server.DataDir, devKeyFile)+"; configure keys.signing (and server.production: true) before deploying",
			"kid", ks.Signing.ID(), "alg", string(ks.Signing.Algorithm()))
	} else if ks.Signing, err = loadKey(cfg.Keys.Signing.key()); err != nil {
		errs = append(errs, fmt.Errorf("keys.signing: %w", err))
	}
	for i, kc := range cfg.Keys.Verify {
		k, err := loadKey(kc)
		if err != nil {
			errs = append(errs, fmt.Errorf("keys.verify[%d]: %w", i, err))
			continue
		}
		ks.Verify = append(ks.Verify, k)
	}
	return ks, errors.Join(errs...)
}

func loadKey(kc KeyConfig) (issuer.Key, error) {
	alg := issuer.Algorithm(kc.Alg)
	switch {
	case kc.SecretEnv != "":
		return issuer.HMACKeyFromEnv(kc.Kid, alg, kc.SecretEnv)
	case kc.SecretFile != "":
		return issuer.HMACKeyFromFile(kc.Kid, alg, kc.SecretFile)
	case kc.PrivateKeyFile != "":
		b, err := os.ReadFile(kc.PrivateKeyFile)
		if err != nil {
			return issuer.Key{}, err
		}
		return issuer.ParsePrivateKeyPEM(kc.Kid, alg, b)
	case kc.PublicKeyFile != "":
		b, err := os.ReadFile(kc.PublicKeyFile)
		if err != nil {
			return issuer.Key{}, err
		}
		return issuer.ParsePublicKeyPEM(kc.Kid, alg, b)
	}
	return issuer.Key{}, errors.New("no key source")
}

// devKey returns the development key, generating it on first use.
func devKey(dir string) (issuer.Key, error) {
	pemBytes, err := devState(dir, devKeyFile, func() ([]byte, error) {
		k, err := issuer.GenerateKey("dev", issuer.EdDSA)
		if err != nil {
			return nil, err
		}
		return k.MarshalPEM()
	})
	if err != nil {
		return issuer.Key{}, err
	}
	return issuer.ParsePrivateKeyPEM("dev", issuer.EdDSA, pemBytes)
}
