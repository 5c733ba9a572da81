// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package soft

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

func TestHash(t *testing.T) {
	p, _ := newTestProvider(t)
	in := []byte("abc")
	want := map[psa.Hash][]byte{
		psa.HashMD5:       func() []byte { s := md5.Sum(in); return s[:] }(),
		psa.HashSHA1:      func() []byte { s := sha1.Sum(in); return s[:] }(),
		psa.HashSHA224:    func() []byte { s := sha256.Sum224(in); return s[:] }(),
		psa.HashSHA256:    func() []byte { s := sha256.Sum256(in); return s[:] }(),
		psa.HashSHA384:    func() []byte { s := sha512.Sum384(in); return s[:] }(),
		psa.HashSHA512:    func() []byte { s := sha512.Sum512(in); return s[:] }(),
		psa.HashSHA512224: func() []byte { s := sha512.Sum512_224(in); return s[:] }(),
		psa.HashSHA512256: func() []byte { s := sha512.Sum512_256(in); return s[:] }(),
		psa.HashSHA3_224:  func() []byte { s := sha3.Sum224(in); return s[:] }(),
		psa.HashSHA3_256:  func() []byte { s := sha3.Sum256(in); return s[:] }(),
		psa.HashSHA3_384:  func() []byte { s := sha3.Sum384(in); return s[:] }(),
		psa.HashSHA3_512:  func() []byte { s := sha3.Sum512(in); return s[:] }(),
	}
	for h, w := range want {
		got, err := p.HashCompute(bg, h, in)
		wantCode(t, err, status.Success, "HashCompute "+h.String())
		if !bytes.Equal(got, w) || len(got) != h.Size() {
			t.Fatalf("%v(abc) = %x, want %x", h, got, w)
		}
		wantCode(t, p.HashCompare(bg, h, in, w), status.Success, "HashCompare "+h.String())
		wantCode(t, p.HashCompare(bg, h, in, flipBit(w, 0)), status.PsaErrorInvalidSignature, "HashCompare mismatch "+h.String())
		wantCode(t, p.HashCompare(bg, h, in, w[1:]), status.PsaErrorInvalidSignature, "HashCompare short "+h.String())
		wantCode(t, p.HashCompare(bg, h, in, nil), status.PsaErrorInvalidSignature, "HashCompare empty "+h.String())
	}
	// Known answers (FIPS 180-2 and the shared vectors).
	kat := map[string]string{
		"abc":          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		"hello parsec": "4a517b66d550ca920c7f2cbcb8a528ac670063749e84ec100a1058aa7dc38af4",
		"":             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	}
	for msg, hexSum := range kat {
		if got := hex.EncodeToString(must(p.HashCompute(bg, psa.HashSHA256, []byte(msg)))); got != hexSum {
			t.Fatalf("SHA-256(%q) = %s, want %s", msg, got, hexSum)
		}
	}
	if got := hex.EncodeToString(must(p.HashCompute(bg, psa.HashSHA3_256, in))); got != "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532" {
		t.Fatalf("SHA3-256(abc) = %s", got)
	}
	for _, h := range []psa.Hash{psa.HashNone, psa.HashMD2, psa.HashMD4, psa.Hash(16), psa.Hash(200)} {
		_, err := p.HashCompute(bg, h, in)
		wantCode(t, err, status.PsaErrorNotSupported, "HashCompute "+h.String())
		wantCode(t, p.HashCompare(bg, h, in, make([]byte, 20)), status.PsaErrorNotSupported, "HashCompare "+h.String())
	}
}

