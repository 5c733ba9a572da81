#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright The parsecd Authors
#
# make test-bitbake LAYERS=<dir>: real BitBake on meta-parsec (not part of
# make test: it needs the layer stack and minutes per parse).
#
# <dir> holds checkouts of the five repositories of test/scripts/yocto-pins
# (bitbake, openembedded-core, meta-yocto, meta-openembedded, meta-security),
# each at its pinned revision; with FETCH=1 the missing ones are cloned
# (from the pins' URLs, or from YOCTO_GIT_BASE mirrors) and checked out.
# Then, in the build directory BUILD (default <dir>/build-parsecd), as the
# non-root user YOCTO_USER (default yocto, created when the script runs as
# root: BitBake refuses root):
#   1. bitbake -p                  the whole stack parses, no ERROR or WARNING
#   2. bitbake -e parsec-service   and parsec-tool, default PACKAGECONFIG, then
#      parsec-service with pkcs11: no -buildmode=pie, CGO_ENABLED 0 (1 and
#      -tags=pkcs11 with pkcs11), and the modules of the expanded
#      LIC_FILES_CHKSUM and gomod:// SRC_URI are exactly those `go list -deps`
#      says the binary compiles; LICENSE as BitBake expands it is printed
#   3. bitbake -c unpack parsec-service parsec-tool: every gomod:// file is
#      fetched (from the Go module proxy: BB_ALLOWED_NETWORKS allows it
#      alone), its sha256 checked by the fetcher, and unpacked
# The recipe's git source (SRCREV) is served from a mirror clone of this
# repository in DL_DIR (its branch main pointed at SRCREV), so nothing
# is fetched from GitHub. Exit status 0 only when every step passed.
#
# Host packages BitBake needs (Debian): build-essential chrpath cpio diffstat
# file gawk git locales python3 python3-git python3-jinja2 python3-pexpect
# python3-subunit socat texinfo unzip wget xz-utils zstd lz4; as root, the
# missing ones are installed (apt-get), and the en_US.UTF-8 locale generated.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PINS=$ROOT/test/scripts/yocto-pins
SELF=$ROOT/test/scripts/test-bitbake.sh

die() { echo "test-bitbake: $*" >&2; exit 1; }
say() { echo "test-bitbake: $*"; }

[ -n "${LAYERS:-}" ] || die "set LAYERS to the directory holding the layer repositories (see $PINS; FETCH=1 clones them there)"
mkdir -p "$LAYERS"
LAYERS=$(cd "$LAYERS" && pwd)
BUILD=${BUILD:-$LAYERS/build-parsecd}
YOCTO_USER=${YOCTO_USER:-yocto}
MACHINE=${MACHINE:-qemuarm64}

pins() { grep -v '^[[:space:]]*#' "$PINS" | grep -v '^[[:space:]]*$'; }

