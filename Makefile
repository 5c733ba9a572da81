# parsecd — see README.md. `make help` lists the targets.

GO        ?= go
BIN       ?= bin
VERSION   ?= $(or $(shell git describe --tags --match "v[0-9]*" 2>/dev/null | sed "s/^v//"),0.1.0-dev)
COMMIT    ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
VPKG      := github.com/parsecd/parsecd/src/internal/version
LDFLAGS   := -s -w -X $(VPKG).Version=$(VERSION) -X $(VPKG).Commit=$(COMMIT)
GOBUILD   := CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)"
STATICCHECK := $(GO) tool -modfile=test/tools/go.mod staticcheck

export CGO_ENABLED ?= 0

.PHONY: help build run test test-unit test-e2e race lint fmt-check vet staticcheck deps bench clean

help: ## list targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

build: ## build the static daemon and CLI into bin/
	$(GOBUILD) -o $(BIN)/parsecd ./src/cmd/parsecd
	$(GOBUILD) -o $(BIN)/parsec-tool ./src/cmd/parsec-tool

run: build ## run parsecd on its embedded default configuration
	@if [ "$$(id -u)" = 0 ]; then \
		echo "make run: running as root (socket /run/parsec/parsec.sock); parsecd is started with --allow-root"; \
		exec ./$(BIN)/parsecd --allow-root; \
	else \
		exec ./$(BIN)/parsecd; \
	fi

test: deps lint generate-check test-unit race ## run every test (installs what they need)
	@echo "make test: all tests passed"

deps: ## install the system packages the tests need (when missing)
	./test/scripts/deps.sh

test-unit: ## unit and end-to-end tests (go test ./...)
	$(GO) test -count=1 -timeout 600s ./...

test-e2e: ## only the end-to-end tests against the real binaries
	$(GO) test -count=1 -timeout 600s -v ./test/e2e/...

race: ## unit tests of the core under the race detector (needs cgo)
	CGO_ENABLED=1 $(GO) test -count=1 -race -timeout 600s ./src/... ./storage/... ./providers/...

lint: fmt-check vet staticcheck ## gofmt, go vet, staticcheck

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

staticcheck:
	$(STATICCHECK) ./...

bench: build ## throughput, latency and memory of parsecd vs in-process crypto and a bare socket floor
	$(GO) test -run '^$$' -bench . -benchmem ./src/wire/ ./storage/bolt/ ./providers/soft/
	$(GO) run ./test/bench -parsecd $(BIN)/parsecd

clean:
	rm -rf $(BIN)

include make/generate.mk
