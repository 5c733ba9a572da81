// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build cgo && pkcs11

package pkcs11

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	_ "crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	_ "crypto/sha3"
	"crypto/x509"
	"fmt"
	"testing"

	"github.com/miekg/pkcs11"

	"github.com/parsecd/parsecd/providers/providertest"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage/memory"
)

// twin builds two providers on one store and one token: the second runs
// public-key operations in software. Each checks the other.
func twin(t *testing.T, allowDeprecated bool) (onToken, inGo *Provider) {
	t.Helper()
	store := memory.New()
	onToken = newTestProvider(t, testOptions(), store)
	o := testOptions()
	o.SoftwarePublicOperations = true
	inGo = newTestProvider(t, o, store)
	onToken.allowDeprecated, inGo.allowDeprecated = allowDeprecated, allowDeprecated
	return onToken, inGo
}

func TestInfo(t *testing.T) {
	p := newTestProvider(t, testOptions(), nil)
	want := provider.Info{ID: parsec.ProviderPkcs11, UUID: UUID, Description: "PKCS #11 provider (parsecd, miekg/pkcs11)",
		Vendor: "OASIS Standard.", Version: [3]uint32{0, 1, 0}}
	if got := p.Info(); got != want {
		t.Errorf("Info() = %+v, want %+v", got, want)
	}
	if p.Name() != "pkcs11-test" {
		t.Errorf("Name() = %q", p.Name())
	}
	o := testOptions()
	o.Name = ""
	if q := newTestProvider(t, o, nil); q.Name() != DefaultName {
		t.Errorf("default name %q, want %q", q.Name(), DefaultName)
	}
}

// TestGenerateEverySize generates each supported key on the token and
// checks a signature in Go.
func TestGenerateEverySize(t *testing.T) {
	ctx := context.Background()
	p := newTestProvider(t, testOptions(), nil)
	tests := []struct {
		kind psa.KeyKind
		bits uint32
		alg  psa.AsymSign
	}{
		{psa.KeyRsaPair, 2048, signAlg(psa.SignRsaPkcs1v15, psa.HashSHA256)},
		{psa.KeyRsaPair, 3072, signAlg(psa.SignRsaPss, psa.HashSHA384)},
		{psa.KeyRsaPair, 4096, signAlg(psa.SignRsaPkcs1v15, psa.HashSHA512)},
		{psa.KeyEccPair, 256, signAlg(psa.SignEcdsa, psa.HashSHA256)},
		{psa.KeyEccPair, 384, signAlg(psa.SignEcdsa, psa.HashSHA384)},
		{psa.KeyEccPair, 521, signAlg(psa.SignEcdsa, psa.HashSHA512)},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%v-%d", tc.kind, tc.bits), func(t *testing.T) {
			name := fmt.Sprintf("gen-%v-%d", tc.kind, tc.bits)
			wantCode(t, p.GenerateKey(ctx, appA, name, signAttrs(tc.kind, tc.bits, allUsage, tc.alg)), status.Success, "GenerateKey")
			pubBytes, err := p.ExportPublicKey(ctx, appA, name)
			wantCode(t, err, status.Success, "ExportPublicKey")
			h := digestOf(t, tc.alg.Hash, "generated on the token")
			sig, err := p.SignHash(ctx, appA, name, tc.alg, h)
			wantCode(t, err, status.Success, "SignHash")
			if tc.kind == psa.KeyRsaPair {
				pub, err := x509.ParsePKCS1PublicKey(pubBytes)
				if err != nil || pub.N.BitLen() != int(tc.bits) || pub.E != 65537 {
					t.Fatalf("exported RSA key: %v (%d bits)", err, pub.N.BitLen())
				}
				if err := verifyGo(pub, tc.alg, h, sig); err != nil {
					t.Fatalf("Go does not verify the token's signature: %v", err)
				}
			} else {
				curve, _ := curveOf(tc.bits)
				pub, err := ecdsa.ParseUncompressedPublicKey(curve, pubBytes)
				if err != nil {
					t.Fatalf("exported point: %v", err)
				}
				r, s := providertest.RawToRS(t, sig, byteLen(tc.bits))
				if !ecdsa.Verify(pub, h, r, s) {
					t.Fatal("crypto/ecdsa does not verify the token's signature")
				}
			}
			// The objects: a private and a public key with the name as label.
			h2 := rawSession(t, p)
			k, err := p.load(ctx, appA, name)
			if err != nil {
				t.Fatal(err)
			}
			for _, class := range []uint{pkcs11.CKO_PRIVATE_KEY, pkcs11.CKO_PUBLIC_KEY} {
				objs := objectsWith(t, p, h2, pkcs11.NewAttribute(pkcs11.CKA_CLASS, class), pkcs11.NewAttribute(pkcs11.CKA_ID, k.id), pkcs11.NewAttribute(pkcs11.CKA_LABEL, name))
				if len(objs) != 1 {
					t.Fatalf("%d objects of class %d with the key's CKA_ID and label, want 1", len(objs), class)
				}
			}
		})
	}
}

