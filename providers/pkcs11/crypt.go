// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build cgo && pkcs11

package pkcs11

import (
	"context"
	"crypto/rsa"
	_ "crypto/sha1"   // OAEP and PSS hashes
	_ "crypto/sha256" // (crypto.Hash.New needs them linked)
	_ "crypto/sha512"

	"github.com/parsecd/parsecd/providers/internal/rsaenc"

	"github.com/miekg/pkcs11"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
)

// Asymmetric encryption: CKM_RSA_PKCS and CKM_RSA_PKCS_OAEP (label = the
// salt). Tokens may refuse some OAEP parameters: SoftHSM 2.6 does OAEP
// only with SHA-1 and without a label. Then encryption, a public-key
// operation, runs in Go on the token's public key, and decryption runs as
// raw RSA on the token (CKM_RSA_X_509, the private key never leaves it)
// followed by OAEP decoding in Go, in constant time (oaep.go). A token that
// has no CKM_RSA_X_509 answers PsaErrorNotSupported for those parameters.
//
// A non-empty label always takes the raw path when the token offers
// CKM_RSA_X_509: SoftHSM 2.6 accepts a label in C_DecryptInit and ignores
// it, so its native decryption would not check the label.

// oaepKey names OAEP parameters for the refused cache.
type oaepKey struct {
	hash  psa.Hash
	label bool
}

func (p *Provider) oaepRefused(alg psa.AsymEncrypt, salt []byte) bool {
	_, ok := p.refused.Load(oaepKey{alg.Hash, len(salt) > 0})
	return ok
}

// refusedParams reports whether the token refused a mechanism's parameters.
func refusedParams(err error) bool {
	rv, ok := ckrOf(err)
	return ok && (rv == pkcs11.CKR_ARGUMENTS_BAD || rv == pkcs11.CKR_MECHANISM_PARAM_INVALID || rv == pkcs11.CKR_MECHANISM_INVALID)
}

// cryptMechanism is the token mechanism of alg.
func cryptMechanism(alg psa.AsymEncrypt, salt []byte) []*pkcs11.Mechanism {
	if alg.Kind == psa.EncRsaPkcs1v15 {
		return []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS, nil)}
	}
	hs := hashSpecs[alg.Hash]
	var label []byte
	if len(salt) > 0 {
		label = salt
	}
	return []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS_OAEP,
		pkcs11.NewOAEPParams(hs.mech, hs.mgf, pkcs11.CKZ_DATA_SPECIFIED, label))}
}

// AsymmetricEncrypt implements provider.AsymEncryption: RSA PKCS#1 v1.5
// and RSA OAEP whose label is the salt. Public keys can encrypt.
func (p *Provider) AsymmetricEncrypt(ctx context.Context, c storage.Client, name string, alg psa.AsymEncrypt, plaintext, salt []byte) ([]byte, error) {
	k, err := p.loadFor(ctx, c, name, psa.UseEncrypt(alg, salt, plaintext))
	if err != nil {
		return nil, err
	}
	// The token may not say it clearly (SoftHSM: CKR_GENERAL_ERROR).
	if len(plaintext) > maxPlaintext(alg, k.attrs.Bits) {
		return nil, status.Errorf(status.PsaErrorInvalidArgument, "plaintext too long for the RSA key and algorithm (%d bytes, at most %d)",
			len(plaintext), maxPlaintext(alg, k.attrs.Bits))
	}
	native := !p.opts.SoftwarePublicOperations && p.mech(mechOf(alg), pkcs11.CKF_ENCRYPT) &&
		(alg.Kind != psa.EncRsaOaep || !p.oaepRefused(alg, salt))
	if !native {
		return p.encryptGo(ctx, k, alg, plaintext, salt)
	}
	mech := cryptMechanism(alg, salt)
	var out []byte
	refused := false
	err = p.use(ctx, k, pkcs11.CKO_PUBLIC_KEY, func(h pkcs11.SessionHandle, obj pkcs11.ObjectHandle) error {
		refused = false
		if err := p.mod.ctx.EncryptInit(h, mech, obj); err != nil {
			if alg.Kind == psa.EncRsaOaep && refusedParams(err) {
				refused = true
				return nil
			}
			return p11("C_EncryptInit", err)
		}
		ct, err := p.mod.ctx.Encrypt(h, plaintext)
		if err != nil {
			return p11("C_Encrypt", err)
		}
		out = ct
		return nil
	})
	if err != nil {
		return nil, err
	}
	if refused {
		p.refuse(alg, salt)
		return p.encryptGo(ctx, k, alg, plaintext, salt)
	}
	return out, nil
}

// maxPlaintext is the longest message alg encrypts with a bits-long key.
func maxPlaintext(alg psa.AsymEncrypt, bits uint32) int {
	if alg.Kind == psa.EncRsaOaep {
		return byteLen(bits) - 2*alg.Hash.Size() - 2
	}
	return byteLen(bits) - 11
}

