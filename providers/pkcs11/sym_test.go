// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build cgo && pkcs11

package pkcs11

import (
	"bufio"
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/miekg/pkcs11"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

// Symmetric keys and operations on SoftHSM, cross-checked with Go's
// crypto and with the published vectors the software provider uses
// (providers/soft/testdata, read here, not imported).

const symUsage = psa.UsageEncrypt | psa.UsageDecrypt | psa.UsageSignMessage | psa.UsageVerifyMessage

func aesAttrs(bits uint32, usage psa.UsageFlags, alg psa.Algorithm) psa.KeyAttributes {
	return psa.KeyAttributes{Type: psa.KeyType{Kind: psa.KeyAes}, Bits: bits, Policy: psa.KeyPolicy{Usage: usage, Alg: alg}}
}

func hmacAttrs(bits uint32, usage psa.UsageFlags, alg psa.Algorithm) psa.KeyAttributes {
	return psa.KeyAttributes{Type: psa.KeyType{Kind: psa.KeyHmac}, Bits: bits, Policy: psa.KeyPolicy{Usage: usage, Alg: alg}}
}

func gcmAlg(tag uint32) psa.Aead {
	if tag == 16 {
		return psa.Aead{Alg: psa.AeadGcm}
	}
	return psa.Aead{Alg: psa.AeadGcm, Shortened: true, TagLength: tag}
}

func aeadPolicy(a psa.Aead) psa.Algorithm     { return psa.Algorithm{Kind: psa.AlgAead, Aead: a} }
func cipherPolicy(c psa.Cipher) psa.Algorithm { return psa.Algorithm{Kind: psa.AlgCipher, Cipher: c} }
func macPolicy(m psa.Mac) psa.Algorithm       { return psa.Algorithm{Kind: psa.AlgMac, Mac: m} }

var (
	cmacAlg = psa.Mac{Kind: psa.MacCmac}
	cbcMac  = psa.Mac{Kind: psa.MacCbcMac}
)

func hmacAlg(h psa.Hash) psa.Mac { return psa.Mac{Kind: psa.MacHmac, Hash: h} }

func truncated(m psa.Mac, n uint32) psa.Mac { m.Truncated, m.Length = true, n; return m }

func randBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// vectors reads a providers/soft/testdata file: blocks of "Name = hex"
// separated by blank lines, # comments.
func vectors(t testing.TB, file string) []map[string]string {
	t.Helper()
	f, err := os.Open("../soft/testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]string
	cur := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") {
			continue
		}
		if line == "" {
			if len(cur) > 0 {
				out = append(out, cur)
				cur = map[string]string{}
			}
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: bad line %q", file, line)
		}
		cur[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSecretKeyLifecycle generates, imports, exports and destroys AES and
// HMAC keys.
func TestSecretKeyLifecycle(t *testing.T) {
	ctx := context.Background()
	p := newTestProvider(t, testOptions(), nil)
	gcm := aeadPolicy(gcmAlg(16))
	for _, bits := range []uint32{128, 192, 256} {
		name := fmt.Sprintf("aes-%d", bits)
		wantCode(t, p.CanDoCrypto(ctx, appA, psa.CheckGenerate, aesAttrs(bits, symUsage, gcm)), status.Success, "CanDoCrypto generate "+name)
		wantCode(t, p.GenerateKey(ctx, appA, name, aesAttrs(bits, symUsage, gcm)), status.Success, "GenerateKey "+name)
		_, err := p.ExportKey(ctx, appA, name)
		wantCode(t, err, status.PsaErrorNotPermitted, "ExportKey without the export flag "+name)
		_, err = p.ExportPublicKey(ctx, appA, name)
		wantCode(t, err, status.PsaErrorInvalidArgument, "ExportPublicKey "+name)
		// On the token: one sensitive, non-extractable CKK_AES secret key of the size.
		k, _ := p.load(ctx, appA, name)
		h := rawSession(t, p)
		objs := objectsWith(t, p, h, pkcs11.NewAttribute(pkcs11.CKA_ID, k.id))
		if len(objs) != 1 {
			t.Fatalf("%s: %d token objects, want 1", name, len(objs))
		}
		at, err := p.mod.ctx.GetAttributeValue(h, objs[0], []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_CLASS, nil), pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, nil),
			pkcs11.NewAttribute(pkcs11.CKA_VALUE_LEN, nil), pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, nil),
			pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, nil), pkcs11.NewAttribute(pkcs11.CKA_LABEL, nil)})
		if err != nil {
			t.Fatal(err)
		}
		if at[0].Value[0] != pkcs11.CKO_SECRET_KEY || at[1].Value[0] != pkcs11.CKK_AES || int(at[2].Value[0]) != int(bits/8) ||
			at[3].Value[0] != 1 || at[4].Value[0] != 0 || string(at[5].Value) != name {
			t.Fatalf("%s: token attributes %v", name, at)
		}
		wantCode(t, p.DestroyKey(ctx, appA, name), status.Success, "DestroyKey "+name)
		if n := len(objectsWith(t, p, h, pkcs11.NewAttribute(pkcs11.CKA_ID, k.id))); n != 0 {
			t.Fatalf("%s: %d objects left after DestroyKey", name, n)
		}
		wantCode(t, p.DestroyKey(ctx, appA, name), status.PsaErrorDoesNotExist, "DestroyKey twice "+name)

		// Import with export: the same bytes come back.
		raw := randBytes(int(bits / 8))
		wantCode(t, p.ImportKey(ctx, appA, name, aesAttrs(0, symUsage|psa.UsageExport, gcm), raw), status.Success, "ImportKey "+name)
		got, err := p.ExportKey(ctx, appA, name)
		wantCode(t, err, status.Success, "ExportKey "+name)
		if !bytes.Equal(got, raw) {
			t.Fatalf("%s: exported %x, imported %x", name, got, raw)
		}
		wantCode(t, p.DestroyKey(ctx, appA, name), status.Success, "DestroyKey imported "+name)
	}
	// A generated exportable key exports its 32 bytes.
	wantCode(t, p.GenerateKey(ctx, appA, "aes-export", aesAttrs(256, symUsage|psa.UsageExport, gcm)), status.Success, "GenerateKey exportable")
	if got, err := p.ExportKey(ctx, appA, "aes-export"); err != nil || len(got) != 32 {
		t.Fatalf("ExportKey of a generated exportable key: %d bytes, %v", len(got), err)
	}

	// HMAC keys.
	hm := macPolicy(hmacAlg(psa.HashSHA256))
	wantCode(t, p.GenerateKey(ctx, appA, "hmac", hmacAttrs(256, symUsage, hm)), status.Success, "GenerateKey HMAC")
	wantCode(t, p.GenerateKey(ctx, appA, "hmac-odd", hmacAttrs(264, symUsage, hm)), status.Success, "GenerateKey HMAC 264 bits")
	raw := randBytes(48)
	wantCode(t, p.ImportKey(ctx, appA, "hmac-imp", hmacAttrs(0, symUsage|psa.UsageExport, hm), raw), status.Success, "ImportKey HMAC")
	if got, err := p.ExportKey(ctx, appA, "hmac-imp"); err != nil || !bytes.Equal(got, raw) {
		t.Fatalf("ExportKey HMAC: %x, %v", got, err)
	}
	k, _ := p.load(ctx, appA, "hmac-imp")
	if k.attrs.Bits != 384 {
		t.Fatalf("imported HMAC key stored with %d bits, want 384", k.attrs.Bits)
	}

	// Refusals, as the software provider answers them.
	bad := []struct {
		name string
		a    psa.KeyAttributes
		data []byte
		want status.Code
	}{
		{"AES 20 bytes", aesAttrs(0, symUsage, gcm), make([]byte, 20), status.PsaErrorInvalidArgument},
		{"AES empty", aesAttrs(0, symUsage, gcm), nil, status.PsaErrorInvalidArgument},
		{"AES bits mismatch", aesAttrs(256, symUsage, gcm), make([]byte, 16), status.PsaErrorInvalidArgument},
		{"HMAC too long", hmacAttrs(0, symUsage, hm), make([]byte, maxSecretBits/8+1), status.PsaErrorNotSupported},
	}
	for _, tc := range bad {
		wantCode(t, p.ImportKey(ctx, appA, "bad", tc.a, tc.data), tc.want, "ImportKey "+tc.name)
	}
	gen := []struct {
		name string
		a    psa.KeyAttributes
		want status.Code
	}{
		{"AES 64", aesAttrs(64, symUsage, gcm), status.PsaErrorInvalidArgument},
		{"AES no size", aesAttrs(0, symUsage, gcm), status.PsaErrorInvalidArgument},
		{"HMAC 12 bits", hmacAttrs(12, symUsage, hm), status.PsaErrorInvalidArgument},
		{"HMAC too long", hmacAttrs(maxSecretBits+8, symUsage, hm), status.PsaErrorNotSupported},
	}
	for _, tc := range gen {
		wantCode(t, p.GenerateKey(ctx, appA, "bad", tc.a), tc.want, "GenerateKey "+tc.name)
		wantCode(t, p.CanDoCrypto(ctx, appA, psa.CheckGenerate, tc.a), tc.want, "CanDoCrypto generate "+tc.name)
	}

	// allow_export = false: no exportable secret key.
	o := testOptions()
	o.AllowExport = false
	q := newTestProvider(t, o, nil)
	wantCode(t, q.GenerateKey(ctx, appA, "x", aesAttrs(128, symUsage|psa.UsageExport, gcm)), status.PsaErrorNotPermitted, "GenerateKey AES with export, allow_export = false")
	wantCode(t, q.ImportKey(ctx, appA, "x", aesAttrs(0, symUsage|psa.UsageExport, gcm), make([]byte, 16)), status.PsaErrorNotPermitted, "ImportKey AES with export, allow_export = false")
	wantCode(t, q.CanDoCrypto(ctx, appA, psa.CheckImport, aesAttrs(128, symUsage|psa.UsageExport, gcm)), status.PsaErrorNotPermitted, "CanDoCrypto import with export, allow_export = false")
}

