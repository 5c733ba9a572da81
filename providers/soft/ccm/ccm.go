// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package ccm implements Counter with CBC-MAC (CCM), the authenticated
// encryption mode of NIST SP 800-38C and RFC 3610, over any 128-bit block
// cipher, as a crypto/cipher.AEAD.
//
// Parameters: a nonce of 7 to 13 bytes (the length field then takes the
// remaining L = 15 - nonce bytes, which bounds the message to 2^(8L) - 1
// bytes) and a tag of 4, 6, 8, 10, 12, 14 or 16 bytes. The ciphertext is the
// encrypted payload followed by the tag.
package ccm

import (
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"math"
)

const blockSize = 16

// Nonce and tag size bounds.
const (
	MinNonceSize = 7
	MaxNonceSize = 13
	MinTagSize   = 4
	MaxTagSize   = 16
)

var errOpen = errors.New("ccm: message authentication failed")

type ccm struct {
	b         cipher.Block
	nonceSize int
	tagSize   int
}

// New returns CCM over b (a 128-bit block cipher) with the given nonce and
// tag sizes. Like the AEADs of crypto/cipher, Seal panics on a nonce of the
// wrong size or a plaintext longer than MaxLength; Open returns an error.
func New(b cipher.Block, nonceSize, tagSize int) (cipher.AEAD, error) {
	if b.BlockSize() != blockSize {
		return nil, errors.New("ccm: the block cipher must have a 128-bit block")
	}
	if nonceSize < MinNonceSize || nonceSize > MaxNonceSize {
		return nil, errors.New("ccm: the nonce must be 7 to 13 bytes")
	}
	if tagSize < MinTagSize || tagSize > MaxTagSize || tagSize%2 != 0 {
		return nil, errors.New("ccm: the tag must be 4, 6, 8, 10, 12, 14 or 16 bytes")
	}
	return &ccm{b: b, nonceSize: nonceSize, tagSize: tagSize}, nil
}

// MaxLength is the longest payload CCM takes with a nonce of nonceSize
// bytes: 2^(8L) - 1 bytes with L = 15 - nonceSize, capped at math.MaxInt.
func MaxLength(nonceSize int) uint64 {
	l := 15 - nonceSize
	if l >= 8 {
		return math.MaxInt
	}
	return min(uint64(1)<<(8*l)-1, math.MaxInt)
}

func (c *ccm) NonceSize() int { return c.nonceSize }
func (c *ccm) Overhead() int  { return c.tagSize }

// counter returns counter block A_i (RFC 3610 section 2.3): flags (L-1),
// the nonce, then i in the L-byte length field.
func (c *ccm) counter(nonce []byte, i uint64) [blockSize]byte {
	var a [blockSize]byte
	a[0] = byte(14 - c.nonceSize) // L - 1
	copy(a[1:], nonce)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], i)
	copy(a[1+c.nonceSize:], n[8-(15-c.nonceSize):])
	return a
}

// tag computes the CBC-MAC of the formatted input (B_0, the encoded
// associated data, the payload) and encrypts it with S_0.
func (c *ccm) tag(nonce, ad, plaintext []byte) []byte {
	var b0 [blockSize]byte
	b0[0] = byte((c.tagSize-2)/2)<<3 | byte(14-c.nonceSize)
	if len(ad) > 0 {
		b0[0] |= 0x40
	}
	copy(b0[1:], nonce)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(plaintext)))
	copy(b0[1+c.nonceSize:], n[8-(15-c.nonceSize):])

	m := cbcMAC{b: c.b}
	m.write(b0[:])
	if len(ad) > 0 {
		m.write(adLength(uint64(len(ad))))
		m.write(ad)
		m.pad()
	}
	m.write(plaintext)
	m.pad()

	a0 := c.counter(nonce, 0)
	var s0 [blockSize]byte
	c.b.Encrypt(s0[:], a0[:])
	t := make([]byte, c.tagSize)
	subtle.XORBytes(t, m.x[:c.tagSize], s0[:c.tagSize])
	return t
}

