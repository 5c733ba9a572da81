// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package soft

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"math/big"
	"testing"

	"github.com/parsecd/parsecd/providers/soft/internal/kat"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

// Known answers from published vectors for the RSA signature and encryption
// algorithms, fed through the provider's public API with keys imported in
// the PSA formats (DER RSAPublicKey, DER RSAPrivateKey).

// katField returns the named value of a vector block, failing the test when
// the block lacks it.
func katField(t *testing.T, v map[string]string, name string) string {
	t.Helper()
	s, ok := v[name]
	if !ok {
		t.Fatalf("vector block %v has no %q", v, name)
	}
	return s
}

// katBytes decodes the named hex value of a vector block.
func katBytes(t *testing.T, v map[string]string, name string) []byte {
	t.Helper()
	return kat.Hex(t, katField(t, v, name))
}

// katInt decodes the named hex value of a vector block as a big-endian integer.
func katInt(t *testing.T, v map[string]string, name string) *big.Int {
	t.Helper()
	return new(big.Int).SetBytes(katBytes(t, v, name))
}

// rsaKATKey assembles the RSA key pair of a vector key block (n, e, d, p, q).
func rsaKATKey(t *testing.T, v map[string]string) *rsa.PrivateKey {
	t.Helper()
	n, e := katInt(t, v, "n"), katInt(t, v, "e")
	p, q := katInt(t, v, "p"), katInt(t, v, "q")
	if new(big.Int).Mul(p, q).Cmp(n) != 0 {
		t.Fatalf("key block %s: p*q != n", v["Example"]+v["Key"])
	}
	if !e.IsInt64() || e.Int64() > 1<<31-1 {
		t.Fatalf("key block %s: exponent %v out of range", v["Example"]+v["Key"], e)
	}
	k := &rsa.PrivateKey{
		PublicKey: rsa.PublicKey{N: n, E: int(e.Int64())},
		D:         katInt(t, v, "d"),
		Primes:    []*big.Int{p, q},
	}
	if err := k.Validate(); err != nil {
		t.Fatalf("key block %s: %v", v["Example"]+v["Key"], err)
	}
	k.Precompute()
	return k
}

// importRSAKAT imports k twice, as a key pair and as a public key, under the
// names pair and pub with the policy alg.
func importRSAKAT(t *testing.T, p *Provider, k *rsa.PrivateKey, pair, pub string, pairUsage, pubUsage psa.UsageFlags, alg psa.Algorithm) {
	t.Helper()
	bits := uint32(k.N.BitLen())
	wantCode(t, p.ImportKey(bg, alice, pair, rsaPair(bits, pairUsage, alg), x509.MarshalPKCS1PrivateKey(k)), status.Success, "ImportKey RSA pair "+pair)
	wantCode(t, p.ImportKey(bg, alice, pub, attrs(psa.KeyRsaPublic, 0, bits, pubUsage, alg), x509.MarshalPKCS1PublicKey(&k.PublicKey)), status.Success, "ImportKey RSA public "+pub)
	if got := must(p.ExportPublicKey(bg, alice, pair)); !bytes.Equal(got, x509.MarshalPKCS1PublicKey(&k.PublicKey)) {
		t.Fatalf("%s: exported public key differs from the vector's (n, e)", pair)
	}
}

