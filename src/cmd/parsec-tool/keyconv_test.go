// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package main

import (
	"bytes"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parsecd/parsecd/src/psa"
)

// The fixtures in testdata are made by testdata/gen.sh with OpenSSL: one
// RSA-1024, one P-384 and one X25519 key in every PEM form OpenSSL writes,
// and the PSA formats of each in hex (*.priv.hex, *.pub.hex).

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func hexTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.TrimSpace(string(readTestdata(t, name))))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return b
}

var (
	rsaPair    = psa.KeyType{Kind: psa.KeyRsaPair}
	rsaPublic  = psa.KeyType{Kind: psa.KeyRsaPublic}
	pemFixture = []struct {
		file    string // PEM file in testdata
		keyType psa.KeyType
		bits    uint32
		psaHex  string // file with the PSA import format of the key in hex
	}{
		{"rsa-1024-pkcs1.pem", rsaPair, 1024, "rsa-1024.priv.hex"},      // RSA PRIVATE KEY
		{"rsa-1024-pkcs8.pem", rsaPair, 1024, "rsa-1024.priv.hex"},      // PRIVATE KEY
		{"rsa-1024-pkcs1-pub.pem", rsaPublic, 1024, "rsa-1024.pub.hex"}, // RSA PUBLIC KEY
		{"rsa-1024-spki.pem", rsaPublic, 1024, "rsa-1024.pub.hex"},      // PUBLIC KEY
		{"rsa-1024-pkcs8.pem", rsaPublic, 1024, "rsa-1024.pub.hex"},     // public half of a private key
		{"ec-p384-sec1.pem", secpR1, 384, "ec-p384.priv.hex"},           // EC PARAMETERS + EC PRIVATE KEY
		{"ec-p384-pkcs8.pem", secpR1, 384, "ec-p384.priv.hex"},          // PRIVATE KEY
		{"ec-p384-spki.pem", secpR1.PublicOf(), 384, "ec-p384.pub.hex"}, // PUBLIC KEY
		{"ec-p384-sec1.pem", secpR1.PublicOf(), 384, "ec-p384.pub.hex"}, // public half
		{"x25519-pkcs8.pem", x25519, 255, "x25519.priv.hex"},            // PRIVATE KEY (RFC 8410)
		{"x25519-spki.pem", x25519.PublicOf(), 255, "x25519.pub.hex"},   // PUBLIC KEY (RFC 8410)
		{"x25519-pkcs8.pem", x25519.PublicOf(), 255, "x25519.pub.hex"},  // public half
	}
)

// Each PEM kind converts to the PSA import format OpenSSL's own DER gives.
func TestImportMaterialPEM(t *testing.T) {
	for _, f := range pemFixture {
		attrs := psa.KeyAttributes{Type: f.keyType}
		data, err := importMaterial(&attrs, readTestdata(t, f.file))
		if err != nil {
			t.Errorf("%s as %s: %v", f.file, keyTypeName(f.keyType), err)
			continue
		}
		if want := hexTestdata(t, f.psaHex); !bytes.Equal(data, want) || attrs.Bits != f.bits {
			t.Errorf("%s as %s: %d bits, %x\nwant %d bits, %x", f.file, keyTypeName(f.keyType), attrs.Bits, data, f.bits, want)
		}
	}
}

