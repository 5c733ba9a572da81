# make test-qemu: boot a small arm64 image (Debian cloud kernel + initramfs
# with our cross-built binaries) under QEMU with swtpm and SoftHSM2, and run
# the in-guest end-to-end suite, then the OTA update scenario. See
# qemu/README.md. QEMU_ARCH=x86_64 boots a q35 guest instead; QEMU_TPM=0
# leaves the TPM provider out of the guest config (auto: only if the tree
# has one).
QEMU_ARCH ?= aarch64
QEMU_TPM  ?= 1
QEMU_ENV  := VERSION=$(VERSION) QEMU_TPM=$(QEMU_TPM)

.PHONY: test-qemu test-qemu-suite test-qemu-ota
test-qemu: test-qemu-suite test-qemu-ota ## boot the arm64 test image (swtpm, SoftHSM2): in-guest e2e suite, then the OTA update scenario

test-qemu-suite: deps ## only the in-guest end-to-end suite (QEMU_ARCH=aarch64|x86_64)
	$(QEMU_ENV) ./qemu/suite.sh $(QEMU_ARCH)

test-qemu-ota: deps ## OTA scenario: image N makes keys on a data disk, N+1 (newer, store schema 2) keeps them, N again refuses the store
	$(QEMU_ENV) ./qemu/ota.sh $(QEMU_ARCH)

# qemu/'s scripts (shellcheck) and the otatest build of storage/bolt, which
# the default lint cannot see.
.PHONY: lint-qemu
lint-qemu: ## shellcheck qemu/ scripts and the guest /init; vet and staticcheck storage/bolt with -tags otatest
	shellcheck -x qemu/*.sh
	shellcheck -s sh qemu/guest/init
	$(GO) vet -tags otatest ./storage/bolt/
	$(STATICCHECK) -tags otatest ./storage/bolt/
lint: lint-qemu
