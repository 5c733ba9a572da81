// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package psa

import (
	alg "github.com/parsecd/parsecd/src/interface/ops/psaalgorithm"
	attr "github.com/parsecd/parsecd/src/interface/ops/psakeyattributes"
	"github.com/parsecd/parsecd/src/status"
)

// Conversions between the protobuf messages of the wire and the native
// types. Decoding is strict: a missing mandatory message, an empty oneof or
// an enum value that is NONE or unknown is InvalidEncoding, as the reference
// service answers.

func invalid(what string) error {
	return status.Errorf(status.InvalidEncoding, "%s is missing or invalid", what)
}

// HashFromProto converts a hash enum; NONE and unknown values are invalid.
func HashFromProto(h alg.Algorithm_Hash) (Hash, error) {
	if h <= 0 || h > alg.Algorithm_Hash(lastHash) {
		return 0, invalid("hash algorithm")
	}
	return Hash(h), nil
}

// HashToProto converts a hash.
func HashToProto(h Hash) alg.Algorithm_Hash { return alg.Algorithm_Hash(h) }

// AsymSignFromProto converts an asymmetric signature algorithm.
func AsymSignFromProto(m *alg.Algorithm_AsymmetricSignature) (AsymSign, error) {
	if m == nil {
		return AsymSign{}, invalid("asymmetric signature algorithm")
	}
	var s AsymSign
	var hashAlg *alg.Algorithm_AsymmetricSignature_SignHash
	switch v := m.Variant.(type) {
	case *alg.Algorithm_AsymmetricSignature_RsaPkcs1V15Sign_:
		s.Kind, hashAlg = SignRsaPkcs1v15, v.RsaPkcs1V15Sign.GetHashAlg()
	case *alg.Algorithm_AsymmetricSignature_RsaPkcs1V15SignRaw_:
		return AsymSign{Kind: SignRsaPkcs1v15Raw}, nil
	case *alg.Algorithm_AsymmetricSignature_RsaPss_:
		s.Kind, hashAlg = SignRsaPss, v.RsaPss.GetHashAlg()
	case *alg.Algorithm_AsymmetricSignature_Ecdsa_:
		s.Kind, hashAlg = SignEcdsa, v.Ecdsa.GetHashAlg()
	case *alg.Algorithm_AsymmetricSignature_EcdsaAny_:
		return AsymSign{Kind: SignEcdsaAny}, nil
	case *alg.Algorithm_AsymmetricSignature_DeterministicEcdsa_:
		s.Kind, hashAlg = SignDetEcdsa, v.DeterministicEcdsa.GetHashAlg()
	default:
		return AsymSign{}, invalid("asymmetric signature algorithm")
	}
	if hashAlg == nil {
		return AsymSign{}, invalid("signature hash_alg")
	}
	switch v := hashAlg.Variant.(type) {
	case *alg.Algorithm_AsymmetricSignature_SignHash_Any_:
		s.AnyHash = true
	case *alg.Algorithm_AsymmetricSignature_SignHash_Specific:
		h, err := HashFromProto(v.Specific)
		if err != nil {
			return AsymSign{}, err
		}
		s.Hash = h
	default:
		return AsymSign{}, invalid("signature hash_alg")
	}
	return s, nil
}

