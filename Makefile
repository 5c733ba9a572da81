# parsecd — see README.md. `make help` lists the targets.

GO        ?= go
BIN       ?= bin
VERSION   ?= $(or $(shell git describe --tags --match "v[0-9]*" 2>/dev/null | sed "s/^v//"),0.1.0-dev)
COMMIT    ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
VPKG      := github.com/parsecd/parsecd/src/internal/version
STAMP     := -X $(VPKG).Version=$(VERSION) -X $(VPKG).Commit=$(COMMIT)
LDFLAGS   := -s -w $(STAMP) -X $(VPKG).Tags=none
P11LDFLAGS := -s -w $(STAMP) -X $(VPKG).Tags=pkcs11
GOBUILD   := CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)"
STATICCHECK := $(GO) tool -modfile=test/tools/go.mod staticcheck
# The PKCS#11 provider needs cgo (miekg/pkcs11 dlopens the module): it is
# only in builds with the pkcs11 tag; the default build stays static.
P11TAGS     := -tags pkcs11
P11GO       := CGO_ENABLED=1 $(GO)
# The JwtSvid authenticator and parsec-tool's JWT-SVID source need the
# SPIFFE Workload API client (go-spiffe, gRPC: about +5 MB per binary): only
# in builds with the spiffe tag (as Parsec's non-default cargo feature).
# Those builds stay static.
SPIFFETAGS  := -tags spiffe
SPIFFELDFLAGS := -s -w $(STAMP) -X $(VPKG).Tags=spiffe

export CGO_ENABLED ?= 0

# A missing or too old Go stops make at once, in one line saying what to install.
ifneq ($(filter-out help clean,$(or $(MAKECMDGOALS),help)),)
GO_CHECK := $(shell ./test/scripts/go-check.sh '$(GO)')
$(if $(GO_CHECK),$(error $(GO_CHECK)))
endif

.PHONY: help build build-pkcs11 build-spiffe vet-spiffe staticcheck-spiffe cross test-arm run test test-unit test-e2e test-pkcs11 race lint fmt-check vet staticcheck vet-pkcs11 staticcheck-pkcs11 deps bench soak clean

help: ## list targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

build: ## build the static daemon and CLI into bin/
	$(GOBUILD) -o $(BIN)/parsecd ./src/cmd/parsecd
	$(GOBUILD) -o $(BIN)/parsec-tool ./src/cmd/parsec-tool

build-spiffe: ## build parsecd and parsec-tool with the JwtSvid authenticator / JWT-SVID source (static, -tags spiffe) into bin/parsecd-spiffe and bin/parsec-tool-spiffe
	CGO_ENABLED=0 $(GO) build -trimpath $(SPIFFETAGS) -ldflags "$(SPIFFELDFLAGS)" -o $(BIN)/parsecd-spiffe ./src/cmd/parsecd
	CGO_ENABLED=0 $(GO) build -trimpath $(SPIFFETAGS) -ldflags "$(SPIFFELDFLAGS)" -o $(BIN)/parsec-tool-spiffe ./src/cmd/parsec-tool

build-pkcs11: ## build parsecd with the PKCS#11 provider (cgo, dynamically linked) into bin/parsecd-pkcs11
	$(P11GO) build -trimpath $(P11TAGS) -ldflags "$(P11LDFLAGS)" -o $(BIN)/parsecd-pkcs11 ./src/cmd/parsecd

# The PKCS#11 module of issue 18 (docs/pkcs11-module.md): the other cgo
# artifact, a shared library consumers dlopen; the daemon stays static.
# go build also writes a C header of the exports beside it: not shipped.
.PHONY: pkcs11-module test-p11module
pkcs11-module: ## build the PKCS#11 module libparsec-pkcs11.so (cgo, -buildmode=c-shared, stripped) into bin/
	$(P11GO) build -buildmode=c-shared -trimpath -ldflags "$(LDFLAGS)" -o $(BIN)/libparsec-pkcs11.so ./src/cmd/libparsec-pkcs11
	rm -f $(BIN)/libparsec-pkcs11.h

# Static cross builds for Arm devices (CGO_ENABLED=0, stripped, stamped).
cross: ## build static parsecd and parsec-tool for linux/arm64 and linux/arm (GOARM=7) into bin/linux_arm64/ and bin/linux_armv7/
	GOOS=linux GOARCH=arm64 $(GOBUILD) -o $(BIN)/linux_arm64/parsecd ./src/cmd/parsecd
	GOOS=linux GOARCH=arm64 $(GOBUILD) -o $(BIN)/linux_arm64/parsec-tool ./src/cmd/parsec-tool
	GOOS=linux GOARCH=arm GOARM=7 $(GOBUILD) -o $(BIN)/linux_armv7/parsecd ./src/cmd/parsecd
	GOOS=linux GOARCH=arm GOARM=7 $(GOBUILD) -o $(BIN)/linux_armv7/parsec-tool ./src/cmd/parsec-tool
	@ls -l $(BIN)/linux_arm64/ $(BIN)/linux_armv7/

