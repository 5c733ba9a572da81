#!/usr/bin/env bash
# make test-qemu: boots the test image once and runs the in-guest suite.
#
#   qemu/suite.sh [ARCH]            ARCH: aarch64 (default) or x86_64
#
# Environment: QEMU_BUILD (default build/qemu), QEMU_CACHE (default
# $QEMU_BUILD/cache), VERSION (stamp), QEMU_TPM (1: the guest config has
# the TPM provider; 0: software + PKCS#11 only), QEMU_TIMEOUT, QEMU_MEM.
set -euo pipefail

arch=${1:-aarch64}
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.."
b=${QEMU_BUILD:-build/qemu}
cache=${QEMU_CACHE:-$b/cache}
version=${VERSION:-0.1.0-dev}
w=$b/$arch
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

t0=$(now)
root=$("$here/fetch.sh" "$arch" "$cache")
"$here/build.sh" "$arch" "$w/bin" "$version"
"$here/initramfs.sh" "$arch" "$root" "$w/bin" "$w/initramfs.cpio.gz" "$version"
t1=$(now)

run=$(mktemp -d "${TMPDIR:-/tmp}/parsec-qemu.XXXXXX")
trap 'rm -rf "$run"' EXIT
"$here/swtpm.sh" "$run/tpmstate" "$run/swtpm.sock" "$run/swtpm.log"
log=$w/console-suite.log
"$here/boot.sh" "$arch" "$(ls "$root"/boot/vmlinuz-*)" "$w/initramfs.cpio.gz" "$run/swtpm.sock" "$log" suite
t2=$(now)

echo "test-qemu ($arch): prepare $(secs "$t0" "$t1") s, boot+tests+poweroff $(secs "$t1" "$t2") s, initramfs $(du -k "$w/initramfs.cpio.gz" | cut -f1) KiB; console: $log"
checks=(tpm-device softhsm-token rootfs-config parsecd-start e2e-binary
	TestGuestDaemonUser TestGuestProviders TestGuestCrossProvider TestGuestUnixUsers TestGuestRestart)
"$here/judge.sh" "$log" "${checks[@]}"
echo "test-qemu ($arch): PASS"
