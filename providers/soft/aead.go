// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package soft

import (
	"context"
	"crypto/aes"
	"crypto/cipher"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/parsecd/parsecd/providers/soft/ccm"
	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
)

var _ provider.Aead = (*Provider)(nil)

// AEAD parameters (PsaAeadEncrypt/Decrypt, opcodes 0x11/0x12):
//
//   - AES-GCM (128/192/256-bit keys): a nonce of any non-zero length, as
//     SP 800-38D and Mbed TLS allow (12 bytes is the recommended length;
//     clients send 5 and 13), an empty nonce is PsaErrorInvalidArgument
//     (1135); tag of 16 bytes by default, or shortened to 4, 8, 12, 13, 14
//     or 15 bytes.
//   - AES-CCM: 7 to 13-byte nonce (other lengths 1135); tag of 16 bytes by
//     default, or 4, 6, 8, 10, 12 or 14 bytes; the payload is at most
//     2^(8(15-nonce)) - 1 bytes (1135 beyond).
//   - ChaCha20-Poly1305 (RFC 8439): 12-byte nonce (other lengths 1135), 16-byte tag.
//
// The ciphertext is the encrypted payload followed by the tag. A shortened
// tag of an invalid length is 1135 (Aead.CheckTagLength, as CanDoCrypto answers).
// Decryption of a ciphertext shorter than the tag is 1135; any other
// authentication failure (a changed ciphertext, tag, nonce or additional
// data) is PsaErrorInvalidSignature (1149) and releases no plaintext.

// AeadEncrypt implements provider.Aead.
func (p *Provider) AeadEncrypt(ctx context.Context, c storage.Client, name string, alg psa.Aead, nonce, additionalData, plaintext []byte) ([]byte, error) {
	a, err := p.aeadFor(ctx, c, name, psa.UsageEncrypt, alg, nonce)
	if err != nil {
		return nil, err
	}
	if err := checkPayload(alg.Alg, len(nonce), len(plaintext)); err != nil {
		return nil, err
	}
	return a.Seal(nil, nonce, plaintext, additionalData), nil
}

// AeadDecrypt implements provider.Aead.
func (p *Provider) AeadDecrypt(ctx context.Context, c storage.Client, name string, alg psa.Aead, nonce, additionalData, ciphertext []byte) ([]byte, error) {
	a, err := p.aeadFor(ctx, c, name, psa.UsageDecrypt, alg, nonce)
	if err != nil {
		return nil, err
	}
	if len(ciphertext) < a.Overhead() {
		return nil, status.Errorf(status.PsaErrorInvalidArgument, "ciphertext of %d bytes is shorter than the %d-byte tag", len(ciphertext), a.Overhead())
	}
	if err := checkPayload(alg.Alg, len(nonce), len(ciphertext)-a.Overhead()); err != nil {
		return nil, err
	}
	out, err := a.Open(nil, nonce, ciphertext, additionalData)
	if err != nil {
		return nil, status.Errorf(status.PsaErrorInvalidSignature, "authentication failed")
	}
	return out, nil
}

// aeadFor loads a key and checks, in order, its policy (usage and
// algorithm), the capability table and the nonce length, then builds the AEAD.
func (p *Provider) aeadFor(ctx context.Context, c storage.Client, name string, usage psa.UsageFlags, alg psa.Aead, nonce []byte) (cipher.AEAD, error) {
	k, err := p.loadFor(ctx, c, name, psa.UseAead(usage, alg))
	if err != nil {
		return nil, err
	}
	if err := checkNonce(alg.Alg, len(nonce)); err != nil {
		return nil, err
	}
	return newAEAD(alg, k.sym, len(nonce))
}

// checkNonce applies the nonce length rules above.
func checkNonce(alg psa.AeadAlg, n int) error {
	switch {
	case alg == psa.AeadGcm && n > 0, alg == psa.AeadChacha20Poly1305 && n == 12,
		alg == psa.AeadCcm && n >= ccm.MinNonceSize && n <= ccm.MaxNonceSize:
		return nil
	}
	return status.Errorf(status.PsaErrorInvalidArgument, "a %d-byte nonce is not valid for %v", n, alg)
}

// checkPayload bounds the payload of CCM, whose length field takes the
// 15 - nonce bytes the nonce leaves. (GCM's and ChaCha20-Poly1305's bounds,
// 64 GiB and 256 GiB, are beyond any request.)
func checkPayload(alg psa.AeadAlg, nonceLen, n int) error {
	if alg == psa.AeadCcm && uint64(n) > ccm.MaxLength(nonceLen) {
		return status.Errorf(status.PsaErrorInvalidArgument, "a %d-byte CCM nonce allows at most %d bytes of payload", nonceLen, ccm.MaxLength(nonceLen))
	}
	return nil
}

// newAEAD builds the AEAD for a key whose type, tag length and nonce
// length have been checked.
func newAEAD(alg psa.Aead, key []byte, nonceSize int) (cipher.AEAD, error) {
	tagLen := int(alg.TagLen())
	var a cipher.AEAD
	var err error
	switch alg.Alg {
	case psa.AeadGcm, psa.AeadCcm:
		var b cipher.Block
		if b, err = aes.NewCipher(key); err != nil {
			break
		}
		if alg.Alg == psa.AeadCcm {
			a, err = ccm.New(b, nonceSize, tagLen)
		} else {
			a, err = newGCM(b, nonceSize, tagLen)
		}
	case psa.AeadChacha20Poly1305:
		a, err = chacha20poly1305.New(key)
	default:
		return nil, status.Errorf(status.PsaErrorNotSupported, "%v is not supported", alg)
	}
	if err != nil {
		return nil, status.Errorf(status.PsaErrorGenericError, "setting up %v: %w", alg, err)
	}
	return a, nil
}