func TestImportMaterialRawAndErrors(t *testing.T) {
	// Raw bytes pass through; symmetric keys take their size from them,
	// asymmetric ones leave it to the service.
	aes := psa.KeyAttributes{Type: psa.KeyType{Kind: psa.KeyAes}}
	if data, err := importMaterial(&aes, make([]byte, 24)); err != nil || len(data) != 24 || aes.Bits != 192 {
		t.Errorf("raw AES: %d bytes, %d bits, %v", len(data), aes.Bits, err)
	}
	ecc := psa.KeyAttributes{Type: secpR1}
	scalar := hexTestdata(t, "ec-p384.priv.hex")
	if data, err := importMaterial(&ecc, scalar); err != nil || !bytes.Equal(data, scalar) || ecc.Bits != 0 {
		t.Errorf("raw ECC scalar: %d bits, %v", ecc.Bits, err)
	}

	encrypted := pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1}})
	legacyEncrypted := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED"}, Bytes: []byte{1}})
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}})
	garbled := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}})
	cases := []struct {
		name    string
		keyType psa.KeyType
		bits    uint32
		input   []byte
		want    string // in the error
	}{
		{"empty", psa.KeyType{Kind: psa.KeyAes}, 0, []byte(" \n"), "the key data is empty (IncorrectData)"},
		{"encrypted PKCS#8", rsaPair, 0, encrypted, "encrypted PEM keys are not supported (decrypt it first, e.g. with openssl pkey) (NotSupported)"},
		{"encrypted PKCS#1", rsaPair, 0, legacyEncrypted, "(NotSupported)"},
		{"certificate", rsaPublic, 0, cert, `unsupported PEM block "CERTIFICATE" (expected a private or public key)`},
		{"garbled", rsaPair, 0, garbled, `the "PRIVATE KEY" PEM block does not parse`},
		{"no block", rsaPair, 0, []byte("-----BEGIN nothing"), "no PEM key block found"},
		{"RSA as ECC", secpR1, 0, readTestdata(t, "rsa-1024-pkcs1.pem"), "the PEM data holds a rsa-pair key, not a ecc-pair key (IncorrectData)"},
		{"public as private", rsaPair, 0, readTestdata(t, "rsa-1024-spki.pem"), "holds a rsa-public key, not a rsa-pair key"},
		{"X25519 as ECC", secpR1, 0, readTestdata(t, "x25519-pkcs8.pem"), "holds a x25519-pair key, not a ecc-pair key"},
		{"wrong size", secpR1, 256, readTestdata(t, "ec-p384-sec1.pem"), "the PEM key has 384 bits, not 256"},
		{"PEM for AES", psa.KeyType{Kind: psa.KeyAes}, 0, readTestdata(t, "ec-p384-sec1.pem"), "a aes key is given as raw bytes, not PEM"},
	}
	for _, tc := range cases {
		attrs := psa.KeyAttributes{Type: tc.keyType, Bits: tc.bits}
		var te *toolError
		if _, err := importMaterial(&attrs, tc.input); !errors.As(err, &te) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want a tool error with %q", tc.name, err, tc.want)
		}
	}
}

// export-key renders private keys as PKCS#8 and public keys as SPKI, the
// forms OpenSSL reads back; --hex and symmetric keys give hex.
func TestExportText(t *testing.T) {
	compared := 0
	for _, f := range pemFixture {
		if f.file != "rsa-1024-pkcs8.pem" && f.file != "ec-p384-pkcs8.pem" && f.file != "x25519-pkcs8.pem" &&
			!strings.HasSuffix(f.file, "-spki.pem") {
			continue // the PKCS#1 and SEC1 files hold the same keys
		}
		if f.keyType.IsPublic() != strings.HasSuffix(f.file, "-spki.pem") {
			continue
		}
		attrs := psa.KeyAttributes{Type: f.keyType, Bits: f.bits}
		data := hexTestdata(t, f.psaHex)
		text, err := exportText(attrs, data, false)
		if err != nil {
			t.Errorf("%s: %v", f.file, err)
			continue
		}
		if want := string(readTestdata(t, f.file)); text != want {
			t.Errorf("export of %s:\n%s\nwant\n%s", f.file, text, want)
		}
		if text, err := exportText(attrs, data, true); err != nil || text != hex.EncodeToString(data)+"\n" {
			t.Errorf("%s --hex: %q, %v", f.file, text, err)
		}
		compared++
	}
	if compared != 6 {
		t.Errorf("compared %d exports, want 6 (3 PKCS#8, 3 SPKI)", compared)
	}
	aes := psa.KeyAttributes{Type: psa.KeyType{Kind: psa.KeyAes}, Bits: 128}
	if text, err := exportText(aes, []byte{0xde, 0xad, 0xbe, 0xef}, false); err != nil || text != "deadbeef\n" {
		t.Errorf("AES export: %q, %v", text, err)
	}
	// A curve the Go standard library lacks cannot become PKCS#8.
	p192 := psa.KeyAttributes{Type: secpR1, Bits: 192}
	if _, err := exportText(p192, make([]byte, 24), false); err == nil || !strings.Contains(err.Error(), "(use --hex)") {
		t.Errorf("P-192 export: %v", err)
	}
}

