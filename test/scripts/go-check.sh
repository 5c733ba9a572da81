#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright The parsecd Authors
# Prints one line and exits 1 when the Go toolchain ($1, default go) is
# missing or older than go.mod's `go` line; prints nothing otherwise. The
# Makefile runs it before any target that builds (make stops on its line).
# With GOTOOLCHAIN=auto (Go's default) an older go >= 1.21 fetches the
# toolchain go.mod names from the Go module proxy itself: that counts as
# found.
set -u
GO=${1:-go}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
need=$(sed -n 's/^go \([0-9][0-9.]*\)$/\1/p' "$ROOT/go.mod")
[ -n "$need" ] || { echo "go-check: no 'go' line in $ROOT/go.mod"; exit 1; }
minor=$(echo "$need" | cut -d. -f1-2)
how="install Go $minor or newer from https://go.dev/dl/ (e.g. /usr/local/go) and put its bin/ first on PATH (Debian's golang-go is older)"
if ! command -v "$GO" >/dev/null 2>&1; then
	echo "parsecd needs Go >= $need (go.mod) but '$GO' is not on PATH: $how"
	exit 1
fi
have=$(cd "$ROOT" && "$GO" env GOVERSION 2>/dev/null | sed 's/^go//')
if [ -z "$have" ]; then
	have=$("$GO" version 2>/dev/null | sed -n 's/^go version go\([0-9][0-9.]*\).*/\1/p')
fi
oldest=$(printf '%s\n%s\n' "$need" "${have:-0}" | sort -V | head -n1)
if [ -z "$have" ] || { [ "$oldest" != "$need" ] && [ "$have" != "$need" ]; }; then
	echo "parsecd needs Go >= $need (go.mod) but $(command -v "$GO") is Go ${have:-of unknown version}: $how"
	exit 1
fi
