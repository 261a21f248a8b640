# quickjwt: see README.md. Every target works on a fresh machine with Go.
GO          ?= go
FUZZTIME    ?= 10s
COUNT       ?= 1
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: test lint unit fuzz bench run build

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

unit:
	$(GO) test -race -count=1 ./...

## fuzz: every fuzz target for FUZZTIME (default 10s), one after another.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$t"; \
	    $(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

## bench: the benchmarks of issuer, its stores and app (COUNT=10 for benchstat).
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count $(COUNT) ./issuer/... ./app/

## build: the service binary, ./quickjwt.
build:
	$(GO) build -o quickjwt .
