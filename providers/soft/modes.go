// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package soft

import (
	"crypto/cipher"
	"crypto/subtle"
)

// Block cipher modes crypto/cipher does not offer (ECB) or offers only as
// deprecated API (CFB, OFB since Go 1.24), written over cipher.Block per
// NIST SP 800-38A.

// ecb encrypts or decrypts whole blocks independently (SP 800-38A 6.1).
func ecb(b cipher.Block, dst, src []byte, decrypt bool) {
	n := b.BlockSize()
	for i := 0; i+n <= len(src); i += n {
		if decrypt {
			b.Decrypt(dst[i:i+n], src[i:i+n])
		} else {
			b.Encrypt(dst[i:i+n], src[i:i+n])
		}
	}
}

// ofb XORs src with the output feedback key stream O_j = E(O_{j-1}),
// O_0 = E(IV) (SP 800-38A 6.4); a final partial block uses the leading
// bytes of its key stream block. Encryption and decryption are the same.
func ofb(b cipher.Block, iv, dst, src []byte) {
	reg := make([]byte, b.BlockSize())
	copy(reg, iv)
	for len(src) > 0 {
		b.Encrypt(reg, reg)
		n := subtle.XORBytes(dst, src, reg)
		dst, src = dst[n:], src[n:]
	}
}

// cfb is CFB-128 (segment = block, SP 800-38A 6.3): C_j = P_j ⊕ E(C_{j-1}),
// C_0 = IV; a final partial block uses the leading bytes of its key stream.
func cfb(b cipher.Block, iv, dst, src []byte, decrypt bool) {
	bs := b.BlockSize()
	reg := make([]byte, bs)
	copy(reg, iv)
	ks := make([]byte, bs)
	for len(src) > 0 {
		b.Encrypt(ks, reg)
		n := min(bs, len(src))
		if decrypt {
			copy(reg, src[:n]) // the next register is this ciphertext block
			subtle.XORBytes(dst[:n], src[:n], ks)
		} else {
			subtle.XORBytes(dst[:n], src[:n], ks)
			copy(reg, dst[:n])
		}
		dst, src = dst[n:], src[n:]
	}
}

// pkcs7Pad returns a copy of p padded to a whole number of 16-byte blocks
// (RFC 5652 section 6.3): 1 to 16 bytes, each holding the pad length.
func pkcs7Pad(p []byte) []byte {
	n := 16 - len(p)%16
	out := make([]byte, len(p)+n)
	copy(out, p)
	for i := len(p); i < len(out); i++ {
		out[i] = byte(n)
	}
	return out
}

// pkcs7Unpad checks the padding of a non-empty multiple of 16 bytes and
// returns the length without it. It reads the whole last block whatever the
// padding, so that its time does not depend on where the padding is wrong.
func pkcs7Unpad(p []byte) (int, bool) {
	last := p[len(p)-16:]
	n := int(last[15])
	good := subtle.ConstantTimeLessOrEq(1, n) & subtle.ConstantTimeLessOrEq(n, 16)
	for i := range 16 {
		// Byte 15-i is padding when i < n and must then equal n.
		inPad := subtle.ConstantTimeLessOrEq(i+1, n)
		good &= subtle.ConstantTimeSelect(inPad, subtle.ConstantTimeByteEq(last[15-i], byte(n)), 1)
	}
	if good != 1 {
		return 0, false
	}
	return len(p) - n, true
}