run: build ## run parsecd on its embedded default configuration
	@if [ "$$(id -u)" = 0 ]; then \
		echo "make run: running as root (socket /run/parsec/parsec.sock); parsecd is started with --allow-root"; \
		exec ./$(BIN)/parsecd --allow-root; \
	else \
		exec ./$(BIN)/parsecd; \
	fi

# make test runs each stage of TEST_STAGES in order (a sub-make each) and
# prints how long each took; a stage added with `TEST_STAGES += x` is timed.
TEST_STAGES := deps lint generate-check test-unit test-pkcs11 race test-rootfs test-arm
test: ## run every test (installs what they need); prints the time of each stage
	@./test/scripts/stages.sh '$(MAKE)' $(TEST_STAGES)
	@echo "make test: all tests passed"

deps: ## install the system packages the tests need (when missing)
	./test/scripts/deps.sh

test-unit: compat-client ## unit and end-to-end tests (go test ./...)
	$(COMPAT_ENV) $(GO) test -count=1 -timeout 600s ./...

# The module against pkcs11-tool, OpenSSL's pkcs11 engine, OpenSSH, p11-kit,
# two Unix users, parsec-tool and a forked child (test/e2e/p11module_test.go;
# the consumers come from deps.sh).
test-p11module: deps pkcs11-module ## libparsec-pkcs11.so with the real consumers (pkcs11-tool, OpenSSL engine, ssh/sshd, p11-kit) against the real parsecd
	PARSEC_P11_MODULE=$(CURDIR)/$(BIN)/libparsec-pkcs11.so $(P11GO) test -count=1 $(P11TAGS) -timeout 600s -run P11Module ./test/e2e/
TEST_STAGES += test-p11module

test-e2e: compat-client ## only the end-to-end tests against the real binaries
	$(COMPAT_ENV) $(GO) test -count=1 -timeout 600s -v ./test/e2e/...

test-pkcs11: build-pkcs11 compat-client ## PKCS#11 provider tests and end-to-end tests against SoftHSM2 (cgo, -tags pkcs11)
	$(P11GO) test -count=1 $(P11TAGS) -timeout 600s ./providers/pkcs11/
	$(COMPAT_ENV) $(P11GO) test -count=1 $(P11TAGS) -timeout 600s -run Pkcs11 ./test/e2e/

# The core's unit tests as arm64 binaries under qemu-user (static, so no
# sysroot): a byte-order or alignment bug cannot hide on amd64. Left out:
# test/e2e (runs the host's parsecd binaries) and providers/pkcs11 (cgo).
# Skipped: front's TestActivation, which re-executes the test binary through
# sh to keep its pid for LISTEN_PID, and TestPidFairness, which re-executes it
# for a client of another pid; the kernel cannot exec an arm64 binary
# without binfmt_misc, which qemu-user alone does not register.
TESTARM_PKGS ?= ./src/... ./storage/... ./providers/soft/...
TESTARM_SKIP ?= ^(TestActivation|TestPidFairness)$$
test-arm: ## core unit tests for linux/arm64 under qemu-aarch64 (Debian qemu-user)
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) test -count=1 -timeout 900s -exec qemu-aarch64 -skip '$(TESTARM_SKIP)' $(TESTARM_PKGS)

# Binary size budgets (issue 14): the stripped static arm64 parsecd and
# parsec-tool, cross-built as make cross does, against
# test/sizecheck/budgets.txt; over budget, it prints what grew per module
# and package since the committed baseline (go tool nm -size).
.PHONY: size-check size-baseline
size-check: ## fail when a stripped static arm64 binary crosses its budget in test/sizecheck/budgets.txt; prints what grew
	$(GO) run ./test/sizecheck -ldflags '$(LDFLAGS)'
TEST_STAGES += size-check

size-baseline: ## rewrite test/sizecheck/testdata/ (bytes per module and package) after raising a budget
	$(GO) run ./test/sizecheck -ldflags '$(LDFLAGS)' -update

.PHONY: test-rootfs
test-rootfs: build build-spiffe ## check rootfs/: systemd-analyze verify on the units, sysusers.d/tmpfiles.d, sh -n on the init script, parsecd --check-config on config.toml (and the SPIFFE example with bin/parsecd-spiffe)
	./test/scripts/check-rootfs.sh $(BIN)/parsecd $(BIN)/parsecd-spiffe

