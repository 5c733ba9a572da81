// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package soft

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"fmt"
	"strconv"
	"testing"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

const cryptUsage = psa.UsageEncrypt | psa.UsageDecrypt

func aeadAlg(a psa.AeadAlg, tag uint32) psa.Aead {
	if tag == 16 {
		return psa.Aead{Alg: a}
	}
	return psa.Aead{Alg: a, Shortened: true, TagLength: tag}
}

func aeadPolicy(a psa.Aead) psa.Algorithm { return psa.Algorithm{Kind: psa.AlgAead, Aead: a} }

// importAeadKey imports key material under name with an AEAD policy.
func importAeadKey(t *testing.T, p *Provider, name string, kind psa.KeyKind, key []byte, usage psa.UsageFlags, policy psa.Aead) {
	t.Helper()
	wantCode(t, p.ImportKey(bg, alice, name, attrs(kind, 0, 0, usage, aeadPolicy(policy)), key), status.Success, "ImportKey")
}

// aeadKAT is one AEAD known answer: Output is ciphertext ‖ full tag.
type aeadKAT struct {
	source                     string
	key, nonce, ad, pt, output []byte
	tagLen                     uint32
}

func readAeadKATs(t *testing.T, file string) []aeadKAT {
	t.Helper()
	var out []aeadKAT
	for _, b := range tdBlocks(t, file) {
		v := aeadKAT{source: b["Source"], key: unhex(b["Key"]), nonce: unhex(b["Nonce"]), ad: unhex(b["AAD"]),
			pt: unhex(b["Plaintext"]), output: unhex(b["Output"]), tagLen: 16}
		if n := b["TagLen"]; n != "" {
			v.tagLen = uint32(must(strconv.Atoi(n)))
		}
		if r := b["AADRepeat"]; r != "" {
			v.ad = bytes.Repeat(v.ad, must(strconv.Atoi(r)))
		}
		out = append(out, v)
	}
	return out
}

// checkAeadKAT runs v through the provider: import the key, encrypt to the
// expected output, decrypt it back, and refuse it changed.
func checkAeadKAT(t *testing.T, p *Provider, kind psa.KeyKind, alg psa.Aead, v aeadKAT, output []byte) {
	t.Helper()
	name := fmt.Sprintf("%s/%v", v.source, alg)
	importAeadKey(t, p, name, kind, v.key, cryptUsage, alg)
	got, err := p.AeadEncrypt(bg, alice, name, alg, v.nonce, v.ad, v.pt)
	wantCode(t, err, status.Success, name)
	if !bytes.Equal(got, output) {
		t.Fatalf("%s: AeadEncrypt = %x, want %x", name, got, output)
	}
	pt, err := p.AeadDecrypt(bg, alice, name, alg, v.nonce, v.ad, output)
	wantCode(t, err, status.Success, name)
	if !bytes.Equal(pt, v.pt) {
		t.Fatalf("%s: AeadDecrypt = %x, want %x", name, pt, v.pt)
	}
	for what, try := range map[string]func() error{
		"ciphertext": func() error {
			_, err := p.AeadDecrypt(bg, alice, name, alg, v.nonce, v.ad, flipBit(output, 0))
			return err
		},
		"tag": func() error {
			_, err := p.AeadDecrypt(bg, alice, name, alg, v.nonce, v.ad, flipBit(output, len(output)-1))
			return err
		},
		"nonce": func() error {
			_, err := p.AeadDecrypt(bg, alice, name, alg, flipBit(v.nonce, 0), v.ad, output)
			return err
		},
		"additional data": func() error {
			_, err := p.AeadDecrypt(bg, alice, name, alg, v.nonce, append(bytes.Clone(v.ad), 0), output)
			return err
		},
	} {
		wantCode(t, try(), status.PsaErrorInvalidSignature, name+": changed "+what)
	}
}

func TestAeadKnownAnswers(t *testing.T) {
	p, _ := newTestProvider(t)
	gcmKATs := append(readAeadKATs(t, "aead_gcm_mcgrew_viega.txt"), readAeadKATs(t, "aead_gcm_nonce_lengths.txt")...)
	for _, v := range gcmKATs {
		checkAeadKAT(t, p, psa.KeyAes, aeadAlg(psa.AeadGcm, 16), v, v.output)
		// A shortened tag is the leading bytes of the full tag (SP 800-38D 7.1).
		ctLen := len(v.output) - 16
		for _, n := range []uint32{4, 8, 12, 13, 14, 15} {
			checkAeadKAT(t, p, psa.KeyAes, aeadAlg(psa.AeadGcm, n), v, v.output[:ctLen+int(n)])
		}
	}
	for _, file := range []string{"../ccm/testdata/rfc3610.txt", "../ccm/testdata/sp800-38c.txt"} {
		for _, v := range readAeadKATs(t, file) {
			checkAeadKAT(t, p, psa.KeyAes, aeadAlg(psa.AeadCcm, v.tagLen), v, v.output)
		}
	}
	for _, v := range readAeadKATs(t, "aead_chacha20poly1305_rfc8439.txt") {
		checkAeadKAT(t, p, psa.KeyChacha20, aeadAlg(psa.AeadChacha20Poly1305, 16), v, v.output)
	}
}

