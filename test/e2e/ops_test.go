// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package e2e

// Every operation of the software provider and of the core provider, through
// the Go client against the real daemon (Direct authentication). Results are
// checked independently with the Go standard library.

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/parsecd/parsecd/src/client"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/test/testvectors"
)

// ---- helpers of ops/cli/tls/isolation tests (all prefixed "ops") ----

const (
	opsSoftUUID = "1c1139dc-ad7c-47dc-ad6b-db6fdb466552"
	opsCoreUUID = "47049873-2a43-4845-9d72-831eab668784"

	opsSignUsage  = psa.UsageSignHash | psa.UsageVerifyHash | psa.UsageSignMessage | psa.UsageVerifyMessage
	opsCryptUsage = psa.UsageEncrypt | psa.UsageDecrypt
)

// opsExpect fails the test unless err carries the status want.
func opsExpect(t testing.TB, err error, want status.Code, what string) {
	t.Helper()
	if got := status.CodeOf(err); got != want {
		t.Errorf("%s: got status %v (%d), want %v (%d); err = %v", what, got, uint16(got), want, uint16(want), err)
	}
}

// opsOK fails the test now if err is not nil.
func opsOK(t testing.TB, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func opsSign(kind psa.SignKind, h psa.Hash) psa.AsymSign { return psa.AsymSign{Kind: kind, Hash: h} }

func opsSignAttrs(t psa.KeyType, bits uint32, usage psa.UsageFlags, s psa.AsymSign) psa.KeyAttributes {
	return psa.KeyAttributes{Type: t, Bits: bits,
		Policy: psa.KeyPolicy{Usage: usage, Alg: psa.Algorithm{Kind: psa.AlgAsymSign, Sign: s}}}
}

func opsCryptAttrs(t psa.KeyType, bits uint32, usage psa.UsageFlags, e psa.AsymEncrypt) psa.KeyAttributes {
	return psa.KeyAttributes{Type: t, Bits: bits,
		Policy: psa.KeyPolicy{Usage: usage, Alg: psa.Algorithm{Kind: psa.AlgAsymEncrypt, Encrypt: e}}}
}

var (
	opsRSAPair  = psa.KeyType{Kind: psa.KeyRsaPair}
	opsRSAPub   = psa.KeyType{Kind: psa.KeyRsaPublic}
	opsECCPair  = psa.KeyType{Kind: psa.KeyEccPair, EccFamily: psa.EccSecpR1}
	opsECCPub   = psa.KeyType{Kind: psa.KeyEccPublic, EccFamily: psa.EccSecpR1}
	opsOAEP256  = psa.AsymEncrypt{Kind: psa.EncRsaOaep, Hash: psa.HashSHA256}
	opsPKCS1Enc = psa.AsymEncrypt{Kind: psa.EncRsaPkcs1v15}
)

// opsDigest hashes msg with h.
func opsDigest(h crypto.Hash, msg []byte) []byte {
	hh := h.New()
	hh.Write(msg)
	return hh.Sum(nil)
}

// opsVectorKeys loads the fixed test keys of the repository's golden
// vectors (testvectors.KeysDir). Their absence is a failure.
func opsVectorKeys(t testing.TB) (*rsa.PrivateKey, *ecdsa.PrivateKey) {
	t.Helper()
	dir := testvectors.KeysDir(t)
	read := func(name string) *pem.Block {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("fixed test key %s is missing: %v", name, err)
		}
		b, _ := pem.Decode(data)
		if b == nil {
			t.Fatalf("%s: no PEM block", name)
		}
		return b
	}
	b := read("rsa2048_test.pem")
	var rk *rsa.PrivateKey
	if k, err := x509.ParsePKCS8PrivateKey(b.Bytes); err == nil {
		rk, _ = k.(*rsa.PrivateKey)
	} else if k, err := x509.ParsePKCS1PrivateKey(b.Bytes); err == nil {
		rk = k
	}
	if rk == nil || rk.N.BitLen() != 2048 {
		t.Fatalf("rsa2048_test.pem is not a 2048-bit RSA private key")
	}
	b = read("p256_test.pem")
	var ek *ecdsa.PrivateKey
	if k, err := x509.ParseECPrivateKey(b.Bytes); err == nil {
		ek = k
	} else if k, err := x509.ParsePKCS8PrivateKey(b.Bytes); err == nil {
		ek, _ = k.(*ecdsa.PrivateKey)
	}
	if ek == nil || ek.Curve != elliptic.P256() {
		t.Fatalf("p256_test.pem is not a P-256 private key")
	}
	return rk, ek
}

// opsRSAPublic exports and parses an RSA public key.
func opsRSAPublic(t testing.TB, c *client.Client, name string) *rsa.PublicKey {
	t.Helper()
	der, err := c.ExportPublicKey(t.Context(), name)
	opsOK(t, err, "ExportPublicKey "+name)
	pub, err := x509.ParsePKCS1PublicKey(der)
	if err != nil {
		t.Fatalf("ExportPublicKey %s is not a DER RSAPublicKey: %v", name, err)
	}
	return pub
}

// opsECPublic exports and parses an ECC public key (uncompressed point).
func opsECPublic(t testing.TB, c *client.Client, name string, curve elliptic.Curve) *ecdsa.PublicKey {
	t.Helper()
	pt, err := c.ExportPublicKey(t.Context(), name)
	opsOK(t, err, "ExportPublicKey "+name)
	size := (curve.Params().BitSize + 7) / 8
	if len(pt) != 1+2*size || pt[0] != 0x04 {
		t.Fatalf("ExportPublicKey %s: %d bytes starting %#x, want an uncompressed point of %d bytes", name, len(pt), pt[0], 1+2*size)
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(curve, pt)
	if err != nil {
		t.Fatalf("ExportPublicKey %s: not a point of %s: %v", name, curve.Params().Name, err)
	}
	return pub
}

// opsVerifyECDSA checks a PSA r‖s signature with crypto/ecdsa.
func opsVerifyECDSA(pub *ecdsa.PublicKey, digest, sig []byte) bool {
	n := (pub.Curve.Params().BitSize + 7) / 8
	if len(sig) != 2*n {
		return false
	}
	return ecdsa.Verify(pub, digest, new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:]))
}

// opsRawECDSA signs with crypto/ecdsa and returns the PSA form r‖s.
func opsRawECDSA(t testing.TB, k *ecdsa.PrivateKey, digest []byte) []byte {
	t.Helper()
	der, err := ecdsa.SignASN1(rand.Reader, k, digest)
	opsOK(t, err, "ecdsa.SignASN1")
	raw, err := client.ECDSASignatureFromASN1(der, (k.Curve.Params().BitSize+7)/8)
	opsOK(t, err, "ECDSASignatureFromASN1")
	return raw
}

func opsFlip(b []byte, i int) []byte {
	out := bytes.Clone(b)
	out[i%len(out)] ^= 0x01
	return out
}

// ---- tests ----

