#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright The parsecd Authors
# Regenerates the Go code of the PARSEC operation bodies in
# src/interface/ops/<pkg>/ from src/interface/proto/*.proto: protoc (Debian
# protobuf-compiler 3.21) parses the files into a FileDescriptorSet, and our
# generator src/internal/opsgen writes plain structs with a codec on
# protowire (no reflection runtime in the binaries; issue 14). The set itself
# is kept as descriptors.binpb: the tests check the codec against the
# official runtime with it (test-only).
set -eu

here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
root=$(CDPATH= cd -- "$here/../../.." && pwd)
module=github.com/parsecd/parsecd
protodir=$root/src/interface/proto
outdir=$root/src/interface/ops

command -v protoc >/dev/null 2>&1 || {
	echo "gen.sh: protoc not found (apt-get install -y protobuf-compiler)" >&2
	exit 1
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

cd "$protodir"
protoc --proto_path=. --include_imports --include_source_info \
	--descriptor_set_out="$tmp/src.binpb" *.proto
# The tests' copy leaves out the source info (comments, positions), so
# that editing a comment does not churn a binary file.
protoc --proto_path=. --include_imports \
	--descriptor_set_out="$tmp/descriptors.binpb" *.proto

# Replace the previous output wholesale so removed .proto files leave nothing behind.
find "$outdir" -mindepth 2 -maxdepth 2 -name '*.pb.go' -exec rm -f {} +
find "$outdir" -mindepth 1 -maxdepth 1 -type d -empty -exec rmdir {} +
cd "$root"
go run ./src/internal/opsgen -in "$tmp/src.binpb" -out "$outdir" -pkg "$module/src/interface/ops"
cp "$tmp/descriptors.binpb" "$outdir/descriptors.binpb"
