// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package soft

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"math/big"
	"testing"

	"github.com/parsecd/parsecd/providers/providertest"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
)

func TestConformance(t *testing.T) {
	providertest.Run(t, func(t *testing.T) provider.Provider {
		p, _ := newTestProvider(t)
		return p
	}, alice, bob)
}

func TestNewAndInfo(t *testing.T) {
	if _, err := New("x", provider.Deps{}); err == nil {
		t.Fatal("New without a key store succeeded")
	}
	p, _ := newTestProvider(t)
	if p.Name() != "software-provider" || DefaultName != "software-provider" {
		t.Fatalf("default name %q", p.Name())
	}
	named, err := New("soft-2", provider.Deps{Keys: storage.KeyStore(nil)})
	if err == nil || named != nil {
		t.Fatal("nil store accepted")
	}
	info := p.Info()
	want := provider.Info{
		ID:          parsec.ProviderMbedCrypto,
		UUID:        "1c1139dc-ad7c-47dc-ad6b-db6fdb466552",
		Description: "Software provider built on the Go standard library crypto (answers on the Mbed Crypto provider id)",
		Vendor:      "parsecd",
		Version:     [3]uint32{0, 1, 0},
	}
	if info != want {
		t.Fatalf("Info() = %+v, want %+v", info, want)
	}
	if info.ID != 1 {
		t.Fatalf("provider id %d, want 1", info.ID)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestGenerateKey(t *testing.T) {
	ecdsa256 := signAlg(psa.SignEcdsa, psa.HashSHA256)
	rsaSign := signPolicy(signAlg(psa.SignRsaPkcs1v15, psa.HashSHA256))
	sha1Sign := signPolicy(signAlg(psa.SignRsaPkcs1v15, psa.HashSHA1))
	tests := []struct {
		name  string
		a     psa.KeyAttributes
		allow bool
		want  status.Code
	}{
		{"rsa1024", rsaPair(1024, allSign, rsaSign), false, status.Success},
		{"rsa2048", rsaPair(2048, allSign, rsaSign), false, status.Success},
		{"rsa3072", rsaPair(3072, allSign, rsaSign), false, status.Success},
		{"rsa4096", rsaPair(4096, allSign, rsaSign), false, status.Success},
		{"rsa0", rsaPair(0, allSign, rsaSign), false, status.PsaErrorInvalidArgument},
		{"rsa512", rsaPair(512, allSign, rsaSign), false, status.PsaErrorInvalidArgument},
		{"rsa1536", rsaPair(1536, allSign, rsaSign), false, status.PsaErrorInvalidArgument},
		{"rsa2047", rsaPair(2047, allSign, rsaSign), false, status.PsaErrorInvalidArgument},
		{"p256", eccPair(256, allSign, ecdsa256), false, status.Success},
		{"p384", eccPair(384, allSign, ecdsa256), false, status.Success},
		{"p521", eccPair(521, allSign, ecdsa256), false, status.Success},
		{"p192", eccPair(192, allSign, ecdsa256), false, status.PsaErrorNotSupported},
		{"p224", eccPair(224, allSign, ecdsa256), false, status.PsaErrorNotSupported},
		{"p0", eccPair(0, allSign, ecdsa256), false, status.PsaErrorInvalidArgument},
		{"secpk1", attrs(psa.KeyEccPair, psa.EccSecpK1, 256, allSign, signPolicy(ecdsa256)), false, status.Success},
		{"secpk1-192", attrs(psa.KeyEccPair, psa.EccSecpK1, 192, allSign, signPolicy(ecdsa256)), false, status.PsaErrorNotSupported},
		{"secpk1-512", attrs(psa.KeyEccPair, psa.EccSecpK1, 512, allSign, signPolicy(ecdsa256)), false, status.PsaErrorInvalidArgument},
		{"brainpool", attrs(psa.KeyEccPair, psa.EccBrainpoolPR1, 256, allSign, signPolicy(ecdsa256)), false, status.Success},
		{"brainpool384", attrs(psa.KeyEccPair, psa.EccBrainpoolPR1, 384, allSign, signPolicy(ecdsa256)), false, status.Success},
		{"brainpool512", attrs(psa.KeyEccPair, psa.EccBrainpoolPR1, 512, allSign, signPolicy(ecdsa256)), false, status.Success},
		{"brainpool320", attrs(psa.KeyEccPair, psa.EccBrainpoolPR1, 320, allSign, signPolicy(ecdsa256)), false, status.PsaErrorNotSupported},
		{"brainpool160-deprecated", attrs(psa.KeyEccPair, psa.EccBrainpoolPR1, 160, allSign, signPolicy(ecdsa256)), false, status.DeprecatedPrimitive},
		{"brainpool560", attrs(psa.KeyEccPair, psa.EccBrainpoolPR1, 560, allSign, signPolicy(ecdsa256)), false, status.PsaErrorInvalidArgument},
		{"sectk1", attrs(psa.KeyEccPair, psa.EccSectK1, 409, allSign, signPolicy(ecdsa256)), false, status.PsaErrorNotSupported},
		{"montgomery", attrs(psa.KeyEccPair, psa.EccMontgomery, 255, allSign, psa.Algorithm{Kind: psa.AlgNone}), false, status.Success},
		{"x448", attrs(psa.KeyEccPair, psa.EccMontgomery, 448, allSign, psa.Algorithm{Kind: psa.AlgNone}), false, status.Success},
		{"montgomery-512", attrs(psa.KeyEccPair, psa.EccMontgomery, 512, allSign, psa.Algorithm{Kind: psa.AlgNone}), false, status.PsaErrorInvalidArgument},
		{"montgomery-256", attrs(psa.KeyEccPair, psa.EccMontgomery, 256, allSign, psa.Algorithm{Kind: psa.AlgNone}), false, status.PsaErrorInvalidArgument},
		{"montgomery-public", attrs(psa.KeyEccPublic, psa.EccMontgomery, 255, 0, psa.Algorithm{Kind: psa.AlgNone}), false, status.PsaErrorInvalidArgument},
		{"secpk1-public", attrs(psa.KeyEccPublic, psa.EccSecpK1, 256, 0, psa.Algorithm{Kind: psa.AlgNone}), false, status.PsaErrorInvalidArgument},
		{"rsa-public", attrs(psa.KeyRsaPublic, 0, 2048, psa.UsageVerifyHash, rsaSign), false, status.PsaErrorInvalidArgument},
		{"ecc-public", attrs(psa.KeyEccPublic, psa.EccSecpR1, 256, psa.UsageVerifyHash, signPolicy(ecdsa256)), false, status.PsaErrorInvalidArgument},
		{"aes", attrs(psa.KeyAes, 0, 128, psa.UsageEncrypt, psa.Algorithm{Kind: psa.AlgNone}), false, status.Success},
		{"dh", attrs(psa.KeyDhPair, 0, 2048, 0, psa.Algorithm{Kind: psa.AlgNone}), false, status.PsaErrorNotSupported},
		{"des-deprecated", attrs(psa.KeyDes, 0, 64, psa.UsageEncrypt, psa.Algorithm{Kind: psa.AlgNone}), false, status.DeprecatedPrimitive},
		{"des-allowed", attrs(psa.KeyDes, 0, 64, psa.UsageEncrypt, psa.Algorithm{Kind: psa.AlgNone}), true, status.PsaErrorNotSupported},
		{"rsa-sha1-deprecated", rsaPair(2048, allSign, sha1Sign), false, status.DeprecatedPrimitive},
		{"rsa-sha1-allowed", rsaPair(2048, allSign, sha1Sign), true, status.Success},
		{"secpr2-deprecated", attrs(psa.KeyEccPair, psa.EccSecpR2, 160, allSign, signPolicy(ecdsa256)), false, status.DeprecatedPrimitive},
		{"secpr2-allowed", attrs(psa.KeyEccPair, psa.EccSecpR2, 160, allSign, signPolicy(ecdsa256)), true, status.PsaErrorNotSupported},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, store := newTestProvider(t, func(d *provider.Deps) { d.AllowDeprecated = tc.allow })
			wantCode(t, p.GenerateKey(bg, alice, "k", tc.a), tc.want, "GenerateKey")
			list := must(store.List(bg, p.Name(), storage.Client{Auth: alice.Auth, App: alice.App}))
			if tc.want != status.Success {
				if len(list) != 0 {
					t.Fatalf("a failed generation left %d keys in the store", len(list))
				}
				return
			}
			if len(list) != 1 || list[0].Attributes != tc.a || list[0].Key != "k" {
				t.Fatalf("store holds %+v", list)
			}
			if !tc.a.Type.IsPair() {
				return // symmetric keys: TestGenerateSymmetric
			}
			pub := must(p.ExportPublicKey(bg, alice, "k"))
			switch tc.a.Type.Kind {
			case psa.KeyRsaPair:
				k := must(x509.ParsePKCS1PublicKey(pub))
				if k.N.BitLen() != int(tc.a.Bits) || k.E != 65537 {
					t.Fatalf("RSA key of %d bits with e=%d", k.N.BitLen(), k.E)
				}
			case psa.KeyEccPair:
				c := findCurve(tc.a.Type.EccFamily, tc.a.Bits)
				switch {
				case c.montgomery != nil:
					if len(pub) != byteLen(int(tc.a.Bits)) {
						t.Fatalf("%s public key of %d bytes", c.name, len(pub))
					}
				case decodePoint(c.weierstrass(), pub) == nil:
					t.Fatalf("exported point %x is not on %s", pub, c.name)
				}
			}
		})
	}
}