// TestSignAlgorithms signs with every supported algorithm on the token and
// checks the signature in Go, and the other way round, with verification
// on the token and in Go.
func TestSignAlgorithms(t *testing.T) {
	ctx := context.Background()
	onToken, inGo := twin(t, true)
	goRSA, goEC := goKeys(t)
	rsaDER := x509.MarshalPKCS1PrivateKey(goRSA)
	for _, kind := range []psa.SignKind{psa.SignRsaPkcs1v15, psa.SignRsaPss, psa.SignRsaPkcs1v15Raw} {
		alg := anyHash(kind)
		if kind == psa.SignRsaPkcs1v15Raw {
			alg = psa.AsymSign{Kind: kind}
		}
		wantCode(t, onToken.ImportKey(ctx, appA, fmt.Sprint("rsa-", kind), signAttrs(psa.KeyRsaPair, 0, allUsage, alg), rsaDER), status.Success, "ImportKey RSA")
	}
	for bits, k := range goEC {
		scalar, err := k.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		wantCode(t, onToken.ImportKey(ctx, appA, fmt.Sprint("ec-", bits), signAttrs(psa.KeyEccPair, bits, allUsage, anyHash(psa.SignEcdsa)), scalar), status.Success, "ImportKey ECC")
		wantCode(t, onToken.ImportKey(ctx, appA, fmt.Sprint("ec-any-", bits), signAttrs(psa.KeyEccPair, bits, allUsage, psa.AsymSign{Kind: psa.SignEcdsaAny}), scalar), status.Success, "ImportKey ECC")
	}

	rsaHashes := []psa.Hash{psa.HashMD5, psa.HashSHA1, psa.HashSHA224, psa.HashSHA256, psa.HashSHA384, psa.HashSHA512,
		psa.HashSHA512224, psa.HashSHA512256, psa.HashSHA3_224, psa.HashSHA3_256, psa.HashSHA3_384, psa.HashSHA3_512}
	type tc struct {
		key string
		alg psa.AsymSign
	}
	var cases []tc
	for _, h := range rsaHashes {
		cases = append(cases, tc{"rsa-1", signAlg(psa.SignRsaPkcs1v15, h)})
	}
	for _, h := range []psa.Hash{psa.HashSHA1, psa.HashSHA224, psa.HashSHA256, psa.HashSHA384, psa.HashSHA512} {
		cases = append(cases, tc{"rsa-3", signAlg(psa.SignRsaPss, h)})
	}
	cases = append(cases, tc{"rsa-2", psa.AsymSign{Kind: psa.SignRsaPkcs1v15Raw}})
	for _, bits := range []uint32{256, 384, 521} {
		for _, h := range []psa.Hash{psa.HashSHA256, psa.HashSHA384, psa.HashSHA512} {
			cases = append(cases, tc{fmt.Sprint("ec-", bits), signAlg(psa.SignEcdsa, h)})
		}
		cases = append(cases, tc{fmt.Sprint("ec-any-", bits), psa.AsymSign{Kind: psa.SignEcdsaAny}})
	}

	for _, c := range cases {
		t.Run(c.key+"/"+c.alg.String(), func(t *testing.T) {
			h := []byte("raw input of any length, signed as is")
			if c.alg.HasHash() {
				h = digestOf(t, c.alg.Hash, "message "+c.alg.String())
			}
			sig, err := onToken.SignHash(ctx, appA, c.key, c.alg, h)
			wantCode(t, err, status.Success, "SignHash")
			k, err := onToken.load(ctx, appA, c.key)
			if err != nil {
				t.Fatal(err)
			}
			// Go's own verification of the token's signature, and a Go signature.
			var goSig []byte
			if k.attrs.Type.IsRSA() {
				ch := cryptoHash(c.alg.Hash)
				switch c.alg.Kind {
				case psa.SignRsaPss:
					err = rsa.VerifyPSS(&goRSA.PublicKey, ch, h, sig, &rsa.PSSOptions{SaltLength: ch.Size()})
					goSig, _ = rsa.SignPSS(rand.Reader, goRSA, ch, h, &rsa.PSSOptions{SaltLength: ch.Size()})
				case psa.SignRsaPkcs1v15Raw:
					err = rsa.VerifyPKCS1v15(&goRSA.PublicKey, 0, h, sig)
					goSig, _ = rsa.SignPKCS1v15(nil, goRSA, 0, h)
				default:
					err = rsa.VerifyPKCS1v15(&goRSA.PublicKey, ch, h, sig)
					goSig, _ = rsa.SignPKCS1v15(nil, goRSA, ch, h)
				}
				if err != nil {
					t.Fatalf("crypto/rsa does not verify the token's signature: %v", err)
				}
			} else {
				priv := goEC[k.attrs.Bits]
				n := byteLen(k.attrs.Bits)
				r, s := providertest.RawToRS(t, sig, n)
				if !ecdsa.Verify(&priv.PublicKey, h, r, s) {
					t.Fatal("crypto/ecdsa does not verify the token's signature")
				}
				gr, gs, err := ecdsa.Sign(rand.Reader, priv, h)
				if err != nil {
					t.Fatal(err)
				}
				goSig = make([]byte, 2*n)
				gr.FillBytes(goSig[:n])
				gs.FillBytes(goSig[n:])
			}
			for _, p := range []*Provider{onToken, inGo} {
				mode := fmt.Sprintf("software_public_operations=%v", p.opts.SoftwarePublicOperations)
				wantCode(t, p.VerifyHash(ctx, appA, c.key, c.alg, h, sig), status.Success, "VerifyHash token signature, "+mode)
				wantCode(t, p.VerifyHash(ctx, appA, c.key, c.alg, h, goSig), status.Success, "VerifyHash Go signature, "+mode)
				bad := bytes.Clone(sig)
				bad[len(bad)/3] ^= 0x40
				wantCode(t, p.VerifyHash(ctx, appA, c.key, c.alg, h, bad), status.PsaErrorInvalidSignature, "VerifyHash tampered, "+mode)
				wantCode(t, p.VerifyHash(ctx, appA, c.key, c.alg, h, sig[1:]), status.PsaErrorInvalidSignature, "VerifyHash short, "+mode)
				other := bytes.Clone(h)
				other[0] ^= 1
				wantCode(t, p.VerifyHash(ctx, appA, c.key, c.alg, other, sig), status.PsaErrorInvalidSignature, "VerifyHash other input, "+mode)
			}
		})
	}

	// RSA signature values at or above the modulus do not verify.
	n := goRSA.N.Bytes()
	for _, p := range []*Provider{onToken, inGo} {
		alg := signAlg(psa.SignRsaPkcs1v15, psa.HashSHA256)
		h := digestOf(t, psa.HashSHA256, "m")
		wantCode(t, p.VerifyHash(ctx, appA, "rsa-1", alg, h, n), status.PsaErrorInvalidSignature, "VerifyHash with the modulus as signature")
		wantCode(t, p.VerifyHash(ctx, appA, "rsa-1", alg, h, bytes.Repeat([]byte{0xff}, len(n))), status.PsaErrorInvalidSignature, "VerifyHash 0xff…")
		wantCode(t, p.VerifyHash(ctx, appA, "rsa-1", alg, h, make([]byte, len(n))), status.PsaErrorInvalidSignature, "VerifyHash zero")
	}
}

