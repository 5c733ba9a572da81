#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright The parsecd Authors
# shellcheck source-path=SCRIPTDIR
# Boots the test image once and writes its serial console to LOG:
#
#   qemu/boot.sh ARCH KERNEL INITRD TPMSOCK LOG SCENARIO [DISK]
#
# The kernel and initramfs are loaded directly (no firmware, no disk
# image), with QEMU's TIS TPM on the swtpm at TPMSOCK and, when DISK is
# given, a raw virtio-blk data disk (the guest's /dev/vda). SCENARIO goes
# to the guest as parsec.scenario=. QEMU exits 0 whether the guest passed,
# failed or panicked: only qemu/judge.sh decides, from LOG. timeout
# (QEMU_TIMEOUT seconds, default 300) bounds a hung guest.
set -euo pipefail

arch=${1:?usage: boot.sh ARCH KERNEL INITRD TPMSOCK LOG SCENARIO [DISK]}
kernel=${2:?} initrd=${3:?} sock=${4:?} log=${5:?} scenario=${6:?} disk=${7:-}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=arch.sh
. "$here/arch.sh" "$arch"

args=("${QEMU_MACHINE[@]}" -smp 1 -m "${QEMU_MEM:-768}" -accel tcg
	-nodefaults -no-user-config -display none -no-reboot
	-serial "file:$log"
	-kernel "$kernel" -initrd "$initrd"
	-append "console=$CONSOLE panic=-1 quiet parsec.scenario=$scenario"
	-chardev "socket,id=chrtpm,path=$sock"
	-tpmdev "emulator,id=tpm0,chardev=chrtpm" -device "$TPM_DEVICE,tpmdev=tpm0")
if [ -n "$disk" ]; then
	args+=(-drive "file=$disk,format=raw,if=none,id=data" -device "$BLK_DEVICE,drive=data")
fi
rc=0
timeout --foreground -k 5 "${QEMU_TIMEOUT:-300}" "$QEMU_BIN" "${args[@]}" || rc=$?
if [ "$rc" = 124 ]; then
	echo "qemu/boot.sh: the guest did not power off within ${QEMU_TIMEOUT:-300} s" >&2
fi
exit 0
