// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package providertest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"sync"
	"testing"
)

// Go keys for provider tests, generated once per test binary: importing
// them is faster than generating in a token or TPM, and Go holds the
// private half for cross-checks.
var (
	goKeysOnce sync.Once
	goRSA      *rsa.PrivateKey
	goEC       map[uint32]*ecdsa.PrivateKey
)

// GoKeys returns an RSA 2048 key and secp R1 keys by size (256, 384, 521).
func GoKeys(t testing.TB) (*rsa.PrivateKey, map[uint32]*ecdsa.PrivateKey) {
	t.Helper()
	goKeysOnce.Do(func() {
		var err error
		if goRSA, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		goEC = map[uint32]*ecdsa.PrivateKey{}
		for bits, c := range map[uint32]elliptic.Curve{256: elliptic.P256(), 384: elliptic.P384(), 521: elliptic.P521()} {
			if goEC[bits], err = ecdsa.GenerateKey(c, rand.Reader); err != nil {
				panic(err)
			}
		}
	})
	return goRSA, goEC
}
