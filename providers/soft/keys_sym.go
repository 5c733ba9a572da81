// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package soft

import (
	"bytes"
	"crypto/rand"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

// Symmetric keys (AES, ChaCha20, HMAC, raw data, derivation) are stored as
//
//	0x03 ‖ key bytes
//
// (formatRaw, beside formatPKCS8 and formatPKIX in keys.go); the stored
// length in bits must equal the attributes' Bits.
const formatRaw byte = 0x03

// isSymmetric reports whether keys of type t are stored as raw bytes.
func isSymmetric(t psa.KeyType) bool {
	switch t.Kind {
	case psa.KeyAes, psa.KeyChacha20, psa.KeyHmac, psa.KeyRawData, psa.KeyDerive:
		return true
	}
	return false
}

// encodeRaw builds the stored form of symmetric key bytes. The caller clears it.
func encodeRaw(b []byte) []byte {
	id := make([]byte, 1+len(b))
	id[0] = formatRaw
	copy(id[1:], b)
	return id
}

// generateSymmetric returns the stored form of a fresh random key of bits
// bits (checked by checkKeyType: a whole number of bytes).
func generateSymmetric(bits uint32) []byte {
	b := make([]byte, bits/8)
	defer clear(b)
	rand.Read(b)
	return encodeRaw(b)
}

// importSymmetric checks raw key bytes (PSA import format: the key itself)
// against the attributes and returns their stored form and size in bits.
func importSymmetric(a psa.KeyAttributes, data []byte) ([]byte, uint32, error) {
	if len(data) == 0 {
		return nil, 0, status.Errorf(status.PsaErrorInvalidArgument, "key data is empty")
	}
	// Sizes past the table's maximum all answer alike; clamping keeps the
	// conversion to bits from overflowing.
	bits := uint32(min(len(data), maxSymmetricBits/8+1)) * 8
	if a.Bits != 0 && (a.Bits != bits || len(data) > maxSymmetricBits/8) {
		return nil, 0, status.Errorf(status.PsaErrorInvalidArgument, "key_bits %d does not match the %d-byte key", a.Bits, len(data))
	}
	if err := checkKeyType(psa.CheckImport, a.Type, bits); err != nil {
		return nil, 0, err
	}
	return encodeRaw(data), bits, nil
}

// parseRaw fills k from stored symmetric key bytes.
func parseRaw(k *key, raw []byte) error {
	if !isSymmetric(k.attrs.Type) || uint64(len(raw))*8 != uint64(k.attrs.Bits) {
		return status.Errorf(status.PsaErrorDataInvalid, "stored key does not match its attributes (%v, %d bits)", k.attrs.Type, k.attrs.Bits)
	}
	k.sym = bytes.Clone(raw)
	return nil
}
