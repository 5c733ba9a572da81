// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package psa holds native Go forms of the PSA Crypto types that travel in
// Parsec requests (key attributes, algorithms), and the policy rules that
// decide whether a key may be used for an operation. Protobuf conversion
// happens once, in convert.go, so providers never see protobuf.
package psa

// KeyKind is the variant of a key type; values are the protobuf oneof field
// numbers of KeyType, which keeps stored attributes meaningful across releases.
type KeyKind uint8

// Key kinds.
const (
	KeyNone      KeyKind = 0
	KeyRawData   KeyKind = 1
	KeyHmac      KeyKind = 2
	KeyDerive    KeyKind = 3
	KeyAes       KeyKind = 4
	KeyDes       KeyKind = 5
	KeyCamellia  KeyKind = 6
	KeyArc4      KeyKind = 7
	KeyChacha20  KeyKind = 8
	KeyRsaPublic KeyKind = 9
	KeyRsaPair   KeyKind = 10
	KeyEccPair   KeyKind = 11
	KeyEccPublic KeyKind = 12
	KeyDhPair    KeyKind = 13
	KeyDhPublic  KeyKind = 14
	lastKeyKind          = KeyDhPublic
)

var keyKindNames = [...]string{"None", "RawData", "Hmac", "Derive", "Aes", "Des", "Camellia", "Arc4",
	"Chacha20", "RsaPublicKey", "RsaKeyPair", "EccKeyPair", "EccPublicKey", "DhKeyPair", "DhPublicKey"}

func (k KeyKind) String() string {
	if k <= lastKeyKind {
		return keyKindNames[k]
	}
	return "Unknown"
}

// EccFamily is a PSA elliptic-curve family (protobuf enum values).
type EccFamily uint8

// Curve families.
const (
	EccNone         EccFamily = 0
	EccSecpK1       EccFamily = 1
	EccSecpR1       EccFamily = 2
	EccSecpR2       EccFamily = 3
	EccSectK1       EccFamily = 4
	EccSectR1       EccFamily = 5
	EccSectR2       EccFamily = 6
	EccBrainpoolPR1 EccFamily = 7
	EccFrp          EccFamily = 8
	EccMontgomery   EccFamily = 9
	lastEccFamily             = EccMontgomery
)

var eccNames = [...]string{"None", "SecpK1", "SecpR1", "SecpR2", "SectK1", "SectR1", "SectR2",
	"BrainpoolPR1", "Frp", "Montgomery"}

func (f EccFamily) String() string {
	if f <= lastEccFamily {
		return eccNames[f]
	}
	return "Unknown"
}

// KeyType is a PSA key type.
type KeyType struct {
	Kind      KeyKind
	EccFamily EccFamily // EccPair and EccPublic
	DhFamily  uint32    // DhPair and DhPublic (only RFC7919 = 0 exists)
}

// IsPublic reports whether the type holds only a public key.
func (t KeyType) IsPublic() bool {
	return t.Kind == KeyRsaPublic || t.Kind == KeyEccPublic || t.Kind == KeyDhPublic
}

// IsPair reports whether the type holds a private/public key pair.
func (t KeyType) IsPair() bool {
	return t.Kind == KeyRsaPair || t.Kind == KeyEccPair || t.Kind == KeyDhPair
}

// IsRSA reports whether the type is an RSA key.
func (t KeyType) IsRSA() bool { return t.Kind == KeyRsaPair || t.Kind == KeyRsaPublic }

// IsECC reports whether the type is an elliptic-curve key.
func (t KeyType) IsECC() bool { return t.Kind == KeyEccPair || t.Kind == KeyEccPublic }

// PublicOf returns the public-key type matching a key-pair type.
func (t KeyType) PublicOf() KeyType {
	switch t.Kind {
	case KeyRsaPair:
		t.Kind = KeyRsaPublic
	case KeyEccPair:
		t.Kind = KeyEccPublic
	case KeyDhPair:
		t.Kind = KeyDhPublic
	}
	return t
}

func (t KeyType) String() string {
	if t.IsECC() {
		return t.Kind.String() + "(" + t.EccFamily.String() + ")"
	}
	return t.Kind.String()
}

// UsageFlags is a set of permitted key usages.
type UsageFlags uint16

// Usage flags (bit i = protobuf field i+1 of UsageFlags).
const (
	UsageExport UsageFlags = 1 << iota
	UsageCopy
	UsageCache
	UsageEncrypt
	UsageDecrypt
	UsageSignMessage
	UsageVerifyMessage
	UsageSignHash
	UsageVerifyHash
	UsageDerive
)

// Has reports whether every flag of want is set.
func (u UsageFlags) Has(want UsageFlags) bool { return u&want == want }

// KeyPolicy says how a key may be used.
type KeyPolicy struct {
	Usage UsageFlags
	Alg   Algorithm
}

// KeyAttributes describe a key; the lifetime is always persistent.
type KeyAttributes struct {
	Type   KeyType
	Bits   uint32
	Policy KeyPolicy
}
