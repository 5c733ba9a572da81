// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build pkcs11

package e2e

// parsec-cli-tests.sh (clitests_script_test.go) against the PKCS#11
// provider on a SoftHSM2 token, as meta-parsec's oeqa case runs it.

import "testing"

func TestCliTestsScriptPkcs11(t *testing.T) {
	d := p11Daemon(t, Options{}, "")
	d.Start()
	runCliTestsScript(t, d, 2+cliTestsPerProvider, "-N", "-p", "2")
}
