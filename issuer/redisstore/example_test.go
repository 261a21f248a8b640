package redisstore_test

import (
	"github.com/quickjwt/quickjwt/issuer"
	"github.com/quickjwt/quickjwt/issuer/redisstore"
	"github.com/redis/go-redis/v9"
)

// Several service instances share revocations and refresh rotation through
// one Redis and one key prefix.
func ExampleNew() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer rdb.Close() // the store does not own the client
	key, _ := issuer.GenerateKey("k1", issuer.EdDSA)
	iss, err := issuer.New[user, user](issuer.Config{
		Keys:  issuer.KeySet{Signing: key},
		Store: redisstore.New(rdb, redisstore.Config{Prefix: "myapp:jwt:"}),
	})
	if err != nil {
		return
	}
	defer iss.Close()
}
