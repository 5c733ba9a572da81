// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package soft

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"testing"

	"github.com/parsecd/parsecd/src/psa"
)

// BenchmarkSignHashP256 is a provider SignHash with a P-256 key: key fetch
// from the (memory) store, PKCS#8 parse, policy check, signature.
func BenchmarkSignHashP256(b *testing.B) {
	p, _ := newTestProvider(b)
	alg := signAlg(psa.SignEcdsa, psa.HashSHA256)
	if err := p.GenerateKey(bg, alice, "bench", eccPair(256, allSign, alg)); err != nil {
		b.Fatal(err)
	}
	h := sha256.Sum256([]byte("benchmark"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.SignHash(bg, alice, "bench", alg, h[:]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSignHashP256InProcess is the bare crypto/ecdsa signature, for comparison.
func BenchmarkSignHashP256InProcess(b *testing.B) {
	k, err := ecdsa.GenerateKey(curveOf(256), randReader)
	if err != nil {
		b.Fatal(err)
	}
	h := sha256.Sum256([]byte("benchmark"))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ecdsa.Sign(randReader, k, h[:]); err != nil {
			b.Fatal(err)
		}
	}
}
