#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright The parsecd Authors
# shellcheck source-path=SCRIPTDIR
# make test-qemu-ota: the OTA update scenario, three boots on one data disk
# (an ext4 image holding /var/lib/parsec: key store and SoftHSM token) and
# one TPM state directory:
#
#   1. image N    (parsecd VERSION)                       ota-create
#   -  image N+1, power cut in the middle of the migration  ota-powercut
#   -  image N    after the power cut (all keys there)     ota-afterpowercut
#   2. image N+1  (VERSION's minor + 1, -tags otatest:    ota-verify
#                  store schema 2, a v1->v2 migration)
#   3. image N    again (rollback: its snapshot)          ota-rollback
#   4. image N+1  again (merge, then commit-update)       ota-reverify
#   5. image N    after the commit (refuses the store)    ota-committed
#
#   qemu/ota.sh [ARCH]
#
# The guest side is TestGuestOTA (test/e2e/guest_test.go); this script only
# builds, boots and judges. Environment: see qemu/common.sh.
set -euo pipefail

t0=$(date +%s.%N)
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh" "${1:-aarch64}"
# N+1: the next minor version of N's major.minor.patch.
IFS=. read -r maj min _ <<<"${version%%-*}"
[[ "$maj" =~ ^[0-9]+$ && "$min" =~ ^[0-9]+$ ]] || { maj=0 min=0; }
next="$maj.$((min + 1)).0-ota"
image ota-n "$version"
image ota-n1 "$next" otatest

disk=$run/data.img
truncate -s 64M "$disk"
mke2fs -q -t ext4 -L parsec-data -F "$disk"
t1=$(now)
echo "test-qemu-ota ($arch): prepare $(secs "$t0" "$t1") s (image N $version, image N+1 $next)"

# boot IMAGE SCENARIO CHECK...: one boot on the shared disk and TPM state.
boot() {
	local image=$1 scenario=$2 t log
	shift 2
	log=$w/console-$scenario.log
	t=$(now)
	"$here/swtpm.sh" "$run/tpmstate" "$run/swtpm.sock" "$run/swtpm.log"
	"$here/boot.sh" "$arch" "$kernel" "$w/$image/initramfs.cpio.gz" "$run/swtpm.sock" "$log" "$scenario" "$disk"
	echo "test-qemu-ota ($arch): $scenario ($image): $(secs "$t" "$(now)") s; console: $log"
	"$here/judge.sh" "$log" tpm-device data-disk softhsm-token e2e-binary TestGuestOTA "$@"
}
# powercut IMAGE SCENARIO: one boot whose power is cut (QEMU killed) as
# soon as the guest says the migration is under way.
powercut() {
	local image=$1 scenario=$2 log t pid i
	log=$w/console-$scenario.log
	t=$(now)
	rm -f "$log"
	"$here/swtpm.sh" "$run/tpmstate" "$run/swtpm.sock" "$run/swtpm.log"
	"$here/boot.sh" "$arch" "$kernel" "$w/$image/initramfs.cpio.gz" "$run/swtpm.sock" "$log" "$scenario" "$disk" &
	pid=$!
	for ((i = 0; i < 1200; i++)); do
		grep -q GUEST-POWERCUT-NOW "$log" 2>/dev/null && break
		sleep 0.1
	done
	if ! grep -q GUEST-POWERCUT-NOW "$log" 2>/dev/null; then
		wait "$pid" || true
		echo "test-qemu-ota ($arch): $scenario: the migration never reached the power cut; console: $log"
		tail -n 40 "$log" | tr -d '\r'
		exit 1
	fi
	pkill -KILL -f -- "file:$log" || true
	wait "$pid" || true
	echo "test-qemu-ota ($arch): $scenario ($image): power cut mid-migration after $(secs "$t" "$(now)") s; console: $log"
}
boot ota-n ota-create parsecd-start
powercut ota-n1 ota-powercut
boot ota-n ota-afterpowercut parsecd-start
boot ota-n1 ota-verify parsecd-start
boot ota-n ota-rollback parsecd-start
boot ota-n1 ota-reverify parsecd-start
boot ota-n ota-committed
echo "test-qemu-ota ($arch): PASS"
