// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package soft

import (
	"bytes"
	"crypto/ecdh"
	"crypto/x509"
	"fmt"
	"testing"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
)

var noAlg = psa.Algorithm{Kind: psa.AlgNone}

func symAttrs(kind psa.KeyKind, bits uint32, usage psa.UsageFlags) psa.KeyAttributes {
	return attrs(kind, 0, bits, usage, noAlg)
}

func storedKey(t *testing.T, store storage.KeyStore, p *Provider, name string) storage.KeyInfo {
	t.Helper()
	return must(store.Get(bg, storage.KeyTriple{Auth: alice.Auth, App: alice.App, Provider: p.Name(), Key: name}))
}

func TestGenerateSymmetric(t *testing.T) {
	tests := []struct {
		kind psa.KeyKind
		bits uint32
		want status.Code
	}{
		{psa.KeyAes, 128, status.Success},
		{psa.KeyAes, 192, status.Success},
		{psa.KeyAes, 256, status.Success},
		{psa.KeyAes, 0, status.PsaErrorInvalidArgument},
		{psa.KeyAes, 64, status.PsaErrorInvalidArgument},
		{psa.KeyAes, 512, status.PsaErrorInvalidArgument},
		{psa.KeyChacha20, 256, status.Success},
		{psa.KeyChacha20, 128, status.PsaErrorInvalidArgument},
		{psa.KeyHmac, 8, status.Success},
		{psa.KeyHmac, 256, status.Success},
		{psa.KeyHmac, 8192, status.Success},
		{psa.KeyHmac, 12, status.PsaErrorInvalidArgument},
		{psa.KeyHmac, 0, status.PsaErrorInvalidArgument},
		{psa.KeyHmac, 8200, status.PsaErrorNotSupported},
		{psa.KeyRawData, 2048, status.Success},
		{psa.KeyDerive, 256, status.Success},
		{psa.KeyCamellia, 128, status.PsaErrorNotSupported},
	}
	for _, tc := range tests {
		p, store := newTestProvider(t)
		a := symAttrs(tc.kind, tc.bits, psa.UsageExport)
		what := fmt.Sprintf("%v %d", a.Type, tc.bits)
		wantCode(t, p.GenerateKey(bg, alice, "k", a), tc.want, "GenerateKey "+what)
		if tc.want != status.Success {
			continue
		}
		info := storedKey(t, store, p, "k")
		if info.ID[0] != formatRaw || len(info.ID) != 1+int(tc.bits/8) || info.Attributes != a {
			t.Fatalf("%v: stored %d bytes, format %#x, attributes %+v", a.Type, len(info.ID), info.ID[0], info.Attributes)
		}
		exported := must(p.ExportKey(bg, alice, "k"))
		if !bytes.Equal(exported, info.ID[1:]) {
			t.Fatalf("%v: exported key differs from the stored one", a.Type)
		}
		_, err := p.ExportPublicKey(bg, alice, "k")
		wantCode(t, err, status.PsaErrorInvalidArgument, "ExportPublicKey of a symmetric key")
		wantCode(t, p.GenerateKey(bg, alice, "k2", a), status.Success, "GenerateKey again")
		// Two random keys of 8 bits are equal one time in 256: only keys
		// of 64 bits and more say something when they are.
		if tc.bits >= 64 && bytes.Equal(must(p.ExportKey(bg, alice, "k2")), exported) {
			t.Fatalf("%v: two generated keys are equal", a.Type)
		}
	}
}

