// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package providertest is a black-box conformance suite for crypto
// providers: key generation, signing and verification (checked
// independently with the Go standard library), public key export,
// destruction, duplicate and unknown names, and isolation of applications.
// Every provider runs it from its own tests:
//
//	func TestConformance(t *testing.T) {
//		providertest.Run(t, func(t *testing.T) provider.Provider { return newTestProvider(t) })
//	}
//
// The suite needs provider.KeyManagement and provider.AsymSign; subtests for
// the optional families (KeyExport, AsymEncryption) run when the provider
// implements them. Keys used: secp256r1 and RSA 2048, which every Parsec
// provider supports.
package providertest

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"math/big"
	"regexp"
	"testing"

	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
)

// DefaultCallers are the two applications used when Run is given fewer than two.
var DefaultCallers = [2]storage.Client{
	{App: "providertest-app-a", Auth: parsec.AuthDirect},
	{App: "providertest-app-b", Auth: parsec.AuthDirect},
}

// Run runs the suite. newProvider must return a fresh provider with an empty
// key store for every call (each subtest takes its own); it should register
// its own cleanup with t.Cleanup. callers, when two or more are given, are
// the two distinct applications to use (the first is the main one).
func Run(t *testing.T, newProvider func(t *testing.T) provider.Provider, callers ...storage.Client) {
	t.Helper()
	cs := DefaultCallers
	if len(callers) >= 2 {
		cs = [2]storage.Client{callers[0], callers[1]}
	}
	if cs[0] == cs[1] {
		t.Fatalf("providertest: the two callers must differ")
	}
	s := &suite{newProvider: newProvider, a: cs[0], b: cs[1]}
	tests := []struct {
		name string
		fn   func(t *testing.T, p provider.Provider)
	}{
		{"Info", s.info},
		{"ECDSA/GenerateSignVerify", s.ecdsaSignVerify},
		{"ECDSA/ExportPublicKey", s.ecdsaExport},
		{"ECDSA/ImportPublicAndVerify", s.ecdsaImportPublic},
		{"RSA/GenerateSignVerify", s.rsaSignVerify},
		{"RSA/Encryption", s.rsaEncryption},
		{"Policy", s.policy},
		{"Destroy", s.destroy},
		{"Duplicate", s.duplicate},
		{"Unknown", s.unknown},
		{"ExportKeyNeedsFlag", s.exportKeyNeedsFlag},
		{"TwoApps", s.twoApps},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newProvider(t)
			if p == nil {
				t.Fatal("newProvider returned nil")
			}
			tc.fn(t, p)
		})
	}
}

type suite struct {
	newProvider func(t *testing.T) provider.Provider
	a, b        storage.Client
}

// WantCode fails the test unless err carries the status code want.
func WantCode(t testing.TB, err error, want status.Code, what string) {
	t.Helper()
	if want == status.Success {
		if err != nil {
			t.Fatalf("%s: unexpected error: %v", what, err)
		}
		return
	}
	if err == nil {
		t.Fatalf("%s: succeeded, want %v", what, want)
	}
	if !errors.Is(err, want) {
		t.Fatalf("%s: got %v (%v), want %v", what, status.CodeOf(err), err, want)
	}
}

func km(t *testing.T, p provider.Provider) provider.KeyManagement {
	t.Helper()
	k, ok := p.(provider.KeyManagement)
	if !ok {
		t.Fatalf("%T does not implement provider.KeyManagement", p)
	}
	return k
}

func signer(t *testing.T, p provider.Provider) provider.AsymSign {
	t.Helper()
	s, ok := p.(provider.AsymSign)
	if !ok {
		t.Fatalf("%T does not implement provider.AsymSign", p)
	}
	return s
}

// Attribute templates.

var (
	// ECDSASHA256 is ECDSA with SHA-256.
	ECDSASHA256 = psa.AsymSign{Kind: psa.SignEcdsa, Hash: psa.HashSHA256}
	// RSAPKCS1SHA256 is RSA PKCS#1 v1.5 with SHA-256.
	RSAPKCS1SHA256 = psa.AsymSign{Kind: psa.SignRsaPkcs1v15, Hash: psa.HashSHA256}
	// OAEPSHA256 is RSA OAEP with SHA-256.
	OAEPSHA256 = psa.AsymEncrypt{Kind: psa.EncRsaOaep, Hash: psa.HashSHA256}
)

