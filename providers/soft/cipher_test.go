// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package soft

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"fmt"
	"testing"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

func cipherPolicy(c psa.Cipher) psa.Algorithm { return psa.Algorithm{Kind: psa.AlgCipher, Cipher: c} }

var cipherByName = map[string]psa.Cipher{
	"StreamCipher": psa.CipherStream, "Ctr": psa.CipherCtr, "Cfb": psa.CipherCfb, "Ofb": psa.CipherOfb,
	"EcbNoPadding": psa.CipherEcbNoPadding, "CbcNoPadding": psa.CipherCbcNoPadding, "CbcPkcs7": psa.CipherCbcPkcs7,
}

func importCipherKey(t *testing.T, p *Provider, name string, kind psa.KeyKind, key []byte, usage psa.UsageFlags, c psa.Cipher) {
	t.Helper()
	wantCode(t, p.ImportKey(bg, alice, name, attrs(kind, 0, 0, usage, cipherPolicy(c)), key), status.Success, "ImportKey "+name)
}

// NIST SP 800-38A Appendix F through the internal encrypt-with-IV function
// (the IV is random in the provider) and through the provider: decryption
// of IV ‖ ciphertext, encryption round trips, and ECB (no IV) exactly.
func TestCipherSP800_38A(t *testing.T) {
	p, _ := newTestProvider(t)
	for i, b := range tdBlocks(t, "cipher_sp800-38a.txt") {
		mode, ok := cipherByName[b["Mode"]]
		if !ok {
			t.Fatalf("%s: unknown mode %q", b["Source"], b["Mode"])
		}
		key, iv, pt, ct := unhex(b["Key"]), unhex(b["IV"]), unhex(b["Plaintext"]), unhex(b["Ciphertext"])
		got := must(encryptWithIV(mode, key, iv, pt))
		if !bytes.Equal(got, append(bytes.Clone(iv), ct...)) {
			t.Fatalf("%s: encrypt = %x, want IV ‖ %x", b["Source"], got, ct)
		}
		if back := must(decryptWithIV(mode, key, iv, ct)); !bytes.Equal(back, pt) {
			t.Fatalf("%s: decrypt = %x", b["Source"], back)
		}
		// Stream modes: a partial last block uses the key stream's leading bytes.
		if mode == psa.CipherCtr || mode == psa.CipherCfb || mode == psa.CipherOfb {
			for _, n := range []int{1, 15, 17, 63} {
				if got := must(encryptWithIV(mode, key, iv, pt[:n])); !bytes.Equal(got[len(iv):], ct[:n]) {
					t.Fatalf("%s: %d-byte prefix encrypts to %x", b["Source"], n, got[len(iv):])
				}
				if back := must(decryptWithIV(mode, key, iv, ct[:n])); !bytes.Equal(back, pt[:n]) {
					t.Fatalf("%s: %d-byte prefix decrypts to %x", b["Source"], n, back)
				}
			}
		}

		name := fmt.Sprintf("kat-%d", i)
		importCipherKey(t, p, name, psa.KeyAes, key, cryptUsage, mode)
		back := must(p.CipherDecrypt(bg, alice, name, mode, append(bytes.Clone(iv), ct...)))
		if !bytes.Equal(back, pt) {
			t.Fatalf("%s: CipherDecrypt = %x", b["Source"], back)
		}
		out := must(p.CipherEncrypt(bg, alice, name, mode, pt))
		if mode == psa.CipherEcbNoPadding && !bytes.Equal(out, ct) {
			t.Fatalf("%s: CipherEncrypt = %x", b["Source"], out)
		}
		n := ivSize(mode)
		if want := must(encryptWithIV(mode, key, out[:n], pt)); !bytes.Equal(out, want) {
			t.Fatalf("%s: CipherEncrypt output is not IV ‖ E(IV, plaintext)", b["Source"])
		}
	}
}

// CBC with PKCS#7 padding: the SP 800-38A CBC blocks, then one block of
// sixteen 0x10 bytes chained on.
func TestCipherCBCPKCS7Vector(t *testing.T) {
	for _, b := range tdBlocks(t, "cipher_sp800-38a.txt") {
		if b["Mode"] != "CbcNoPadding" {
			continue
		}
		key, iv, pt, ct := unhex(b["Key"]), unhex(b["IV"]), unhex(b["Plaintext"]), unhex(b["Ciphertext"])
		block := must(aes.NewCipher(key))
		last := make([]byte, 16)
		for i := range last {
			last[i] = 0x10 ^ ct[len(ct)-16+i]
		}
		block.Encrypt(last, last)
		want := append(append(bytes.Clone(iv), ct...), last...)
		if got := must(encryptWithIV(psa.CipherCbcPkcs7, key, iv, pt)); !bytes.Equal(got, want) {
			t.Fatalf("%s with PKCS#7: %x, want %x", b["Source"], got, want)
		}
		if back := must(decryptWithIV(psa.CipherCbcPkcs7, key, iv, want[16:])); !bytes.Equal(back, pt) {
			t.Fatalf("%s with PKCS#7: decrypts to %x", b["Source"], back)
		}
	}
}

