// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package tpm

import (
	"context"
	"crypto/rsa"
	"errors"

	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"

	"github.com/parsecd/parsecd/providers/internal/rsaenc"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/storage"
)

// AsymmetricEncrypt implements provider.AsymEncryption in Go with the
// stored public key (rsaenc): encryption needs no secret. OAEP's label is
// the salt, exactly as given.
func (p *Provider) AsymmetricEncrypt(ctx context.Context, c storage.Client, name string, alg psa.AsymEncrypt, plaintext, salt []byte) ([]byte, error) {
	k, err := p.loadFor(ctx, c, name, psa.UseEncrypt(alg, salt, plaintext))
	if err != nil {
		return nil, err
	}
	_, ch, _ := p.caps.hash(alg.Hash)
	return rsaenc.Encrypt(k.pub.(*rsa.PublicKey), alg, ch, plaintext, salt)
}

// AsymmetricDecrypt implements provider.AsymEncryption with TPM2_RSA_Decrypt
// (RSAES-PKCS1-v1_5 or OAEP), the plaintext returned in an encrypted
// session. The TPM treats an OAEP label as a C string: it appends a NUL
// byte unless the label already ends with one (TPM 2.0 Part 1, "OAEP"), so
// a label without a final NUL, as PSA and Go use it, would never match. For
// such labels the TPM does the raw RSA operation and the OAEP decoding runs
// here, in constant time (rsaenc.DecodeOAEP).
func (p *Provider) AsymmetricDecrypt(ctx context.Context, c storage.Client, name string, alg psa.AsymEncrypt, ciphertext, salt []byte) ([]byte, error) {
	k, err := p.loadFor(ctx, c, name, psa.UseDecrypt(alg, salt, ciphertext))
	if err != nil {
		return nil, err
	}
	hashAlg, ch, _ := p.caps.hash(alg.Hash)
	scheme := tpm2.TPMTRSADecrypt{Scheme: tpm2.TPMAlgRSAES, Details: tpm2.NewTPMUAsymScheme(tpm2.TPMAlgRSAES, &tpm2.TPMSEncSchemeRSAES{})}
	raw := alg.Kind == psa.EncRsaOaep && len(salt) > 0 && salt[len(salt)-1] != 0
	switch {
	case raw:
		scheme = tpm2.TPMTRSADecrypt{Scheme: tpm2.TPMAlgNull}
	case alg.Kind == psa.EncRsaOaep:
		scheme = tpm2.TPMTRSADecrypt{Scheme: tpm2.TPMAlgOAEP, Details: tpm2.NewTPMUAsymScheme(tpm2.TPMAlgOAEP, &tpm2.TPMSEncSchemeOAEP{HashAlg: hashAlg})}
	}
	var out []byte
	err = p.withKey(ctx, k, sessEncryptOut, func(t transport.TPM, h tpm2.AuthHandle) error {
		cmd := tpm2.RSADecrypt{KeyHandle: h, CipherText: tpm2.TPM2BPublicKeyRSA{Buffer: ciphertext}, InScheme: scheme}
		if !raw && len(salt) > 0 {
			cmd.Label = tpm2.TPM2BData{Buffer: salt}
		}
		rsp, err := cmd.Execute(t)
		if err != nil {
			return decryptErr(t, err)
		}
		out = rsp.Message.Buffer
		return nil
	})
	if err != nil || !raw {
		return out, err
	}
	defer clear(out)
	return rsaenc.DecodeOAEP(ch.New(), len(ciphertext), out, salt)
}

// decryptErr maps a TPM2_RSA_Decrypt failure. TPM_RC_VALUE means the
// padding did not check; which check failed is not told (Bleichenbacher,
// Manger). libtpms (swtpm) answers a bad padding with TPM_RC_FAILURE
// instead, without entering failure mode: a one-byte TPM2_GetRandom tells
// that apart from a TPM that really failed.
func decryptErr(t transport.TPM, err error) error {
	switch {
	case errors.Is(err, tpm2.TPMRCValue):
		return rsaenc.ErrDecrypt
	case errors.Is(err, tpm2.TPMRCFailure):
		if _, perr := (tpm2.GetRandom{BytesRequested: 1}).Execute(t); perr == nil {
			return rsaenc.ErrDecrypt
		}
	}
	return tpmErr("RSA_Decrypt", err)
}