// AsymSignToProto converts an asymmetric signature algorithm.
func AsymSignToProto(s AsymSign) *alg.Algorithm_AsymmetricSignature {
	var sh *alg.Algorithm_AsymmetricSignature_SignHash
	if s.AnyHash {
		sh = &alg.Algorithm_AsymmetricSignature_SignHash{Variant: &alg.Algorithm_AsymmetricSignature_SignHash_Any_{Any: &alg.Algorithm_AsymmetricSignature_SignHash_Any{}}}
	} else {
		sh = &alg.Algorithm_AsymmetricSignature_SignHash{Variant: &alg.Algorithm_AsymmetricSignature_SignHash_Specific{Specific: HashToProto(s.Hash)}}
	}
	m := &alg.Algorithm_AsymmetricSignature{}
	switch s.Kind {
	case SignRsaPkcs1v15:
		m.Variant = &alg.Algorithm_AsymmetricSignature_RsaPkcs1V15Sign_{RsaPkcs1V15Sign: &alg.Algorithm_AsymmetricSignature_RsaPkcs1V15Sign{HashAlg: sh}}
	case SignRsaPkcs1v15Raw:
		m.Variant = &alg.Algorithm_AsymmetricSignature_RsaPkcs1V15SignRaw_{RsaPkcs1V15SignRaw: &alg.Algorithm_AsymmetricSignature_RsaPkcs1V15SignRaw{}}
	case SignRsaPss:
		m.Variant = &alg.Algorithm_AsymmetricSignature_RsaPss_{RsaPss: &alg.Algorithm_AsymmetricSignature_RsaPss{HashAlg: sh}}
	case SignEcdsa:
		m.Variant = &alg.Algorithm_AsymmetricSignature_Ecdsa_{Ecdsa: &alg.Algorithm_AsymmetricSignature_Ecdsa{HashAlg: sh}}
	case SignEcdsaAny:
		m.Variant = &alg.Algorithm_AsymmetricSignature_EcdsaAny_{EcdsaAny: &alg.Algorithm_AsymmetricSignature_EcdsaAny{}}
	case SignDetEcdsa:
		m.Variant = &alg.Algorithm_AsymmetricSignature_DeterministicEcdsa_{DeterministicEcdsa: &alg.Algorithm_AsymmetricSignature_DeterministicEcdsa{HashAlg: sh}}
	}
	return m
}

// AsymEncryptFromProto converts an asymmetric encryption algorithm.
func AsymEncryptFromProto(m *alg.Algorithm_AsymmetricEncryption) (AsymEncrypt, error) {
	if m == nil {
		return AsymEncrypt{}, invalid("asymmetric encryption algorithm")
	}
	switch v := m.Variant.(type) {
	case *alg.Algorithm_AsymmetricEncryption_RsaPkcs1V15Crypt_:
		return AsymEncrypt{Kind: EncRsaPkcs1v15}, nil
	case *alg.Algorithm_AsymmetricEncryption_RsaOaep_:
		h, err := HashFromProto(v.RsaOaep.GetHashAlg())
		if err != nil {
			return AsymEncrypt{}, err
		}
		return AsymEncrypt{Kind: EncRsaOaep, Hash: h}, nil
	}
	return AsymEncrypt{}, invalid("asymmetric encryption algorithm")
}

// AsymEncryptToProto converts an asymmetric encryption algorithm.
func AsymEncryptToProto(e AsymEncrypt) *alg.Algorithm_AsymmetricEncryption {
	if e.Kind == EncRsaOaep {
		return &alg.Algorithm_AsymmetricEncryption{Variant: &alg.Algorithm_AsymmetricEncryption_RsaOaep_{RsaOaep: &alg.Algorithm_AsymmetricEncryption_RsaOaep{HashAlg: HashToProto(e.Hash)}}}
	}
	return &alg.Algorithm_AsymmetricEncryption{Variant: &alg.Algorithm_AsymmetricEncryption_RsaPkcs1V15Crypt_{RsaPkcs1V15Crypt: &alg.Algorithm_AsymmetricEncryption_RsaPkcs1V15Crypt{}}}
}

func macFromProto(m *alg.Algorithm_Mac) (Mac, error) {
	full := func(f *alg.Algorithm_Mac_FullLength) (Mac, error) {
		switch v := f.GetVariant().(type) {
		case *alg.Algorithm_Mac_FullLength_Hmac_:
			h, err := HashFromProto(v.Hmac.GetHashAlg())
			return Mac{Kind: MacHmac, Hash: h}, err
		case *alg.Algorithm_Mac_FullLength_CbcMac_:
			return Mac{Kind: MacCbcMac}, nil
		case *alg.Algorithm_Mac_FullLength_Cmac_:
			return Mac{Kind: MacCmac}, nil
		}
		return Mac{}, invalid("MAC algorithm")
	}
	switch v := m.GetVariant().(type) {
	case *alg.Algorithm_Mac_FullLength_:
		return full(v.FullLength)
	case *alg.Algorithm_Mac_Truncated_:
		mac, err := full(v.Truncated.GetMacAlg())
		mac.Truncated, mac.Length = true, v.Truncated.GetMacLength()
		return mac, err
	}
	return Mac{}, invalid("MAC algorithm")
}

