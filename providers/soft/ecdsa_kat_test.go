// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package soft

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"math/big"
	"testing"

	"github.com/parsecd/parsecd/providers/soft/internal/kat"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

// Known answers from published vectors for ECDSA, fed through the provider's
// public API with keys imported in the PSA formats (big-endian private
// scalar, uncompressed public point).

// katHashes maps the hash names of the ECDSA vector files.
var katHashes = map[string]struct {
	psa    psa.Hash
	crypto crypto.Hash
}{
	"SHA-256": {psa.HashSHA256, crypto.SHA256},
	"SHA-384": {psa.HashSHA384, crypto.SHA384},
	"SHA-512": {psa.HashSHA512, crypto.SHA512},
}

// katCurveBits maps the curve names of the ECDSA vector files.
var katCurveBits = map[string]uint32{"P-256": 256, "P-384": 384, "P-521": 521}

// katFixed decodes the named hex number of a vector block into size bytes,
// left-padded (the RFC prints the 521-bit values with an odd number of digits).
func katFixed(t *testing.T, v map[string]string, name string, size int) []byte {
	t.Helper()
	s := katField(t, v, name)
	if len(s)%2 == 1 {
		s = "0" + s
	}
	n := new(big.Int).SetBytes(kat.Hex(t, s))
	if (n.BitLen()+7)/8 > size {
		t.Fatalf("%s = %s does not fit in %d bytes", name, s, size)
	}
	return n.FillBytes(make([]byte, size))
}

// RFC 6979 appendices A.2.6 (P-384) and A.2.7 (P-521), message "sample" with
// SHA-256, SHA-384 and SHA-512: the imported private scalar gives the
// published public key, and DeterministicEcdsa signs r||s exactly as
// published (each ceil(bits/8) bytes, big-endian).
func TestRFC6979P384P521(t *testing.T) {
	p, _ := newTestProvider(t)
	seen := map[string]bool{}
	for i, v := range tdBlocks(t, "sign_ecdsa_rfc6979.txt") {
		curve, hname := katField(t, v, "Curve"), katField(t, v, "Hash")
		bits, ok := katCurveBits[curve]
		h, hok := katHashes[hname]
		if !ok || !hok {
			t.Fatalf("block %d: unknown curve %q or hash %q", i, curve, hname)
		}
		size := byteLen(int(bits))
		name := "RFC 6979 " + katField(t, v, "Section") + " " + curve + " " + hname
		x := katFixed(t, v, "X", size)
		point := append(append([]byte{4}, katFixed(t, v, "Ux", size)...), katFixed(t, v, "Uy", size)...)
		want := append(katFixed(t, v, "R", size), katFixed(t, v, "S", size)...)
		msg := []byte(katField(t, v, "Message"))
		hh := h.crypto.New()
		hh.Write(msg)
		digest := hh.Sum(nil)

		// The published (r, s) verifies under the published U with crypto/ecdsa.
		pub := must(ecdsa.ParseUncompressedPublicKey(curveOf(bits), point))
		if !ecdsa.Verify(pub, digest, new(big.Int).SetBytes(want[:size]), new(big.Int).SetBytes(want[size:])) {
			t.Fatalf("%s: crypto/ecdsa does not verify the published signature", name)
		}

		alg := signAlg(psa.SignDetEcdsa, h.psa)
		key := "rfc6979-" + curve + "-" + hname
		wantCode(t, p.ImportKey(bg, alice, key, eccPair(bits, allSign, alg), x), status.Success, name+": ImportKey")
		if got := must(p.ExportPublicKey(bg, alice, key)); !bytes.Equal(got, point) {
			t.Fatalf("%s: public key %X, want %X", name, got, point)
		}
		if got := must(p.SignHash(bg, alice, key, alg, digest)); !bytes.Equal(got, want) {
			t.Fatalf("%s: SignHash = %X, want %X", name, got, want)
		}
		if got := must(p.SignMessage(bg, alice, key, alg, msg)); !bytes.Equal(got, want) {
			t.Fatalf("%s: SignMessage = %X, want %X", name, got, want)
		}
		wantCode(t, p.VerifyHash(bg, alice, key, alg, digest, want), status.Success, name+": VerifyHash")
		wantCode(t, p.VerifyHash(bg, alice, key, alg, digest, flipBit(want, len(want)-1)), status.PsaErrorInvalidSignature, name+": VerifyHash flipped signature")
		seen[curve+" "+hname] = true
	}
	for _, c := range []string{"P-384 SHA-256", "P-384 SHA-384", "P-384 SHA-512", "P-521 SHA-256", "P-521 SHA-384", "P-521 SHA-512"} {
		if !seen[c] {
			t.Errorf("no RFC 6979 vector for %s", c)
		}
	}
}

// Project Wycheproof ecdsa_secp256r1_sha256_p1363_test.json: P1363 (r||s)
// signatures through VerifyHash with an imported public point; valid cases
// verify, invalid ones (r or s out of range, zero, wrong length) are
// PsaErrorInvalidSignature.
func TestECDSAVerifyWycheproofP256(t *testing.T) {
	p, _ := newTestProvider(t)
	alg := signAlg(psa.SignEcdsa, psa.HashSHA256)
	keys := map[string]string{} // point hex -> key name
	valid, invalid := 0, 0
	for _, v := range tdBlocks(t, "sign_ecdsa_wycheproof_p256_p1363.txt") {
		name := "Wycheproof tcId " + katField(t, v, "tcId") + " " + v["Comment"]
		point := katField(t, v, "Key")
		key, ok := keys[point]
		if !ok {
			key = "wycheproof-p256-" + point[2:18]
			keys[point] = key
			wantCode(t, p.ImportKey(bg, alice, key, attrs(psa.KeyEccPublic, psa.EccSecpR1, 256, psa.UsageVerifyHash, signPolicy(alg)), kat.Hex(t, point)), status.Success, name+": ImportKey")
		}
		h := sha256.Sum256(katBytes(t, v, "Msg"))
		sig := katBytes(t, v, "Sig")
		switch katField(t, v, "Result") {
		case "valid":
			wantCode(t, p.VerifyHash(bg, alice, key, alg, h[:], sig), status.Success, name)
			wantCode(t, p.VerifyHash(bg, alice, key, alg, h[:], flipBit(sig, len(sig)-1)), status.PsaErrorInvalidSignature, name+" (flipped)")
			valid++
		case "invalid":
			wantCode(t, p.VerifyHash(bg, alice, key, alg, h[:], sig), status.PsaErrorInvalidSignature, name)
			invalid++
		default:
			t.Fatalf("%s: unexpected result %q", name, v["Result"])
		}
	}
	if valid != 6 || invalid != 6 || len(keys) != 3 {
		t.Fatalf("ran %d valid and %d invalid cases with %d keys, want 6, 6 and 3", valid, invalid, len(keys))
	}
}