func TestImportSymmetric(t *testing.T) {
	data := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*7 + 1)
		}
		return b
	}
	tests := []struct {
		name     string
		kind     psa.KeyKind
		bits     uint32
		data     []byte
		want     status.Code
		wantBits uint32
	}{
		{"aes128-bits0", psa.KeyAes, 0, data(16), status.Success, 128},
		{"aes192-bits0", psa.KeyAes, 0, data(24), status.Success, 192},
		{"aes256", psa.KeyAes, 256, data(32), status.Success, 256},
		{"aes-bits-mismatch", psa.KeyAes, 128, data(32), status.PsaErrorInvalidArgument, 0},
		{"aes-17-bytes", psa.KeyAes, 0, data(17), status.PsaErrorInvalidArgument, 0},
		{"aes-64-bytes", psa.KeyAes, 0, data(64), status.PsaErrorInvalidArgument, 0},
		{"aes-bits-invalid", psa.KeyAes, 100, data(16), status.PsaErrorInvalidArgument, 0},
		{"aes-empty", psa.KeyAes, 0, nil, status.PsaErrorInvalidArgument, 0},
		{"aes-huge", psa.KeyAes, 0, data(1 << 20), status.PsaErrorInvalidArgument, 0},
		{"chacha20", psa.KeyChacha20, 0, data(32), status.Success, 256},
		{"chacha20-16-bytes", psa.KeyChacha20, 0, data(16), status.PsaErrorInvalidArgument, 0},
		{"hmac-1-byte", psa.KeyHmac, 0, data(1), status.Success, 8},
		{"hmac-1024-bytes", psa.KeyHmac, 8192, data(1024), status.Success, 8192},
		{"hmac-1025-bytes", psa.KeyHmac, 0, data(1025), status.PsaErrorNotSupported, 0},
		{"hmac-huge", psa.KeyHmac, 0, data(1 << 20), status.PsaErrorNotSupported, 0},
		{"hmac-bits-mismatch", psa.KeyHmac, 16, data(3), status.PsaErrorInvalidArgument, 0},
		{"hmac-bits-not-bytes", psa.KeyHmac, 20, data(3), status.PsaErrorInvalidArgument, 0},
		{"hmac-empty", psa.KeyHmac, 0, []byte{}, status.PsaErrorInvalidArgument, 0},
		{"raw-data", psa.KeyRawData, 0, data(5), status.Success, 40},
		{"derive", psa.KeyDerive, 0, data(48), status.Success, 384},
		{"des", psa.KeyDes, 0, data(8), status.PsaErrorNotSupported, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, store := newTestProvider(t)
			a := symAttrs(tc.kind, tc.bits, psa.UsageExport)
			wantCode(t, p.ImportKey(bg, alice, "k", a, tc.data), tc.want, "ImportKey")
			if tc.want != status.Success {
				if list := must(store.List(bg, p.Name(), storage.Client{Auth: alice.Auth, App: alice.App})); len(list) != 0 {
					t.Fatal("a failed import left a key in the store")
				}
				return
			}
			if got := storedKey(t, store, p, "k").Attributes.Bits; got != tc.wantBits {
				t.Fatalf("stored %d bits, want %d", got, tc.wantBits)
			}
			if got := must(p.ExportKey(bg, alice, "k")); !bytes.Equal(got, tc.data) {
				t.Fatalf("exported %x, want %x", got, tc.data)
			}
		})
	}
}

func TestExportSymmetricNeedsFlag(t *testing.T) {
	p, _ := newTestProvider(t)
	wantCode(t, p.ImportKey(bg, alice, "k", symAttrs(psa.KeyAes, 0, psa.UsageEncrypt), make([]byte, 16)), status.Success, "ImportKey")
	_, err := p.ExportKey(bg, alice, "k")
	wantCode(t, err, status.PsaErrorNotPermitted, "ExportKey without the export flag")
	_, err = p.ExportPublicKey(bg, alice, "k")
	wantCode(t, err, status.PsaErrorInvalidArgument, "ExportPublicKey of an AES key")
}

// RFC 7748 section 6.1 (Curve25519 Diffie-Hellman example): Alice's private
// key and the public key it gives, and Bob's public key.
var (
	rfc7748AlicePriv = unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
	rfc7748AlicePub  = unhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
	rfc7748BobPub    = unhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
)

func x25519Attrs(kind psa.KeyKind, bits uint32, usage psa.UsageFlags) psa.KeyAttributes {
	return attrs(kind, psa.EccMontgomery, bits, usage, noAlg)
}