func TestOpsCoreOperations(t *testing.T) {
	t.Parallel()
	d := NewDaemon(t, Options{}).Start()
	c := d.Direct("ops-core")
	ctx := t.Context()

	maj, min, err := c.Ping(ctx)
	if err != nil || maj != 1 || min != 0 {
		t.Fatalf("Ping = %d.%d, %v; want 1.0", maj, min, err)
	}

	ps, err := c.ListProviders(ctx)
	opsOK(t, err, "ListProviders")
	if len(ps) != 2 {
		t.Fatalf("ListProviders returned %d providers, want the software provider and the core: %+v", len(ps), ps)
	}
	if ps[0].ID != parsec.ProviderMbedCrypto || ps[0].UUID != opsSoftUUID {
		t.Errorf("first provider = id %d uuid %s, want id 1 (software provider) uuid %s", ps[0].ID, ps[0].UUID, opsSoftUUID)
	}
	if last := ps[len(ps)-1]; last.ID != parsec.ProviderCore || last.UUID != opsCoreUUID {
		t.Errorf("last provider = id %d uuid %s, want the core (0) with uuid %s", last.ID, last.UUID, opsCoreUUID)
	}
	for _, p := range ps {
		if p.Description == "" {
			t.Errorf("provider %d has no description", p.ID)
		}
	}

	soft, err := c.ListOpcodes(ctx, parsec.ProviderMbedCrypto)
	opsOK(t, err, "ListOpcodes(1)")
	// Every crypto opcode of proto-fields.md except the attestation pair
	// (0x1E, 0x1F), which the software provider answers with 1134, and MAC
	// (0x16, 0x17), which it serves but never lists: Parsec's interface crate
	// cannot decode those two and would fail the whole answer.
	wantSoft := []parsec.Opcode{0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x0A, 0x0B, 0x0C, 0x0D, 0x0F, 0x10,
		0x11, 0x12, 0x13, 0x14, 0x15, 0x18, 0x19, 0x20}
	if !slices.Equal(soft, wantSoft) {
		t.Errorf("ListOpcodes(1) = %v, want %v", soft, wantSoft)
	}
	core, err := c.ListOpcodes(ctx, parsec.ProviderCore)
	opsOK(t, err, "ListOpcodes(0)")
	if want := []parsec.Opcode{0x01, 0x08, 0x09, 0x0E, 0x1A}; !slices.Equal(core, want) {
		t.Errorf("ListOpcodes(0) = %v, want %v", core, want)
	}
	// A provider the protocol knows but this daemon does not run, and one it does not know.
	_, err = c.ListOpcodes(ctx, parsec.ProviderTpm)
	opsExpect(t, err, status.ProviderNotRegistered, "ListOpcodes(3)")
	_, err = c.ListOpcodes(ctx, 9)
	opsExpect(t, err, status.ProviderDoesNotExist, "ListOpcodes(9)")

	auths, err := c.ListAuthenticators(ctx)
	opsOK(t, err, "ListAuthenticators")
	if len(auths) != 1 || auths[0].ID != parsec.AuthDirect || auths[0].Description == "" {
		t.Errorf("ListAuthenticators = %+v, want exactly the Direct authenticator", auths)
	}

	keys, err := c.ListKeys(ctx)
	opsOK(t, err, "ListKeys")
	if len(keys) != 0 {
		t.Errorf("a fresh daemon lists keys: %+v", keys)
	}
}

func TestOpsGenerateKey(t *testing.T) {
	t.Parallel()
	d := NewDaemon(t, Options{}).Start()
	c := d.Direct("ops-gen")

	t.Run("sizes", func(t *testing.T) {
		for _, bits := range []uint32{1024, 2048, 3072, 4096} { // 4096 once only: it is slow
			name := fmt.Sprintf("rsa-%d", bits)
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				attrs := opsSignAttrs(opsRSAPair, bits, opsSignUsage, opsSign(psa.SignRsaPkcs1v15, psa.HashSHA256))
				opsOK(t, c.GenerateKey(t.Context(), name, attrs), "GenerateKey "+name)
				pub := opsRSAPublic(t, c, name)
				if pub.N.BitLen() != int(bits) || pub.E != 65537 {
					t.Errorf("%s: modulus %d bits, e = %d; want %d bits, e = 65537", name, pub.N.BitLen(), pub.E, bits)
				}
				// The key works and is the exported one.
				digest := opsDigest(crypto.SHA256, []byte(name))
				sig, err := c.SignHash(t.Context(), name, opsSign(psa.SignRsaPkcs1v15, psa.HashSHA256), digest)
				opsOK(t, err, "SignHash "+name)
				if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest, sig); err != nil {
					t.Errorf("%s: signature does not verify with the exported key: %v", name, err)
				}
			})
		}
		for _, curve := range []elliptic.Curve{elliptic.P256(), elliptic.P384(), elliptic.P521()} {
			name := "ecc-" + curve.Params().Name
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				bits := uint32(curve.Params().BitSize)
				attrs := opsSignAttrs(opsECCPair, bits, opsSignUsage, opsSign(psa.SignEcdsa, psa.HashSHA256))
				opsOK(t, c.GenerateKey(t.Context(), name, attrs), "GenerateKey "+name)
				pub := opsECPublic(t, c, name, curve)
				digest := opsDigest(crypto.SHA256, []byte(name))
				sig, err := c.SignHash(t.Context(), name, opsSign(psa.SignEcdsa, psa.HashSHA256), digest)
				opsOK(t, err, "SignHash "+name)
				if !opsVerifyECDSA(pub, digest, sig) {
					t.Errorf("%s: ECDSA signature does not verify with the exported key", name)
				}
			})
		}
	})

	ctx := t.Context()
	keys, err := c.ListKeys(ctx)
	opsOK(t, err, "ListKeys")
	got := map[string]uint32{}
	for _, k := range keys {
		if k.Provider != parsec.ProviderMbedCrypto {
			t.Errorf("key %s listed in provider %d", k.Name, k.Provider)
		}
		got[k.Name] = k.Attributes.Bits
	}
	want := map[string]uint32{"rsa-1024": 1024, "rsa-2048": 2048, "rsa-3072": 3072, "rsa-4096": 4096,
		"ecc-P-256": 256, "ecc-P-384": 384, "ecc-P-521": 521}
	if len(got) != len(want) {
		t.Errorf("ListKeys = %v, want %v", got, want)
	}
	for n, b := range want {
		if got[n] != b {
			t.Errorf("ListKeys: %s has %d bits, want %d", n, got[n], b)
		}
	}

	// Refused templates leave no mapping behind: the name stays free.
	ecdsaPol := opsSign(psa.SignEcdsa, psa.HashSHA256)
	opsExpect(t, c.GenerateKey(ctx, "bad", opsSignAttrs(opsRSAPair, 1000, opsSignUsage, opsSign(psa.SignRsaPkcs1v15, psa.HashSHA256))),
		status.PsaErrorInvalidArgument, "GenerateKey RSA 1000 bits")
	opsExpect(t, c.GenerateKey(ctx, "bad", opsSignAttrs(opsECCPair, 192, opsSignUsage, ecdsaPol)),
		status.PsaErrorNotSupported, "GenerateKey secp192r1")
	opsExpect(t, c.GenerateKey(ctx, "bad", opsSignAttrs(opsRSAPub, 2048, psa.UsageVerifyHash, opsSign(psa.SignRsaPkcs1v15, psa.HashSHA256))),
		status.PsaErrorInvalidArgument, "GenerateKey RsaPublicKey")
	opsExpect(t, c.GenerateKey(ctx, "bad", opsSignAttrs(opsECCPub, 256, psa.UsageVerifyHash, ecdsaPol)),
		status.PsaErrorInvalidArgument, "GenerateKey EccPublicKey")
	_, err = c.ExportPublicKey(ctx, "bad")
	opsExpect(t, err, status.PsaErrorDoesNotExist, "ExportPublicKey after refused generations")
	opsOK(t, c.GenerateKey(ctx, "bad", opsSignAttrs(opsECCPair, 256, opsSignUsage, ecdsaPol)), "GenerateKey on a name whose generations failed")

	// Duplicate name: refused, and the existing key is untouched.
	before, err := c.ExportPublicKey(ctx, "ecc-P-256")
	opsOK(t, err, "ExportPublicKey")
	opsExpect(t, c.GenerateKey(ctx, "ecc-P-256", opsSignAttrs(opsECCPair, 256, opsSignUsage, ecdsaPol)),
		status.PsaErrorAlreadyExists, "GenerateKey duplicate name")
	opsExpect(t, c.GenerateKey(ctx, "ecc-P-256", opsSignAttrs(opsRSAPair, 1024, opsSignUsage, opsSign(psa.SignRsaPkcs1v15, psa.HashSHA256))),
		status.PsaErrorAlreadyExists, "GenerateKey duplicate name, other type")
	after, err := c.ExportPublicKey(ctx, "ecc-P-256")
	opsOK(t, err, "ExportPublicKey")
	if !bytes.Equal(before, after) {
		t.Errorf("a refused duplicate generation changed the existing key")
	}

	// DestroyKey: the key is gone for every operation, and a second destroy is 1140.
	opsOK(t, c.DestroyKey(ctx, "ecc-P-256"), "DestroyKey")
	opsExpect(t, c.DestroyKey(ctx, "ecc-P-256"), status.PsaErrorDoesNotExist, "DestroyKey twice")
	_, err = c.ExportPublicKey(ctx, "ecc-P-256")
	opsExpect(t, err, status.PsaErrorDoesNotExist, "ExportPublicKey after destroy")
	_, err = c.SignHash(ctx, "ecc-P-256", ecdsaPol, make([]byte, 32))
	opsExpect(t, err, status.PsaErrorDoesNotExist, "SignHash after destroy")
	keys, err = c.ListKeys(ctx)
	opsOK(t, err, "ListKeys")
	for _, k := range keys {
		if k.Name == "ecc-P-256" {
			t.Errorf("ListKeys still shows a destroyed key")
		}
	}
	// The name can be reused, and gives a new key.
	opsOK(t, c.GenerateKey(ctx, "ecc-P-256", opsSignAttrs(opsECCPair, 256, opsSignUsage, ecdsaPol)), "GenerateKey after destroy")
	again, err := c.ExportPublicKey(ctx, "ecc-P-256")
	opsOK(t, err, "ExportPublicKey")
	if bytes.Equal(again, before) {
		t.Errorf("re-generating a destroyed name gave back the old key")
	}
}

