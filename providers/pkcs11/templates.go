// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build cgo && pkcs11

package pkcs11

// The attribute templates of the token objects the provider creates.

import (
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/asn1"
	"math/big"

	"github.com/miekg/pkcs11"

	"github.com/parsecd/parsecd/src/psa"
)

func curveOf(bits uint32) (elliptic.Curve, bool) {
	switch bits {
	case 256:
		return elliptic.P256(), true
	case 384:
		return elliptic.P384(), true
	case 521:
		return elliptic.P521(), true
	}
	return nil, false
}

// ecParams is CKA_EC_PARAMS (the DER of the named curve's OID) of a secp
// R1 curve this provider serves (curveOf); nil for any other size.
func ecParams(bits uint32) []byte {
	if _, ok := curveOf(bits); !ok {
		return nil
	}
	oid, _ := psa.CurveOID(psa.EccSecpR1, bits)
	der, _ := asn1.Marshal(oid)
	return der
}

// usage bits of a policy as PKCS#11 attributes.
func canSign(u psa.UsageFlags) bool   { return u&(psa.UsageSignHash|psa.UsageSignMessage) != 0 }
func canVerify(u psa.UsageFlags) bool { return u&(psa.UsageVerifyHash|psa.UsageVerifyMessage) != 0 }

// publicTemplate is the common part of a public key object.
func publicTemplate(a psa.KeyAttributes, id []byte, label string) []*pkcs11.Attribute {
	u := a.Policy.Usage
	t := []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PUBLIC_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, false),
		pkcs11.NewAttribute(pkcs11.CKA_ID, id),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
		pkcs11.NewAttribute(pkcs11.CKA_VERIFY, canVerify(u)),
	}
	if a.Type.IsRSA() {
		return append(t,
			pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_RSA),
			pkcs11.NewAttribute(pkcs11.CKA_ENCRYPT, u.Has(psa.UsageEncrypt)))
	}
	return append(t,
		pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_EC),
		pkcs11.NewAttribute(pkcs11.CKA_EC_PARAMS, ecParams(a.Bits)))
}

// privateTemplate is the common part of a private key object: sensitive
// and not extractable unless the key has the export flag (which
// checkExport allows only with allow_export).
func privateTemplate(a psa.KeyAttributes, id []byte, label string) []*pkcs11.Attribute {
	u := a.Policy.Usage
	export := u.Has(psa.UsageExport)
	t := []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
		pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, !export),
		pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, export),
		pkcs11.NewAttribute(pkcs11.CKA_ID, id),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
		pkcs11.NewAttribute(pkcs11.CKA_SIGN, canSign(u)),
	}
	if a.Type.IsRSA() {
		return append(t,
			pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_RSA),
			pkcs11.NewAttribute(pkcs11.CKA_DECRYPT, u.Has(psa.UsageDecrypt)))
	}
	return append(t, pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_EC))
}

func rsaPublicAttrs(k *rsa.PublicKey) []*pkcs11.Attribute {
	return []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_MODULUS, k.N.Bytes()),
		pkcs11.NewAttribute(pkcs11.CKA_PUBLIC_EXPONENT, big.NewInt(int64(k.E)).Bytes()),
	}
}

// derOctets encodes a point as the DER OCTET STRING PKCS#11 wants in CKA_EC_POINT.
func derOctets(b []byte) []byte {
	der, _ := asn1.Marshal(b)
	return der
}
