// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package tpm

import (
	"context"
	"crypto"
	"crypto/elliptic"
	"fmt"
	"slices"

	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
)

// The capability table. What the provider can create and use is what the
// TPM reports at start-up (TPM2_GetCapability of its algorithms and ECC
// curves, TPM2_TestParms of the RSA key sizes), narrowed to what the
// provider implements. GenerateKey, ImportKey, every operation and
// CanDoCrypto ask it, so that CanDoCrypto says what the operations do.

// caps is what the TPM reported.
type caps struct {
	algs      map[tpm2.TPMAlgID]bool
	curves    map[tpm2.TPMECCCurve]bool
	rsaBits   []uint32 // RSA key sizes TestParms accepted, ascending
	maxDigest int      // TPM_PT_MAX_DIGEST: the most TPM2_GetRandom returns per call
}

// candidateRSABits are the RSA sizes the provider offers when the TPM accepts them.
var candidateRSABits = []uint32{2048, 3072, 4096}

// eccCurves are the secp R1 curves the provider offers when the TPM has them.
var eccCurves = []struct {
	bits  uint32
	id    tpm2.TPMECCCurve
	curve elliptic.Curve
}{
	{256, tpm2.TPMECCNistP256, elliptic.P256()},
	{384, tpm2.TPMECCNistP384, elliptic.P384()},
	{521, tpm2.TPMECCNistP521, elliptic.P521()},
}

// hashes maps the PSA hashes the provider may use to the TPM's.
var hashes = map[psa.Hash]struct {
	alg    tpm2.TPMAlgID
	crypto crypto.Hash
}{
	psa.HashSHA1:   {tpm2.TPMAlgSHA1, crypto.SHA1},
	psa.HashSHA256: {tpm2.TPMAlgSHA256, crypto.SHA256},
	psa.HashSHA384: {tpm2.TPMAlgSHA384, crypto.SHA384},
	psa.HashSHA512: {tpm2.TPMAlgSHA512, crypto.SHA512},
}

// readCaps asks the TPM what it implements.
func readCaps(t transport.TPM) (caps, error) {
	c := caps{algs: map[tpm2.TPMAlgID]bool{}, curves: map[tpm2.TPMECCCurve]bool{}, maxDigest: 32}
	rsp, err := tpm2.GetCapability{Capability: tpm2.TPMCapAlgs, Property: 0, PropertyCount: 256}.Execute(t)
	if err != nil {
		return c, tpmErr("GetCapability(ALGS)", err)
	}
	algs, err := rsp.CapabilityData.Data.Algorithms()
	if err != nil {
		return c, tpmErr("GetCapability(ALGS)", err)
	}
	for _, a := range algs.AlgProperties {
		c.algs[a.Alg] = true
	}
	rsp, err = tpm2.GetCapability{Capability: tpm2.TPMCapECCCurves, Property: 0, PropertyCount: 64}.Execute(t)
	if err != nil {
		return c, tpmErr("GetCapability(ECC_CURVES)", err)
	}
	curves, err := rsp.CapabilityData.Data.ECCCurves()
	if err != nil {
		return c, tpmErr("GetCapability(ECC_CURVES)", err)
	}
	for _, id := range curves.ECCCurves {
		c.curves[id] = true
	}
	for _, bits := range candidateRSABits {
		_, err := tpm2.TestParms{Parameters: tpm2.TPMTPublicParms{
			Type:       tpm2.TPMAlgRSA,
			Parameters: tpm2.NewTPMUPublicParms(tpm2.TPMAlgRSA, &tpm2.TPMSRSAParms{KeyBits: tpm2.TPMKeyBits(bits)}),
		}}.Execute(t)
		if err == nil {
			c.rsaBits = append(c.rsaBits, bits)
		} else if e := tpmErr("TestParms", err); unreachable(e) {
			return c, e
		}
	}
	rsp, err = tpm2.GetCapability{Capability: tpm2.TPMCapTPMProperties, Property: uint32(tpm2.TPMPTMaxDigest), PropertyCount: 1}.Execute(t)
	if err == nil {
		if props, err := rsp.CapabilityData.Data.TPMProperties(); err == nil && len(props.TPMProperty) == 1 &&
			props.TPMProperty[0].Property == tpm2.TPMPTMaxDigest && props.TPMProperty[0].Value > 0 {
			c.maxDigest = int(props.TPMProperty[0].Value)
		}
	}
	return c, nil
}

// curveBits lists the secp R1 sizes available, for the start-up log.
func (c caps) curveBits() []uint32 {
	var out []uint32
	for _, e := range eccCurves {
		if c.curves[e.id] {
			out = append(out, e.bits)
		}
	}
	return out
}

// curve finds the TPM curve of a secp R1 size the TPM has.
func (c caps) curve(bits uint32) (tpm2.TPMECCCurve, elliptic.Curve, bool) {
	for _, e := range eccCurves {
		if e.bits == bits && c.curves[e.id] && c.algs[tpm2.TPMAlgECC] {
			return e.id, e.curve, true
		}
	}
	return 0, nil, false
}

// hash returns the TPM algorithm of a PSA hash the TPM implements.
func (c caps) hash(h psa.Hash) (tpm2.TPMAlgID, crypto.Hash, bool) {
	m, ok := hashes[h]
	if !ok || !c.algs[m.alg] {
		return 0, 0, false
	}
	return m.alg, m.crypto, true
}

