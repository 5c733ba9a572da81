// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package tool finds the command-line tools tests run (openssl, sh, ...)
// on PATH, as a user's shell would, rather than at one distribution's
// path. A missing tool fails the test at once, naming the tool: the tests
// never skip for want of one (test/scripts/deps.sh installs them).
package tool

import (
	"os/exec"
	"testing"
)

// Path is the path of name on PATH; the test fails without it.
func Path(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is required by this test and was not found on PATH (make deps installs it): %v", name, err)
	}
	return p
}
