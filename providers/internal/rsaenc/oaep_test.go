// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package rsaenc

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	_ "crypto/sha1"
	_ "crypto/sha256"
	_ "crypto/sha512"
	"errors"
	"math/big"
	"testing"

	"github.com/parsecd/parsecd/providers/providertest"
	"github.com/parsecd/parsecd/src/status"
)

// Go encrypts; raw RSA with the private exponent gives the encoded
// message; DecodeOAEP must recover the plaintext, and refuse any change.
func TestDecodeOAEP(t *testing.T) {
	key, _ := providertest.GoKeys(t)
	k := key.Size()
	raw := func(ct []byte) []byte {
		m := new(big.Int).Exp(new(big.Int).SetBytes(ct), key.D, key.N)
		return m.FillBytes(make([]byte, k))
	}
	for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA256, crypto.SHA512} {
		for _, label := range [][]byte{nil, []byte("label")} {
			for _, msg := range [][]byte{{}, []byte("x"), bytes.Repeat([]byte{7}, k-2*h.Size()-2)} {
				ct, err := rsa.EncryptOAEP(h.New(), rand.Reader, &key.PublicKey, msg, label)
				if err != nil {
					t.Fatal(err)
				}
				em := raw(ct)
				got, err := DecodeOAEP(h.New(), k, em, label)
				if err != nil || !bytes.Equal(got, msg) {
					t.Fatalf("%v: DecodeOAEP = %q, %v", h, got, err)
				}
				// Leading zero dropped by a token.
				if got, err := DecodeOAEP(h.New(), k, em[1:], label); err != nil || !bytes.Equal(got, msg) {
					t.Fatalf("%v: without the leading zero: %q, %v", h, got, err)
				}
				for _, i := range []int{0, 1, h.Size(), h.Size() + 1, 2*h.Size() + 1, k - len(msg) - 1, k - 1} {
					bad := bytes.Clone(em)
					bad[i] ^= 0x01
					if out, err := DecodeOAEP(h.New(), k, bad, label); err == nil && bytes.Equal(out, msg) {
						t.Fatalf("%v: flipping byte %d is not detected", h, i)
					} else if err != nil && !errors.Is(err, status.PsaErrorInvalidPadding) {
						t.Fatalf("%v: %v", h, err)
					}
				}
				if _, err := DecodeOAEP(h.New(), k, em, append(label, 1)); err == nil {
					t.Fatalf("%v: another label accepted", h)
				}
			}
		}
	}
	if _, err := DecodeOAEP(crypto.SHA512.New(), 100, make([]byte, 100), nil); err == nil {
		t.Fatal("a modulus too small for the hash accepted")
	}
	if _, err := DecodeOAEP(crypto.SHA1.New(), 100, make([]byte, 101), nil); err == nil {
		t.Fatal("an encoded message longer than the modulus accepted")
	}
}
