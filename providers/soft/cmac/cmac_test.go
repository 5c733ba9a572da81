// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package cmac

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"encoding/hex"
	"os/exec"
	"strings"
	"testing"

	"github.com/parsecd/parsecd/providers/soft/internal/kat"
	"github.com/parsecd/parsecd/test/tool"
)

func readVectors(t *testing.T, path string) []map[string]string { return kat.Read(t, path) }

func unhex(t *testing.T, s string) []byte { return kat.Hex(t, s) }

// RFC 4493 §4 and NIST SP 800-38B Appendix D.1–D.3.
func TestKnownAnswers(t *testing.T) {
	vs := readVectors(t, "../testdata/mac_cmac_aes.txt")
	if len(vs) != 15 {
		t.Fatalf("%d vectors, want 15", len(vs))
	}
	for _, v := range vs {
		c, err := aes.NewCipher(unhex(t, v["Key"]))
		if err != nil {
			t.Fatal(err)
		}
		if k1, ok := v["K1"]; ok {
			g1, g2, err := Subkeys(c)
			if err != nil || !bytes.Equal(g1, unhex(t, k1)) || !bytes.Equal(g2, unhex(t, v["K2"])) {
				t.Errorf("%s: subkeys %x %x (%v), want %s %s", v["Source"], g1, g2, err, k1, v["K2"])
			}
			continue
		}
		msg, want := unhex(t, v["Msg"]), unhex(t, v["Mac"])
		got, err := Sum(c, msg)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: CMAC = %x (%v), want %x", v["Source"], got, err, want)
		}
		// Byte-at-a-time writes give the same MAC, and Sum leaves the state alone.
		h, _ := New(c)
		for i := range msg {
			h.Write(msg[i : i+1])
		}
		if got := h.Sum(nil); !bytes.Equal(got, want) {
			t.Errorf("%s: streamed CMAC = %x, want %x", v["Source"], got, want)
		}
		if got := h.Sum([]byte{1}); !bytes.Equal(got[1:], want) || got[0] != 1 {
			t.Errorf("%s: second Sum = %x", v["Source"], got)
		}
		h.Reset()
		h.Write(msg)
		if got := h.Sum(nil); !bytes.Equal(got, want) {
			t.Errorf("%s: CMAC after Reset = %x, want %x", v["Source"], got, want)
		}
		if h.Size() != 16 || h.BlockSize() != 16 {
			t.Errorf("Size %d, BlockSize %d", h.Size(), h.BlockSize())
		}
	}
}

// Every message length from 0 to 80 bytes agrees with `openssl mac ... CMAC`,
// for each AES key size.
func TestOpenSSL(t *testing.T) {
	openssl := tool.Path(t, "openssl")
	msg := make([]byte, 80)
	for i := range msg {
		msg[i] = byte(i*7 + 3)
	}
	for _, size := range []int{16, 24, 32} {
		key := bytes.Repeat([]byte{byte(size)}, size)
		c, _ := aes.NewCipher(key)
		for _, n := range []int{0, 1, 15, 16, 17, 31, 32, 33, 48, 63, 64, 80} {
			cmd := exec.Command(openssl, "mac", "-cipher", map[int]string{16: "AES-128-CBC", 24: "AES-192-CBC", 32: "AES-256-CBC"}[size],
				"-macopt", "hexkey:"+hex.EncodeToString(key), "CMAC")
			cmd.Stdin = bytes.NewReader(msg[:n])
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("openssl mac: %v", err)
			}
			got, _ := Sum(c, msg[:n])
			if want := strings.ToLower(strings.TrimSpace(string(out))); hex.EncodeToString(got) != want {
				t.Fatalf("AES-%d CMAC of %d bytes = %x, openssl %s", 8*size, n, got, want)
			}
		}
	}
}

type wideBlock struct{}

func (wideBlock) BlockSize() int          { return 32 }
func (wideBlock) Encrypt(dst, src []byte) { copy(dst, src) }
func (wideBlock) Decrypt(dst, src []byte) { copy(dst, src) }

var _ cipher.Block = wideBlock{}

func TestBlockSizes(t *testing.T) {
	if _, err := New(wideBlock{}); err != ErrBlockSize {
		t.Fatalf("256-bit block: %v, want ErrBlockSize", err)
	}
	if _, err := Sum(wideBlock{}, nil); err != ErrBlockSize {
		t.Fatalf("Sum with a 256-bit block: %v", err)
	}
	if _, _, err := Subkeys(wideBlock{}); err != ErrBlockSize {
		t.Fatalf("Subkeys with a 256-bit block: %v", err)
	}
	// 64-bit blocks use R_64 = 0x1b: checked against openssl's DES-EDE3 CMAC.
	key := unhex(t, "0123456789abcdef23456789abcdef01456789abcdef0123")
	c, err := des.NewTripleDESCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("sixty-four-bit block cipher CMAC")
	for _, n := range []int{0, 8, 13, len(msg)} {
		got, err := Sum(c, msg[:n])
		if err != nil || len(got) != 8 {
			t.Fatalf("TDEA CMAC: %x, %v", got, err)
		}
		cmd := exec.Command(tool.Path(t, "openssl"), "mac", "-cipher", "DES-EDE3-CBC", "-macopt", "hexkey:"+hex.EncodeToString(key), "CMAC")
		cmd.Stdin = bytes.NewReader(msg[:n])
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("openssl mac with DES-EDE3-CBC: %v (the 64-bit block cross-check needs it)", err)
		}
		if want := strings.ToLower(strings.TrimSpace(string(out))); hex.EncodeToString(got) != want {
			t.Fatalf("TDEA CMAC of %d bytes = %x, openssl %s", n, got, want)
		}
	}
}
