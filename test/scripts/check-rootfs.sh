#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright The parsecd Authors
# make test-rootfs: checks the files under rootfs/ (what a target gets).
#  - systemd-analyze verify on the units, in a temporary root that holds the
#    units, the host's standard units (for sysinit.target & co.) and the
#    daemon at the ExecStart path; any message (unknown key, bad value,
#    missing binary or unit) fails the check, not only a non-zero exit;
#  - systemd-sysusers and systemd-tmpfiles on sysusers.d / tmpfiles.d, in
#    that root; the resulting modes and owners are compared;
#  - sh -n (and dash -n / busybox sh -n when present) on the init script;
#  - parsecd --check-config on rootfs/etc/parsec/config.toml, and on it
#    without its TPM provider as meta-parsec installs it without
#    PACKAGECONFIG tpm (drop-tpm-provider.awk), and on the SPIFFE example
#    usr/share/parsec/config-spiffe.toml.
# Usage: check-rootfs.sh [parsecd [parsecd built with -tags spiffe]]
#        (default bin/parsecd bin/parsecd-spiffe)
set -euo pipefail

cd "$(dirname "$0")/../.."
parsecd=${1:-bin/parsecd}
parsecd_spiffe=${2:-bin/parsecd-spiffe}
rootfs=rootfs
units=(parsec.service parsec.socket parsec-commit-update.service)
unitdir=usr/lib/systemd/system
execstart=/usr/libexec/parsec/parsecd

fail() { echo "check-rootfs: $*" >&2; exit 1; }
[ -x "$parsecd" ] || fail "$parsecd not built (make build)"
[ -x "$parsecd_spiffe" ] || fail "$parsecd_spiffe not built (make build-spiffe)"
command -v systemd-analyze >/dev/null || fail "systemd-analyze missing (test/scripts/deps.sh installs systemd)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. The units.
root=$tmp/root
mkdir -p "$root/$unitdir" "$root$(dirname "$execstart")"
for d in /usr/lib/systemd/system /lib/systemd/system; do
	[ -d "$d" ] && cp -an "$d/." "$root/$unitdir/"
done
for u in "${units[@]}"; do
	cp "$rootfs/$unitdir/$u" "$root/$unitdir/$u"
done
cp "$parsecd" "$root$execstart"
# Other commands the units run (ExecReload=/bin/kill) come from the host.
for cmd in $(sed -n 's/^Exec[A-Za-z]*=[-@:+!]*\([^ ]*\).*/\1/p' "${units[@]/#/$rootfs/$unitdir/}" | sort -u); do
	[ "$cmd" = "$execstart" ] && continue
	[ -e "$cmd" ] || fail "a unit runs $cmd, which this host lacks"
	mkdir -p "$root$(dirname "$cmd")"
	cp -L "$cmd" "$root$cmd"
done
for u in "${units[@]}"; do
	grep -q "^ExecStart=$execstart " "$rootfs/$unitdir/$u" 2>/dev/null && ok=1
done
[ "${ok:-}" = 1 ] || fail "parsec.service does not start $execstart"
if ! out=$(systemd-analyze verify --man=no --root="$root" "${units[@]}" 2>&1) || [ -n "$out" ]; then
	echo "$out" >&2
	fail "systemd-analyze verify ${units[*]} failed"
fi
echo "check-rootfs: systemd-analyze verify ${units[*]}: ok"

# The socket unit and config.toml must name the same socket.
sock=$(sed -n 's/^ListenStream=//p' "$rootfs/$unitdir/parsec.socket")
grep -q "^socket_path = \"$sock\"" "$rootfs/etc/parsec/config.toml" ||
	fail "parsec.socket listens on $sock, config.toml's socket_path differs"

