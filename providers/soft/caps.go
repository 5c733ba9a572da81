// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package soft

import (
	"context"
	"slices"

	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
)

// The capability table: what the software provider can generate, import
// and use. GenerateKey, ImportKey, every operation and CanDoCrypto all ask
// it, so that what CanDoCrypto answers is what the provider does.

// keySpec describes one key type the provider stores.
type keySpec struct {
	kind     psa.KeyKind
	family   psa.EccFamily // ECC types only
	sizes    []uint32      // supported sizes; nil = any multiple of 8 in [minBits, maxBits]
	valid    []uint32      // sizes PSA defines for the type: others are invalid (1135), not unsupported (1134)
	generate bool
	minBits  uint32
	maxBits  uint32
}

// maxSymmetricBits bounds raw, HMAC and derivation keys (PSA leaves the
// size to the implementation).
const maxSymmetricBits = 8 * 1024

var keySpecs = []keySpec{
	{kind: psa.KeyRsaPair, sizes: []uint32{1024, 2048, 3072, 4096}, generate: true},
	{kind: psa.KeyRsaPublic, sizes: []uint32{1024, 2048, 3072, 4096}},
	{kind: psa.KeyEccPair, family: psa.EccSecpR1, sizes: []uint32{256, 384, 521}, valid: []uint32{192, 224, 256, 384, 521}, generate: true},
	{kind: psa.KeyEccPublic, family: psa.EccSecpR1, sizes: []uint32{256, 384, 521}, valid: []uint32{192, 224, 256, 384, 521}},
	{kind: psa.KeyEccPair, family: psa.EccSecpK1, sizes: []uint32{256}, valid: []uint32{192, 225, 256}, generate: true},
	{kind: psa.KeyEccPublic, family: psa.EccSecpK1, sizes: []uint32{256}, valid: []uint32{192, 225, 256}},
	{kind: psa.KeyEccPair, family: psa.EccBrainpoolPR1, sizes: []uint32{256, 384, 512}, valid: []uint32{160, 192, 224, 256, 320, 384, 512}, generate: true},
	{kind: psa.KeyEccPublic, family: psa.EccBrainpoolPR1, sizes: []uint32{256, 384, 512}, valid: []uint32{160, 192, 224, 256, 320, 384, 512}},
	{kind: psa.KeyEccPair, family: psa.EccMontgomery, sizes: []uint32{255, 448}, valid: []uint32{255, 448}, generate: true},
	{kind: psa.KeyEccPublic, family: psa.EccMontgomery, sizes: []uint32{255, 448}, valid: []uint32{255, 448}},
	{kind: psa.KeyAes, sizes: []uint32{128, 192, 256}, generate: true},
	{kind: psa.KeyChacha20, sizes: []uint32{256}, generate: true},
	{kind: psa.KeyHmac, generate: true, minBits: 8, maxBits: maxSymmetricBits},
	{kind: psa.KeyRawData, generate: true, minBits: 8, maxBits: maxSymmetricBits},
	{kind: psa.KeyDerive, generate: true, minBits: 8, maxBits: maxSymmetricBits},
}

func findKeySpec(t psa.KeyType) (keySpec, bool) {
	for _, s := range keySpecs {
		if s.kind == t.Kind && (!t.IsECC() || s.family == t.EccFamily) {
			return s, true
		}
	}
	return keySpec{}, false
}

// checkKeyType decides whether keys of type t and size bits can be created
// (generate) or stored (import). bits 0 is allowed on import only: the size
// then comes from the data.
func checkKeyType(check psa.CheckType, t psa.KeyType, bits uint32) error {
	if check == psa.CheckGenerate && t.IsPublic() {
		// PSA: generating a public key type is invalid, whatever its family.
		return status.Errorf(status.PsaErrorInvalidArgument, "a %v cannot be generated: generate the key pair", t)
	}
	s, ok := findKeySpec(t)
	if !ok {
		return status.Errorf(status.PsaErrorNotSupported, "%v keys are not supported", t)
	}
	if check == psa.CheckGenerate && !s.generate {
		return status.Errorf(status.PsaErrorInvalidArgument, "a %v cannot be generated", t)
	}
	if bits == 0 {
		if check == psa.CheckImport {
			return nil
		}
		return status.Errorf(status.PsaErrorInvalidArgument, "a key size is required")
	}
	if s.sizes == nil {
		if bits%8 != 0 || bits < s.minBits {
			return status.Errorf(status.PsaErrorInvalidArgument, "%v keys are a whole number of bytes, not %d bits", t, bits)
		}
		if bits > s.maxBits {
			return status.Errorf(status.PsaErrorNotSupported, "%v keys of more than %d bits are not supported", t, s.maxBits)
		}
		return nil
	}
	if slices.Contains(s.sizes, bits) {
		return nil
	}
	if slices.Contains(s.valid, bits) {
		return status.Errorf(status.PsaErrorNotSupported, "%d-bit %v keys are not supported", bits, t)
	}
	return status.Errorf(status.PsaErrorInvalidArgument, "%d bits is not a valid size for a %v", bits, t)
}

// implementedHash reports whether the provider computes h.
func implementedHash(h psa.Hash) bool {
	switch h {
	case psa.HashMD5, psa.HashSHA1, psa.HashSHA224, psa.HashSHA256, psa.HashSHA384, psa.HashSHA512,
		psa.HashSHA512224, psa.HashSHA512256, psa.HashSHA3_224, psa.HashSHA3_256, psa.HashSHA3_384, psa.HashSHA3_512:
		return true
	}
	return false
}

