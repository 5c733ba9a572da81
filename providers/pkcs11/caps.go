// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build cgo && pkcs11

package pkcs11

import (
	"context"
	"crypto"
	"encoding/asn1"
	"fmt"
	"slices"

	"github.com/miekg/pkcs11"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
)

// The capability table: which key types and sizes the provider creates,
// and which mechanism each algorithm needs on the token. GenerateKey,
// ImportKey, every operation and CanDoCrypto ask it, and the mechanism
// part is answered from the token's C_GetMechanismList, so CanDoCrypto says
// what the operations do.

// interesting are the mechanisms whose details are read at start-up.
var interesting = map[uint]bool{
	pkcs11.CKM_RSA_PKCS_KEY_PAIR_GEN: true,
	pkcs11.CKM_EC_KEY_PAIR_GEN:       true,
	pkcs11.CKM_RSA_PKCS:              true,
	pkcs11.CKM_RSA_PKCS_PSS:          true,
	pkcs11.CKM_RSA_PKCS_OAEP:         true,
	pkcs11.CKM_RSA_X_509:             true,
	pkcs11.CKM_ECDSA:                 true,
	// symmetric (aes.go, aead.go, cipher.go, mac.go)
	pkcs11.CKM_AES_KEY_GEN:            true,
	pkcs11.CKM_GENERIC_SECRET_KEY_GEN: true,
	pkcs11.CKM_AES_GCM:                true,
	pkcs11.CKM_AES_CCM:                true,
	pkcs11.CKM_AES_ECB:                true,
	pkcs11.CKM_AES_CBC:                true,
	pkcs11.CKM_AES_CBC_PAD:            true,
	pkcs11.CKM_AES_CTR:                true,
	pkcs11.CKM_AES_CFB128:             true,
	pkcs11.CKM_AES_OFB:                true,
	pkcs11.CKM_AES_CMAC:               true,
	pkcs11.CKM_MD5_HMAC:               true,
	pkcs11.CKM_SHA_1_HMAC:             true,
	pkcs11.CKM_SHA224_HMAC:            true,
	pkcs11.CKM_SHA256_HMAC:            true,
	pkcs11.CKM_SHA384_HMAC:            true,
	pkcs11.CKM_SHA512_HMAC:            true,
	pkcs11.CKM_SHA512_224_HMAC:        true,
	pkcs11.CKM_SHA512_256_HMAC:        true,
	pkcs11.CKM_SHA3_224_HMAC:          true,
	pkcs11.CKM_SHA3_256_HMAC:          true,
	pkcs11.CKM_SHA3_384_HMAC:          true,
	pkcs11.CKM_SHA3_512_HMAC:          true,
}

// keySpec is one key type the provider creates.
type keySpec struct {
	kind   psa.KeyKind
	family psa.EccFamily // ECC only
	sizes  []uint32      // supported sizes
	valid  []uint32      // other sizes PSA defines for the type (unsupported, 1134); anything else is invalid (1135)
	gen    uint          // key (pair) generation mechanism; 0 = cannot be generated
	// secret keys (one CKO_SECRET_KEY object) with sizes nil take any
	// whole number of bytes from 8 bits to maxBits.
	secret  bool
	maxBits uint32
}

var rsaSizes = []uint32{2048, 3072, 4096}

// rsaValid reports whether bits is a plausible RSA size: not supported
// here (1134) rather than invalid (1135).
func rsaValid(bits uint32) bool { return bits%8 == 0 && bits >= 512 && bits <= 16384 }

