// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build !cgo || !pkcs11

package main

import (
	"strings"
	"testing"
)

// A mistyped provider_type lists the types this build has: not Pkcs11,
// whose stub only explains how to get a build with it.
func TestCheckConfigTypoListsThisBuild(t *testing.T) {
	path, out, code := checkConfig(t, "[[provider]]\nprovider_type = \"software\"\nkey_info_manager = \"m\"\n")
	want := path + `:11:3: [[provider]] #1 (software): provider_type "software" is not available in this build of parsecd (available: MbedCrypto, Software, Tpm): did you mean "Software"?`
	if code == 0 || strings.TrimSpace(out) != "parsecd: "+want {
		t.Errorf("exit %d, output:\n%s\nwant:\nparsecd: %s", code, out, want)
	}
}