func TestMontgomeryKeys(t *testing.T) {
	p, store := newTestProvider(t)
	pair := x25519Attrs(psa.KeyEccPair, 0, psa.UsageExport)
	wantCode(t, p.ImportKey(bg, alice, "alice", pair, rfc7748AlicePriv), status.Success, "ImportKey X25519 pair")
	if got := must(p.ExportPublicKey(bg, alice, "alice")); !bytes.Equal(got, rfc7748AlicePub) {
		t.Fatalf("public key %x, want %x (RFC 7748 6.1)", got, rfc7748AlicePub)
	}
	if got := must(p.ExportKey(bg, alice, "alice")); !bytes.Equal(got, rfc7748AlicePriv) {
		t.Fatalf("exported scalar %x, want %x", got, rfc7748AlicePriv)
	}
	info := storedKey(t, store, p, "alice")
	priv, ok := must(x509.ParsePKCS8PrivateKey(info.ID[1:])).(*ecdh.PrivateKey)
	if info.ID[0] != formatPKCS8 || !ok || priv.Curve() != ecdh.X25519() || info.Attributes.Bits != 255 {
		t.Fatalf("stored format %#x, %T, %d bits", info.ID[0], priv, info.Attributes.Bits)
	}

	pub := x25519Attrs(psa.KeyEccPublic, 255, 0)
	wantCode(t, p.ImportKey(bg, alice, "bob", pub, rfc7748BobPub), status.Success, "ImportKey X25519 public key")
	if got := must(p.ExportPublicKey(bg, alice, "bob")); !bytes.Equal(got, rfc7748BobPub) {
		t.Fatalf("public key %x, want %x", got, rfc7748BobPub)
	}
	if got := must(p.ExportKey(bg, alice, "bob")); !bytes.Equal(got, rfc7748BobPub) {
		t.Fatal("ExportKey of a public key without the export flag differs from the key")
	}
	info = storedKey(t, store, p, "bob")
	if _, ok := must(x509.ParsePKIXPublicKey(info.ID[1:])).(*ecdh.PublicKey); info.ID[0] != formatPKIX || !ok {
		t.Fatalf("stored public key format %#x", info.ID[0])
	}

	// A generated pair exports a scalar that gives its public key.
	wantCode(t, p.GenerateKey(bg, alice, "gen", x25519Attrs(psa.KeyEccPair, 255, psa.UsageExport)), status.Success, "GenerateKey X25519")
	k := must(ecdh.X25519().NewPrivateKey(must(p.ExportKey(bg, alice, "gen"))))
	if !bytes.Equal(k.PublicKey().Bytes(), must(p.ExportPublicKey(bg, alice, "gen"))) {
		t.Fatal("generated scalar does not match the public key")
	}
	wantCode(t, p.ImportKey(bg, alice, "noexp", x25519Attrs(psa.KeyEccPair, 255, 0), rfc7748AlicePriv), status.Success, "ImportKey")
	_, err := p.ExportKey(bg, alice, "noexp")
	wantCode(t, err, status.PsaErrorNotPermitted, "ExportKey X25519 pair without the export flag")

	// An X25519 key cannot sign, even under an ECDSA policy.
	ecdsa256 := signAlg(psa.SignEcdsa, psa.HashSHA256)
	a := attrs(psa.KeyEccPair, psa.EccMontgomery, 255, allSign, signPolicy(ecdsa256))
	wantCode(t, p.ImportKey(bg, alice, "signer", a, rfc7748AlicePriv), status.Success, "ImportKey")
	_, err = p.SignHash(bg, alice, "signer", ecdsa256, make([]byte, 32))
	wantCode(t, err, status.PsaErrorNotSupported, "SignHash with an X25519 key")
	err = p.VerifyHash(bg, alice, "signer", ecdsa256, make([]byte, 32), make([]byte, 64))
	wantCode(t, err, status.PsaErrorNotSupported, "VerifyHash with an X25519 key")
}