func TestOpsImportExport(t *testing.T) {
	t.Parallel()
	rk, ek := opsVectorKeys(t)
	d := NewDaemon(t, Options{}).Start()
	c := d.Direct("ops-import")
	ctx := t.Context()
	pkcs1Pol := opsSign(psa.SignRsaPkcs1v15, psa.HashSHA256)
	ecdsaPol := opsSign(psa.SignEcdsa, psa.HashSHA256)

	// RSA public key, size taken from the data (bits 0).
	rsaPubDER := x509.MarshalPKCS1PublicKey(&rk.PublicKey)
	opsOK(t, c.ImportKey(ctx, "rsa-pub", opsSignAttrs(opsRSAPub, 0, psa.UsageVerifyHash, pkcs1Pol), rsaPubDER), "ImportKey RSA public")
	if got, err := c.ExportPublicKey(ctx, "rsa-pub"); err != nil || !bytes.Equal(got, rsaPubDER) {
		t.Errorf("ExportPublicKey of the imported RSA public key differs (err %v)", err)
	}
	// A public key exports without the export flag (PSA).
	if got, err := c.ExportKey(ctx, "rsa-pub"); err != nil || !bytes.Equal(got, rsaPubDER) {
		t.Errorf("ExportKey of an RSA public key = %x, %v; want its RSAPublicKey", got, err)
	}

	// RSA key pair with the export flag: the export gives back the key.
	rsaPrivDER := x509.MarshalPKCS1PrivateKey(rk)
	opsOK(t, c.ImportKey(ctx, "rsa-pair", opsSignAttrs(opsRSAPair, 2048, opsSignUsage|psa.UsageExport, pkcs1Pol), rsaPrivDER), "ImportKey RSA pair")
	if got, err := c.ExportPublicKey(ctx, "rsa-pair"); err != nil || !bytes.Equal(got, rsaPubDER) {
		t.Errorf("ExportPublicKey of the imported RSA pair differs from the key's public part (err %v)", err)
	}
	exp, err := c.ExportKey(ctx, "rsa-pair")
	opsOK(t, err, "ExportKey rsa-pair")
	if back, err := x509.ParsePKCS1PrivateKey(exp); err != nil || !back.Equal(rk) {
		t.Errorf("ExportKey of the imported RSA pair is not the imported key (err %v)", err)
	}
	digest := opsDigest(crypto.SHA256, []byte("imported RSA key"))
	sig, err := c.SignHash(ctx, "rsa-pair", pkcs1Pol, digest)
	opsOK(t, err, "SignHash rsa-pair")
	if err := rsa.VerifyPKCS1v15(&rk.PublicKey, crypto.SHA256, digest, sig); err != nil {
		t.Errorf("the imported RSA pair does not sign as the fixed key: %v", err)
	}
	// ... and the imported public key verifies that signature.
	opsOK(t, c.VerifyHash(ctx, "rsa-pub", pkcs1Pol, digest, sig), "VerifyHash with the imported RSA public key")

	// ECC public point.
	ecPoint, err := ek.PublicKey.Bytes()
	opsOK(t, err, "point")
	opsOK(t, c.ImportKey(ctx, "ecc-pub", opsSignAttrs(opsECCPub, 256, psa.UsageVerifyHash, ecdsaPol), ecPoint), "ImportKey ECC public")
	if got, err := c.ExportPublicKey(ctx, "ecc-pub"); err != nil || !bytes.Equal(got, ecPoint) {
		t.Errorf("ExportPublicKey of the imported ECC public key differs (err %v)", err)
	}

	// ECC private scalar, size from the data.
	scalar, err := ek.Bytes()
	opsOK(t, err, "scalar")
	opsOK(t, c.ImportKey(ctx, "ecc-pair", opsSignAttrs(opsECCPair, 0, opsSignUsage|psa.UsageExport, ecdsaPol), scalar), "ImportKey ECC pair")
	if got, err := c.ExportPublicKey(ctx, "ecc-pair"); err != nil || !bytes.Equal(got, ecPoint) {
		t.Errorf("ExportPublicKey of the imported ECC pair is not the fixed key's point (err %v)", err)
	}
	if got, err := c.ExportKey(ctx, "ecc-pair"); err != nil || !bytes.Equal(got, scalar) {
		t.Errorf("ExportKey of the imported ECC pair = %x, %v; want the imported scalar", got, err)
	}
	digest = opsDigest(crypto.SHA256, []byte("imported ECC key"))
	sig, err = c.SignHash(ctx, "ecc-pair", ecdsaPol, digest)
	opsOK(t, err, "SignHash ecc-pair")
	if !opsVerifyECDSA(&ek.PublicKey, digest, sig) {
		t.Errorf("the imported ECC pair does not sign as the fixed key")
	}
	opsOK(t, c.VerifyHash(ctx, "ecc-pub", ecdsaPol, digest, sig), "VerifyHash with the imported ECC public key")

	// Import errors: duplicate name, size mismatch, garbage; none leaves a mapping.
	opsExpect(t, c.ImportKey(ctx, "ecc-pub", opsSignAttrs(opsECCPub, 256, psa.UsageVerifyHash, ecdsaPol), ecPoint),
		status.PsaErrorAlreadyExists, "ImportKey twice")
	opsExpect(t, c.ImportKey(ctx, "bad", opsSignAttrs(opsRSAPub, 1024, psa.UsageVerifyHash, pkcs1Pol), rsaPubDER),
		status.PsaErrorInvalidArgument, "ImportKey RSA with a wrong key_bits")
	opsExpect(t, c.ImportKey(ctx, "bad", opsSignAttrs(opsRSAPair, 0, opsSignUsage, pkcs1Pol), []byte("not a key")),
		status.PsaErrorInvalidArgument, "ImportKey garbage RSA pair")
	badPoint := bytes.Clone(ecPoint)
	badPoint[64] ^= 1 // off the curve
	opsExpect(t, c.ImportKey(ctx, "bad", opsSignAttrs(opsECCPub, 256, psa.UsageVerifyHash, ecdsaPol), badPoint),
		status.PsaErrorInvalidArgument, "ImportKey a point off the curve")
	_, err = c.ExportPublicKey(ctx, "bad")
	opsExpect(t, err, status.PsaErrorDoesNotExist, "a failed import left a key")

	// Generated keys: export formats, and ExportKey with and without the flag.
	opsOK(t, c.GenerateKey(ctx, "gen-ecc", opsSignAttrs(opsECCPair, 256, opsSignUsage, ecdsaPol)), "GenerateKey gen-ecc")
	opsOK(t, c.GenerateKey(ctx, "gen-ecc-x", opsSignAttrs(opsECCPair, 256, opsSignUsage|psa.UsageExport, ecdsaPol)), "GenerateKey gen-ecc-x")
	opsOK(t, c.GenerateKey(ctx, "gen-rsa", opsSignAttrs(opsRSAPair, 1024, opsSignUsage, pkcs1Pol)), "GenerateKey gen-rsa")
	opsOK(t, c.GenerateKey(ctx, "gen-rsa-x", opsSignAttrs(opsRSAPair, 1024, opsSignUsage|psa.UsageExport, pkcs1Pol)), "GenerateKey gen-rsa-x")

	pt, err := c.ExportPublicKey(ctx, "gen-ecc")
	opsOK(t, err, "ExportPublicKey gen-ecc")
	if len(pt) != 65 || pt[0] != 0x04 {
		t.Errorf("P-256 public key export: %d bytes starting %#x, want a 65-byte uncompressed point", len(pt), pt[0])
	}
	_ = opsRSAPublic(t, c, "gen-rsa") // DER RSAPublicKey

	_, err = c.ExportKey(ctx, "gen-ecc")
	opsExpect(t, err, status.PsaErrorNotPermitted, "ExportKey ECC without the export flag")
	_, err = c.ExportKey(ctx, "gen-rsa")
	opsExpect(t, err, status.PsaErrorNotPermitted, "ExportKey RSA without the export flag")
	_, err = c.ExportKey(ctx, "missing")
	opsExpect(t, err, status.PsaErrorDoesNotExist, "ExportKey of a missing key")
	_, err = c.ExportPublicKey(ctx, "missing")
	opsExpect(t, err, status.PsaErrorDoesNotExist, "ExportPublicKey of a missing key")

	sc, err := c.ExportKey(ctx, "gen-ecc-x")
	opsOK(t, err, "ExportKey gen-ecc-x")
	if len(sc) != 32 {
		t.Errorf("P-256 private export is %d bytes, want the 32-byte scalar", len(sc))
	} else if priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), sc); err != nil {
		t.Errorf("P-256 private export is not a scalar: %v", err)
	} else if !priv.PublicKey.Equal(opsECPublic(t, c, "gen-ecc-x", elliptic.P256())) {
		t.Errorf("P-256 private export does not match the exported public key")
	}

	der, err := c.ExportKey(ctx, "gen-rsa-x")
	opsOK(t, err, "ExportKey gen-rsa-x")
	priv, err := x509.ParsePKCS1PrivateKey(der)
	if err != nil {
		t.Fatalf("RSA private export is not a PKCS#1 RSAPrivateKey: %v", err)
	}
	if !priv.PublicKey.Equal(opsRSAPublic(t, c, "gen-rsa-x")) {
		t.Errorf("RSA private export does not match the exported public key")
	}
	// Re-importing the exported key gives the same key.
	opsOK(t, c.ImportKey(ctx, "gen-rsa-x-copy", opsSignAttrs(opsRSAPair, 0, opsSignUsage|psa.UsageExport, pkcs1Pol), der), "re-import")
	if again, err := c.ExportKey(ctx, "gen-rsa-x-copy"); err != nil || !bytes.Equal(again, der) {
		t.Errorf("re-imported RSA key exports differently (err %v)", err)
	}
	digest = opsDigest(crypto.SHA256, []byte("copy"))
	sig, err = c.SignHash(ctx, "gen-rsa-x-copy", pkcs1Pol, digest)
	opsOK(t, err, "SignHash copy")
	opsOK(t, c.VerifyHash(ctx, "gen-rsa-x", pkcs1Pol, digest, sig), "the original key verifies the copy's signature")

	// DestroyKey of an imported key, then 1140.
	opsOK(t, c.DestroyKey(ctx, "rsa-pair"), "DestroyKey rsa-pair")
	_, err = c.ExportKey(ctx, "rsa-pair")
	opsExpect(t, err, status.PsaErrorDoesNotExist, "ExportKey after destroy")
	opsExpect(t, c.DestroyKey(ctx, "rsa-pair"), status.PsaErrorDoesNotExist, "DestroyKey twice")
}