func macToProto(m Mac) *alg.Algorithm_Mac {
	f := &alg.Algorithm_Mac_FullLength{}
	switch m.Kind {
	case MacHmac:
		f.Variant = &alg.Algorithm_Mac_FullLength_Hmac_{Hmac: &alg.Algorithm_Mac_FullLength_Hmac{HashAlg: HashToProto(m.Hash)}}
	case MacCbcMac:
		f.Variant = &alg.Algorithm_Mac_FullLength_CbcMac_{CbcMac: &alg.Algorithm_Mac_FullLength_CbcMac{}}
	case MacCmac:
		f.Variant = &alg.Algorithm_Mac_FullLength_Cmac_{Cmac: &alg.Algorithm_Mac_FullLength_Cmac{}}
	}
	if m.Truncated {
		return &alg.Algorithm_Mac{Variant: &alg.Algorithm_Mac_Truncated_{Truncated: &alg.Algorithm_Mac_Truncated{MacAlg: f, MacLength: m.Length}}}
	}
	return &alg.Algorithm_Mac{Variant: &alg.Algorithm_Mac_FullLength_{FullLength: f}}
}

func aeadFromProto(m *alg.Algorithm_Aead) (Aead, error) {
	ok := func(a alg.Algorithm_Aead_AeadWithDefaultLengthTag) bool { return a >= 1 && a <= 3 }
	switch v := m.GetVariant().(type) {
	case *alg.Algorithm_Aead_AeadWithDefaultLengthTag_:
		if ok(v.AeadWithDefaultLengthTag) {
			return Aead{Alg: AeadAlg(v.AeadWithDefaultLengthTag)}, nil
		}
	case *alg.Algorithm_Aead_AeadWithShortenedTag_:
		if a := v.AeadWithShortenedTag.GetAeadAlg(); ok(a) {
			return Aead{Alg: AeadAlg(a), Shortened: true, TagLength: v.AeadWithShortenedTag.GetTagLength()}, nil
		}
	}
	return Aead{}, invalid("AEAD algorithm")
}

func aeadToProto(a Aead) *alg.Algorithm_Aead {
	def := alg.Algorithm_Aead_AeadWithDefaultLengthTag(a.Alg)
	if a.Shortened {
		return &alg.Algorithm_Aead{Variant: &alg.Algorithm_Aead_AeadWithShortenedTag_{AeadWithShortenedTag: &alg.Algorithm_Aead_AeadWithShortenedTag{AeadAlg: def, TagLength: a.TagLength}}}
	}
	return &alg.Algorithm_Aead{Variant: &alg.Algorithm_Aead_AeadWithDefaultLengthTag_{AeadWithDefaultLengthTag: def}}
}

func kdfFromProto(m *alg.Algorithm_KeyDerivation) (KeyDerivation, error) {
	var k KeyDerivation
	var h alg.Algorithm_Hash
	switch v := m.GetVariant().(type) {
	case *alg.Algorithm_KeyDerivation_Hkdf_:
		k.Kind, h = KdfHkdf, v.Hkdf.GetHashAlg()
	case *alg.Algorithm_KeyDerivation_Tls12Prf_:
		k.Kind, h = KdfTls12Prf, v.Tls12Prf.GetHashAlg()
	case *alg.Algorithm_KeyDerivation_Tls12PskToMs_:
		k.Kind, h = KdfTls12PskToMs, v.Tls12PskToMs.GetHashAlg()
	default:
		return k, invalid("key derivation algorithm")
	}
	var err error
	k.Hash, err = HashFromProto(h)
	return k, err
}

func kdfToProto(k KeyDerivation) *alg.Algorithm_KeyDerivation {
	h := HashToProto(k.Hash)
	switch k.Kind {
	case KdfTls12Prf:
		return &alg.Algorithm_KeyDerivation{Variant: &alg.Algorithm_KeyDerivation_Tls12Prf_{Tls12Prf: &alg.Algorithm_KeyDerivation_Tls12Prf{HashAlg: h}}}
	case KdfTls12PskToMs:
		return &alg.Algorithm_KeyDerivation{Variant: &alg.Algorithm_KeyDerivation_Tls12PskToMs_{Tls12PskToMs: &alg.Algorithm_KeyDerivation_Tls12PskToMs{HashAlg: h}}}
	}
	return &alg.Algorithm_KeyDerivation{Variant: &alg.Algorithm_KeyDerivation_Hkdf_{Hkdf: &alg.Algorithm_KeyDerivation_Hkdf{HashAlg: h}}}
}

func rawKAValid(r alg.Algorithm_KeyAgreement_Raw) bool { return r == 1 || r == 2 }