func mechOf(alg psa.AsymEncrypt) uint {
	if alg.Kind == psa.EncRsaOaep {
		return pkcs11.CKM_RSA_PKCS_OAEP
	}
	return pkcs11.CKM_RSA_PKCS
}

func (p *Provider) refuse(alg psa.AsymEncrypt, salt []byte) {
	if _, loaded := p.refused.LoadOrStore(oaepKey{alg.Hash, len(salt) > 0}, true); !loaded {
		p.log.Info("the token refuses these OAEP parameters: encrypting in Go on the public key, decrypting with raw RSA on the token",
			"hash", alg.Hash.String(), "label", len(salt) > 0)
	}
}

// encryptGo encrypts in Go with the key's public key read from the token.
func (p *Provider) encryptGo(ctx context.Context, k *keyRef, alg psa.AsymEncrypt, plaintext, salt []byte) ([]byte, error) {
	pub, err := p.publicKey(ctx, k)
	if err != nil {
		return nil, err
	}
	rk, ok := pub.(*rsa.PublicKey)
	if !ok {
		return nil, status.Errorf(status.PsaErrorNotPermitted, "%v cannot be used with a %v key", alg, k.attrs.Type)
	}
	return rsaenc.Encrypt(rk, alg, hashSpecs[alg.Hash].crypto, plaintext, salt)
}

// AsymmetricDecrypt implements provider.AsymEncryption on the token. A
// ciphertext that does not decrypt is PsaErrorInvalidPadding; one of the
// wrong length is PsaErrorInvalidArgument.
func (p *Provider) AsymmetricDecrypt(ctx context.Context, c storage.Client, name string, alg psa.AsymEncrypt, ciphertext, salt []byte) ([]byte, error) {
	k, err := p.loadFor(ctx, c, name, psa.UseDecrypt(alg, salt, ciphertext))
	if err != nil {
		return nil, err
	}
	// A ciphertext that does not decrypt: SoftHSM says CKR_GENERAL_ERROR.
	bad := remap{
		pkcs11.CKR_DATA_INVALID:           status.PsaErrorInvalidPadding,
		pkcs11.CKR_ENCRYPTED_DATA_INVALID: status.PsaErrorInvalidPadding,
		pkcs11.CKR_GENERAL_ERROR:          status.PsaErrorInvalidPadding,
		pkcs11.CKR_FUNCTION_FAILED:        status.PsaErrorInvalidPadding,
	}
	raw := p.mech(pkcs11.CKM_RSA_X_509, pkcs11.CKF_DECRYPT)
	native := alg.Kind == psa.EncRsaPkcs1v15 ||
		(p.mech(pkcs11.CKM_RSA_PKCS_OAEP, pkcs11.CKF_DECRYPT) && !p.oaepRefused(alg, salt) && (len(salt) == 0 || !raw))
	var out []byte
	refused := false
	err = p.use(ctx, k, pkcs11.CKO_PRIVATE_KEY, func(h pkcs11.SessionHandle, obj pkcs11.ObjectHandle) error {
		refused = false
		if native {
			err := p.mod.ctx.DecryptInit(h, cryptMechanism(alg, salt), obj)
			if err == nil {
				pt, err := p.mod.ctx.Decrypt(h, ciphertext)
				if err != nil {
					return p11("C_Decrypt", err, bad)
				}
				out = pt
				return nil
			}
			if alg.Kind != psa.EncRsaOaep || !refusedParams(err) {
				return p11("C_DecryptInit", err)
			}
			refused = true
		}
		if !raw {
			return status.Errorf(status.PsaErrorNotSupported, "the token does not support %v with these parameters (hash or label) and has no CKM_RSA_X_509 to decode it in software", alg)
		}
		x509 := []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_RSA_X_509, nil)}
		if err := p.mod.ctx.DecryptInit(h, x509, obj); err != nil {
			return p11("C_DecryptInit", err)
		}
		em, err := p.mod.ctx.Decrypt(h, ciphertext)
		if err != nil {
			// Any failure of the raw operation is a bad ciphertext (e.g. not below the modulus).
			return p11("C_Decrypt", err, bad, remap{pkcs11.CKR_ENCRYPTED_DATA_LEN_RANGE: status.PsaErrorInvalidPadding, pkcs11.CKR_DATA_LEN_RANGE: status.PsaErrorInvalidPadding})
		}
		defer clear(em)
		pt, err := rsaenc.DecodeOAEP(hashSpecs[alg.Hash].crypto.New(), len(ciphertext), em, salt)
		if err != nil {
			return err
		}
		out = pt
		return nil
	})
	if refused {
		p.refuse(alg, salt)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}
