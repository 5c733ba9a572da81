// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package soft

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/test/tool"
)

// openssl runs the OpenSSL command line tool, found on PATH; the
// cross-checks fail, not skip, without it.
func openssl(t *testing.T, args ...string) ([]byte, error) {
	t.Helper()
	return exec.Command(tool.Path(t, "openssl"), args...).CombinedOutput()
}

func writePEM(t *testing.T, dir, name, typ string, der []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// ECDSA (randomized and deterministic) and RSA-PSS signatures made by the
// provider verify with `openssl dgst -verify`.
func TestOpenSSLVerifiesSignatures(t *testing.T) {
	p, _ := newTestProvider(t)
	dir := t.TempDir()
	msg := []byte("signed by parsecd, checked by openssl")
	h := sha256.Sum256(msg)
	msgPath := writeFile(t, dir, "msg.txt", msg)

	for _, alg := range []psa.AsymSign{signAlg(psa.SignEcdsa, psa.HashSHA256), signAlg(psa.SignDetEcdsa, psa.HashSHA256)} {
		name := "ecc-" + alg.String()
		wantCode(t, p.GenerateKey(bg, alice, name, eccPair(256, allSign, alg)), status.Success, "GenerateKey")
		pub := must(ecdsa.ParseUncompressedPublicKey(curveOf(256), must(p.ExportPublicKey(bg, alice, name))))
		pubPath := writePEM(t, dir, "ecpub.pem", "PUBLIC KEY", must(x509.MarshalPKIXPublicKey(pub)))
		for _, sign := range []func() ([]byte, error){
			func() ([]byte, error) { return p.SignHash(bg, alice, name, alg, h[:]) },
			func() ([]byte, error) { return p.SignMessage(bg, alice, name, alg, msg) },
		} {
			raw := must(sign())
			der := must(asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(raw[:32]), new(big.Int).SetBytes(raw[32:])}))
			sigPath := writeFile(t, dir, "sig.der", der)
			if out, err := openssl(t, "dgst", "-sha256", "-verify", pubPath, "-signature", sigPath, msgPath); err != nil || !bytes.Contains(out, []byte("Verified OK")) {
				t.Fatalf("openssl does not verify the %v signature: %v\n%s", alg, err, out)
			}
			bad := must(asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(raw[:32]), new(big.Int).SetBytes(flipBit(raw[32:], 31))}))
			writeFile(t, dir, "sig.der", bad)
			if out, err := openssl(t, "dgst", "-sha256", "-verify", pubPath, "-signature", sigPath, msgPath); err == nil {
				t.Fatalf("openssl verifies a tampered signature:\n%s", out)
			}
		}
	}

	// RSA-PSS with salt length = digest length (-1 in openssl terms).
	pss := signAlg(psa.SignRsaPss, psa.HashSHA256)
	k := importRSA(t, p, alice, "pss", allSign, signPolicy(pss))
	pubPath := writePEM(t, dir, "rsapub.pem", "PUBLIC KEY", must(x509.MarshalPKIXPublicKey(&k.PublicKey)))
	sigPath := writeFile(t, dir, "pss.sig", must(p.SignHash(bg, alice, "pss", pss, h[:])))
	if out, err := openssl(t, "dgst", "-sha256", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:-1",
		"-verify", pubPath, "-signature", sigPath, msgPath); err != nil || !bytes.Contains(out, []byte("Verified OK")) {
		t.Fatalf("openssl does not verify the RSA-PSS signature: %v\n%s", err, out)
	}
}

// OAEP-SHA256 ciphertexts made by `openssl pkeyutl -encrypt` decrypt in the
// provider, with and without a label; an exported RSA private key decrypts
// the provider's ciphertext in openssl.
func TestOpenSSLOAEP(t *testing.T) {
	p, _ := newTestProvider(t)
	dir := t.TempDir()
	oaep := psa.AsymEncrypt{Kind: psa.EncRsaOaep, Hash: psa.HashSHA256}
	a := rsaPair(2048, psa.UsageEncrypt|psa.UsageDecrypt|psa.UsageExport, cryptPolicy(oaep))
	wantCode(t, p.GenerateKey(bg, alice, "oaep", a), status.Success, "GenerateKey RSA 2048 OAEP")
	pub := must(x509.ParsePKCS1PublicKey(must(p.ExportPublicKey(bg, alice, "oaep"))))
	pubPath := writePEM(t, dir, "pub.pem", "PUBLIC KEY", must(x509.MarshalPKIXPublicKey(pub)))
	msg := []byte("hello parsec")
	inPath := writeFile(t, dir, "msg", msg)
	ctPath := filepath.Join(dir, "ct")

	for _, label := range [][]byte{nil, []byte("label")} {
		args := []string{"pkeyutl", "-encrypt", "-pubin", "-inkey", pubPath, "-in", inPath, "-out", ctPath,
			"-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256"}
		if label != nil {
			args = append(args, "-pkeyopt", "rsa_oaep_label:"+hex.EncodeToString(label))
		}
		if out, err := openssl(t, args...); err != nil {
			t.Fatalf("openssl pkeyutl -encrypt: %v\n%s", err, out)
		}
		ct := must(os.ReadFile(ctPath))
		pt, err := p.AsymmetricDecrypt(bg, alice, "oaep", oaep, ct, label)
		wantCode(t, err, status.Success, "AsymmetricDecrypt of an openssl ciphertext")
		if !bytes.Equal(pt, msg) {
			t.Fatalf("decrypted %q, want %q", pt, msg)
		}
	}

	// The other way round, through ExportKey's DER RSAPrivateKey.
	privPath := writePEM(t, dir, "priv.pem", "RSA PRIVATE KEY", must(p.ExportKey(bg, alice, "oaep")))
	writeFile(t, dir, "ct", must(p.AsymmetricEncrypt(bg, alice, "oaep", oaep, msg, nil)))
	out, err := openssl(t, "pkeyutl", "-decrypt", "-inkey", privPath, "-in", ctPath,
		"-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256")
	if err != nil || !bytes.Equal(out, msg) {
		t.Fatalf("openssl pkeyutl -decrypt: %v\n%s", err, out)
	}
}
