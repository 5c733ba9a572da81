# SPDX-License-Identifier: Apache-2.0
# Copyright The parsecd Authors

# Sourced by qemu/suite.sh and qemu/ota.sh: settings, timing helpers and
# the making of one image.
#   . qemu/common.sh ARCH
# Environment: QEMU_BUILD (default build/qemu), QEMU_CACHE (default
# $QEMU_BUILD/cache), VERSION (stamp, default 0.1.0-dev), QEMU_TPM (see
# qemu/initramfs.sh), QEMU_TIMEOUT and QEMU_MEM (see qemu/boot.sh).
# shellcheck shell=bash disable=SC2034 # the variables are for the callers

arch=${1:-aarch64}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here/.." || exit 1
b=${QEMU_BUILD:-build/qemu}
cache=${QEMU_CACHE:-$b/cache}
version=${VERSION:-0.1.0-dev}
w=$b/$arch
root=$("$here/fetch.sh" "$arch" "$cache")
kernel=$(ls "$root"/boot/vmlinuz-*)

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# image NAME VERSION [TAGS]: binaries in $w/NAME/bin, $w/NAME/initramfs.cpio.gz.
image() {
	"$here/build.sh" "$arch" "$w/$1/bin" "$2" "${3:-}"
	"$here/initramfs.sh" "$arch" "$root" "$w/$1/bin" "$w/$1/initramfs.cpio.gz" "$2"
}

# A short-lived directory for swtpm's socket (a Unix socket path has at
# most 107 bytes, so not under the build directory) and the run's files.
run=$(mktemp -d "${TMPDIR:-/tmp}/parsec-qemu.XXXXXX")
trap 'rm -rf "$run"' EXIT