const signVerify = psa.UsageSignHash | psa.UsageVerifyHash | psa.UsageSignMessage | psa.UsageVerifyMessage

// ECCPair returns attributes of a secp256r1 key pair allowed to sign with alg.
func ECCPair(usage psa.UsageFlags, alg psa.AsymSign) psa.KeyAttributes {
	return psa.KeyAttributes{
		Type:   psa.KeyType{Kind: psa.KeyEccPair, EccFamily: psa.EccSecpR1},
		Bits:   256,
		Policy: psa.KeyPolicy{Usage: usage, Alg: psa.Algorithm{Kind: psa.AlgAsymSign, Sign: alg}},
	}
}

// RSAPair returns attributes of an RSA 2048 key pair allowed to sign with alg.
func RSAPair(usage psa.UsageFlags, alg psa.AsymSign) psa.KeyAttributes {
	return psa.KeyAttributes{
		Type:   psa.KeyType{Kind: psa.KeyRsaPair},
		Bits:   2048,
		Policy: psa.KeyPolicy{Usage: usage, Alg: psa.Algorithm{Kind: psa.AlgAsymSign, Sign: alg}},
	}
}

// RSACryptPair returns attributes of an RSA 2048 key pair allowed to encrypt with alg.
func RSACryptPair(usage psa.UsageFlags, alg psa.AsymEncrypt) psa.KeyAttributes {
	return psa.KeyAttributes{
		Type:   psa.KeyType{Kind: psa.KeyRsaPair},
		Bits:   2048,
		Policy: psa.KeyPolicy{Usage: usage, Alg: psa.Algorithm{Kind: psa.AlgAsymEncrypt, Encrypt: alg}},
	}
}

func digest(msg string) []byte {
	h := sha256.Sum256([]byte(msg))
	return h[:]
}

// ParseECPoint parses an uncompressed secp256r1 point exported by a provider.
func ParseECPoint(t testing.TB, data []byte) *ecdsa.PublicKey {
	t.Helper()
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), data)
	if err != nil {
		t.Fatalf("exported ECC public key (%d bytes) is not an uncompressed P-256 point: %v", len(data), err)
	}
	return pub
}

// RawToRS splits a PSA r‖s ECDSA signature.
func RawToRS(t testing.TB, sig []byte, size int) (r, s *big.Int) {
	t.Helper()
	if len(sig) != 2*size {
		t.Fatalf("ECDSA signature is %d bytes, want %d (r‖s)", len(sig), 2*size)
	}
	return new(big.Int).SetBytes(sig[:size]), new(big.Int).SetBytes(sig[size:])
}

