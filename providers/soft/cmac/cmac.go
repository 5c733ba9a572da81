// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package cmac implements the CMAC message authentication code of NIST
// SP 800-38B (RFC 4493 for AES-128) over any 64- or 128-bit block cipher,
// in practice crypto/aes.
//
// The MAC is always full length (the cipher's block size); a truncated MAC
// is the leading bytes of it (SP 800-38B §6.2, step 7).
package cmac

import (
	"crypto/cipher"
	"crypto/subtle"
	"errors"
	"hash"
)

// rb is the constant R_b of SP 800-38B §5.3 for a block size in bytes.
func rb(size int) (byte, bool) {
	switch size {
	case 16:
		return 0x87, true
	case 8:
		return 0x1b, true
	}
	return 0, false
}

// ErrBlockSize is returned for a cipher whose block size is neither 64 nor 128 bits.
var ErrBlockSize = errors.New("cmac: the block cipher must have a 64- or 128-bit block")

// digest is a running CMAC computation.
type digest struct {
	c      cipher.Block
	k1, k2 []byte // subkeys (SP 800-38B §6.1)
	x      []byte // chaining value
	buf    []byte // pending input, at most one block: the last block is special
	n      int    // bytes pending in buf
}

// New returns a hash.Hash computing CMAC with the block cipher c. Sum
// returns the full MAC, BlockSize and Size are the cipher's block size.
func New(c cipher.Block) (hash.Hash, error) {
	size := c.BlockSize()
	r, ok := rb(size)
	if !ok {
		return nil, ErrBlockSize
	}
	d := &digest{
		c:   c,
		k1:  make([]byte, size),
		k2:  make([]byte, size),
		x:   make([]byte, size),
		buf: make([]byte, size),
	}
	// L = CIPH_K(0^b); K1 = dbl(L); K2 = dbl(K1).
	l := make([]byte, size)
	c.Encrypt(l, l)
	double(d.k1, l, r)
	double(d.k2, d.k1, r)
	clear(l)
	return d, nil
}

// Subkeys returns the subkeys K1 and K2 of SP 800-38B §6.1 for c (for
// known-answer tests).
func Subkeys(c cipher.Block) (k1, k2 []byte, err error) {
	h, err := New(c)
	if err != nil {
		return nil, nil, err
	}
	d := h.(*digest)
	return append([]byte(nil), d.k1...), append([]byte(nil), d.k2...), nil
}

// Sum returns the CMAC of msg under c.
func Sum(c cipher.Block, msg []byte) ([]byte, error) {
	h, err := New(c)
	if err != nil {
		return nil, err
	}
	h.Write(msg)
	return h.Sum(nil), nil
}

// double sets dst to src·x in GF(2^b) (a left shift by one bit, and the
// reduction by R_b when the top bit was set), in constant time.
func double(dst, src []byte, r byte) {
	msb := src[0] >> 7
	for i := 0; i < len(src)-1; i++ {
		dst[i] = src[i]<<1 | src[i+1]>>7
	}
	dst[len(src)-1] = src[len(src)-1]<<1 ^ byte(subtle.ConstantTimeSelect(int(msb), int(r), 0))
}

func (d *digest) Size() int      { return d.c.BlockSize() }
func (d *digest) BlockSize() int { return d.c.BlockSize() }

func (d *digest) Reset() {
	clear(d.x)
	clear(d.buf)
	d.n = 0
}

// Write absorbs p. A full pending block is processed only once more input
// arrives, because the last block of the message is masked with a subkey.
func (d *digest) Write(p []byte) (int, error) {
	written := len(p)
	size := len(d.x)
	for len(p) > 0 {
		if d.n == size {
			subtle.XORBytes(d.x, d.x, d.buf)
			d.c.Encrypt(d.x, d.x)
			d.n = 0
		}
		k := copy(d.buf[d.n:], p)
		d.n += k
		p = p[k:]
	}
	return written, nil
}

// Sum appends the MAC of the data written so far to b; the state is unchanged.
func (d *digest) Sum(b []byte) []byte {
	size := len(d.x)
	last := make([]byte, size)
	copy(last, d.buf[:d.n])
	if d.n == size {
		subtle.XORBytes(last, last, d.k1) // complete last block: M_n ⊕ K1
	} else {
		last[d.n] = 0x80 // padded last block (also the empty message): (M_n ‖ 10^j) ⊕ K2
		subtle.XORBytes(last, last, d.k2)
	}
	subtle.XORBytes(last, last, d.x)
	d.c.Encrypt(last, last)
	return append(b, last...)
}