func TestDigestInfoMatchesGo(t *testing.T) {
	// Go's crypto/rsa builds the DigestInfo itself: a PKCS#1 v1.5
	// signature of our DigestInfo with the raw variant must equal Go's.
	goRSA, _ := goKeys(t)
	for h := range hashSpecs {
		d := digestOf(t, h, "x")
		di, err := digestInfo(h, d)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := rsa.SignPKCS1v15(nil, goRSA, 0, di)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := rsa.SignPKCS1v15(nil, goRSA, cryptoHash(h), d)
		if err != nil {
			t.Fatalf("%v: %v", h, err)
		}
		if !bytes.Equal(raw, ref) {
			t.Errorf("%v: our DigestInfo differs from Go's", h)
		}
	}
}

// TestEncryption cross-checks the token and Go for every padding and OAEP
// hash, with and without a label, both ways, on the token and with
// software_public_operations.
func TestEncryption(t *testing.T) {
	ctx := context.Background()
	onToken, inGo := twin(t, true)
	goRSA, _ := goKeys(t)
	der := x509.MarshalPKCS1PrivateKey(goRSA)
	algs := []psa.AsymEncrypt{pkcs1Crypt, oaep(psa.HashSHA1), oaep(psa.HashSHA224), oaep(psa.HashSHA256), oaep(psa.HashSHA384), oaep(psa.HashSHA512)}
	for i, alg := range algs {
		name := fmt.Sprint("crypt-", i)
		wantCode(t, onToken.ImportKey(ctx, appA, name, cryptAttrs(psa.KeyRsaPair, 2048, allUsage, alg), der), status.Success, "ImportKey")
		labels := [][]byte{nil}
		if alg.Kind == psa.EncRsaOaep {
			labels = append(labels, []byte("a label"))
		}
		for _, label := range labels {
			t.Run(fmt.Sprintf("%v/label=%q", alg, label), func(t *testing.T) {
				msg := []byte("the secret")
				goEncrypt := func() []byte {
					var ct []byte
					var err error
					if alg.Kind == psa.EncRsaOaep {
						ct, err = rsa.EncryptOAEP(cryptoHash(alg.Hash).New(), rand.Reader, &goRSA.PublicKey, msg, label)
					} else {
						ct, err = rsa.EncryptPKCS1v15(rand.Reader, &goRSA.PublicKey, msg) //lint:ignore SA1019 tested contract
					}
					if err != nil {
						t.Fatal(err)
					}
					return ct
				}
				goDecrypt := func(ct []byte) []byte {
					var pt []byte
					var err error
					if alg.Kind == psa.EncRsaOaep {
						pt, err = rsa.DecryptOAEP(cryptoHash(alg.Hash).New(), nil, goRSA, ct, label)
					} else {
						pt, err = rsa.DecryptPKCS1v15(nil, goRSA, ct) //lint:ignore SA1019 tested contract
					}
					if err != nil {
						t.Fatalf("Go cannot decrypt the provider's ciphertext: %v", err)
					}
					return pt
				}
				ct := goEncrypt()
				pt, err := onToken.AsymmetricDecrypt(ctx, appA, name, alg, ct, label)
				wantCode(t, err, status.Success, "AsymmetricDecrypt of a Go ciphertext")
				if !bytes.Equal(pt, msg) {
					t.Fatalf("decrypted %q", pt)
				}
				for _, p := range []*Provider{onToken, inGo} {
					ct, err := p.AsymmetricEncrypt(ctx, appA, name, alg, msg, label)
					wantCode(t, err, status.Success, "AsymmetricEncrypt")
					if got := goDecrypt(ct); !bytes.Equal(got, msg) {
						t.Fatalf("Go decrypted %q", got)
					}
					pt, err := p.AsymmetricDecrypt(ctx, appA, name, alg, ct, label)
					wantCode(t, err, status.Success, "round trip")
					if !bytes.Equal(pt, msg) {
						t.Fatalf("round trip gave %q", pt)
					}
				}
				bad := bytes.Clone(ct)
				bad[100] ^= 0x10
				_, err = onToken.AsymmetricDecrypt(ctx, appA, name, alg, bad, label)
				wantCode(t, err, status.PsaErrorInvalidPadding, "AsymmetricDecrypt corrupted")
				_, err = onToken.AsymmetricDecrypt(ctx, appA, name, alg, goRSA.N.Bytes(), label)
				wantCode(t, err, status.PsaErrorInvalidPadding, "AsymmetricDecrypt of the modulus")
				_, err = onToken.AsymmetricDecrypt(ctx, appA, name, alg, ct[1:], label)
				wantCode(t, err, status.PsaErrorInvalidArgument, "AsymmetricDecrypt short ciphertext")
				if alg.Kind == psa.EncRsaOaep {
					_, err = onToken.AsymmetricDecrypt(ctx, appA, name, alg, ct, append(label, 'x'))
					wantCode(t, err, status.PsaErrorInvalidPadding, "AsymmetricDecrypt with another label")
				} else {
					_, err = onToken.AsymmetricEncrypt(ctx, appA, name, alg, msg, []byte("salt"))
					wantCode(t, err, status.PsaErrorInvalidArgument, "PKCS#1 v1.5 with a salt")
				}
				for _, p := range []*Provider{onToken, inGo} {
					_, err = p.AsymmetricEncrypt(ctx, appA, name, alg, nil, label)
					wantCode(t, err, status.PsaErrorInvalidArgument, "AsymmetricEncrypt empty")
					_, err = p.AsymmetricEncrypt(ctx, appA, name, alg, make([]byte, 256), label)
					wantCode(t, err, status.PsaErrorInvalidArgument, "AsymmetricEncrypt too long")
				}
			})
		}
	}

	// A public key encrypts (on the token and in Go) but cannot decrypt.
	pubDER := x509.MarshalPKCS1PublicKey(&goRSA.PublicKey)
	wantCode(t, onToken.ImportKey(ctx, appA, "crypt-public", cryptAttrs(psa.KeyRsaPublic, 0, allUsage, oaep(psa.HashSHA256)), pubDER), status.Success, "ImportKey public")
	for _, p := range []*Provider{onToken, inGo} {
		ct, err := p.AsymmetricEncrypt(ctx, appA, "crypt-public", oaep(psa.HashSHA256), []byte("m"), nil)
		wantCode(t, err, status.Success, "AsymmetricEncrypt with a public key")
		if pt, err := rsa.DecryptOAEP(cryptoHash(psa.HashSHA256).New(), nil, goRSA, ct, nil); err != nil || string(pt) != "m" {
			t.Fatalf("Go decryption: %q, %v", pt, err)
		}
		_, err = p.AsymmetricDecrypt(ctx, appA, "crypt-public", oaep(psa.HashSHA256), ct, nil)
		wantCode(t, err, status.PsaErrorInvalidArgument, "AsymmetricDecrypt with a public key")
	}
	// Policy: another algorithm, or no usage flag.
	_, err := onToken.AsymmetricDecrypt(ctx, appA, "crypt-0", oaep(psa.HashSHA256), make([]byte, 256), nil)
	wantCode(t, err, status.PsaErrorNotPermitted, "decrypt with an algorithm the policy does not permit")
	wantCode(t, onToken.ImportKey(ctx, appA, "encrypt-only", cryptAttrs(psa.KeyRsaPair, 0, psa.UsageEncrypt, oaep(psa.HashSHA256)), der), status.Success, "ImportKey")
	_, err = onToken.AsymmetricDecrypt(ctx, appA, "encrypt-only", oaep(psa.HashSHA256), make([]byte, 256), nil)
	wantCode(t, err, status.PsaErrorNotPermitted, "decrypt without the decrypt flag")
	_, err = onToken.AsymmetricEncrypt(ctx, appA, "rsa-sign-key-missing", oaep(psa.HashSHA256), []byte("m"), nil)
	wantCode(t, err, status.PsaErrorDoesNotExist, "encrypt with an unknown key")
}

