// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package kat reads the known-answer files of the software provider's
// tests: blocks of "Name = value" lines separated by blank lines, with #
// comment lines that name where the vectors come from.
package kat

import (
	"bufio"
	"encoding/hex"
	"os"
	"strings"
	"testing"
)

// Read returns the blocks of the file at path; it fails the test if the
// file is missing, malformed or empty.
func Read(t testing.TB, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("test vectors: %v", err)
	}
	defer f.Close()
	var out []map[string]string
	cur := map[string]string{}
	flush := func() {
		if len(cur) > 0 {
			out = append(out, cur)
			cur = map[string]string{}
		}
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "#"):
		case line == "":
			flush()
		default:
			name, value, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("%s: bad line %q", path, line)
			}
			cur[strings.TrimSpace(name)] = strings.TrimSpace(value)
		}
	}
	flush()
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("%s holds no vectors", path)
	}
	return out
}

// Hex decodes a vector value; spaces are ignored.
func Hex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q", s)
	}
	return b
}