func TestStorageFormat(t *testing.T) {
	p, store := newTestProvider(t)
	ecdsa256 := signAlg(psa.SignEcdsa, psa.HashSHA256)
	wantCode(t, p.GenerateKey(bg, alice, "pair", eccPair(256, allSign, ecdsa256)), status.Success, "GenerateKey")
	triple := storage.KeyTriple{Auth: alice.Auth, App: alice.App, Provider: p.Name(), Key: "pair"}
	info := must(store.Get(bg, triple))
	if info.ID[0] != formatPKCS8 {
		t.Fatalf("format byte %#x, want %#x", info.ID[0], formatPKCS8)
	}
	priv, ok := must(x509.ParsePKCS8PrivateKey(info.ID[1:])).(*ecdsa.PrivateKey)
	if !ok {
		t.Fatal("stored key is not an ECDSA PKCS#8 key")
	}
	point := must(p.ExportPublicKey(bg, alice, "pair"))
	if !bytes.Equal(must(priv.PublicKey.Bytes()), point) {
		t.Fatal("stored private key does not match the exported public key")
	}

	pubAttrs := attrs(psa.KeyEccPublic, psa.EccSecpR1, 0, psa.UsageVerifyHash, signPolicy(ecdsa256))
	wantCode(t, p.ImportKey(bg, alice, "pub", pubAttrs, point), status.Success, "ImportKey public")
	info = must(store.Get(bg, storage.KeyTriple{Auth: alice.Auth, App: alice.App, Provider: p.Name(), Key: "pub"}))
	if info.ID[0] != formatPKIX {
		t.Fatalf("format byte %#x, want %#x", info.ID[0], formatPKIX)
	}
	if _, ok := must(x509.ParsePKIXPublicKey(info.ID[1:])).(*ecdsa.PublicKey); !ok {
		t.Fatal("stored public key is not PKIX ECDSA")
	}
	if info.Attributes.Bits != 256 {
		t.Fatalf("stored bits %d, want 256 (derived from the data)", info.Attributes.Bits)
	}

	// Parsing wipes the copy of the key material it was given.
	info = must(store.Get(bg, triple))
	id := info.ID
	must(parse(info))
	if !bytes.Equal(id, make([]byte, len(id))) {
		t.Fatal("parse left the private key DER in memory")
	}
}