// TestImport imports every key format and checks what the token holds.
func TestImport(t *testing.T) {
	ctx := context.Background()
	p := newTestProvider(t, testOptions(), nil)
	goRSA, goEC := goKeys(t)
	verify := signAlg(psa.SignRsaPkcs1v15, psa.HashSHA256)

	pubDER := x509.MarshalPKCS1PublicKey(&goRSA.PublicKey)
	wantCode(t, p.ImportKey(ctx, appA, "rsa-pub", signAttrs(psa.KeyRsaPublic, 0, psa.UsageVerifyHash, verify), pubDER), status.Success, "ImportKey RSA public, bits from the data")
	if got, err := p.ExportPublicKey(ctx, appA, "rsa-pub"); err != nil || !bytes.Equal(got, pubDER) {
		t.Fatalf("ExportPublicKey of the imported RSA public key: %v", err)
	}
	k, _ := p.load(ctx, appA, "rsa-pub")
	if k.attrs.Bits != 2048 {
		t.Errorf("stored bits %d, want 2048", k.attrs.Bits)
	}
	h := digestOf(t, psa.HashSHA256, "m")
	sig, _ := rsa.SignPKCS1v15(nil, goRSA, cryptoHash(psa.HashSHA256), h)
	wantCode(t, p.VerifyHash(ctx, appA, "rsa-pub", verify, h, sig), status.Success, "VerifyHash with an imported public key")
	_, err := p.SignHash(ctx, appA, "rsa-pub", verify, h)
	wantCode(t, err, status.PsaErrorNotPermitted, "SignHash with a verify-only public key")
	wantCode(t, p.ImportKey(ctx, appA, "rsa-pub-sign", signAttrs(psa.KeyRsaPublic, 0, allUsage, verify), pubDER), status.Success, "ImportKey")
	_, err = p.SignHash(ctx, appA, "rsa-pub-sign", verify, h)
	wantCode(t, err, status.PsaErrorInvalidArgument, "SignHash with a public key")

	wantCode(t, p.ImportKey(ctx, appA, "rsa-pair", signAttrs(psa.KeyRsaPair, 2048, allUsage, verify), x509.MarshalPKCS1PrivateKey(goRSA)), status.Success, "ImportKey RSA pair")
	if got, err := p.ExportPublicKey(ctx, appA, "rsa-pair"); err != nil || !bytes.Equal(got, pubDER) {
		t.Fatalf("ExportPublicKey of the imported RSA pair: %v", err)
	}

	for bits, priv := range goEC {
		point, _ := priv.PublicKey.Bytes()
		scalar, _ := priv.Bytes()
		alg := signAlg(psa.SignEcdsa, psa.HashSHA256)
		pubName, pairName := fmt.Sprint("ec-pub-", bits), fmt.Sprint("ec-pair-", bits)
		wantCode(t, p.ImportKey(ctx, appA, pubName, signAttrs(psa.KeyEccPublic, 0, psa.UsageVerifyHash, alg), point), status.Success, "ImportKey ECC public")
		wantCode(t, p.ImportKey(ctx, appA, pairName, signAttrs(psa.KeyEccPair, bits, allUsage, alg), scalar), status.Success, "ImportKey ECC pair")
		for _, name := range []string{pubName, pairName} {
			got, err := p.ExportPublicKey(ctx, appA, name)
			if err != nil || !bytes.Equal(got, point) {
				t.Fatalf("ExportPublicKey %s: %v", name, err)
			}
		}
		h := digestOf(t, psa.HashSHA256, "m")
		sig, err := p.SignHash(ctx, appA, pairName, alg, h)
		wantCode(t, err, status.Success, "SignHash with imported ECC pair")
		wantCode(t, p.VerifyHash(ctx, appA, pubName, alg, h, sig), status.Success, "VerifyHash with the matching imported public key")
	}

	// Refusals.
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		a    psa.KeyAttributes
		data []byte
		want status.Code
	}{
		{"garbage RSA public", signAttrs(psa.KeyRsaPublic, 0, psa.UsageVerifyHash, verify), []byte("junk"), status.PsaErrorInvalidArgument},
		{"garbage RSA pair", signAttrs(psa.KeyRsaPair, 0, psa.UsageVerifyHash, verify), []byte("junk"), status.PsaErrorInvalidArgument},
		{"bits mismatch", signAttrs(psa.KeyRsaPublic, 3072, psa.UsageVerifyHash, verify), pubDER, status.PsaErrorInvalidArgument},
		{"RSA 1024", signAttrs(psa.KeyRsaPublic, 0, psa.UsageVerifyHash, verify), x509.MarshalPKCS1PublicKey(&rsa1024.PublicKey), status.PsaErrorNotSupported},
		{"point not on the curve", signAttrs(psa.KeyEccPublic, 256, psa.UsageVerifyHash, verify), append([]byte{4}, make([]byte, 64)...), status.PsaErrorInvalidArgument},
		{"ECC wrong length", signAttrs(psa.KeyEccPublic, 0, psa.UsageVerifyHash, verify), make([]byte, 70), status.PsaErrorInvalidArgument},
		{"ECC scalar zero", signAttrs(psa.KeyEccPair, 256, psa.UsageVerifyHash, verify), make([]byte, 32), status.PsaErrorInvalidArgument},
		{"secp192r1", signAttrs(psa.KeyEccPublic, 192, psa.UsageVerifyHash, verify), make([]byte, 49), status.PsaErrorNotSupported},
		{"Montgomery", psa.KeyAttributes{Type: psa.KeyType{Kind: psa.KeyEccPublic, EccFamily: psa.EccMontgomery}, Bits: 255}, make([]byte, 32), status.PsaErrorNotSupported},
		{"ChaCha20", psa.KeyAttributes{Type: psa.KeyType{Kind: psa.KeyChacha20}, Bits: 256}, make([]byte, 32), status.PsaErrorNotSupported},
	}
	for _, tc := range tests {
		wantCode(t, p.ImportKey(ctx, appA, "refused", tc.a, tc.data), tc.want, "ImportKey "+tc.name)
	}
	if _, err := p.ExportPublicKey(ctx, appA, "refused"); !errorsIsCode(err, status.PsaErrorDoesNotExist) {
		t.Fatalf("a refused import left a key: %v", err)
	}
	wantCode(t, p.ImportKey(ctx, appA, "rsa-pub", signAttrs(psa.KeyRsaPublic, 0, psa.UsageVerifyHash, verify), pubDER), status.PsaErrorAlreadyExists, "ImportKey existing name")
}