// TestAeadGCM: round trips with every tag length, checked against Go's
// GCM; the McGrew–Viega vectors; tampering; the argument errors.
func TestAeadGCM(t *testing.T) {
	ctx := context.Background()
	p := newTestProvider(t, testOptions(), nil)
	for _, tag := range []uint32{16, 15, 14, 13, 12, 8, 4} {
		alg := gcmAlg(tag)
		name := fmt.Sprintf("gcm-%d", tag)
		raw := randBytes(32)
		wantCode(t, p.ImportKey(ctx, appA, name, aesAttrs(0, symUsage, aeadPolicy(alg)), raw), status.Success, "ImportKey "+name)
		b, _ := aes.NewCipher(raw)
		full, _ := cipher.NewGCM(b)
		for _, n := range []int{0, 1, 16, 100} {
			nonce, ad, pt := randBytes(12), randBytes(n/2), randBytes(n)
			ct, err := p.AeadEncrypt(ctx, appA, name, alg, nonce, ad, pt)
			wantCode(t, err, status.Success, "AeadEncrypt "+name)
			// Go: the same ciphertext, and the leading tag bytes of the full tag.
			want := full.Seal(nil, nonce, pt, ad)
			if !bytes.Equal(ct, want[:n+int(tag)]) {
				t.Fatalf("%s, %d bytes: token %x, Go %x", name, n, ct, want)
			}
			back, err := p.AeadDecrypt(ctx, appA, name, alg, nonce, ad, ct)
			wantCode(t, err, status.Success, "AeadDecrypt "+name)
			if !bytes.Equal(back, pt) {
				t.Fatalf("%s: decrypted %x, want %x", name, back, pt)
			}
			for i := range ct {
				tampered := bytes.Clone(ct)
				tampered[i] ^= 1
				_, err := p.AeadDecrypt(ctx, appA, name, alg, nonce, ad, tampered)
				wantCode(t, err, status.PsaErrorInvalidSignature, fmt.Sprintf("AeadDecrypt %s, byte %d changed", name, i))
			}
			_, err = p.AeadDecrypt(ctx, appA, name, alg, randBytes(12), ad, ct)
			wantCode(t, err, status.PsaErrorInvalidSignature, "AeadDecrypt with another nonce "+name)
			_, err = p.AeadDecrypt(ctx, appA, name, alg, nonce, append(ad, 0), ct)
			wantCode(t, err, status.PsaErrorInvalidSignature, "AeadDecrypt with other additional data "+name)
		}
		_, err := p.AeadDecrypt(ctx, appA, name, alg, randBytes(12), nil, make([]byte, tag-1))
		wantCode(t, err, status.PsaErrorInvalidArgument, "AeadDecrypt shorter than the tag "+name)
	}

	// Nonces other than 12 bytes, as clients of the reference send them,
	// against Go's GCM of the same nonce size.
	raw := randBytes(16)
	wantCode(t, p.ImportKey(ctx, appA, "gcm-nonces", aesAttrs(0, symUsage, aeadPolicy(gcmAlg(16))), raw), status.Success, "ImportKey gcm-nonces")
	b, _ := aes.NewCipher(raw)
	for _, size := range []int{1, 5, 8, 13, 16, 64} {
		goGCM, _ := cipher.NewGCMWithNonceSize(b, size)
		nonce, pt := randBytes(size), []byte("parsecd GCM nonce length")
		ct, err := p.AeadEncrypt(ctx, appA, "gcm-nonces", gcmAlg(16), nonce, []byte("ad"), pt)
		wantCode(t, err, status.Success, fmt.Sprintf("AeadEncrypt with a %d-byte nonce", size))
		if want := goGCM.Seal(nil, nonce, pt, []byte("ad")); !bytes.Equal(ct, want) {
			t.Fatalf("%d-byte nonce: token %x, Go %x", size, ct, want)
		}
		back, err := p.AeadDecrypt(ctx, appA, "gcm-nonces", gcmAlg(16), nonce, []byte("ad"), ct)
		if err != nil || !bytes.Equal(back, pt) {
			t.Fatalf("%d-byte nonce: AeadDecrypt = %q, %v", size, back, err)
		}
	}

	// Known answers (McGrew–Viega test cases 1–4 and 13–16, test case 3 among them).
	for i, v := range vectors(t, "aead_gcm_mcgrew_viega.txt") {
		name := fmt.Sprintf("kat-%d", i)
		key, nonce, ad, pt, want := unhex(t, v["Key"]), unhex(t, v["Nonce"]), unhex(t, v["AAD"]), unhex(t, v["Plaintext"]), unhex(t, v["Output"])
		alg := gcmAlg(16)
		wantCode(t, p.ImportKey(ctx, appA, name, aesAttrs(0, symUsage, aeadPolicy(alg)), key), status.Success, "ImportKey "+v["Source"])
		ct, err := p.AeadEncrypt(ctx, appA, name, alg, nonce, ad, pt)
		wantCode(t, err, status.Success, "AeadEncrypt "+v["Source"])
		if !bytes.Equal(ct, want) {
			t.Fatalf("%s: got %x, want %x", v["Source"], ct, want)
		}
		got, err := p.AeadDecrypt(ctx, appA, name, alg, nonce, ad, want)
		wantCode(t, err, status.Success, "AeadDecrypt "+v["Source"])
		if !bytes.Equal(got, pt) {
			t.Fatalf("%s: decrypted %x", v["Source"], got)
		}
		want[len(want)-1] ^= 0x80
		_, err = p.AeadDecrypt(ctx, appA, name, alg, nonce, ad, want)
		wantCode(t, err, status.PsaErrorInvalidSignature, "AeadDecrypt of a changed tag "+v["Source"])
	}

	// Argument errors, as the software provider answers them.
	alg := gcmAlg(16)
	wantCode(t, p.GenerateKey(ctx, appA, "gcm", aesAttrs(128, symUsage, aeadPolicy(alg))), status.Success, "GenerateKey")
	_, err := p.AeadEncrypt(ctx, appA, "gcm", alg, nil, nil, []byte("m"))
	wantCode(t, err, status.PsaErrorInvalidArgument, "AeadEncrypt with an empty nonce")
	_, err = p.AeadEncrypt(ctx, appA, "gcm", gcmAlg(12), randBytes(12), nil, []byte("m"))
	wantCode(t, err, status.PsaErrorNotPermitted, "AeadEncrypt with a tag length the policy does not name")
	wantCode(t, p.GenerateKey(ctx, appA, "gcm-enc", aesAttrs(128, psa.UsageEncrypt, aeadPolicy(alg))), status.Success, "GenerateKey encrypt only")
	ct, err := p.AeadEncrypt(ctx, appA, "gcm-enc", alg, randBytes(12), nil, []byte("m"))
	wantCode(t, err, status.Success, "AeadEncrypt encrypt only")
	_, err = p.AeadDecrypt(ctx, appA, "gcm-enc", alg, randBytes(12), nil, ct)
	wantCode(t, err, status.PsaErrorNotPermitted, "AeadDecrypt without the decrypt flag")
	bad5 := psa.Aead{Alg: psa.AeadGcm, Shortened: true, TagLength: 5}
	wantCode(t, p.GenerateKey(ctx, appA, "gcm5", aesAttrs(128, symUsage, aeadPolicy(bad5))), status.Success, "GenerateKey with a 5-byte tag policy")
	_, err = p.AeadEncrypt(ctx, appA, "gcm5", bad5, randBytes(12), nil, []byte("m"))
	wantCode(t, err, status.PsaErrorInvalidArgument, "AeadEncrypt with a 5-byte tag")
	ccm := psa.Aead{Alg: psa.AeadCcm}
	wantCode(t, p.GenerateKey(ctx, appA, "ccm", aesAttrs(128, symUsage, aeadPolicy(ccm))), status.Success, "GenerateKey CCM policy")
	_, err = p.AeadEncrypt(ctx, appA, "ccm", ccm, randBytes(12), nil, []byte("m"))
	wantCode(t, err, status.PsaErrorNotSupported, "AeadEncrypt CCM")
	_, err = p.AeadEncrypt(ctx, appA, "missing", alg, randBytes(12), nil, []byte("m"))
	wantCode(t, err, status.PsaErrorDoesNotExist, "AeadEncrypt with a missing key")
}

