// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package bolt

import (
	"encoding/binary"
	"math"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
)

// Value format, version 1. Every stored key value is
//
//	0  format version (1)
//	1  Type.Kind                 u8
//	2  Type.EccFamily            u8
//	   Type.DhFamily             uvarint (uint32)
//	   Bits                      uvarint (uint32)
//	   Policy.Usage              uvarint (uint16)
//	   Alg.Kind, Alg.Hash        u8 u8
//	   Mac.Kind, Mac.Hash        u8 u8
//	   Mac.Length                uvarint (uint32)
//	   Cipher, Aead.Alg          u8 u8
//	   Aead.TagLength            uvarint (uint32)
//	   Sign.Kind, Sign.Hash      u8 u8
//	   Encrypt.Kind, Encrypt.Hash u8 u8
//	   KeyAgreement.Raw, .Kdf.Kind, .Kdf.Hash u8 u8 u8
//	   Kdf.Kind, Kdf.Hash        u8 u8
//	   flags                     u8: bit 0 Mac.Truncated, 1 Aead.Shortened,
//	                                 2 Sign.AnyHash, 3 KeyAgreement.HasKdf
//	   len(ID)                   uvarint
//	   ID                        len(ID) bytes
//
// Decoding is strict: unknown flag bits, out-of-range or overlong varints
// and trailing bytes are errors, so a value has exactly one encoding. The golden test in codec_test.go pins this layout; a
// change to it needs a new format version, not an edit of version 1.
const formatV1 byte = 1

const (
	flagMacTruncated = 1 << iota
	flagAeadShortened
	flagSignAnyHash
	flagKeyAgreementHasKdf
	flagsV1 = flagMacTruncated | flagAeadShortened | flagSignAnyHash | flagKeyAgreementHasKdf
)

// maxFixedV1 bounds the size of a version 1 value without its ID bytes.
const maxFixedV1 = 1 + 2 + 5 + 5 + 3 + 4 + 5 + 2 + 5 + 2 + 2 + 3 + 2 + 1 + binary.MaxVarintLen64

// encodeValue serialises v in the current value format. The result holds
// a copy of v.ID; the caller should clear it once it is no longer needed.
func encodeValue(v storage.KeyInfo) []byte {
	a := v.Attributes
	al := a.Policy.Alg
	var flags byte
	if al.Mac.Truncated {
		flags |= flagMacTruncated
	}
	if al.Aead.Shortened {
		flags |= flagAeadShortened
	}
	if al.Sign.AnyHash {
		flags |= flagSignAnyHash
	}
	if al.KeyAgreement.HasKdf {
		flags |= flagKeyAgreementHasKdf
	}
	b := make([]byte, 0, maxFixedV1+len(v.ID))
	b = append(b, formatV1, byte(a.Type.Kind), byte(a.Type.EccFamily))
	b = binary.AppendUvarint(b, uint64(a.Type.DhFamily))
	b = binary.AppendUvarint(b, uint64(a.Bits))
	b = binary.AppendUvarint(b, uint64(a.Policy.Usage))
	b = append(b, byte(al.Kind), byte(al.Hash), byte(al.Mac.Kind), byte(al.Mac.Hash))
	b = binary.AppendUvarint(b, uint64(al.Mac.Length))
	b = append(b, byte(al.Cipher), byte(al.Aead.Alg))
	b = binary.AppendUvarint(b, uint64(al.Aead.TagLength))
	b = append(b,
		byte(al.Sign.Kind), byte(al.Sign.Hash),
		byte(al.Encrypt.Kind), byte(al.Encrypt.Hash),
		byte(al.KeyAgreement.Raw), byte(al.KeyAgreement.Kdf.Kind), byte(al.KeyAgreement.Kdf.Hash),
		byte(al.Kdf.Kind), byte(al.Kdf.Hash),
		flags)
	b = binary.AppendUvarint(b, uint64(len(v.ID)))
	return append(b, v.ID...)
}

