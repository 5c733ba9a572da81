#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright The parsecd Authors
# Runs `make STAGE` for each stage in order, stops at the first that fails,
# and prints how long each took (also after a failure):
#   test/scripts/stages.sh MAKE STAGE...
set -u
make=$1
shift
summary=
total=0
report() {
	echo
	echo "make test: time per stage"
	printf '%s' "$summary"
	printf '  %-16s %5ds\n' total "$total"
}
for stage in "$@"; do
	start=$(date +%s)
	$make --no-print-directory "$stage"
	rc=$?
	took=$(($(date +%s) - start))
	total=$((total + took))
	if [ "$rc" != 0 ]; then
		summary="$summary$(printf '  %-16s %5ds  FAILED (exit %d)' "$stage" "$took" "$rc")
"
		report
		echo "make test: stage $stage failed"
		exit "$rc"
	fi
	summary="$summary$(printf '  %-16s %5ds' "$stage" "$took")
"
done
report
