// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Command opsgen writes the Go code of the PARSEC operation bodies
// (src/interface/ops/<pkg>/) from a FileDescriptorSet of our .proto files
// (protoc --include_imports --include_source_info --descriptor_set_out).
// The code is plain structs with a codec on protowire (src/interface/pbwire)
// instead of protoc-gen-go's reflection runtime, which is about 1 MB of a
// stripped binary (issue 14). The Go names are protoc-gen-go's, so code
// written against the protoc-gen-go API compiles unchanged. It covers the
// proto3 subset PARSEC uses and stops on anything else: scalars bool,
// uint32, uint64, string, bytes; enums; messages; repeated messages, strings
// and (packed) uint32; oneofs of messages and enums.
//
// Run by src/interface/ops/gen.sh (make generate).
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
)

func main() {
	in := flag.String("in", "", "FileDescriptorSet made by protoc")
	out := flag.String("out", "", "output directory (src/interface/ops)")
	module := flag.String("pkg", "", "import path of the output directory")
	flag.Parse()
	if *in == "" || *out == "" || *module == "" {
		fmt.Fprintln(os.Stderr, "usage: opsgen -in set.binpb -out DIR -pkg IMPORTPATH")
		os.Exit(2)
	}
	if err := run(*in, *out, *module); err != nil {
		fmt.Fprintln(os.Stderr, "opsgen:", err)
		os.Exit(1)
	}
}

func run(in, out, base string) error {
	raw, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	var set descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(raw, &set); err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	u := newUniverse(set.GetFile(), base)
	for _, f := range set.GetFile() {
		src, err := u.generate(f)
		if err != nil {
			return fmt.Errorf("%s: %w", f.GetName(), err)
		}
		dir := filepath.Join(out, goPackage(f))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		name := strings.TrimSuffix(filepath.Base(f.GetName()), ".proto") + ".pb.go"
		if err := os.WriteFile(filepath.Join(dir, name), src, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// goPackage is the Go package of a .proto file: its proto package without
// underscores (psa_sign_hash -> psasignhash), as gen.sh always named them.
func goPackage(f *descriptorpb.FileDescriptorProto) string {
	return strings.ReplaceAll(f.GetPackage(), "_", "")
}