func TestImportMontgomeryErrors(t *testing.T) {
	tests := []struct {
		name string
		a    psa.KeyAttributes
		data []byte
		want status.Code
	}{
		{"pair-31-bytes", x25519Attrs(psa.KeyEccPair, 0, 0), make([]byte, 31), status.PsaErrorInvalidArgument},
		{"pair-33-bytes", x25519Attrs(psa.KeyEccPair, 255, 0), make([]byte, 33), status.PsaErrorInvalidArgument},
		{"pair-x448-bits-x25519-data", x25519Attrs(psa.KeyEccPair, 448, 0), make([]byte, 32), status.PsaErrorInvalidArgument},
		{"public-x448-57-bytes", x25519Attrs(psa.KeyEccPublic, 0, 0), make([]byte, 57), status.PsaErrorInvalidArgument},
		{"pair-256-bits", x25519Attrs(psa.KeyEccPair, 256, 0), make([]byte, 32), status.PsaErrorInvalidArgument},
		{"pair-bits-mismatch", x25519Attrs(psa.KeyEccPair, 255, 0), make([]byte, 56), status.PsaErrorInvalidArgument},
		{"public-empty", x25519Attrs(psa.KeyEccPublic, 0, 0), nil, status.PsaErrorInvalidArgument},
		{"public-uncompressed-point", x25519Attrs(psa.KeyEccPublic, 0, 0), append([]byte{4}, make([]byte, 64)...), status.PsaErrorInvalidArgument},
	}
	for _, tc := range tests {
		p, _ := newTestProvider(t)
		wantCode(t, p.ImportKey(bg, alice, "k", tc.a, tc.data), tc.want, tc.name)
	}
}

func TestCorruptSymmetricStorage(t *testing.T) {
	p, store := newTestProvider(t)
	x25519 := must(encodePrivate(must(ecdh.X25519().NewPrivateKey(rfc7748AlicePriv))))
	tests := []struct {
		name string
		id   []byte
		a    psa.KeyAttributes
		want status.Code
	}{
		{"raw-short", append([]byte{formatRaw}, make([]byte, 15)...), symAttrs(psa.KeyAes, 128, 0), status.PsaErrorDataInvalid},
		{"raw-for-rsa", append([]byte{formatRaw}, make([]byte, 16)...), rsaPair(2048, 0, noAlg), status.PsaErrorDataInvalid},
		{"raw-for-x25519", append([]byte{formatRaw}, make([]byte, 32)...), x25519Attrs(psa.KeyEccPair, 255, 0), status.PsaErrorDataInvalid},
		{"pkcs8-for-aes", x25519, symAttrs(psa.KeyAes, 128, 0), status.PsaErrorDataInvalid},
		{"x25519-as-secp", x25519, attrs(psa.KeyEccPair, psa.EccSecpR1, 256, 0, noAlg), status.PsaErrorDataInvalid},
		{"x25519-as-x448", x25519, x25519Attrs(psa.KeyEccPair, 448, 0), status.PsaErrorDataInvalid},
		{"rsa-as-x25519", must(encodePrivate(testRSAKey())), x25519Attrs(psa.KeyEccPair, 255, 0), status.PsaErrorDataInvalid},
	}
	for _, tc := range tests {
		triple := storage.KeyTriple{Auth: alice.Auth, App: alice.App, Provider: p.Name(), Key: tc.name}
		if err := store.Insert(bg, triple, storage.KeyInfo{ID: tc.id, Attributes: tc.a}); err != nil {
			t.Fatal(err)
		}
		_, err := p.ExportPublicKey(bg, alice, tc.name)
		wantCode(t, err, tc.want, tc.name)
	}

	// Parsing wipes the copy of the raw key it was given.
	id := append([]byte{formatRaw}, bytes.Repeat([]byte{0xAA}, 16)...)
	k := must(parse(storage.KeyInfo{ID: id, Attributes: symAttrs(psa.KeyAes, 128, 0)}))
	if !bytes.Equal(id, make([]byte, len(id))) || !bytes.Equal(k.sym, bytes.Repeat([]byte{0xAA}, 16)) {
		t.Fatal("parse left the raw key in the stored copy, or lost it")
	}
}