func TestOpsSignVerify(t *testing.T) {
	t.Parallel()
	rk, ek := opsVectorKeys(t)
	d := NewDaemon(t, Options{}).Start()
	c := d.Direct("ops-sign")
	ctx := t.Context()
	msg := []byte("PARSEC end-to-end signature test")

	anyPKCS1 := psa.AsymSign{Kind: psa.SignRsaPkcs1v15, AnyHash: true}
	gen := func(t *testing.T, name string, a psa.KeyAttributes) {
		t.Helper()
		opsOK(t, c.GenerateKey(ctx, name, a), "GenerateKey "+name)
	}
	gen(t, "rsa-any", opsSignAttrs(opsRSAPair, 2048, opsSignUsage, anyPKCS1))
	gen(t, "rsa-256", opsSignAttrs(opsRSAPair, 2048, opsSignUsage, opsSign(psa.SignRsaPkcs1v15, psa.HashSHA256)))
	gen(t, "rsa-pss", opsSignAttrs(opsRSAPair, 2048, opsSignUsage, opsSign(psa.SignRsaPss, psa.HashSHA256)))
	gen(t, "p256", opsSignAttrs(opsECCPair, 256, opsSignUsage, opsSign(psa.SignEcdsa, psa.HashSHA256)))
	gen(t, "p384", opsSignAttrs(opsECCPair, 384, opsSignUsage, opsSign(psa.SignEcdsa, psa.HashSHA384)))
	gen(t, "det", opsSignAttrs(opsECCPair, 256, opsSignUsage, opsSign(psa.SignDetEcdsa, psa.HashSHA256)))
	gen(t, "verify-only", opsSignAttrs(opsECCPair, 256, psa.UsageVerifyHash, opsSign(psa.SignEcdsa, psa.HashSHA256)))

	rsaAny := opsRSAPublic(t, c, "rsa-any")
	t.Run("rsa-pkcs1v15", func(t *testing.T) {
		for _, h := range []struct {
			psa psa.Hash
			go_ crypto.Hash
		}{{psa.HashSHA256, crypto.SHA256}, {psa.HashSHA384, crypto.SHA384}, {psa.HashSHA512, crypto.SHA512}} {
			alg := opsSign(psa.SignRsaPkcs1v15, h.psa)
			digest := opsDigest(h.go_, msg)
			sig, err := c.SignHash(ctx, "rsa-any", alg, digest)
			opsOK(t, err, "SignHash rsa-any "+h.psa.String())
			if len(sig) != 256 {
				t.Errorf("%v: signature of %d bytes, want 256", h.psa, len(sig))
			}
			if err := rsa.VerifyPKCS1v15(rsaAny, h.go_, digest, sig); err != nil {
				t.Errorf("%v: crypto/rsa rejects the signature: %v", h.psa, err)
			}
			opsOK(t, c.VerifyHash(ctx, "rsa-any", alg, digest, sig), "VerifyHash "+h.psa.String())
			opsExpect(t, c.VerifyHash(ctx, "rsa-any", alg, digest, opsFlip(sig, 7)), status.PsaErrorInvalidSignature, "VerifyHash of a corrupted signature")
			opsExpect(t, c.VerifyHash(ctx, "rsa-any", alg, opsFlip(digest, 0), sig), status.PsaErrorInvalidSignature, "VerifyHash of another digest")
		}
		// PKCS#1 v1.5 signatures are deterministic.
		digest := opsDigest(crypto.SHA256, msg)
		s1, err1 := c.SignHash(ctx, "rsa-256", opsSign(psa.SignRsaPkcs1v15, psa.HashSHA256), digest)
		s2, err2 := c.SignHash(ctx, "rsa-256", opsSign(psa.SignRsaPkcs1v15, psa.HashSHA256), digest)
		if err1 != nil || err2 != nil || !bytes.Equal(s1, s2) {
			t.Errorf("two PKCS#1 v1.5 signatures of the same digest differ (%v, %v)", err1, err2)
		}
	})

	t.Run("rsa-pss", func(t *testing.T) {
		pub := opsRSAPublic(t, c, "rsa-pss")
		alg := opsSign(psa.SignRsaPss, psa.HashSHA256)
		digest := opsDigest(crypto.SHA256, msg)
		sig, err := c.SignHash(ctx, "rsa-pss", alg, digest)
		opsOK(t, err, "SignHash rsa-pss")
		// PSA's RSA-PSS salt is as long as the hash.
		if err := rsa.VerifyPSS(pub, crypto.SHA256, digest, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}); err != nil {
			t.Errorf("crypto/rsa rejects the PSS signature: %v", err)
		}
		opsOK(t, c.VerifyHash(ctx, "rsa-pss", alg, digest, sig), "VerifyHash PSS")
		opsExpect(t, c.VerifyHash(ctx, "rsa-pss", alg, digest, opsFlip(sig, 100)), status.PsaErrorInvalidSignature, "VerifyHash corrupted PSS")
		sig2, err := c.SignHash(ctx, "rsa-pss", alg, digest)
		opsOK(t, err, "SignHash rsa-pss")
		if bytes.Equal(sig, sig2) {
			t.Errorf("two PSS signatures are identical: the salt is not random")
		}
	})

	t.Run("ecdsa", func(t *testing.T) {
		for _, k := range []struct {
			name  string
			curve elliptic.Curve
			h     psa.Hash
			ch    crypto.Hash
		}{{"p256", elliptic.P256(), psa.HashSHA256, crypto.SHA256}, {"p384", elliptic.P384(), psa.HashSHA384, crypto.SHA384}} {
			pub := opsECPublic(t, c, k.name, k.curve)
			alg := opsSign(psa.SignEcdsa, k.h)
			digest := opsDigest(k.ch, msg)
			sig, err := c.SignHash(ctx, k.name, alg, digest)
			opsOK(t, err, "SignHash "+k.name)
			if !opsVerifyECDSA(pub, digest, sig) {
				t.Errorf("%s: crypto/ecdsa rejects the r‖s signature (%d bytes)", k.name, len(sig))
			}
			opsOK(t, c.VerifyHash(ctx, k.name, alg, digest, sig), "VerifyHash "+k.name)
			opsExpect(t, c.VerifyHash(ctx, k.name, alg, digest, opsFlip(sig, 3)), status.PsaErrorInvalidSignature, "VerifyHash corrupted ECDSA")
			opsExpect(t, c.VerifyHash(ctx, k.name, alg, digest, sig[:len(sig)-1]), status.PsaErrorInvalidSignature, "VerifyHash truncated ECDSA")
			sig2, err := c.SignHash(ctx, k.name, alg, digest)
			opsOK(t, err, "SignHash "+k.name)
			if bytes.Equal(sig, sig2) {
				t.Errorf("%s: randomized ECDSA gave the same signature twice", k.name)
			}
		}
	})

	t.Run("deterministic-ecdsa", func(t *testing.T) {
		pub := opsECPublic(t, c, "det", elliptic.P256())
		alg := opsSign(psa.SignDetEcdsa, psa.HashSHA256)
		digest := opsDigest(crypto.SHA256, msg)
		s1, err := c.SignHash(ctx, "det", alg, digest)
		opsOK(t, err, "SignHash det")
		s2, err := c.SignHash(ctx, "det", alg, digest)
		opsOK(t, err, "SignHash det")
		if !bytes.Equal(s1, s2) {
			t.Errorf("deterministic ECDSA gave two different signatures")
		}
		if !opsVerifyECDSA(pub, digest, s1) {
			t.Errorf("crypto/ecdsa rejects the deterministic signature")
		}
		opsOK(t, c.VerifyHash(ctx, "det", alg, digest, s1), "VerifyHash det")
		// Randomized ECDSA is another algorithm: refused by the deterministic policy.
		_, err = c.SignHash(ctx, "det", opsSign(psa.SignEcdsa, psa.HashSHA256), digest)
		opsExpect(t, err, status.PsaErrorNotPermitted, "SignHash randomized ECDSA with a deterministic-ECDSA key")
	})

	t.Run("policy", func(t *testing.T) {
		d256 := opsDigest(crypto.SHA256, msg)
		d384 := opsDigest(crypto.SHA384, msg)
		_, err := c.SignHash(ctx, "rsa-256", opsSign(psa.SignRsaPkcs1v15, psa.HashSHA256), d256[:31])
		opsExpect(t, err, status.PsaErrorInvalidArgument, "SignHash with a 31-byte SHA-256 hash")
		_, err = c.SignHash(ctx, "p256", opsSign(psa.SignEcdsa, psa.HashSHA256), d384)
		opsExpect(t, err, status.PsaErrorInvalidArgument, "SignHash ECDSA SHA-256 with a 48-byte hash")
		opsExpect(t, c.VerifyHash(ctx, "p256", opsSign(psa.SignEcdsa, psa.HashSHA256), d256[:20], make([]byte, 64)),
			status.PsaErrorInvalidArgument, "VerifyHash with a wrong hash length")
		_, err = c.SignHash(ctx, "verify-only", opsSign(psa.SignEcdsa, psa.HashSHA256), d256)
		opsExpect(t, err, status.PsaErrorNotPermitted, "SignHash without the sign_hash usage flag")
		_, err = c.SignHash(ctx, "rsa-256", opsSign(psa.SignRsaPkcs1v15, psa.HashSHA384), d384)
		opsExpect(t, err, status.PsaErrorNotPermitted, "SignHash SHA-384 with a SHA-256 policy")
		_, err = c.SignHash(ctx, "rsa-256", opsSign(psa.SignRsaPss, psa.HashSHA256), d256)
		opsExpect(t, err, status.PsaErrorNotPermitted, "SignHash RSA-PSS with a PKCS#1 v1.5 policy")
		_, err = c.SignHash(ctx, "p256", opsSign(psa.SignRsaPkcs1v15, psa.HashSHA256), d256)
		opsExpect(t, err, status.PsaErrorNotPermitted, "SignHash RSA with an ECDSA key")
		// The wildcard policy permits SHA-384 (checked above too) but not another scheme.
		_, err = c.SignHash(ctx, "rsa-any", opsSign(psa.SignRsaPkcs1v15, psa.HashSHA384), d384)
		opsOK(t, err, "SignHash SHA-384 with an Any-hash policy")
		_, err = c.SignHash(ctx, "rsa-any", opsSign(psa.SignRsaPss, psa.HashSHA384), d384)
		opsExpect(t, err, status.PsaErrorNotPermitted, "SignHash PSS with an Any-hash PKCS#1 policy")
		// The wildcard is for policies, not requests.
		_, err = c.SignHash(ctx, "rsa-any", anyPKCS1, d256)
		opsExpect(t, err, status.PsaErrorInvalidArgument, "SignHash with the Any-hash wildcard as algorithm")
		// Verify needs verify_hash: a key with sign_hash only.
		gen(t, "sign-only", opsSignAttrs(opsECCPair, 256, psa.UsageSignHash, opsSign(psa.SignEcdsa, psa.HashSHA256)))
		sig, err := c.SignHash(ctx, "sign-only", opsSign(psa.SignEcdsa, psa.HashSHA256), d256)
		opsOK(t, err, "SignHash sign-only")
		opsExpect(t, c.VerifyHash(ctx, "sign-only", opsSign(psa.SignEcdsa, psa.HashSHA256), d256, sig),
			status.PsaErrorNotPermitted, "VerifyHash without the verify_hash usage flag")
		_, err = c.SignMessage(ctx, "sign-only", opsSign(psa.SignEcdsa, psa.HashSHA256), msg)
		opsExpect(t, err, status.PsaErrorNotPermitted, "SignMessage without the sign_message usage flag")
		_, err = c.SignHash(ctx, "missing", opsSign(psa.SignEcdsa, psa.HashSHA256), d256)
		opsExpect(t, err, status.PsaErrorDoesNotExist, "SignHash with a missing key")
	})

	t.Run("imported-public-keys", func(t *testing.T) {
		// Signatures made by Go with the fixed keys verify with their imported public parts.
		ecdsaPol := opsSign(psa.SignEcdsa, psa.HashSHA256)
		pt, _ := ek.PublicKey.Bytes()
		opsOK(t, c.ImportKey(ctx, "fixed-ecc-pub", opsSignAttrs(opsECCPub, 256, psa.UsageVerifyHash|psa.UsageVerifyMessage, ecdsaPol), pt), "ImportKey")
		digest := opsDigest(crypto.SHA256, msg)
		sig := opsRawECDSA(t, ek, digest)
		opsOK(t, c.VerifyHash(ctx, "fixed-ecc-pub", ecdsaPol, digest, sig), "VerifyHash of a Go ECDSA signature")
		opsOK(t, c.VerifyMessage(ctx, "fixed-ecc-pub", ecdsaPol, msg, sig), "VerifyMessage of a Go ECDSA signature")
		opsExpect(t, c.VerifyHash(ctx, "fixed-ecc-pub", ecdsaPol, digest, opsFlip(sig, 40)), status.PsaErrorInvalidSignature, "VerifyHash bad Go ECDSA signature")
		_, err := c.SignHash(ctx, "fixed-ecc-pub", ecdsaPol, digest)
		opsExpect(t, err, status.PsaErrorNotPermitted, "SignHash with a public key (no sign usage)")

		for _, pol := range []struct {
			name string
			alg  psa.AsymSign
			sign func(digest []byte) ([]byte, error)
		}{
			{"fixed-rsa-pkcs1", opsSign(psa.SignRsaPkcs1v15, psa.HashSHA256), func(d []byte) ([]byte, error) {
				return rsa.SignPKCS1v15(nil, rk, crypto.SHA256, d)
			}},
			{"fixed-rsa-pss", opsSign(psa.SignRsaPss, psa.HashSHA256), func(d []byte) ([]byte, error) {
				return rsa.SignPSS(rand.Reader, rk, crypto.SHA256, d, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
			}},
		} {
			opsOK(t, c.ImportKey(ctx, pol.name, opsSignAttrs(opsRSAPub, 2048, psa.UsageVerifyHash|psa.UsageVerifyMessage, pol.alg),
				x509.MarshalPKCS1PublicKey(&rk.PublicKey)), "ImportKey "+pol.name)
			sig, err := pol.sign(digest)
			opsOK(t, err, "Go signature")
			opsOK(t, c.VerifyHash(ctx, pol.name, pol.alg, digest, sig), "VerifyHash of a Go signature with "+pol.name)
			opsOK(t, c.VerifyMessage(ctx, pol.name, pol.alg, msg, sig), "VerifyMessage of a Go signature with "+pol.name)
			opsExpect(t, c.VerifyHash(ctx, pol.name, pol.alg, digest, opsFlip(sig, 200)), status.PsaErrorInvalidSignature,
				"VerifyHash of a bad Go signature with "+pol.name)
		}
	})

	t.Run("message", func(t *testing.T) {
		for _, k := range []struct {
			name string
			alg  psa.AsymSign
			ch   crypto.Hash
			ok   func(digest, sig []byte) bool
		}{
			{"p256", opsSign(psa.SignEcdsa, psa.HashSHA256), crypto.SHA256, func(d, s []byte) bool {
				return opsVerifyECDSA(opsECPublic(t, c, "p256", elliptic.P256()), d, s)
			}},
			{"p384", opsSign(psa.SignEcdsa, psa.HashSHA384), crypto.SHA384, func(d, s []byte) bool {
				return opsVerifyECDSA(opsECPublic(t, c, "p384", elliptic.P384()), d, s)
			}},
			{"rsa-any", opsSign(psa.SignRsaPkcs1v15, psa.HashSHA512), crypto.SHA512, func(d, s []byte) bool {
				return rsa.VerifyPKCS1v15(rsaAny, crypto.SHA512, d, s) == nil
			}},
			{"rsa-pss", opsSign(psa.SignRsaPss, psa.HashSHA256), crypto.SHA256, func(d, s []byte) bool {
				return rsa.VerifyPSS(opsRSAPublic(t, c, "rsa-pss"), crypto.SHA256, d, s, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil
			}},
		} {
			sig, err := c.SignMessage(ctx, k.name, k.alg, msg)
			opsOK(t, err, "SignMessage "+k.name)
			if !k.ok(opsDigest(k.ch, msg), sig) {
				t.Errorf("SignMessage %s: the signature does not verify over the Go digest of the message", k.name)
			}
			opsOK(t, c.VerifyMessage(ctx, k.name, k.alg, msg, sig), "VerifyMessage "+k.name)
			opsExpect(t, c.VerifyMessage(ctx, k.name, k.alg, append(bytes.Clone(msg), '!'), sig), status.PsaErrorInvalidSignature,
				"VerifyMessage of another message with "+k.name)
			// A message signature is a hash signature of the digest.
			opsOK(t, c.VerifyHash(ctx, k.name, k.alg, opsDigest(k.ch, msg), sig), "VerifyHash of a message signature with "+k.name)
		}
		// Raw variants have no hash: they cannot sign messages.
		_, err := c.SignMessage(ctx, "p256", psa.AsymSign{Kind: psa.SignEcdsaAny}, msg)
		opsExpect(t, err, status.PsaErrorInvalidArgument, "SignMessage with EcdsaAny")
	})
}

func TestOpsAsymmetricEncryption(t *testing.T) {
	t.Parallel()
	rk, _ := opsVectorKeys(t)
	d := NewDaemon(t, Options{}).Start()
	c := d.Direct("ops-crypt")
	ctx := t.Context()
	plaintext := []byte("PARSEC asymmetric encryption test")

	opsOK(t, c.GenerateKey(ctx, "pkcs1", opsCryptAttrs(opsRSAPair, 2048, opsCryptUsage, opsPKCS1Enc)), "GenerateKey pkcs1")
	opsOK(t, c.GenerateKey(ctx, "oaep", opsCryptAttrs(opsRSAPair, 2048, opsCryptUsage, opsOAEP256)), "GenerateKey oaep")
	opsOK(t, c.GenerateKey(ctx, "enc-only", opsCryptAttrs(opsRSAPair, 1024, psa.UsageEncrypt, opsOAEP256)), "GenerateKey enc-only")

	t.Run("pkcs1v15", func(t *testing.T) {
		pub := opsRSAPublic(t, c, "pkcs1")
		ct, err := c.AsymmetricEncrypt(ctx, "pkcs1", opsPKCS1Enc, plaintext, nil)
		opsOK(t, err, "AsymmetricEncrypt PKCS#1 v1.5")
		if len(ct) != 256 {
			t.Errorf("ciphertext of %d bytes, want 256", len(ct))
		}
		pt, err := c.AsymmetricDecrypt(ctx, "pkcs1", opsPKCS1Enc, ct, nil)
		if err != nil || !bytes.Equal(pt, plaintext) {
			t.Errorf("AsymmetricDecrypt PKCS#1 v1.5 = %q, %v", pt, err)
		}
		ct2, err := c.AsymmetricEncrypt(ctx, "pkcs1", opsPKCS1Enc, plaintext, nil)
		opsOK(t, err, "AsymmetricEncrypt")
		if bytes.Equal(ct, ct2) {
			t.Errorf("PKCS#1 v1.5 encryption is not randomized")
		}
		// Go encrypts with the exported key, the daemon decrypts.
		//lint:ignore SA1019 PKCS#1 v1.5 encryption is part of the Parsec/PSA contract (RsaPkcs1v15Crypt)
		goCT, err := rsa.EncryptPKCS1v15(rand.Reader, pub, plaintext)
		opsOK(t, err, "rsa.EncryptPKCS1v15")
		pt, err = c.AsymmetricDecrypt(ctx, "pkcs1", opsPKCS1Enc, goCT, nil)
		if err != nil || !bytes.Equal(pt, plaintext) {
			t.Errorf("decrypting a crypto/rsa PKCS#1 v1.5 ciphertext = %q, %v", pt, err)
		}
		_, err = c.AsymmetricEncrypt(ctx, "pkcs1", opsPKCS1Enc, plaintext, []byte("salt"))
		opsExpect(t, err, status.PsaErrorInvalidArgument, "AsymmetricEncrypt PKCS#1 v1.5 with a salt")
		_, err = c.AsymmetricDecrypt(ctx, "pkcs1", opsPKCS1Enc, ct, []byte("salt"))
		opsExpect(t, err, status.PsaErrorInvalidArgument, "AsymmetricDecrypt PKCS#1 v1.5 with a salt")
		_, err = c.AsymmetricDecrypt(ctx, "pkcs1", opsPKCS1Enc, opsFlip(ct, 128), nil)
		opsExpect(t, err, status.PsaErrorInvalidPadding, "AsymmetricDecrypt of a corrupted PKCS#1 v1.5 ciphertext")
		_, err = c.AsymmetricEncrypt(ctx, "pkcs1", opsOAEP256, plaintext, nil)
		opsExpect(t, err, status.PsaErrorNotPermitted, "AsymmetricEncrypt OAEP with a PKCS#1 v1.5 key")
		_, err = c.AsymmetricEncrypt(ctx, "pkcs1", opsPKCS1Enc, make([]byte, 300), nil)
		opsExpect(t, err, status.PsaErrorInvalidArgument, "AsymmetricEncrypt of a plaintext longer than the key")
	})

	t.Run("oaep", func(t *testing.T) {
		pub := opsRSAPublic(t, c, "oaep")
		for _, label := range [][]byte{nil, []byte("a label, sent as the salt")} {
			ct, err := c.AsymmetricEncrypt(ctx, "oaep", opsOAEP256, plaintext, label)
			opsOK(t, err, "AsymmetricEncrypt OAEP")
			pt, err := c.AsymmetricDecrypt(ctx, "oaep", opsOAEP256, ct, label)
			if err != nil || !bytes.Equal(pt, plaintext) {
				t.Errorf("OAEP round trip (label %q) = %q, %v", label, pt, err)
			}
			// The daemon's ciphertext is standard OAEP: Go cannot decrypt it
			// without the private key, but Go's ciphertext must decrypt in the daemon.
			goCT, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, plaintext, label)
			opsOK(t, err, "rsa.EncryptOAEP")
			pt, err = c.AsymmetricDecrypt(ctx, "oaep", opsOAEP256, goCT, label)
			if err != nil || !bytes.Equal(pt, plaintext) {
				t.Errorf("decrypting a crypto/rsa OAEP ciphertext (label %q) = %q, %v", label, pt, err)
			}
			_, err = c.AsymmetricDecrypt(ctx, "oaep", opsOAEP256, opsFlip(ct, 17), label)
			opsExpect(t, err, status.PsaErrorInvalidPadding, "AsymmetricDecrypt of a corrupted OAEP ciphertext")
			_, err = c.AsymmetricDecrypt(ctx, "oaep", opsOAEP256, ct, append(bytes.Clone(label), 'x'))
			opsExpect(t, err, status.PsaErrorInvalidPadding, "AsymmetricDecrypt OAEP with the wrong label")
		}
		_, err := c.AsymmetricEncrypt(ctx, "oaep", psa.AsymEncrypt{Kind: psa.EncRsaOaep, Hash: psa.HashSHA384}, plaintext, nil)
		opsExpect(t, err, status.PsaErrorNotPermitted, "AsymmetricEncrypt OAEP SHA-384 with an OAEP SHA-256 key")
		ct, err := c.AsymmetricEncrypt(ctx, "enc-only", opsOAEP256, plaintext, nil)
		opsOK(t, err, "AsymmetricEncrypt enc-only")
		_, err = c.AsymmetricDecrypt(ctx, "enc-only", opsOAEP256, ct, nil)
		opsExpect(t, err, status.PsaErrorNotPermitted, "AsymmetricDecrypt without the decrypt usage flag")
		_, err = c.AsymmetricEncrypt(ctx, "missing", opsOAEP256, plaintext, nil)
		opsExpect(t, err, status.PsaErrorDoesNotExist, "AsymmetricEncrypt with a missing key")
	})

	t.Run("imported-public-key", func(t *testing.T) {
		// The daemon encrypts with an imported public key; Go decrypts with the private key.
		der := x509.MarshalPKCS1PublicKey(&rk.PublicKey)
		opsOK(t, c.ImportKey(ctx, "fixed-oaep", opsCryptAttrs(opsRSAPub, 2048, psa.UsageEncrypt, opsOAEP256), der), "ImportKey OAEP public")
		opsOK(t, c.ImportKey(ctx, "fixed-pkcs1", opsCryptAttrs(opsRSAPub, 2048, psa.UsageEncrypt, opsPKCS1Enc), der), "ImportKey PKCS#1 public")
		label := []byte("label")
		ct, err := c.AsymmetricEncrypt(ctx, "fixed-oaep", opsOAEP256, plaintext, label)
		opsOK(t, err, "AsymmetricEncrypt fixed-oaep")
		if pt, err := rsa.DecryptOAEP(sha256.New(), nil, rk, ct, label); err != nil || !bytes.Equal(pt, plaintext) {
			t.Errorf("crypto/rsa cannot decrypt the daemon's OAEP ciphertext: %q, %v", pt, err)
		}
		ct, err = c.AsymmetricEncrypt(ctx, "fixed-pkcs1", opsPKCS1Enc, plaintext, nil)
		opsOK(t, err, "AsymmetricEncrypt fixed-pkcs1")
		//lint:ignore SA1019 PKCS#1 v1.5 encryption is part of the Parsec/PSA contract (RsaPkcs1v15Crypt)
		if pt, err := rsa.DecryptPKCS1v15(nil, rk, ct); err != nil || !bytes.Equal(pt, plaintext) {
			t.Errorf("crypto/rsa cannot decrypt the daemon's PKCS#1 v1.5 ciphertext: %q, %v", pt, err)
		}
		_, err = c.AsymmetricDecrypt(ctx, "fixed-pkcs1", opsPKCS1Enc, ct, nil)
		opsExpect(t, err, status.PsaErrorNotPermitted, "AsymmetricDecrypt with a public key without decrypt usage")
	})
}

