// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build cgo && pkcs11

package pkcs11

import (
	"context"
	"crypto/hmac"

	"github.com/miekg/pkcs11"

	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
)

var _ provider.Mac = (*Provider)(nil)

// MACs (PsaMacCompute/Verify) on the token, with the software provider's
// rules:
//
//   - HMAC over an HMAC key (CKK_GENERIC_SECRET) with CKM_<hash>_HMAC, for
//     the hashes whose mechanism the token lists, and key sizes within the
//     mechanism's limits (SoftHSM refuses keys shorter than the hash);
//   - CMAC over an AES key with CKM_AES_CMAC;
//   - CBC-MAC: PsaErrorNotSupported;
//   - any of these truncated to its first Length bytes (at least 4): the
//     provider truncates the full MAC (CKM_AES_CMAC_GENERAL and the
//     *_HMAC_GENERAL mechanisms are not needed).
//
// Verification computes the MAC on the token and compares it in constant
// time: a MAC that differs, including one of the wrong length, is
// PsaErrorInvalidSignature.

// hmacMechs are the HMAC mechanisms of the hashes.
var hmacMechs = map[psa.Hash]uint{
	psa.HashMD5:       pkcs11.CKM_MD5_HMAC,
	psa.HashSHA1:      pkcs11.CKM_SHA_1_HMAC,
	psa.HashSHA224:    pkcs11.CKM_SHA224_HMAC,
	psa.HashSHA256:    pkcs11.CKM_SHA256_HMAC,
	psa.HashSHA384:    pkcs11.CKM_SHA384_HMAC,
	psa.HashSHA512:    pkcs11.CKM_SHA512_HMAC,
	psa.HashSHA512224: pkcs11.CKM_SHA512_224_HMAC,
	psa.HashSHA512256: pkcs11.CKM_SHA512_256_HMAC,
	psa.HashSHA3_224:  pkcs11.CKM_SHA3_224_HMAC,
	psa.HashSHA3_256:  pkcs11.CKM_SHA3_256_HMAC,
	psa.HashSHA3_384:  pkcs11.CKM_SHA3_384_HMAC,
	psa.HashSHA3_512:  pkcs11.CKM_SHA3_512_HMAC,
}

// macMech is the mechanism of a MAC (0: none).
func macMech(m psa.Mac) uint {
	switch m.Kind {
	case psa.MacHmac:
		return hmacMechs[m.Hash]
	case psa.MacCmac:
		return pkcs11.CKM_AES_CMAC
	}
	return 0
}

// checkMac is checkAlgorithm for MACs.
func (p *Provider) checkMac(m psa.Mac, t psa.KeyType, mismatch func() error, unsupported func(string) error) error {
	switch m.Kind {
	case psa.MacHmac:
		if t.Kind != psa.KeyHmac {
			return mismatch()
		}
		if hmacMechs[m.Hash] == 0 {
			return unsupported("")
		}
	case psa.MacCmac, psa.MacCbcMac:
		if t.Kind != psa.KeyAes {
			return mismatch()
		}
	default:
		return unsupported("")
	}
	if err := m.CheckTruncation(); err != nil {
		return err
	}
	if m.Kind == psa.MacCbcMac {
		return unsupported(": the PKCS#11 provider has no CBC-MAC")
	}
	if mech := macMech(m); !p.mech(mech, pkcs11.CKF_SIGN) {
		return unsupported(": the token has no " + mechName(mech))
	}
	return nil
}

// macOf checks the policy (usage) and the capability table, then computes
// the (possibly truncated) MAC on the token.
func (p *Provider) macOf(ctx context.Context, c storage.Client, name string, usage psa.UsageFlags, alg psa.Mac, input []byte) ([]byte, error) {
	k, err := p.loadFor(ctx, c, name, psa.UseMac(usage, alg))
	if err != nil {
		return nil, err
	}
	mech := []*pkcs11.Mechanism{pkcs11.NewMechanism(macMech(alg), nil)}
	var full []byte
	err = p.withSecret(ctx, k, func(h pkcs11.SessionHandle, obj pkcs11.ObjectHandle) error {
		if err := p.mod.ctx.SignInit(h, mech, obj); err != nil {
			return p11("C_SignInit", err)
		}
		var err error
		full, err = p.mod.ctx.Sign(h, input)
		return p11("C_Sign", err)
	})
	if err != nil {
		return nil, err
	}
	n := psa.MacLength(k.attrs.Type, alg)
	if n == 0 || int(n) > len(full) || len(full) != int(alg.FullLength()) {
		clear(full)
		return nil, status.Errorf(status.PsaErrorGenericError, "the token returned a %d-byte MAC for %v", len(full), psa.Algorithm{Kind: psa.AlgMac, Mac: alg})
	}
	out := full[:n:n]
	clear(full[n:])
	return out, nil
}

// MacCompute implements provider.Mac. The key needs the sign-message usage flag.
func (p *Provider) MacCompute(ctx context.Context, c storage.Client, name string, alg psa.Mac, input []byte) ([]byte, error) {
	return p.macOf(ctx, c, name, psa.UsageSignMessage, alg, input)
}

// MacVerify implements provider.Mac. The key needs the verify-message usage flag.
func (p *Provider) MacVerify(ctx context.Context, c storage.Client, name string, alg psa.Mac, input, mac []byte) error {
	want, err := p.macOf(ctx, c, name, psa.UsageVerifyMessage, alg, input)
	if err != nil {
		return err
	}
	defer clear(want)
	// hmac.Equal is constant-time in the contents; a length mismatch
	// (which is not secret) fails at once.
	if !hmac.Equal(want, mac) {
		return status.Errorf(status.PsaErrorInvalidSignature, "MAC does not verify")
	}
	return nil
}
