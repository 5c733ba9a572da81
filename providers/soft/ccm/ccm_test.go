// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package ccm

import (
	"bytes"
	"crypto/aes"
	"crypto/des"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"testing"

	"github.com/parsecd/parsecd/providers/soft/internal/kat"
)

// vector is one known answer of testdata/*.txt.
type vector struct {
	source                     string
	key, nonce, ad, pt, output []byte
	tagLen                     int
}

// readVectors reads testdata vectors into their fields.
func readVectors(t *testing.T, path string) []vector {
	t.Helper()
	var out []vector
	for _, fields := range kat.Read(t, path) {
		v := vector{source: fields["Source"]}
		for name, dst := range map[string]*[]byte{"Key": &v.key, "Nonce": &v.nonce, "AAD": &v.ad, "Plaintext": &v.pt, "Output": &v.output} {
			*dst = kat.Hex(t, fields[name])
		}
		var err error
		if v.tagLen, err = strconv.Atoi(fields["TagLen"]); err != nil {
			t.Fatalf("%s: TagLen: %v", v.source, err)
		}
		if r := fields["AADRepeat"]; r != "" {
			n, err := strconv.Atoi(r)
			if err != nil {
				t.Fatalf("%s: AADRepeat: %v", v.source, err)
			}
			v.ad = bytes.Repeat(v.ad, n)
		}
		out = append(out, v)
	}
	return out
}

func newAESCCM(t *testing.T, key []byte, nonceSize, tagSize int) *ccm {
	t.Helper()
	b, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(b, nonceSize, tagSize)
	if err != nil {
		t.Fatal(err)
	}
	return a.(*ccm)
}

func TestKnownAnswers(t *testing.T) {
	for _, file := range []string{"testdata/rfc3610.txt", "testdata/sp800-38c.txt"} {
		for _, v := range readVectors(t, file) {
			c := newAESCCM(t, v.key, len(v.nonce), v.tagLen)
			if got := c.Seal(nil, v.nonce, v.pt, v.ad); !bytes.Equal(got, v.output) {
				t.Fatalf("%s: Seal = %x, want %x", v.source, got, v.output)
			}
			pt, err := c.Open(nil, v.nonce, v.output, v.ad)
			if err != nil || !bytes.Equal(pt, v.pt) {
				t.Fatalf("%s: Open = %x, %v; want %x", v.source, pt, err, v.pt)
			}
			// Every part is authenticated.
			flip := func(b []byte, i int) []byte { c := bytes.Clone(b); c[i] ^= 1; return c }
			for name, try := range map[string]func() error{
				"payload": func() error { _, err := c.Open(nil, v.nonce, flip(v.output, 0), v.ad); return err },
				"tag":     func() error { _, err := c.Open(nil, v.nonce, flip(v.output, len(v.output)-1), v.ad); return err },
				"nonce":   func() error { _, err := c.Open(nil, flip(v.nonce, 0), v.output, v.ad); return err },
				"ad":      func() error { _, err := c.Open(nil, v.nonce, v.output, flip(v.ad, len(v.ad)-1)); return err },
				"no ad":   func() error { _, err := c.Open(nil, v.nonce, v.output, nil); return err },
				"short":   func() error { _, err := c.Open(nil, v.nonce, v.output[:len(v.output)-1], v.ad); return err },
			} {
				if try() == nil {
					t.Fatalf("%s: Open accepts a changed %s", v.source, name)
				}
			}
		}
	}
}

func TestNewRefusesBadParameters(t *testing.T) {
	b, _ := aes.NewCipher(make([]byte, 16))
	for _, p := range [][2]int{{6, 16}, {14, 16}, {0, 16}, {12, 3}, {12, 5}, {12, 18}, {12, 2}, {12, 0}} {
		if _, err := New(b, p[0], p[1]); err == nil {
			t.Errorf("New(nonce %d, tag %d) succeeded", p[0], p[1])
		}
	}
	for n := MinNonceSize; n <= MaxNonceSize; n++ {
		for tag := MinTagSize; tag <= MaxTagSize; tag += 2 {
			a, err := New(b, n, tag)
			if err != nil || a.NonceSize() != n || a.Overhead() != tag {
				t.Fatalf("New(nonce %d, tag %d): %v", n, tag, err)
			}
		}
	}
	d, _ := des.NewCipher(make([]byte, 8))
	if _, err := New(d, 12, 16); err == nil {
		t.Error("New accepts a 64-bit block cipher")
	}
}

func TestLengthLimits(t *testing.T) {
	if MaxLength(13) != 0xFFFF || MaxLength(12) != 0xFFFFFF || MaxLength(7) == 0 {
		t.Fatalf("MaxLength: %d %d %d", MaxLength(13), MaxLength(12), MaxLength(7))
	}
	c := newAESCCM(t, make([]byte, 16), 13, 16)
	nonce := make([]byte, 13)
	full := make([]byte, 0xFFFF)
	sealed := c.Seal(nil, nonce, full, nil)
	if pt, err := c.Open(nil, nonce, sealed, nil); err != nil || len(pt) != len(full) {
		t.Fatalf("Open of the longest message: %v", err)
	}
	if _, err := c.Open(nil, nonce, make([]byte, 0x10000+16), nil); err == nil {
		t.Fatal("Open accepts a message longer than the length field")
	}
	mustPanic(t, "too long", func() { c.Seal(nil, nonce, make([]byte, 0x10000), nil) })
	mustPanic(t, "nonce size", func() { c.Seal(nil, nonce[:12], nil, nil) })
	if _, err := c.Open(nil, nonce[:12], sealed, nil); err == nil {
		t.Fatal("Open accepts a nonce of the wrong size")
	}
}

func mustPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Fatalf("%s: no panic", what)
		}
	}()
	f()
}

// The associated data length encodings of RFC 3610 section 2.2 /
// SP 800-38C A.2.2, at their boundaries.
func TestADLength(t *testing.T) {
	for n, want := range map[uint64]string{
		1:             "0001",
		0xFEFF:        "feff",
		0xFF00:        "fffe0000ff00",
		0xFFFFFFFF:    "fffeffffffff",
		0x100000000:   "ffff0000000100000000",
		0x123456789ab: "ffff00000123456789ab",
	} {
		if got := hex.EncodeToString(adLength(n)); got != want {
			t.Errorf("adLength(%#x) = %s, want %s", n, got, want)
		}
	}
}

// Seal appends to dst, and Open works in place.
func TestAppendAndInPlace(t *testing.T) {
	key := make([]byte, 32)
	rand.Read(key)
	c := newAESCCM(t, key, 12, 12)
	nonce := make([]byte, 12)
	rand.Read(nonce)
	for _, n := range []int{0, 1, 15, 16, 17, 100} {
		pt := make([]byte, n)
		rand.Read(pt)
		ad := []byte("header")
		out := c.Seal([]byte("prefix"), nonce, pt, ad)
		if !bytes.HasPrefix(out, []byte("prefix")) || len(out) != 6+n+12 {
			t.Fatalf("Seal did not append: %x", out)
		}
		ct := out[6:]
		got, err := c.Open(ct[:0], nonce, ct, ad)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("in-place Open of %d bytes: %v", n, err)
		}
	}
}
