#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright The parsecd Authors
# shellcheck source-path=SCRIPTDIR
# Assembles the guest's initramfs (gzip'd newc cpio, built unprivileged):
#
#   qemu/initramfs.sh ARCH ROOT BIN OUT VERSION
#
#   ROOT  the unpacked Debian packages (qemu/fetch.sh)
#   BIN   the cross-built binaries (qemu/build.sh)
#   OUT   the .cpio.gz to write; OUT.d is its staging tree
#   VERSION  the version stamped into BIN's parsecd (the guest checks it)
#
# Contents: busybox, qemu/guest/init as /init, the TPM TIS and virtio-blk modules (with
# their dependencies, in load order, from each module's depends=), SoftHSM
# (softhsm2-util and the module at Debian's /usr/lib/softhsm path) with the
# ELF closure (DT_NEEDED, recursively) of it, of openssl and of the cgo
# parsecd, meta-parsec's parsec-cli-tests.sh where the parsec-tool package
# installs it (/usr/bin), and the files of rootfs/: the init script, configs,
# sysusers.d and tmpfiles.d that /init applies as systemd would. The parsecd
# binary goes where the init script expects it (/usr/libexec/parsec/parsecd).
set -euo pipefail

die() { echo "qemu/initramfs.sh: $*" >&2; exit 1; }

arch=${1:?usage: initramfs.sh ARCH ROOT BIN OUT VERSION}
root=${2:?} bin=${3:?} out=${4:?} version=${5:?}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=arch.sh
. "$here/arch.sh" "$arch"
# QEMU_TPM: 1 (default) = the guest config has the TPM provider, 0 = it
# has not, auto = 1 when this tree's parsecd registers a TPM provider.
tpm=${QEMU_TPM:-1}
if [ "$tpm" = auto ]; then
	tpm=0
	for f in "$here"/../providers/tpm/*.go; do
		case "$f" in *_test.go) continue ;; esac
		grep -qs 'provider\.Register(' "$f" && tpm=1
	done
	if [ "$tpm" = 1 ] && ! (cd "$here/.." && ${GO:-go} list -deps ./src/cmd/parsecd | grep -q '/providers/tpm$'); then
		tpm=0
	fi
	[ "$tpm" = 1 ] || echo "qemu/initramfs.sh: QEMU_TPM=auto: this tree's parsecd has no TPM provider: the guest runs Software and PKCS#11 only" >&2
fi
case "$tpm" in 0 | 1) ;; *) die "QEMU_TPM=$tpm: want 1, 0 or auto" ;; esac

st=$out.d
rm -rf "$st"
mkdir -p "$st"/{bin,sbin,usr/bin,usr/sbin,usr/libexec/parsec,usr/lib/softhsm,etc/qemu,etc/default,etc/softhsm,dev,proc,sys,run,tmp,var/lib,var/log,data,root}

# rootfs/ (the same files a real image installs), then the guest's own files.
cp -a "$here/../rootfs/." "$st/"
rm -f "$st/README.md"
install -m 0755 "$here/guest/init" "$st/init"
install -m 0755 "$root/bin/busybox" "$st/bin/busybox"
install -m 0755 "$bin/parsecd" "$st/usr/libexec/parsec/parsecd"
install -m 0755 "$bin/parsecd-static" "$st/usr/libexec/parsec/parsecd-static"
install -m 0755 "$bin/parsec-tool" "$st/usr/bin/parsec-tool"
install -m 0755 "$bin/e2e.test" "$st/usr/libexec/parsec/e2e.test"
install -m 0755 "$here/../meta-parsec/recipes-parsec/parsec-tool/files/parsec-cli-tests.sh" "$st/usr/bin/parsec-cli-tests.sh"
# The OTA scenario's Parsec store: written by the real Parsec 1.1.0 (test data).
mkdir -p "$st/usr/share/parsecd-test"
cp -a "$here/../src/migrate/testdata/parsec-1.1.0/sqlite" "$st/usr/share/parsecd-test/parsec-sqlite"
cat >"$st/etc/default/parsec" <<'CONF'
# qemu/ test image: parsecd with every provider (rootfs/usr/share/parsec/config-qemu.toml).
CONFIG=/usr/share/parsec/config-qemu.toml
CONF
providers=Software,Pkcs11
if [ "$tpm" = 1 ]; then
	providers+=,Tpm
else
	sed -i '/^# BEGIN tpm/,/^# END tpm/d' "$st/usr/share/parsec/config-qemu.toml"
fi
cat >"$st/etc/softhsm/softhsm2.conf" <<'CONF'
# SoftHSM2 of the qemu/ test image: tokens next to parsecd's key store.
directories.tokendir = /var/lib/parsec/softhsm/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
CONF
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$st/etc/passwd"
printf 'root:x:0:\n' >"$st/etc/group"

# Kernel modules: the TIS and virtio-blk drivers and what they depend on,
# dependencies first.
kver=$(basename "$(ls -d "$root"/lib/modules/*/)")
mods=()
add_module() {
	local name=$1 ko dep
	[[ " ${mods[*]} " == *" $name.ko "* ]] && return
	grep -q "/$name.ko$" "$root/lib/modules/$kver/modules.builtin" && return
	ko=$(find "$root/lib/modules/$kver/kernel" -name "$name.ko" -print -quit)
	[ -n "$ko" ] || die "module $name is neither built in nor in $root/lib/modules/$kver"
	for dep in $(readelf -p .modinfo "$ko" | sed -n 's/.*\]  depends=//p' | tr ',' ' '); do
		add_module "$dep"
	done
	mkdir -p "$st/lib/modules/$kver"
	cp "$ko" "$st/lib/modules/$kver/"
	mods+=("$name.ko")
}
for m in $GUEST_MODULES; do add_module "$m"; done
printf '%s\n' "${mods[@]}" >"$st/etc/qemu/modules"
{
	echo "KVER=$kver"
	echo "PARSEC_GUEST_PROVIDERS=$providers"
	echo "PARSEC_GUEST_VERSION=$version"
} >"$st/etc/qemu/env"