# 2. sysusers.d and tmpfiles.d, applied to the temporary root.
if command -v systemd-sysusers >/dev/null && command -v systemd-tmpfiles >/dev/null; then
	mkdir -p "$root/etc"
	if ! out=$(systemd-sysusers --root="$root" "$PWD/$rootfs/usr/lib/sysusers.d/parsec.conf" 2>&1); then
		echo "$out" >&2
		fail "systemd-sysusers rejected sysusers.d/parsec.conf"
	fi
	grep -q '^parsec:' "$root/etc/passwd" || fail "sysusers.d: no user parsec"
	grep -q '^parsec-clients:' "$root/etc/group" || fail "sysusers.d: no group parsec-clients"
	grep -Eq '^tss:[^:]*:[0-9]+:(.*,)?parsec(,|$)' "$root/etc/group" || fail "sysusers.d: parsec is not in group tss"
	if ! out=$(systemd-tmpfiles --root="$root" --create "$PWD/$rootfs/usr/lib/tmpfiles.d/parsec.conf" 2>&1) || [ -n "$out" ]; then
		echo "$out" >&2
		fail "systemd-tmpfiles rejected tmpfiles.d/parsec.conf"
	fi
	uid=$(awk -F: '$1 == "parsec" { print $3 }' "$root/etc/passwd")
	gid=$(awk -F: '$1 == "parsec" { print $4 }' "$root/etc/passwd")
	for want in "run/parsec 755" "var/lib/parsec 700"; do
		set -- $want
		got=$(stat -c '%a %u %g' "$root/$1")
		[ "$got" = "$2 $uid $gid" ] || fail "tmpfiles.d: /$1 is '$got', want '$2 $uid $gid'"
	done
	echo "check-rootfs: sysusers.d and tmpfiles.d: ok"
fi

# 3. The init script.
script=$rootfs/etc/init.d/parsec
[ -x "$script" ] || fail "$script is not executable"
head -n1 "$script" | grep -qx '#!/bin/sh' || fail "$script must be a #!/bin/sh script"
for sh in sh dash busybox; do
	command -v "$sh" >/dev/null || continue
	if [ "$sh" = busybox ]; then
		busybox sh -n "$script" || fail "busybox sh -n $script"
	else
		"$sh" -n "$script" || fail "$sh -n $script"
	fi
done
echo "check-rootfs: sh -n $script: ok"

# 4. The default device configuration.
"$parsecd" --check-config -c "$rootfs/etc/parsec/config.toml" || fail "parsecd --check-config rejected rootfs/etc/parsec/config.toml"
# Without PACKAGECONFIG tpm, meta-parsec installs it through
# drop-tpm-provider.awk: the result must keep the software provider, lose
# the TPM one and still be valid.
notpm="$tmp/config-without-tpm.toml"
awk -f meta-parsec/recipes-parsec/parsec-service/files/drop-tpm-provider.awk "$rootfs/etc/parsec/config.toml" >"$notpm"
grep -q '^provider_type = "Tpm"' "$rootfs/etc/parsec/config.toml" || fail "rootfs config.toml has no TPM provider"
! grep -q 'provider_type = "Tpm"' "$notpm" || fail "drop-tpm-provider.awk left the TPM provider in: $(cat "$notpm")"
grep -q '^provider_type = "Software"' "$notpm" || fail "drop-tpm-provider.awk removed the software provider"
"$parsecd" --check-config -c "$notpm" || fail "parsecd --check-config rejected config.toml without its TPM provider"
# The SPIFFE example (not installed) must stay a valid configuration for a
# parsecd built with the spiffe tag; the default build refuses it and says
# how to get one.
spiffe_conf="$rootfs/usr/share/parsec/config-spiffe.toml"
"$parsecd_spiffe" --check-config -c "$spiffe_conf" || fail "$parsecd_spiffe --check-config rejected $spiffe_conf"
if out=$("$parsecd" --check-config -c "$spiffe_conf" 2>&1); then
	fail "$parsecd (no spiffe tag) accepted $spiffe_conf"
fi
case $out in *"built without SPIFFE support"*"-tags spiffe"*) ;; *) fail "$parsecd on $spiffe_conf did not name the spiffe tag: $out" ;; esac
echo "check-rootfs: all checks passed"