# meta-parsec/ and recipes/ (BitBake cannot run here): layer.conf fields,
# SUMMARY/LICENSE/LIC_FILES_CHKSUM md5s, file:// in SRC_URI, gomod .inc files
# current, no host paths, sh -n on scripts and recipe shell functions,
# py_compile of lib/, kas files and bblayers.conf.sample. --selftest first
# proves the lint fails on a broken fixture layer (test/scripts/testdata/lint-layer).
.PHONY: yocto-modules
yocto-modules: ## regenerate meta-parsec's gomod .inc files from go.mod/go.sum (run after any dependency change; test-layer fails while they are stale)
	$(GO) mod download
	python3 test/scripts/gen-gomods.py

.PHONY: test-layer
test-layer: ## lint the BitBake layer meta-parsec/ and recipes/ (after a self-test on broken fixtures)
	python3 test/scripts/lint-layer.py --selftest
	python3 test/scripts/lint-layer.py
TEST_STAGES += test-layer

# Real BitBake on the layer (not in make test: it needs the wrynose layer
# stack of test/scripts/yocto-pins in LAYERS, FETCH=1 clones it there, and
# takes minutes per parse); runs BitBake as a non-root user (YOCTO_USER).
.PHONY: test-bitbake
test-bitbake: ## bitbake -p, bitbake -e checks of parsec-service (default, pkcs11) and parsec-tool, bitbake -c unpack; LAYERS=<dir with the pinned layers> [FETCH=1] (test/scripts/test-bitbake.sh)
	@test -n "$(LAYERS)" || { echo "make test-bitbake: set LAYERS=<dir> holding the repositories of test/scripts/yocto-pins (FETCH=1 clones them)" >&2; exit 1; }
	LAYERS='$(LAYERS)' ./test/scripts/test-bitbake.sh

# The TPM provider's tests against a fresh swtpm (test/scripts/swtpm.sh):
# PARSEC_TEST_TCTI names it; without it the tests start a swtpm of their
# own (as under make test-unit), and a swtpm that cannot start is a failure,
# not a skip. The end-to-end TPM tests start one swtpm per daemon.
.PHONY: test-tpm
test-tpm: deps compat-client ## TPM provider and end-to-end TPM tests against fresh swtpms (temporary state dirs)
	@out=$$(./test/scripts/swtpm.sh start) || exit 1; eval "$$out"; \
	trap './test/scripts/swtpm.sh stop "$$SWTPM_DIR"' EXIT; \
	echo "test-tpm: PARSEC_TEST_TCTI=$$PARSEC_TEST_TCTI"; \
	PARSEC_TEST_TCTI="$$PARSEC_TEST_TCTI" $(GO) test -count=1 -timeout 600s ./providers/tpm/...
	$(COMPAT_ENV) $(GO) test -count=1 -timeout 600s -run Tpm ./test/e2e/
TEST_STAGES += test-tpm

# A real Parsec client (issue 11): test/compat is a Rust program built on
# Parsec's own wire-protocol crate parsec-interface 0.27, from Debian's
# packaged crates (librust-parsec-interface-dev) with Debian's cargo and
# rustc, offline (test/compat/.cargo/config.toml replaces crates.io with
# /usr/share/cargo/registry). The e2e tests run it against parsecd with the
# software, TPM (swtpm) and PKCS#11 (SoftHSM2, cgo build) providers; it
# fails on any failed check and on a listed opcode it cannot exercise.
COMPAT_CARGO ?= /usr/bin/cargo
COMPAT_RUSTC ?= /usr/bin/rustc
COMPAT_DIR   := build/compat
# The e2e runs (test-unit, test-tpm, test-pkcs11, test-compat) use the client
# built by compat-client, so its cold build is not inside a go test timeout.
COMPAT_ENV   := PARSEC_COMPAT_CLIENT=$(CURDIR)/$(COMPAT_DIR)/debug/parsec-compat-client
.PHONY: compat-client test-compat
compat-client: ## build the Rust Parsec client test/compat offline from Debian's crates into build/compat/
	@test -x $(COMPAT_CARGO) -a -x $(COMPAT_RUSTC) || { echo "compat-client: $(COMPAT_CARGO) or $(COMPAT_RUSTC) is missing: make deps installs Debian's cargo, rustc and librust-parsec-interface-dev" >&2; exit 1; }
	cd test/compat && RUSTC=$(COMPAT_RUSTC) $(COMPAT_CARGO) build --offline --locked --target-dir $(CURDIR)/$(COMPAT_DIR)

test-compat: deps compat-client ## the Rust client on parsec-interface against parsecd: software, TPM on swtpm, PKCS#11 on SoftHSM2
	$(COMPAT_ENV) $(P11GO) test -count=1 $(P11TAGS) -timeout 600s -run Compat ./test/e2e/
TEST_STAGES += test-compat

