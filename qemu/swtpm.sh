#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright The parsecd Authors
# Starts the guest's software TPM: a fresh swtpm process on a state
# directory (kept between boots when the caller reuses it: the OTA scenario
# does, as a real device keeps its TPM), reached by QEMU over one control
# socket (QEMU passes the data channel through it). --terminate makes it
# exit when QEMU closes the connection.
#
#   qemu/swtpm.sh STATEDIR SOCKET LOG
#
# SOCKET must be short (a Unix socket path has at most 107 bytes).
set -euo pipefail

state=${1:?usage: swtpm.sh STATEDIR SOCKET LOG}
sock=${2:?} log=${3:?}
mkdir -p "$state"
rm -f "$sock"
swtpm socket --tpm2 --tpmstate "dir=$state" --ctrl "type=unixio,path=$sock" \
	--log "file=$log,level=1" --pid "file=$state/swtpm.pid" --terminate --daemon
for _ in $(seq 50); do
	[ -S "$sock" ] && exit 0
	sleep 0.1
done
echo "qemu/swtpm.sh: swtpm did not create $sock (see $log)" >&2
exit 1