# ------------------------------------------------------------ as root / the caller
if [ "${1:-}" != --as-build-user ]; then
	# 1. the layer stack at the pinned revisions
	while read -r name url branch rev; do
		dir=$LAYERS/$name
		if [ ! -d "$dir/.git" ] && [ ! -f "$dir/.git" ]; then
			[ "${FETCH:-0}" = 1 ] || die "$dir missing: clone $url (branch $branch) at $rev, or run with FETCH=1"
			if [ -n "${YOCTO_GIT_BASE:-}" ]; then
				case $name in
				bitbake | openembedded-core | meta-openembedded) url=${YOCTO_GIT_BASE}openembedded/$name ;;
				meta-yocto) url=${YOCTO_GIT_BASE}yoctoproject/$name ;;
				meta-security) url=${YOCTO_GIT_BASE}hexagon-geo-surv/$name ;;
				esac
			fi
			say "cloning $url into $dir"
			git clone -q --no-checkout "$url" "$dir"
			git -C "$dir" checkout -q "$rev"
		fi
		have=$(git -C "$dir" rev-parse HEAD)
		[ "$have" = "$rev" ] || die "$dir is at $have, the pin is $rev ($branch): git -C $dir checkout $rev"
		say "$name at $rev ($branch)"
	done < <(pins)

	# 2. this repository's SRCREV served offline: a mirror clone where branch
	# main holds SRCREV (the git fetcher checks that SRCREV is on the branch).
	srcrev=$(sed -n 's/^SRCREV = "\([0-9a-f]\{40\}\)"$/\1/p' "$ROOT/meta-parsec/recipes-parsec/parsec-service/parsec-source.inc")
	[ -n "$srcrev" ] || die "no SRCREV in parsec-source.inc"
	git -C "$ROOT" cat-file -e "$srcrev^{commit}" || die "SRCREV $srcrev is not a commit of $ROOT"
	mkdir -p "$BUILD/conf" "$BUILD/downloads/git2"
	mirror=$BUILD/downloads/git2/github.com.parsecd.parsecd.git
	rm -rf "$mirror" "$mirror.done"
	git clone -q --mirror "$ROOT" "$mirror"
	git -C "$mirror" update-ref refs/heads/main "$srcrev"
	touch "$mirror.done"
	say "parsecd source: SRCREV $srcrev from a mirror of $ROOT"

	# 3. configuration (absolute paths of this run; not committed anywhere)
	cat >"$BUILD/conf/bblayers.conf" <<-EOF
		# Written by test/scripts/test-bitbake.sh
		POKY_BBLAYERS_CONF_VERSION = "2"
		BBPATH = "\${TOPDIR}"
		BBFILES ?= ""
		BBLAYERS ?= " \\
		  $LAYERS/openembedded-core/meta \\
		  $LAYERS/meta-yocto/meta-poky \\
		  $LAYERS/meta-openembedded/meta-oe \\
		  $LAYERS/meta-openembedded/meta-python \\
		  $LAYERS/meta-openembedded/meta-perl \\
		  $LAYERS/meta-openembedded/meta-networking \\
		  $LAYERS/meta-openembedded/meta-filesystems \\
		  $LAYERS/meta-security \\
		  $LAYERS/meta-security/meta-tpm \\
		  $ROOT/meta-parsec \\
		  "
	EOF
	cat >"$BUILD/conf/local.conf" <<-EOF
		# Written by test/scripts/test-bitbake.sh
		MACHINE ?= "$MACHINE"
		DISTRO ?= "poky"
		# systemd as the init manager (it adds the usrmerge systemd needs)
		INIT_MANAGER = "systemd"
		DISTRO_FEATURES:append = " tpm tpm2 security pam"
		CONF_VERSION = "2"
		# no network but the Go module proxy; no connectivity probe
		CONNECTIVITY_CHECK_URIS = ""
		BB_ALLOWED_NETWORKS = "proxy.golang.org *.golang.org"
		# the uninative tarball is not needed to parse and unpack
		INHERIT:remove = "uninative"
	EOF
	printf 'PACKAGECONFIG:append:pn-parsec-service = " pkcs11"\n' >"$BUILD/conf/pkcs11.conf"

	# 4. what each binary compiles (go list -deps, here: the build user may
	# not read the caller's module cache): the expected module sets
	golist() {
		(cd "$ROOT" && GOOS=linux GOARCH=arm64 CGO_ENABLED=$2 go list -deps ${3:+-tags "$3"} \
			-f '{{with .Module}}{{if not .Main}}{{.Path}}@{{.Version}}{{end}}{{end}}' "$1" | LC_ALL=C sort -u)
	}
	golist ./src/cmd/parsecd 0 "" >"$BUILD/want-default-parsec-service"
	golist ./src/cmd/parsec-tool 0 "" >"$BUILD/want-default-parsec-tool"
	golist ./src/cmd/parsecd 1 pkcs11 >"$BUILD/want-pkcs11-parsec-service"

	# 5. host packages and the build user
	if [ "$(id -u)" = 0 ]; then
		need=()
		for p in chrpath cpio diffstat file gawk git python3 socat unzip wget xz zstd lz4; do
			command -v "$p" >/dev/null 2>&1 || need+=("$p")
		done
		need=("${need[@]/#xz/xz-utils}")
		command -v makeinfo >/dev/null 2>&1 || need+=(texinfo)
		command -v gcc >/dev/null 2>&1 || need+=(build-essential)
		# the system's python3 (BitBake's #!/usr/bin/env python3 for the build user)
		py=python3
		[ -x /usr/bin/python3 ] && py=/usr/bin/python3
		"$py" -c 'import git' 2>/dev/null || need+=(python3-git)
		"$py" -c 'import jinja2' 2>/dev/null || need+=(python3-jinja2)
		"$py" -c 'import pexpect' 2>/dev/null || need+=(python3-pexpect)
		"$py" -c 'import subunit' 2>/dev/null || need+=(python3-subunit)
		locale -a 2>/dev/null | grep -qi '^en_US\.utf-\?8$' || need+=(locales)
		if [ "${#need[@]}" -gt 0 ]; then
			say "installing ${need[*]}"
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null
		fi
		if ! locale -a 2>/dev/null | grep -qi '^en_US\.utf-\?8$'; then
			sed -i 's/^# *\(en_US.UTF-8 UTF-8\)/\1/' /etc/locale.gen
			locale-gen >/dev/null
		fi
		id "$YOCTO_USER" >/dev/null 2>&1 || { say "creating user $YOCTO_USER"; useradd -m "$YOCTO_USER"; }
		chown -R "$YOCTO_USER:" "$BUILD"
		for d in "$ROOT" "$LAYERS"; do
			runuser -u "$YOCTO_USER" -- test -r "$d/." -a -x "$d/." ||
				die "$d is not readable by $YOCTO_USER"
		done
		exec runuser -u "$YOCTO_USER" -- env LAYERS="$LAYERS" BUILD="$BUILD" PATH="$PATH" "$SELF" --as-build-user
	fi
	exec "$SELF" --as-build-user
