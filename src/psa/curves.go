// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package psa

import "encoding/asn1"

// namedCurves are the object identifiers of the named curves (SEC 2,
// RFC 5480) by PSA family and size: what an ECC public key's
// SubjectPublicKeyInfo and a PKCS#11 CKA_EC_PARAMS name. One table, used by
// parsec-tool's key export, the PKCS#11 provider's templates and the
// PKCS#11 module's attributes; each of those serves a subset of it.
var namedCurves = map[EccFamily]map[uint32]asn1.ObjectIdentifier{
	EccSecpR1: {
		192: {1, 2, 840, 10045, 3, 1, 1}, 224: {1, 3, 132, 0, 33}, 256: {1, 2, 840, 10045, 3, 1, 7},
		384: {1, 3, 132, 0, 34}, 521: {1, 3, 132, 0, 35},
	},
	EccSecpK1: {192: {1, 3, 132, 0, 31}, 224: {1, 3, 132, 0, 32}, 256: {1, 3, 132, 0, 10}},
	EccSectK1: {233: {1, 3, 132, 0, 26}, 283: {1, 3, 132, 0, 16}, 409: {1, 3, 132, 0, 36}, 571: {1, 3, 132, 0, 38}},
	EccSectR1: {233: {1, 3, 132, 0, 27}, 283: {1, 3, 132, 0, 17}, 409: {1, 3, 132, 0, 37}, 571: {1, 3, 132, 0, 39}},
}

// CurveOID is the object identifier of the named curve of family f and
// size bits; false when the table has none.
func CurveOID(f EccFamily, bits uint32) (asn1.ObjectIdentifier, bool) {
	oid, ok := namedCurves[f][bits]
	return oid, ok
}

// CurveOfOID is the family and size of the named curve oid.
func CurveOfOID(oid asn1.ObjectIdentifier) (EccFamily, uint32, bool) {
	for f, sizes := range namedCurves {
		for bits, o := range sizes {
			if o.Equal(oid) {
				return f, bits, true
			}
		}
	}
	return 0, 0, false
}
