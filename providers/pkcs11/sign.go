// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build cgo && pkcs11

package pkcs11

import (
	"context"
	"crypto"
	"encoding/asn1"
	"math/big"

	"github.com/miekg/pkcs11"

	"github.com/parsecd/parsecd/providers/internal/pubkey"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
)

// digestInfo builds the DER DigestInfo that RSA PKCS#1 v1.5 signs
// (CKM_RSA_PKCS signs its input as is).
func digestInfo(h psa.Hash, digest []byte) ([]byte, error) {
	hs, ok := hashSpecs[h]
	if !ok {
		return nil, status.Errorf(status.PsaErrorNotSupported, "RSA PKCS#1 v1.5 signatures with %v are not supported", h)
	}
	type algorithmIdentifier struct {
		Algorithm  asn1.ObjectIdentifier
		Parameters asn1.RawValue
	}
	type info struct {
		Algorithm algorithmIdentifier
		Digest    []byte
	}
	return asn1.Marshal(info{algorithmIdentifier{hs.oid, asn1.NullRawValue}, digest})
}

// signMechanism returns the mechanism that signs or verifies with alg,
// and its input for the given digest.
func signMechanism(alg psa.AsymSign, digest []byte) ([]*pkcs11.Mechanism, []byte, error) {
	one := func(m uint, param any) []*pkcs11.Mechanism {
		return []*pkcs11.Mechanism{pkcs11.NewMechanism(m, param)}
	}
	switch alg.Kind {
	case psa.SignRsaPkcs1v15:
		in, err := digestInfo(alg.Hash, digest)
		if err != nil {
			return nil, nil, err
		}
		return one(pkcs11.CKM_RSA_PKCS, nil), in, nil
	case psa.SignRsaPkcs1v15Raw:
		return one(pkcs11.CKM_RSA_PKCS, nil), digest, nil
	case psa.SignRsaPss:
		hs := hashSpecs[alg.Hash]
		if hs.mech == 0 {
			return nil, nil, status.Errorf(status.PsaErrorNotSupported, "RSA-PSS with %v is not supported", alg.Hash)
		}
		// PSA: the salt is as long as the hash; MGF1 uses the same hash.
		return one(pkcs11.CKM_RSA_PKCS_PSS, pkcs11.NewPSSParams(hs.mech, hs.mgf, uint(alg.Hash.Size()))), digest, nil
	case psa.SignEcdsa, psa.SignEcdsaAny:
		return one(pkcs11.CKM_ECDSA, nil), digest, nil
	}
	return nil, nil, status.Errorf(status.PsaErrorNotSupported, "%v is not supported by the PKCS#11 provider", alg)
}

// sigLen is the length of every valid signature of a key.
func sigLen(a psa.KeyAttributes) int {
	if a.Type.IsRSA() {
		return byteLen(a.Bits)
	}
	return 2 * byteLen(a.Bits)
}

// SignHash implements provider.AsymSign on the token: RSA PKCS#1 v1.5
// (CKM_RSA_PKCS over the DigestInfo the provider builds, or the raw input),
// RSA-PSS (CKM_RSA_PKCS_PSS, salt = hash length, MGF1 with the same hash)
// and ECDSA (CKM_ECDSA over the hash; the signature is r‖s).
func (p *Provider) SignHash(ctx context.Context, c storage.Client, name string, alg psa.AsymSign, hash []byte) ([]byte, error) {
	k, err := p.loadFor(ctx, c, name, psa.UseSign(psa.UsageSignHash, alg, len(hash)))
	if err != nil {
		return nil, err
	}
	if alg.Kind == psa.SignEcdsaAny && len(hash) == 0 {
		return nil, status.Errorf(status.PsaErrorInvalidArgument, "nothing to sign")
	}
	mech, in, err := signMechanism(alg, hash)
	if err != nil {
		return nil, err
	}
	// PKCS#1 v1.5 pads to at least 11 bytes; tokens may not say so clearly.
	if mech[0].Mechanism == pkcs11.CKM_RSA_PKCS && len(in) > byteLen(k.attrs.Bits)-11 {
		return nil, status.Errorf(status.PsaErrorInvalidArgument, "input too long for the RSA key")
	}
	var sig []byte
	err = p.use(ctx, k, pkcs11.CKO_PRIVATE_KEY, func(h pkcs11.SessionHandle, obj pkcs11.ObjectHandle) error {
		if err := p.mod.ctx.SignInit(h, mech, obj); err != nil {
			return p11("C_SignInit", err)
		}
		s, err := p.mod.ctx.Sign(h, in)
		if err != nil {
			return p11("C_Sign", err)
		}
		sig = s
		return nil
	})
	if err != nil {
		return nil, err
	}
	if k.attrs.Type.IsECC() {
		return rawECDSA(sig, byteLen(k.attrs.Bits))
	}
	return sig, nil
}