// adLength encodes the length of the associated data (RFC 3610 section 2.2).
func adLength(n uint64) []byte {
	switch {
	case n < 0xFF00:
		return binary.BigEndian.AppendUint16(nil, uint16(n))
	case n <= math.MaxUint32:
		return binary.BigEndian.AppendUint32([]byte{0xFF, 0xFE}, uint32(n))
	}
	return binary.BigEndian.AppendUint64([]byte{0xFF, 0xFF}, n)
}

// crypt XORs src with the key stream that starts at counter block A_1.
func (c *ccm) crypt(dst, src, nonce []byte) {
	a1 := c.counter(nonce, 1)
	cipher.NewCTR(c.b, a1[:]).XORKeyStream(dst, src)
}

// Seal implements cipher.AEAD: it appends the encrypted plaintext and the tag to dst.
func (c *ccm) Seal(dst, nonce, plaintext, additionalData []byte) []byte {
	if len(nonce) != c.nonceSize {
		panic("ccm: incorrect nonce length given to CCM")
	}
	if uint64(len(plaintext)) > MaxLength(c.nonceSize) {
		panic("ccm: message too large for the nonce size")
	}
	t := c.tag(nonce, additionalData, plaintext)
	ret, out := sliceForAppend(dst, len(plaintext)+c.tagSize)
	c.crypt(out[:len(plaintext)], plaintext, nonce)
	copy(out[len(plaintext):], t)
	return ret
}

// Open implements cipher.AEAD: it authenticates and decrypts ciphertext
// (payload ‖ tag) and appends the plaintext to dst. On failure nothing is
// released: the output is zeroed and an error returned.
func (c *ccm) Open(dst, nonce, ciphertext, additionalData []byte) ([]byte, error) {
	if len(nonce) != c.nonceSize || len(ciphertext) < c.tagSize ||
		uint64(len(ciphertext)-c.tagSize) > MaxLength(c.nonceSize) {
		return nil, errOpen
	}
	body, tag := ciphertext[:len(ciphertext)-c.tagSize], ciphertext[len(ciphertext)-c.tagSize:]
	ret, out := sliceForAppend(dst, len(body))
	c.crypt(out, body, nonce)
	if subtle.ConstantTimeCompare(c.tag(nonce, additionalData, out), tag) != 1 {
		clear(out)
		return nil, errOpen
	}
	return ret, nil
}

// cbcMAC is a CBC-MAC with a zero IV fed in pieces; pad ends a section
// with zero bytes up to the block boundary.
type cbcMAC struct {
	b cipher.Block
	x [blockSize]byte
	n int // bytes of the current block already absorbed
}

func (m *cbcMAC) write(p []byte) {
	for len(p) > 0 {
		if m.n == 0 && len(p) >= blockSize {
			subtle.XORBytes(m.x[:], m.x[:], p[:blockSize])
			m.b.Encrypt(m.x[:], m.x[:])
			p = p[blockSize:]
			continue
		}
		k := subtle.XORBytes(m.x[m.n:], m.x[m.n:], p)
		m.n += k
		p = p[k:]
		if m.n == blockSize {
			m.b.Encrypt(m.x[:], m.x[:])
			m.n = 0
		}
	}
}

func (m *cbcMAC) pad() {
	if m.n > 0 {
		m.b.Encrypt(m.x[:], m.x[:])
		m.n = 0
	}
}

// sliceForAppend extends in by n bytes, returning the whole slice and the
// new tail (the crypto/cipher idiom).
func sliceForAppend(in []byte, n int) (head, tail []byte) {
	if total := len(in) + n; cap(in) >= total {
		head = in[:total]
	} else {
		head = make([]byte, total)
		copy(head, in)
	}
	tail = head[len(in):]
	return
}