func TestExportKey(t *testing.T) {
	ctx := context.Background()
	p := newTestProvider(t, testOptions(), nil)
	alg := signAlg(psa.SignEcdsa, psa.HashSHA256)
	wantCode(t, p.GenerateKey(ctx, appA, "ec-export", signAttrs(psa.KeyEccPair, 384, allUsage|psa.UsageExport, alg)), status.Success, "GenerateKey with export")
	scalar, err := p.ExportKey(ctx, appA, "ec-export")
	wantCode(t, err, status.Success, "ExportKey ECC")
	priv, err := ecdsa.ParseRawPrivateKey(elliptic.P384(), scalar)
	if err != nil {
		t.Fatal(err)
	}
	point, _ := priv.PublicKey.Bytes()
	if got, _ := p.ExportPublicKey(ctx, appA, "ec-export"); !bytes.Equal(got, point) {
		t.Fatal("the exported scalar does not match the public key")
	}

	goRSA, _ := goKeys(t)
	rsaAlg := signAlg(psa.SignRsaPkcs1v15, psa.HashSHA256)
	wantCode(t, p.ImportKey(ctx, appA, "rsa-export", signAttrs(psa.KeyRsaPair, 0, allUsage|psa.UsageExport, rsaAlg), x509.MarshalPKCS1PrivateKey(goRSA)), status.Success, "ImportKey with export")
	der, err := p.ExportKey(ctx, appA, "rsa-export")
	wantCode(t, err, status.Success, "ExportKey RSA")
	back, err := x509.ParsePKCS1PrivateKey(der)
	if err != nil || !back.Equal(goRSA) {
		t.Fatalf("exported RSA key differs: %v", err)
	}

	wantCode(t, p.GenerateKey(ctx, appA, "no-export", signAttrs(psa.KeyEccPair, 256, allUsage, alg)), status.Success, "GenerateKey")
	_, err = p.ExportKey(ctx, appA, "no-export")
	wantCode(t, err, status.PsaErrorNotPermitted, "ExportKey without the flag")
	// The token holds it sensitive and not extractable.
	h := rawSession(t, p)
	k, _ := p.load(ctx, appA, "no-export")
	obj, ok, err := p.findKey(h, k.id, pkcs11.CKO_PRIVATE_KEY)
	if err != nil || !ok {
		t.Fatalf("private object: %v %v", ok, err)
	}
	at, err := p.mod.ctx.GetAttributeValue(h, obj, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, nil), pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, nil)})
	if err != nil || at[0].Value[0] != 1 || at[1].Value[0] != 0 {
		t.Fatalf("CKA_SENSITIVE/CKA_EXTRACTABLE = %v (%v), want true/false", at, err)
	}
	// Public keys export their public format without any flag.
	point256, _ := goKeysPoint(t, 256)
	wantCode(t, p.ImportKey(ctx, appA, "pub", signAttrs(psa.KeyEccPublic, 0, 0, alg), point256), status.Success, "ImportKey public")
	if got, err := p.ExportKey(ctx, appA, "pub"); err != nil || !bytes.Equal(got, point256) {
		t.Fatalf("ExportKey of a public key: %v", err)
	}

	// allow_export = false: no exportable key can be created.
	o := testOptions()
	o.AllowExport = false
	q := newTestProvider(t, o, nil)
	wantCode(t, q.GenerateKey(ctx, appA, "x", signAttrs(psa.KeyEccPair, 256, allUsage|psa.UsageExport, alg)), status.PsaErrorNotPermitted, "GenerateKey with export, allow_export = false")
	wantCode(t, q.ImportKey(ctx, appA, "x", signAttrs(psa.KeyRsaPair, 0, allUsage|psa.UsageExport, rsaAlg), x509.MarshalPKCS1PrivateKey(goRSA)), status.PsaErrorNotPermitted, "ImportKey pair with export, allow_export = false")
	wantCode(t, q.ImportKey(ctx, appA, "x", signAttrs(psa.KeyEccPublic, 0, psa.UsageExport, alg), point256), status.Success, "ImportKey public with export, allow_export = false")
	wantCode(t, q.CanDoCrypto(ctx, appA, psa.CheckGenerate, signAttrs(psa.KeyEccPair, 256, allUsage|psa.UsageExport, alg)), status.PsaErrorNotPermitted, "CanDoCrypto generate with export, allow_export = false")
	wantCode(t, q.GenerateKey(ctx, appA, "y", signAttrs(psa.KeyEccPair, 256, allUsage, alg)), status.Success, "GenerateKey without export, allow_export = false")
}

