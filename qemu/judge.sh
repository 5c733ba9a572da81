#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright The parsecd Authors
# Decides a boot's outcome from the marker lines of its console LOG (CRLF):
#
#   qemu/judge.sh LOG NAME...
#
# Passes when the guest printed GUEST-DONE, no "... RESULT: FAIL" line, and
# "NAME RESULT: PASS" for every NAME given. Prints the guest's summary and
# timings; on failure also the end of the log.
set -euo pipefail

log=${1:?usage: judge.sh LOG NAME...}
shift
text=$(tr -d '\r' <"$log")
bad=()
grep -qx 'GUEST-DONE' <<<"$text" || bad+=("no GUEST-DONE line (the guest hung, panicked or crashed)")
while IFS= read -r l; do
	[ -n "$l" ] && bad+=("$l")
done < <(grep -E '^[^ ]+ RESULT: FAIL$' <<<"$text" || true)
for name in "$@"; do
	grep -qx "$name RESULT: PASS" <<<"$text" || bad+=("no \"$name RESULT: PASS\"")
done
grep -E '^(GUEST-BOOTED|GUEST-TESTS-TIME|GUEST-CLI-TESTS-TIME|GUEST-SUMMARY) ' <<<"$text" | sed 's/^/  guest: /' || true
if [ ${#bad[@]} -gt 0 ]; then
	echo "---- last lines of $log"
	tail -n 60 <<<"$text"
	echo "----"
	printf '  FAILED: %s\n' "${bad[@]}"
	exit 1
fi
echo "  passed: $(grep -c ' RESULT: PASS$' <<<"$text") checks"