// RSA Laboratories' pss-vect.txt (PKCS #1 v2.1), Examples 1 (1024-bit) and
// 10 (2048-bit): RSASSA-PSS with SHA-1 and a 20-byte salt, which is the PSA
// RsaPss{SHA-1} algorithm. The published signatures verify; signatures made by
// the provider (randomized) verify with crypto/rsa.
func TestRSAPSSPKCS1v21Vectors(t *testing.T) {
	p, _ := newTestProvider(t)
	alg := signAlg(psa.SignRsaPss, psa.HashSHA1)
	var key *rsa.PrivateKey
	var pair, pub string
	keys, cases := 0, 0
	for _, v := range tdBlocks(t, "sign_rsa_pss_pkcs1v21.txt") {
		if _, ok := v["n"]; ok {
			key = rsaKATKey(t, v)
			pair, pub = "pss-pair-"+v["Example"], "pss-pub-"+v["Example"]
			importRSAKAT(t, p, key, pair, pub, allSign, psa.UsageVerifyHash|psa.UsageVerifyMessage, signPolicy(alg))
			keys++
			continue
		}
		if key == nil {
			t.Fatal("signature block before any key block")
		}
		name := "PSS example " + katField(t, v, "Signature")
		msg, sig := katBytes(t, v, "Msg"), katBytes(t, v, "Sig")
		if len(katBytes(t, v, "Salt")) != sha1.Size {
			t.Fatalf("%s: the salt is not 20 bytes", name)
		}
		h := sha1.Sum(msg)
		wantCode(t, p.VerifyHash(bg, alice, pub, alg, h[:], sig), status.Success, name+": VerifyHash")
		wantCode(t, p.VerifyMessage(bg, alice, pub, alg, msg, sig), status.Success, name+": VerifyMessage")
		wantCode(t, p.VerifyHash(bg, alice, pair, alg, h[:], sig), status.Success, name+": VerifyHash with the key pair")
		wantCode(t, p.VerifyHash(bg, alice, pub, alg, h[:], flipBit(sig, len(sig)-1)), status.PsaErrorInvalidSignature, name+": VerifyHash flipped signature")
		wantCode(t, p.VerifyHash(bg, alice, pub, alg, flipBit(h[:], 0), sig), status.PsaErrorInvalidSignature, name+": VerifyHash other hash")

		own := must(p.SignHash(bg, alice, pair, alg, h[:]))
		if err := rsa.VerifyPSS(&key.PublicKey, crypto.SHA1, h[:], own, &rsa.PSSOptions{SaltLength: sha1.Size, Hash: crypto.SHA1}); err != nil {
			t.Fatalf("%s: crypto/rsa does not verify the provider's signature (salt length 20): %v", name, err)
		}
		wantCode(t, p.VerifyHash(bg, alice, pub, alg, h[:], own), status.Success, name+": VerifyHash own signature")
		cases++
	}
	if keys != 2 || cases != 12 {
		t.Fatalf("ran %d keys and %d signatures, want 2 and 12", keys, cases)
	}
}

// RSA Laboratories' pkcs1v15sign-vectors.txt, Example 1: RSASSA-PKCS1-v1_5 is
// deterministic, so SignHash and SignMessage reproduce the published
// signatures byte for byte, and they verify.
func TestRSAPKCS1v15SignRSALabsVectors(t *testing.T) {
	p, _ := newTestProvider(t)
	alg := signAlg(psa.SignRsaPkcs1v15, psa.HashSHA1)
	var key *rsa.PrivateKey
	cases := 0
	for _, v := range tdBlocks(t, "sign_rsa_pkcs1v15_rsalabs.txt") {
		if _, ok := v["n"]; ok {
			key = rsaKATKey(t, v)
			importRSAKAT(t, p, key, "v15-pair", "v15-pub", allSign, psa.UsageVerifyHash, signPolicy(alg))
			continue
		}
		if key == nil {
			t.Fatal("signature block before the key block")
		}
		name := "PKCS#1 v1.5 example " + katField(t, v, "Example")
		msg, want := katBytes(t, v, "Msg"), katBytes(t, v, "Sig")
		h := sha1.Sum(msg)
		if got := must(p.SignHash(bg, alice, "v15-pair", alg, h[:])); !bytes.Equal(got, want) {
			t.Fatalf("%s: SignHash = %x, want %x", name, got, want)
		}
		if got := must(p.SignMessage(bg, alice, "v15-pair", alg, msg)); !bytes.Equal(got, want) {
			t.Fatalf("%s: SignMessage = %x, want %x", name, got, want)
		}
		wantCode(t, p.VerifyHash(bg, alice, "v15-pub", alg, h[:], want), status.Success, name+": VerifyHash")
		wantCode(t, p.VerifyHash(bg, alice, "v15-pub", alg, h[:], flipBit(want, len(want)-1)), status.PsaErrorInvalidSignature, name+": VerifyHash flipped signature")
		cases++
	}
	if cases != 7 {
		t.Fatalf("ran %d signatures, want 7", cases)
	}
}