// checkKeyType decides whether keys of type t and size bits can be created
// (generate) or stored (import). bits 0 is allowed on import only: the size
// then comes from the data.
func (c caps) checkKeyType(check psa.CheckType, t psa.KeyType, bits uint32) error {
	if check == psa.CheckGenerate && t.IsPublic() {
		return status.Errorf(status.PsaErrorInvalidArgument, "a %v cannot be generated: generate the key pair", t)
	}
	var sizes []uint32
	switch {
	case t.IsRSA() && c.algs[tpm2.TPMAlgRSA]:
		sizes = c.rsaBits
	case t.IsECC() && t.EccFamily == psa.EccSecpR1:
		sizes = c.curveBits()
	default:
		return status.Errorf(status.PsaErrorNotSupported, "%v keys are not supported by the TPM provider", t)
	}
	if bits == 0 {
		if check == psa.CheckImport {
			return nil
		}
		return status.Errorf(status.PsaErrorInvalidArgument, "a key size is required")
	}
	if !slices.Contains(sizes, bits) {
		return status.Errorf(status.PsaErrorNotSupported, "%d-bit %v keys are not supported by this TPM (it offers %v)", bits, t, sizes)
	}
	return nil
}

// loadFor loads the key name for one operation and checks that the operation
// may use it (psa.Use.Check: policy, and a key pair where the private key
// is needed) and that this TPM can do the algorithm for its type: the
// steps every key operation takes before its own, all before the TPM is
// asked anything.
func (p *Provider) loadFor(ctx context.Context, c storage.Client, name string, u psa.Use) (*key, error) {
	k, err := p.load(ctx, c, name)
	if err != nil {
		return nil, err
	}
	if err := u.Check(k.attrs); err != nil {
		return nil, err
	}
	if err := p.caps.checkAlgorithm(u.Alg, k.attrs.Type); err != nil {
		return nil, err
	}
	return k, nil
}

// checkAlgorithm decides whether alg can be used with keys of type t:
// PsaErrorNotPermitted when the algorithm cannot apply to that type at all,
// PsaErrorNotSupported when it could but this provider or TPM does not do it.
func (c caps) checkAlgorithm(alg psa.Algorithm, t psa.KeyType) error {
	mismatch := status.Errorf(status.PsaErrorNotPermitted, "%v does not apply to a %v key", alg, t)
	unsupported := status.Errorf(status.PsaErrorNotSupported, "%v with a %v key is not supported by the TPM provider", alg, t)
	hashOK := func(h psa.Hash, any bool) bool {
		_, _, ok := c.hash(h)
		return any || ok
	}
	switch alg.Kind {
	case psa.AlgNone:
		return nil
	case psa.AlgAsymSign:
		s := alg.Sign
		var scheme tpm2.TPMAlgID
		switch {
		case s.IsRSA() && !t.IsRSA(), s.IsECDSA() && !t.IsECC():
			return mismatch
		case s.Kind == psa.SignRsaPkcs1v15:
			scheme = tpm2.TPMAlgRSASSA
		case s.Kind == psa.SignRsaPss:
			scheme = tpm2.TPMAlgRSAPSS
		case s.Kind == psa.SignEcdsa, s.Kind == psa.SignEcdsaAny:
			scheme = tpm2.TPMAlgECDSA
		default:
			// Raw PKCS#1 v1.5 (no DigestInfo) and deterministic ECDSA:
			// the TPM signs neither.
			return unsupported
		}
		if !c.algs[scheme] || (s.HasHash() && !hashOK(s.Hash, s.AnyHash)) {
			return unsupported
		}
		return nil
	case psa.AlgAsymEncrypt:
		if !t.IsRSA() {
			return mismatch
		}
		switch alg.Encrypt.Kind {
		case psa.EncRsaPkcs1v15:
			if c.algs[tpm2.TPMAlgRSAES] {
				return nil
			}
		case psa.EncRsaOaep:
			if c.algs[tpm2.TPMAlgOAEP] && hashOK(alg.Encrypt.Hash, false) {
				return nil
			}
		}
		return unsupported
	case psa.AlgKeyAgreement:
		if !t.IsPair() {
			return status.Errorf(status.PsaErrorInvalidArgument, "key agreement needs a key pair, not a %v", t)
		}
		if alg.KeyAgreement.Raw == psa.KeyAgreementEcdh && !t.IsECC() {
			return mismatch
		}
		return unsupported
	case psa.AlgHash, psa.AlgMac, psa.AlgCipher, psa.AlgAead, psa.AlgKeyDerivation:
		// Symmetric algorithms never apply to the RSA and ECC keys the TPM provider holds.
		return mismatch
	}
	return unsupported
}

// checkCreate is what GenerateKey and ImportKey check before touching the
// TPM: the key type and size, and deprecated primitives on generation. As
// in PSA, the policy algorithm is checked when the key is used.
func (p *Provider) checkCreate(check psa.CheckType, a psa.KeyAttributes) error {
	if check == psa.CheckGenerate && a.Deprecated() && !p.allowDeprecated {
		return status.Errorf(status.DeprecatedPrimitive, "key attributes use a deprecated primitive")
	}
	return p.caps.checkKeyType(check, a.Type, a.Bits)
}

// CanDoCrypto implements provider.CapabilityCheck from the table above.
// Generate and Import answer what GenerateKey and ImportKey do; Use adds
// the policy algorithm, as every operation checks it.
func (p *Provider) CanDoCrypto(_ context.Context, _ storage.Client, check psa.CheckType, a psa.KeyAttributes) error {
	if err := psa.CheckCanDo(check, a, p.allowDeprecated); err != nil {
		return err
	}
	if err := p.caps.checkKeyType(check, a.Type, a.Bits); err != nil {
		return err
	}
	if check != psa.CheckUse {
		return nil
	}
	return p.caps.checkAlgorithm(a.Policy.Alg, a.Type)
}

func (c caps) String() string {
	return fmt.Sprintf("rsa %v, secp r1 %v, max digest %d", c.rsaBits, c.curveBits(), c.maxDigest)
}