// decodeValue parses a stored value. The returned ID is a fresh copy, so
// b may be memory owned by bbolt. Errors never quote the bytes of b.
func decodeValue(b []byte) (storage.KeyInfo, error) {
	if len(b) == 0 {
		return storage.KeyInfo{}, corrupt("empty value")
	}
	if b[0] != formatV1 {
		return storage.KeyInfo{}, status.Errorf(status.KeyInfoManagerError,
			"key store value has unknown format version %d (this parsecd reads version %d)", b[0], formatV1)
	}
	d := decoder{b: b[1:]}
	var v storage.KeyInfo
	a := &v.Attributes
	al := &a.Policy.Alg
	a.Type.Kind = psa.KeyKind(d.u8())
	a.Type.EccFamily = psa.EccFamily(d.u8())
	a.Type.DhFamily = d.u32()
	a.Bits = d.u32()
	a.Policy.Usage = psa.UsageFlags(d.uvarint(math.MaxUint16))
	al.Kind = psa.AlgKind(d.u8())
	al.Hash = psa.Hash(d.u8())
	al.Mac.Kind = psa.MacKind(d.u8())
	al.Mac.Hash = psa.Hash(d.u8())
	al.Mac.Length = d.u32()
	al.Cipher = psa.Cipher(d.u8())
	al.Aead.Alg = psa.AeadAlg(d.u8())
	al.Aead.TagLength = d.u32()
	al.Sign.Kind = psa.SignKind(d.u8())
	al.Sign.Hash = psa.Hash(d.u8())
	al.Encrypt.Kind = psa.EncKind(d.u8())
	al.Encrypt.Hash = psa.Hash(d.u8())
	al.KeyAgreement.Raw = psa.KeyAgreementRaw(d.u8())
	al.KeyAgreement.Kdf.Kind = psa.KdfKind(d.u8())
	al.KeyAgreement.Kdf.Hash = psa.Hash(d.u8())
	al.Kdf.Kind = psa.KdfKind(d.u8())
	al.Kdf.Hash = psa.Hash(d.u8())
	flags := d.u8()
	n := d.uvarint(math.MaxInt)
	if d.err != "" {
		return storage.KeyInfo{}, corrupt(d.err)
	}
	if flags&^flagsV1 != 0 {
		return storage.KeyInfo{}, corrupt("unknown attribute flags")
	}
	if n != uint64(len(d.b)) {
		if n > uint64(len(d.b)) {
			return storage.KeyInfo{}, corrupt("truncated key id")
		}
		return storage.KeyInfo{}, corrupt("trailing bytes after key id")
	}
	al.Mac.Truncated = flags&flagMacTruncated != 0
	al.Aead.Shortened = flags&flagAeadShortened != 0
	al.Sign.AnyHash = flags&flagSignAnyHash != 0
	al.KeyAgreement.HasKdf = flags&flagKeyAgreementHasKdf != 0
	if n > 0 {
		v.ID = make([]byte, n)
		copy(v.ID, d.b)
	}
	return v, nil
}

func corrupt(what string) error {
	return status.Errorf(status.KeyInfoManagerError, "key store value is corrupt: %s", what)
}

// decoder reads fields in order and remembers the first failure.
type decoder struct {
	b   []byte
	err string
}

func (d *decoder) u8() byte {
	if d.err != "" {
		return 0
	}
	if len(d.b) == 0 {
		d.err = "truncated attributes"
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint(limit uint64) uint64 {
	if d.err != "" {
		return 0
	}
	x, n := binary.Uvarint(d.b)
	switch {
	case n == 0:
		d.err = "truncated attributes"
		return 0
	case n < 0 || x > limit:
		d.err = "integer out of range"
		return 0
	case n > 1 && d.b[n-1] == 0:
		// An overlong encoding: the format is canonical, so that
		// decoding and re-encoding a value gives the same bytes.
		d.err = "non-canonical integer"
		return 0
	}
	d.b = d.b[n:]
	return x
}

func (d *decoder) u32() uint32 { return uint32(d.uvarint(math.MaxUint32)) }
