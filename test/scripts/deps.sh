#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright The parsecd Authors
# Installs what `make test` needs on a fresh Debian machine, only when missing.
# Go itself must already be on PATH (README names the version; go-check.sh
# says what to install when it is missing or too old). It says what it
# changes, and waits for the dpkg lock when another apt holds it.
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
# make test-p11module drives libparsec-pkcs11.so with the real consumers:
# pkcs11-tool (opensc), OpenSSL's pkcs11 engine (libengine-pkcs11-openssl),
# curl (TLS client authentication), ssh-keygen/ssh and an sshd of the
# test's own, and p11-kit.
command -v pkcs11-tool >/dev/null 2>&1 || need+=(opensc)
compgen -G '/usr/lib/*/engines-3/pkcs11.so' >/dev/null || need+=(libengine-pkcs11-openssl)
command -v ssh >/dev/null 2>&1 || need+=(openssh-client)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v p11-kit >/dev/null 2>&1 || need+=(p11-kit)
command -v curl >/dev/null 2>&1 || need+=(curl)
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

# Another apt or dpkg (unattended-upgrades, a second make deps) may hold the
# dpkg lock: wait for it, up to 10 minutes, instead of failing at once.
APT=(apt-get -o DPkg::Lock::Timeout=600)
export DEBIAN_FRONTEND=noninteractive

# dpkg itself has no lock timeout: retry while another dpkg/apt runs.
dpkg_wait() {
	local i out
	for i in $(seq 120); do
		if out=$("$@" 2>&1); then
			return 0
		fi
		case $out in
		*lock*) [ "$i" = 1 ] && echo "deps.sh: waiting for the dpkg lock (another apt or dpkg is running; up to 10 minutes)"; sleep 5 ;;
		*) echo "$out" >&2; return 1 ;;
		esac
	done
	echo "deps.sh: the dpkg lock was still held after 10 minutes: $out" >&2
	return 1
}

if [ "$add_arch" = 1 ] || [ ${#need[@]} -gt 0 ]; then
	what=()
	[ "$add_arch" = 1 ] && what+=("add the arm64 architecture to dpkg/apt (dpkg --add-architecture arm64: apt then also fetches arm64 package lists; qemu/fetch.sh downloads the guest's arm64 packages)")
	[ ${#need[@]} -gt 0 ] && what+=("install the Debian packages ${need[*]}")
	if [ "$(id -u)" != 0 ]; then
		echo "deps.sh: make test needs to change this machine; run as root (sudo make deps) or do it yourself:" >&2
		for w in "${what[@]}"; do echo "  - $w" >&2; done
		[ "$add_arch" = 1 ] && echo "    sudo dpkg --add-architecture arm64" >&2
		[ ${#need[@]} -gt 0 ] && echo "    sudo apt-get update && sudo apt-get install --no-install-recommends ${need[*]}" >&2
		exit 1
	fi
	echo "deps.sh: changing this machine:"
	for w in "${what[@]}"; do echo "  - $w"; done
fi

if [ "$add_arch" = 1 ]; then
	dpkg_wait dpkg --add-architecture arm64
	echo "deps.sh: added the arm64 architecture (undo: dpkg --remove-architecture arm64 once no arm64 package is installed)"
fi

if [ "$add_arch" = 1 ] || [ ${#need[@]} -gt 0 ]; then
	echo "deps.sh: apt-get update"
	"${APT[@]}" update -qq
fi

if [ ${#need[@]} -gt 0 ]; then
	echo "deps.sh: apt-get install --no-install-recommends ${need[*]}"
	"${APT[@]}" install -y -qq --no-install-recommends "${need[@]}" >/dev/null
	echo "deps.sh: installed ${need[*]}"
fi

if ! msg=$("$(dirname "$0")/go-check.sh" go); then
	echo "deps.sh: $msg" >&2
	exit 1
fi
echo "deps.sh: all there; $(go version); $(protoc --version); $(openssl version); softhsm2 $(softhsm2-util --version); $(/usr/bin/cargo --version) with $(/usr/bin/rustc --version)"
