// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package soft

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

// Unauthenticated ciphers cross-checked with `openssl enc` both ways: what
// the provider encrypts, openssl decrypts with the same key and the IV the
// provider prepended; what openssl encrypts with a random IV, the provider
// decrypts from IV ‖ ciphertext. (openssl enc has no AEAD modes: the AEADs
// rely on the known answers and crypto/cipher's GCM, see aead_test.go.)
func TestOpenSSLCiphers(t *testing.T) {
	p, _ := newTestProvider(t)
	dir := t.TempDir()
	tests := []struct {
		mode    psa.Cipher
		kind    psa.KeyKind
		keyLen  int
		openssl []string // cipher and options
		sizes   []int
	}{
		{psa.CipherCbcPkcs7, psa.KeyAes, 16, []string{"-aes-128-cbc"}, []int{0, 1, 16, 31, 100}},
		{psa.CipherCbcNoPadding, psa.KeyAes, 16, []string{"-aes-128-cbc", "-nopad"}, []int{16, 64}},
		{psa.CipherCbcPkcs7, psa.KeyAes, 32, []string{"-aes-256-cbc"}, []int{5, 48}},
		{psa.CipherCtr, psa.KeyAes, 32, []string{"-aes-256-ctr"}, []int{1, 16, 100}},
		{psa.CipherCtr, psa.KeyAes, 16, []string{"-aes-128-ctr"}, []int{33}},
		{psa.CipherOfb, psa.KeyAes, 16, []string{"-aes-128-ofb"}, []int{1, 16, 100}},
		{psa.CipherCfb, psa.KeyAes, 16, []string{"-aes-128-cfb"}, []int{1, 16, 100}},
		{psa.CipherCfb, psa.KeyAes, 24, []string{"-aes-192-cfb"}, []int{47}},
		{psa.CipherEcbNoPadding, psa.KeyAes, 16, []string{"-aes-128-ecb", "-nopad"}, []int{16, 64}},
		// openssl's 16-byte ChaCha20 IV is the 32-bit little-endian block
		// counter (0 here) followed by the 12-byte nonce.
		{psa.CipherStream, psa.KeyChacha20, 32, []string{"-chacha20"}, []int{1, 64, 130}},
	}
	for _, tc := range tests {
		key := make([]byte, tc.keyLen)
		rand.Read(key)
		name := tc.openssl[0] + tc.mode.String()
		importCipherKey(t, p, name, tc.kind, key, cryptUsage, tc.mode)
		ivLen := ivSize(tc.mode)
		opensslIV := func(iv []byte) []string {
			switch {
			case ivLen == 0:
				return nil
			case tc.mode == psa.CipherStream:
				return []string{"-iv", "00000000" + hex.EncodeToString(iv)}
			}
			return []string{"-iv", hex.EncodeToString(iv)}
		}
		run := func(direction string, iv, in []byte) []byte {
			inPath := writeFile(t, dir, "in", in)
			outPath := filepath.Join(dir, "out")
			args := append([]string{"enc", direction}, tc.openssl...)
			args = append(args, "-K", hex.EncodeToString(key))
			args = append(args, opensslIV(iv)...)
			args = append(args, "-in", inPath, "-out", outPath)
			if out, err := openssl(t, args...); err != nil {
				t.Fatalf("openssl %v: %v\n%s", args, err, out)
			}
			return must(os.ReadFile(outPath))
		}
		for _, n := range tc.sizes {
			msg := make([]byte, n)
			rand.Read(msg)

			// parsecd encrypts, openssl decrypts.
			out := must(p.CipherEncrypt(bg, alice, name, tc.mode, msg))
			if got := run("-d", out[:ivLen], out[ivLen:]); !bytes.Equal(got, msg) {
				t.Fatalf("%s, %d bytes: openssl decrypts the provider's ciphertext to %x", name, n, got)
			}

			// openssl encrypts, parsecd decrypts.
			iv := make([]byte, ivLen)
			rand.Read(iv)
			ct := run("-e", iv, msg)
			got, err := p.CipherDecrypt(bg, alice, name, tc.mode, append(iv, ct...))
			wantCode(t, err, status.Success, name+": CipherDecrypt of openssl's ciphertext")
			if !bytes.Equal(got, msg) {
				t.Fatalf("%s, %d bytes: the provider decrypts openssl's ciphertext to %x", name, n, got)
			}
		}
	}
}
