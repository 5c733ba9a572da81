#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright The parsecd Authors
# shellcheck source-path=SCRIPTDIR
# make test-qemu-suite: boots the test image once and runs the in-guest
# end-to-end suite (TestGuest* in test/e2e/guest_test.go).
#
#   qemu/suite.sh [ARCH]            ARCH: aarch64 (default) or x86_64
#
# Environment: see qemu/common.sh.
set -euo pipefail

t0=$(date +%s.%N)
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh" "${1:-aarch64}"
image suite "$version"
t1=$(now)

"$here/swtpm.sh" "$run/tpmstate" "$run/swtpm.sock" "$run/swtpm.log"
log=$w/console-suite.log
"$here/boot.sh" "$arch" "$kernel" "$w/suite/initramfs.cpio.gz" "$run/swtpm.sock" "$log" suite
t2=$(now)

echo "test-qemu ($arch): prepare $(secs "$t0" "$t1") s, boot+tests+poweroff $(secs "$t1" "$t2") s, initramfs $(du -k "$w/suite/initramfs.cpio.gz" | cut -f1) KiB; console: $log"
"$here/judge.sh" "$log" tpm-device softhsm-token rootfs-config parsecd-start e2e-binary \
	TestGuestDaemonUser TestGuestProviders TestGuestCrossProvider TestGuestUnixUsers TestGuestRestart \
	parsec-cli-tests
echo "test-qemu ($arch): PASS"