// RFC 8439 ChaCha20 with the block counter at 0 (PSA STREAM_CIPHER).
func TestCipherChaCha20RFC8439(t *testing.T) {
	p, _ := newTestProvider(t)
	for i, b := range tdBlocks(t, "cipher_chacha20_rfc8439.txt") {
		key, nonce, pt, ct := unhex(b["Key"]), unhex(b["Nonce"]), unhex(b["Plaintext"]), unhex(b["Ciphertext"])
		// Counter 1 vectors: 64 bytes of block 0 ahead of the plaintext.
		skip := 0
		if b["Counter"] == "1" {
			skip = 64
		} else if b["Counter"] != "0" {
			t.Fatalf("%s: counter %q", b["Source"], b["Counter"])
		}
		in := append(make([]byte, skip), pt...)
		got := must(encryptWithIV(psa.CipherStream, key, nonce, in))
		if !bytes.Equal(got[:12], nonce) || !bytes.Equal(got[12+skip:], ct) {
			t.Fatalf("%s: encrypt = %x, want nonce ‖ … ‖ %x", b["Source"], got, ct)
		}
		name := fmt.Sprintf("chacha-%d", i)
		importCipherKey(t, p, name, psa.KeyChacha20, key, cryptUsage, psa.CipherStream)
		back := must(p.CipherDecrypt(bg, alice, name, psa.CipherStream, append(append(bytes.Clone(nonce), make([]byte, skip)...), ct...)))
		if !bytes.Equal(back[skip:], pt) {
			t.Fatalf("%s: CipherDecrypt = %x", b["Source"], back[skip:])
		}
	}
}

func TestCipherRoundTrips(t *testing.T) {
	p, _ := newTestProvider(t)
	seen := map[string]bool{}
	for mode := psa.CipherStream; mode <= psa.CipherCbcPkcs7; mode++ {
		if mode == psa.CipherXts {
			continue
		}
		kind, sizes := psa.KeyAes, []uint32{128, 192, 256}
		if mode == psa.CipherStream {
			kind, sizes = psa.KeyChacha20, []uint32{256}
		}
		for _, bits := range sizes {
			name := fmt.Sprintf("%v-%d", mode, bits)
			wantCode(t, p.GenerateKey(bg, alice, name, attrs(kind, 0, bits, cryptUsage, cipherPolicy(mode))), status.Success, "GenerateKey "+name)
			for _, n := range []int{0, 1, 15, 16, 17, 32, 100, 4096} {
				if (mode == psa.CipherEcbNoPadding || mode == psa.CipherCbcNoPadding) && (n == 0 || n%16 != 0) {
					continue
				}
				pt := make([]byte, n)
				rand.Read(pt)
				out := must(p.CipherEncrypt(bg, alice, name, mode, pt))
				wantLen := ivSize(mode) + n
				if mode == psa.CipherCbcPkcs7 {
					wantLen = 16 + (n/16+1)*16
				}
				if len(out) != wantLen {
					t.Fatalf("%s: %d bytes give %d, want %d", name, n, len(out), wantLen)
				}
				if back := must(p.CipherDecrypt(bg, alice, name, mode, out)); !bytes.Equal(back, pt) {
					t.Fatalf("%s: %d-byte round trip differs", name, n)
				}
				if n == 32 && mode != psa.CipherEcbNoPadding {
					if seen[string(out[:ivSize(mode)])] {
						t.Fatalf("%s: an IV repeats", name)
					}
					seen[string(out[:ivSize(mode)])] = true
				}
			}
		}
	}
}

