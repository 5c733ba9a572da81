// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package psa

import (
	"encoding/asn1"
	"testing"
)

func TestNamedCurves(t *testing.T) {
	p256 := asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}
	if oid, ok := CurveOID(EccSecpR1, 256); !ok || !oid.Equal(p256) {
		t.Errorf("P-256: %v %v", oid, ok)
	}
	if _, ok := CurveOID(EccSecpR1, 257); ok {
		t.Error("a 257-bit secp R1 curve was found")
	}
	seen := map[string]bool{}
	for f, sizes := range namedCurves {
		for bits, oid := range sizes {
			if seen[oid.String()] {
				t.Errorf("%v is in the table twice", oid)
			}
			seen[oid.String()] = true
			if gf, gb, ok := CurveOfOID(oid); !ok || gf != f || gb != bits {
				t.Errorf("%v: %v %d %v, want %v %d", oid, gf, gb, ok, f, bits)
			}
		}
	}
	if _, _, ok := CurveOfOID(asn1.ObjectIdentifier{1, 3, 101, 110}); ok {
		t.Error("X25519's OID is not a named Weierstrass curve")
	}
}