// goCipher encrypts or decrypts with Go's crypto/cipher (modes it offers
// without deprecation).
func goCipher(t *testing.T, alg psa.Cipher, key, iv, in []byte, decrypt bool) []byte {
	t.Helper()
	b, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, len(in))
	switch alg {
	case psa.CipherCtr:
		cipher.NewCTR(b, iv).XORKeyStream(out, in)
	case psa.CipherEcbNoPadding:
		for i := 0; i < len(in); i += 16 {
			if decrypt {
				b.Decrypt(out[i:i+16], in[i:i+16])
			} else {
				b.Encrypt(out[i:i+16], in[i:i+16])
			}
		}
	case psa.CipherCbcNoPadding, psa.CipherCbcPkcs7:
		if decrypt {
			cipher.NewCBCDecrypter(b, iv).CryptBlocks(out, in)
		} else {
			cipher.NewCBCEncrypter(b, iv).CryptBlocks(out, in)
		}
	default:
		t.Fatalf("no Go reference for %v", alg)
	}
	return out
}

func pad(b []byte) []byte {
	n := 16 - len(b)%16
	return append(bytes.Clone(b), bytes.Repeat([]byte{byte(n)}, n)...)
}

// TestCipherModes: each mode the token offers round-trips, decrypts what
// Go encrypts and the reverse; the others answer 1134, as CanDoCrypto.
func TestCipherModes(t *testing.T) {
	ctx := context.Background()
	p := newTestProvider(t, testOptions(), nil)
	modes := []struct {
		alg       psa.Cipher
		block     bool // whole blocks only
		supported bool // on SoftHSM 2.6
	}{
		{psa.CipherCtr, false, true},
		{psa.CipherEcbNoPadding, true, true},
		{psa.CipherCbcNoPadding, true, true},
		{psa.CipherCbcPkcs7, false, true},
		{psa.CipherCfb, false, p.mech(pkcs11.CKM_AES_CFB128, 0)},
		{psa.CipherOfb, false, p.mech(pkcs11.CKM_AES_OFB, 0)},
		{psa.CipherXts, false, false},
	}
	for _, m := range modes {
		name := "cipher-" + m.alg.String()
		raw := randBytes(16)
		a := aesAttrs(0, symUsage, cipherPolicy(m.alg))
		wantCode(t, p.ImportKey(ctx, appA, name, a, raw), status.Success, "ImportKey "+name)
		a.Bits = 128
		if !m.supported {
			wantCode(t, p.CanDoCrypto(ctx, appA, psa.CheckUse, a), status.PsaErrorNotSupported, "CanDoCrypto "+name)
			_, err := p.CipherEncrypt(ctx, appA, name, m.alg, make([]byte, 16))
			wantCode(t, err, status.PsaErrorNotSupported, "CipherEncrypt "+name)
			_, err = p.CipherDecrypt(ctx, appA, name, m.alg, make([]byte, 32))
			wantCode(t, err, status.PsaErrorNotSupported, "CipherDecrypt "+name)
			continue
		}
		wantCode(t, p.CanDoCrypto(ctx, appA, psa.CheckUse, a), status.Success, "CanDoCrypto "+name)
		ivLen := ivSize(m.alg)
		sizes := []int{0, 1, 15, 16, 17, 48, 100}
		if m.block {
			sizes = []int{16, 32, 160}
		}
		for _, n := range sizes {
			pt := randBytes(n)
			ct, err := p.CipherEncrypt(ctx, appA, name, m.alg, pt)
			wantCode(t, err, status.Success, fmt.Sprintf("CipherEncrypt %s %d bytes", name, n))
			iv, body := ct[:ivLen], ct[ivLen:]
			// Go decrypts the token's ciphertext.
			goPT := goCipher(t, m.alg, raw, iv, body, true)
			if m.alg == psa.CipherCbcPkcs7 {
				if !bytes.Equal(goPT, pad(pt)) {
					t.Fatalf("%s: Go decrypts the token's ciphertext to %x, want %x", name, goPT, pad(pt))
				}
			} else if !bytes.Equal(goPT, pt) {
				t.Fatalf("%s: Go decrypts the token's ciphertext to %x, want %x", name, goPT, pt)
			}
			back, err := p.CipherDecrypt(ctx, appA, name, m.alg, ct)
			wantCode(t, err, status.Success, "CipherDecrypt "+name)
			if !bytes.Equal(back, pt) {
				t.Fatalf("%s: round trip %x, want %x", name, back, pt)
			}
			// The token decrypts Go's ciphertext.
			iv = randBytes(ivLen)
			in := pt
			if m.alg == psa.CipherCbcPkcs7 {
				in = pad(pt)
			}
			goCT := append(bytes.Clone(iv), goCipher(t, m.alg, raw, iv, in, false)...)
			back, err = p.CipherDecrypt(ctx, appA, name, m.alg, goCT)
			wantCode(t, err, status.Success, "CipherDecrypt of Go's ciphertext "+name)
			if !bytes.Equal(back, pt) {
				t.Fatalf("%s: decrypted Go's ciphertext to %x, want %x", name, back, pt)
			}
		}
		// Length errors.
		if m.block || m.alg == psa.CipherCbcPkcs7 {
			if m.block {
				for _, n := range []int{0, 15, 17} {
					_, err := p.CipherEncrypt(ctx, appA, name, m.alg, make([]byte, n))
					wantCode(t, err, status.PsaErrorInvalidArgument, fmt.Sprintf("CipherEncrypt %s %d bytes", name, n))
				}
			}
			for _, n := range []int{0, 15, 17} {
				_, err := p.CipherDecrypt(ctx, appA, name, m.alg, make([]byte, ivLen+n))
				wantCode(t, err, status.PsaErrorInvalidArgument, fmt.Sprintf("CipherDecrypt %s %d bytes", name, n))
			}
		}
		if ivLen > 0 {
			_, err := p.CipherDecrypt(ctx, appA, name, m.alg, make([]byte, ivLen-1))
			wantCode(t, err, status.PsaErrorInvalidArgument, "CipherDecrypt shorter than the IV "+name)
		}
	}
	// Bad PKCS#7 padding is 1150.
	raw := randBytes(16)
	wantCode(t, p.ImportKey(ctx, appA, "pkcs7", aesAttrs(0, symUsage, cipherPolicy(psa.CipherCbcPkcs7)), raw), status.Success, "ImportKey")
	for _, last := range []byte{0, 17, 0xff} {
		block := bytes.Repeat([]byte{3}, 16)
		block[15] = last
		iv := randBytes(16)
		ct := append(bytes.Clone(iv), goCipher(t, psa.CipherCbcNoPadding, raw, iv, block, false)...)
		_, err := p.CipherDecrypt(ctx, appA, "pkcs7", psa.CipherCbcPkcs7, ct)
		wantCode(t, err, status.PsaErrorInvalidPadding, fmt.Sprintf("CipherDecrypt with padding byte %d", last))
	}
	block := bytes.Repeat([]byte{3}, 16)
	block[14] = 2 // the last three bytes should all be 3
	iv := randBytes(16)
	_, err := p.CipherDecrypt(ctx, appA, "pkcs7", psa.CipherCbcPkcs7, append(iv, goCipher(t, psa.CipherCbcNoPadding, raw, iv, block, false)...))
	wantCode(t, err, status.PsaErrorInvalidPadding, "CipherDecrypt with inconsistent padding")
	// Policy and key type.
	_, err = p.CipherEncrypt(ctx, appA, "pkcs7", psa.CipherCbcNoPadding, make([]byte, 16))
	wantCode(t, err, status.PsaErrorNotPermitted, "CipherEncrypt with another mode than the policy's")
	wantCode(t, p.ImportKey(ctx, appA, "hmac-as-cipher", hmacAttrs(0, symUsage, cipherPolicy(psa.CipherCtr)), randBytes(16)), status.Success, "ImportKey HMAC")
	_, err = p.CipherEncrypt(ctx, appA, "hmac-as-cipher", psa.CipherCtr, make([]byte, 16))
	wantCode(t, err, status.PsaErrorNotPermitted, "CipherEncrypt with an HMAC key")
}