func TestCorruptStorage(t *testing.T) {
	p, store := newTestProvider(t)
	ecdsa256 := signAlg(psa.SignEcdsa, psa.HashSHA256)
	good := must(encodePrivate(testRSAKey()))
	a := eccPair(256, allSign, ecdsa256)
	tests := []struct {
		name string
		id   []byte
		a    psa.KeyAttributes
		want status.Code
	}{
		{"empty", nil, a, status.PsaErrorDataInvalid},
		{"unknown-format", []byte{9, 1, 2, 3}, a, status.PsaErrorDataInvalid},
		{"garbage-der", []byte{formatPKCS8, 1, 2, 3}, a, status.PsaErrorDataCorrupt},
		{"rsa-for-ecc", good, a, status.PsaErrorDataInvalid},
		{"wrong-bits", good, rsaPair(4096, allSign, signPolicy(signAlg(psa.SignRsaPkcs1v15, psa.HashSHA256))), status.PsaErrorDataInvalid},
		{"private-for-public", good, attrs(psa.KeyRsaPublic, 0, 2048, allSign, signPolicy(signAlg(psa.SignRsaPkcs1v15, psa.HashSHA256))), status.PsaErrorDataInvalid},
	}
	for _, tc := range tests {
		triple := storage.KeyTriple{Auth: alice.Auth, App: alice.App, Provider: p.Name(), Key: tc.name}
		if err := store.Insert(bg, triple, storage.KeyInfo{ID: tc.id, Attributes: tc.a}); err != nil {
			t.Fatal(err)
		}
		_, err := p.ExportPublicKey(bg, alice, tc.name)
		wantCode(t, err, tc.want, tc.name)
	}
}

