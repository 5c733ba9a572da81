package soft

import (
	"crypto/cipher"
	"crypto/subtle"
	"errors"
)

// newGCM returns AES-GCM with a 12-byte nonce and a tag of tagSize bytes
// (16, 12 to 15, 8 or 4: Aead.CheckTagLength has checked it).
func newGCM(b cipher.Block, tagSize int) (cipher.AEAD, error) {
	switch {
	case tagSize == 16:
		return cipher.NewGCM(b)
	case tagSize >= 12:
		return cipher.NewGCMWithTagSize(b, tagSize)
	}
	full, err := cipher.NewGCM(b)
	if err != nil {
		return nil, err
	}
	return &shortGCM{full: full, b: b, tagSize: tagSize}, nil
}

var errGCMOpen = errors.New("gcm: message authentication failed")

// shortGCM is GCM with a 4- or 8-byte tag, which crypto/cipher does not
// offer. SP 800-38D defines a t-byte tag as the leading t bytes of the full
// tag (T = MSB_t(GCTR(J0, S))), so Seal truncates the full tag, and Open
// decrypts with the GCM key stream (GCTR from inc32(J0), J0 = nonce ‖ 0^31 ‖ 1
// for a 12-byte nonce), seals the plaintext again and compares the leading
// bytes of the tag in constant time before releasing anything.
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
	copy(ctr[:], nonce)
	ctr[15] = 2 // inc32(J0). The payload is far below the 2^32 blocks that would carry past 32 bits.
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