fi

# ------------------------------------------------------------ as the build user
[ "$(id -u)" != 0 ] || die "BitBake refuses to run as root"
export LANG=en_US.UTF-8 LC_ALL=en_US.UTF-8
export BITBAKEDIR=$LAYERS/bitbake
cd "$LAYERS/openembedded-core"
set +u # oe-init-build-env reads unset variables
# shellcheck disable=SC1091 # from the layer stack
. ./oe-init-build-env "$BUILD" >/dev/null
set -u
LOG=$BUILD/test-bitbake.log
: >"$LOG"
fails=0
fail() { echo "test-bitbake: FAIL: $*" >&2; fails=$((fails + 1)); }

step() {
	# step <name> <bitbake args...>: run, keep the output in $LOG and $BUILD/<name>.out
	local name=$1
	shift
	say "bitbake $*"
	local t0=$SECONDS rc=0
	bitbake "$@" >"$BUILD/$name.out" 2>&1 || rc=$?
	cat "$BUILD/$name.out" >>"$LOG"
	say "  ($((SECONDS - t0)) s, exit $rc; output in $BUILD/$name.out)"
	return $rc
}

# 1. parse
if step parse -p; then
	grep -E '^(ERROR|WARNING):' "$BUILD/parse.out" >&2 && fail "bitbake -p printed errors or warnings"
	# a cold parse reports "Parsing of N .bb files complete", a cached one "Loaded N entries"
	{ grep -E 'Parsing of|Loaded [0-9]+ entries' "$BUILD/parse.out" || true; } | tail -n 1 | sed 's/^/test-bitbake:   /'
else
	grep -E '^(ERROR|WARNING):' "$BUILD/parse.out" | head -n 20 >&2
	fail "bitbake -p failed"
fi

# getvar <file of bitbake -e output> <VAR>
getvar() { sed -n "s/^\\(export \\)\\{0,1\\}$2=\"\\(.*\\)\"\$/\\2/p" "$1" | tail -n 1; }

