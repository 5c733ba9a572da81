# SPDX-License-Identifier: Apache-2.0
# Copyright The parsecd Authors

# Sourced by the qemu/ scripts: the facts of one guest architecture.
#   . qemu/arch.sh ARCH     (aarch64, the default image, or x86_64)
# Sets GUEST_GOARCH, DEBARCH, TRIPLET, CROSS_CC, QEMU_BIN, QEMU_MACHINE (array),
# TPM_DEVICE (QEMU's TIS device), BLK_DEVICE (the data disk's virtio
# device), CONSOLE and GUEST_MODULES (the drivers of both: qemu/initramfs.sh
# skips those the kernel has built in and adds the dependencies).
# shellcheck shell=bash disable=SC2034 # the variables are for the callers

case "${1:?arch.sh needs ARCH}" in
aarch64)
	GUEST_GOARCH=arm64 DEBARCH=arm64 TRIPLET=aarch64-linux-gnu CROSS_CC=aarch64-linux-gnu-gcc
	QEMU_BIN=qemu-system-aarch64
	# cortex-a57: -cpu max is about 5x slower (pointer-authentication emulation).
	QEMU_MACHINE=(-M virt -cpu cortex-a57)
	TPM_DEVICE=tpm-tis-device BLK_DEVICE=virtio-blk-device CONSOLE=ttyAMA0
	# The cloud arm64 kernel has tpm_tis and virtio as modules.
	GUEST_MODULES="tpm_tis virtio_mmio virtio_blk"
	;;
x86_64)
	GUEST_GOARCH=amd64 DEBARCH=amd64 TRIPLET=x86_64-linux-gnu CROSS_CC=x86_64-linux-gnu-gcc
	QEMU_BIN=qemu-system-x86_64
	# q35 (microvm hung in tests); -cpu max for RDRAND (entropy at boot).
	QEMU_MACHINE=(-M q35 -cpu max)
	TPM_DEVICE=tpm-tis BLK_DEVICE=virtio-blk-pci CONSOLE=ttyS0
	GUEST_MODULES="tpm_tis virtio_pci virtio_blk"
	;;
*)
	echo "qemu/arch.sh: unknown ARCH $1 (aarch64 or x86_64)" >&2
	exit 2
	;;
esac
if [ "$(uname -m)" = "$1" ] && ! command -v "$CROSS_CC" >/dev/null 2>&1; then
	CROSS_CC=gcc
fi