func TestOpsRandomAndHash(t *testing.T) {
	t.Parallel()
	d := NewDaemon(t, Options{}).Start()
	c := d.Direct("ops-hash")
	ctx := t.Context()

	for _, n := range []int{0, 1, 32, 4096} {
		b, err := c.GenerateRandom(ctx, n)
		if err != nil || len(b) != n {
			t.Errorf("GenerateRandom(%d) = %d bytes, %v", n, len(b), err)
		}
	}
	a, err1 := c.GenerateRandom(ctx, 32)
	b, err2 := c.GenerateRandom(ctx, 32)
	if err1 != nil || err2 != nil || bytes.Equal(a, b) || bytes.Equal(a, make([]byte, 32)) {
		t.Errorf("two GenerateRandom(32) calls: %x / %x (%v, %v)", a, b, err1, err2)
	}
	// GenerateRandom needs no authentication.
	nc := d.Client(client.WithAuth(client.NoAuth()))
	if r, err := nc.GenerateRandom(ctx, 16); err != nil || len(r) != 16 {
		t.Errorf("unauthenticated GenerateRandom(16) = %x, %v", r, err)
	}

	input := []byte("The quick brown fox jumps over the lazy dog")
	for _, h := range []struct {
		alg psa.Hash
		new func() hash.Hash
	}{
		{psa.HashMD5, md5.New}, {psa.HashSHA1, sha1.New},
		{psa.HashSHA224, sha256.New224}, {psa.HashSHA256, sha256.New},
		{psa.HashSHA384, sha512.New384}, {psa.HashSHA512, sha512.New},
		{psa.HashSHA512224, sha512.New512_224}, {psa.HashSHA512256, sha512.New512_256},
		{psa.HashSHA3_224, func() hash.Hash { return sha3.New224() }}, {psa.HashSHA3_256, func() hash.Hash { return sha3.New256() }},
		{psa.HashSHA3_384, func() hash.Hash { return sha3.New384() }}, {psa.HashSHA3_512, func() hash.Hash { return sha3.New512() }},
	} {
		hh := h.new()
		hh.Write(input)
		want := hh.Sum(nil)
		got, err := c.HashCompute(ctx, h.alg, input)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("HashCompute %v = %x, %v; want %x", h.alg, got, err, want)
			continue
		}
		// Hashing needs no authentication either.
		if got, err := nc.HashCompute(ctx, h.alg, nil); err != nil || len(got) != h.alg.Size() {
			t.Errorf("HashCompute %v of nothing, unauthenticated = %x, %v", h.alg, got, err)
		}
		opsOK(t, c.HashCompare(ctx, h.alg, input, want), "HashCompare "+h.alg.String())
		opsExpect(t, c.HashCompare(ctx, h.alg, input, opsFlip(want, 5)), status.PsaErrorInvalidSignature, "HashCompare mismatch "+h.alg.String())
		opsExpect(t, c.HashCompare(ctx, h.alg, input, want[:len(want)-1]), status.PsaErrorInvalidSignature, "HashCompare short hash "+h.alg.String())
	}
	for _, h := range []psa.Hash{psa.HashMD2, psa.HashMD4} {
		_, err := c.HashCompute(ctx, h, input)
		opsExpect(t, err, status.PsaErrorNotSupported, "HashCompute "+h.String())
	}
}

