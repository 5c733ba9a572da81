// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package e2e

// The parsecd-only parsec-tool subcommands for symmetric keys, AEAD and MACs
// (docs/cli.md), through the binary, checked with Go and openssl.

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
)

func TestPsaCLISymmetric(t *testing.T) {
	t.Parallel()
	d := cliUnixDaemon(t)
	dir := t.TempDir()
	text := "PARSEC parsec-tool AEAD and MAC test"
	hexOut := func(args ...string) []byte {
		t.Helper()
		out := strings.TrimSpace(d.MustTool(args...))
		b, err := hex.DecodeString(out)
		if err != nil {
			t.Fatalf("parsec-tool %v printed %q, not hex", args, out)
		}
		return b
	}
	b64Out := func(args ...string) []byte {
		t.Helper()
		out := strings.TrimSpace(d.MustTool(args...))
		b, err := base64.StdEncoding.DecodeString(out)
		if err != nil {
			t.Fatalf("parsec-tool %v printed %q, not base64", args, out)
		}
		return b
	}

	t.Run("aead", func(t *testing.T) {
		d.MustTool("create-key", "-k", "cli-gcm", "--key-type", "aes", "--bits", "128", "--alg", "gcm", "--export")
		if keys := strings.Join(cliListKeys(t, d, 0), "\n"); !strings.Contains(keys, "* cli-gcm (Mbed Crypto provider, Aes, 128 bits, permitted algorithm: Aead(AeadWithDefaultLengthTag(Gcm)))") {
			t.Errorf("list-keys does not show the AES-GCM key:\n%s", keys)
		}
		key := hexOut("export-key", "-k", "cli-gcm")
		if len(key) != 16 {
			t.Fatalf("export-key of an AES-128 key gave %d bytes", len(key))
		}
		b, _ := aes.NewCipher(key)
		gcm, _ := cipher.NewGCM(b)

		// Random nonce, written before the ciphertext.
		ct := b64Out("aead-encrypt", "-k", "cli-gcm", "--ad", "header", text)
		if len(ct) != 12+len(text)+16 {
			t.Fatalf("aead-encrypt gave %d bytes, want nonce ‖ ciphertext ‖ tag = %d", len(ct), 12+len(text)+16)
		}
		if pt, err := gcm.Open(nil, ct[:12], ct[12:], []byte("header")); err != nil || string(pt) != text {
			t.Errorf("Go cannot open parsec-tool's AES-GCM output: %q, %v", pt, err)
		}
		if got := d.MustTool("aead-decrypt", "-k", "cli-gcm", "--ad", "header", base64.StdEncoding.EncodeToString(ct)); got != text+"\n" {
			t.Errorf("aead-decrypt printed %q, want %q", got, text)
		}
		ct2 := b64Out("aead-encrypt", "-k", "cli-gcm", "--ad", "header", text)
		if bytes.Equal(ct[:12], ct2[:12]) {
			t.Errorf("aead-encrypt reused a nonce")
		}
		// Caller's nonce: not in the output; a Go ciphertext decrypts.
		nonce := []byte("twelve bytes")
		goCT := gcm.Seal(nil, nonce, []byte(text), nil)
		if got := b64Out("aead-encrypt", "-k", "cli-gcm", "--nonce", hex.EncodeToString(nonce), text); !bytes.Equal(got, goCT) {
			t.Errorf("aead-encrypt --nonce = %x, Go computes %x", got, goCT)
		}
		if got := d.MustTool("aead-decrypt", "-k", "cli-gcm", "--nonce", hex.EncodeToString(nonce), base64.StdEncoding.EncodeToString(goCT)); got != text+"\n" {
			t.Errorf("aead-decrypt --nonce of a Go ciphertext printed %q", got)
		}
		// Tampering, other additional data, other nonce: exit 1, 1149.
		cliFailTool(t, d, 0, []string{"PsaErrorInvalidSignature"}, "aead-decrypt", "-k", "cli-gcm", "--ad", "header",
			base64.StdEncoding.EncodeToString(opsFlip(ct, 20)))
		cliFailTool(t, d, 0, []string{"PsaErrorInvalidSignature"}, "aead-decrypt", "-k", "cli-gcm", "--ad", "other",
			base64.StdEncoding.EncodeToString(ct))
		cliFailTool(t, d, 0, []string{"PsaErrorInvalidSignature"}, "aead-decrypt", "-k", "cli-gcm", "--nonce", hex.EncodeToString(opsFlip(nonce, 0)),
			base64.StdEncoding.EncodeToString(goCT))

		// CCM with a shortened tag and ChaCha20-Poly1305: round trips.
		d.MustTool("create-key", "-k", "cli-ccm", "--key-type", "aes", "--alg", "ccm:8")
		ct = b64Out("aead-encrypt", "-k", "cli-ccm", text)
		if len(ct) != 13+len(text)+8 {
			t.Errorf("CCM with an 8-byte tag gave %d bytes, want 13 + %d + 8", len(ct), len(text))
		}
		if got := d.MustTool("aead-decrypt", "-k", "cli-ccm", base64.StdEncoding.EncodeToString(ct)); got != text+"\n" {
			t.Errorf("CCM round trip printed %q", got)
		}
		d.MustTool("create-key", "-k", "cli-chacha", "--key-type", "chacha20")
		ct = b64Out("aead-encrypt", "-k", "cli-chacha", "--ad", "x", text)
		if got := d.MustTool("aead-decrypt", "-k", "cli-chacha", "--ad", "x", base64.StdEncoding.EncodeToString(ct)); got != text+"\n" {
			t.Errorf("ChaCha20-Poly1305 round trip printed %q", got)
		}
		cliFailTool(t, d, 0, []string{"PsaErrorNotPermitted"}, "export-key", "-k", "cli-chacha")
	})

	t.Run("mac", func(t *testing.T) {
		d.MustTool("create-key", "-k", "cli-hmac", "--key-type", "hmac", "--bits", "256", "--alg", "hmac-sha256", "--export")
		key := hexOut("export-key", "-k", "cli-hmac")
		if len(key) != 32 {
			t.Fatalf("export-key of a 256-bit HMAC key gave %d bytes", len(key))
		}
		m := hmac.New(sha256.New, key)
		m.Write([]byte(text))
		want := m.Sum(nil)
		mac := hexOut("mac", "-k", "cli-hmac", text)
		if !bytes.Equal(mac, want) {
			t.Errorf("mac = %x, crypto/hmac computes %x", mac, want)
		}
		msgPath := cliWrite(t, dir, "mac.txt", []byte(text))
		ossl := fullOpenSSLHex(t, fullOpenSSL(t, nil, "mac", "-digest", "SHA256", "-macopt", "hexkey:"+hex.EncodeToString(key), "-in", msgPath, "HMAC"))
		if !bytes.Equal(mac, ossl) {
			t.Errorf("mac = %x, openssl computes %x", mac, ossl)
		}
		if got := d.MustTool("mac-verify", "-k", "cli-hmac", "--mac", hex.EncodeToString(ossl), text); got != "valid\n" {
			t.Errorf("mac-verify of openssl's HMAC printed %q, want \"valid\"", got)
		}
		cliFailTool(t, d, 0, []string{"PsaErrorInvalidSignature"}, "mac-verify", "-k", "cli-hmac", "--mac", hex.EncodeToString(opsFlip(ossl, 31)), text)
		cliFailTool(t, d, 0, []string{"PsaErrorInvalidSignature"}, "mac-verify", "-k", "cli-hmac", "--mac", hex.EncodeToString(ossl), text+"!")
		// A key whose policy is not a MAC.
		d.MustTool("create-key", "-k", "cli-not-mac", "--key-type", "aes", "--alg", "ctr")
		cliFailTool(t, d, 0, []string{"WrongKeyAlgorithm"}, "mac", "-k", "cli-not-mac", text)
	})
}
