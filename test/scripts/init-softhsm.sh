#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright The parsecd Authors
# Creates a private SoftHSM2 token store for tests and prints the path of its
# configuration file: export it as SOFTHSM2_CONF before loading the module.
#
#   init-softhsm.sh [-d DIR] [LABEL ...]
#
#   -d DIR   put softhsm2.conf and tokens/ in DIR (created if missing; its
#            tokens/ is emptied first); default: a new `mktemp -d` directory
#   LABEL    initialise one token per label, each in the first free slot
#            (default: a single token labelled "parsec-test")
#
# Environment: SOFTHSM_SO_PIN (default 1234) and SOFTHSM_USER_PIN (default
# 1234) are the PINs of every token; SOFTHSM2_UTIL overrides the tool.
#
# Only the configuration path goes to stdout; everything else goes to stderr:
#   export SOFTHSM2_CONF="$(test/scripts/init-softhsm.sh)"
#
# When softhsm2 is missing, it is installed with apt-get if this runs as root;
# otherwise the script fails with the command to run.
set -euo pipefail

prog=init-softhsm.sh
dir=
while getopts "d:h" opt; do
	case "$opt" in
	d) dir=$OPTARG ;;
	h)
		sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
labels=("$@")
[ ${#labels[@]} -gt 0 ] || labels=(parsec-test)

util=${SOFTHSM2_UTIL:-softhsm2-util}
if ! command -v "$util" >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "$prog: softhsm2 is missing: installing it with apt-get" >&2
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq >&2
		apt-get install -y -qq --no-install-recommends softhsm2 >&2
	fi
	if ! command -v "$util" >/dev/null 2>&1; then
		echo "$prog: FATAL: $util not found; install SoftHSM2 (as root: apt-get install -y softhsm2)" >&2
		exit 1
	fi
fi

if [ -z "$dir" ]; then
	dir=$(mktemp -d "${TMPDIR:-/tmp}/parsec-softhsm.XXXXXX")
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
rm -rf "$dir/tokens"
mkdir -p "$dir/tokens"
chmod 0700 "$dir/tokens"

conf="$dir/softhsm2.conf"
cat >"$conf" <<EOF
# Written by $prog for tests: a private token directory.
directories.tokendir = $dir/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
slots.mechanisms = ALL
library.reset_on_fork = false
EOF

so_pin=${SOFTHSM_SO_PIN:-1234}
user_pin=${SOFTHSM_USER_PIN:-1234}
for label in "${labels[@]}"; do
	if ! SOFTHSM2_CONF=$conf "$util" --init-token --free --label "$label" \
		--so-pin "$so_pin" --pin "$user_pin" >&2; then
		echo "$prog: FATAL: $util could not initialise token \"$label\" in $dir/tokens" >&2
		exit 1
	fi
done

echo "$conf"
