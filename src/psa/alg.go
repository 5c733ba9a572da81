// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package psa

import "strconv"

// Hash is a PSA hash algorithm (protobuf enum values).
type Hash uint8

// Hash algorithms.
const (
	HashNone      Hash = 0
	HashMD2       Hash = 1
	HashMD4       Hash = 2
	HashMD5       Hash = 3
	HashRipemd160 Hash = 4
	HashSHA1      Hash = 5
	HashSHA224    Hash = 6
	HashSHA256    Hash = 7
	HashSHA384    Hash = 8
	HashSHA512    Hash = 9
	HashSHA512224 Hash = 10
	HashSHA512256 Hash = 11
	HashSHA3_224  Hash = 12
	HashSHA3_256  Hash = 13
	HashSHA3_384  Hash = 14
	HashSHA3_512  Hash = 15
	lastHash           = HashSHA3_512
)

var hashInfo = [...]struct {
	name string
	size int
}{
	{"None", 0}, {"Md2", 16}, {"Md4", 16}, {"Md5", 16}, {"Ripemd160", 20}, {"Sha1", 20},
	{"Sha224", 28}, {"Sha256", 32}, {"Sha384", 48}, {"Sha512", 64}, {"Sha512_224", 28},
	{"Sha512_256", 32}, {"Sha3_224", 28}, {"Sha3_256", 32}, {"Sha3_384", 48}, {"Sha3_512", 64},
}

// Valid reports whether h names a hash algorithm.
func (h Hash) Valid() bool { return h != HashNone && h <= lastHash }

// Size is the digest length in bytes (0 for an invalid hash).
func (h Hash) Size() int {
	if h <= lastHash {
		return hashInfo[h].size
	}
	return 0
}

// Deprecated reports whether the hash is on the deprecated list (MD2, MD4, MD5, SHA-1).
func (h Hash) Deprecated() bool {
	return h == HashMD2 || h == HashMD4 || h == HashMD5 || h == HashSHA1
}

func (h Hash) String() string {
	if h <= lastHash {
		return hashInfo[h].name
	}
	return "Hash(" + strconv.Itoa(int(h)) + ")"
}

// AlgKind is the variant of an Algorithm (protobuf oneof field numbers).
type AlgKind uint8

// Algorithm kinds.
const (
	AlgUnset         AlgKind = 0 // not valid on the wire
	AlgNone          AlgKind = 1 // "no algorithm permitted"
	AlgHash          AlgKind = 2
	AlgMac           AlgKind = 3
	AlgCipher        AlgKind = 4
	AlgAead          AlgKind = 5
	AlgAsymSign      AlgKind = 6
	AlgAsymEncrypt   AlgKind = 7
	AlgKeyAgreement  AlgKind = 8
	AlgKeyDerivation AlgKind = 9
)

// SignKind is the variant of an asymmetric signature algorithm (oneof field numbers).
type SignKind uint8

// Signature algorithms.
const (
	SignRsaPkcs1v15    SignKind = 1
	SignRsaPkcs1v15Raw SignKind = 2
	SignRsaPss         SignKind = 3
	SignEcdsa          SignKind = 4
	SignEcdsaAny       SignKind = 5
	SignDetEcdsa       SignKind = 6
)

// AsymSign is an asymmetric signature algorithm. AnyHash is the wildcard
// allowed in key policies only; Hash is unset for the raw variants.
type AsymSign struct {
	Kind    SignKind
	Hash    Hash
	AnyHash bool
}

// HasHash reports whether the variant carries a hash.
func (s AsymSign) HasHash() bool {
	return s.Kind == SignRsaPkcs1v15 || s.Kind == SignRsaPss || s.Kind == SignEcdsa || s.Kind == SignDetEcdsa
}

// IsRSA reports whether the algorithm signs with an RSA key.
func (s AsymSign) IsRSA() bool { return s.Kind >= SignRsaPkcs1v15 && s.Kind <= SignRsaPss }

// IsECDSA reports whether the algorithm signs with an ECC key.
func (s AsymSign) IsECDSA() bool { return s.Kind >= SignEcdsa && s.Kind <= SignDetEcdsa }

func (s AsymSign) String() string {
	names := [...]string{"?", "RsaPkcs1v15Sign", "RsaPkcs1v15SignRaw", "RsaPss", "Ecdsa", "EcdsaAny", "DeterministicEcdsa"}
	n := "?"
	if int(s.Kind) < len(names) {
		n = names[s.Kind]
	}
	switch {
	case s.AnyHash:
		return n + "{ hash_alg: Any }"
	case s.HasHash():
		return n + "{ hash_alg: " + s.Hash.String() + " }"
	}
	return n
}

// EncKind is the variant of an asymmetric encryption algorithm.
type EncKind uint8

// Asymmetric encryption algorithms.
const (
	EncRsaPkcs1v15 EncKind = 1
	EncRsaOaep     EncKind = 2
)