// What the software provider still refuses (everything else of
// proto-fields.md is exercised positively in psa_full_test.go): the
// attestation pair and the unimplemented algorithms (1134), an algorithm
// that does not fit the key type (1133; CanDoCrypto answers 1134 for it, as
// Parsec does); the daemon keeps serving.
func TestOpsUnsupportedOperations(t *testing.T) {
	t.Parallel()
	rk, _ := opsVectorKeys(t)
	d := NewDaemon(t, Options{}).Start()
	c := d.Direct("ops-unsupported")
	ctx := t.Context()
	ecdsaPol := opsSign(psa.SignEcdsa, psa.HashSHA256)
	opsOK(t, c.GenerateKey(ctx, "k", opsSignAttrs(opsECCPair, 256, opsSignUsage, ecdsaPol)), "GenerateKey")
	xtsAttrs := psa.KeyAttributes{Type: psa.KeyType{Kind: psa.KeyAes}, Bits: 256,
		Policy: psa.KeyPolicy{Usage: opsCryptUsage, Alg: psa.Algorithm{Kind: psa.AlgCipher, Cipher: psa.CipherXts}}}
	opsOK(t, c.GenerateKey(ctx, "xts", xtsAttrs), "GenerateKey AES with an XTS policy (policies are checked on use)")
	gcm := psa.Aead{Alg: psa.AeadGcm}
	gcmPol := psa.Algorithm{Kind: psa.AlgAead, Aead: gcm}
	opsOK(t, c.ImportKey(ctx, "rsa-gcm", psa.KeyAttributes{Type: opsRSAPair, Bits: 2048,
		Policy: psa.KeyPolicy{Usage: opsCryptUsage, Alg: gcmPol}}, x509.MarshalPKCS1PrivateKey(rk)), "ImportKey RSA with a GCM policy")
	ffdh := psa.Algorithm{Kind: psa.AlgKeyAgreement, KeyAgreement: psa.KeyAgreement{Raw: psa.KeyAgreementFfdh}}
	dhAttrs := psa.KeyAttributes{Type: psa.KeyType{Kind: psa.KeyDhPair}, Bits: 2048,
		Policy: psa.KeyPolicy{Usage: psa.UsageDerive, Alg: ffdh}}

	calls := []struct {
		name string
		want status.Code
		call func() error
	}{
		{"PrepareKeyAttestation", status.PsaErrorNotSupported, func() error { _, err := c.PrepareKeyAttestation(ctx, "k", ""); return err }},
		{"AttestKey", status.PsaErrorNotSupported, func() error { _, err := c.AttestKey(ctx, "k", "", []byte{1}, []byte{2}); return err }},
		{"CipherEncrypt XTS", status.PsaErrorNotSupported, func() error { _, err := c.CipherEncrypt(ctx, "xts", psa.CipherXts, make([]byte, 32)); return err }},
		{"CipherDecrypt XTS", status.PsaErrorNotSupported, func() error { _, err := c.CipherDecrypt(ctx, "xts", psa.CipherXts, make([]byte, 48)); return err }},
		{"CanDoCrypto(use, AES-XTS)", status.PsaErrorNotSupported, func() error { return c.CanDoCrypto(ctx, client.CheckUse, xtsAttrs) }},
		{"GenerateKey FFDH key pair", status.PsaErrorNotSupported, func() error { return c.GenerateKey(ctx, "dh", dhAttrs) }},
		{"ImportKey FFDH key pair", status.PsaErrorNotSupported, func() error { return c.ImportKey(ctx, "dh", dhAttrs, make([]byte, 256)) }},
		{"CanDoCrypto(use, FFDH)", status.PsaErrorNotSupported, func() error { return c.CanDoCrypto(ctx, client.CheckUse, dhAttrs) }},
		{"CanDoCrypto(generate, FFDH)", status.PsaErrorNotSupported, func() error { return c.CanDoCrypto(ctx, client.CheckGenerate, dhAttrs) }},
		{"CanDoCrypto(derive)", status.PsaErrorNotSupported, func() error {
			return c.CanDoCrypto(ctx, client.CheckDerive, opsSignAttrs(opsECCPair, 256, opsSignUsage, ecdsaPol))
		}},
		{"AeadEncrypt with an ECDSA key", status.PsaErrorNotPermitted, func() error {
			_, err := c.AeadEncrypt(ctx, "k", gcm, make([]byte, 12), nil, []byte("x"))
			return err
		}},
		{"AeadEncrypt with an RSA key (GCM policy)", status.PsaErrorNotPermitted, func() error {
			_, err := c.AeadEncrypt(ctx, "rsa-gcm", gcm, make([]byte, 12), nil, []byte("x"))
			return err
		}},
		{"AeadDecrypt with an RSA key (GCM policy)", status.PsaErrorNotPermitted, func() error {
			_, err := c.AeadDecrypt(ctx, "rsa-gcm", gcm, make([]byte, 12), nil, make([]byte, 17))
			return err
		}},
		{"CanDoCrypto(use, RSA with GCM)", status.PsaErrorNotSupported, func() error {
			return c.CanDoCrypto(ctx, client.CheckUse, psa.KeyAttributes{Type: opsRSAPair, Bits: 2048, Policy: psa.KeyPolicy{Usage: opsCryptUsage, Alg: gcmPol}})
		}},
	}
	digest := opsDigest(crypto.SHA256, []byte("still serving"))
	for _, cl := range calls {
		opsExpect(t, cl.call(), cl.want, cl.name)
		// The daemon keeps serving after each refusal.
		if maj, _, err := c.Ping(ctx); err != nil || maj != 1 {
			t.Fatalf("Ping after %s: %v", cl.name, err)
		}
	}
	sig, err := c.SignHash(ctx, "k", ecdsaPol, digest)
	opsOK(t, err, "SignHash after the unsupported operations")
	opsOK(t, c.VerifyHash(ctx, "k", ecdsaPol, digest, sig), "VerifyHash after the unsupported operations")

	// Concurrent clients keep working side by side with refused requests.
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			if i%2 == 0 {
				_, err := c.CipherEncrypt(ctx, "xts", psa.CipherXts, make([]byte, 32))
				if status.CodeOf(err) != status.PsaErrorNotSupported {
					errs <- errors.Join(errors.New("CipherEncrypt XTS"), err)
				}
				return
			}
			s, err := c.SignHash(ctx, "k", ecdsaPol, digest)
			if err == nil {
				err = c.VerifyHash(ctx, "k", ecdsaPol, digest, s)
			}
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent request: %v", err)
	}
}