func goKeysPoint(t *testing.T, bits uint32) ([]byte, *ecdsa.PrivateKey) {
	_, goEC := goKeys(t)
	point, err := goEC[bits].PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return point, goEC[bits]
}

// TestErrorPaths covers the refusals of every operation.
func TestErrorPaths(t *testing.T) {
	ctx := context.Background()
	p := newTestProvider(t, testOptions(), nil)
	ecdsa256 := signAlg(psa.SignEcdsa, psa.HashSHA256)
	pss := signAlg(psa.SignRsaPss, psa.HashSHA256)
	h := digestOf(t, psa.HashSHA256, "m")

	gen := []struct {
		name string
		a    psa.KeyAttributes
		want status.Code
	}{
		{"public key type", signAttrs(psa.KeyEccPublic, 256, allUsage, ecdsa256), status.PsaErrorInvalidArgument},
		{"RSA 1024", signAttrs(psa.KeyRsaPair, 1024, allUsage, pss), status.PsaErrorNotSupported},
		{"RSA 3000", signAttrs(psa.KeyRsaPair, 3001, allUsage, pss), status.PsaErrorInvalidArgument},
		{"RSA no size", signAttrs(psa.KeyRsaPair, 0, allUsage, pss), status.PsaErrorInvalidArgument},
		{"secp224r1", signAttrs(psa.KeyEccPair, 224, allUsage, ecdsa256), status.PsaErrorNotSupported},
		{"secp200r1", signAttrs(psa.KeyEccPair, 200, allUsage, ecdsa256), status.PsaErrorInvalidArgument},
		{"secp256k1", psa.KeyAttributes{Type: psa.KeyType{Kind: psa.KeyEccPair, EccFamily: psa.EccSecpK1}, Bits: 256}, status.PsaErrorNotSupported},
		{"ChaCha20", psa.KeyAttributes{Type: psa.KeyType{Kind: psa.KeyChacha20}, Bits: 256}, status.PsaErrorNotSupported},
		{"raw data", psa.KeyAttributes{Type: psa.KeyType{Kind: psa.KeyRawData}, Bits: 256}, status.PsaErrorNotSupported},
		{"deprecated SHA-1 policy", signAttrs(psa.KeyEccPair, 256, allUsage, signAlg(psa.SignEcdsa, psa.HashSHA1)), status.DeprecatedPrimitive},
	}
	for _, tc := range gen {
		wantCode(t, p.GenerateKey(ctx, appA, "bad", tc.a), tc.want, "GenerateKey "+tc.name)
		// CanDoCrypto answers NotSupported where GenerateKey refuses a
		// deprecated or invalid template (psa.CanDoAnswer).
		canDo := tc.want
		if canDo == status.DeprecatedPrimitive || canDo == status.PsaErrorInvalidArgument {
			canDo = status.PsaErrorNotSupported
		}
		wantCode(t, psa.CanDoAnswer(p.CanDoCrypto(ctx, appA, psa.CheckGenerate, tc.a)), canDo, "CanDoCrypto generate "+tc.name)
	}
	p.allowDeprecated = true
	wantCode(t, p.GenerateKey(ctx, appA, "sha1", signAttrs(psa.KeyEccPair, 256, allUsage, signAlg(psa.SignEcdsa, psa.HashSHA1))), status.Success, "GenerateKey deprecated, allowed")
	p.allowDeprecated = false

	wantCode(t, p.GenerateKey(ctx, appA, "ec", signAttrs(psa.KeyEccPair, 256, psa.UsageSignHash, ecdsa256)), status.Success, "GenerateKey")
	wantCode(t, p.GenerateKey(ctx, appA, "ec", signAttrs(psa.KeyEccPair, 256, psa.UsageSignHash, ecdsa256)), status.PsaErrorAlreadyExists, "GenerateKey twice")
	wantCode(t, p.GenerateKey(ctx, appA, "det", signAttrs(psa.KeyEccPair, 256, allUsage, signAlg(psa.SignDetEcdsa, psa.HashSHA256))), status.Success, "GenerateKey with a deterministic ECDSA policy")
	_, err := p.SignHash(ctx, appA, "det", signAlg(psa.SignDetEcdsa, psa.HashSHA256), h)
	wantCode(t, err, status.PsaErrorNotSupported, "SignHash deterministic ECDSA")
	_, err = p.SignHash(ctx, appA, "ec", ecdsa256, h[:31])
	wantCode(t, err, status.PsaErrorInvalidArgument, "SignHash short hash")
	_, err = p.SignHash(ctx, appA, "ec", anyHash(psa.SignEcdsa), h)
	wantCode(t, err, status.PsaErrorInvalidArgument, "SignHash with the wildcard")
	wantCode(t, p.VerifyHash(ctx, appA, "ec", ecdsa256, h, make([]byte, 64)), status.PsaErrorNotPermitted, "VerifyHash without the verify flag")
	_, err = p.SignHash(ctx, appA, "ec", signAlg(psa.SignRsaPkcs1v15, psa.HashSHA256), h)
	wantCode(t, err, status.PsaErrorNotPermitted, "SignHash RSA algorithm with an ECC key")
	_, err = p.AsymmetricEncrypt(ctx, appA, "ec", oaep(psa.HashSHA256), []byte("m"), nil)
	wantCode(t, err, status.PsaErrorNotPermitted, "AsymmetricEncrypt with an ECDSA key")

	for _, op := range []struct {
		name string
		fn   func() error
	}{
		{"SignHash", func() error { _, err := p.SignHash(ctx, appA, "nope", ecdsa256, h); return err }},
		{"VerifyHash", func() error { return p.VerifyHash(ctx, appA, "nope", ecdsa256, h, make([]byte, 64)) }},
		{"ExportPublicKey", func() error { _, err := p.ExportPublicKey(ctx, appA, "nope"); return err }},
		{"ExportKey", func() error { _, err := p.ExportKey(ctx, appA, "nope"); return err }},
		{"DestroyKey", func() error { return p.DestroyKey(ctx, appA, "nope") }},
		{"AsymmetricDecrypt", func() error {
			_, err := p.AsymmetricDecrypt(ctx, appA, "nope", oaep(psa.HashSHA256), make([]byte, 256), nil)
			return err
		}},
		{"key of another app", func() error { _, err := p.SignHash(ctx, appB, "ec", ecdsa256, h); return err }},
	} {
		wantCode(t, op.fn(), status.PsaErrorDoesNotExist, op.name+" of an unknown key")
	}

	_, err = p.GenerateRandom(ctx, defaultBufferSizeLimit+1)
	wantCode(t, err, status.ResponseTooLarge, "GenerateRandom above the buffer limit")
}