// AlgorithmFromProto converts any algorithm.
func AlgorithmFromProto(m *alg.Algorithm) (Algorithm, error) {
	var a Algorithm
	var err error
	switch v := m.GetVariant().(type) {
	case *alg.Algorithm_None_:
		a.Kind = AlgNone
	case *alg.Algorithm_Hash_:
		a.Kind = AlgHash
		a.Hash, err = HashFromProto(v.Hash)
	case *alg.Algorithm_Mac_:
		a.Kind = AlgMac
		a.Mac, err = macFromProto(v.Mac)
	case *alg.Algorithm_Cipher_:
		a.Kind = AlgCipher
		if v.Cipher < 1 || v.Cipher > alg.Algorithm_Cipher(lastCipher) {
			err = invalid("cipher algorithm")
		}
		a.Cipher = Cipher(v.Cipher)
	case *alg.Algorithm_Aead_:
		a.Kind = AlgAead
		a.Aead, err = aeadFromProto(v.Aead)
	case *alg.Algorithm_AsymmetricSignature_:
		a.Kind = AlgAsymSign
		a.Sign, err = AsymSignFromProto(v.AsymmetricSignature)
	case *alg.Algorithm_AsymmetricEncryption_:
		a.Kind = AlgAsymEncrypt
		a.Encrypt, err = AsymEncryptFromProto(v.AsymmetricEncryption)
	case *alg.Algorithm_KeyAgreement_:
		a.Kind = AlgKeyAgreement
		switch ka := v.KeyAgreement.GetVariant().(type) {
		case *alg.Algorithm_KeyAgreement_Raw_:
			if !rawKAValid(ka.Raw) {
				return a, invalid("key agreement algorithm")
			}
			a.KeyAgreement.Raw = KeyAgreementRaw(ka.Raw)
		case *alg.Algorithm_KeyAgreement_WithKeyDerivation_:
			if !rawKAValid(ka.WithKeyDerivation.GetKaAlg()) {
				return a, invalid("key agreement algorithm")
			}
			a.KeyAgreement.Raw = KeyAgreementRaw(ka.WithKeyDerivation.GetKaAlg())
			a.KeyAgreement.HasKdf = true
			a.KeyAgreement.Kdf, err = kdfFromProto(ka.WithKeyDerivation.GetKdfAlg())
		default:
			return a, invalid("key agreement algorithm")
		}
	case *alg.Algorithm_KeyDerivation_:
		a.Kind = AlgKeyDerivation
		a.Kdf, err = kdfFromProto(v.KeyDerivation)
	default:
		return a, invalid("algorithm")
	}
	return a, err
}

// AlgorithmToProto converts any algorithm.
func AlgorithmToProto(a Algorithm) *alg.Algorithm {
	m := &alg.Algorithm{}
	switch a.Kind {
	case AlgNone:
		m.Variant = &alg.Algorithm_None_{None: &alg.Algorithm_None{}}
	case AlgHash:
		m.Variant = &alg.Algorithm_Hash_{Hash: HashToProto(a.Hash)}
	case AlgMac:
		m.Variant = &alg.Algorithm_Mac_{Mac: macToProto(a.Mac)}
	case AlgCipher:
		m.Variant = &alg.Algorithm_Cipher_{Cipher: alg.Algorithm_Cipher(a.Cipher)}
	case AlgAead:
		m.Variant = &alg.Algorithm_Aead_{Aead: aeadToProto(a.Aead)}
	case AlgAsymSign:
		m.Variant = &alg.Algorithm_AsymmetricSignature_{AsymmetricSignature: AsymSignToProto(a.Sign)}
	case AlgAsymEncrypt:
		m.Variant = &alg.Algorithm_AsymmetricEncryption_{AsymmetricEncryption: AsymEncryptToProto(a.Encrypt)}
	case AlgKeyAgreement:
		raw := alg.Algorithm_KeyAgreement_Raw(a.KeyAgreement.Raw)
		if a.KeyAgreement.HasKdf {
			m.Variant = &alg.Algorithm_KeyAgreement_{KeyAgreement: &alg.Algorithm_KeyAgreement{Variant: &alg.Algorithm_KeyAgreement_WithKeyDerivation_{
				WithKeyDerivation: &alg.Algorithm_KeyAgreement_WithKeyDerivation{KaAlg: raw, KdfAlg: kdfToProto(a.KeyAgreement.Kdf)}}}}
		} else {
			m.Variant = &alg.Algorithm_KeyAgreement_{KeyAgreement: &alg.Algorithm_KeyAgreement{Variant: &alg.Algorithm_KeyAgreement_Raw_{Raw: raw}}}
		}
	case AlgKeyDerivation:
		m.Variant = &alg.Algorithm_KeyDerivation_{KeyDerivation: kdfToProto(a.Kdf)}
	}
	return m
}

