# Native Go fuzz targets (issue 13): the whole request path on the real
# service with the software provider, the protobuf conversion, the wire
# reader, the key store codec and the config parser. Their seeds are in the
# test files (f.Add) and in each package's testdata/fuzz/, which also keeps
# any failing input the fuzzer finds, so that a plain go test replays it.
# make test runs each for FUZZ_SHORT; make fuzz for FUZZ_LONG (one target at
# a time: go test -fuzz takes one target per run).
FUZZ_TARGETS := ./src/back:FuzzService ./src/psa:FuzzConvert ./src/wire:FuzzReadRequest \
	./storage/bolt:FuzzDecodeValue ./src/config:FuzzParse \
	./src/migrate:FuzzSQLite ./src/migrate:FuzzAttributes ./src/interface:FuzzCodec
FUZZ_SHORT ?= 15s
FUZZ_LONG  ?= 10m

define run-fuzz
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t##*:}; \
		echo "fuzz: $$fn in $$pkg for $(1)"; \
		$(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(1) $$pkg; \
	done
endef

.PHONY: test-fuzz fuzz
test-fuzz: ## every fuzz target for FUZZ_SHORT (15 s) each
	$(call run-fuzz,$(FUZZ_SHORT))

fuzz: ## every fuzz target for FUZZ_LONG (10 min) each
	$(call run-fuzz,$(FUZZ_LONG))
