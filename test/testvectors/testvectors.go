// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package testvectors locates the golden wire vectors and fixed test keys
// that the tests of every package read. They are data kept in the
// repository, in src/interface/testdata/vectors (made with the Rust
// parsec-interface crate and checked against Parsec 1.1.0; see its
// manifest.json), so that a clone needs nothing beside it. Only tests
// import this package.
package testvectors

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// Rel is the vectors directory relative to the repository root.
const Rel = "src/interface/testdata/vectors"

// Root returns the repository root: the nearest directory above the
// working directory (a test's package directory) whose go.mod declares
// module github.com/parsecd/parsecd.
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.HasPrefix(data, []byte("module github.com/parsecd/parsecd\n")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("testvectors: no go.mod of module github.com/parsecd/parsecd above the working directory")
		}
		dir = parent
	}
}

// Dir returns the vectors directory. Missing vectors are a failure, never a
// skip: they are the proof of wire compatibility.
func Dir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(Root(t), filepath.FromSlash(Rel))
	if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err != nil {
		t.Fatalf("testvectors: the golden vectors are missing from the repository (%s): %v", Rel, err)
	}
	return dir
}

// KeysDir returns the directory of the fixed, non-secret test keys
// (p256_test.pem, rsa2048_test.pem).
func KeysDir(t testing.TB) string {
	t.Helper()
	return filepath.Join(Dir(t), "keys")
}
