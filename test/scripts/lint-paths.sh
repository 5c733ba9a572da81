#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright The parsecd Authors
# The repository stands alone: no tracked file may read test inputs from
# outside the clone. Fails (one line per hit, FILE:LINE: text) when a
# tracked file names
#   - the shared material directory that only this project's CI has beside
#     the clone, in either spelling: parent-dir slash name, or the two as
#     separate string literals (the patterns are put together below, so
#     that this file does not name that path itself);
#   - /work/ (this project's build machine);
#   - the absolute path of this checkout or of its parent directory.
# Test inputs belong in the repository (golden vectors and keys:
# src/interface/testdata/vectors, located by test/testvectors).
#
#   test/scripts/lint-paths.sh             lint the checkout
#   test/scripts/lint-paths.sh --selftest  prove it fails on a bad file
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# The outside directory's name and its parent, kept apart so that no
# tracked file, this one included, spells the forbidden path.
up=..
outside=shared
SELF=test/scripts/lint-paths.sh

# Files allowed to name host paths, and why:
#   lint-layer.py  lists /work/ among the host paths it rejects in the layer
ALLOW='^(test/scripts/lint-paths\.sh|test/scripts/lint-layer\.py)$'

lint() {
	dir=$1
	parent=$(dirname "$dir")
	files=$(git -C "$dir" ls-files | grep -Ev "$ALLOW") || files=
	[ -n "$files" ] || { echo "lint-paths: no tracked files in $dir" >&2; return 2; }
	# Fixed strings, one per line; the checkout's parent only when it is
	# more than / (or a one-level path such as /tmp).
	pats="$up/$outside
\"$up\", \"$outside\"
/work/
$dir/"
	case $parent in /*/*) pats="$pats
$parent/" ;; esac
	hits=$(cd "$dir" && printf '%s\n' "$files" | tr '\n' '\0' |
		xargs -0 grep -nIF -e "$(printf '%s' "$pats")" -- 2>/dev/null) || hits=
	if [ -n "$hits" ]; then
		printf '%s\n' "$hits" | sed 's/^/lint-paths: /' >&2
		n=$(printf '%s\n' "$hits" | wc -l)
		echo "lint-paths: $n line(s) name a path outside the repository; test inputs belong in the repository (see $SELF)" >&2
		return 1
	fi
	echo "lint-paths: $(printf '%s\n' "$files" | wc -l) tracked files, none names a path outside the repository"
}

if [ "${1:-}" = --selftest ]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	mkdir -p "$tmp/repo/sub"
	cd "$tmp/repo"
	git init -q .
	printf 'package x\n\nvar ok = "testdata/vectors"\n' >sub/good.go
	git add sub/good.go
	lint "$tmp/repo" >/dev/null || { echo "lint-paths --selftest: a clean tree failed" >&2; exit 1; }
	for bad in "\"$up/$outside/parsec/vectors\"" "filepath.Join(root, \"$up\", \"$outside\")" '"/work/shared/x"' "\"$tmp/repo/x\""; do
		printf 'package x\n\nvar bad = %s\n' "$bad" >sub/bad.go
		git add sub/bad.go
		if lint "$tmp/repo" 2>/dev/null >/dev/null; then
			echo "lint-paths --selftest: $bad was not caught" >&2
			exit 1
		fi
	done
	echo "lint-paths --selftest: 4 bad paths caught, clean tree passes"
	exit 0
fi
lint "$ROOT"
