// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package soft

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

func unhex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// RFC 6979 appendix A.2.5: deterministic ECDSA, P-256, SHA-256.
func TestRFC6979P256SHA256(t *testing.T) {
	p, _ := newTestProvider(t)
	x := unhex("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721")
	ux := unhex("60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6")
	uy := unhex("7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299")
	alg := signAlg(psa.SignDetEcdsa, psa.HashSHA256)
	wantCode(t, p.ImportKey(bg, alice, "rfc6979", eccPair(256, allSign, alg), x), status.Success, "ImportKey")
	point := must(p.ExportPublicKey(bg, alice, "rfc6979"))
	if want := append(append([]byte{4}, ux...), uy...); !bytes.Equal(point, want) {
		t.Fatalf("public key %x, want %x", point, want)
	}
	for _, v := range []struct{ msg, r, s string }{
		{"sample",
			"EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716",
			"F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8"},
		{"test",
			"F1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367",
			"019F4113742A2B14BD25926B49C649155F267E60D3814B4C0CC84250E46F0083"},
	} {
		want := unhex(v.r + v.s)
		h := sha256.Sum256([]byte(v.msg))
		sig := must(p.SignHash(bg, alice, "rfc6979", alg, h[:]))
		if !bytes.Equal(sig, want) {
			t.Fatalf("SignHash(%q) = %X, want %X", v.msg, sig, want)
		}
		sig = must(p.SignMessage(bg, alice, "rfc6979", alg, []byte(v.msg)))
		if !bytes.Equal(sig, want) {
			t.Fatalf("SignMessage(%q) = %X, want %X", v.msg, sig, want)
		}
		wantCode(t, p.VerifyHash(bg, alice, "rfc6979", alg, h[:], want), status.Success, "VerifyHash RFC 6979 signature")
	}
}

type manifest struct {
	FixedInputs struct {
		HashHelloParsec string `json:"hash_hello_parsec_sha256"`
		P256Point       string `json:"test_p256_public_point"`
		RSA2048DER      string `json:"test_rsa2048_public_der"`
	} `json:"fixed_inputs"`
}

func readPEM(t *testing.T, path string) *pem.Block {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("fixed test key missing: %v", err)
	}
	b, _ := pem.Decode(data)
	if b == nil {
		t.Fatalf("%s holds no PEM block", path)
	}
	return b
}