# SoftHSM, and the shared libraries of every dynamic executable, recursively.
lib=$root/usr/lib/$TRIPLET
install -m 0755 "$root/usr/bin/softhsm2-util" "$st/usr/bin/softhsm2-util"
# The module at its multiarch path (softhsm2-util's default) and, as
# Debian's postinst links it, at /usr/lib/softhsm (the path configs name).
mkdir -p "$st/usr/lib/$TRIPLET/softhsm"
install -m 0644 "$lib/softhsm/libsofthsm2.so" "$st/usr/lib/$TRIPLET/softhsm/libsofthsm2.so"
ln -s "../$TRIPLET/softhsm/libsofthsm2.so" "$st/usr/lib/softhsm/libsofthsm2.so"
# openssl for parsec-cli-tests.sh, with its config at Debian's OPENSSLDIR
# (/usr/lib/ssl/openssl.cnf links to /etc/ssl), as the package installs it.
install -m 0755 "$root/usr/bin/openssl" "$st/usr/bin/openssl"
install -D -m 0644 "$root/etc/ssl/openssl.cnf" "$st/etc/ssl/openssl.cnf"
mkdir -p "$st/usr/lib/ssl"
ln -s /etc/ssl/openssl.cnf "$st/usr/lib/ssl/openssl.cnf"
mkdir -p "$st/lib/$TRIPLET"
declare -A seen=()
closure() {
	local f=$1 interp needed path
	interp=$(readelf -l "$f" | sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p')
	if [ -n "$interp" ] && [ ! -e "$st$interp" ]; then
		mkdir -p "$st$(dirname "$interp")"
		cp -L "$root$interp" "$st$interp"
	fi
	for needed in $(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		[ -n "${seen[$needed]:-}" ] && continue
		seen[$needed]=1
		path=""
		for d in "$root/lib/$TRIPLET" "$root/usr/lib/$TRIPLET"; do
			[ -e "$d/$needed" ] && { path=$d/$needed; break; }
		done
		[ -n "$path" ] || die "$(basename "$f") needs $needed, which no fetched package has"
		[ -e "$st/lib/$TRIPLET/$needed" ] || cp -L "$path" "$st/lib/$TRIPLET/$needed"
		closure "$path"
	done
}
for f in "$st/usr/bin/softhsm2-util" "$st/usr/lib/$TRIPLET/softhsm/libsofthsm2.so" "$st/usr/bin/openssl" "$st/usr/libexec/parsec/parsecd"; do
	closure "$f"
done

(cd "$st" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --owner=0:0 --quiet) | gzip -6 >"$out"
echo "qemu/initramfs.sh: $out: $(du -k "$out" | cut -f1) KiB ($(du -sk "$st" | cut -f1) KiB unpacked); modules: ${mods[*]:-built in}; providers: $providers" >&2
