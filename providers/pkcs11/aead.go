// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build cgo && pkcs11

package pkcs11

import (
	"context"

	"github.com/miekg/pkcs11"

	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
)

var _ provider.Aead = (*Provider)(nil)

// AEAD (PsaAeadEncrypt/Decrypt) on the token, with the software provider's
// rules:
//
//   - AES-GCM (CKM_AES_GCM, CK_GCM_PARAMS): a nonce of any non-zero
//     length, as Mbed TLS and the software provider (clients send 5 and 13
//     bytes), an empty one 1135; tag of 16 bytes, or shortened to 4, 8 or
//     12–15 bytes (other lengths 1135).
//   - AES-CCM: PsaErrorNotSupported. miekg/pkcs11 has no CK_CCM_PARAMS,
//     and SoftHSM 2.6 has no CKM_AES_CCM.
//   - ChaCha20-Poly1305: PsaErrorNotSupported (no ChaCha20 keys).
//
// The ciphertext is the encrypted payload followed by the tag, as
// PKCS#11 returns it. Decryption of a ciphertext shorter than the tag is
// 1135; any other authentication failure is PsaErrorInvalidSignature
// (1149) and releases no plaintext (the token releases none; see aeadRun
// for the return values taken for an authentication failure).

// aeadMech is the mechanism of an AEAD algorithm (0: none).
func aeadMech(a psa.AeadAlg) uint {
	switch a {
	case psa.AeadGcm:
		return pkcs11.CKM_AES_GCM
	case psa.AeadCcm:
		return pkcs11.CKM_AES_CCM
	}
	return 0
}

// checkAead is checkAlgorithm for AEAD algorithms.
func (p *Provider) checkAead(a psa.Aead, t psa.KeyType, mismatch func() error, unsupported func(string) error) error {
	switch a.Alg {
	case psa.AeadCcm, psa.AeadGcm:
		if t.Kind != psa.KeyAes {
			return mismatch()
		}
	case psa.AeadChacha20Poly1305:
		if t.Kind != psa.KeyChacha20 {
			return mismatch()
		}
		return unsupported("")
	default:
		return unsupported("")
	}
	if err := a.CheckTagLength(); err != nil {
		return err
	}
	m := aeadMech(a.Alg)
	if !p.mech(m, pkcs11.CKF_ENCRYPT|pkcs11.CKF_DECRYPT) {
		return unsupported(": the token has no " + mechName(m))
	}
	if a.Alg == psa.AeadCcm {
		return unsupported(": CK_CCM_PARAMS are not implemented")
	}
	return nil
}

// checkNonce applies the nonce length rules above (those of CCM too, for
// the answer's sake, though CCM is refused before).
func checkNonce(alg psa.AeadAlg, n int) error {
	switch {
	case alg == psa.AeadGcm && n > 0, alg == psa.AeadChacha20Poly1305 && n == 12,
		alg == psa.AeadCcm && n >= 7 && n <= 13:
		return nil
	}
	return status.Errorf(status.PsaErrorInvalidArgument, "a %d-byte nonce is not valid for %v", n, alg)
}

// aeadKey loads a key and checks, in order, its policy (usage and
// algorithm), the capability table and the nonce length.
func (p *Provider) aeadKey(ctx context.Context, c storage.Client, name string, usage psa.UsageFlags, alg psa.Aead, nonce []byte) (*keyRef, error) {
	k, err := p.loadFor(ctx, c, name, psa.UseAead(usage, alg))
	if err != nil {
		return nil, err
	}
	if err := checkNonce(alg.Alg, len(nonce)); err != nil {
		return nil, err
	}
	return k, nil
}

// aeadRun runs one single-part encryption or decryption with the GCM
// parameters of alg. The parameters live in C memory until the call ends.
func (p *Provider) aeadRun(ctx context.Context, k *keyRef, alg psa.Aead, nonce, ad, in []byte, decrypt bool) ([]byte, error) {
	var out []byte
	bad := remap{
		pkcs11.CKR_ENCRYPTED_DATA_INVALID:   status.PsaErrorInvalidSignature,
		pkcs11.CKR_ENCRYPTED_DATA_LEN_RANGE: status.PsaErrorInvalidSignature,
		pkcs11.CKR_SIGNATURE_INVALID:        status.PsaErrorInvalidSignature,
		pkcs11.CKR_DATA_INVALID:             status.PsaErrorInvalidSignature,
		// SoftHSM 2.6 reports a tag mismatch as CKR_GENERAL_ERROR (its
		// OpenSSL EVP_DecryptFinal failed). Every argument has been
		// checked and C_DecryptInit succeeded, so a failure of C_Decrypt
		// itself is taken for an authentication failure.
		pkcs11.CKR_GENERAL_ERROR:   status.PsaErrorInvalidSignature,
		pkcs11.CKR_FUNCTION_FAILED: status.PsaErrorInvalidSignature,
	}
	err := p.withSecret(ctx, k, func(h pkcs11.SessionHandle, obj pkcs11.ObjectHandle) error {
		params := pkcs11.NewGCMParams(nonce, ad, int(alg.TagLen())*8)
		defer params.Free()
		mech := []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_AES_GCM, params)}
		var err error
		if decrypt {
			if err = p.mod.ctx.DecryptInit(h, mech, obj); err != nil {
				return p11("C_DecryptInit", err)
			}
			out, err = p.mod.ctx.Decrypt(h, in)
			return p11("C_Decrypt", err, bad)
		}
		if err = p.mod.ctx.EncryptInit(h, mech, obj); err != nil {
			return p11("C_EncryptInit", err)
		}
		out, err = p.mod.ctx.Encrypt(h, in)
		return p11("C_Encrypt", err)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// AeadEncrypt implements provider.Aead.
func (p *Provider) AeadEncrypt(ctx context.Context, c storage.Client, name string, alg psa.Aead, nonce, additionalData, plaintext []byte) ([]byte, error) {
	k, err := p.aeadKey(ctx, c, name, psa.UsageEncrypt, alg, nonce)
	if err != nil {
		return nil, err
	}
	out, err := p.aeadRun(ctx, k, alg, nonce, additionalData, plaintext, false)
	if err != nil {
		return nil, err
	}
	if len(out) != len(plaintext)+int(alg.TagLen()) {
		return nil, status.Errorf(status.PsaErrorGenericError, "the token returned %d bytes for %d bytes of plaintext and a %d-byte tag", len(out), len(plaintext), alg.TagLen())
	}
	return out, nil
}

// AeadDecrypt implements provider.Aead.
func (p *Provider) AeadDecrypt(ctx context.Context, c storage.Client, name string, alg psa.Aead, nonce, additionalData, ciphertext []byte) ([]byte, error) {
	k, err := p.aeadKey(ctx, c, name, psa.UsageDecrypt, alg, nonce)
	if err != nil {
		return nil, err
	}
	if tag := int(alg.TagLen()); len(ciphertext) < tag {
		return nil, status.Errorf(status.PsaErrorInvalidArgument, "ciphertext of %d bytes is shorter than the %d-byte tag", len(ciphertext), tag)
	}
	return p.aeadRun(ctx, k, alg, nonce, additionalData, ciphertext, true)
}
