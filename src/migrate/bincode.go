// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package migrate

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/parsecd/parsecd/src/psa"
)

// Parsec's key info managers store key attributes as bincode 1.x (default
// options: little endian, fixed-width integers, u64 lengths, u32 enum
// variant indexes) of psa-crypto's Attributes. Enum variants are numbered in
// declaration order (psa-crypto 0.9.2, the version in Parsec 1.x); where
// parsecd's psa package numbers the same variants from 1 (protobuf values),
// the index is one less. The layout is described in docs/migration.md.

type bincodeReader struct {
	b   []byte
	err error
}

func (r *bincodeReader) fail(format string, a ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, a...)
	}
}

func (r *bincodeReader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if len(r.b) < n {
		r.fail("truncated attributes")
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *bincodeReader) u32() uint32 {
	b := r.take(4)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

func (r *bincodeReader) u64() uint64 {
	b := r.take(8)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(b)
}

func (r *bincodeReader) boolean() bool {
	b := r.take(1)
	if b == nil {
		return false
	}
	if b[0] > 1 {
		r.fail("invalid bool %d", b[0])
	}
	return b[0] == 1
}

// variant reads an enum variant index, which must be below n.
func (r *bincodeReader) variant(what string, n uint32) uint32 {
	v := r.u32()
	if r.err == nil && v >= n {
		r.fail("unknown %s variant %d", what, v)
	}
	return v
}

// decodeKeyIDVec decodes the OnDisk KIM's KeyInfo prefix, a Vec<u8> (u64
// length then bytes), and returns the id bytes and the rest (attributes).
func decodeKeyIDVec(b []byte) (id, rest []byte, err error) {
	r := &bincodeReader{b: b}
	n := r.u64()
	if r.err == nil && n > uint64(len(r.b)) {
		return nil, nil, fmt.Errorf("key id length %d exceeds the file", n)
	}
	id = r.take(int(n))
	return id, r.b, r.err
}

// decodeAttributes decodes psa-crypto's bincode Attributes. It returns the
// attributes and the lifetime (0 volatile, 1 persistent, else custom).
func decodeAttributes(b []byte) (psa.KeyAttributes, uint32, error) {
	r := &bincodeReader{b: b}
	var a psa.KeyAttributes
	lifetime := r.variant("Lifetime", 3)
	if lifetime == 2 {
		lifetime = r.u32()
	}
	a.Type = r.keyType()
	bits := r.u64()
	if bits > math.MaxUint32 {
		r.fail("bits %d out of range", bits)
	}
	a.Bits = uint32(bits)
	for i := range 10 {
		if r.boolean() {
			a.Policy.Usage |= 1 << i
		}
	}
	a.Policy.Alg = r.algorithm()
	if r.err == nil && len(r.b) != 0 {
		r.fail("%d bytes after the attributes", len(r.b))
	}
	return a, lifetime, r.err
}

func (r *bincodeReader) keyType() psa.KeyType {
	v := r.variant("Type", 14)
	t := psa.KeyType{Kind: psa.KeyKind(v + 1)}
	switch t.Kind {
	case psa.KeyEccPair, psa.KeyEccPublic:
		t.EccFamily = psa.EccFamily(r.variant("EccFamily", 9) + 1)
	case psa.KeyDhPair, psa.KeyDhPublic:
		t.DhFamily = r.variant("DhFamily", 1)
	}
	return t
}

func (r *bincodeReader) hash() psa.Hash { return psa.Hash(r.variant("Hash", 15) + 1) }

// signHash reads SignHash: Specific(Hash) 0, Any 1.
func (r *bincodeReader) signHash(s *psa.AsymSign) {
	if r.variant("SignHash", 2) == 0 {
		s.Hash = r.hash()
	} else {
		s.AnyHash = true
	}
}

// fullMac reads FullLengthMac: Hmac{hash_alg} 0, CbcMac 1, Cmac 2.
func (r *bincodeReader) fullMac() psa.Mac {
	m := psa.Mac{Kind: psa.MacKind(r.variant("FullLengthMac", 3) + 1)}
	if m.Kind == psa.MacHmac {
		m.Hash = r.hash()
	}
	return m
}

func (r *bincodeReader) kdf() psa.KeyDerivation {
	return psa.KeyDerivation{Kind: psa.KdfKind(r.variant("KeyDerivation", 3) + 1), Hash: r.hash()}
}

func (r *bincodeReader) algorithm() psa.Algorithm {
	var a psa.Algorithm
	a.Kind = psa.AlgKind(r.variant("Algorithm", 9) + 1)
	switch a.Kind {
	case psa.AlgHash:
		a.Hash = r.hash()
	case psa.AlgMac:
		// Mac: FullLength(FullLengthMac) 0, Truncated{mac_alg, mac_length: usize} 1.
		if r.variant("Mac", 2) == 0 {
			a.Mac = r.fullMac()
		} else {
			a.Mac = r.fullMac()
			a.Mac.Truncated = true
			a.Mac.Length = r.len32()
		}
	case psa.AlgCipher:
		a.Cipher = psa.Cipher(r.variant("Cipher", 8) + 1)
	case psa.AlgAead:
		// Aead: AeadWithDefaultLengthTag(x) 0, AeadWithShortenedTag{aead_alg, tag_length: usize} 1.
		if r.variant("Aead", 2) == 0 {
			a.Aead.Alg = psa.AeadAlg(r.variant("AeadWithDefaultLengthTag", 3) + 1)
		} else {
			a.Aead.Alg = psa.AeadAlg(r.variant("AeadWithDefaultLengthTag", 3) + 1)
			a.Aead.Shortened = true
			a.Aead.TagLength = r.len32()
		}
	case psa.AlgAsymSign:
		a.Sign.Kind = psa.SignKind(r.variant("AsymmetricSignature", 6) + 1)
		if a.Sign.Kind != psa.SignRsaPkcs1v15Raw && a.Sign.Kind != psa.SignEcdsaAny {
			r.signHash(&a.Sign)
		}
	case psa.AlgAsymEncrypt:
		a.Encrypt.Kind = psa.EncKind(r.variant("AsymmetricEncryption", 2) + 1)
		if a.Encrypt.Kind == psa.EncRsaOaep {
			a.Encrypt.Hash = r.hash()
		}
	case psa.AlgKeyAgreement:
		// KeyAgreement: Raw(RawKeyAgreement) 0, WithKeyDerivation{ka_alg, kdf_alg} 1.
		if r.variant("KeyAgreement", 2) == 0 {
			a.KeyAgreement.Raw = psa.KeyAgreementRaw(r.variant("RawKeyAgreement", 2) + 1)
		} else {
			a.KeyAgreement.Raw = psa.KeyAgreementRaw(r.variant("RawKeyAgreement", 2) + 1)
			a.KeyAgreement.HasKdf = true
			a.KeyAgreement.Kdf = r.kdf()
		}
	case psa.AlgKeyDerivation:
		a.Kdf = r.kdf()
	}
	return a
}

func (r *bincodeReader) len32() uint32 {
	v := r.u64()
	if v > math.MaxUint32 {
		r.fail("length %d out of range", v)
	}
	return uint32(v)
}