func TestImportKey(t *testing.T) {
	rsaKey := testRSAKey()
	rsaPub := x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey)
	rsaPriv := x509.MarshalPKCS1PrivateKey(rsaKey)
	pkcs8 := must(x509.MarshalPKCS8PrivateKey(rsaKey))
	small := x509.MarshalPKCS1PublicKey(&rsa.PublicKey{N: new(big.Int).Lsh(big.NewInt(1), 511).Add(new(big.Int).Lsh(big.NewInt(1), 511), big.NewInt(1)), E: 65537})
	odd := x509.MarshalPKCS1PublicKey(&rsa.PublicKey{N: new(big.Int).Lsh(big.NewInt(1), 1535).Add(new(big.Int).Lsh(big.NewInt(1), 1535), big.NewInt(1)), E: 65537})
	ecKey := importECCKey(t, 256)
	point := must(ecKey.PublicKey.Bytes())
	scalar := must(ecKey.Bytes())
	p384 := importECCKey(t, 384)
	p521 := importECCKey(t, 521)
	offCurve := bytes.Clone(point)
	offCurve[64] ^= 1
	order := curveOf(256).Params().N.FillBytes(make([]byte, 32))

	rsaSign := signPolicy(signAlg(psa.SignRsaPkcs1v15, psa.HashSHA256))
	ecSign := signPolicy(signAlg(psa.SignEcdsa, psa.HashSHA256))
	rsaPubA := func(bits uint32) psa.KeyAttributes { return attrs(psa.KeyRsaPublic, 0, bits, allSign, rsaSign) }
	rsaPairA := func(bits uint32) psa.KeyAttributes { return attrs(psa.KeyRsaPair, 0, bits, allSign, rsaSign) }
	ecPubA := func(fam psa.EccFamily, bits uint32) psa.KeyAttributes {
		return attrs(psa.KeyEccPublic, fam, bits, allSign, ecSign)
	}
	ecPairA := func(fam psa.EccFamily, bits uint32) psa.KeyAttributes {
		return attrs(psa.KeyEccPair, fam, bits, allSign, ecSign)
	}
	r1 := psa.EccSecpR1
	tests := []struct {
		name     string
		a        psa.KeyAttributes
		data     []byte
		want     status.Code
		wantBits uint32
	}{
		{"rsa-public-bits0", rsaPubA(0), rsaPub, status.Success, 2048},
		{"rsa-public-bits2048", rsaPubA(2048), rsaPub, status.Success, 2048},
		{"rsa-public-bits-mismatch", rsaPubA(1024), rsaPub, status.PsaErrorInvalidArgument, 0},
		{"rsa-public-512", rsaPubA(0), small, status.PsaErrorInvalidArgument, 0},
		{"rsa-public-1536", rsaPubA(0), odd, status.PsaErrorInvalidArgument, 0},
		{"rsa-public-malformed", rsaPubA(0), rsaPub[:100], status.PsaErrorInvalidArgument, 0},
		{"rsa-public-trailing", rsaPubA(0), append(bytes.Clone(rsaPub), 0), status.PsaErrorInvalidArgument, 0},
		{"rsa-pair", rsaPairA(0), rsaPriv, status.Success, 2048},
		{"rsa-pair-bits-mismatch", rsaPairA(3072), rsaPriv, status.PsaErrorInvalidArgument, 0},
		{"rsa-pair-pkcs8", rsaPairA(0), pkcs8, status.PsaErrorInvalidArgument, 0},
		{"rsa-pair-public-data", rsaPairA(0), rsaPub, status.PsaErrorInvalidArgument, 0},
		{"rsa-pair-empty", rsaPairA(0), nil, status.PsaErrorInvalidArgument, 0},
		{"ecc-public-bits0", ecPubA(r1, 0), point, status.Success, 256},
		{"ecc-public-bits256", ecPubA(r1, 256), point, status.Success, 256},
		{"ecc-public-p384", ecPubA(r1, 0), must(p384.PublicKey.Bytes()), status.Success, 384},
		{"ecc-public-p521", ecPubA(r1, 521), must(p521.PublicKey.Bytes()), status.Success, 521},
		{"ecc-public-bits-mismatch", ecPubA(r1, 384), point, status.PsaErrorInvalidArgument, 0},
		{"ecc-public-off-curve", ecPubA(r1, 0), offCurve, status.PsaErrorInvalidArgument, 0},
		{"ecc-public-compressed", ecPubA(r1, 0), append([]byte{2}, point[1:33]...), status.PsaErrorInvalidArgument, 0},
		{"ecc-public-p224-size", ecPubA(r1, 0), make([]byte, 57), status.PsaErrorNotSupported, 0},
		{"ecc-public-p256-as-secpk1", ecPubA(psa.EccSecpK1, 256), point, status.PsaErrorInvalidArgument, 0},
		{"ecc-public-sectk1", ecPubA(psa.EccSectK1, 0), point, status.PsaErrorNotSupported, 0},
		{"ecc-pair-bits0", ecPairA(r1, 0), scalar, status.Success, 256},
		{"ecc-pair-bits256", ecPairA(r1, 256), scalar, status.Success, 256},
		{"ecc-pair-p521", ecPairA(r1, 0), must(p521.Bytes()), status.Success, 521},
		{"ecc-pair-short", ecPairA(r1, 256), scalar[1:], status.PsaErrorInvalidArgument, 0},
		{"ecc-pair-zero", ecPairA(r1, 256), make([]byte, 32), status.PsaErrorInvalidArgument, 0},
		{"ecc-pair-order", ecPairA(r1, 256), order, status.PsaErrorInvalidArgument, 0},
		{"ecc-pair-odd-size", ecPairA(r1, 0), make([]byte, 33), status.PsaErrorInvalidArgument, 0},
		{"ecc-pair-p192", ecPairA(r1, 192), make([]byte, 24), status.PsaErrorNotSupported, 0},
		{"ecc-pair-sectr1", ecPairA(psa.EccSectR1, 0), scalar, status.PsaErrorNotSupported, 0},
		{"aes", attrs(psa.KeyAes, 0, 128, psa.UsageEncrypt, psa.Algorithm{Kind: psa.AlgNone}), make([]byte, 16), status.Success, 128},
		{"dh", attrs(psa.KeyDhPair, 0, 0, 0, psa.Algorithm{Kind: psa.AlgNone}), make([]byte, 256), status.PsaErrorNotSupported, 0},
		{"deprecated-policy-import-allowed", rsaPubA(0), rsaPub, status.Success, 2048},
	}
	// The last case carries a SHA-1 policy: import of deprecated primitives is allowed.
	tests[len(tests)-1].a.Policy.Alg = signPolicy(signAlg(psa.SignRsaPkcs1v15, psa.HashSHA1))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, store := newTestProvider(t)
			wantCode(t, p.ImportKey(bg, alice, "k", tc.a, tc.data), tc.want, "ImportKey")
			list := must(store.List(bg, p.Name(), storage.Client{Auth: alice.Auth, App: alice.App}))
			if tc.want != status.Success {
				if len(list) != 0 {
					t.Fatal("a failed import left a key in the store")
				}
				return
			}
			if len(list) != 1 || list[0].Attributes.Bits != tc.wantBits {
				t.Fatalf("stored %+v, want %d bits", list, tc.wantBits)
			}
			want := tc.a
			want.Bits = tc.wantBits
			if list[0].Attributes != want {
				t.Fatalf("stored attributes %+v, want %+v", list[0].Attributes, want)
			}
			wantCode(t, p.ImportKey(bg, alice, "k", tc.a, tc.data), status.PsaErrorAlreadyExists, "ImportKey twice")
		})
	}
}

