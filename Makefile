# quickjwt: see README.md. Every target works on a fresh machine with Go.
GO          ?= go
FUZZTIME    ?= 10s
COUNT       ?= 1
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

BENCHSTAT   ?= golang.org/x/perf/cmd/benchstat@latest

.PHONY: test lint unit fuzz bench bench-pkg loadtest run build

## run: the service on 127.0.0.1:8080 with the embedded defaults (config.yaml).
run:
	$(GO) run .

## test: formatting, go vet, staticcheck, then every test under the race detector.
test: lint unit

lint:
	@files=$$(find . -name '*.go' -not -path './.git/*'); out=$$(gofmt -l $$files); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	cd bench && $(GO) vet ./... && $(GO) run $(STATICCHECK) ./...

unit:
	$(GO) test -race -count=1 ./...
	cd bench && $(GO) test -race -count=1 ./...

## fuzz: every fuzz target for FUZZTIME (default 10s), one after another.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$t"; \
	    $(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

## bench: quickjwt against the Go JWT libraries, 10 rounds in one run: a
## benchstat table, then each implementation's ratio to quickjwt and to the
## HMAC floor (bench/README.md). Each round runs every benchmark once, so
## that a slow spell of this shared machine falls on all of them alike
## rather than on whichever ran then. Outputs go to bench/out/.
ROUNDS ?= 10
bench:
	mkdir -p bench/out
	cd bench && rm -f out/peers.txt out/scaling.txt && set -e && for i in $$(seq $(ROUNDS)); do \
	  echo "== round $$i of $(ROUNDS)"; \
	  $(GO) test -run '^$$' -bench '^Benchmark(SignPair|CheckAccess|Floor|PayloadSize)' -benchmem -count 1 -cpu 2 . > out/round.txt; \
	  cat out/round.txt >> out/peers.txt; \
	  $(GO) test -run '^$$' -bench 'Parallel' -benchmem -count 1 -cpu 1,2 . > out/round.txt; \
	  cat out/round.txt >> out/scaling.txt; \
	done
	$(GO) run $(BENCHSTAT) bench/out/peers.txt bench/out/scaling.txt
	cd bench && $(GO) run ./cmd/ratios < out/peers.txt

## bench-pkg: the package benchmarks of issuer, its stores, app and the service.
bench-pkg:
	$(GO) test -run '^$$' -bench . -benchmem -count $(COUNT) ./...

## loadtest: wrk against the service and the net/http + golang-jwt reference.
loadtest:
	cd bench && $(GO) run ./cmd/loadtest

## build: the service binary, ./quickjwt.
build:
	$(GO) build -o quickjwt .