// The fixed, non-secret keys of the shared vectors, imported in PSA formats,
// export the public keys recorded in the manifest.
func TestFixedVectorKeys(t *testing.T) {
	dir := vectorsDir(t)
	var m manifest
	if err := json.Unmarshal(must(os.ReadFile(filepath.Join(dir, "manifest.json"))), &m); err != nil {
		t.Fatal(err)
	}
	wantPoint, wantDER := unhex(m.FixedInputs.P256Point), unhex(m.FixedInputs.RSA2048DER)
	hello := unhex(m.FixedInputs.HashHelloParsec)
	if len(wantPoint) != 65 || len(wantDER) == 0 || len(hello) != 32 {
		t.Fatal("manifest fixed_inputs incomplete")
	}
	if h := sha256.Sum256([]byte("hello parsec")); !bytes.Equal(h[:], hello) {
		t.Fatal("hash_hello_parsec_sha256 is not SHA-256(\"hello parsec\")")
	}
	p, _ := newTestProvider(t)

	// P-256: SEC 1 PEM -> raw scalar import.
	ecKey := must(x509.ParseECPrivateKey(readPEM(t, filepath.Join(dir, "keys", "p256_test.pem")).Bytes))
	ecdsa256 := signAlg(psa.SignEcdsa, psa.HashSHA256)
	wantCode(t, p.ImportKey(bg, alice, "vec-ecc-p256", eccPair(0, allSign|psa.UsageExport, ecdsa256), must(ecKey.Bytes())), status.Success, "ImportKey P-256")
	if got := must(p.ExportPublicKey(bg, alice, "vec-ecc-p256")); !bytes.Equal(got, wantPoint) {
		t.Fatalf("P-256 public point %x, want %x", got, wantPoint)
	}
	if got := must(p.ExportKey(bg, alice, "vec-ecc-p256")); !bytes.Equal(got, must(ecKey.Bytes())) {
		t.Fatal("exported P-256 scalar differs from the PEM key")
	}
	sig := must(p.SignHash(bg, alice, "vec-ecc-p256", ecdsa256, hello))
	pub := must(ecdsa.ParseUncompressedPublicKey(curveOf(256), wantPoint))
	if !ecdsa.Verify(pub, hello, new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		t.Fatal("crypto/ecdsa does not verify the signature of the fixed P-256 key")
	}
	// The encoding-only signature of the vectors (bytes 0x01..0x40) is refused with 1149.
	bogus := make([]byte, 64)
	for i := range bogus {
		bogus[i] = byte(i + 1)
	}
	wantCode(t, p.VerifyHash(bg, alice, "vec-ecc-p256", ecdsa256, hello, bogus), status.PsaErrorInvalidSignature, "VerifyHash vector signature")
	// The public point imports as a public key and verifies the signature.
	wantCode(t, p.ImportKey(bg, alice, "vec-ecc-pub", attrs(psa.KeyEccPublic, psa.EccSecpR1, 256, psa.UsageVerifyHash, signPolicy(ecdsa256)), wantPoint), status.Success, "ImportKey P-256 public")
	wantCode(t, p.VerifyHash(bg, alice, "vec-ecc-pub", ecdsa256, hello, sig), status.Success, "VerifyHash imported public point")

	// RSA 2048: PKCS#8 PEM -> DER RSAPrivateKey import.
	rk, ok := must(x509.ParsePKCS8PrivateKey(readPEM(t, filepath.Join(dir, "keys", "rsa2048_test.pem")).Bytes)).(*rsa.PrivateKey)
	if !ok {
		t.Fatal("rsa2048_test.pem is not an RSA key")
	}
	pkcs1 := signAlg(psa.SignRsaPkcs1v15, psa.HashSHA256)
	wantCode(t, p.ImportKey(bg, alice, "vec-rsa-sign", rsaPair(2048, allSign|psa.UsageExport, signPolicy(pkcs1)), x509.MarshalPKCS1PrivateKey(rk)), status.Success, "ImportKey RSA 2048")
	if got := must(p.ExportPublicKey(bg, alice, "vec-rsa-sign")); !bytes.Equal(got, wantDER) {
		t.Fatalf("RSA public key DER %x, want %x", got, wantDER)
	}
	if got := must(p.ExportKey(bg, alice, "vec-rsa-sign")); !bytes.Equal(got, x509.MarshalPKCS1PrivateKey(rk)) {
		t.Fatal("exported RSA private key differs from the PEM key")
	}
	rsig := must(p.SignHash(bg, alice, "vec-rsa-sign", pkcs1, hello))
	rpub := must(x509.ParsePKCS1PublicKey(wantDER))
	if err := rsa.VerifyPKCS1v15(rpub, crypto.SHA256, hello, rsig); err != nil {
		t.Fatalf("crypto/rsa does not verify the signature of the fixed RSA key: %v", err)
	}
	// PKCS#1 v1.5 is deterministic: the signature is the one crypto/rsa makes.
	if want := must(rsa.SignPKCS1v15(nil, rk, crypto.SHA256, hello)); !bytes.Equal(rsig, want) {
		t.Fatal("PKCS#1 v1.5 signature differs from crypto/rsa's")
	}
	wantCode(t, p.ImportKey(bg, alice, "vec-rsa-pub", attrs(psa.KeyRsaPublic, 0, 0, psa.UsageVerifyHash, signPolicy(pkcs1)), wantDER), status.Success, "ImportKey RSA public")
	wantCode(t, p.VerifyHash(bg, alice, "vec-rsa-pub", pkcs1, hello, rsig), status.Success, "VerifyHash imported RSA public key")
}
