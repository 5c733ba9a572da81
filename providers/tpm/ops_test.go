// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package tpm

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"testing"

	"github.com/parsecd/parsecd/providers/providertest"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

var goKeys = providertest.GoKeys

func digestFor(h psa.Hash, msg string) []byte {
	switch h {
	case psa.HashSHA384:
		d := sha512.Sum384([]byte(msg))
		return d[:]
	case psa.HashSHA512:
		d := sha512.Sum512([]byte(msg))
		return d[:]
	}
	d := sha256.Sum256([]byte(msg))
	return d[:]
}

// goVerify checks a provider signature with the standard library.
func goVerify(t *testing.T, pub crypto.PublicKey, alg psa.AsymSign, h, sig []byte) {
	t.Helper()
	ch := map[psa.Hash]crypto.Hash{psa.HashSHA256: crypto.SHA256, psa.HashSHA384: crypto.SHA384, psa.HashSHA512: crypto.SHA512}[alg.Hash]
	var err error
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if alg.Kind == psa.SignRsaPss {
			err = rsa.VerifyPSS(k, ch, h, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		} else {
			err = rsa.VerifyPKCS1v15(k, ch, h, sig)
		}
	case *ecdsa.PublicKey:
		n := (k.Curve.Params().BitSize + 7) / 8
		if len(sig) != 2*n || !ecdsa.Verify(k, h, new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:])) {
			err = errors.New("crypto/ecdsa rejects it")
		}
	}
	if err != nil {
		t.Fatalf("%v: the standard library does not verify the TPM's signature: %v", alg, err)
	}
}