// TestMac: CMAC against RFC 4493 / SP 800-38B, HMAC against Go's, truncation, verification.
func TestMac(t *testing.T) {
	ctx := context.Background()
	p := newTestProvider(t, testOptions(), nil)
	n := 0
	for _, v := range vectors(t, "mac_cmac_aes.txt") {
		if v["Mac"] == "" {
			continue // subkeys
		}
		name := fmt.Sprintf("cmac-%d", n)
		n++
		key, msg, want := unhex(t, v["Key"]), unhex(t, v["Msg"]), unhex(t, v["Mac"])
		wantCode(t, p.ImportKey(ctx, appA, name, aesAttrs(0, symUsage, macPolicy(cmacAlg)), key), status.Success, "ImportKey "+v["Source"])
		got, err := p.MacCompute(ctx, appA, name, cmacAlg, msg)
		wantCode(t, err, status.Success, "MacCompute "+v["Source"])
		if !bytes.Equal(got, want) {
			t.Fatalf("%s: CMAC %x, want %x", v["Source"], got, want)
		}
		wantCode(t, p.MacVerify(ctx, appA, name, cmacAlg, msg, want), status.Success, "MacVerify "+v["Source"])
		bad := bytes.Clone(want)
		bad[0] ^= 1
		wantCode(t, p.MacVerify(ctx, appA, name, cmacAlg, msg, bad), status.PsaErrorInvalidSignature, "MacVerify of a changed MAC "+v["Source"])
		wantCode(t, p.MacVerify(ctx, appA, name, cmacAlg, msg, want[:15]), status.PsaErrorInvalidSignature, "MacVerify of a short MAC "+v["Source"])
		// Truncated to 8 bytes: the leading bytes.
		tr := truncated(cmacAlg, 8)
		wantCode(t, p.ImportKey(ctx, appA, name+"-8", aesAttrs(0, symUsage, macPolicy(tr)), key), status.Success, "ImportKey truncated")
		got, err = p.MacCompute(ctx, appA, name+"-8", tr, msg)
		wantCode(t, err, status.Success, "MacCompute truncated "+v["Source"])
		if !bytes.Equal(got, want[:8]) {
			t.Fatalf("%s truncated: %x, want %x", v["Source"], got, want[:8])
		}
		wantCode(t, p.MacVerify(ctx, appA, name+"-8", tr, msg, want[:8]), status.Success, "MacVerify truncated "+v["Source"])
		wantCode(t, p.MacVerify(ctx, appA, name+"-8", tr, msg, want), status.PsaErrorInvalidSignature, "MacVerify of the full MAC with a truncated algorithm")
	}
	if n < 12 {
		t.Fatalf("only %d CMAC vectors", n)
	}

	for _, h := range []psa.Hash{psa.HashMD5, psa.HashSHA1, psa.HashSHA224, psa.HashSHA256, psa.HashSHA384, psa.HashSHA512} {
		alg := hmacAlg(h)
		name := "hmac-" + h.String()
		key := randBytes(64)
		wantCode(t, p.ImportKey(ctx, appA, name, hmacAttrs(0, symUsage, macPolicy(alg)), key), status.Success, "ImportKey "+name)
		for _, msg := range [][]byte{nil, []byte("abc"), randBytes(1000)} {
			got, err := p.MacCompute(ctx, appA, name, alg, msg)
			wantCode(t, err, status.Success, "MacCompute "+name)
			mac := hmac.New(cryptoHash(h).New, key)
			mac.Write(msg)
			want := mac.Sum(nil)
			if !bytes.Equal(got, want) {
				t.Fatalf("%s: token %x, Go %x", name, got, want)
			}
			wantCode(t, p.MacVerify(ctx, appA, name, alg, msg, want), status.Success, "MacVerify "+name)
			want[len(want)-1] ^= 1
			wantCode(t, p.MacVerify(ctx, appA, name, alg, msg, want), status.PsaErrorInvalidSignature, "MacVerify of a changed MAC "+name)
		}
	}
	// Truncated HMAC, verify-only key.
	tr := truncated(hmacAlg(psa.HashSHA256), 16)
	key := randBytes(32)
	wantCode(t, p.ImportKey(ctx, appA, "hmac-verify", hmacAttrs(0, psa.UsageVerifyMessage, macPolicy(tr)), key), status.Success, "ImportKey verify only")
	mac := hmac.New(cryptoHash(psa.HashSHA256).New, key)
	mac.Write([]byte("m"))
	want := mac.Sum(nil)[:16]
	wantCode(t, p.MacVerify(ctx, appA, "hmac-verify", tr, []byte("m"), want), status.Success, "MacVerify truncated HMAC")
	_, err := p.MacCompute(ctx, appA, "hmac-verify", tr, []byte("m"))
	wantCode(t, err, status.PsaErrorNotPermitted, "MacCompute without the sign-message flag")

	// The refusals.
	wantCode(t, p.ImportKey(ctx, appA, "cbcmac", aesAttrs(0, symUsage, macPolicy(cbcMac)), randBytes(16)), status.Success, "ImportKey CBC-MAC")
	_, err = p.MacCompute(ctx, appA, "cbcmac", cbcMac, make([]byte, 16))
	wantCode(t, err, status.PsaErrorNotSupported, "MacCompute CBC-MAC")
	tr3 := truncated(cmacAlg, 3)
	wantCode(t, p.ImportKey(ctx, appA, "cmac3", aesAttrs(0, symUsage, macPolicy(tr3)), randBytes(16)), status.Success, "ImportKey CMAC/3")
	_, err = p.MacCompute(ctx, appA, "cmac3", tr3, []byte("m"))
	wantCode(t, err, status.PsaErrorInvalidArgument, "MacCompute CMAC truncated to 3 bytes")
	_, err = p.MacCompute(ctx, appA, "cmac-0", hmacAlg(psa.HashSHA256), []byte("m"))
	wantCode(t, err, status.PsaErrorNotPermitted, "MacCompute HMAC with a CMAC key")
}