// Go's crypto/cipher GCM, independent of the provider's code paths, agrees
// on random inputs in both directions, for every key size and the tag
// lengths it offers (12-16); the 4- and 8-byte tags are its 16-byte tag cut.
func TestAeadGCMAgainstStdlib(t *testing.T) {
	p, _ := newTestProvider(t)
	for _, keyLen := range []int{16, 24, 32} {
		key := make([]byte, keyLen)
		rand.Read(key)
		block := must(aes.NewCipher(key))
		for _, tag := range []int{4, 8, 12, 13, 14, 15, 16} {
			name := fmt.Sprintf("gcm-%d-%d", keyLen, tag)
			alg := aeadAlg(psa.AeadGcm, uint32(tag))
			importAeadKey(t, p, name, psa.KeyAes, key, cryptUsage, alg)
			ref := must(cipher.NewGCMWithTagSize(block, max(tag, 12)))
			for _, n := range []int{0, 1, 15, 16, 17, 64, 1000} {
				nonce, ad, pt := make([]byte, 12), make([]byte, n%40), make([]byte, n)
				rand.Read(nonce)
				rand.Read(ad)
				rand.Read(pt)
				want := ref.Seal(nil, nonce, pt, ad)
				want = want[:n+tag]
				got := must(p.AeadEncrypt(bg, alice, name, alg, nonce, ad, pt))
				if !bytes.Equal(got, want) {
					t.Fatalf("%s, %d bytes: provider and crypto/cipher disagree", name, n)
				}
				if back := must(p.AeadDecrypt(bg, alice, name, alg, nonce, ad, want)); !bytes.Equal(back, pt) {
					t.Fatalf("%s, %d bytes: provider does not open crypto/cipher's ciphertext", name, n)
				}
			}
		}
	}
}

func TestAeadRoundTrips(t *testing.T) {
	p, _ := newTestProvider(t)
	type setup struct {
		alg    psa.AeadAlg
		kind   psa.KeyKind
		keys   []int
		tags   []uint32
		nonces []int
	}
	for _, s := range []setup{
		{psa.AeadGcm, psa.KeyAes, []int{16, 24, 32}, []uint32{4, 8, 12, 16}, []int{1, 5, 12, 13, 64}},
		{psa.AeadCcm, psa.KeyAes, []int{16, 24, 32}, []uint32{4, 6, 8, 10, 12, 14, 16}, []int{7, 8, 11, 12, 13}},
		{psa.AeadChacha20Poly1305, psa.KeyChacha20, []int{32}, []uint32{16}, []int{12}},
	} {
		for _, keyLen := range s.keys {
			for _, tag := range s.tags {
				alg := aeadAlg(s.alg, tag)
				name := fmt.Sprintf("%v-%d", alg, keyLen)
				wantCode(t, p.GenerateKey(bg, alice, name, attrs(s.kind, 0, uint32(keyLen*8), cryptUsage, aeadPolicy(alg))), status.Success, "GenerateKey "+name)
				for _, nl := range s.nonces {
					for _, n := range []int{0, 1, 16, 33} {
						nonce, pt := make([]byte, nl), make([]byte, n)
						rand.Read(nonce)
						rand.Read(pt)
						ct := must(p.AeadEncrypt(bg, alice, name, alg, nonce, []byte("ad"), pt))
						if len(ct) != n+int(tag) {
							t.Fatalf("%s: %d-byte ciphertext for %d bytes", name, len(ct), n)
						}
						if back := must(p.AeadDecrypt(bg, alice, name, alg, nonce, []byte("ad"), ct)); !bytes.Equal(back, pt) {
							t.Fatalf("%s: round trip differs", name)
						}
					}
				}
			}
		}
	}
}