func exported(t *testing.T, p *Provider, name string) crypto.PublicKey {
	t.Helper()
	data, err := p.ExportPublicKey(context.Background(), appA, name)
	wantCode(t, err, status.Success, "ExportPublicKey "+name)
	if data[0] == 0x04 {
		c := map[int]elliptic.Curve{65: elliptic.P256(), 97: elliptic.P384(), 133: elliptic.P521()}[len(data)]
		k, err := ecdsa.ParseUncompressedPublicKey(c, data)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	k, err := x509.ParsePKCS1PublicKey(data)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSignSchemes(t *testing.T) {
	p := newTestProvider(t, "", nil)
	ctx := context.Background()
	cases := []struct {
		kind psa.KeyKind
		bits uint32
		alg  psa.AsymSign
	}{
		{psa.KeyRsaPair, 2048, signAlg(psa.SignRsaPkcs1v15, psa.HashSHA256)},
		{psa.KeyRsaPair, 2048, signAlg(psa.SignRsaPkcs1v15, psa.HashSHA384)},
		{psa.KeyRsaPair, 2048, signAlg(psa.SignRsaPss, psa.HashSHA256)},
		{psa.KeyRsaPair, 2048, signAlg(psa.SignRsaPss, psa.HashSHA384)},
		{psa.KeyEccPair, 256, signAlg(psa.SignEcdsa, psa.HashSHA256)},
		{psa.KeyEccPair, 384, signAlg(psa.SignEcdsa, psa.HashSHA384)},
		{psa.KeyEccPair, 256, signAlg(psa.SignEcdsa, psa.HashSHA384)},
		{psa.KeyEccPair, 521, signAlg(psa.SignEcdsa, psa.HashSHA512)},
		{psa.KeyRsaPair, 3072, signAlg(psa.SignRsaPss, psa.HashSHA512)},
	}
	for _, tc := range cases {
		name := fmt.Sprint(tc.bits, tc.alg)
		wantCode(t, p.GenerateKey(ctx, appA, name, signAttrs(tc.kind, tc.bits, allUsage, tc.alg)), status.Success, "GenerateKey "+name)
		h := digestFor(tc.alg.Hash, "message")
		sig, err := p.SignHash(ctx, appA, name, tc.alg, h)
		wantCode(t, err, status.Success, "SignHash "+name)
		goVerify(t, exported(t, p, name), tc.alg, h, sig)
		wantCode(t, p.VerifyHash(ctx, appA, name, tc.alg, h, sig), status.Success, "VerifyHash "+name)
		sig[len(sig)-1] ^= 1
		wantCode(t, p.VerifyHash(ctx, appA, name, tc.alg, h, sig), status.PsaErrorInvalidSignature, "VerifyHash tampered "+name)
	}
	// EcdsaAny takes the hash from the digest's size; a policy with any hash signs each.
	anyAlg := psa.AsymSign{Kind: psa.SignEcdsaAny}
	wantCode(t, p.GenerateKey(ctx, appA, "any", signAttrs(psa.KeyEccPair, 256, allUsage, anyAlg)), status.Success, "GenerateKey EcdsaAny")
	for _, h := range []psa.Hash{psa.HashSHA256, psa.HashSHA384} {
		d := digestFor(h, "m")
		sig, err := p.SignHash(ctx, appA, "any", anyAlg, d)
		wantCode(t, err, status.Success, "SignHash EcdsaAny")
		goVerify(t, exported(t, p, "any"), signAlg(psa.SignEcdsa, h), d, sig)
	}
	wild := psa.AsymSign{Kind: psa.SignRsaPkcs1v15, AnyHash: true}
	wantCode(t, p.GenerateKey(ctx, appA, "wild", signAttrs(psa.KeyRsaPair, 2048, allUsage, wild)), status.Success, "GenerateKey any-hash policy")
	alg := signAlg(psa.SignRsaPkcs1v15, psa.HashSHA512)
	sig, err := p.SignHash(ctx, appA, "wild", alg, digestFor(psa.HashSHA512, "m"))
	wantCode(t, err, status.Success, "SignHash SHA-512 under an any-hash policy")
	goVerify(t, exported(t, p, "wild"), alg, digestFor(psa.HashSHA512, "m"), sig)
}

func TestSignErrors(t *testing.T) {
	p := newTestProvider(t, "", nil)
	ctx := context.Background()
	ecdsa256 := signAlg(psa.SignEcdsa, psa.HashSHA256)
	raw := psa.AsymSign{Kind: psa.SignRsaPkcs1v15Raw}
	wantCode(t, p.GenerateKey(ctx, appA, "raw", signAttrs(psa.KeyRsaPair, 2048, allUsage, raw)), status.Success, "GenerateKey raw PKCS#1 policy")
	_, err := p.SignHash(ctx, appA, "raw", raw, make([]byte, 32))
	wantCode(t, err, status.PsaErrorNotSupported, "SignHash raw PKCS#1 v1.5")
	det := signAlg(psa.SignDetEcdsa, psa.HashSHA256)
	wantCode(t, p.GenerateKey(ctx, appA, "det", signAttrs(psa.KeyEccPair, 256, allUsage, det)), status.Success, "GenerateKey deterministic ECDSA policy")
	_, err = p.SignHash(ctx, appA, "det", det, make([]byte, 32))
	wantCode(t, err, status.PsaErrorNotSupported, "SignHash deterministic ECDSA")
	anyAlg := psa.AsymSign{Kind: psa.SignEcdsaAny}
	wantCode(t, p.GenerateKey(ctx, appA, "any", signAttrs(psa.KeyEccPair, 256, allUsage, anyAlg)), status.Success, "GenerateKey")
	_, err = p.SignHash(ctx, appA, "any", anyAlg, make([]byte, 17))
	wantCode(t, err, status.PsaErrorNotSupported, "SignHash EcdsaAny with a digest no hash has")
	wantCode(t, p.GenerateKey(ctx, appA, "ec", signAttrs(psa.KeyEccPair, 256, psa.UsageSignHash, ecdsa256)), status.Success, "GenerateKey")
	wantCode(t, p.VerifyHash(ctx, appA, "ec", ecdsa256, make([]byte, 32), make([]byte, 64)), status.PsaErrorNotPermitted, "VerifyHash without the verify flag")
	_, err = p.SignHash(ctx, appA, "ec", ecdsa256, make([]byte, 48))
	wantCode(t, err, status.PsaErrorInvalidArgument, "SignHash with a 48-byte digest for SHA-256")
	// A public key cannot sign.
	_, ec := goKeys(t)
	point, _ := ec[256].PublicKey.Bytes()
	wantCode(t, p.ImportKey(ctx, appA, "pub", signAttrs(psa.KeyEccPublic, 256, allUsage, ecdsa256), point), status.Success, "ImportKey public")
	_, err = p.SignHash(ctx, appA, "pub", ecdsa256, make([]byte, 32))
	wantCode(t, err, status.PsaErrorInvalidArgument, "SignHash with a public key")
}

func TestGenerateErrors(t *testing.T) {
	p := newTestProvider(t, "", nil)
	ctx := context.Background()
	alg := signAlg(psa.SignRsaPkcs1v15, psa.HashSHA256)
	wantCode(t, p.GenerateKey(ctx, appA, "k", signAttrs(psa.KeyRsaPair, 1024, allUsage, alg)), status.PsaErrorNotSupported, "RSA 1024")
	wantCode(t, p.GenerateKey(ctx, appA, "k", signAttrs(psa.KeyRsaPair, 0, allUsage, alg)), status.PsaErrorInvalidArgument, "RSA without a size")
	wantCode(t, p.GenerateKey(ctx, appA, "k", signAttrs(psa.KeyRsaPublic, 2048, allUsage, alg)), status.PsaErrorInvalidArgument, "a public key")
	wantCode(t, p.GenerateKey(ctx, appA, "k", signAttrs(psa.KeyEccPair, 224, allUsage, alg)), status.PsaErrorNotSupported, "secp224r1")
	aes := psa.KeyAttributes{Type: psa.KeyType{Kind: psa.KeyAes}, Bits: 128, Policy: psa.KeyPolicy{Usage: psa.UsageEncrypt}}
	wantCode(t, p.GenerateKey(ctx, appA, "k", aes), status.PsaErrorNotSupported, "AES")
	sha1 := signAttrs(psa.KeyEccPair, 256, allUsage, signAlg(psa.SignEcdsa, psa.HashSHA1))
	wantCode(t, p.GenerateKey(ctx, appA, "k", sha1), status.DeprecatedPrimitive, "SHA-1 policy")
	if _, err := p.ExportPublicKey(ctx, appA, "k"); !errors.Is(err, status.PsaErrorDoesNotExist) {
		t.Fatalf("a refused key was stored: %v", err)
	}
}

func TestImportPrivate(t *testing.T) {
	p := newTestProvider(t, "", nil)
	ctx := context.Background()
	rk, ec := goKeys(t)
	pss := signAlg(psa.SignRsaPss, psa.HashSHA256)
	a := signAttrs(psa.KeyRsaPair, 0, allUsage, pss)
	wantCode(t, p.ImportKey(ctx, appA, "rsa", a, x509.MarshalPKCS1PrivateKey(rk)), status.Success, "ImportKey RSA pair")
	if got := exported(t, p, "rsa").(*rsa.PublicKey); !got.Equal(&rk.PublicKey) {
		t.Fatal("the imported RSA key exports another public key")
	}
	h := digestFor(psa.HashSHA256, "imported")
	sig, err := p.SignHash(ctx, appA, "rsa", pss, h)
	wantCode(t, err, status.Success, "SignHash imported RSA")
	goVerify(t, &rk.PublicKey, pss, h, sig)
	for _, bits := range []uint32{256, 384} {
		alg := signAlg(psa.SignEcdsa, map[uint32]psa.Hash{256: psa.HashSHA256, 384: psa.HashSHA384}[bits])
		scalar, _ := ec[bits].Bytes()
		name := alg.String()
		wantCode(t, p.ImportKey(ctx, appA, name, signAttrs(psa.KeyEccPair, bits, allUsage, alg), scalar), status.Success, "ImportKey ECC pair")
		h := digestFor(alg.Hash, "imported")
		sig, err := p.SignHash(ctx, appA, name, alg, h)
		wantCode(t, err, status.Success, "SignHash imported ECC")
		goVerify(t, &ec[bits].PublicKey, alg, h, sig)
	}
	// Decryption with an imported key, of a ciphertext made by Go.
	wantCode(t, p.ImportKey(ctx, appA, "rsa-crypt", cryptAttrs(psa.KeyRsaPair, 2048, allUsage, pkcs1Crypt), x509.MarshalPKCS1PrivateKey(rk)), status.Success, "ImportKey")
	ct, err := p.AsymmetricEncrypt(ctx, appA, "rsa-crypt", pkcs1Crypt, []byte("to go"), nil)
	wantCode(t, err, status.Success, "AsymmetricEncrypt")
	//lint:ignore SA1019 checking PKCS#1 v1.5 encryption is the point
	if pt, err := rsa.DecryptPKCS1v15(nil, rk, ct); err != nil || string(pt) != "to go" {
		t.Fatalf("crypto/rsa decrypts the provider's ciphertext to %q, %v", pt, err)
	}

	bad := []struct {
		what string
		a    psa.KeyAttributes
		data []byte
		want status.Code
	}{
		{"garbage RSA", a, []byte{1, 2, 3}, status.PsaErrorInvalidArgument},
		{"wrong size", signAttrs(psa.KeyRsaPair, 3072, allUsage, pss), x509.MarshalPKCS1PrivateKey(rk), status.PsaErrorInvalidArgument},
		{"ECC scalar of no curve", signAttrs(psa.KeyEccPair, 0, allUsage, pss), make([]byte, 20), status.PsaErrorNotSupported},
		{"ECC zero scalar", signAttrs(psa.KeyEccPair, 256, allUsage, pss), make([]byte, 32), status.PsaErrorInvalidArgument},
		{"point off the curve", signAttrs(psa.KeyEccPublic, 256, allUsage, pss), append([]byte{4}, make([]byte, 64)...), status.PsaErrorInvalidArgument},
	}
	for _, b := range bad {
		wantCode(t, p.ImportKey(ctx, appA, "bad", b.a, b.data), b.want, "ImportKey "+b.what)
	}
}

func TestImportPublic(t *testing.T) {
	p := newTestProvider(t, "", nil)
	ctx := context.Background()
	rk, _ := goKeys(t)
	alg := signAlg(psa.SignRsaPkcs1v15, psa.HashSHA256)
	der := x509.MarshalPKCS1PublicKey(&rk.PublicKey)
	wantCode(t, p.ImportKey(ctx, appA, "pub", signAttrs(psa.KeyRsaPublic, 2048, psa.UsageVerifyHash, alg), der), status.Success, "ImportKey RSA public")
	got, err := p.ExportPublicKey(ctx, appA, "pub")
	wantCode(t, err, status.Success, "ExportPublicKey")
	if !bytes.Equal(got, der) {
		t.Fatal("export differs from import")
	}
	h := digestFor(psa.HashSHA256, "m")
	sig, _ := rsa.SignPKCS1v15(nil, rk, crypto.SHA256, h)
	wantCode(t, p.VerifyHash(ctx, appA, "pub", alg, h, sig), status.Success, "VerifyHash Go signature")
	sig[0] ^= 1
	wantCode(t, p.VerifyHash(ctx, appA, "pub", alg, h, sig), status.PsaErrorInvalidSignature, "VerifyHash tampered")
}

func TestDecrypt(t *testing.T) {
	p := newTestProvider(t, "", nil)
	ctx := context.Background()
	msg := []byte("attack at dawn")
	for _, tc := range []struct {
		alg   psa.AsymEncrypt
		label []byte
	}{
		{pkcs1Crypt, nil},
		{oaep(psa.HashSHA256), nil},
		{oaep(psa.HashSHA256), []byte("label")},     // no final NUL: raw RSA in the TPM, OAEP decoding in Go
		{oaep(psa.HashSHA256), []byte("label\x00")}, // final NUL: OAEP in the TPM
		{oaep(psa.HashSHA384), []byte("other")},
		{oaep(psa.HashSHA1), nil},
	} {
		name := tc.alg.String() + string(tc.label)
		a := cryptAttrs(psa.KeyRsaPair, 2048, psa.UsageEncrypt|psa.UsageDecrypt, tc.alg)
		p.allowDeprecated = true // SHA-1 OAEP
		wantCode(t, p.GenerateKey(ctx, appA, name, a), status.Success, "GenerateKey "+name)
		pub := exported(t, p, name).(*rsa.PublicKey)
		var ct []byte
		var err error
		if tc.alg.Kind == psa.EncRsaOaep {
			h := map[psa.Hash]crypto.Hash{psa.HashSHA1: crypto.SHA1, psa.HashSHA256: crypto.SHA256, psa.HashSHA384: crypto.SHA384}[tc.alg.Hash]
			ct, err = rsa.EncryptOAEP(h.New(), rand.Reader, pub, msg, tc.label)
		} else {
			//lint:ignore SA1019 PKCS#1 v1.5 encryption is part of the PSA contract
			ct, err = rsa.EncryptPKCS1v15(rand.Reader, pub, msg)
		}
		if err != nil {
			t.Fatal(err)
		}
		pt, err := p.AsymmetricDecrypt(ctx, appA, name, tc.alg, ct, tc.label)
		wantCode(t, err, status.Success, "AsymmetricDecrypt of a Go ciphertext "+name)
		if !bytes.Equal(pt, msg) {
			t.Fatalf("%s: decrypted %q", name, pt)
		}
		ct, err = p.AsymmetricEncrypt(ctx, appA, name, tc.alg, msg, tc.label)
		wantCode(t, err, status.Success, "AsymmetricEncrypt "+name)
		pt, err = p.AsymmetricDecrypt(ctx, appA, name, tc.alg, ct, tc.label)
		wantCode(t, err, status.Success, "round trip "+name)
		if !bytes.Equal(pt, msg) {
			t.Fatalf("%s: round trip gave %q", name, pt)
		}
		ct[10] ^= 1
		_, err = p.AsymmetricDecrypt(ctx, appA, name, tc.alg, ct, tc.label)
		wantCode(t, err, status.PsaErrorInvalidPadding, "corrupted ciphertext "+name)
		if tc.alg.Kind == psa.EncRsaOaep {
			ct[10] ^= 1
			_, err = p.AsymmetricDecrypt(ctx, appA, name, tc.alg, ct, append(tc.label, 'x'))
			wantCode(t, err, status.PsaErrorInvalidPadding, "wrong label "+name)
		} else {
			_, err = p.AsymmetricDecrypt(ctx, appA, name, tc.alg, ct, []byte("salt"))
			wantCode(t, err, status.PsaErrorInvalidArgument, "PKCS#1 v1.5 with a salt")
		}
		_, err = p.AsymmetricDecrypt(ctx, appA, name, tc.alg, ct[1:], tc.label)
		wantCode(t, err, status.PsaErrorInvalidArgument, "short ciphertext "+name)
	}
	wantCode(t, p.GenerateKey(ctx, appA, "enc-only", cryptAttrs(psa.KeyRsaPair, 2048, psa.UsageEncrypt, pkcs1Crypt)), status.Success, "GenerateKey")
	_, err := p.AsymmetricDecrypt(ctx, appA, "enc-only", pkcs1Crypt, make([]byte, 256), nil)
	wantCode(t, err, status.PsaErrorNotPermitted, "decrypt without the decrypt flag")
	_, err = p.AsymmetricEncrypt(ctx, appA, "enc-only", oaep(psa.HashSHA256), msg, nil)
	wantCode(t, err, status.PsaErrorNotPermitted, "encrypt with another algorithm")
	_, err = p.AsymmetricEncrypt(ctx, appA, "enc-only", pkcs1Crypt, make([]byte, 300), nil)
	wantCode(t, err, status.PsaErrorInvalidArgument, "plaintext too long")
}

func TestGenerateRandom(t *testing.T) {
	p := newTestProvider(t, "", nil)
	ctx := context.Background()
	seen := map[string]bool{}
	for _, n := range []uint64{0, 1, 31, 32, 33, 64, 65, 1000, 4096} {
		b, err := p.GenerateRandom(ctx, n)
		wantCode(t, err, status.Success, "GenerateRandom")
		if uint64(len(b)) != n {
			t.Fatalf("GenerateRandom(%d) returned %d bytes", n, len(b))
		}
		if n >= 16 {
			if seen[string(b[:16])] || bytes.Equal(b[n-16:], make([]byte, 16)) {
				t.Fatalf("GenerateRandom(%d) repeats or ends in zeros: %x", n, b)
			}
			seen[string(b[:16])] = true
		}
	}
	p.bufferSizeLimit = 100
	_, err := p.GenerateRandom(ctx, 101)
	wantCode(t, err, status.PsaErrorInvalidArgument, "GenerateRandom above the buffer size limit")
}
