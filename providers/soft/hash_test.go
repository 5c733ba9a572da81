package soft

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"encoding/hex"
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
	for _, h := range []psa.Hash{psa.HashNone, psa.HashMD2, psa.HashMD4, psa.HashRipemd160, psa.Hash(16), psa.Hash(200)} {
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
