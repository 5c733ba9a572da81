// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package soft

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"

	"golang.org/x/crypto/chacha20"

	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
)

var _ provider.Cipher = (*Provider)(nil)

// Unauthenticated ciphers (PsaCipherEncrypt/Decrypt, opcodes 0x14/0x15).
// Encryption generates a random IV and returns IV ‖ ciphertext; decryption
// takes IV ‖ ciphertext (PSA psa_cipher_encrypt/decrypt):
//
//   - AES (128/192/256-bit keys), 16-byte IV: CTR (the whole 16-byte counter
//     block counts, big-endian), CFB (CFB-128), OFB, CBC_NO_PADDING and
//     CBC_PKCS7; ECB_NO_PADDING has no IV. XTS is not supported (1134).
//   - STREAM_CIPHER with a ChaCha20 key (RFC 8439): 12-byte nonce as the IV,
//     block counter starting at 0.
//
// Lengths: ECB and CBC without padding take a non-empty multiple of 16
// bytes; CBC_PKCS7 encrypts any length (empty gives one padding block) and
// decrypts a non-empty multiple of 16 bytes; the stream modes (CTR, CFB, OFB,
// ChaCha20) take any length, empty included. A wrong length, or a decryption
// input shorter than the IV, is PsaErrorInvalidArgument (1135); bad PKCS#7
// padding is PsaErrorInvalidPadding (1150).

// CipherEncrypt implements provider.Cipher.
func (p *Provider) CipherEncrypt(ctx context.Context, c storage.Client, name string, alg psa.Cipher, plaintext []byte) ([]byte, error) {
	k, err := p.cipherKey(ctx, c, name, psa.UsageEncrypt, alg)
	if err != nil {
		return nil, err
	}
	iv := make([]byte, ivSize(alg))
	rand.Read(iv)
	return encryptWithIV(alg, k.sym, iv, plaintext)
}

// CipherDecrypt implements provider.Cipher.
func (p *Provider) CipherDecrypt(ctx context.Context, c storage.Client, name string, alg psa.Cipher, ciphertext []byte) ([]byte, error) {
	k, err := p.cipherKey(ctx, c, name, psa.UsageDecrypt, alg)
	if err != nil {
		return nil, err
	}
	n := ivSize(alg)
	if len(ciphertext) < n {
		return nil, status.Errorf(status.PsaErrorInvalidArgument, "input of %d bytes is shorter than the %d-byte IV", len(ciphertext), n)
	}
	return decryptWithIV(alg, k.sym, ciphertext[:n], ciphertext[n:])
}

// cipherKey loads a key and checks its policy (usage and algorithm) and the
// capability table.
func (p *Provider) cipherKey(ctx context.Context, c storage.Client, name string, usage psa.UsageFlags, alg psa.Cipher) (*key, error) {
	return p.loadFor(ctx, c, name, psa.UseCipher(usage, alg))
}

// ivSize is the IV length of a mode: none for ECB, ChaCha20's 12-byte
// nonce, the AES block otherwise.
func ivSize(alg psa.Cipher) int {
	switch alg {
	case psa.CipherEcbNoPadding:
		return 0
	case psa.CipherStream:
		return chacha20.NonceSize
	}
	return aes.BlockSize
}

// checkLength applies the length rules above to the input of an encryption
// (decrypt false) or to the ciphertext after the IV.
func checkLength(alg psa.Cipher, n int, decrypt bool) error {
	switch alg {
	case psa.CipherEcbNoPadding, psa.CipherCbcNoPadding, psa.CipherCbcPkcs7:
		if alg == psa.CipherCbcPkcs7 && !decrypt {
			return nil
		}
		if n == 0 || n%aes.BlockSize != 0 {
			return status.Errorf(status.PsaErrorInvalidArgument, "%v needs a non-empty multiple of %d bytes, not %d", alg, aes.BlockSize, n)
		}
	}
	return nil
}

// encryptWithIV encrypts plaintext with key and the given IV (empty for ECB)
// and returns IV ‖ ciphertext.
func encryptWithIV(alg psa.Cipher, key, iv, plaintext []byte) ([]byte, error) {
	if err := checkLength(alg, len(plaintext), false); err != nil {
		return nil, err
	}
	in := plaintext
	if alg == psa.CipherCbcPkcs7 {
		in = pkcs7Pad(plaintext)
		defer clear(in)
	}
	out := make([]byte, len(iv)+len(in))
	copy(out, iv)
	if err := crypt(alg, key, iv, out[len(iv):], in, false); err != nil {
		return nil, err
	}
	return out, nil
}

// decryptWithIV decrypts ciphertext (without its IV) with key and iv.
func decryptWithIV(alg psa.Cipher, key, iv, ciphertext []byte) ([]byte, error) {
	if err := checkLength(alg, len(ciphertext), true); err != nil {
		return nil, err
	}
	out := make([]byte, len(ciphertext))
	if err := crypt(alg, key, iv, out, ciphertext, true); err != nil {
		return nil, err
	}
	if alg != psa.CipherCbcPkcs7 {
		return out, nil
	}
	n, ok := pkcs7Unpad(out)
	if !ok {
		clear(out)
		return nil, status.Errorf(status.PsaErrorInvalidPadding, "invalid PKCS#7 padding")
	}
	clear(out[n:])
	return out[:n:n], nil
}

// crypt runs the mode over src into dst (same length; whole blocks where
// the mode needs them).
func crypt(alg psa.Cipher, key, iv, dst, src []byte, decrypt bool) error {
	if alg == psa.CipherStream {
		s, err := chacha20.NewUnauthenticatedCipher(key, iv)
		if err != nil {
			return status.Errorf(status.PsaErrorGenericError, "setting up ChaCha20: %w", err)
		}
		s.XORKeyStream(dst, src)
		return nil
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return status.Errorf(status.PsaErrorGenericError, "setting up AES: %w", err)
	}
	switch alg {
	case psa.CipherCtr:
		cipher.NewCTR(b, iv).XORKeyStream(dst, src)
	case psa.CipherOfb:
		ofb(b, iv, dst, src)
	case psa.CipherCfb:
		cfb(b, iv, dst, src, decrypt)
	case psa.CipherEcbNoPadding:
		ecb(b, dst, src, decrypt)
	case psa.CipherCbcNoPadding, psa.CipherCbcPkcs7:
		if decrypt {
			cipher.NewCBCDecrypter(b, iv).CryptBlocks(dst, src)
		} else {
			cipher.NewCBCEncrypter(b, iv).CryptBlocks(dst, src)
		}
	default:
		return status.Errorf(status.PsaErrorNotSupported, "%v is not supported", alg)
	}
	return nil
}