func TestGenerateRandom(t *testing.T) {
	p, _ := newTestProvider(t, func(d *provider.Deps) { d.BufferSizeLimit = 64 })
	got, err := p.GenerateRandom(bg, 0)
	wantCode(t, err, status.Success, "GenerateRandom 0")
	if len(got) != 0 {
		t.Fatalf("%d bytes for size 0", len(got))
	}
	a := must(p.GenerateRandom(bg, 32))
	b := must(p.GenerateRandom(bg, 32))
	if len(a) != 32 || bytes.Equal(a, b) || bytes.Equal(a, make([]byte, 32)) {
		t.Fatalf("random bytes %x, %x", a, b)
	}
	if len(must(p.GenerateRandom(bg, 64))) != 64 {
		t.Fatal("size at the limit")
	}
	_, err = p.GenerateRandom(bg, 65)
	wantCode(t, err, status.ResponseTooLarge, "GenerateRandom above the limit")
	_, err = p.GenerateRandom(bg, 1<<63)
	wantCode(t, err, status.ResponseTooLarge, "GenerateRandom huge")

	// Without a configured limit, 1 MiB.
	d, _ := newTestProvider(t)
	if len(must(d.GenerateRandom(bg, 1<<20))) != 1<<20 {
		t.Fatal("1 MiB")
	}
	_, err = d.GenerateRandom(bg, 1<<20+1)
	wantCode(t, err, status.ResponseTooLarge, "GenerateRandom above the default limit")
}

// hashByName maps the psa.Hash names used in testdata/hash_abc.txt.
func hashByName(t *testing.T, name string) psa.Hash {
	t.Helper()
	for h := psa.HashNone; h <= psa.HashSHA3_512; h++ {
		if h.String() == name {
			return h
		}
	}
	t.Fatalf("unknown hash %q", name)
	return 0
}

// FIPS 180-4 / FIPS 202 / RFC 1321 known answers for every implemented hash.
func TestHashKnownAnswers(t *testing.T) {
	p, _ := newTestProvider(t)
	seen := map[psa.Hash]bool{}
	for _, v := range tdBlocks(t, "hash_abc.txt") {
		h := hashByName(t, v["Hash"])
		msg, want := []byte(v["Msg"]), unhex(v["Digest"])
		got, err := p.HashCompute(bg, h, msg)
		wantCode(t, err, status.Success, "HashCompute "+h.String())
		if !bytes.Equal(got, want) {
			t.Fatalf("%v(%q) = %x, want %x", h, msg, got, want)
		}
		wantCode(t, p.HashCompare(bg, h, msg, want), status.Success, "HashCompare "+h.String())
		wantCode(t, p.HashCompare(bg, h, msg, flipBit(want, len(want)-1)), status.PsaErrorInvalidSignature, "HashCompare flipped "+h.String())
		wantCode(t, p.HashCompare(bg, h, msg, append(bytes.Clone(want), 0)), status.PsaErrorInvalidSignature, "HashCompare long "+h.String())
		if string(msg) == "abc" {
			seen[h] = true
		}
	}
	for h := psa.HashNone; h <= psa.HashSHA3_512; h++ {
		if implementedHash(h) && !seen[h] {
			t.Errorf("no \"abc\" vector for %v", h)
		}
	}
}

// HashCompute succeeds exactly for the hashes implementedHash (the
// capability table) names, with a digest of the hash's size; every other
// value, including RIPEMD-160, NONE and values no hash has, is 1134.
func TestHashSetEqualsImplementedHash(t *testing.T) {
	p, _ := newTestProvider(t)
	n := 0
	for i := 0; i < 256; i++ {
		h := psa.Hash(i)
		got, err := p.HashCompute(bg, h, []byte("abc"))
		cerr := p.HashCompare(bg, h, []byte("abc"), got)
		if implementedHash(h) {
			n++
			if err != nil || len(got) != h.Size() || cerr != nil {
				t.Errorf("%v: HashCompute %x, %v; HashCompare %v", h, got, err, cerr)
			}
			continue
		}
		if h == psa.HashRipemd160 {
			continue // a message digest only: TestHashRipemd160
		}
		if codeOf(err) != status.PsaErrorNotSupported || codeOf(cerr) != status.PsaErrorNotSupported {
			t.Errorf("%v: HashCompute %v, HashCompare %v, want %v", h, err, cerr, status.PsaErrorNotSupported)
		}
	}
	want := []psa.Hash{psa.HashMD5, psa.HashSHA1, psa.HashSHA224, psa.HashSHA256, psa.HashSHA384, psa.HashSHA512,
		psa.HashSHA512224, psa.HashSHA512256, psa.HashSHA3_224, psa.HashSHA3_256, psa.HashSHA3_384, psa.HashSHA3_512}
	if n != len(want) {
		t.Fatalf("%d hashes implemented, want %d", n, len(want))
	}
	for _, h := range want {
		if !implementedHash(h) {
			t.Errorf("%v is not implemented", h)
		}
	}
}