// TestSymmetricCanDoCrypto: for each symmetric algorithm, CanDoCrypto's
// answer for use is the status of the operation on a key with that policy.
func TestSymmetricCanDoCrypto(t *testing.T) {
	ctx := context.Background()
	p := newTestProvider(t, testOptions(), nil)
	aesKey := psa.KeyType{Kind: psa.KeyAes}
	hmacKey := psa.KeyType{Kind: psa.KeyHmac}
	tests := []struct {
		name string
		t    psa.KeyType
		bits uint32
		alg  psa.Algorithm
		want status.Code // on SoftHSM 2.6
	}{
		{"GCM", aesKey, 128, aeadPolicy(gcmAlg(16)), status.Success},
		{"GCM/192", aesKey, 192, aeadPolicy(gcmAlg(16)), status.Success},
		{"GCM tag 8", aesKey, 256, aeadPolicy(gcmAlg(8)), status.Success},
		{"GCM tag 5", aesKey, 256, aeadPolicy(gcmAlg(5)), status.PsaErrorInvalidArgument},
		{"CCM", aesKey, 128, aeadPolicy(psa.Aead{Alg: psa.AeadCcm}), status.PsaErrorNotSupported},
		{"ChaCha20-Poly1305 on AES", aesKey, 256, aeadPolicy(psa.Aead{Alg: psa.AeadChacha20Poly1305}), status.PsaErrorNotPermitted},
		{"GCM on HMAC", hmacKey, 256, aeadPolicy(gcmAlg(16)), status.PsaErrorNotPermitted},
		{"CTR", aesKey, 128, cipherPolicy(psa.CipherCtr), status.Success},
		{"ECB", aesKey, 256, cipherPolicy(psa.CipherEcbNoPadding), status.Success},
		{"CBC", aesKey, 192, cipherPolicy(psa.CipherCbcNoPadding), status.Success},
		{"CBC PKCS#7", aesKey, 128, cipherPolicy(psa.CipherCbcPkcs7), status.Success},
		{"CFB", aesKey, 128, cipherPolicy(psa.CipherCfb), status.PsaErrorNotSupported},
		{"OFB", aesKey, 128, cipherPolicy(psa.CipherOfb), status.PsaErrorNotSupported},
		{"XTS", aesKey, 256, cipherPolicy(psa.CipherXts), status.PsaErrorNotSupported},
		{"stream cipher on AES", aesKey, 256, cipherPolicy(psa.CipherStream), status.PsaErrorNotPermitted},
		{"CMAC", aesKey, 128, macPolicy(cmacAlg), status.Success},
		{"CMAC/256", aesKey, 256, macPolicy(truncated(cmacAlg, 4)), status.Success},
		{"CMAC truncated to 17", aesKey, 128, macPolicy(truncated(cmacAlg, 17)), status.PsaErrorInvalidArgument},
		{"CBC-MAC", aesKey, 128, macPolicy(cbcMac), status.PsaErrorNotSupported},
		{"CMAC on HMAC", hmacKey, 256, macPolicy(cmacAlg), status.PsaErrorNotPermitted},
		{"HMAC-SHA-256", hmacKey, 256, macPolicy(hmacAlg(psa.HashSHA256)), status.Success},
		{"HMAC-SHA-512", hmacKey, 1024, macPolicy(hmacAlg(psa.HashSHA512)), status.Success},
		{"HMAC-SHA-224 truncated", hmacKey, 224, macPolicy(truncated(hmacAlg(psa.HashSHA224), 10)), status.Success},
		{"HMAC-SHA-256 with a short key", hmacKey, 128, macPolicy(hmacAlg(psa.HashSHA256)), status.PsaErrorNotSupported},
		{"HMAC-SHA3-256", hmacKey, 256, macPolicy(hmacAlg(psa.HashSHA3_256)), status.PsaErrorNotSupported},
		{"HMAC-SHA-512/256", hmacKey, 512, macPolicy(hmacAlg(psa.HashSHA512256)), status.PsaErrorNotSupported},
		{"HMAC on AES", aesKey, 256, macPolicy(hmacAlg(psa.HashSHA256)), status.PsaErrorNotPermitted},
	}
	for i, tc := range tests {
		a := psa.KeyAttributes{Type: tc.t, Bits: tc.bits, Policy: psa.KeyPolicy{Usage: symUsage, Alg: tc.alg}}
		// An algorithm of another family: the operation refuses the policy
		// (NotPermitted), CanDoCrypto answers NotSupported as Parsec does.
		canDo := tc.want
		if !psa.Fits(a.Type, a.Policy.Alg) {
			canDo = status.PsaErrorNotSupported
		}
		wantCode(t, p.CanDoCrypto(ctx, appA, psa.CheckUse, a), canDo, "CanDoCrypto "+tc.name)
		name := fmt.Sprintf("cdc-%d", i)
		wantCode(t, p.GenerateKey(ctx, appA, name, a), status.Success, "GenerateKey "+tc.name)
		var err error
		switch tc.alg.Kind {
		case psa.AlgAead:
			_, err = p.AeadEncrypt(ctx, appA, name, tc.alg.Aead, randBytes(12), nil, []byte("message"))
		case psa.AlgCipher:
			_, err = p.CipherEncrypt(ctx, appA, name, tc.alg.Cipher, make([]byte, 32))
		case psa.AlgMac:
			_, err = p.MacCompute(ctx, appA, name, tc.alg.Mac, make([]byte, 32))
		}
		wantCode(t, err, tc.want, "operation "+tc.name)
	}
}

