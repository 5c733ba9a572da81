#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright The parsecd Authors
# Regenerates the Go protobuf bindings in src/interface/ops/<pkg>/ from
# src/interface/proto/*.proto. protoc comes from the system (Debian
# protobuf-compiler 3.21); protoc-gen-go is built from the version pinned in
# test/tools/go.mod, which must match google.golang.org/protobuf in go.mod.
set -eu

here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
root=$(CDPATH= cd -- "$here/../../.." && pwd)
module=github.com/parsecd/parsecd
protodir=$root/src/interface/proto
outdir=$root/src/interface/ops
want_protoc="libprotoc 3.21.12"

command -v protoc >/dev/null 2>&1 || {
	echo "gen.sh: protoc not found (apt-get install -y protobuf-compiler)" >&2
	exit 1
}
have_protoc=$(protoc --version)
if [ "$have_protoc" != "$want_protoc" ]; then
	echo "gen.sh: warning: $have_protoc found, committed code was made with $want_protoc;" >&2
	echo "gen.sh: the version comment in the generated files will differ" >&2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# Build protoc-gen-go from the tools module (pinned version, not from PATH).
(cd "$root/test/tools" && GOWORK=off GOFLAGS=-mod=readonly \
	go build -o "$tmp/bin/protoc-gen-go" google.golang.org/protobuf/cmd/protoc-gen-go)

# One Go package per .proto file: <module>/src/interface/ops/<package without underscores>.
cd "$protodir"
set --
for f in *.proto; do
	stem=${f%.proto}
	pkg=$(printf '%s' "$stem" | tr -d '_')
	set -- "$@" "--go_opt=M$f=$module/src/interface/ops/$pkg"
done

mkdir -p "$tmp/out"
PATH="$tmp/bin:$PATH" protoc \
	--proto_path=. \
	--go_out="$tmp/out" \
	--go_opt=module=$module \
	--go_opt=paths=import \
	"$@" \
	*.proto

# Replace the previous output wholesale so removed .proto files leave nothing behind.
find "$outdir" -mindepth 2 -maxdepth 2 -name '*.pb.go' -exec rm -f {} +
find "$outdir" -mindepth 1 -maxdepth 1 -type d -empty -exec rmdir {} +
cp -R "$tmp/out/src/interface/ops/." "$outdir/"