// RIPEMD-160 is a message digest only (HashCompute, HashCompare), never a
// key policy's hash. Known answers from the RIPEMD-160 authors' test
// vectors (Dobbertin, Bosselaers, Preneel), and openssl agrees.
func TestHashRipemd160(t *testing.T) {
	p, _ := newTestProvider(t)
	for msg, sum := range map[string]string{
		"":               "9c1185a5c5e9fc54612808977ee8f548b2258d31",
		"abc":            "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc",
		"message digest": "5d0689ef49d2fae572b881b123a85ffa21595f36",
	} {
		got := must(p.HashCompute(bg, psa.HashRipemd160, []byte(msg)))
		if hex.EncodeToString(got) != sum {
			t.Errorf("RIPEMD-160(%q) = %x, want %s", msg, got, sum)
		}
		wantCode(t, p.HashCompare(bg, psa.HashRipemd160, []byte(msg), got), status.Success, "HashCompare RIPEMD-160")
		wantCode(t, p.HashCompare(bg, psa.HashRipemd160, []byte(msg+"x"), got), status.PsaErrorInvalidSignature, "HashCompare RIPEMD-160 of another message")
	}
	msg := make([]byte, 1000)
	for i := range msg {
		msg[i] = byte(i * 31)
	}
	out, err := openssl(t, "dgst", "-ripemd160", "-r", writeFile(t, t.TempDir(), "msg", msg))
	if err != nil {
		t.Fatalf("openssl dgst -ripemd160: %v\n%s", err, out)
	}
	want, _, _ := strings.Cut(string(out), " ")
	if got := hex.EncodeToString(must(p.HashCompute(bg, psa.HashRipemd160, msg))); got != want {
		t.Fatalf("RIPEMD-160: parsecd %s, openssl %s", got, want)
	}
	if implementedHash(psa.HashRipemd160) {
		t.Error("RIPEMD-160 must not be offered as a key policy's hash")
	}
}

// Every implemented hash agrees with `openssl dgst` on a 1000-byte message.
func TestHashOpenSSL(t *testing.T) {
	p, _ := newTestProvider(t)
	names := map[psa.Hash]string{
		psa.HashMD5: "md5", psa.HashSHA1: "sha1", psa.HashSHA224: "sha224", psa.HashSHA256: "sha256",
		psa.HashSHA384: "sha384", psa.HashSHA512: "sha512", psa.HashSHA512224: "sha512-224", psa.HashSHA512256: "sha512-256",
		psa.HashSHA3_224: "sha3-224", psa.HashSHA3_256: "sha3-256", psa.HashSHA3_384: "sha3-384", psa.HashSHA3_512: "sha3-512",
	}
	msg := make([]byte, 1000)
	for i := range msg {
		msg[i] = byte(i * 31)
	}
	in := writeFile(t, t.TempDir(), "msg", msg)
	for h := psa.HashNone; h <= psa.HashSHA3_512; h++ {
		if !implementedHash(h) {
			continue
		}
		out, err := openssl(t, "dgst", "-"+names[h], "-r", in)
		if err != nil {
			t.Fatalf("openssl dgst -%s: %v\n%s", names[h], err, out)
		}
		want, _, _ := strings.Cut(string(out), " ")
		if got := hex.EncodeToString(must(p.HashCompute(bg, h, msg))); got != want {
			t.Fatalf("%v: parsecd %s, openssl %s", h, got, want)
		}
	}
}