var keySpecs = []keySpec{
	{kind: psa.KeyRsaPair, sizes: rsaSizes, gen: pkcs11.CKM_RSA_PKCS_KEY_PAIR_GEN},
	{kind: psa.KeyRsaPublic, sizes: rsaSizes},
	{kind: psa.KeyEccPair, family: psa.EccSecpR1, sizes: []uint32{256, 384, 521}, valid: []uint32{192, 224}, gen: pkcs11.CKM_EC_KEY_PAIR_GEN},
	{kind: psa.KeyEccPublic, family: psa.EccSecpR1, sizes: []uint32{256, 384, 521}, valid: []uint32{192, 224}},
	{kind: psa.KeyAes, sizes: []uint32{128, 192, 256}, gen: pkcs11.CKM_AES_KEY_GEN, secret: true},
	{kind: psa.KeyHmac, gen: pkcs11.CKM_GENERIC_SECRET_KEY_GEN, secret: true, maxBits: maxSecretBits},
}

// maxSecretBits bounds HMAC keys, as in the software provider.
const maxSecretBits = 8 * 1024

// isSecret reports whether keys of type t are secret key objects.
func isSecret(t psa.KeyType) bool {
	s, ok := findKeySpec(t)
	return ok && s.secret
}

func findKeySpec(t psa.KeyType) (keySpec, bool) {
	for _, s := range keySpecs {
		if s.kind == t.Kind && (!t.IsECC() || s.family == t.EccFamily) {
			return s, true
		}
	}
	return keySpec{}, false
}

// mech reports whether the token offers mechanism m with all of flags.
func (p *Provider) mech(m, flags uint) bool {
	info, ok := p.mechs[m]
	return ok && info.Flags&flags == flags
}

// mechSize reports whether mechanism m accepts keys of bits (a limit of 0 means none).
func (p *Provider) mechSize(m uint, bits uint32) bool {
	info, ok := p.mechs[m]
	if !ok {
		return false
	}
	return (info.MinKeySize == 0 || uint(bits) >= info.MinKeySize) && (info.MaxKeySize == 0 || uint(bits) <= info.MaxKeySize)
}

// checkKeyType decides whether keys of type t and size bits can be
// generated or imported. bits 0 is allowed on import only: the size then
// comes from the data.
func (p *Provider) checkKeyType(check psa.CheckType, t psa.KeyType, bits uint32) error {
	if check == psa.CheckGenerate && t.IsPublic() {
		return status.Errorf(status.PsaErrorInvalidArgument, "a %v cannot be generated: generate the key pair", t)
	}
	s, ok := findKeySpec(t)
	if !ok {
		return status.Errorf(status.PsaErrorNotSupported, "%v keys are not supported by the PKCS#11 provider", t)
	}
	if bits == 0 {
		if check == psa.CheckImport {
			return nil
		}
		return status.Errorf(status.PsaErrorInvalidArgument, "a key size is required")
	}
	if s.sizes == nil {
		if bits%8 != 0 {
			return status.Errorf(status.PsaErrorInvalidArgument, "%v keys are a whole number of bytes, not %d bits", t, bits)
		}
		if bits > s.maxBits {
			return status.Errorf(status.PsaErrorNotSupported, "%v keys of more than %d bits are not supported", t, s.maxBits)
		}
	} else if !slices.Contains(s.sizes, bits) {
		if slices.Contains(s.valid, bits) || (t.IsRSA() && rsaValid(bits)) {
			return status.Errorf(status.PsaErrorNotSupported, "%d-bit %v keys are not supported", bits, t)
		}
		return status.Errorf(status.PsaErrorInvalidArgument, "%d bits is not a valid size for a %v", bits, t)
	}
	if check == psa.CheckGenerate && s.secret {
		if !p.mech(s.gen, pkcs11.CKF_GENERATE) {
			return status.Errorf(status.PsaErrorNotSupported, "the token cannot generate %v keys (no %s)", t, mechName(s.gen))
		}
		// AES key sizes are in bytes (PKCS#11 2.40 §2.10).
		if t.Kind == psa.KeyAes && !p.mechSize(s.gen, bits/8) {
			return status.Errorf(status.PsaErrorNotSupported, "the token cannot generate %d-bit %v keys", bits, t)
		}
	} else if check == psa.CheckGenerate {
		if !p.mech(s.gen, pkcs11.CKF_GENERATE_KEY_PAIR) {
			return status.Errorf(status.PsaErrorNotSupported, "the token cannot generate %v keys (no %s)", t, mechName(s.gen))
		}
		if !p.mechSize(s.gen, bits) {
			return status.Errorf(status.PsaErrorNotSupported, "the token cannot generate %d-bit %v keys", bits, t)
		}
	}
	return nil
}