// The public key PEM of export-public-key is OpenSSL's SPKI, X25519 included.
func TestPublicKeyText(t *testing.T) {
	for _, f := range pemFixture {
		if !strings.HasSuffix(f.file, "-spki.pem") {
			continue
		}
		text, err := publicKeyText(psa.KeyAttributes{Type: f.keyType, Bits: f.bits}, hexTestdata(t, f.psaHex), false)
		if want := string(readTestdata(t, f.file)); err != nil || text != want {
			t.Errorf("%s: %v\n%s\nwant\n%s", f.file, err, text, want)
		}
	}
	text, err := publicKeyText(psa.KeyAttributes{Type: rsaPair, Bits: 1024}, hexTestdata(t, "rsa-1024.pub.hex"), true)
	if want := string(readTestdata(t, "rsa-1024-pkcs1-pub.pem")); err != nil || text != want {
		t.Errorf("--pkcs1: %v\n%s", err, text)
	}
	if _, err := publicKeyText(psa.KeyAttributes{Type: x25519, Bits: 255}, make([]byte, 32), true); err == nil {
		t.Error("--pkcs1 accepted for X25519")
	}
}

func TestPeerKey(t *testing.T) {
	dir := t.TempDir()
	pub := hexTestdata(t, "x25519.pub.hex")
	raw := filepath.Join(dir, "peer.bin")
	if err := os.WriteFile(raw, pub, 0o600); err != nil {
		t.Fatal(err)
	}
	for what, arg := range map[string]string{
		"SPKI PEM file":    filepath.Join("testdata", "x25519-spki.pem"),
		"PKCS#8 PEM file":  filepath.Join("testdata", "x25519-pkcs8.pem"),
		"raw file":         raw,
		"hex":              hex.EncodeToString(pub),
		"hex with 0x, gap": "0x" + hex.EncodeToString(pub[:16]) + " " + hex.EncodeToString(pub[16:]),
	} {
		if got, err := peerKey(arg, x25519); err != nil || !bytes.Equal(got, pub) {
			t.Errorf("%s: %x, %v", what, got, err)
		}
	}
	if got, err := peerKey(filepath.Join("testdata", "ec-p384-spki.pem"), secpR1); err != nil || !bytes.Equal(got, hexTestdata(t, "ec-p384.pub.hex")) {
		t.Errorf("P-384 SPKI: %x, %v", got, err)
	}
	if _, err := peerKey(filepath.Join("testdata", "ec-p384-spki.pem"), x25519); err == nil || !strings.Contains(err.Error(), "not a x25519-public key") {
		t.Errorf("P-384 peer for X25519: %v", err)
	}
	if _, err := peerKey("no-such-file", x25519); err == nil || !strings.Contains(err.Error(), "not valid hex") {
		t.Errorf("neither file nor hex: %v", err)
	}
}

// The PEM fixtures are what gen.sh says they are.
func TestFixtureBlocks(t *testing.T) {
	blocks := map[string]string{
		"rsa-1024-pkcs1.pem": "RSA PRIVATE KEY", "rsa-1024-pkcs1-pub.pem": "RSA PUBLIC KEY", "rsa-1024-pkcs8.pem": "PRIVATE KEY",
		"rsa-1024-spki.pem": "PUBLIC KEY", "ec-p384-pkcs8.pem": "PRIVATE KEY", "ec-p384-spki.pem": "PUBLIC KEY",
		"x25519-pkcs8.pem": "PRIVATE KEY", "x25519-spki.pem": "PUBLIC KEY",
	}
	for file, typ := range blocks {
		if b, _ := pem.Decode(readTestdata(t, file)); b == nil || b.Type != typ {
			t.Errorf("%s: %v, want a %s block", file, b, typ)
		}
	}
	params, rest := pem.Decode(readTestdata(t, "ec-p384-sec1.pem"))
	if sec1, _ := pem.Decode(rest); params == nil || params.Type != "EC PARAMETERS" || sec1 == nil || sec1.Type != "EC PRIVATE KEY" {
		t.Error("ec-p384-sec1.pem is not EC PARAMETERS then EC PRIVATE KEY")
	} else if _, err := x509.ParseECPrivateKey(sec1.Bytes); err != nil {
		t.Error(err)
	}
}