# The JwtSvid authenticator and several authenticators at once (issue 15)
# against a real SPIRE server and agent. SPIRE is a test tool: it is built
# from test/spire/tool's go.mod (tool directives pinning v1.13.3), never from
# parsecd's, into build/spire/bin; GOCACHE makes a warm rebuild take seconds.
# Its sqlite datastore needs cgo. The tests are the module test/spire.
SPIRE_BIN := build/spire/bin
.PHONY: spire test-spiffe
spire: ## build the SPIRE server and agent (test tool, test/spire/tool) into build/spire/bin
	cd test/spire/tool && CGO_ENABLED=1 $(GO) build -o $(CURDIR)/$(SPIRE_BIN)/ github.com/spiffe/spire/cmd/spire-server github.com/spiffe/spire/cmd/spire-agent

test-spiffe: deps spire build-spiffe ## JwtSvid, several authenticators, the Go client and parsec-tool against a real SPIRE server and agent (test/spire, as root)
	cd test/spire && $(GO) vet ./...
	cd test/spire && PARSEC_SPIRE_BIN=$(CURDIR)/$(SPIRE_BIN) PARSEC_SPIFFE_PARSECD=$(CURDIR)/$(BIN)/parsecd-spiffe PARSEC_SPIFFE_TOOL=$(CURDIR)/$(BIN)/parsec-tool-spiffe $(GO) test -count=1 -timeout 600s ./...
TEST_STAGES += test-spiffe

race: ## unit tests of the core under the race detector (needs cgo)
	CGO_ENABLED=1 $(GO) test -count=1 -race -timeout 600s ./src/... ./storage/... ./providers/...

lint: lint-paths lint-spdx fmt-check vet staticcheck vet-pkcs11 staticcheck-pkcs11 vet-spiffe staticcheck-spiffe ## no path outside the repository; SPDX headers; gofmt, go vet, staticcheck (default, pkcs11 and spiffe builds)

# Every Go, shell, Python, Rust and .proto file starts with the Apache-2.0
# SPDX line (LICENSE); `test/scripts/spdx.sh --fix` adds it after a merge.
.PHONY: lint-spdx
lint-spdx: ## fail if a source file lacks `SPDX-License-Identifier: Apache-2.0` (test/scripts/spdx.sh; --fix adds it)
	./test/scripts/spdx.sh --selftest
	./test/scripts/spdx.sh --check

.PHONY: lint-paths
lint-paths: ## fail if a tracked file names a path outside the repository (test/scripts/lint-paths.sh; test inputs live in the repository)
	./test/scripts/lint-paths.sh --selftest
	./test/scripts/lint-paths.sh

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

staticcheck:
	$(STATICCHECK) ./...

vet-pkcs11:
	$(P11GO) vet $(P11TAGS) ./...

staticcheck-pkcs11:
	CGO_ENABLED=1 $(STATICCHECK) $(P11TAGS) ./...

vet-spiffe:
	$(GO) vet $(SPIFFETAGS) ./...

staticcheck-spiffe:
	$(STATICCHECK) $(SPIFFETAGS) ./...

bench: build build-pkcs11 pkcs11-module ## throughput, latency and memory of parsecd vs in-process crypto and a bare socket floor; memory under mixed load; 100,000 keys; PKCS#11 sign vs direct C_Sign; TPM sign vs direct go-tpm; the PKCS#11 module vs the client and pkcs11-tool --sign rounds; binary sizes vs their targets
	$(GO) run ./test/sizecheck -ldflags '$(LDFLAGS)' -report
	$(GO) test -run '^$$' -bench . -benchmem ./src/wire/ ./storage/bolt/ ./providers/soft/
	$(GO) run ./test/bench -parsecd $(BIN)/parsecd
	$(GO) run ./test/bench -memory -parsecd $(BIN)/parsecd
	$(GO) run ./test/bench -scale -parsecd $(BIN)/parsecd
	$(P11GO) run $(P11TAGS) ./test/bench -pkcs11 -parsecd $(BIN)/parsecd-pkcs11
	$(GO) run ./test/bench -tpm -parsecd $(BIN)/parsecd
	$(P11GO) run $(P11TAGS) ./test/bench -p11module $(BIN)/libparsec-pkcs11.so -parsecd $(BIN)/parsecd

# Not part of make test: it takes about a minute and measures, it asserts
# nothing. As root the flood runs as uid 65534 (see docs/benchmarks.md).
soak: build ## a client's ping and sign latency while 1,000 connections flood parsecd with one byte or a trickled body (test/soak)
	$(GO) run ./test/soak -parsecd $(BIN)/parsecd

clean:
	rm -rf $(BIN) build/compat

include make/generate.mk

include make/qemu.mk
TEST_STAGES += test-qemu

include make/fuzz.mk
TEST_STAGES += test-fuzz