// Hashes. PKCS#1 v1.5 signatures take any hash with a DigestInfo OID (the
// provider builds the DigestInfo); PSS and OAEP take those PKCS#11 has
// mechanisms and MGF1 variants for; ECDSA signs any digest.

type hashSpec struct {
	crypto crypto.Hash
	oid    asn1.ObjectIdentifier
	mech   uint // CKM_SHA*; 0 = none in PKCS#11 for PSS/OAEP
	mgf    uint // CKG_MGF1_*
}

var hashSpecs = map[psa.Hash]hashSpec{
	psa.HashMD5:       {crypto.MD5, asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 5}, 0, 0},
	psa.HashSHA1:      {crypto.SHA1, asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}, pkcs11.CKM_SHA_1, pkcs11.CKG_MGF1_SHA1},
	psa.HashSHA224:    {crypto.SHA224, asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 4}, pkcs11.CKM_SHA224, pkcs11.CKG_MGF1_SHA224},
	psa.HashSHA256:    {crypto.SHA256, asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}, pkcs11.CKM_SHA256, pkcs11.CKG_MGF1_SHA256},
	psa.HashSHA384:    {crypto.SHA384, asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}, pkcs11.CKM_SHA384, pkcs11.CKG_MGF1_SHA384},
	psa.HashSHA512:    {crypto.SHA512, asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}, pkcs11.CKM_SHA512, pkcs11.CKG_MGF1_SHA512},
	psa.HashSHA512224: {crypto.SHA512_224, asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 5}, 0, 0},
	psa.HashSHA512256: {crypto.SHA512_256, asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 6}, 0, 0},
	psa.HashSHA3_224:  {crypto.SHA3_224, asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 7}, 0, 0},
	psa.HashSHA3_256:  {crypto.SHA3_256, asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 8}, 0, 0},
	psa.HashSHA3_384:  {crypto.SHA3_384, asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 9}, 0, 0},
	psa.HashSHA3_512:  {crypto.SHA3_512, asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 10}, 0, 0},
}

// pkcs1Hash reports whether h can be used with RSA PKCS#1 v1.5 signatures.
func pkcs1Hash(h psa.Hash) bool { _, ok := hashSpecs[h]; return ok }

// mgfHash reports whether h can be used with RSA-PSS and OAEP.
func mgfHash(h psa.Hash) bool { return hashSpecs[h].mech != 0 }

// loadFor loads the key name for one operation and checks that the operation
// may use it (psa.Use.Check: policy, and a key pair where the private key
// is needed), that the token does the algorithm for the key's type and,
// for a secret key, that the mechanism takes its size: the steps every key
// operation takes before its own. A use that needs only the public key
// (verifying, encrypting) is checked as on the public key: with
// software_public_operations it never reaches the token's private object.
func (p *Provider) loadFor(ctx context.Context, c storage.Client, name string, u psa.Use) (*keyRef, error) {
	k, err := p.load(ctx, c, name)
	if err != nil {
		return nil, err
	}
	if err := u.Check(k.attrs); err != nil {
		return nil, err
	}
	t := k.attrs.Type
	if u.Public() {
		t = t.PublicOf()
	}
	if err := p.checkAlgorithm(u.Alg, t); err != nil {
		return nil, err
	}
	if err := p.checkSecretSize(u.Alg, t, k.attrs.Bits); err != nil {
		return nil, err
	}
	return k, nil
}