func eccFamily(f attr.KeyType_EccFamily) (EccFamily, error) {
	if f <= 0 || f > attr.KeyType_EccFamily(lastEccFamily) {
		return 0, invalid("ECC curve family")
	}
	return EccFamily(f), nil
}

// KeyTypeFromProto converts a key type.
func KeyTypeFromProto(m *attr.KeyType) (KeyType, error) {
	var t KeyType
	var err error
	switch v := m.GetVariant().(type) {
	case *attr.KeyType_RawData_:
		t.Kind = KeyRawData
	case *attr.KeyType_Hmac_:
		t.Kind = KeyHmac
	case *attr.KeyType_Derive_:
		t.Kind = KeyDerive
	case *attr.KeyType_Aes_:
		t.Kind = KeyAes
	case *attr.KeyType_Des_:
		t.Kind = KeyDes
	case *attr.KeyType_Camellia_:
		t.Kind = KeyCamellia
	case *attr.KeyType_Arc4_:
		t.Kind = KeyArc4
	case *attr.KeyType_Chacha20_:
		t.Kind = KeyChacha20
	case *attr.KeyType_RsaPublicKey_:
		t.Kind = KeyRsaPublic
	case *attr.KeyType_RsaKeyPair_:
		t.Kind = KeyRsaPair
	case *attr.KeyType_EccKeyPair_:
		t.Kind = KeyEccPair
		t.EccFamily, err = eccFamily(v.EccKeyPair.GetCurveFamily())
	case *attr.KeyType_EccPublicKey_:
		t.Kind = KeyEccPublic
		t.EccFamily, err = eccFamily(v.EccPublicKey.GetCurveFamily())
	case *attr.KeyType_DhKeyPair_:
		t.Kind = KeyDhPair
		if v.DhKeyPair.GetGroupFamily() != 0 {
			err = invalid("DH group family")
		}
	case *attr.KeyType_DhPublicKey_:
		t.Kind = KeyDhPublic
		if v.DhPublicKey.GetGroupFamily() != 0 {
			err = invalid("DH group family")
		}
	default:
		return t, invalid("key type")
	}
	return t, err
}

// KeyTypeToProto converts a key type.
func KeyTypeToProto(t KeyType) *attr.KeyType {
	m := &attr.KeyType{}
	switch t.Kind {
	case KeyRawData:
		m.Variant = &attr.KeyType_RawData_{RawData: &attr.KeyType_RawData{}}
	case KeyHmac:
		m.Variant = &attr.KeyType_Hmac_{Hmac: &attr.KeyType_Hmac{}}
	case KeyDerive:
		m.Variant = &attr.KeyType_Derive_{Derive: &attr.KeyType_Derive{}}
	case KeyAes:
		m.Variant = &attr.KeyType_Aes_{Aes: &attr.KeyType_Aes{}}
	case KeyDes:
		m.Variant = &attr.KeyType_Des_{Des: &attr.KeyType_Des{}}
	case KeyCamellia:
		m.Variant = &attr.KeyType_Camellia_{Camellia: &attr.KeyType_Camellia{}}
	case KeyArc4:
		m.Variant = &attr.KeyType_Arc4_{Arc4: &attr.KeyType_Arc4{}}
	case KeyChacha20:
		m.Variant = &attr.KeyType_Chacha20_{Chacha20: &attr.KeyType_Chacha20{}}
	case KeyRsaPublic:
		m.Variant = &attr.KeyType_RsaPublicKey_{RsaPublicKey: &attr.KeyType_RsaPublicKey{}}
	case KeyRsaPair:
		m.Variant = &attr.KeyType_RsaKeyPair_{RsaKeyPair: &attr.KeyType_RsaKeyPair{}}
	case KeyEccPair:
		m.Variant = &attr.KeyType_EccKeyPair_{EccKeyPair: &attr.KeyType_EccKeyPair{CurveFamily: attr.KeyType_EccFamily(t.EccFamily)}}
	case KeyEccPublic:
		m.Variant = &attr.KeyType_EccPublicKey_{EccPublicKey: &attr.KeyType_EccPublicKey{CurveFamily: attr.KeyType_EccFamily(t.EccFamily)}}
	case KeyDhPair:
		m.Variant = &attr.KeyType_DhKeyPair_{DhKeyPair: &attr.KeyType_DhKeyPair{}}
	case KeyDhPublic:
		m.Variant = &attr.KeyType_DhPublicKey_{DhPublicKey: &attr.KeyType_DhPublicKey{}}
	}
	return m
}