// Go's crypto/cipher CBC and CTR, independent of the provider's dispatch,
// agree with it both ways.
func TestCipherAgainstStdlib(t *testing.T) {
	p, _ := newTestProvider(t)
	key := make([]byte, 32)
	rand.Read(key)
	block := must(aes.NewCipher(key))
	importCipherKey(t, p, "ctr", psa.KeyAes, key, cryptUsage, psa.CipherCtr)
	importCipherKey(t, p, "cbc", psa.KeyAes, key, cryptUsage, psa.CipherCbcNoPadding)
	pt := make([]byte, 160)
	rand.Read(pt)
	out := must(p.CipherEncrypt(bg, alice, "ctr", psa.CipherCtr, pt))
	got := make([]byte, len(pt))
	cipher.NewCTR(block, out[:16]).XORKeyStream(got, out[16:])
	if !bytes.Equal(got, pt) {
		t.Fatal("crypto/cipher CTR does not decrypt the provider's CTR")
	}
	out = must(p.CipherEncrypt(bg, alice, "cbc", psa.CipherCbcNoPadding, pt))
	cipher.NewCBCDecrypter(block, out[:16]).CryptBlocks(got, out[16:])
	if !bytes.Equal(got, pt) {
		t.Fatal("crypto/cipher CBC does not decrypt the provider's CBC")
	}
}