func flip(b []byte) []byte {
	c := bytes.Clone(b)
	c[len(c)/2] ^= 0x01
	return c
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func (s *suite) info(t *testing.T, p provider.Provider) {
	info := p.Info()
	if !info.ID.Known() || info.ID == parsec.ProviderCore {
		t.Errorf("Info().ID = %v, want a crypto provider id", info.ID)
	}
	if !uuidRE.MatchString(info.UUID) {
		t.Errorf("Info().UUID = %q, want a lowercase hyphenated UUID", info.UUID)
	}
	if info.Description == "" || info.Vendor == "" {
		t.Errorf("Info() lacks a description or vendor: %+v", info)
	}
	if p.Name() == "" {
		t.Error("Name() is empty")
	}
}

func (s *suite) ecdsaSignVerify(t *testing.T, p provider.Provider) {
	ctx := context.Background()
	k, sg := km(t, p), signer(t, p)
	WantCode(t, k.GenerateKey(ctx, s.a, "ecc-sign", ECCPair(signVerify, ECDSASHA256)), status.Success, "GenerateKey P-256")
	h := digest("providertest message")
	sig, err := sg.SignHash(ctx, s.a, "ecc-sign", ECDSASHA256, h)
	WantCode(t, err, status.Success, "SignHash")
	WantCode(t, sg.VerifyHash(ctx, s.a, "ecc-sign", ECDSASHA256, h, sig), status.Success, "VerifyHash own signature")

	point, err := k.ExportPublicKey(ctx, s.a, "ecc-sign")
	WantCode(t, err, status.Success, "ExportPublicKey")
	r, ss := RawToRS(t, sig, 32)
	if !ecdsa.Verify(ParseECPoint(t, point), h, r, ss) {
		t.Fatal("crypto/ecdsa does not verify the provider's signature")
	}

	WantCode(t, sg.VerifyHash(ctx, s.a, "ecc-sign", ECDSASHA256, h, flip(sig)), status.PsaErrorInvalidSignature, "VerifyHash tampered signature")
	WantCode(t, sg.VerifyHash(ctx, s.a, "ecc-sign", ECDSASHA256, flip(h), sig), status.PsaErrorInvalidSignature, "VerifyHash other hash")
	WantCode(t, sg.VerifyHash(ctx, s.a, "ecc-sign", ECDSASHA256, h, sig[:63]), status.PsaErrorInvalidSignature, "VerifyHash short signature")
	_, err = sg.SignHash(ctx, s.a, "ecc-sign", ECDSASHA256, h[:20])
	WantCode(t, err, status.PsaErrorInvalidArgument, "SignHash with a 20-byte hash for SHA-256")
}

func (s *suite) ecdsaExport(t *testing.T, p provider.Provider) {
	ctx := context.Background()
	k := km(t, p)
	WantCode(t, k.GenerateKey(ctx, s.a, "ecc-export", ECCPair(psa.UsageVerifyHash, ECDSASHA256)), status.Success, "GenerateKey")
	point, err := k.ExportPublicKey(ctx, s.a, "ecc-export")
	WantCode(t, err, status.Success, "ExportPublicKey without any export flag")
	if len(point) != 65 || point[0] != 0x04 {
		t.Fatalf("exported point is %d bytes starting %#x, want 65 bytes starting 0x04", len(point), point[:1])
	}
	ParseECPoint(t, point)
	again, err := k.ExportPublicKey(ctx, s.a, "ecc-export")
	WantCode(t, err, status.Success, "ExportPublicKey again")
	if !bytes.Equal(point, again) {
		t.Fatal("two exports of the same key differ")
	}
}

func (s *suite) ecdsaImportPublic(t *testing.T, p provider.Provider) {
	ctx := context.Background()
	k, sg := km(t, p), signer(t, p)
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	point, err := priv.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	a := ECCPair(psa.UsageVerifyHash, ECDSASHA256)
	a.Type.Kind = psa.KeyEccPublic
	WantCode(t, k.ImportKey(ctx, s.a, "ecc-public", a, point), status.Success, "ImportKey public point")
	got, err := k.ExportPublicKey(ctx, s.a, "ecc-public")
	WantCode(t, err, status.Success, "ExportPublicKey of imported key")
	if !bytes.Equal(got, point) {
		t.Fatal("exported public key differs from the imported one")
	}
	h := digest("signed outside")
	r, ss, err := ecdsa.Sign(rand.Reader, priv, h)
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	ss.FillBytes(sig[32:])
	WantCode(t, sg.VerifyHash(ctx, s.a, "ecc-public", ECDSASHA256, h, sig), status.Success, "VerifyHash with imported public key")
	WantCode(t, sg.VerifyHash(ctx, s.a, "ecc-public", ECDSASHA256, h, flip(sig)), status.PsaErrorInvalidSignature, "VerifyHash tampered")
}

func (s *suite) rsaSignVerify(t *testing.T, p provider.Provider) {
	ctx := context.Background()
	k, sg := km(t, p), signer(t, p)
	WantCode(t, k.GenerateKey(ctx, s.a, "rsa-sign", RSAPair(signVerify, RSAPKCS1SHA256)), status.Success, "GenerateKey RSA 2048")
	der, err := k.ExportPublicKey(ctx, s.a, "rsa-sign")
	WantCode(t, err, status.Success, "ExportPublicKey")
	pub, err := x509.ParsePKCS1PublicKey(der)
	if err != nil {
		t.Fatalf("exported RSA public key is not a DER RSAPublicKey: %v", err)
	}
	if pub.N.BitLen() != 2048 || pub.E != 65537 {
		t.Fatalf("RSA public key has %d bits and e=%d, want 2048 and 65537", pub.N.BitLen(), pub.E)
	}
	h := digest("rsa message")
	sig, err := sg.SignHash(ctx, s.a, "rsa-sign", RSAPKCS1SHA256, h)
	WantCode(t, err, status.Success, "SignHash")
	if len(sig) != 256 {
		t.Fatalf("signature is %d bytes, want 256", len(sig))
	}
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, h, sig); err != nil {
		t.Fatalf("crypto/rsa does not verify the provider's signature: %v", err)
	}
	WantCode(t, sg.VerifyHash(ctx, s.a, "rsa-sign", RSAPKCS1SHA256, h, sig), status.Success, "VerifyHash")
	WantCode(t, sg.VerifyHash(ctx, s.a, "rsa-sign", RSAPKCS1SHA256, h, flip(sig)), status.PsaErrorInvalidSignature, "VerifyHash tampered")
	// A "signature" at or above the modulus is an invalid signature, not an invalid argument.
	above := bytes.Repeat([]byte{0xff}, 256)
	WantCode(t, sg.VerifyHash(ctx, s.a, "rsa-sign", RSAPKCS1SHA256, h, above), status.PsaErrorInvalidSignature, "VerifyHash value above the modulus")
}