func importECCKey(t *testing.T, bits uint32) *ecdsa.PrivateKey {
	t.Helper()
	return must(ecdsa.GenerateKey(curveOf(bits), randReader))
}

func TestExportPublicKey(t *testing.T) {
	p, _ := newTestProvider(t)
	k := importRSA(t, p, alice, "rsa", 0, signPolicy(signAlg(psa.SignRsaPss, psa.HashSHA256)))
	got := must(p.ExportPublicKey(bg, alice, "rsa"))
	if !bytes.Equal(got, x509.MarshalPKCS1PublicKey(&k.PublicKey)) {
		t.Fatal("RSA public key export differs from DER RSAPublicKey")
	}
	for _, bits := range []uint32{256, 384, 521} {
		e := importECC(t, p, alice, "ecc", bits, 0, signAlg(psa.SignEcdsa, psa.HashSHA256))
		got := must(p.ExportPublicKey(bg, alice, "ecc"))
		if len(got) != 1+2*byteLen(int(bits)) || !bytes.Equal(got, must(e.PublicKey.Bytes())) {
			t.Fatalf("P-%d public key export differs from the uncompressed point", bits)
		}
		wantCode(t, p.DestroyKey(bg, alice, "ecc"), status.Success, "DestroyKey")
	}
	_, err := p.ExportPublicKey(bg, alice, "ecc")
	wantCode(t, err, status.PsaErrorDoesNotExist, "ExportPublicKey destroyed")
}

