// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package soft

import (
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"errors"
)

// newGCM returns AES-GCM with a nonce of nonceSize bytes (any non-zero
// length) and a tag of tagSize bytes (16, 12 to 15, 8 or 4:
// Aead.CheckTagLength has checked it).
func newGCM(b cipher.Block, nonceSize, tagSize int) (cipher.AEAD, error) {
	if nonceSize == gcmStandardNonceSize && tagSize >= 12 {
		return cipher.NewGCMWithTagSize(b, tagSize)
	}
	full, err := cipher.NewGCMWithNonceSize(b, nonceSize)
	if err != nil || tagSize == full.Overhead() {
		return full, err
	}
	// crypto/cipher has no constructor for another nonce size and a
	// shortened tag together, nor for 4- and 8-byte tags.
	return &shortGCM{full: full, b: b, tagSize: tagSize}, nil
}

const gcmStandardNonceSize = 12

var errGCMOpen = errors.New("gcm: message authentication failed")

// shortGCM is GCM with a shortened tag, for the tag and nonce sizes
// crypto/cipher does not offer together. SP 800-38D defines a t-byte tag as
// the leading t bytes of the full tag (T = MSB_t(GCTR(J0, S))), so Seal
// truncates the full tag, and Open decrypts with the GCM key stream (GCTR
// from inc32(J0)), seals the plaintext again and compares the leading bytes
// of the tag in constant time before releasing anything.
//
// J0 is nonce ‖ 0^31 ‖ 1 for a 12-byte nonce and a GHASH of the nonce for
// any other length; either way the full tag of an empty message with no
// additional data is E_K(J0) (its GHASH input is one all-zero length block,
// whose hash is zero), so one block decryption of that tag gives J0 without
// a GHASH of our own.
type shortGCM struct {
	full    cipher.AEAD
	b       cipher.Block
	tagSize int
}

func (g *shortGCM) NonceSize() int { return g.full.NonceSize() }
func (g *shortGCM) Overhead() int  { return g.tagSize }

func (g *shortGCM) Seal(dst, nonce, plaintext, additionalData []byte) []byte {
	out := g.full.Seal(nil, nonce, plaintext, additionalData)
	return append(dst, out[:len(plaintext)+g.tagSize]...)
}

func (g *shortGCM) Open(dst, nonce, ciphertext, additionalData []byte) ([]byte, error) {
	if len(nonce) != g.full.NonceSize() || len(ciphertext) < g.tagSize {
		return nil, errGCMOpen
	}
	body, tag := ciphertext[:len(ciphertext)-g.tagSize], ciphertext[len(ciphertext)-g.tagSize:]
	var ctr [16]byte
	g.b.Decrypt(ctr[:], g.full.Seal(nil, nonce, nil, nil))
	// inc32: the low 32 bits count modulo 2^32 (a hashed J0 may start anywhere).
	binary.BigEndian.PutUint32(ctr[12:], binary.BigEndian.Uint32(ctr[12:])+1)
	pt := make([]byte, len(body))
	cipher.NewCTR(g.b, ctr[:]).XORKeyStream(pt, body)
	again := g.full.Seal(nil, nonce, pt, additionalData)
	if subtle.ConstantTimeCompare(again[len(body):len(body)+g.tagSize], tag) != 1 {
		clear(pt)
		return nil, errGCMOpen
	}
	out := append(dst, pt...)
	clear(pt)
	return out, nil
}