# 2. bitbake -e: <name> <recipe> <package> <cgo> <tags> [extra bitbake args]
env_check() {
	local name=$1 pn=$2 pkg=$3 cgo=$4 tags=$5
	shift 5
	step "env-$name-$pn" "$@" -e "$pn" || { fail "bitbake -e $pn ($name) failed"; return; }
	local out=$BUILD/env-$name-$pn.out
	local flags lic chk src
	flags=$(getvar "$out" GOBUILDFLAGS)
	lic=$(getvar "$out" LICENSE)
	chk=$(getvar "$out" LIC_FILES_CHKSUM)
	src=$(getvar "$out" SRC_URI)
	say "  $pn ($name): LICENSE = \"$lic\""
	say "  $pn ($name): CGO_ENABLED=$(getvar "$out" CGO_ENABLED) GOBUILDFLAGS=\"$flags\""
	[ "$(getvar "$out" CGO_ENABLED)" = "$cgo" ] || fail "$pn ($name): CGO_ENABLED is not $cgo"
	case " $flags " in *" -buildmode=pie "*) [ "$cgo" = 1 ] || fail "$pn ($name): -buildmode=pie in GOBUILDFLAGS" ;; esac
	if [ -n "$tags" ]; then
		case " $flags " in *" -tags=$tags "*) ;; *) fail "$pn ($name): no -tags=$tags in GOBUILDFLAGS" ;; esac
	fi
	local want got_lic got_zip
	want=$(cat "$BUILD/want-$name-$pn")
	# shellcheck disable=SC2086 # one word per entry
	got_lic=$(printf '%s\n' $chk | sed -n 's#^file://pkg/mod/\([^;]*\)@\([^/]*\)/.*#\1@\2#p' |
		sed 's/!\([a-z]\)/\U\1/g' | LC_ALL=C sort -u)
	# shellcheck disable=SC2086 # one word per entry
	got_zip=$(printf '%s\n' $src | grep '^gomod://' | grep -v ';mod=1' |
		sed 's#^gomod://\([^;]*\);.*version=\([^;]*\).*#\1@\2#' | LC_ALL=C sort -u)
	if [ "$want" = "$got_lic" ]; then
		say "  $pn ($name): LIC_FILES_CHKSUM names the $(echo "$want" | wc -l) modules it compiles"
	else
		fail "$pn ($name): LIC_FILES_CHKSUM modules differ from go list -deps $pkg:"
		diff <(echo "$want") <(echo "$got_lic") >&2 || true
	fi
	if [ "$want" = "$got_zip" ]; then
		say "  $pn ($name): SRC_URI fetches the zips of exactly those modules"
	else
		fail "$pn ($name): gomod:// zips differ from go list -deps $pkg:"
		diff <(echo "$want") <(echo "$got_zip") >&2 || true
	fi
}
env_check default parsec-service ./src/cmd/parsecd 0 ""
env_check default parsec-tool ./src/cmd/parsec-tool 0 ""
env_check pkcs11 parsec-service ./src/cmd/parsecd 1 pkcs11 -R conf/pkcs11.conf

# 3. fetch and unpack
if step unpack -c unpack parsec-service parsec-tool; then
	grep -E '^(ERROR|WARNING):' "$BUILD/unpack.out" >&2 && fail "bitbake -c unpack printed errors or warnings"
	say "  fetched: $(find "$BUILD/downloads" -maxdepth 1 -name '*@*.zip' | wc -l) module zips in DL_DIR"
	for pn in parsec-service parsec-tool; do
		w=$(getvar "$BUILD/env-default-$pn.out" WORKDIR 2>/dev/null || true)
		[ -n "$w" ] || continue
		say "  $pn: $(find "$w" -path '*/pkg/mod/cache/download/*' -name '*.zip' | wc -l) module zips in ${w#"$BUILD"/}"
	done
else
	grep -E '^(ERROR|WARNING):' "$BUILD/unpack.out" | head -n 20 >&2
	fail "bitbake -c unpack parsec-service parsec-tool failed"
fi

if [ "$fails" -gt 0 ]; then
	echo "test-bitbake: $fails check(s) failed (log: $LOG)" >&2
	exit 1
fi
say "all checks passed (log: $LOG)"
