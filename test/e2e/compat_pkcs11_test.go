// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build pkcs11

package e2e

// The compat client (compat_test.go) against the PKCS#11 provider of the
// cgo build on a fresh SoftHSM2 token.

import "testing"

func TestCompatPkcs11(t *testing.T) {
	t.Parallel()
	d := p11Daemon(t, Options{}, "").Start()
	r := compatRun(t, d, false)
	r.listed(t, 2)
	r.check(t, "ecdsa-p256-sha256", "rsa-pkcs1v15-sha256", "rsa-oaep-sha256", "rsa-pkcs1v15-crypt")
}