// rawECDSA checks an ECDSA signature from the token: r‖s as PKCS#11 says,
// or, from tokens that return one, a DER ECDSA-Sig-Value turned into r‖s.
func rawECDSA(sig []byte, n int) ([]byte, error) {
	if len(sig) == 2*n {
		return sig, nil
	}
	var rs struct{ R, S *big.Int }
	if rest, err := asn1.Unmarshal(sig, &rs); err == nil && len(rest) == 0 &&
		rs.R.Sign() > 0 && rs.S.Sign() > 0 && len(rs.R.Bytes()) <= n && len(rs.S.Bytes()) <= n {
		out := make([]byte, 2*n)
		rs.R.FillBytes(out[:n])
		rs.S.FillBytes(out[n:])
		return out, nil
	}
	return nil, status.Errorf(status.PsaErrorGenericError, "the token returned a %d-byte ECDSA signature, want %d", len(sig), 2*n)
}

// errBadSignature is the one answer to a signature that does not verify.
var errBadSignature = pubkey.ErrBadSignature

// VerifyHash implements provider.AsymSign; public keys can verify. The
// token verifies, or Go on the token's public key with
// software_public_operations. A signature that does not verify, whatever
// the reason, is PsaErrorInvalidSignature.
func (p *Provider) VerifyHash(ctx context.Context, c storage.Client, name string, alg psa.AsymSign, hash, sig []byte) error {
	k, err := p.loadFor(ctx, c, name, psa.UseSign(psa.UsageVerifyHash, alg, len(hash)))
	if err != nil {
		return err
	}
	if len(sig) != sigLen(k.attrs) {
		return errBadSignature
	}
	if p.opts.SoftwarePublicOperations {
		pub, err := p.publicKey(ctx, k)
		if err != nil {
			return err
		}
		return verifyGo(pub, alg, hash, sig)
	}
	if k.attrs.Type.IsRSA() && !belowModulus(sig, k.attrs.Bits) {
		// Some tokens take a value above the modulus for a bad argument.
		return errBadSignature
	}
	mech, in, err := signMechanism(alg, hash)
	if err != nil {
		return err
	}
	bad := remap{pkcs11.CKR_DATA_INVALID: status.PsaErrorInvalidSignature, pkcs11.CKR_DATA_LEN_RANGE: status.PsaErrorInvalidSignature}
	return p.use(ctx, k, pkcs11.CKO_PUBLIC_KEY, func(h pkcs11.SessionHandle, obj pkcs11.ObjectHandle) error {
		if err := p.mod.ctx.VerifyInit(h, mech, obj); err != nil {
			return p11("C_VerifyInit", err)
		}
		return p11("C_Verify", p.mod.ctx.Verify(h, in, sig), bad)
	})
}

// belowModulus is a cheap necessary condition for an RSA signature of a
// bits-long modulus: its top bit must be inside the modulus size (the
// token rejects the rest with its own error).
func belowModulus(sig []byte, bits uint32) bool {
	return new(big.Int).SetBytes(sig).BitLen() <= int(bits)
}

// verifyGo verifies in Go on a public key read from the token.
func verifyGo(pub crypto.PublicKey, alg psa.AsymSign, digest, sig []byte) error {
	var ch crypto.Hash
	if alg.HasHash() {
		hs, ok := hashSpecs[alg.Hash]
		if !ok {
			return status.Errorf(status.PsaErrorNotSupported, "%v is not supported", alg.Hash)
		}
		ch = hs.crypto
	}
	return pubkey.Verify(pub, alg, ch, digest, sig)
}
