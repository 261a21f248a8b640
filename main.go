// Command quickjwt is the auth edge service: trusted backends mint token pairs
// with it, browsers and apps refresh and log out through it, reverse proxies
// ask it whether a request's token is good, and resource servers fetch its
// public keys. See README.md.
//
//	quickjwt [serve] [-config FILE]   run the service (the default command)
//	quickjwt keygen  -alg ALG | -client NAME
//	quickjwt token   [-config FILE] [-claims JSON]
//	quickjwt verify  [-config FILE] [-refresh] TOKEN
//	quickjwt version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	err := run(ctx, os.Args[1:], os.Environ(), os.Stdin, os.Stdout, os.Stderr, hup)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "quickjwt:", err)
		os.Exit(1)
	}
}

// run dispatches a command line. Its arguments stand for the process's, so
// tests run the real commands in-process.
func run(ctx context.Context, args, environ []string, stdin io.Reader, stdout, stderr io.Writer, hup <-chan os.Signal) error {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return cmdServe(ctx, args, environ, stderr, hup)
	case "keygen":
		return cmdKeygen(args, stdout, stderr)
	case "token":
		return cmdToken(ctx, args, environ, stdout, stderr)
	case "verify":
		return cmdVerify(ctx, args, environ, stdin, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "quickjwt", versionString())
		return nil
	case "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

const usage = `usage: quickjwt <command> [flags]

commands:
  serve     run the service (the default); SIGHUP reloads the keys
  keygen    make a signing key (-alg) or a client secret (-client)
  token     mint a token pair locally, from the configured keys
  verify    check a token and print its claims
  version   print the version

Run "quickjwt <command> -h" for a command's flags.
`