func TestExportKey(t *testing.T) {
	p, _ := newTestProvider(t)
	ecSign := signAlg(psa.SignEcdsa, psa.HashSHA256)
	exp := allSign | psa.UsageExport

	// RSA pair: DER RSAPrivateKey.
	k := importRSA(t, p, alice, "rsa", exp, signPolicy(signAlg(psa.SignRsaPkcs1v15, psa.HashSHA256)))
	der := must(p.ExportKey(bg, alice, "rsa"))
	back := must(x509.ParsePKCS1PrivateKey(der))
	if !back.Equal(k) {
		t.Fatal("exported RSA key differs from the imported one")
	}

	// ECC pairs: the scalar, padded to ceil(bits/8).
	for _, bits := range []uint32{256, 384, 521} {
		wantCode(t, p.GenerateKey(bg, alice, "ecc", eccPair(bits, exp, ecSign)), status.Success, "GenerateKey")
		scalar := must(p.ExportKey(bg, alice, "ecc"))
		if len(scalar) != byteLen(int(bits)) {
			t.Fatalf("P-%d scalar is %d bytes", bits, len(scalar))
		}
		priv := must(ecdsa.ParseRawPrivateKey(curveOf(bits), scalar))
		if !bytes.Equal(must(priv.PublicKey.Bytes()), must(p.ExportPublicKey(bg, alice, "ecc"))) {
			t.Fatal("exported scalar does not match the public key")
		}
		wantCode(t, p.DestroyKey(bg, alice, "ecc"), status.Success, "DestroyKey")
	}
	// A small scalar keeps its leading zeros.
	smallScalar := make([]byte, 32)
	smallScalar[31] = 7
	wantCode(t, p.ImportKey(bg, alice, "small", eccPair(256, exp, ecSign), smallScalar), status.Success, "ImportKey scalar 7")
	if got := must(p.ExportKey(bg, alice, "small")); !bytes.Equal(got, smallScalar) {
		t.Fatalf("exported %x, want %x", got, smallScalar)
	}

	// Public keys export their public form.
	point := must(p.ExportPublicKey(bg, alice, "small"))
	wantCode(t, p.ImportKey(bg, alice, "pub", attrs(psa.KeyEccPublic, psa.EccSecpR1, 256, psa.UsageExport, signPolicy(ecSign)), point), status.Success, "ImportKey public")
	if got := must(p.ExportKey(bg, alice, "pub")); !bytes.Equal(got, point) {
		t.Fatal("ExportKey of a public key differs from its point")
	}
	wantCode(t, p.ImportKey(bg, alice, "rsapub", attrs(psa.KeyRsaPublic, 0, 0, psa.UsageExport, signPolicy(ecSign)), x509.MarshalPKCS1PublicKey(&k.PublicKey)), status.Success, "ImportKey RSA public")
	if got := must(p.ExportKey(bg, alice, "rsapub")); !bytes.Equal(got, x509.MarshalPKCS1PublicKey(&k.PublicKey)) {
		t.Fatal("ExportKey of an RSA public key differs from DER RSAPublicKey")
	}

	// No export flag.
	importECC(t, p, alice, "noexp", 256, allSign, ecSign)
	_, err := p.ExportKey(bg, alice, "noexp")
	wantCode(t, err, status.PsaErrorNotPermitted, "ExportKey without export flag")
	wantCode(t, p.ImportKey(bg, alice, "pubnoexp", attrs(psa.KeyEccPublic, psa.EccSecpR1, 256, psa.UsageVerifyHash, signPolicy(ecSign)), point), status.Success, "ImportKey public")
	// PSA: a public key can always be exported, whatever its flags.
	if got := must(p.ExportKey(bg, alice, "pubnoexp")); !bytes.Equal(got, point) {
		t.Fatal("ExportKey of a public key without export flag differs from its point")
	}
	_, err = p.ExportKey(bg, alice, "missing")
	wantCode(t, err, status.PsaErrorDoesNotExist, "ExportKey missing")
	_, err = p.ExportKey(bg, bob, "rsa")
	wantCode(t, err, status.PsaErrorDoesNotExist, "ExportKey of another app's key")
}

