// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package tpm

import (
	"context"
	"crypto"

	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"

	"github.com/parsecd/parsecd/providers/internal/pubkey"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
)

// SignHash implements provider.AsymSign with TPM2_Sign: RSASSA-PKCS1-v1_5,
// RSA-PSS and ECDSA with a hash the TPM implements. ECDSA signatures are
// r‖s, each ceil(curve_bits/8) bytes. EcdsaAny signs with the hash whose
// size the digest has.
func (p *Provider) SignHash(ctx context.Context, c storage.Client, name string, alg psa.AsymSign, hash []byte) ([]byte, error) {
	k, err := p.loadFor(ctx, c, name, psa.UseSign(psa.UsageSignHash, alg, len(hash)))
	if err != nil {
		return nil, err
	}
	scheme, err := p.sigScheme(k, alg, len(hash))
	if err != nil {
		return nil, err
	}
	var sig []byte
	err = p.withKey(ctx, k, sessPlain, func(t transport.TPM, h tpm2.AuthHandle) error {
		rsp, err := tpm2.Sign{
			KeyHandle:  h,
			Digest:     tpm2.TPM2BDigest{Buffer: hash},
			InScheme:   scheme,
			Validation: tpm2.TPMTTKHashCheck{Tag: tpm2.TPMSTHashCheck, Hierarchy: tpm2.TPMRHNull},
		}.Execute(t)
		if err != nil {
			return tpmErr("Sign", err)
		}
		sig, err = signatureBytes(k, rsp.Signature)
		return err
	})
	return sig, err
}

// sigScheme is the TPM signing scheme of alg for a digest of n bytes;
// p.loadFor has checked that the TPM can sign with alg.
func (p *Provider) sigScheme(k *key, alg psa.AsymSign, n int) (tpm2.TPMTSigScheme, error) {
	h := alg.Hash
	if alg.Kind == psa.SignEcdsaAny {
		h = hashOfSize(n)
	}
	hashAlg, _, ok := p.caps.hash(h)
	if !ok {
		return tpm2.TPMTSigScheme{}, status.Errorf(status.PsaErrorNotSupported, "the TPM has no %d-byte hash to sign such a digest with %v", n, alg)
	}
	scheme := map[psa.SignKind]tpm2.TPMAlgID{
		psa.SignRsaPkcs1v15: tpm2.TPMAlgRSASSA,
		psa.SignRsaPss:      tpm2.TPMAlgRSAPSS,
		psa.SignEcdsa:       tpm2.TPMAlgECDSA,
		psa.SignEcdsaAny:    tpm2.TPMAlgECDSA,
	}[alg.Kind]
	return tpm2.TPMTSigScheme{
		Scheme:  scheme,
		Details: tpm2.NewTPMUSigScheme(scheme, &tpm2.TPMSSchemeHash{HashAlg: hashAlg}),
	}, nil
}

// hashOfSize names the hash an EcdsaAny digest of n bytes was made with.
func hashOfSize(n int) psa.Hash {
	for _, h := range []psa.Hash{psa.HashSHA256, psa.HashSHA384, psa.HashSHA512, psa.HashSHA1} {
		if h.Size() == n {
			return h
		}
	}
	return psa.HashNone
}

// signatureBytes converts a TPM signature to the PSA format.
func signatureBytes(k *key, s tpm2.TPMTSignature) ([]byte, error) {
	switch s.SigAlg {
	case tpm2.TPMAlgRSASSA, tpm2.TPMAlgRSAPSS:
		var rs *tpm2.TPMSSignatureRSA
		var err error
		if s.SigAlg == tpm2.TPMAlgRSASSA {
			rs, err = s.Signature.RSASSA()
		} else {
			rs, err = s.Signature.RSAPSS()
		}
		if err != nil {
			return nil, tpmErr("Sign", err)
		}
		return rs.Sig.Buffer, nil
	case tpm2.TPMAlgECDSA:
		es, err := s.Signature.ECDSA()
		if err != nil {
			return nil, tpmErr("Sign", err)
		}
		n := byteLen(k.attrs.Bits)
		if len(es.SignatureR.Buffer) > n || len(es.SignatureS.Buffer) > n {
			return nil, status.Errorf(status.PsaErrorGenericError, "the TPM returned an oversized ECDSA signature")
		}
		out := make([]byte, 2*n)
		copy(out[n-len(es.SignatureR.Buffer):n], es.SignatureR.Buffer)
		copy(out[2*n-len(es.SignatureS.Buffer):], es.SignatureS.Buffer)
		return out, nil
	}
	return nil, status.Errorf(status.PsaErrorGenericError, "the TPM returned a signature of algorithm %v", s.SigAlg)
}

// VerifyHash implements provider.AsymSign in Go with the stored public key:
// verification needs no secret, so it costs no TPM round trip and works
// for imported public keys, which never enter the TPM. RSA-PSS signatures
// must use a salt as long as the hash (PSA's RSA_PSS, as the software
// provider checks it); any other salt is an invalid signature. swtpm
// (libtpms) signs with such a salt, checked by the tests; a TPM that used
// the largest salt instead would fail this check, and other PSA verifiers.
func (p *Provider) VerifyHash(ctx context.Context, c storage.Client, name string, alg psa.AsymSign, hash, sig []byte) error {
	k, err := p.loadFor(ctx, c, name, psa.UseSign(psa.UsageVerifyHash, alg, len(hash)))
	if err != nil {
		return err
	}
	var ch crypto.Hash
	if alg.HasHash() {
		_, ch, _ = p.caps.hash(alg.Hash)
	}
	return pubkey.Verify(k.pub, alg, ch, hash, sig)
}