func TestGenerateRandom(t *testing.T) {
	ctx := context.Background()
	p := newTestProvider(t, testOptions(), nil)
	for _, n := range []uint64{0, 1, 32, randomChunk + 17} {
		a, err := p.GenerateRandom(ctx, n)
		wantCode(t, err, status.Success, "GenerateRandom")
		b, _ := p.GenerateRandom(ctx, n)
		if uint64(len(a)) != n || uint64(len(b)) != n {
			t.Fatalf("GenerateRandom(%d) gave %d bytes", n, len(a))
		}
		if n >= 16 && bytes.Equal(a, b) {
			t.Fatalf("two GenerateRandom(%d) gave the same bytes", n)
		}
	}
}

// TestCanDoCrypto checks the answers for use against the operations.
func TestCanDoCrypto(t *testing.T) {
	ctx := context.Background()
	p := newTestProvider(t, testOptions(), nil)
	rsaPair := func(alg psa.Algorithm) psa.KeyAttributes {
		return psa.KeyAttributes{Type: psa.KeyType{Kind: psa.KeyRsaPair}, Bits: 2048, Policy: psa.KeyPolicy{Usage: allUsage, Alg: alg}}
	}
	eccPair := func(alg psa.Algorithm) psa.KeyAttributes {
		return psa.KeyAttributes{Type: psa.KeyType{Kind: psa.KeyEccPair, EccFamily: psa.EccSecpR1}, Bits: 256, Policy: psa.KeyPolicy{Usage: allUsage, Alg: alg}}
	}
	sign := func(s psa.AsymSign) psa.Algorithm { return psa.Algorithm{Kind: psa.AlgAsymSign, Sign: s} }
	crypt := func(e psa.AsymEncrypt) psa.Algorithm { return psa.Algorithm{Kind: psa.AlgAsymEncrypt, Encrypt: e} }
	tests := []struct {
		name  string
		check psa.CheckType
		a     psa.KeyAttributes
		want  status.Code
	}{
		{"RSA PKCS#1 v1.5 SHA-256", psa.CheckUse, rsaPair(sign(signAlg(psa.SignRsaPkcs1v15, psa.HashSHA256))), status.Success},
		{"RSA PKCS#1 v1.5 any hash", psa.CheckUse, rsaPair(sign(anyHash(psa.SignRsaPkcs1v15))), status.Success},
		{"RSA PKCS#1 v1.5 raw", psa.CheckUse, rsaPair(sign(psa.AsymSign{Kind: psa.SignRsaPkcs1v15Raw})), status.Success},
		{"RSA-PSS SHA-384", psa.CheckUse, rsaPair(sign(signAlg(psa.SignRsaPss, psa.HashSHA384))), status.Success},
		{"RSA-PSS SHA3-256", psa.CheckUse, rsaPair(sign(signAlg(psa.SignRsaPss, psa.HashSHA3_256))), status.PsaErrorNotSupported},
		{"ECDSA on RSA", psa.CheckUse, rsaPair(sign(signAlg(psa.SignEcdsa, psa.HashSHA256))), status.PsaErrorNotSupported},
		{"OAEP SHA-256", psa.CheckUse, rsaPair(crypt(oaep(psa.HashSHA256))), status.Success},
		{"OAEP SHA3-256", psa.CheckUse, rsaPair(crypt(oaep(psa.HashSHA3_256))), status.PsaErrorNotSupported},
		{"PKCS#1 v1.5 encryption", psa.CheckUse, rsaPair(crypt(pkcs1Crypt)), status.Success},
		{"ECDSA", psa.CheckUse, eccPair(sign(ecdsa256())), status.Success},
		{"ECDSA any", psa.CheckUse, eccPair(sign(psa.AsymSign{Kind: psa.SignEcdsaAny})), status.Success},
		{"deterministic ECDSA", psa.CheckUse, eccPair(sign(signAlg(psa.SignDetEcdsa, psa.HashSHA256))), status.PsaErrorNotSupported},
		{"encryption with ECC", psa.CheckUse, eccPair(crypt(oaep(psa.HashSHA256))), status.PsaErrorNotSupported},
		{"ECDH", psa.CheckUse, eccPair(psa.Algorithm{Kind: psa.AlgKeyAgreement, KeyAgreement: psa.KeyAgreement{Raw: psa.KeyAgreementEcdh}}), status.PsaErrorNotSupported},
		{"AEAD on an RSA key", psa.CheckUse, rsaPair(psa.Algorithm{Kind: psa.AlgAead, Aead: psa.Aead{Alg: psa.AeadGcm}}), status.PsaErrorNotSupported},
		{"use without size", psa.CheckUse, psa.KeyAttributes{Type: psa.KeyType{Kind: psa.KeyRsaPair}}, status.PsaErrorNotSupported},
		{"generate RSA 4096", psa.CheckGenerate, psa.KeyAttributes{Type: psa.KeyType{Kind: psa.KeyRsaPair}, Bits: 4096}, status.Success},
		{"generate P-521", psa.CheckGenerate, psa.KeyAttributes{Type: psa.KeyType{Kind: psa.KeyEccPair, EccFamily: psa.EccSecpR1}, Bits: 521}, status.Success},
		{"import RSA public, size from data", psa.CheckImport, psa.KeyAttributes{Type: psa.KeyType{Kind: psa.KeyRsaPublic}}, status.Success},
		{"import X25519", psa.CheckImport, psa.KeyAttributes{Type: psa.KeyType{Kind: psa.KeyEccPair, EccFamily: psa.EccMontgomery}, Bits: 255}, status.PsaErrorNotSupported},
		{"derive", psa.CheckDerive, psa.KeyAttributes{}, status.PsaErrorNotSupported},
		{"unknown check", psa.CheckType(9), psa.KeyAttributes{}, status.InvalidEncoding},
	}
	for _, tc := range tests {
		wantCode(t, p.CanDoCrypto(ctx, appA, tc.check, tc.a), tc.want, "CanDoCrypto "+tc.name)
	}
	// What CanDoCrypto accepts for use, the operations do.
	wantCode(t, p.GenerateKey(ctx, appA, "any-ecdsa", eccPair(sign(psa.AsymSign{Kind: psa.SignEcdsaAny}))), status.Success, "GenerateKey")
	_, err := p.SignHash(ctx, appA, "any-ecdsa", psa.AsymSign{Kind: psa.SignEcdsaAny}, []byte("short input"))
	wantCode(t, err, status.Success, "SignHash EcdsaAny")
}

func ecdsa256() psa.AsymSign { return signAlg(psa.SignEcdsa, psa.HashSHA256) }

func errorsIsCode(err error, c status.Code) bool { return status.CodeOf(err) == c }