// checkAlgorithm decides whether alg can be used with keys of type t on
// this token: PsaErrorNotPermitted when the algorithm cannot apply to the
// type at all, PsaErrorNotSupported when it could but this provider or the
// token does not do it.
func (p *Provider) checkAlgorithm(alg psa.Algorithm, t psa.KeyType) error {
	mismatch := func() error {
		return status.Errorf(status.PsaErrorNotPermitted, "%v does not apply to a %v key", alg, t)
	}
	unsupported := func(why string) error {
		return status.Errorf(status.PsaErrorNotSupported, "%v with a %v key is not supported%s", alg, t, why)
	}
	// In software, public-key operations need nothing from the token.
	soft := t.IsPublic() && p.opts.SoftwarePublicOperations
	need := func(m, flag uint) error {
		if soft || p.mech(m, flag) {
			return nil
		}
		return unsupported(": the token has no " + mechName(m))
	}
	switch alg.Kind {
	case psa.AlgNone:
		return nil
	case psa.AlgAsymSign:
		s := alg.Sign
		switch {
		case s.IsRSA() && !t.IsRSA(), s.IsECDSA() && !t.IsECC():
			return mismatch()
		case s.Kind == psa.SignRsaPkcs1v15:
			if !s.AnyHash && !pkcs1Hash(s.Hash) {
				return unsupported("")
			}
			return need(pkcs11.CKM_RSA_PKCS, 0)
		case s.Kind == psa.SignRsaPkcs1v15Raw:
			return need(pkcs11.CKM_RSA_PKCS, 0)
		case s.Kind == psa.SignRsaPss:
			if !s.AnyHash && !mgfHash(s.Hash) {
				return unsupported("")
			}
			return need(pkcs11.CKM_RSA_PKCS_PSS, 0)
		case s.Kind == psa.SignEcdsa, s.Kind == psa.SignEcdsaAny:
			if s.Kind == psa.SignEcdsa && !s.AnyHash && !s.Hash.Valid() {
				return unsupported("")
			}
			return need(pkcs11.CKM_ECDSA, 0)
		}
		// Deterministic ECDSA (RFC 6979): PKCS#11 has no mechanism for it.
		return unsupported(": PKCS#11 has no deterministic ECDSA")
	case psa.AlgAsymEncrypt:
		if !t.IsRSA() {
			return mismatch()
		}
		switch alg.Encrypt.Kind {
		case psa.EncRsaPkcs1v15:
			return need(pkcs11.CKM_RSA_PKCS, 0)
		case psa.EncRsaOaep:
			if !mgfHash(alg.Encrypt.Hash) {
				return unsupported("")
			}
			if t.IsPublic() || p.mech(pkcs11.CKM_RSA_X_509, pkcs11.CKF_DECRYPT) {
				// Encryption falls back to Go, decryption to raw RSA
				// on the token with OAEP decoding in Go.
				return nil
			}
			return need(pkcs11.CKM_RSA_PKCS_OAEP, 0)
		}
		return unsupported("")
	case psa.AlgKeyAgreement:
		if !t.IsPair() {
			return status.Errorf(status.PsaErrorInvalidArgument, "key agreement needs a key pair, not a %v", t)
		}
		if alg.KeyAgreement.Raw == psa.KeyAgreementEcdh && !t.IsECC() {
			return mismatch()
		}
		return unsupported("")
	case psa.AlgAead:
		return p.checkAead(alg.Aead, t, mismatch, unsupported)
	case psa.AlgCipher:
		return p.checkCipher(alg.Cipher, t, mismatch, unsupported)
	case psa.AlgMac:
		return p.checkMac(alg.Mac, t, mismatch, unsupported)
	case psa.AlgKeyDerivation:
		return mismatch()
	}
	return unsupported("")
}

// CanDoCrypto implements provider.CapabilityCheck from the tables above.
// Generate and Import answer exactly what GenerateKey and ImportKey do;
// Use adds the policy algorithm, as every operation checks it.
func (p *Provider) CanDoCrypto(_ context.Context, _ storage.Client, check psa.CheckType, a psa.KeyAttributes) error {
	if err := psa.CheckCanDo(check, a, p.allowDeprecated); err != nil {
		return err
	}
	bits := a.Bits
	if err := p.checkKeyType(check, a.Type, bits); err != nil {
		return err
	}
	if check != psa.CheckUse {
		return p.checkExport(a)
	}
	if err := p.checkAlgorithm(a.Policy.Alg, a.Type); err != nil {
		return err
	}
	return p.checkSecretSize(a.Policy.Alg, a.Type, bits)
}