// Concurrent requests on one key name: one generation wins, and a destroyed
// then re-generated name never signs with the old key (the provider caches
// parsed keys).
func TestOpsConcurrentKeyLifecycle(t *testing.T) {
	t.Parallel()
	d := NewDaemon(t, Options{}).Start()
	c := d.Direct("ops-concurrent")
	ctx := t.Context()
	alg := opsSign(psa.SignEcdsa, psa.HashSHA256)
	attrs := opsSignAttrs(opsECCPair, 256, opsSignUsage, alg)

	const n = 12
	codes := make(chan status.Code, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { codes <- status.CodeOf(c.GenerateKey(ctx, "race", attrs)) })
	}
	wg.Wait()
	close(codes)
	count := map[status.Code]int{}
	for code := range codes {
		count[code]++
	}
	if count[status.Success] != 1 || count[status.PsaErrorAlreadyExists] != n-1 {
		t.Errorf("%d concurrent GenerateKey of one name: %v; want 1 success and %d PsaErrorAlreadyExists", n, count, n-1)
	}

	digest := opsDigest(crypto.SHA256, []byte("lifecycle"))
	for round := range 5 {
		old := opsECPublic(t, c, "race", elliptic.P256())
		// Warm the provider's cache, then replace the key while signers run.
		if _, err := c.SignHash(ctx, "race", alg, digest); err != nil {
			t.Fatalf("round %d: SignHash: %v", round, err)
		}
		stop := make(chan struct{})
		sigs := make(chan []byte, 1024)
		var signers sync.WaitGroup
		for range 4 {
			signers.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					sig, err := c.SignHash(ctx, "race", alg, digest)
					switch status.CodeOf(err) {
					case status.Success:
						select {
						case sigs <- sig:
						default:
						}
					case status.PsaErrorDoesNotExist:
					default:
						t.Errorf("SignHash during destroy/generate: %v", err)
						return
					}
				}
			})
		}
		opsOK(t, c.DestroyKey(ctx, "race"), "DestroyKey")
		_, err := c.SignHash(ctx, "race", alg, digest)
		opsExpect(t, err, status.PsaErrorDoesNotExist, "SignHash right after DestroyKey returned")
		opsOK(t, c.GenerateKey(ctx, "race", attrs), "GenerateKey again")
		fresh := opsECPublic(t, c, "race", elliptic.P256())
		// Once the new key exists, every signature is made with it.
		for range 5 {
			sig, err := c.SignHash(ctx, "race", alg, digest)
			opsOK(t, err, "SignHash after re-generation")
			if !opsVerifyECDSA(fresh, digest, sig) {
				t.Fatalf("round %d: a signature made after re-generation is not by the new key (old key verifies: %v)",
					round, opsVerifyECDSA(old, digest, sig))
			}
		}
		close(stop)
		signers.Wait()
		close(sigs)
		for sig := range sigs {
			if !opsVerifyECDSA(old, digest, sig) && !opsVerifyECDSA(fresh, digest, sig) {
				t.Errorf("round %d: a concurrent signature is by neither the old nor the new key", round)
			}
		}
	}
}