// TestSecretKeyDeletedOnToken: a secret key deleted behind parsecd's back
// answers DoesNotExist and loses its mapping.
func TestSecretKeyDeletedOnToken(t *testing.T) {
	ctx := context.Background()
	p := newTestProvider(t, testOptions(), nil)
	wantCode(t, p.GenerateKey(ctx, appA, "gone", aesAttrs(128, symUsage, macPolicy(cmacAlg))), status.Success, "GenerateKey")
	wantCode(t, p.CheckKey(ctx, appA, "gone"), status.Success, "CheckKey of a key on the token")
	k, _ := p.load(ctx, appA, "gone")
	h := rawSession(t, p)
	for _, o := range objectsWith(t, p, h, pkcs11.NewAttribute(pkcs11.CKA_ID, k.id)) {
		if err := p.mod.ctx.DestroyObject(h, o); err != nil {
			t.Fatal(err)
		}
	}
	// check-store's question tells, and changes nothing.
	wantCode(t, p.CheckKey(ctx, appA, "gone"), status.PsaErrorDoesNotExist, "CheckKey of a key deleted on the token")
	if _, err := p.load(ctx, appA, "gone"); err != nil {
		t.Fatalf("CheckKey removed the mapping: %v", err)
	}
	_, err := p.MacCompute(ctx, appA, "gone", cmacAlg, []byte("m"))
	wantCode(t, err, status.PsaErrorDoesNotExist, "MacCompute with a key deleted on the token")
	_, err = p.load(ctx, appA, "gone")
	wantCode(t, err, status.PsaErrorDoesNotExist, "the mapping after the deletion was found")
}