func TestAeadErrors(t *testing.T) {
	p, _ := newTestProvider(t)
	gcm, ccm, chacha := aeadAlg(psa.AeadGcm, 16), aeadAlg(psa.AeadCcm, 16), aeadAlg(psa.AeadChacha20Poly1305, 16)
	key16, key32 := make([]byte, 16), make([]byte, 32)
	importAeadKey(t, p, "gcm", psa.KeyAes, key16, cryptUsage, gcm)
	importAeadKey(t, p, "gcm-enc-only", psa.KeyAes, key16, psa.UsageEncrypt, gcm)
	importAeadKey(t, p, "gcm-dec-only", psa.KeyAes, key16, psa.UsageDecrypt, gcm)
	importAeadKey(t, p, "gcm12", psa.KeyAes, key16, cryptUsage, aeadAlg(psa.AeadGcm, 12))
	importAeadKey(t, p, "gcm5", psa.KeyAes, key16, cryptUsage, aeadAlg(psa.AeadGcm, 5))
	importAeadKey(t, p, "ccm", psa.KeyAes, key16, cryptUsage, ccm)
	importAeadKey(t, p, "ccm5", psa.KeyAes, key16, cryptUsage, aeadAlg(psa.AeadCcm, 5))
	importAeadKey(t, p, "ccm2", psa.KeyAes, key16, cryptUsage, aeadAlg(psa.AeadCcm, 2))
	importAeadKey(t, p, "ccm18", psa.KeyAes, key16, cryptUsage, aeadAlg(psa.AeadCcm, 18))
	importAeadKey(t, p, "chacha", psa.KeyChacha20, key32, cryptUsage, chacha)
	importAeadKey(t, p, "chacha12", psa.KeyChacha20, key32, cryptUsage, aeadAlg(psa.AeadChacha20Poly1305, 12))
	importAeadKey(t, p, "chacha-key-gcm", psa.KeyChacha20, key32, cryptUsage, gcm)
	importAeadKey(t, p, "aes-key-chacha", psa.KeyAes, key32, cryptUsage, chacha)
	importAeadKey(t, p, "hmac-key-gcm", psa.KeyHmac, key32, cryptUsage, gcm)
	wantCode(t, p.ImportKey(bg, alice, "aes-ctr", attrs(psa.KeyAes, 0, 0, cryptUsage, psa.Algorithm{Kind: psa.AlgCipher, Cipher: psa.CipherCtr}), key16), status.Success, "ImportKey")
	importRSA(t, p, alice, "rsa", cryptUsage, aeadPolicy(gcm))

	n12, n13 := make([]byte, 12), make([]byte, 13)
	encrypt := func(name string, alg psa.Aead, nonce, pt []byte) error {
		_, err := p.AeadEncrypt(bg, alice, name, alg, nonce, nil, pt)
		return err
	}
	decrypt := func(name string, alg psa.Aead, nonce, ct []byte) error {
		_, err := p.AeadDecrypt(bg, alice, name, alg, nonce, nil, ct)
		return err
	}
	tests := []struct {
		name string
		err  error
		want status.Code
	}{
		{"missing key", encrypt("missing", gcm, n12, nil), status.PsaErrorDoesNotExist},
		{"other app", func() error { _, err := p.AeadEncrypt(bg, bob, "gcm", gcm, n12, nil, nil); return err }(), status.PsaErrorDoesNotExist},
		{"not an AEAD", encrypt("gcm", psa.Aead{}, n12, nil), status.PsaErrorInvalidArgument},
		{"encrypt without the usage", encrypt("gcm-dec-only", gcm, n12, nil), status.PsaErrorNotPermitted},
		{"decrypt without the usage", decrypt("gcm-enc-only", gcm, n12, make([]byte, 16)), status.PsaErrorNotPermitted},
		{"other base algorithm", encrypt("gcm", ccm, n13, nil), status.PsaErrorNotPermitted},
		{"full-tag policy, shortened request", encrypt("gcm", aeadAlg(psa.AeadGcm, 12), n12, nil), status.PsaErrorNotPermitted},
		{"shortened policy, full-tag request", encrypt("gcm12", gcm, n12, nil), status.PsaErrorNotPermitted},
		{"shortened policy, other length", encrypt("gcm12", aeadAlg(psa.AeadGcm, 13), n12, nil), status.PsaErrorNotPermitted},
		{"shortened 16 is the full tag", encrypt("gcm", psa.Aead{Alg: psa.AeadGcm, Shortened: true, TagLength: 16}, n12, nil), status.Success},
		{"cipher policy", encrypt("aes-ctr", gcm, n12, nil), status.PsaErrorNotPermitted},
		{"GCM with a ChaCha20 key", encrypt("chacha-key-gcm", gcm, n12, nil), status.PsaErrorNotPermitted},
		{"ChaCha20-Poly1305 with an AES key", encrypt("aes-key-chacha", chacha, n12, nil), status.PsaErrorNotPermitted},
		{"GCM with an HMAC key", encrypt("hmac-key-gcm", gcm, n12, nil), status.PsaErrorNotPermitted},
		{"GCM with an RSA key", encrypt("rsa", gcm, n12, nil), status.PsaErrorNotPermitted},
		{"GCM 5-byte tag", encrypt("gcm5", aeadAlg(psa.AeadGcm, 5), n12, nil), status.PsaErrorInvalidArgument},
		{"CCM odd tag", encrypt("ccm5", aeadAlg(psa.AeadCcm, 5), n13, nil), status.PsaErrorInvalidArgument},
		{"CCM 2-byte tag", encrypt("ccm2", aeadAlg(psa.AeadCcm, 2), n13, nil), status.PsaErrorInvalidArgument},
		{"CCM 18-byte tag", encrypt("ccm18", aeadAlg(psa.AeadCcm, 18), n13, nil), status.PsaErrorInvalidArgument},
		{"ChaCha20-Poly1305 short tag", encrypt("chacha12", aeadAlg(psa.AeadChacha20Poly1305, 12), n12, nil), status.PsaErrorInvalidArgument},
		{"GCM empty nonce", encrypt("gcm", gcm, nil, nil), status.PsaErrorInvalidArgument},
		{"GCM 8-byte nonce", encrypt("gcm", gcm, make([]byte, 8), nil), status.Success},
		{"GCM 16-byte nonce, wrong tag", decrypt("gcm", gcm, make([]byte, 16), make([]byte, 16)), status.PsaErrorInvalidSignature},
		{"CCM 6-byte nonce", encrypt("ccm", ccm, make([]byte, 6), nil), status.PsaErrorInvalidArgument},
		{"CCM 14-byte nonce", decrypt("ccm", ccm, make([]byte, 14), make([]byte, 16)), status.PsaErrorInvalidArgument},
		{"ChaCha20-Poly1305 8-byte nonce", encrypt("chacha", chacha, make([]byte, 8), nil), status.PsaErrorInvalidArgument},
		{"ChaCha20-Poly1305 24-byte nonce", encrypt("chacha", chacha, make([]byte, 24), nil), status.PsaErrorInvalidArgument},
		{"CCM longest payload for a 13-byte nonce", encrypt("ccm", ccm, n13, make([]byte, 0xFFFF)), status.Success},
		{"CCM payload too long for a 13-byte nonce", encrypt("ccm", ccm, n13, make([]byte, 0x10000)), status.PsaErrorInvalidArgument},
		{"CCM long payload, 12-byte nonce", encrypt("ccm", ccm, n12, make([]byte, 0x10000)), status.Success},
		{"CCM ciphertext too long for a 13-byte nonce", decrypt("ccm", ccm, n13, make([]byte, 0x10000+16)), status.PsaErrorInvalidArgument},
		{"ciphertext shorter than the tag", decrypt("gcm", gcm, n12, make([]byte, 15)), status.PsaErrorInvalidArgument},
		{"CCM ciphertext shorter than the tag", decrypt("ccm", ccm, n13, nil), status.PsaErrorInvalidArgument},
		{"wrong tag", decrypt("gcm", gcm, n12, make([]byte, 16)), status.PsaErrorInvalidSignature},
		{"ChaCha20-Poly1305 wrong tag", decrypt("chacha", chacha, n12, make([]byte, 20)), status.PsaErrorInvalidSignature},
		{"CCM wrong tag", decrypt("ccm", ccm, n13, make([]byte, 20)), status.PsaErrorInvalidSignature},
	}
	for _, tc := range tests {
		wantCode(t, tc.err, tc.want, tc.name)
	}
}

// A tag check failure releases no plaintext: the result is nil.
func TestAeadTamperReleasesNothing(t *testing.T) {
	p, _ := newTestProvider(t)
	for _, alg := range []psa.Aead{aeadAlg(psa.AeadGcm, 16), aeadAlg(psa.AeadGcm, 8), aeadAlg(psa.AeadCcm, 10)} {
		name := alg.String()
		wantCode(t, p.GenerateKey(bg, alice, name, attrs(psa.KeyAes, 0, 256, cryptUsage, aeadPolicy(alg))), status.Success, "GenerateKey")
		nonce := make([]byte, 12)
		ct := must(p.AeadEncrypt(bg, alice, name, alg, nonce, []byte("header"), []byte("attack at dawn")))
		for i := range ct {
			pt, err := p.AeadDecrypt(bg, alice, name, alg, nonce, []byte("header"), flipBit(ct, i))
			wantCode(t, err, status.PsaErrorInvalidSignature, fmt.Sprintf("%s: byte %d changed", name, i))
			if pt != nil {
				t.Fatalf("%s: plaintext released on failure", name)
			}
		}
	}
}
