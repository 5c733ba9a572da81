// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package client_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"math/big"
	"testing"

	"github.com/parsecd/parsecd/src/client"
	"github.com/parsecd/parsecd/src/client/clienttest"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

func TestECDSASignatureToASN1(t *testing.T) {
	// r = 1, s = 0x80…: s needs a leading zero byte in DER (positive INTEGER).
	raw := make([]byte, 64)
	raw[31] = 1
	raw[32] = 0x80
	der, err := client.ECDSASignatureToASN1(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := "3026" + "020101" + "022100" + "80" + "00000000000000000000000000000000000000000000000000000000000000"
	if got := hex.EncodeToString(der); got != want {
		t.Fatalf("DER = %s\nwant  %s", got, want)
	}
	back, err := client.ECDSASignatureFromASN1(der, 32)
	if err != nil || !bytes.Equal(back, raw) {
		t.Fatalf("round trip = %x, %v", back, err)
	}
	for _, bad := range [][]byte{nil, {1}, make([]byte, 63)} {
		if _, err := client.ECDSASignatureToASN1(bad); !errors.Is(err, status.InvalidEncoding) {
			t.Errorf("ECDSASignatureToASN1(%d bytes): %v", len(bad), err)
		}
	}

	// A real signature converted to r‖s and back verifies.
	priv, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	digest := sha512.Sum384([]byte("hello parsec"))
	for i := 0; i < 20; i++ {
		sig, err := ecdsa.SignASN1(rand.Reader, priv, digest[:])
		if err != nil {
			t.Fatal(err)
		}
		rs, err := client.ECDSASignatureFromASN1(sig, 48)
		if err != nil || len(rs) != 96 {
			t.Fatalf("FromASN1: %x, %v", rs, err)
		}
		der, err := client.ECDSASignatureToASN1(rs)
		if err != nil || !ecdsa.VerifyASN1(&priv.PublicKey, digest[:], der) {
			t.Fatalf("converted signature does not verify: %v", err)
		}
	}
}

func signKey(kind psa.SignKind, h psa.Hash) psa.KeyPolicy {
	return psa.KeyPolicy{Usage: psa.UsageSignHash | psa.UsageVerifyHash,
		Alg: psa.Algorithm{Kind: psa.AlgAsymSign, Sign: psa.AsymSign{Kind: kind, Hash: h}}}
}

func TestSignerAndDecrypter(t *testing.T) {
	srv := clienttest.NewService().Start(t)
	c := newClient(t, srv)
	rsaType := psa.KeyType{Kind: psa.KeyRsaPair}
	keys := map[string]psa.KeyAttributes{
		"ecc":      eccP256Sign,
		"rsa-pkcs": {Type: rsaType, Bits: 1024, Policy: signKey(psa.SignRsaPkcs1v15, psa.HashSHA256)},
		"rsa-pss":  {Type: rsaType, Bits: 1024, Policy: signKey(psa.SignRsaPss, psa.HashSHA256)},
		"rsa-oaep": {Type: rsaType, Bits: 1024, Policy: psa.KeyPolicy{Usage: psa.UsageEncrypt | psa.UsageDecrypt,
			Alg: psa.Algorithm{Kind: psa.AlgAsymEncrypt, Encrypt: psa.AsymEncrypt{Kind: psa.EncRsaOaep, Hash: psa.HashSHA256}}}},
		"rsa-v15": {Type: rsaType, Bits: 1024, Policy: psa.KeyPolicy{Usage: psa.UsageEncrypt | psa.UsageDecrypt,
			Alg: psa.Algorithm{Kind: psa.AlgAsymEncrypt, Encrypt: psa.AsymEncrypt{Kind: psa.EncRsaPkcs1v15}}}},
	}
	for name, a := range keys {
		if err := c.GenerateKey(ctx, name, a); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	digest := sha256.Sum256([]byte("hello parsec"))

	s, err := c.Signer(ctx, "ecc")
	if err != nil {
		t.Fatal(err)
	}
	sig, err := s.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil || !ecdsa.VerifyASN1(s.Public().(*ecdsa.PublicKey), digest[:], sig) {
		t.Fatalf("ECDSA signature does not verify: %v", err)
	}
	if _, err := s.Sign(rand.Reader, digest[:16], crypto.SHA256); !errors.Is(err, status.PsaErrorInvalidArgument) {
		t.Fatalf("short digest: %v", err)
	}

	s, err = c.Signer(ctx, "rsa-pkcs")
	if err != nil {
		t.Fatal(err)
	}
	sig, err = s.Sign(nil, digest[:], crypto.SHA256)
	if err != nil || rsa.VerifyPKCS1v15(s.Public().(*rsa.PublicKey), crypto.SHA256, digest[:], sig) != nil {
		t.Fatalf("PKCS#1 signature does not verify: %v", err)
	}
	// The policy forbids PSS: the service says so.
	if _, err := s.Sign(nil, digest[:], &rsa.PSSOptions{Hash: crypto.SHA256}); !errors.Is(err, status.PsaErrorNotPermitted) {
		t.Fatalf("PSS with a PKCS#1 key: %v", err)
	}

	s, err = c.Signer(ctx, "rsa-pss")
	if err != nil {
		t.Fatal(err)
	}
	sig, err = s.Sign(nil, digest[:], &rsa.PSSOptions{Hash: crypto.SHA256, SaltLength: rsa.PSSSaltLengthEqualsHash})
	if err != nil || rsa.VerifyPSS(s.Public().(*rsa.PublicKey), crypto.SHA256, digest[:], sig, nil) != nil {
		t.Fatalf("PSS signature does not verify: %v", err)
	}
	if _, err := s.Sign(nil, digest[:], &rsa.PSSOptions{Hash: crypto.SHA256, SaltLength: 10}); !errors.Is(err, status.PsaErrorNotSupported) {
		t.Fatalf("PSS salt 10: %v", err)
	}
	// A CSR signed through the service (RSA-PSS needs the PSS algorithm).
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: "parsec"}, SignatureAlgorithm: x509.SHA256WithRSAPSS}, s)
	if err != nil {
		t.Fatal(err)
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil || csr.CheckSignature() != nil {
		t.Fatalf("CSR: %v", err)
	}

	if _, err := c.Signer(ctx, "rsa-oaep"); !errors.Is(err, status.PsaErrorNotPermitted) {
		t.Fatalf("Signer on an encryption key: %v", err)
	}
	if _, err := c.Decrypter(ctx, "ecc"); !errors.Is(err, status.PsaErrorNotPermitted) {
		t.Fatalf("Decrypter on a signing key: %v", err)
	}
	if _, err := c.Signer(ctx, "missing"); !errors.Is(err, status.PsaErrorDoesNotExist) {
		t.Fatalf("Signer on a missing key: %v", err)
	}

	d, err := c.Decrypter(ctx, "rsa-oaep")
	if err != nil {
		t.Fatal(err)
	}
	pub := d.Public().(*rsa.PublicKey)
	ct, _ := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, []byte("secret"), []byte("label"))
	pt, err := d.Decrypt(nil, ct, &rsa.OAEPOptions{Hash: crypto.SHA256, Label: []byte("label")})
	if err != nil || string(pt) != "secret" {
		t.Fatalf("OAEP decrypt = %q, %v", pt, err)
	}
	if _, err := d.Decrypt(nil, ct, &rsa.OAEPOptions{Hash: crypto.SHA256}); !errors.Is(err, status.PsaErrorInvalidPadding) {
		t.Fatalf("OAEP without the label: %v", err)
	}
	ct, _ = rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, []byte("secret"), nil)
	if pt, err = d.Decrypt(nil, ct, nil); err != nil || string(pt) != "secret" {
		t.Fatalf("policy decrypt = %q, %v", pt, err)
	}

	d, err = c.Decrypter(ctx, "rsa-v15")
	if err != nil {
		t.Fatal(err)
	}
	//lint:ignore SA1019 PKCS#1 v1.5 encryption is part of the Parsec/PSA contract (RsaPkcs1v15Crypt)
	ct, _ = rsa.EncryptPKCS1v15(rand.Reader, d.Public().(*rsa.PublicKey), []byte("secret"))
	//lint:ignore SA1019 PKCS#1 v1.5 encryption is part of the Parsec/PSA contract (RsaPkcs1v15Crypt)
	if pt, err = d.Decrypt(nil, ct, &rsa.PKCS1v15DecryptOptions{}); err != nil || string(pt) != "secret" {
		t.Fatalf("PKCS#1 v1.5 decrypt = %q, %v", pt, err)
	}
	// Session-key mode: a bad ciphertext yields random bytes, not an error.
	bad := new(big.Int).SetInt64(12345).FillBytes(make([]byte, 128))
	//lint:ignore SA1019 PKCS#1 v1.5 encryption is part of the Parsec/PSA contract (RsaPkcs1v15Crypt)
	if pt, err = d.Decrypt(rand.Reader, bad, &rsa.PKCS1v15DecryptOptions{SessionKeyLen: 16}); err != nil || len(pt) != 16 {
		t.Fatalf("session key decrypt = %x, %v", pt, err)
	}
}

func TestHashMapping(t *testing.T) {
	for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA224, crypto.SHA256, crypto.SHA384, crypto.SHA512, crypto.SHA3_256} {
		p, err := client.HashFromCrypto(h)
		if err != nil || p.Size() != h.Size() || client.CryptoHash(p) != h {
			t.Errorf("%v -> %v, %v", h, p, err)
		}
	}
	if _, err := client.HashFromCrypto(crypto.MD5SHA1); !errors.Is(err, status.PsaErrorNotSupported) {
		t.Errorf("MD5SHA1: %v", err)
	}
}
