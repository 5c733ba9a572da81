// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package tpm

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/binary"
	"errors"
	"math/big"

	"github.com/google/go-tpm/tpm2"
)

// The key store keeps, for each key, KeyInfo.ID = a versioned record:
//
//	recordVersion (1 byte)
//	u16 length ‖ TPMT_PUBLIC       the key's public area, as the TPM marshals it
//	u16 length ‖ TPM2B_PRIVATE     its private area wrapped by the storage key (empty for a public key)
//	u16 length ‖ auth value        32 random bytes (empty for a public key)
//
// Lengths are big-endian, like every TPM structure. The private area is
// encrypted and integrity-protected by the storage primary key, which the
// TPM re-derives from the owner hierarchy's seed: the record is useless
// outside this TPM. The auth value is a second factor: a stolen key store
// alone does not let another process on the machine use the keys. Public
// keys are kept as a public area too, so that every key has one form.
const recordVersion byte = 0x01

// authSize is the size of the per-key auth value: the SHA-256 name
// algorithm's digest size, the most a TPM accepts for it.
const authSize = 32

// record is a key as stored.
type record struct {
	public  tpm2.TPMTPublic
	private []byte
	auth    []byte
}

func (r record) encode() []byte {
	pub := tpm2.Marshal(r.public)
	out := make([]byte, 0, 1+6+len(pub)+len(r.private)+len(r.auth))
	out = append(out, recordVersion)
	for _, f := range [][]byte{pub, r.private, r.auth} {
		out = binary.BigEndian.AppendUint16(out, uint16(len(f)))
		out = append(out, f...)
	}
	return out
}

var errRecord = errors.New("the stored key record is not a TPM provider key record")

func decodeRecord(b []byte) (record, error) {
	if len(b) < 1 || b[0] != recordVersion {
		return record{}, errRecord
	}
	b = b[1:]
	var fields [3][]byte
	for i := range fields {
		if len(b) < 2 {
			return record{}, errRecord
		}
		n := int(binary.BigEndian.Uint16(b))
		if len(b) < 2+n {
			return record{}, errRecord
		}
		fields[i], b = b[2:2+n], b[2+n:]
	}
	if len(b) != 0 || (len(fields[1]) == 0) != (len(fields[2]) == 0) {
		return record{}, errRecord
	}
	pub, err := tpm2.Unmarshal[tpm2.TPMTPublic](fields[0])
	if err != nil {
		return record{}, errRecord
	}
	return record{public: *pub, private: fields[1], auth: fields[2]}, nil
}

// isPair reports whether the record holds a private area to load.
func (r record) isPair() bool { return len(r.private) > 0 }

// publicKey converts the public area for Go's crypto, checking it.
func publicKey(pub tpm2.TPMTPublic) (crypto.PublicKey, error) {
	switch pub.Type {
	case tpm2.TPMAlgRSA:
		parms, err := pub.Parameters.RSADetail()
		if err != nil {
			return nil, err
		}
		n, err := pub.Unique.RSA()
		if err != nil {
			return nil, err
		}
		e := int(parms.Exponent)
		if e == 0 {
			e = 65537 // the TPM's default exponent
		}
		return &rsa.PublicKey{N: new(big.Int).SetBytes(n.Buffer), E: e}, nil
	case tpm2.TPMAlgECC:
		parms, err := pub.Parameters.ECCDetail()
		if err != nil {
			return nil, err
		}
		pt, err := pub.Unique.ECC()
		if err != nil {
			return nil, err
		}
		for _, e := range eccCurves {
			if e.id == parms.CurveID {
				return ecdsa.ParseUncompressedPublicKey(e.curve, uncompressed(e.bits, pt))
			}
		}
		return nil, errors.New("unknown curve")
	}
	return nil, errors.New("unknown key type")
}

// uncompressed encodes a TPM point as 04 ‖ X ‖ Y, each padded to the curve size.
func uncompressed(bits uint32, pt *tpm2.TPMSECCPoint) []byte {
	n := byteLen(bits)
	out := make([]byte, 1+2*n)
	out[0] = 4
	if len(pt.X.Buffer) <= n && len(pt.Y.Buffer) <= n {
		copy(out[1+n-len(pt.X.Buffer):1+n], pt.X.Buffer)
		copy(out[1+2*n-len(pt.Y.Buffer):], pt.Y.Buffer)
	}
	return out
}

func byteLen(bits uint32) int { return int(bits+7) / 8 }