// checkExport refuses key pairs and secret keys with the export usage flag when the
// provider does not allow export (allow_export = false).
func (p *Provider) checkExport(a psa.KeyAttributes) error {
	if (a.Type.IsPair() || isSecret(a.Type)) && a.Policy.Usage.Has(psa.UsageExport) && !p.opts.AllowExport {
		return status.Errorf(status.PsaErrorNotPermitted, "this provider does not allow exportable keys (allow_export = false)")
	}
	return nil
}

var mechNames = map[uint]string{
	pkcs11.CKM_RSA_PKCS_KEY_PAIR_GEN:  "CKM_RSA_PKCS_KEY_PAIR_GEN",
	pkcs11.CKM_EC_KEY_PAIR_GEN:        "CKM_EC_KEY_PAIR_GEN",
	pkcs11.CKM_RSA_PKCS:               "CKM_RSA_PKCS",
	pkcs11.CKM_RSA_PKCS_PSS:           "CKM_RSA_PKCS_PSS",
	pkcs11.CKM_RSA_PKCS_OAEP:          "CKM_RSA_PKCS_OAEP",
	pkcs11.CKM_RSA_X_509:              "CKM_RSA_X_509",
	pkcs11.CKM_ECDSA:                  "CKM_ECDSA",
	pkcs11.CKM_AES_KEY_GEN:            "CKM_AES_KEY_GEN",
	pkcs11.CKM_GENERIC_SECRET_KEY_GEN: "CKM_GENERIC_SECRET_KEY_GEN",
	pkcs11.CKM_AES_GCM:                "CKM_AES_GCM",
	pkcs11.CKM_AES_CCM:                "CKM_AES_CCM",
	pkcs11.CKM_AES_ECB:                "CKM_AES_ECB",
	pkcs11.CKM_AES_CBC:                "CKM_AES_CBC",
	pkcs11.CKM_AES_CBC_PAD:            "CKM_AES_CBC_PAD",
	pkcs11.CKM_AES_CTR:                "CKM_AES_CTR",
	pkcs11.CKM_AES_CFB128:             "CKM_AES_CFB128",
	pkcs11.CKM_AES_OFB:                "CKM_AES_OFB",
	pkcs11.CKM_AES_CMAC:               "CKM_AES_CMAC",
	pkcs11.CKM_MD5_HMAC:               "CKM_MD5_HMAC",
	pkcs11.CKM_SHA_1_HMAC:             "CKM_SHA_1_HMAC",
	pkcs11.CKM_SHA224_HMAC:            "CKM_SHA224_HMAC",
	pkcs11.CKM_SHA256_HMAC:            "CKM_SHA256_HMAC",
	pkcs11.CKM_SHA384_HMAC:            "CKM_SHA384_HMAC",
	pkcs11.CKM_SHA512_HMAC:            "CKM_SHA512_HMAC",
	pkcs11.CKM_SHA512_224_HMAC:        "CKM_SHA512_224_HMAC",
	pkcs11.CKM_SHA512_256_HMAC:        "CKM_SHA512_256_HMAC",
	pkcs11.CKM_SHA3_224_HMAC:          "CKM_SHA3_224_HMAC",
	pkcs11.CKM_SHA3_256_HMAC:          "CKM_SHA3_256_HMAC",
	pkcs11.CKM_SHA3_384_HMAC:          "CKM_SHA3_384_HMAC",
	pkcs11.CKM_SHA3_512_HMAC:          "CKM_SHA3_512_HMAC",
}

func mechName(m uint) string {
	if n, ok := mechNames[m]; ok {
		return n
	}
	return fmt.Sprintf("mechanism 0x%X", m)
}
