// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package soft

import (
	"bytes"
	"crypto/aes"
	"crypto/ecdsa"
	"crypto/hmac"
	"encoding/hex"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/parsecd/parsecd/providers/soft/internal/kat"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

// tdBlocks reads a known-answer file of providers/soft/testdata.
func tdBlocks(t testing.TB, name string) []map[string]string {
	t.Helper()
	return kat.Read(t, filepath.Join("testdata", name))
}

const macUsage = psa.UsageSignMessage | psa.UsageVerifyMessage

func macPolicy(m psa.Mac) psa.Algorithm { return psa.Algorithm{Kind: psa.AlgMac, Mac: m} }

func hmacAlg(h psa.Hash) psa.Mac { return psa.Mac{Kind: psa.MacHmac, Hash: h} }

func truncated(m psa.Mac, n uint32) psa.Mac {
	m.Truncated, m.Length = true, n
	return m
}

var (
	cmacAlg   = psa.Mac{Kind: psa.MacCmac}
	cbcMacAlg = psa.Mac{Kind: psa.MacCbcMac}
)

// macTestKey builds a parsed symmetric key as load returns it, so that the
// MAC code is tested without the key store (ImportKey of symmetric keys
// belongs to keys.go).
func macTestKey(kind psa.KeyKind, material []byte, usage psa.UsageFlags, policy psa.Algorithm) *key {
	return &key{
		attrs: attrs(kind, 0, uint32(8*len(material)), usage, policy),
		sym:   bytes.Clone(material),
	}
}

func codeOf(err error) status.Code {
	if err == nil {
		return status.Success
	}
	return status.CodeOf(err)
}

// RFC 4231 test cases 1–7 for HMAC-SHA-224/256/384/512 (test case 5
// truncated to 128 bits), computed and verified.
func TestMacHMACRFC4231(t *testing.T) {
	hashes := map[string]psa.Hash{"HMAC-SHA-224": psa.HashSHA224, "HMAC-SHA-256": psa.HashSHA256, "HMAC-SHA-384": psa.HashSHA384, "HMAC-SHA-512": psa.HashSHA512}
	n := 0
	for _, v := range tdBlocks(t, "mac_hmac_rfc4231.txt") {
		for label, h := range hashes {
			want := unhex(v[label])
			alg := hmacAlg(h)
			if tr, ok := v["Truncate"]; ok {
				l, _ := strconv.Atoi(tr)
				alg = truncated(alg, uint32(l))
			}
			k := macTestKey(psa.KeyHmac, unhex(v["Key"]), macUsage, macPolicy(alg))
			data := unhex(v["Data"])
			got, err := macCompute(k, alg, data)
			wantCode(t, err, status.Success, v["Source"]+" "+label)
			if !bytes.Equal(got, want) {
				t.Fatalf("%s %s = %x, want %x", v["Source"], label, got, want)
			}
			wantCode(t, macVerify(k, alg, data, want), status.Success, "verify "+v["Source"])
			wantCode(t, macVerify(k, alg, data, flipBit(want, len(want)-1)), status.PsaErrorInvalidSignature, "verify flipped")
			wantCode(t, macVerify(k, alg, data, want[:len(want)-1]), status.PsaErrorInvalidSignature, "verify short")
			wantCode(t, macVerify(k, alg, data, append(bytes.Clone(want), 0)), status.PsaErrorInvalidSignature, "verify long")
			wantCode(t, macVerify(k, alg, data, nil), status.PsaErrorInvalidSignature, "verify empty")
			wantCode(t, macVerify(k, alg, append(bytes.Clone(data), 0), want), status.PsaErrorInvalidSignature, "verify other data")
			n++
		}
	}
	if n != 28 {
		t.Fatalf("%d RFC 4231 checks, want 28", n)
	}
}

// RFC 4493 §4 (AES-128) and NIST SP 800-38B D.2/D.3 (AES-192/256) through
// the provider's MAC code.
func TestMacCMACKnownAnswers(t *testing.T) {
	n := 0
	for _, v := range tdBlocks(t, "mac_cmac_aes.txt") {
		if _, ok := v["Mac"]; !ok {
			continue // subkey vectors: providers/soft/cmac tests them
		}
		k := macTestKey(psa.KeyAes, unhex(v["Key"]), macUsage, macPolicy(cmacAlg))
		msg, want := unhex(v["Msg"]), unhex(v["Mac"])
		got, err := macCompute(k, cmacAlg, msg)
		wantCode(t, err, status.Success, v["Source"])
		if !bytes.Equal(got, want) {
			t.Fatalf("%s: %x, want %x", v["Source"], got, want)
		}
		wantCode(t, macVerify(k, cmacAlg, msg, want), status.Success, "verify "+v["Source"])
		wantCode(t, macVerify(k, cmacAlg, msg, flipBit(want, 3)), status.PsaErrorInvalidSignature, "verify flipped "+v["Source"])
		// The 8-byte truncation is the first 8 bytes (SP 800-38B §6.2 step 7).
		tr := truncated(cmacAlg, 8)
		k8 := macTestKey(psa.KeyAes, unhex(v["Key"]), macUsage, macPolicy(tr))
		if got := must(macCompute(k8, tr, msg)); !bytes.Equal(got, want[:8]) {
			t.Fatalf("%s truncated to 8: %x", v["Source"], got)
		}
		wantCode(t, macVerify(k8, tr, msg, want[:8]), status.Success, "verify truncated")
		wantCode(t, macVerify(k8, tr, msg, want), status.PsaErrorInvalidSignature, "verify full MAC against a truncated one")
		n++
	}
	if n != 12 {
		t.Fatalf("%d CMAC vectors, want 12", n)
	}
}

// CBC-MAC: one block is AES_K(M) (NIST SP 800-38A F.1.1, ECB-AES128,
// block 1); longer inputs are checked against openssl's CBC encryption
// under a zero IV; partial blocks and empty input are 1135.
func TestMacCBCMAC(t *testing.T) {
	key := unhex("2b7e151628aed2a6abf7158809cf4f3c")
	k := macTestKey(psa.KeyAes, key, macUsage, macPolicy(cbcMacAlg))
	got := must(macCompute(k, cbcMacAlg, unhex("6bc1bee22e409f96e93d7e117393172a")))
	if want := unhex("3ad77bb40d7a3660a89ecaf32466ef97"); !bytes.Equal(got, want) {
		t.Fatalf("CBC-MAC of one block = %x, want %x (SP 800-38A F.1.1)", got, want)
	}
	msg := make([]byte, 64)
	for i := range msg {
		msg[i] = byte(i)
	}
	dir := t.TempDir()
	for _, keyHex := range []string{"2b7e151628aed2a6abf7158809cf4f3c", "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b", "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4"} {
		key := unhex(keyHex)
		k := macTestKey(psa.KeyAes, key, macUsage, macPolicy(cbcMacAlg))
		cipherName := "-aes-" + strconv.Itoa(8*len(key)) + "-cbc"
		for _, n := range []int{16, 32, 64} {
			in := writeFile(t, dir, "in", msg[:n])
			out, err := openssl(t, "enc", cipherName, "-K", keyHex, "-iv", strings.Repeat("00", 16), "-nopad", "-in", in)
			if err != nil || len(out) != n {
				t.Fatalf("openssl enc: %v (%d bytes)", err, len(out))
			}
			got := must(macCompute(k, cbcMacAlg, msg[:n]))
			if !bytes.Equal(got, out[n-16:]) {
				t.Fatalf("AES-%d CBC-MAC of %d bytes = %x, openssl's last CBC block %x", 8*len(key), n, got, out[n-16:])
			}
			wantCode(t, macVerify(k, cbcMacAlg, msg[:n], got), status.Success, "CBC-MAC verify")
		}
		for _, n := range []int{0, 1, 15, 17, 63} {
			_, err := macCompute(k, cbcMacAlg, msg[:n])
			wantCode(t, err, status.PsaErrorInvalidArgument, "CBC-MAC of "+strconv.Itoa(n)+" bytes")
			wantCode(t, macVerify(k, cbcMacAlg, msg[:n], make([]byte, 16)), status.PsaErrorInvalidArgument, "CBC-MAC verify of "+strconv.Itoa(n)+" bytes")
		}
	}
}

// HMAC with every hash implementedHash allows agrees with crypto/hmac and
// with `openssl mac ... HMAC`; the other hashes are 1134.
func TestMacHMACEveryHash(t *testing.T) {
	opensslNames := map[psa.Hash]string{
		psa.HashMD5: "MD5", psa.HashSHA1: "SHA1", psa.HashSHA224: "SHA224", psa.HashSHA256: "SHA256",
		psa.HashSHA384: "SHA384", psa.HashSHA512: "SHA512", psa.HashSHA512224: "SHA512-224", psa.HashSHA512256: "SHA512-256",
		psa.HashSHA3_224: "SHA3-224", psa.HashSHA3_256: "SHA3-256", psa.HashSHA3_384: "SHA3-384", psa.HashSHA3_512: "SHA3-512",
	}
	key := unhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
	msg := []byte("parsecd HMAC cross-check")
	dir := t.TempDir()
	in := writeFile(t, dir, "msg", msg)
	for h := psa.HashNone + 1; h <= psa.HashSHA3_512; h++ {
		alg := hmacAlg(h)
		k := macTestKey(psa.KeyHmac, key, macUsage, macPolicy(alg))
		got, err := macCompute(k, alg, msg)
		if !implementedHash(h) {
			wantCode(t, err, status.PsaErrorNotSupported, "HMAC-"+h.String())
			wantCode(t, macVerify(k, alg, msg, make([]byte, h.Size())), status.PsaErrorNotSupported, "HMAC-"+h.String()+" verify")
			continue
		}
		wantCode(t, err, status.Success, "HMAC-"+h.String())
		ch := must(cryptoHash(h))
		ref := hmac.New(ch.New, key)
		ref.Write(msg)
		if !bytes.Equal(got, ref.Sum(nil)) || len(got) != h.Size() {
			t.Fatalf("HMAC-%v = %x, crypto/hmac %x", h, got, ref.Sum(nil))
		}
		out, err := openssl(t, "mac", "-digest", opensslNames[h], "-macopt", "hexkey:"+hex.EncodeToString(key), "-in", in, "HMAC")
		if err != nil {
			t.Fatalf("openssl mac HMAC %s: %v\n%s", opensslNames[h], err, out)
		}
		if want := strings.ToLower(strings.TrimSpace(string(out))); hex.EncodeToString(got) != want {
			t.Fatalf("HMAC-%v = %x, openssl %s", h, got, want)
		}
		// Every valid truncation is the prefix.
		for l := uint32(4); l <= uint32(h.Size()); l++ {
			tr := truncated(alg, l)
			kt := macTestKey(psa.KeyHmac, key, macUsage, macPolicy(tr))
			if mac := must(macCompute(kt, tr, msg)); !bytes.Equal(mac, got[:l]) {
				t.Fatalf("HMAC-%v truncated to %d = %x", h, l, mac)
			}
			wantCode(t, macVerify(kt, tr, msg, got[:l]), status.Success, "verify truncated")
		}
	}
}

// Truncation lengths outside [4, full length] are 1135, whatever the policy.
func TestMacTruncationLengths(t *testing.T) {
	for _, c := range []struct {
		kind psa.KeyKind
		key  []byte
		alg  psa.Mac
		full uint32
	}{
		{psa.KeyHmac, make([]byte, 32), hmacAlg(psa.HashSHA256), 32},
		{psa.KeyHmac, make([]byte, 32), hmacAlg(psa.HashSHA512), 64},
		{psa.KeyAes, make([]byte, 16), cmacAlg, 16},
		{psa.KeyAes, make([]byte, 32), cbcMacAlg, 16},
	} {
		for _, l := range []uint32{0, 1, 3, c.full + 1, 1000} {
			tr := truncated(c.alg, l)
			k := macTestKey(c.kind, c.key, macUsage, macPolicy(tr))
			_, err := macCompute(k, tr, make([]byte, 16))
			wantCode(t, err, status.PsaErrorInvalidArgument, "truncation to "+strconv.Itoa(int(l)))
			wantCode(t, macVerify(k, tr, make([]byte, 16), make([]byte, l)), status.PsaErrorInvalidArgument, "verify truncation")
		}
		// A truncation to the full length is the full-length MAC.
		full := macTestKey(c.kind, c.key, macUsage, macPolicy(c.alg))
		tr := truncated(c.alg, c.full)
		a, b := must(macCompute(full, c.alg, make([]byte, 16))), must(macCompute(full, tr, make([]byte, 16)))
		if !bytes.Equal(a, b) || len(a) != int(c.full) {
			t.Fatalf("truncation to the full length %x, full %x", b, a)
		}
	}
}

// The key policy decides: usage flags (sign/verify message), the MAC
// algorithm, its hash and its length.
func TestMacPolicy(t *testing.T) {
	key := make([]byte, 32)
	h256, h384 := hmacAlg(psa.HashSHA256), hmacAlg(psa.HashSHA384)
	msg := make([]byte, 32)
	cases := []struct {
		name    string
		kind    psa.KeyKind
		usage   psa.UsageFlags
		policy  psa.Algorithm
		alg     psa.Mac
		compute status.Code
		verify  status.Code
	}{
		{"both flags", psa.KeyHmac, macUsage, macPolicy(h256), h256, status.Success, status.Success},
		{"sign only", psa.KeyHmac, psa.UsageSignMessage, macPolicy(h256), h256, status.Success, status.PsaErrorNotPermitted},
		{"verify only", psa.KeyHmac, psa.UsageVerifyMessage, macPolicy(h256), h256, status.PsaErrorNotPermitted, status.Success},
		{"hash flags are not MAC flags", psa.KeyHmac, psa.UsageSignHash | psa.UsageVerifyHash, macPolicy(h256), h256, status.PsaErrorNotPermitted, status.PsaErrorNotPermitted},
		{"no flags", psa.KeyHmac, psa.UsageExport | psa.UsageDerive | psa.UsageEncrypt | psa.UsageDecrypt, macPolicy(h256), h256, status.PsaErrorNotPermitted, status.PsaErrorNotPermitted},
		{"other hash", psa.KeyHmac, macUsage, macPolicy(h256), h384, status.PsaErrorNotPermitted, status.PsaErrorNotPermitted},
		{"other MAC", psa.KeyAes, macUsage, macPolicy(cmacAlg), cbcMacAlg, status.PsaErrorNotPermitted, status.PsaErrorNotPermitted},
		{"CMAC policy, HMAC request", psa.KeyHmac, macUsage, macPolicy(cmacAlg), h256, status.PsaErrorNotPermitted, status.PsaErrorNotPermitted},
		{"full policy, truncated request", psa.KeyHmac, macUsage, macPolicy(h256), truncated(h256, 16), status.PsaErrorNotPermitted, status.PsaErrorNotPermitted},
		{"truncated policy, full request", psa.KeyHmac, macUsage, macPolicy(truncated(h256, 16)), h256, status.PsaErrorNotPermitted, status.PsaErrorNotPermitted},
		{"truncated policy, other length", psa.KeyHmac, macUsage, macPolicy(truncated(h256, 16)), truncated(h256, 20), status.PsaErrorNotPermitted, status.PsaErrorNotPermitted},
		{"truncated policy, same length", psa.KeyHmac, macUsage, macPolicy(truncated(h256, 16)), truncated(h256, 16), status.Success, status.Success},
		{"truncated policy, other hash", psa.KeyHmac, macUsage, macPolicy(truncated(h256, 16)), truncated(h384, 16), status.PsaErrorNotPermitted, status.PsaErrorNotPermitted},
		{"full policy, full-length truncation", psa.KeyHmac, macUsage, macPolicy(h256), truncated(h256, 32), status.Success, status.Success},
		{"full-length truncation policy, full request", psa.KeyHmac, macUsage, macPolicy(truncated(h256, 32)), h256, status.Success, status.Success},
		{"CMAC full policy, truncated request", psa.KeyAes, macUsage, macPolicy(cmacAlg), truncated(cmacAlg, 8), status.PsaErrorNotPermitted, status.PsaErrorNotPermitted},
		{"policy none", psa.KeyHmac, macUsage, psa.Algorithm{Kind: psa.AlgNone}, h256, status.PsaErrorNotPermitted, status.PsaErrorNotPermitted},
		{"policy is a hash", psa.KeyHmac, macUsage, psa.Algorithm{Kind: psa.AlgHash, Hash: psa.HashSHA256}, h256, status.PsaErrorNotPermitted, status.PsaErrorNotPermitted},
		{"policy is a signature", psa.KeyHmac, macUsage | allSign, signPolicy(signAlg(psa.SignEcdsa, psa.HashSHA256)), h256, status.PsaErrorNotPermitted, status.PsaErrorNotPermitted},
		// The policy fits the request but not the key type (checkAlgorithm: 1133).
		{"HMAC on an AES key", psa.KeyAes, macUsage, macPolicy(h256), h256, status.PsaErrorNotPermitted, status.PsaErrorNotPermitted},
		{"CMAC on an HMAC key", psa.KeyHmac, macUsage, macPolicy(cmacAlg), cmacAlg, status.PsaErrorNotPermitted, status.PsaErrorNotPermitted},
		{"CBC-MAC on a raw-data key", psa.KeyRawData, macUsage, macPolicy(cbcMacAlg), cbcMacAlg, status.PsaErrorNotPermitted, status.PsaErrorNotPermitted},
		{"HMAC on a ChaCha20 key", psa.KeyChacha20, macUsage, macPolicy(h256), h256, status.PsaErrorNotPermitted, status.PsaErrorNotPermitted},
		{"HMAC on a derivation key", psa.KeyDerive, macUsage, macPolicy(h256), h256, status.PsaErrorNotPermitted, status.PsaErrorNotPermitted},
		// Unsupported hashes (checkAlgorithm: 1134).
		{"HMAC-MD2", psa.KeyHmac, macUsage, macPolicy(hmacAlg(psa.HashMD2)), hmacAlg(psa.HashMD2), status.PsaErrorNotSupported, status.PsaErrorNotSupported},
		{"HMAC-RIPEMD160", psa.KeyHmac, macUsage, macPolicy(hmacAlg(psa.HashRipemd160)), hmacAlg(psa.HashRipemd160), status.PsaErrorNotSupported, status.PsaErrorNotSupported},
		// Requests that are not MAC algorithms (1135).
		{"HMAC without a hash", psa.KeyHmac, macUsage, macPolicy(hmacAlg(psa.HashNone)), hmacAlg(psa.HashNone), status.PsaErrorInvalidArgument, status.PsaErrorInvalidArgument},
		{"HMAC with an unknown hash", psa.KeyHmac, macUsage, macPolicy(hmacAlg(99)), hmacAlg(99), status.PsaErrorInvalidArgument, status.PsaErrorInvalidArgument},
		{"unknown MAC kind", psa.KeyHmac, macUsage, macPolicy(psa.Mac{Kind: 9}), psa.Mac{Kind: 9}, status.PsaErrorInvalidArgument, status.PsaErrorInvalidArgument},
		{"unset MAC kind", psa.KeyHmac, macUsage, macPolicy(psa.Mac{}), psa.Mac{}, status.PsaErrorInvalidArgument, status.PsaErrorInvalidArgument},
	}
	for _, c := range cases {
		k := macTestKey(c.kind, key, c.usage, c.policy)
		if c.kind == psa.KeyAes {
			k = macTestKey(c.kind, key[:16], c.usage, c.policy)
		}
		mac, err := macCompute(k, c.alg, msg)
		wantCode(t, err, c.compute, c.name+": compute")
		if err != nil {
			mac = make([]byte, psa.MacLength(k.attrs.Type, c.alg))
		}
		if c.verify == status.Success && c.compute != status.Success {
			// A verify-only key: take the MAC from a key that may compute it.
			mac = must(macCompute(macTestKey(c.kind, k.sym, macUsage, c.policy), c.alg, msg))
		}
		wantCode(t, macVerify(k, c.alg, msg, mac), c.verify, c.name+": verify")
	}
}

// Keys of other types (asymmetric) cannot compute MACs: checkAlgorithm's
// type mismatch, 1133.
func TestMacAsymmetricKeys(t *testing.T) {
	h256 := hmacAlg(psa.HashSHA256)
	ec := must(ecdsa.GenerateKey(curveOf(256), randReader))
	for _, k := range []*key{
		{attrs: attrs(psa.KeyEccPair, psa.EccSecpR1, 256, macUsage, macPolicy(h256)), ec: ec},
		{attrs: attrs(psa.KeyEccPublic, psa.EccSecpR1, 256, macUsage, macPolicy(h256)), ecPub: &ec.PublicKey},
		{attrs: attrs(psa.KeyRsaPair, 0, 2048, macUsage, macPolicy(cmacAlg)), rsa: testRSAKey()},
	} {
		alg := k.attrs.Policy.Alg.Mac
		_, err := macCompute(k, alg, []byte("x"))
		wantCode(t, err, status.PsaErrorNotPermitted, "MAC with a "+k.attrs.Type.String())
		wantCode(t, macVerify(k, alg, []byte("x"), make([]byte, 32)), status.PsaErrorNotPermitted, "MAC verify with a "+k.attrs.Type.String())
	}
}

// What a MAC operation answers for a key whose policy is the requested
// algorithm equals what CanDoCrypto(Use) answers for the same attributes.
func TestMacAgreesWithCanDoCrypto(t *testing.T) {
	p, _ := newTestProvider(t)
	var algs []psa.Mac
	for h := psa.HashMD2; h <= psa.HashSHA3_512; h++ {
		algs = append(algs, hmacAlg(h), truncated(hmacAlg(h), 16), truncated(hmacAlg(h), 3), truncated(hmacAlg(h), 65))
	}
	for _, m := range []psa.Mac{cmacAlg, cbcMacAlg} {
		algs = append(algs, m, truncated(m, 4), truncated(m, 16), truncated(m, 17), truncated(m, 2))
	}
	types := []struct {
		kind psa.KeyKind
		key  []byte
	}{
		{psa.KeyHmac, make([]byte, 32)}, {psa.KeyAes, make([]byte, 16)}, {psa.KeyAes, make([]byte, 32)},
		{psa.KeyRawData, make([]byte, 16)}, {psa.KeyChacha20, make([]byte, 32)}, {psa.KeyDerive, make([]byte, 32)},
	}
	n := 0
	for _, ty := range types {
		for _, alg := range algs {
			k := macTestKey(ty.kind, ty.key, macUsage, macPolicy(alg))
			want := codeOf(psa.CanDoAnswer(p.CanDoCrypto(bg, alice, psa.CheckUse, k.attrs)))
			_, err := macCompute(k, alg, make([]byte, 32))
			got := codeOf(err)
			if !psa.Fits(k.attrs.Type, k.attrs.Policy.Alg) {
				// A MAC on a key of another family: the operation refuses the
				// policy, CanDoCrypto answers NotSupported as Parsec does.
				if want != status.PsaErrorNotSupported || got != status.PsaErrorNotPermitted {
					t.Errorf("%v key, %+v: MacCompute %v, CanDoCrypto %v; want NotPermitted and NotSupported", ty.kind, alg, got, want)
				}
			} else if codeOf(psa.CanDoAnswer(err)) != want {
				t.Errorf("%v key, %+v: MacCompute %v, CanDoCrypto %v", ty.kind, alg, got, want)
			}
			n++
		}
	}
	if n == 0 {
		t.Fatal("no cases")
	}
}

// importMacKey imports a symmetric key through the provider. ImportKey of
// HMAC and AES keys is keys.go's (the key-management work); until it lands
// this fails with the message below.
func importMacKey(t *testing.T, p *Provider, name string, kind psa.KeyKind, material []byte, usage psa.UsageFlags, policy psa.Algorithm) {
	t.Helper()
	a := attrs(kind, 0, uint32(8*len(material)), usage, policy)
	if err := p.ImportKey(bg, alice, name, a, material); err != nil {
		t.Fatalf("PENDING keys.go: ImportKey of a %v key failed (%v); the provider-level MAC tests need symmetric key import", kind, err)
	}
}

// Provider level: MacCompute and MacVerify load the caller's key.
func TestMacProvider(t *testing.T) {
	p, _ := newTestProvider(t)
	h256 := hmacAlg(psa.HashSHA256)

	// Keys that do not exist, whatever the algorithm.
	_, err := p.MacCompute(bg, alice, "none", h256, []byte("x"))
	wantCode(t, err, status.PsaErrorDoesNotExist, "MacCompute of a missing key")
	wantCode(t, p.MacVerify(bg, alice, "none", h256, []byte("x"), make([]byte, 32)), status.PsaErrorDoesNotExist, "MacVerify of a missing key")

	// An ECC key (importable today) is the wrong type for a MAC.
	importECC(t, p, alice, "ecc", 256, allSign|macUsage, signAlg(psa.SignEcdsa, psa.HashSHA256))
	_, err = p.MacCompute(bg, alice, "ecc", h256, []byte("x"))
	wantCode(t, err, status.PsaErrorNotPermitted, "MacCompute with an ECDSA key")

	// RFC 4231 test case 2 through the store.
	v := tdBlocks(t, "mac_hmac_rfc4231.txt")[1]
	importMacKey(t, p, "hmac", psa.KeyHmac, unhex(v["Key"]), macUsage, macPolicy(h256))
	want := unhex(v["HMAC-SHA-256"])
	if got := must(p.MacCompute(bg, alice, "hmac", h256, unhex(v["Data"]))); !bytes.Equal(got, want) {
		t.Fatalf("MacCompute = %x, want %x", got, want)
	}
	wantCode(t, p.MacVerify(bg, alice, "hmac", h256, unhex(v["Data"]), want), status.Success, "MacVerify")
	wantCode(t, p.MacVerify(bg, alice, "hmac", h256, unhex(v["Data"]), flipBit(want, 0)), status.PsaErrorInvalidSignature, "MacVerify tampered")
	_, err = p.MacCompute(bg, alice, "hmac", hmacAlg(psa.HashSHA512), nil)
	wantCode(t, err, status.PsaErrorNotPermitted, "MacCompute with another hash")
	// Another caller does not see the key.
	_, err = p.MacCompute(bg, bob, "hmac", h256, nil)
	wantCode(t, err, status.PsaErrorDoesNotExist, "MacCompute by another application")

	// RFC 4493 example 2 through the store.
	c := tdBlocks(t, "mac_cmac_aes.txt")[2]
	importMacKey(t, p, "cmac", psa.KeyAes, unhex(c["Key"]), psa.UsageVerifyMessage, macPolicy(cmacAlg))
	wantCode(t, p.MacVerify(bg, alice, "cmac", cmacAlg, unhex(c["Msg"]), unhex(c["Mac"])), status.Success, "MacVerify CMAC")
	_, err = p.MacCompute(bg, alice, "cmac", cmacAlg, unhex(c["Msg"]))
	wantCode(t, err, status.PsaErrorNotPermitted, "MacCompute with a verify-only key")
}

// Provider level, against openssl: MACs parsecd computes are openssl's, and
// MACs openssl computes verify in parsecd (HMAC-SHA-256, HMAC-SHA3-256,
// CMAC-AES-128/256).
func TestMacOpenSSLProvider(t *testing.T) {
	p, _ := newTestProvider(t)
	dir := t.TempDir()
	msg := []byte("MACed by parsecd and by openssl, each checking the other")
	in := writeFile(t, dir, "msg", msg)
	for _, c := range []struct {
		name string
		kind psa.KeyKind
		key  []byte
		alg  psa.Mac
		args []string
	}{
		{"hmac-sha256", psa.KeyHmac, []byte("a 24-byte HMAC test key"), hmacAlg(psa.HashSHA256), []string{"-digest", "SHA256"}},
		{"hmac-sha3-256", psa.KeyHmac, []byte("another HMAC key, of 35 bytes long"), hmacAlg(psa.HashSHA3_256), []string{"-digest", "SHA3-256"}},
		{"cmac-128", psa.KeyAes, unhex("000102030405060708090a0b0c0d0e0f"), cmacAlg, []string{"-cipher", "AES-128-CBC"}},
		{"cmac-256", psa.KeyAes, unhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"), cmacAlg, []string{"-cipher", "AES-256-CBC"}},
	} {
		typ := "HMAC"
		if c.kind == psa.KeyAes {
			typ = "CMAC"
		}
		args := append(append([]string{"mac"}, c.args...), "-macopt", "hexkey:"+hex.EncodeToString(c.key), "-in", in, typ)
		out, err := openssl(t, args...)
		if err != nil {
			t.Fatalf("openssl %v: %v\n%s", args, err, out)
		}
		theirs := unhex(strings.TrimSpace(string(out)))
		importMacKey(t, p, c.name, c.kind, c.key, macUsage, macPolicy(c.alg))
		ours := must(p.MacCompute(bg, alice, c.name, c.alg, msg))
		if !bytes.Equal(ours, theirs) {
			t.Fatalf("%s: parsecd %x, openssl %x", c.name, ours, theirs)
		}
		wantCode(t, p.MacVerify(bg, alice, c.name, c.alg, msg, theirs), status.Success, c.name+": MacVerify of openssl's MAC")
	}
}

// cbcMac refuses a cipher whose block does not divide the input.
func TestCBCMacBlocks(t *testing.T) {
	b, _ := aes.NewCipher(make([]byte, 16))
	if _, err := cbcMac(b, make([]byte, 48)); err != nil {
		t.Fatal(err)
	}
	_, err := cbcMac(b, make([]byte, 40))
	wantCode(t, err, status.PsaErrorInvalidArgument, "CBC-MAC of 40 bytes")
}

// A stored key whose material is missing is a corrupt key, not a crash.
func TestMacKeyWithoutMaterial(t *testing.T) {
	k := macTestKey(psa.KeyHmac, nil, macUsage, macPolicy(hmacAlg(psa.HashSHA256)))
	k.attrs.Bits = 256
	_, err := macCompute(k, hmacAlg(psa.HashSHA256), nil)
	wantCode(t, err, status.PsaErrorDataInvalid, "MAC with no key material")
}

// psa.CheckMac on its own: usage, then policy (kind, hash, output length).
func TestCheckMacDirect(t *testing.T) {
	h256 := hmacAlg(psa.HashSHA256)
	hmacKey := func(usage psa.UsageFlags, policy psa.Mac) psa.KeyAttributes {
		return attrs(psa.KeyHmac, 0, 256, usage, macPolicy(policy))
	}
	for _, c := range []struct {
		name  string
		a     psa.KeyAttributes
		usage psa.UsageFlags
		alg   psa.Mac
		want  status.Code
	}{
		{"compute", hmacKey(psa.UsageSignMessage, h256), psa.UsageSignMessage, h256, status.Success},
		{"verify", hmacKey(psa.UsageVerifyMessage, h256), psa.UsageVerifyMessage, h256, status.Success},
		{"verify with the sign flag", hmacKey(psa.UsageSignMessage, h256), psa.UsageVerifyMessage, h256, status.PsaErrorNotPermitted},
		{"sign-hash flag", hmacKey(psa.UsageSignHash, h256), psa.UsageSignMessage, h256, status.PsaErrorNotPermitted},
		{"other hash", hmacKey(psa.UsageSignMessage, h256), psa.UsageSignMessage, hmacAlg(psa.HashSHA3_256), status.PsaErrorNotPermitted},
		{"truncated against full", hmacKey(psa.UsageSignMessage, h256), psa.UsageSignMessage, truncated(h256, 31), status.PsaErrorNotPermitted},
		{"full-length truncation", hmacKey(psa.UsageSignMessage, h256), psa.UsageSignMessage, truncated(h256, 32), status.Success},
		{"no hash", hmacKey(psa.UsageSignMessage, h256), psa.UsageSignMessage, hmacAlg(psa.HashNone), status.PsaErrorInvalidArgument},
		{"no hash, no usage", hmacKey(0, h256), psa.UsageSignMessage, hmacAlg(psa.HashNone), status.PsaErrorInvalidArgument},
		// CMAC over a 64-bit block cipher: the full length is 8 bytes.
		{"DES CMAC, 8-byte truncation", attrs(psa.KeyDes, 0, 192, psa.UsageSignMessage, macPolicy(cmacAlg)), psa.UsageSignMessage, truncated(cmacAlg, 8), status.Success},
		{"AES CMAC, 8-byte truncation", attrs(psa.KeyAes, 0, 128, psa.UsageSignMessage, macPolicy(cmacAlg)), psa.UsageSignMessage, truncated(cmacAlg, 8), status.PsaErrorNotPermitted},
	} {
		wantCode(t, psa.CheckMac(c.a, c.usage, c.alg), c.want, c.name)
	}
	if psa.MacLength(psa.KeyType{Kind: psa.KeyAes}, cbcMacAlg) != 16 || psa.MacLength(psa.KeyType{Kind: psa.KeyHmac}, hmacAlg(psa.HashSHA384)) != 48 ||
		psa.MacLength(psa.KeyType{Kind: psa.KeyHmac}, truncated(h256, 10)) != 10 {
		t.Fatal("psa.MacLength")
	}
}