func (s *suite) rsaEncryption(t *testing.T, p provider.Provider) {
	enc, ok := p.(provider.AsymEncryption)
	if !ok {
		t.Skipf("%T does not implement provider.AsymEncryption", p)
	}
	ctx := context.Background()
	k := km(t, p)
	WantCode(t, k.GenerateKey(ctx, s.a, "rsa-oaep", RSACryptPair(psa.UsageEncrypt|psa.UsageDecrypt, OAEPSHA256)), status.Success, "GenerateKey")
	der, err := k.ExportPublicKey(ctx, s.a, "rsa-oaep")
	WantCode(t, err, status.Success, "ExportPublicKey")
	pub, err := x509.ParsePKCS1PublicKey(der)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("secret message")
	ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, msg, nil)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := enc.AsymmetricDecrypt(ctx, s.a, "rsa-oaep", OAEPSHA256, ct, nil)
	WantCode(t, err, status.Success, "AsymmetricDecrypt of a crypto/rsa ciphertext")
	if !bytes.Equal(pt, msg) {
		t.Fatalf("decrypted %q, want %q", pt, msg)
	}
	ct, err = enc.AsymmetricEncrypt(ctx, s.a, "rsa-oaep", OAEPSHA256, msg, nil)
	WantCode(t, err, status.Success, "AsymmetricEncrypt")
	pt, err = enc.AsymmetricDecrypt(ctx, s.a, "rsa-oaep", OAEPSHA256, ct, nil)
	WantCode(t, err, status.Success, "AsymmetricDecrypt round trip")
	if !bytes.Equal(pt, msg) {
		t.Fatalf("round trip gave %q, want %q", pt, msg)
	}
	_, err = enc.AsymmetricDecrypt(ctx, s.a, "rsa-oaep", OAEPSHA256, flip(ct), nil)
	WantCode(t, err, status.PsaErrorInvalidPadding, "AsymmetricDecrypt corrupted ciphertext")
}

