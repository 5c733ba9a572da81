// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package pkcs11module

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/binary"
	"math/big"
	"strconv"

	"github.com/parsecd/parsecd/src/psa"
)

// key is one parsecd key of a slot's provider, as the module caches it:
// its attributes, its public key and the handles of its objects.
type key struct {
	slot  uint
	name  string
	attrs psa.KeyAttributes
	pub   crypto.PublicKey // *rsa.PublicKey or *ecdsa.PublicKey
	// priv is 0 for a public-only key.
	priv, public uint
}

// object is one PKCS#11 object: the private or the public half of a key.
type object struct {
	k     *key
	class uint
}

// Attribute is a CK_ATTRIBUTE's type and value.
type Attribute struct {
	Type  uint
	Value []byte
}

// ulongSize is sizeof(CK_ULONG) (unsigned long: the pointer size on Linux).
const ulongSize = strconv.IntSize / 8

// Ulong encodes a CK_ULONG attribute value in the host's byte order.
func Ulong(v uint) []byte {
	b := make([]byte, ulongSize)
	if ulongSize == 8 {
		binary.NativeEndian.PutUint64(b, uint64(v))
	} else {
		binary.NativeEndian.PutUint32(b, uint32(v))
	}
	return b
}

// ReadUlong decodes a CK_ULONG attribute value; ok is false for another size.
func ReadUlong(b []byte) (uint, bool) {
	switch {
	case len(b) != ulongSize:
		return 0, false
	case ulongSize == 8:
		return uint(binary.NativeEndian.Uint64(b)), true
	}
	return uint(binary.NativeEndian.Uint32(b)), true
}

func boolAttr(v bool) []byte {
	if v {
		return []byte{1}
	}
	return []byte{0}
}

// keyID is CKA_ID: the first 16 bytes of SHA-256 of the key name, so a
// key has the same ID in every process and after every restart, and the
// private and public objects of a pair share it (OpenSSH and libp11 pair
// them by ID).
func keyID(name string) []byte {
	s := sha256.Sum256([]byte(name))
	return s[:16]
}

// servedCurve says whether the module offers the SECP-R1 curve of this
// size (CKA_EC_PARAMS holds the DER of its namedCurve OID, psa.CurveOID).
func servedCurve(bits int) bool { return bits == 256 || bits == 384 || bits == 521 }

func curveBits(c elliptic.Curve) int { return c.Params().BitSize }

// ecParams is CKA_EC_PARAMS of a curve.
func ecParams(bits int) []byte {
	if !servedCurve(bits) {
		return nil
	}
	oid, _ := psa.CurveOID(psa.EccSecpR1, uint32(bits))
	der, _ := asn1.Marshal(oid)
	return der
}

// curveOfParams reads CKA_EC_PARAMS of a key generation template.
func curveOfParams(der []byte) (int, RV) {
	var oid asn1.ObjectIdentifier
	rest, err := asn1.Unmarshal(der, &oid)
	if err != nil || len(rest) != 0 {
		return 0, CKR_DOMAIN_PARAMS_INVALID
	}
	f, bits, ok := psa.CurveOfOID(oid)
	if !ok || f != psa.EccSecpR1 || !servedCurve(int(bits)) {
		return 0, CKR_CURVE_NOT_SUPPORTED
	}
	return int(bits), CKR_OK
}

// canSign and canDecrypt say what a key's parsecd policy permits.
func (k *key) canSign() bool {
	return k.attrs.Policy.Alg.Kind == psa.AlgAsymSign &&
		k.attrs.Policy.Usage&(psa.UsageSignHash|psa.UsageSignMessage) != 0
}

func (k *key) canDecrypt() bool {
	return k.attrs.Policy.Alg.Kind == psa.AlgAsymEncrypt && k.attrs.Policy.Usage.Has(psa.UsageDecrypt)
}

// sigLen is the length of the key's signatures (PKCS#11 ECDSA is r ‖ s).
func (k *key) sigLen() int {
	switch p := k.pub.(type) {
	case *rsa.PublicKey:
		return p.Size()
	case *ecdsa.PublicKey:
		return 2 * ((curveBits(p.Curve) + 7) / 8)
	}
	return 0
}

// allowedMechanisms are the mechanisms of CKA_ALLOWED_MECHANISMS: those
// the key's one parsecd algorithm serves.
func (k *key) allowedMechanisms() []uint {
	pol := k.attrs.Policy.Alg
	var out []uint
	for _, m := range mechanisms {
		mi := mechTable[m]
		ok := false
		switch mi.fam {
		case famECDSA:
			ok = pol.Kind == psa.AlgAsymSign && pol.Sign.IsECDSA()
		case famPKCS1:
			ok = pol.Kind == psa.AlgAsymSign && (pol.Sign.Kind == psa.SignRsaPkcs1v15 || pol.Sign.Kind == psa.SignRsaPkcs1v15Raw) ||
				(m == CKM_RSA_PKCS && pol.Kind == psa.AlgAsymEncrypt && pol.Encrypt.Kind == psa.EncRsaPkcs1v15)
		case famPSS:
			ok = pol.Kind == psa.AlgAsymSign && pol.Sign.Kind == psa.SignRsaPss
		case famOAEP:
			ok = pol.Kind == psa.AlgAsymEncrypt && pol.Encrypt.Kind == psa.EncRsaOaep
		}
		if ok && mi.hash != 0 && pol.Kind == psa.AlgAsymSign && !pol.Sign.AnyHash && pol.Sign.HasHash() && psaHash(mi.hash) != pol.Sign.Hash {
			ok = false
		}
		if ok {
			out = append(out, m)
		}
	}
	return out
}

