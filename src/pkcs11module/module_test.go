// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package pkcs11module

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/asn1"
	"testing"

	"github.com/parsecd/parsecd/src/psa"
)

func TestDigestInfo(t *testing.T) {
	d := sha256.Sum256([]byte("x"))
	di, err := encodeDigestInfo(crypto.SHA256, d[:])
	if err != nil {
		t.Fatal(err)
	}
	h, got, ok := parseDigestInfo(di)
	if !ok || h != crypto.SHA256 || !bytes.Equal(got, d[:]) {
		t.Fatalf("parseDigestInfo(encode) = %v %x %v", h, got, ok)
	}
	// A digest of the wrong length for its OID, trailing bytes, raw input.
	for name, in := range map[string][]byte{
		"short digest": mustDI(t, crypto.SHA256, d[:31]),
		"trailing":     append(append([]byte{}, di...), 0),
		"raw":          d[:],
	} {
		if _, _, ok := parseDigestInfo(in); ok {
			t.Errorf("%s: parsed as a DigestInfo", name)
		}
	}
}

func mustDI(t *testing.T, h crypto.Hash, d []byte) []byte {
	t.Helper()
	b, err := encodeDigestInfo(h, d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHashOfDigestLen(t *testing.T) {
	for n, want := range map[int]psa.Hash{20: psa.HashSHA1, 28: psa.HashSHA224, 32: psa.HashSHA256, 48: psa.HashSHA384, 64: psa.HashSHA512, 33: psa.HashNone} {
		if got := hashOfDigestLen(n, psa.HashNone); got != want {
			t.Errorf("%d bytes: %v, want %v", n, got, want)
		}
	}
	if got := hashOfDigestLen(32, psa.HashSHA3_256); got != psa.HashSHA3_256 {
		t.Errorf("the policy's 32-byte hash is not preferred: %v", got)
	}
}

func TestUlong(t *testing.T) {
	v, ok := ReadUlong(Ulong(0x1041))
	if !ok || v != 0x1041 {
		t.Fatalf("ReadUlong(Ulong(0x1041)) = %#x %v", v, ok)
	}
	if _, ok := ReadUlong([]byte{1, 2, 3}); ok {
		t.Error("a 3-byte CK_ULONG was read")
	}
}

func TestCurveOfParams(t *testing.T) {
	for _, bits := range []int{256, 384, 521} {
		if got, rv := curveOfParams(ecParams(bits)); rv != CKR_OK || got != bits {
			t.Errorf("P-%d: %d %#x", bits, got, rv)
		}
	}
	// A curve psa knows but the module does not serve.
	p224, _ := asn1.Marshal(asn1.ObjectIdentifier{1, 3, 132, 0, 33})
	if _, rv := curveOfParams(p224); rv != CKR_CURVE_NOT_SUPPORTED {
		t.Errorf("P-224: %#x", rv)
	}
	secp256k1, _ := asn1.Marshal(asn1.ObjectIdentifier{1, 3, 132, 0, 10})
	if _, rv := curveOfParams(secp256k1); rv != CKR_CURVE_NOT_SUPPORTED {
		t.Errorf("secp256k1: %#x", rv)
	}
	if _, rv := curveOfParams([]byte{0x13, 1, 'x'}); rv != CKR_DOMAIN_PARAMS_INVALID {
		t.Errorf("a string: %#x", rv)
	}
}

func mechList(ms ...uint) Attribute {
	var b []byte
	for _, m := range ms {
		b = append(b, Ulong(m)...)
	}
	return Attribute{CKA_ALLOWED_MECHANISMS, b}
}

func TestPolicyFor(t *testing.T) {
	yes, no := []byte{1}, []byte{0}
	any := func(k psa.SignKind) psa.AsymSign { return psa.AsymSign{Kind: k, AnyHash: true} }
	for _, c := range []struct {
		name string
		rsa  bool
		priv []Attribute
		sign *psa.AsymSign
		enc  *psa.AsymEncrypt
		rv   RV
	}{
		{"EC default", false, nil, &psa.AsymSign{Kind: psa.SignEcdsa, AnyHash: true}, nil, CKR_OK},
		{"RSA default", true, nil, ptr(any(psa.SignRsaPkcs1v15)), nil, CKR_OK},
		{"RSA sign+decrypt: sign wins", true, []Attribute{{CKA_SIGN, yes}, {CKA_DECRYPT, yes}}, ptr(any(psa.SignRsaPkcs1v15)), nil, CKR_OK},
		{"RSA decrypt only", true, []Attribute{{CKA_DECRYPT, yes}}, nil, &psa.AsymEncrypt{Kind: psa.EncRsaPkcs1v15}, CKR_OK},
		{"EC no sign", false, []Attribute{{CKA_SIGN, no}}, nil, nil, CKR_TEMPLATE_INCONSISTENT},
		{"ECDSA-SHA256 allowed", false, []Attribute{mechList(CKM_ECDSA_SHA256)}, &psa.AsymSign{Kind: psa.SignEcdsa, Hash: psa.HashSHA256}, nil, CKR_OK},
		{"PSS allowed", true, []Attribute{mechList(0x80000001, CKM_RSA_PKCS_PSS)}, ptr(any(psa.SignRsaPss)), nil, CKR_OK},
		{"OAEP allowed", true, []Attribute{mechList(CKM_RSA_PKCS_OAEP)}, nil, &psa.AsymEncrypt{Kind: psa.EncRsaOaep, Hash: psa.HashSHA256}, CKR_OK},
		{"ECDSA on RSA", true, []Attribute{mechList(CKM_ECDSA)}, nil, nil, CKR_TEMPLATE_INCONSISTENT},
	} {
		pol, rv := policyFor(c.rsa, c.priv)
		switch {
		case rv != c.rv:
			t.Errorf("%s: rv %#x, want %#x", c.name, rv, c.rv)
		case c.sign != nil && (pol.Alg.Kind != psa.AlgAsymSign || pol.Alg.Sign != *c.sign || pol.Usage != signUsage):
			t.Errorf("%s: policy %+v", c.name, pol)
		case c.enc != nil && (pol.Alg.Kind != psa.AlgAsymEncrypt || pol.Alg.Encrypt != *c.enc || pol.Usage != decryptUsage):
			t.Errorf("%s: policy %+v", c.name, pol)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestKeyName(t *testing.T) {
	if n := keyName([]Attribute{{CKA_LABEL, []byte("pub")}}, []Attribute{{CKA_LABEL, []byte("priv")}}); n != "priv" {
		t.Errorf("label: %q", n)
	}
	if n := keyName(nil, []Attribute{{CKA_ID, []byte{0xab, 0x01}}}); n != "pkcs11-ab01" {
		t.Errorf("id: %q", n)
	}
	a, b := keyName(nil, nil), keyName(nil, nil)
	if a == b || len(a) != len("pkcs11-")+16 {
		t.Errorf("random names %q %q", a, b)
	}
}

func TestAttributes(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	ecKey := &key{name: "e", pub: &ec.PublicKey, attrs: psa.KeyAttributes{
		Type: psa.KeyType{Kind: psa.KeyEccPair, EccFamily: psa.EccSecpR1}, Bits: 256, Policy: signPolicy(psa.SignEcdsa)}}
	rsaKey := &key{name: "r", pub: &rk.PublicKey, attrs: psa.KeyAttributes{
		Type: psa.KeyType{Kind: psa.KeyRsaPair}, Bits: 1024, Policy: rsaDecryptPolicy()}}
	priv, pub := object{ecKey, CKO_PRIVATE_KEY}, object{ecKey, CKO_PUBLIC_KEY}

	if _, rv := priv.attribute(CKA_VALUE); rv != CKR_ATTRIBUTE_SENSITIVE {
		t.Errorf("private CKA_VALUE: %#x", rv)
	}
	if _, rv := pub.attribute(CKA_SENSITIVE); rv != CKR_ATTRIBUTE_TYPE_INVALID {
		t.Errorf("public CKA_SENSITIVE: %#x", rv)
	}
	point, _ := priv.attribute(CKA_EC_POINT)
	var raw []byte
	if rest, err := asn1.Unmarshal(point, &raw); err != nil || len(rest) != 0 || len(raw) != 65 || raw[0] != 4 {
		t.Errorf("CKA_EC_POINT %x is not a DER OCTET STRING of an uncompressed point", point)
	}
	for _, c := range []struct {
		o    object
		t    uint
		want []byte
	}{
		{priv, CKA_SIGN, []byte{1}}, {priv, CKA_DECRYPT, []byte{0}}, {priv, CKA_EXTRACTABLE, []byte{0}},
		{priv, CKA_ALWAYS_AUTHENTICATE, []byte{0}}, {pub, CKA_VERIFY, []byte{1}},
		{priv, CKA_KEY_TYPE, Ulong(CKK_EC)}, {priv, CKA_ID, keyID("e")}, {priv, CKA_LABEL, []byte("e")},
		{object{rsaKey, CKO_PRIVATE_KEY}, CKA_DECRYPT, []byte{1}}, {object{rsaKey, CKO_PRIVATE_KEY}, CKA_SIGN, []byte{0}},
		{object{rsaKey, CKO_PUBLIC_KEY}, CKA_PUBLIC_EXPONENT, []byte{1, 0, 1}},
		{object{rsaKey, CKO_PUBLIC_KEY}, CKA_MODULUS_BITS, Ulong(1024)},
	} {
		if got, rv := c.o.attribute(c.t); rv != CKR_OK || !bytes.Equal(got, c.want) {
			t.Errorf("class %d attribute %#x = %x (%#x), want %x", c.o.class, c.t, got, rv, c.want)
		}
	}
	if !priv.matches([]Attribute{{CKA_CLASS, Ulong(CKO_PRIVATE_KEY)}, {CKA_LABEL, []byte("e")}}) ||
		priv.matches([]Attribute{{CKA_CLASS, Ulong(CKO_PUBLIC_KEY)}}) || priv.matches([]Attribute{{0x7fff, nil}}) {
		t.Error("template matching")
	}
	if got := ecKey.allowedMechanisms(); len(got) != 6 || got[0] != CKM_ECDSA {
		t.Errorf("allowed mechanisms of an ECDSA any-hash key: %#x", got)
	}
}