func TestDestroyKey(t *testing.T) {
	p, store := newTestProvider(t)
	importECC(t, p, alice, "k", 256, allSign, signAlg(psa.SignEcdsa, psa.HashSHA256))
	wantCode(t, p.DestroyKey(bg, bob, "k"), status.PsaErrorDoesNotExist, "DestroyKey other app")
	wantCode(t, p.DestroyKey(bg, alice, "k"), status.Success, "DestroyKey")
	wantCode(t, p.DestroyKey(bg, alice, "k"), status.PsaErrorDoesNotExist, "DestroyKey twice")
	if cs := must(store.Clients(bg)); len(cs) != 0 {
		t.Fatalf("store still lists clients %v", cs)
	}
}

// Keys are namespaced by authenticator, application and provider name.
func TestIsolation(t *testing.T) {
	store := memoryStore()
	p1 := must(New("soft-1", provider.Deps{Keys: store}))
	p2 := must(New("soft-2", provider.Deps{Keys: store}))
	unix := storage.Client{App: alice.App, Auth: parsec.AuthUnixPeerCredentials}
	ecSign := signAlg(psa.SignEcdsa, psa.HashSHA256)
	a := eccPair(256, allSign, ecSign)
	wantCode(t, p1.GenerateKey(bg, alice, "k", a), status.Success, "p1 alice")
	wantCode(t, p1.GenerateKey(bg, unix, "k", a), status.Success, "p1 alice via unix peer credentials")
	wantCode(t, p2.GenerateKey(bg, alice, "k", a), status.Success, "p2 alice")
	wantCode(t, p1.GenerateKey(bg, bob, "k", a), status.Success, "p1 bob")
	seen := map[string]bool{}
	for _, x := range []struct {
		p *Provider
		c storage.Client
	}{{p1, alice}, {p1, unix}, {p2, alice}, {p1, bob}} {
		pub := string(must(x.p.ExportPublicKey(bg, x.c, "k")))
		if seen[pub] {
			t.Fatal("two namespaces share a key")
		}
		seen[pub] = true
	}
	wantCode(t, p2.DestroyKey(bg, alice, "k"), status.Success, "p2 destroy")
	must(p1.ExportPublicKey(bg, alice, "k"))
	_, err := p2.ExportPublicKey(bg, alice, "k")
	wantCode(t, err, status.PsaErrorDoesNotExist, "p2 after destroy")
}
