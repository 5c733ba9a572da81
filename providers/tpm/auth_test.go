// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package tpm

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

func TestParseHierarchyAuth(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []byte
	}{
		{"", nil},
		{"str:", nil},
		{"hex:", nil},
		{"password", []byte("password")},
		{"str:password", []byte("password")},
		{"str:hex:00", []byte("hex:00")},
		{"str:str:x", []byte("str:x")},
		{"hex:00ff10", []byte{0x00, 0xff, 0x10}},
		{"hex:ABcd", []byte{0xab, 0xcd}},
		{"Hex:00", []byte("Hex:00")}, // prefixes are lower case; anything else is a string
		{"x:y", []byte("x:y")},
		{strings.Repeat("a", MaxAuthSize), bytes.Repeat([]byte("a"), MaxAuthSize)},
		{"hex:" + strings.Repeat("ab", MaxAuthSize), bytes.Repeat([]byte{0xab}, MaxAuthSize)},
	} {
		got, err := ParseHierarchyAuth("owner_hierarchy_auth", tc.in)
		if err != nil {
			t.Errorf("ParseHierarchyAuth(%q): %v", tc.in, err)
			continue
		}
		if !bytes.Equal(got, tc.want) || (tc.want == nil) != (got == nil) {
			t.Errorf("ParseHierarchyAuth(%q) = %x, want %x", tc.in, []byte(got), tc.want)
		}
	}
}

func TestParseHierarchyAuthErrors(t *testing.T) {
	const secret = "S3cr3tZ"
	for _, tc := range []struct{ in, msg string }{
		{"hex:" + secret + "!", "not a hex digit"},
		{"hex:abc", "odd number"},
		{"hex:0" + secret, "not a hex digit"},
		{"hex: 00", "odd number"},
		{secret + strings.Repeat("x", MaxAuthSize), "at most 64"},
		{"str:" + secret + strings.Repeat("x", MaxAuthSize), "at most 64"},
		{"hex:" + strings.Repeat("ab", MaxAuthSize+1), "at most 64"},
	} {
		_, err := ParseHierarchyAuth("endorsement_hierarchy_auth", tc.in)
		if err == nil {
			t.Errorf("ParseHierarchyAuth(%q) succeeded", tc.in)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, tc.msg) || !strings.HasPrefix(msg, "endorsement_hierarchy_auth: ") {
			t.Errorf("ParseHierarchyAuth(%q) = %q, want the field name and %q", tc.in, msg, tc.msg)
		}
		if strings.Contains(msg, secret) || strings.Contains(strings.ToLower(msg), "abab") {
			t.Errorf("error %q shows the value", msg)
		}
	}
}

func TestAuthRedacted(t *testing.T) {
	a, err := ParseHierarchyAuth("owner_hierarchy_auth", "str:hunter2")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"%v", "%s", "%+v", "%#v", "%q"} {
		if s := fmt.Sprintf(f, a); strings.Contains(s, "hunter2") || !strings.Contains(s, "redacted") {
			t.Errorf("Sprintf(%s) = %q", f, s)
		}
	}
	if s := fmt.Sprintf("%v", struct{ A Auth }{a}); strings.Contains(s, "hunter2") {
		t.Errorf("in a struct: %q", s)
	}
}