// Project Wycheproof rsa_signature_2048_sha256_test.json: valid signatures
// verify, invalid ones (malformed DigestInfo, missing DigestInfo, modified
// padding) are refused with PsaErrorInvalidSignature.
func TestRSAPKCS1v15VerifyWycheproof(t *testing.T) {
	p, _ := newTestProvider(t)
	alg := signAlg(psa.SignRsaPkcs1v15, psa.HashSHA256)
	imported := false
	valid, invalid := 0, 0
	for _, v := range tdBlocks(t, "sign_rsa_pkcs1v15_wycheproof.txt") {
		if der, ok := v["PublicKeyAsn"]; ok {
			data := kat.Hex(t, der)
			pk, err := x509.ParsePKCS1PublicKey(data)
			if err != nil {
				t.Fatalf("publicKeyAsn is not a DER RSAPublicKey: %v", err)
			}
			if pk.N.Cmp(katInt(t, v, "Modulus")) != 0 || int64(pk.E) != katInt(t, v, "PublicExponent").Int64() {
				t.Fatal("publicKeyAsn does not hold publicKey.modulus and publicKey.publicExponent")
			}
			wantCode(t, p.ImportKey(bg, alice, "wycheproof-rsa", attrs(psa.KeyRsaPublic, 0, 2048, psa.UsageVerifyHash, signPolicy(alg)), data), status.Success, "ImportKey Wycheproof RSA public key")
			imported = true
			continue
		}
		if !imported {
			t.Fatal("test case before the key block")
		}
		name := "Wycheproof tcId " + katField(t, v, "tcId") + " " + v["Comment"]
		h := sha256.Sum256(katBytes(t, v, "Msg"))
		sig := katBytes(t, v, "Sig")
		switch katField(t, v, "Result") {
		case "valid":
			wantCode(t, p.VerifyHash(bg, alice, "wycheproof-rsa", alg, h[:], sig), status.Success, name)
			wantCode(t, p.VerifyHash(bg, alice, "wycheproof-rsa", alg, h[:], flipBit(sig, len(sig)-1)), status.PsaErrorInvalidSignature, name+" (flipped)")
			valid++
		case "invalid":
			wantCode(t, p.VerifyHash(bg, alice, "wycheproof-rsa", alg, h[:], sig), status.PsaErrorInvalidSignature, name)
			invalid++
		default:
			t.Fatalf("%s: unexpected result %q", name, v["Result"])
		}
	}
	if valid != 6 || invalid != 4 {
		t.Fatalf("ran %d valid and %d invalid cases, want 6 and 4", valid, invalid)
	}
}

// RSA Laboratories' oaep-vect.txt (as reproduced in Go's crypto/rsa tests),
// keys 1 (1024-bit) and 10 (2048-bit): RSAES-OAEP with SHA-1 and an empty
// label decrypts the published ciphertexts; a corrupted ciphertext is
// PsaErrorInvalidPadding.
func TestRSAOAEPPKCS1v21Vectors(t *testing.T) {
	p, _ := newTestProvider(t)
	alg := psa.AsymEncrypt{Kind: psa.EncRsaOaep, Hash: psa.HashSHA1}
	var key *rsa.PrivateKey
	var pair, pub string
	keys, cases := 0, 0
	for _, v := range tdBlocks(t, "crypt_rsa_oaep_pkcs1v21.txt") {
		if _, ok := v["n"]; ok {
			key = rsaKATKey(t, v)
			pair, pub = "oaep-pair-"+v["Key"], "oaep-pub-"+v["Key"]
			importRSAKAT(t, p, key, pair, pub, psa.UsageEncrypt|psa.UsageDecrypt, psa.UsageEncrypt, cryptPolicy(alg))
			keys++
			continue
		}
		if key == nil {
			t.Fatal("case block before any key block")
		}
		name := "OAEP example " + katField(t, v, "Example")
		msg, ct := katBytes(t, v, "Msg"), katBytes(t, v, "CT")
		if len(katBytes(t, v, "Seed")) != sha1.Size {
			t.Fatalf("%s: the seed is not 20 bytes", name)
		}
		got, err := p.AsymmetricDecrypt(bg, alice, pair, alg, ct, nil)
		wantCode(t, err, status.Success, name+": AsymmetricDecrypt")
		if !bytes.Equal(got, msg) {
			t.Fatalf("%s: AsymmetricDecrypt = %x, want %x", name, got, msg)
		}
		_, err = p.AsymmetricDecrypt(bg, alice, pair, alg, flipBit(ct, len(ct)-1), nil)
		wantCode(t, err, status.PsaErrorInvalidPadding, name+": AsymmetricDecrypt corrupted ciphertext")
		_, err = p.AsymmetricDecrypt(bg, alice, pair, alg, ct, []byte("label"))
		wantCode(t, err, status.PsaErrorInvalidPadding, name+": AsymmetricDecrypt with another label")

		// Encryption is randomized: the public key's ciphertext decrypts to the message.
		own := must(p.AsymmetricEncrypt(bg, alice, pub, alg, msg, nil))
		if len(own) != len(ct) {
			t.Fatalf("%s: ciphertext of %d bytes, want %d", name, len(own), len(ct))
		}
		if got := must(rsa.DecryptOAEP(sha1.New(), nil, key, own, nil)); !bytes.Equal(got, msg) {
			t.Fatalf("%s: crypto/rsa decrypts the provider's ciphertext to %x, want %x", name, got, msg)
		}
		cases++
	}
	if keys != 2 || cases != 4 {
		t.Fatalf("ran %d keys and %d ciphertexts, want 2 and 4", keys, cases)
	}
}