// sensitive marks attributes a private key never reveals.
var sensitive = map[uint]bool{
	CKA_VALUE: true, CKA_PRIVATE_EXPONENT: true, CKA_PRIME_1: true, CKA_PRIME_2: true,
	CKA_EXPONENT_1: true, CKA_EXPONENT_2: true, CKA_COEFFICIENT: true,
}

// attribute is the value of one attribute of o, CKR_ATTRIBUTE_SENSITIVE
// for private material, CKR_ATTRIBUTE_TYPE_INVALID for what the object
// does not have.
func (o object) attribute(t uint) ([]byte, RV) {
	k := o.k
	priv := o.class == CKO_PRIVATE_KEY
	if priv && sensitive[t] {
		return nil, CKR_ATTRIBUTE_SENSITIVE
	}
	switch t {
	case CKA_CLASS:
		return Ulong(o.class), CKR_OK
	case CKA_TOKEN:
		return boolAttr(true), CKR_OK
	case CKA_PRIVATE:
		// Objects are visible without C_Login (login is a no-op: parsecd
		// authenticates the calling process itself).
		return boolAttr(false), CKR_OK
	case CKA_LOCAL:
		// parsecd does not say whether a key was generated or imported:
		// false claims nothing.
		return boolAttr(false), CKR_OK
	case CKA_MODIFIABLE, CKA_COPYABLE, CKA_DERIVE, CKA_WRAP, CKA_UNWRAP, CKA_SIGN_RECOVER, CKA_VERIFY_RECOVER:
		return boolAttr(false), CKR_OK
	case CKA_DESTROYABLE:
		return boolAttr(true), CKR_OK
	case CKA_LABEL:
		return []byte(k.name), CKR_OK
	case CKA_ID:
		return keyID(k.name), CKR_OK
	case CKA_SUBJECT, CKA_START_DATE, CKA_END_DATE:
		return []byte{}, CKR_OK
	case CKA_KEY_TYPE:
		if _, ok := k.pub.(*rsa.PublicKey); ok {
			return Ulong(CKK_RSA), CKR_OK
		}
		return Ulong(CKK_EC), CKR_OK
	case CKA_ALLOWED_MECHANISMS:
		var b []byte
		for _, m := range k.allowedMechanisms() {
			b = append(b, Ulong(m)...)
		}
		return b, CKR_OK
	case CKA_PUBLIC_KEY_INFO:
		der, err := x509.MarshalPKIXPublicKey(k.pub)
		if err != nil {
			return nil, CKR_GENERAL_ERROR
		}
		return der, CKR_OK
	}
	if v, rv, ok := o.publicPart(t); ok {
		return v, rv
	}
	if priv {
		switch t {
		case CKA_SENSITIVE, CKA_ALWAYS_SENSITIVE:
			return boolAttr(true), CKR_OK
		case CKA_EXTRACTABLE:
			return boolAttr(k.attrs.Policy.Usage.Has(psa.UsageExport)), CKR_OK
		case CKA_NEVER_EXTRACTABLE:
			return boolAttr(!k.attrs.Policy.Usage.Has(psa.UsageExport)), CKR_OK
		case CKA_SIGN:
			return boolAttr(k.canSign()), CKR_OK
		case CKA_DECRYPT:
			return boolAttr(k.canDecrypt()), CKR_OK
		case CKA_ALWAYS_AUTHENTICATE, CKA_WRAP_WITH_TRUSTED:
			return boolAttr(false), CKR_OK
		}
		return nil, CKR_ATTRIBUTE_TYPE_INVALID
	}
	switch t {
	case CKA_VERIFY:
		// Verification runs in the module on the public key, whatever
		// the private key's policy: any signing key can be checked.
		return boolAttr(k.attrs.Policy.Alg.Kind == psa.AlgAsymSign), CKR_OK
	case CKA_ENCRYPT:
		return boolAttr(false), CKR_OK
	}
	return nil, CKR_ATTRIBUTE_TYPE_INVALID
}

// publicPart serves the public key's attributes on both objects (libp11
// and OpenSSH read them from the private key when no public object is
// found).
func (o object) publicPart(t uint) ([]byte, RV, bool) {
	switch p := o.k.pub.(type) {
	case *rsa.PublicKey:
		switch t {
		case CKA_MODULUS:
			return p.N.Bytes(), CKR_OK, true
		case CKA_MODULUS_BITS:
			return Ulong(uint(p.N.BitLen())), CKR_OK, true
		case CKA_PUBLIC_EXPONENT:
			return big.NewInt(int64(p.E)).Bytes(), CKR_OK, true
		}
	case *ecdsa.PublicKey:
		switch t {
		case CKA_EC_PARAMS:
			return ecParams(curveBits(p.Curve)), CKR_OK, true
		case CKA_EC_POINT:
			// The uncompressed point, wrapped in a DER OCTET STRING as
			// v2.40 and its consumers (OpenSSH, libp11, OpenSC) expect.
			raw, err := p.Bytes()
			if err != nil {
				return nil, CKR_GENERAL_ERROR, true
			}
			der, _ := asn1.Marshal(raw)
			return der, CKR_OK, true
		}
	}
	return nil, 0, false
}

// matches reports whether o has every attribute of the template.
func (o object) matches(template []Attribute) bool {
	for _, a := range template {
		v, rv := o.attribute(a.Type)
		if rv != CKR_OK || !bytes.Equal(v, a.Value) {
			return false
		}
	}
	return true
}