// AsymEncrypt is an asymmetric encryption algorithm; Hash is OAEP's.
type AsymEncrypt struct {
	Kind EncKind
	Hash Hash
}

func (e AsymEncrypt) String() string {
	if e.Kind == EncRsaOaep {
		return "RsaOaep{ hash_alg: " + e.Hash.String() + " }"
	}
	return "RsaPkcs1v15Crypt"
}

// MacKind is the full-length MAC variant.
type MacKind uint8

// MAC algorithms.
const (
	MacHmac   MacKind = 1
	MacCbcMac MacKind = 2
	MacCmac   MacKind = 3
)

// Mac is a MAC algorithm, possibly truncated to Length bytes.
type Mac struct {
	Kind      MacKind
	Hash      Hash // HMAC only
	Truncated bool
	Length    uint32
}

// Cipher is an unauthenticated cipher mode (protobuf enum values).
type Cipher uint8

// Cipher modes.
const (
	CipherStream       Cipher = 1
	CipherCtr          Cipher = 2
	CipherCfb          Cipher = 3
	CipherOfb          Cipher = 4
	CipherXts          Cipher = 5
	CipherEcbNoPadding Cipher = 6
	CipherCbcNoPadding Cipher = 7
	CipherCbcPkcs7     Cipher = 8
	lastCipher                = CipherCbcPkcs7
)

// AeadAlg is an AEAD algorithm with its default tag (protobuf enum values).
type AeadAlg uint8

// AEAD algorithms.
const (
	AeadCcm              AeadAlg = 1
	AeadGcm              AeadAlg = 2
	AeadChacha20Poly1305 AeadAlg = 3
)

// Aead is an AEAD algorithm, with a shortened tag when Shortened is set.
type Aead struct {
	Alg       AeadAlg
	Shortened bool
	TagLength uint32
}

// KeyAgreementRaw is a raw key agreement (protobuf enum values).
type KeyAgreementRaw uint8

// Raw key agreements.
const (
	KeyAgreementFfdh KeyAgreementRaw = 1
	KeyAgreementEcdh KeyAgreementRaw = 2
)

// KdfKind is a key derivation variant.
type KdfKind uint8

// Key derivations.
const (
	KdfHkdf         KdfKind = 1
	KdfTls12Prf     KdfKind = 2
	KdfTls12PskToMs KdfKind = 3
)

// KeyDerivation is a key derivation algorithm.
type KeyDerivation struct {
	Kind KdfKind
	Hash Hash
}

// KeyAgreement is a key agreement, raw or followed by a key derivation.
type KeyAgreement struct {
	Raw    KeyAgreementRaw
	HasKdf bool
	Kdf    KeyDerivation
}

// Algorithm is any PSA algorithm; Kind says which field is meaningful.
type Algorithm struct {
	Kind         AlgKind
	Hash         Hash
	Mac          Mac
	Cipher       Cipher
	Aead         Aead
	Sign         AsymSign
	Encrypt      AsymEncrypt
	KeyAgreement KeyAgreement
	Kdf          KeyDerivation
}

func (a Algorithm) String() string {
	switch a.Kind {
	case AlgNone:
		return "None"
	case AlgHash:
		return a.Hash.String()
	case AlgAsymSign:
		return "AsymmetricSignature::" + a.Sign.String()
	case AlgAsymEncrypt:
		return "AsymmetricEncryption::" + a.Encrypt.String()
	case AlgMac:
		return "Mac"
	case AlgCipher:
		return "Cipher"
	case AlgAead:
		return "Aead"
	case AlgKeyAgreement:
		return "KeyAgreement"
	case AlgKeyDerivation:
		return "KeyDerivation"
	}
	return "Unset"
}

// Hashes returns every hash named anywhere in the algorithm.
func (a Algorithm) Hashes() []Hash {
	var hs []Hash
	add := func(h Hash) {
		if h != HashNone {
			hs = append(hs, h)
		}
	}
	switch a.Kind {
	case AlgHash:
		add(a.Hash)
	case AlgMac:
		add(a.Mac.Hash)
	case AlgAsymSign:
		add(a.Sign.Hash)
	case AlgAsymEncrypt:
		add(a.Encrypt.Hash)
	case AlgKeyAgreement:
		if a.KeyAgreement.HasKdf {
			add(a.KeyAgreement.Kdf.Hash)
		}
	case AlgKeyDerivation:
		add(a.Kdf.Hash)
	}
	return hs
}

// CheckType is what CanDoCrypto asks about a key template (protobuf enum values).
type CheckType uint8

// Capability checks.
const (
	CheckUse      CheckType = 1
	CheckGenerate CheckType = 2
	CheckImport   CheckType = 3
	CheckDerive   CheckType = 4
)

func (c CheckType) String() string {
	switch c {
	case CheckUse:
		return "Use"
	case CheckGenerate:
		return "Generate"
	case CheckImport:
		return "Import"
	case CheckDerive:
		return "Derive"
	}
	return "CheckType(" + strconv.Itoa(int(c)) + ")"
}
