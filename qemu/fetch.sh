#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright The parsecd Authors
# Fetches the guest's parts from Debian's archive into a cache, never
# installing them on the host:
#
#   qemu/fetch.sh ARCH CACHE      ARCH: aarch64 (default image) or x86_64
#
# CACHE/ARCH/debs holds the .deb files (apt-get download), CACHE/ARCH/root
# their contents (dpkg -x). The package set is the cloud-flavour kernel (its
# versioned package resolved through apt-cache, so a security update with a
# new ABI needs no edit here; the plain arm64 flavour lacks the TPM TIS
# driver), busybox-static, SoftHSM with its C/C++ runtime, and openssl (the
# checks of meta-parsec's parsec-cli-tests.sh; it needs only libssl3 and
# libc6, which SoftHSM brings already). The cache is
# reused while CACHE/ARCH/packages (package=version lines) matches what apt
# offers; otherwise it is fetched again. Prints CACHE/ARCH/root.
set -euo pipefail

die() { echo "qemu/fetch.sh: $*" >&2; exit 1; }

arch=${1:?usage: fetch.sh ARCH CACHE}
cache=${2:?usage: fetch.sh ARCH CACHE}
case "$arch" in
aarch64) deb=arm64 ;;
x86_64) deb=amd64 ;;
*) die "unknown ARCH $arch (aarch64 or x86_64)" ;;
esac

# The versioned kernel package behind the cloud metapackage.
meta="linux-image-cloud-$deb:$deb"
kernel=$(apt-cache depends "$meta" 2>/dev/null |
	awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { sub(/:.*/, "", $2); print $2; exit }') ||
	true
[ -n "$kernel" ] || die "apt-cache knows no $meta: is the $deb architecture added (dpkg --add-architecture $deb && apt-get update; test/scripts/deps.sh does it)?"

pkgs=("$kernel" busybox-static libsofthsm2 softhsm2 softhsm2-common openssl
	libc6 libgcc-s1 libstdc++6 libssl3 libsqlite3-0)

# package=version for every package, as apt would fetch them now (one
# apt-cache call: each one reads the whole package cache).
want=$(apt-cache policy "${pkgs[@]/%/:$deb}" | awk -v deb=":$deb" '
	/^[^ ].*:$/ { p = $0; sub(/:$/, "", p); sub(deb "$", "", p) }
	$1 == "Candidate:" && $2 != "(none)" { print p "=" $2 }')
for p in "${pkgs[@]}"; do
	grep -q "^$p=" <<<"$want" || die "apt-cache has no candidate for $p:$deb"
done

dir="$cache/$arch"
if [ -f "$dir/packages" ] && [ "$(cat "$dir/packages")" = "$want" ] && [ -d "$dir/root" ]; then
	echo "qemu/fetch.sh: cache $dir is current (kernel $kernel)" >&2
	echo "$dir/root"
	exit 0
fi

echo "qemu/fetch.sh: fetching ${#pkgs[@]} $deb packages (kernel $kernel) into $dir" >&2
rm -rf "$dir"
mkdir -p "$dir/debs" "$dir/root"
args=()
while IFS= read -r line; do
	[ -n "$line" ] && args+=("${line%%=*}:$deb=${line#*=}")
done <<<"$want"
# apt-get download runs as root here in CI: it then warns that the download
# is unsandboxed (the _apt user cannot write the cache); that is harmless.
(cd "$dir/debs" && apt-get download -q "${args[@]}" 2>&1 | grep -v -e '^Get:' -e 'unsandboxed' >&2) || true
for p in "${pkgs[@]}"; do
	ls "$dir/debs/${p}_"*.deb >/dev/null 2>&1 || die "apt-get download did not fetch $p:$deb"
done
for f in "$dir"/debs/*.deb; do
	dpkg -x "$f" "$dir/root"
done
printf '%s' "$want" >"$dir/packages"
echo "$dir/root"