// AttributesFromProto converts key attributes; type and policy are mandatory.
func AttributesFromProto(m *attr.KeyAttributes) (KeyAttributes, error) {
	if m == nil || m.KeyType == nil || m.KeyPolicy == nil || m.KeyPolicy.KeyUsageFlags == nil || m.KeyPolicy.KeyAlgorithm == nil {
		return KeyAttributes{}, invalid("key attributes")
	}
	t, err := KeyTypeFromProto(m.KeyType)
	if err != nil {
		return KeyAttributes{}, err
	}
	a, err := AlgorithmFromProto(m.KeyPolicy.KeyAlgorithm)
	if err != nil {
		return KeyAttributes{}, err
	}
	return KeyAttributes{Type: t, Bits: m.KeyBits, Policy: KeyPolicy{Usage: usageFromProto(m.KeyPolicy.KeyUsageFlags), Alg: a}}, nil
}

// AttributesToProto converts key attributes.
func AttributesToProto(a KeyAttributes) *attr.KeyAttributes {
	return &attr.KeyAttributes{
		KeyType: KeyTypeToProto(a.Type),
		KeyBits: a.Bits,
		KeyPolicy: &attr.KeyPolicy{
			KeyUsageFlags: usageToProto(a.Policy.Usage),
			KeyAlgorithm:  AlgorithmToProto(a.Policy.Alg),
		},
	}
}

func usageFromProto(u *attr.UsageFlags) UsageFlags {
	var f UsageFlags
	set := func(b bool, flag UsageFlags) {
		if b {
			f |= flag
		}
	}
	set(u.Export, UsageExport)
	set(u.Copy, UsageCopy)
	set(u.Cache, UsageCache)
	set(u.Encrypt, UsageEncrypt)
	set(u.Decrypt, UsageDecrypt)
	set(u.SignMessage, UsageSignMessage)
	set(u.VerifyMessage, UsageVerifyMessage)
	set(u.SignHash, UsageSignHash)
	set(u.VerifyHash, UsageVerifyHash)
	set(u.Derive, UsageDerive)
	return f
}

func usageToProto(f UsageFlags) *attr.UsageFlags {
	return &attr.UsageFlags{
		Export: f.Has(UsageExport), Copy: f.Has(UsageCopy), Cache: f.Has(UsageCache),
		Encrypt: f.Has(UsageEncrypt), Decrypt: f.Has(UsageDecrypt),
		SignMessage: f.Has(UsageSignMessage), VerifyMessage: f.Has(UsageVerifyMessage),
		SignHash: f.Has(UsageSignHash), VerifyHash: f.Has(UsageVerifyHash), Derive: f.Has(UsageDerive),
	}
}

// AeadFromProto converts an AEAD algorithm.
func AeadFromProto(m *alg.Algorithm_Aead) (Aead, error) { return aeadFromProto(m) }

// AeadToProto converts an AEAD algorithm.
func AeadToProto(a Aead) *alg.Algorithm_Aead { return aeadToProto(a) }

// MacFromProto converts a MAC algorithm.
func MacFromProto(m *alg.Algorithm_Mac) (Mac, error) { return macFromProto(m) }

// MacToProto converts a MAC algorithm.
func MacToProto(m Mac) *alg.Algorithm_Mac { return macToProto(m) }

// CipherFromProto converts a cipher enum; NONE and unknown values are invalid.
func CipherFromProto(c alg.Algorithm_Cipher) (Cipher, error) {
	if c < 1 || c > alg.Algorithm_Cipher(lastCipher) {
		return 0, invalid("cipher algorithm")
	}
	return Cipher(c), nil
}

// KeyAgreementRawFromProto converts a raw key agreement enum.
func KeyAgreementRawFromProto(r alg.Algorithm_KeyAgreement_Raw) (KeyAgreementRaw, error) {
	if !rawKAValid(r) {
		return 0, invalid("key agreement algorithm")
	}
	return KeyAgreementRaw(r), nil
}
