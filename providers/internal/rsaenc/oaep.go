// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package rsaenc

import (
	"crypto/subtle"
	"hash"

	"github.com/parsecd/parsecd/src/status"
)

// ErrDecrypt is the one answer to any OAEP decoding failure: which check
// failed must not leak (Manger's attack).
var ErrDecrypt = &status.Error{Code: status.PsaErrorInvalidPadding, Msg: "decryption failed"}

// DecodeOAEP is EME-OAEP decoding (RFC 8017 §7.1.2 step 3) of the encoded
// message em that raw RSA (on a token or a TPM) produced for a k-byte modulus, in constant time
// with respect to the contents of em. h is the OAEP hash, also used by
// MGF1; label is the OAEP label.
func DecodeOAEP(h hash.Hash, k int, em, label []byte) ([]byte, error) {
	hLen := h.Size()
	if k < 2*hLen+2 || len(em) > k {
		return nil, ErrDecrypt
	}
	if len(em) < k {
		// A token or TPM may drop leading zero bytes.
		padded := make([]byte, k)
		copy(padded[k-len(em):], em)
		em = padded
	} else {
		em = append([]byte(nil), em...)
	}
	defer clear(em)

	h.Reset()
	h.Write(label)
	lHash := h.Sum(nil)

	firstByteIsZero := subtle.ConstantTimeByteEq(em[0], 0)
	seed := em[1 : hLen+1]
	db := em[hLen+1:]
	mgf1XOR(seed, h, db)
	mgf1XOR(db, h, seed)
	lHashGood := subtle.ConstantTimeCompare(lHash, db[:hLen])

	// db = lHash' ‖ PS (zeros) ‖ 0x01 ‖ M: find the 0x01 without branching on the data.
	var lookingForIndex, index, invalid int
	lookingForIndex = 1
	rest := db[hLen:]
	for i := 0; i < len(rest); i++ {
		equals0 := subtle.ConstantTimeByteEq(rest[i], 0)
		equals1 := subtle.ConstantTimeByteEq(rest[i], 1)
		index = subtle.ConstantTimeSelect(lookingForIndex&equals1, i, index)
		lookingForIndex = subtle.ConstantTimeSelect(equals1, 0, lookingForIndex)
		invalid = subtle.ConstantTimeSelect(lookingForIndex&^equals0, 1, invalid)
	}
	if firstByteIsZero&lHashGood&^invalid&^lookingForIndex != 1 {
		return nil, ErrDecrypt
	}
	return append([]byte(nil), rest[index+1:]...), nil
}

// mgf1XOR XORs out with MGF1(seed) built on h (RFC 8017 B.2.1).
func mgf1XOR(out []byte, h hash.Hash, seed []byte) {
	var counter [4]byte
	var digest []byte
	done := 0
	for done < len(out) {
		h.Reset()
		h.Write(seed)
		h.Write(counter[:])
		digest = h.Sum(digest[:0])
		for i := 0; i < len(digest) && done < len(out); i++ {
			out[done] ^= digest[i]
			done++
		}
		for i := 3; i >= 0; i-- {
			counter[i]++
			if counter[i] != 0 {
				break
			}
		}
	}
}