func TestCipherErrors(t *testing.T) {
	p, _ := newTestProvider(t)
	key16, key32 := make([]byte, 16), make([]byte, 32)
	for mode := psa.CipherStream; mode <= psa.CipherCbcPkcs7; mode++ {
		kind, key := psa.KeyAes, key16
		if mode == psa.CipherStream {
			kind, key = psa.KeyChacha20, key32
		}
		importCipherKey(t, p, mode.String(), kind, key, cryptUsage, mode)
	}
	importCipherKey(t, p, "ctr-enc-only", psa.KeyAes, key16, psa.UsageEncrypt, psa.CipherCtr)
	importCipherKey(t, p, "ctr-dec-only", psa.KeyAes, key16, psa.UsageDecrypt, psa.CipherCtr)
	importCipherKey(t, p, "stream-aes", psa.KeyAes, key16, cryptUsage, psa.CipherStream)
	importCipherKey(t, p, "ctr-chacha", psa.KeyChacha20, key32, cryptUsage, psa.CipherCtr)
	importCipherKey(t, p, "ctr-hmac", psa.KeyHmac, key16, cryptUsage, psa.CipherCtr)
	importAeadKey(t, p, "gcm", psa.KeyAes, key16, cryptUsage, aeadAlg(psa.AeadGcm, 16))

	// CBC ciphertexts whose last block decrypts to bad PKCS#7 padding.
	badPadding := func(last []byte) []byte {
		block := make([]byte, 16)
		copy(block[16-len(last):], last)
		return must(encryptWithIV(psa.CipherCbcNoPadding, key16, make([]byte, 16), append(make([]byte, 16), block...)))
	}
	enc := func(name string, mode psa.Cipher, n int) error {
		_, err := p.CipherEncrypt(bg, alice, name, mode, make([]byte, n))
		return err
	}
	dec := func(name string, mode psa.Cipher, in []byte) error {
		_, err := p.CipherDecrypt(bg, alice, name, mode, in)
		return err
	}
	ecb, cbc, pkcs7, ctr := psa.CipherEcbNoPadding, psa.CipherCbcNoPadding, psa.CipherCbcPkcs7, psa.CipherCtr
	tests := []struct {
		name string
		err  error
		want status.Code
	}{
		{"missing key", enc("missing", ctr, 1), status.PsaErrorDoesNotExist},
		{"not a cipher", enc("Ctr", 0, 1), status.PsaErrorInvalidArgument},
		{"unknown cipher", enc("Ctr", 9, 1), status.PsaErrorInvalidArgument},
		{"encrypt without the usage", enc("ctr-dec-only", ctr, 1), status.PsaErrorNotPermitted},
		{"decrypt without the usage", dec("ctr-enc-only", ctr, make([]byte, 17)), status.PsaErrorNotPermitted},
		{"other mode", enc("Ctr", psa.CipherCfb, 1), status.PsaErrorNotPermitted},
		{"AEAD policy", enc("gcm", ctr, 1), status.PsaErrorNotPermitted},
		{"stream cipher with an AES key", enc("stream-aes", psa.CipherStream, 1), status.PsaErrorNotPermitted},
		{"CTR with a ChaCha20 key", enc("ctr-chacha", ctr, 1), status.PsaErrorNotPermitted},
		{"CTR with an HMAC key", enc("ctr-hmac", ctr, 1), status.PsaErrorNotPermitted},
		{"XTS", enc("Xts", psa.CipherXts, 32), status.PsaErrorNotSupported},
		{"XTS decrypt", dec("Xts", psa.CipherXts, make([]byte, 48)), status.PsaErrorNotSupported},
		{"ECB empty", enc("EcbNoPadding", ecb, 0), status.PsaErrorInvalidArgument},
		{"ECB 15 bytes", enc("EcbNoPadding", ecb, 15), status.PsaErrorInvalidArgument},
		{"ECB 17 bytes", enc("EcbNoPadding", ecb, 17), status.PsaErrorInvalidArgument},
		{"ECB 32 bytes", enc("EcbNoPadding", ecb, 32), status.Success},
		{"CBC empty", enc("CbcNoPadding", cbc, 0), status.PsaErrorInvalidArgument},
		{"CBC 31 bytes", enc("CbcNoPadding", cbc, 31), status.PsaErrorInvalidArgument},
		{"CBC-PKCS7 empty", enc("CbcPkcs7", pkcs7, 0), status.Success},
		{"CBC-PKCS7 5 bytes", enc("CbcPkcs7", pkcs7, 5), status.Success},
		{"CTR empty", enc("Ctr", ctr, 0), status.Success},
		{"stream empty", enc("StreamCipher", psa.CipherStream, 0), status.Success},
		{"ECB decrypt empty", dec("EcbNoPadding", ecb, nil), status.PsaErrorInvalidArgument},
		{"ECB decrypt 15 bytes", dec("EcbNoPadding", ecb, make([]byte, 15)), status.PsaErrorInvalidArgument},
		{"CBC decrypt IV only", dec("CbcNoPadding", cbc, make([]byte, 16)), status.PsaErrorInvalidArgument},
		{"CBC decrypt partial block", dec("CbcNoPadding", cbc, make([]byte, 33)), status.PsaErrorInvalidArgument},
		{"CBC-PKCS7 decrypt IV only", dec("CbcPkcs7", pkcs7, make([]byte, 16)), status.PsaErrorInvalidArgument},
		{"CBC-PKCS7 decrypt partial block", dec("CbcPkcs7", pkcs7, make([]byte, 40)), status.PsaErrorInvalidArgument},
		{"CTR decrypt shorter than the IV", dec("Ctr", ctr, make([]byte, 15)), status.PsaErrorInvalidArgument},
		{"CFB decrypt empty", dec("Cfb", psa.CipherCfb, nil), status.PsaErrorInvalidArgument},
		{"OFB decrypt IV only", dec("Ofb", psa.CipherOfb, make([]byte, 16)), status.Success},
		{"stream decrypt shorter than the nonce", dec("StreamCipher", psa.CipherStream, make([]byte, 11)), status.PsaErrorInvalidArgument},
		{"stream decrypt nonce only", dec("StreamCipher", psa.CipherStream, make([]byte, 12)), status.Success},
		{"padding byte 0", dec("CbcPkcs7", pkcs7, badPadding([]byte{0})), status.PsaErrorInvalidPadding},
		{"padding byte 17", dec("CbcPkcs7", pkcs7, badPadding([]byte{17})), status.PsaErrorInvalidPadding},
		{"padding bytes differ", dec("CbcPkcs7", pkcs7, badPadding([]byte{1, 3, 3})), status.PsaErrorInvalidPadding},
		{"padding of 16 with one byte wrong", dec("CbcPkcs7", pkcs7, badPadding(append([]byte{15}, bytes.Repeat([]byte{16}, 15)...))), status.PsaErrorInvalidPadding},
		{"padding 3 good", dec("CbcPkcs7", pkcs7, badPadding([]byte{1, 3, 3, 3})), status.Success},
		{"padding 16 good", dec("CbcPkcs7", pkcs7, badPadding(bytes.Repeat([]byte{16}, 16))), status.Success},
	}
	for _, tc := range tests {
		wantCode(t, tc.err, tc.want, tc.name)
	}
}

func TestPKCS7Unpad(t *testing.T) {
	for n := 0; n < 40; n++ {
		p := make([]byte, n)
		rand.Read(p)
		padded := pkcs7Pad(p)
		if len(padded)%16 != 0 || len(padded) <= n {
			t.Fatalf("pkcs7Pad(%d bytes) = %d bytes", n, len(padded))
		}
		if got, ok := pkcs7Unpad(padded); !ok || got != n {
			t.Fatalf("pkcs7Unpad of %d bytes: %d, %v", n, got, ok)
		}
	}
	// Every single-byte change of the padding is caught.
	padded := pkcs7Pad(make([]byte, 20)) // 12 bytes of padding
	for i := 20; i < 32; i++ {
		bad := bytes.Clone(padded)
		bad[i] ^= 0x40
		if _, ok := pkcs7Unpad(bad); ok {
			t.Fatalf("a change at byte %d passes", i)
		}
	}
}