func (s *suite) policy(t *testing.T, p provider.Provider) {
	ctx := context.Background()
	k, sg := km(t, p), signer(t, p)
	WantCode(t, k.GenerateKey(ctx, s.a, "verify-only", ECCPair(psa.UsageVerifyHash, ECDSASHA256)), status.Success, "GenerateKey verify-only")
	h := digest("m")
	_, err := sg.SignHash(ctx, s.a, "verify-only", ECDSASHA256, h)
	WantCode(t, err, status.PsaErrorNotPermitted, "SignHash without the sign_hash usage flag")

	WantCode(t, k.GenerateKey(ctx, s.a, "sha256-only", ECCPair(signVerify, ECDSASHA256)), status.Success, "GenerateKey")
	other := psa.AsymSign{Kind: psa.SignEcdsa, Hash: psa.HashSHA384}
	h384 := make([]byte, 48)
	_, err = sg.SignHash(ctx, s.a, "sha256-only", other, h384)
	WantCode(t, err, status.PsaErrorNotPermitted, "SignHash with a hash the policy does not permit")
	_, err = sg.SignHash(ctx, s.a, "sha256-only", RSAPKCS1SHA256, h)
	WantCode(t, err, status.PsaErrorNotPermitted, "SignHash with an RSA algorithm on an ECC key")
}

func (s *suite) destroy(t *testing.T, p provider.Provider) {
	ctx := context.Background()
	k, sg := km(t, p), signer(t, p)
	WantCode(t, k.GenerateKey(ctx, s.a, "doomed", ECCPair(signVerify, ECDSASHA256)), status.Success, "GenerateKey")
	WantCode(t, k.DestroyKey(ctx, s.a, "doomed"), status.Success, "DestroyKey")
	_, err := sg.SignHash(ctx, s.a, "doomed", ECDSASHA256, digest("m"))
	WantCode(t, err, status.PsaErrorDoesNotExist, "SignHash after destroy")
	_, err = k.ExportPublicKey(ctx, s.a, "doomed")
	WantCode(t, err, status.PsaErrorDoesNotExist, "ExportPublicKey after destroy")
	WantCode(t, k.DestroyKey(ctx, s.a, "doomed"), status.PsaErrorDoesNotExist, "DestroyKey twice")
	WantCode(t, k.GenerateKey(ctx, s.a, "doomed", ECCPair(signVerify, ECDSASHA256)), status.Success, "GenerateKey reusing a destroyed name")
	_, err = sg.SignHash(ctx, s.a, "doomed", ECDSASHA256, digest("m"))
	WantCode(t, err, status.Success, "SignHash with the new key")
}

func (s *suite) duplicate(t *testing.T, p provider.Provider) {
	ctx := context.Background()
	k := km(t, p)
	WantCode(t, k.GenerateKey(ctx, s.a, "twice", ECCPair(signVerify, ECDSASHA256)), status.Success, "GenerateKey")
	before, err := k.ExportPublicKey(ctx, s.a, "twice")
	WantCode(t, err, status.Success, "ExportPublicKey")
	WantCode(t, k.GenerateKey(ctx, s.a, "twice", ECCPair(signVerify, ECDSASHA256)), status.PsaErrorAlreadyExists, "GenerateKey existing name")
	WantCode(t, k.GenerateKey(ctx, s.a, "twice", RSAPair(signVerify, RSAPKCS1SHA256)), status.PsaErrorAlreadyExists, "GenerateKey existing name, other type")
	a := ECCPair(psa.UsageVerifyHash, ECDSASHA256)
	a.Type.Kind = psa.KeyEccPublic
	WantCode(t, k.ImportKey(ctx, s.a, "twice", a, before), status.PsaErrorAlreadyExists, "ImportKey existing name")
	after, err := k.ExportPublicKey(ctx, s.a, "twice")
	WantCode(t, err, status.Success, "ExportPublicKey after failed creations")
	if !bytes.Equal(before, after) {
		t.Fatal("a refused duplicate replaced the existing key")
	}
}