// loadFor loads the key name for one operation and checks that the operation
// may use it (psa.Use.Check: policy, and a key pair where the private key
// is needed) and that this provider implements the algorithm for its type:
// the steps every key operation takes before its own.
func (p *Provider) loadFor(ctx context.Context, c storage.Client, name string, u psa.Use) (*key, error) {
	k, err := p.load(ctx, c, name)
	if err != nil {
		return nil, err
	}
	if err := k.use(u); err != nil {
		return nil, err
	}
	return k, nil
}

// use is loadFor's checks on a loaded key.
func (k *key) use(u psa.Use) error {
	if err := u.Check(k.attrs); err != nil {
		return err
	}
	return checkAlgorithm(u.Alg, k.attrs.Type)
}

// checkAlgorithm decides whether alg is implemented for keys of type t:
// PsaErrorNotPermitted when the algorithm cannot apply to that type at all,
// PsaErrorNotSupported when it could but this provider does not do it.
func checkAlgorithm(alg psa.Algorithm, t psa.KeyType) error {
	mismatch := func() error {
		return status.Errorf(status.PsaErrorNotPermitted, "%v does not apply to a %v key", alg, t)
	}
	unsupported := func() error {
		return status.Errorf(status.PsaErrorNotSupported, "%v with a %v key is not supported", alg, t)
	}
	hashOK := func(h psa.Hash, any bool) bool { return any || implementedHash(h) }
	switch alg.Kind {
	case psa.AlgNone:
		return nil
	case psa.AlgHash:
		if !implementedHash(alg.Hash) {
			return unsupported()
		}
		return nil
	case psa.AlgAsymSign:
		s := alg.Sign
		switch {
		case s.IsRSA() && !t.IsRSA(), s.IsECDSA() && !t.IsECC():
			return mismatch()
		case s.IsECDSA() && !ecdsaFamily(t.EccFamily):
			return unsupported()
		case s.HasHash() && !hashOK(s.Hash, s.AnyHash):
			return unsupported()
		}
		return nil
	case psa.AlgAsymEncrypt:
		if !t.IsRSA() {
			return mismatch()
		}
		if alg.Encrypt.Kind == psa.EncRsaOaep && !implementedHash(alg.Encrypt.Hash) {
			return unsupported()
		}
		return nil
	case psa.AlgAead:
		switch alg.Aead.Alg {
		case psa.AeadCcm, psa.AeadGcm:
			if t.Kind != psa.KeyAes {
				return mismatch()
			}
		case psa.AeadChacha20Poly1305:
			if t.Kind != psa.KeyChacha20 {
				return mismatch()
			}
		}
		return alg.Aead.CheckTagLength()
	case psa.AlgCipher:
		switch alg.Cipher {
		case psa.CipherStream:
			if t.Kind != psa.KeyChacha20 {
				return mismatch()
			}
		case psa.CipherXts:
			if t.Kind != psa.KeyAes {
				return mismatch()
			}
			return unsupported()
		default:
			if t.Kind != psa.KeyAes {
				return mismatch()
			}
		}
		return nil
	case psa.AlgMac:
		m := alg.Mac
		switch m.Kind {
		case psa.MacHmac:
			if t.Kind != psa.KeyHmac {
				return mismatch()
			}
			if !implementedHash(m.Hash) {
				return unsupported()
			}
		case psa.MacCmac, psa.MacCbcMac:
			if t.Kind != psa.KeyAes {
				return mismatch()
			}
		}
		return m.CheckTruncation()
	case psa.AlgKeyAgreement:
		switch {
		case !t.IsPair():
			// PSA: the private key of an agreement must be a key pair.
			return status.Errorf(status.PsaErrorInvalidArgument, "key agreement needs a key pair, not a %v", t)
		case alg.KeyAgreement.HasKdf:
			return unsupported()
		case alg.KeyAgreement.Raw == psa.KeyAgreementEcdh && t.Kind != psa.KeyEccPair:
			return mismatch()
		case alg.KeyAgreement.Raw == psa.KeyAgreementFfdh:
			if t.Kind != psa.KeyDhPair {
				return mismatch()
			}
			return unsupported()
		}
		return nil
	case psa.AlgKeyDerivation:
		if t.Kind != psa.KeyDerive {
			return mismatch()
		}
		return unsupported()
	}
	return unsupported()
}

// CanDoCrypto implements provider.CapabilityCheck from the tables above.
// Generate and Import answer what GenerateKey and ImportKey check: the key
// type and size (PSA checks a policy only when the key is used; the rules
// every provider shares, psa.CheckCanDo, check that it could be). Use adds
// the policy algorithm, as every operation checks it. The back end turns
// the verdict into a CanDoCrypto answer (psa.CanDoAnswer).
func (p *Provider) CanDoCrypto(_ context.Context, _ storage.Client, check psa.CheckType, a psa.KeyAttributes) error {
	if err := psa.CheckCanDo(check, a, p.allowDeprecated); err != nil {
		return err
	}
	bits := a.Bits
	if err := checkKeyType(check, a.Type, bits); err != nil {
		return err
	}
	if check != psa.CheckUse {
		return nil
	}
	return checkAlgorithm(a.Policy.Alg, a.Type)
}

var _ provider.CapabilityCheck = (*Provider)(nil)
