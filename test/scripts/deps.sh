#!/usr/bin/env bash
# Installs what `make test` needs on a fresh Debian machine, only when missing.
# Go itself must already be on PATH (the machine's toolchain).
set -euo pipefail

need=()
command -v protoc >/dev/null 2>&1 || need+=(protobuf-compiler)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
command -v git >/dev/null 2>&1 || need+=(git)
# cgo (the race detector and the PKCS#11 build) needs the C library headers.
[ -e /usr/include/stdlib.h ] || need+=(libc6-dev)
# The PKCS#11 tests run against SoftHSM2: its module and softhsm2-util.
if ! command -v softhsm2-util >/dev/null 2>&1 || [ ! -e /usr/lib/softhsm/libsofthsm2.so ]; then
	need+=(softhsm2)
fi
# make test-arm runs the arm64 unit tests under qemu-user (the binaries are static).
command -v qemu-aarch64 >/dev/null 2>&1 || need+=(qemu-user)
# make test-rootfs checks rootfs/'s units and sysusers.d/tmpfiles.d with
# systemd-analyze, systemd-sysusers and systemd-tmpfiles (package systemd).
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
# The TPM provider's tests run against swtpm (test/scripts/swtpm.sh starts it).
command -v swtpm >/dev/null 2>&1 || need+=(swtpm swtpm-tools)
# make test-qemu (qemu/): QEMU for both guest kinds, busybox-static (the
# guest gets its own arch's busybox from qemu/fetch.sh; any host busybox
# will do here), cpio for the initramfs, readelf (binutils) for the guest's
# library closure, a cross C toolchain for the arm64 PKCS#11 (cgo) build,
# mke2fs for the OTA scenario's data disk, shellcheck for qemu/'s scripts.
command -v qemu-system-aarch64 >/dev/null 2>&1 || need+=(qemu-system-arm)
command -v qemu-system-x86_64 >/dev/null 2>&1 || need+=(qemu-system-x86)
[ -e /bin/busybox ] || need+=(busybox-static)
command -v cpio >/dev/null 2>&1 || need+=(cpio)
command -v readelf >/dev/null 2>&1 || need+=(binutils)
command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || need+=(gcc-aarch64-linux-gnu)
[ -e /usr/aarch64-linux-gnu/include/stdlib.h ] || need+=(libc6-dev-arm64-cross)
command -v mke2fs >/dev/null 2>&1 || need+=(e2fsprogs)
command -v shellcheck >/dev/null 2>&1 || need+=(shellcheck)
# make test-compat: the Rust Parsec client of test/compat, built offline
# with Debian's cargo and rustc from Debian's packaged crates (parsec-interface
# 0.27 and what it needs, plus libc and zeroize, which the client uses too).
[ -x /usr/bin/cargo ] || need+=(cargo)
[ -x /usr/bin/rustc ] || need+=(rustc)
[ -e /usr/share/cargo/registry/parsec-interface-0.27.0/Cargo.toml ] || need+=(librust-parsec-interface-dev)
compgen -G '/usr/share/cargo/registry/libc-0.2.*' >/dev/null || need+=(librust-libc-dev)
compgen -G '/usr/share/cargo/registry/zeroize-1.*' >/dev/null || need+=(librust-zeroize-dev)
# The guest's parts are arm64 (and amd64) Debian packages fetched with
# apt-get download (qemu/fetch.sh): apt must know the arm64 architecture.
add_arch=0
if [ "$(dpkg --print-architecture)" != arm64 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
	add_arch=1
fi

if [ "$add_arch" = 1 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "deps.sh: apt lacks the arm64 architecture; run as root or: dpkg --add-architecture arm64 && apt-get update" >&2
		exit 1
	fi
	echo "deps.sh: adding the arm64 architecture to apt"
	dpkg --add-architecture arm64
	apt-get update -qq
fi

if [ ${#need[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "deps.sh: missing ${need[*]}; run as root or install them: apt-get install ${need[*]}" >&2
		exit 1
	fi
	echo "deps.sh: installing ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

command -v go >/dev/null 2>&1 || { echo "deps.sh: go is not on PATH" >&2; exit 1; }
echo "deps.sh: $(go version); $(protoc --version); $(openssl version); softhsm2 $(softhsm2-util --version); $(/usr/bin/cargo --version) with $(/usr/bin/rustc --version)"