func (s *suite) unknown(t *testing.T, p provider.Provider) {
	ctx := context.Background()
	k, sg := km(t, p), signer(t, p)
	h := digest("m")
	_, err := sg.SignHash(ctx, s.a, "no-such-key", ECDSASHA256, h)
	WantCode(t, err, status.PsaErrorDoesNotExist, "SignHash")
	WantCode(t, sg.VerifyHash(ctx, s.a, "no-such-key", ECDSASHA256, h, make([]byte, 64)), status.PsaErrorDoesNotExist, "VerifyHash")
	_, err = k.ExportPublicKey(ctx, s.a, "no-such-key")
	WantCode(t, err, status.PsaErrorDoesNotExist, "ExportPublicKey")
	WantCode(t, k.DestroyKey(ctx, s.a, "no-such-key"), status.PsaErrorDoesNotExist, "DestroyKey")
	if ex, ok := p.(provider.KeyExport); ok {
		_, err = ex.ExportKey(ctx, s.a, "no-such-key")
		WantCode(t, err, status.PsaErrorDoesNotExist, "ExportKey")
	}
	if enc, ok := p.(provider.AsymEncryption); ok {
		_, err = enc.AsymmetricEncrypt(ctx, s.a, "no-such-key", OAEPSHA256, []byte("x"), nil)
		WantCode(t, err, status.PsaErrorDoesNotExist, "AsymmetricEncrypt")
		_, err = enc.AsymmetricDecrypt(ctx, s.a, "no-such-key", OAEPSHA256, make([]byte, 256), nil)
		WantCode(t, err, status.PsaErrorDoesNotExist, "AsymmetricDecrypt")
	}
}

func (s *suite) exportKeyNeedsFlag(t *testing.T, p provider.Provider) {
	ex, ok := p.(provider.KeyExport)
	if !ok {
		t.Skipf("%T does not implement provider.KeyExport", p)
	}
	ctx := context.Background()
	k := km(t, p)
	WantCode(t, k.GenerateKey(ctx, s.a, "no-export", ECCPair(signVerify, ECDSASHA256)), status.Success, "GenerateKey")
	_, err := ex.ExportKey(ctx, s.a, "no-export")
	WantCode(t, err, status.PsaErrorNotPermitted, "ExportKey without the export flag")
}

func (s *suite) twoApps(t *testing.T, p provider.Provider) {
	ctx := context.Background()
	k, sg := km(t, p), signer(t, p)
	const name = "same-name"
	WantCode(t, k.GenerateKey(ctx, s.a, name, ECCPair(signVerify, ECDSASHA256)), status.Success, "GenerateKey app A")
	_, err := k.ExportPublicKey(ctx, s.b, name)
	WantCode(t, err, status.PsaErrorDoesNotExist, "app B sees app A's key")
	WantCode(t, k.DestroyKey(ctx, s.b, name), status.PsaErrorDoesNotExist, "app B destroys app A's key")
	_, err = sg.SignHash(ctx, s.b, name, ECDSASHA256, digest("m"))
	WantCode(t, err, status.PsaErrorDoesNotExist, "app B signs with app A's key")

	WantCode(t, k.GenerateKey(ctx, s.b, name, ECCPair(signVerify, ECDSASHA256)), status.Success, "GenerateKey app B, same name")
	pa, err := k.ExportPublicKey(ctx, s.a, name)
	WantCode(t, err, status.Success, "ExportPublicKey A")
	pb, err := k.ExportPublicKey(ctx, s.b, name)
	WantCode(t, err, status.Success, "ExportPublicKey B")
	if bytes.Equal(pa, pb) {
		t.Fatal("apps A and B got the same key")
	}
	h := digest("m")
	sig, err := sg.SignHash(ctx, s.a, name, ECDSASHA256, h)
	WantCode(t, err, status.Success, "SignHash A")
	WantCode(t, sg.VerifyHash(ctx, s.b, name, ECDSASHA256, h, sig), status.PsaErrorInvalidSignature, "B's key verifies A's signature")

	WantCode(t, k.DestroyKey(ctx, s.a, name), status.Success, "DestroyKey A")
	_, err = k.ExportPublicKey(ctx, s.a, name)
	WantCode(t, err, status.PsaErrorDoesNotExist, "A's key after destroy")
	still, err := k.ExportPublicKey(ctx, s.b, name)
	WantCode(t, err, status.Success, "B's key after A's destroy")
	if !bytes.Equal(still, pb) {
		t.Fatal("B's key changed when A's was destroyed")
	}
}
