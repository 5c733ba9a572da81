#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright The parsecd Authors
# shellcheck source-path=SCRIPTDIR
# Cross-builds what the guest runs, into OUT:
#
#   qemu/build.sh ARCH OUT VERSION [EXTRA_TAGS]
#
#   OUT/parsecd          the PKCS#11 build (cgo, -tags pkcs11[,EXTRA_TAGS]):
#                        software, TPM and PKCS#11 providers; the daemon the
#                        guest runs
#   OUT/parsecd-static   the default static build (CGO_ENABLED=0), checked
#                        against the device config rootfs/etc/parsec/config.toml
#   OUT/parsec-tool      the CLI (static)
#   OUT/e2e.test         test/e2e compiled for ARCH (static); the guest runs
#                        its TestGuest* tests against the running daemon
#
# VERSION is stamped into both daemons (-X …/version.Version). EXTRA_TAGS
# (e.g. otatest, the OTA scenario's schema migration) goes to the daemons only.
set -euo pipefail

arch=${1:?usage: build.sh ARCH OUT VERSION [EXTRA_TAGS]}
out=${2:?usage: build.sh ARCH OUT VERSION [EXTRA_TAGS]}
version=${3:?usage: build.sh ARCH OUT VERSION [EXTRA_TAGS]}
extra=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=arch.sh
. "$here/arch.sh" "$arch"
cd "$here/.."

go=${GO:-go}
vpkg=github.com/parsecd/parsecd/src/internal/version
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
stamp="-X $vpkg.Version=$version -X $vpkg.Commit=$commit"
tags=pkcs11${extra:+,$extra}
static_tags=${extra:-none}
mkdir -p "$out"
export GOOS=linux GOARCH=$GUEST_GOARCH

CGO_ENABLED=1 CC=$CROSS_CC "$go" build -trimpath -tags "$tags" \
	-ldflags "-s -w $stamp -X $vpkg.Tags=$tags" -o "$out/parsecd" ./src/cmd/parsecd
CGO_ENABLED=0 "$go" build -trimpath ${extra:+-tags "$extra"} \
	-ldflags "-s -w $stamp -X $vpkg.Tags=$static_tags" -o "$out/parsecd-static" ./src/cmd/parsecd
CGO_ENABLED=0 "$go" build -trimpath -ldflags "-s -w $stamp" -o "$out/parsec-tool" ./src/cmd/parsec-tool
CGO_ENABLED=0 "$go" test -c -trimpath -ldflags "-s -w" -o "$out/e2e.test" ./test/e2e
