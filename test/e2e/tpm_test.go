// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package e2e

// The TPM provider (id 3) of the real parsecd against a swtpm per test
// (swtpm_test.go), driven through the Go client and parsec-tool, alone and
// next to the software provider (Parsec's cross tests: sign in one,
// verify in the other). Signatures and ciphertexts are checked with the Go
// standard library and openssl.

import (
	"bytes"
	"crypto"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-tpm/tpm2"

	"github.com/parsecd/parsecd/src/client"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

const tpmUUID = "1e4954a4-ff21-46d3-ab0c-661eeb667e1d"

// tpmDaemon is a daemon whose first provider is the TPM on a fresh swtpm;
// extra is appended after its entry (e.g. a Software entry).
func tpmDaemon(t *testing.T, extra string) (*Daemon, *swtpm) {
	t.Helper()
	s := startSwtpm(t)
	return NewDaemon(t, Options{ProvType: "Tpm", ExtraConf: s.Entry("") + extra}), s
}

const tpmSoftEntry = "\n[[provider]]\nprovider_type = \"Software\"\nkey_info_manager = \"store\"\n"

var (
	tpmECDSA = opsSign(psa.SignEcdsa, psa.HashSHA256)
	tpmPSS   = opsSign(psa.SignRsaPss, psa.HashSHA256)
	tpmOAEP  = psa.AsymEncrypt{Kind: psa.EncRsaOaep, Hash: psa.HashSHA256}
)

func TestTpmProviderInfo(t *testing.T) {
	t.Parallel()
	d, _ := tpmDaemon(t, "")
	d.Start()
	c := d.Direct("tpm-info")
	ctx := t.Context()
	ps, err := c.ListProviders(ctx)
	opsOK(t, err, "ListProviders")
	if len(ps) != 2 || ps[0].ID != parsec.ProviderTpm || ps[0].UUID != tpmUUID || ps[1].ID != parsec.ProviderCore {
		t.Fatalf("ListProviders = %+v, want the TPM provider then the core", ps)
	}
	ops, err := c.ListOpcodes(ctx, parsec.ProviderTpm)
	opsOK(t, err, "ListOpcodes")
	want := []parsec.Opcode{parsec.OpPsaGenerateKey, parsec.OpPsaDestroyKey, parsec.OpPsaSignHash, parsec.OpPsaVerifyHash,
		parsec.OpPsaImportKey, parsec.OpPsaExportPublicKey, parsec.OpPsaAsymmetricEncrypt, parsec.OpPsaAsymmetricDecrypt,
		parsec.OpPsaGenerateRandom, parsec.OpCanDoCrypto, parsec.OpAttestKey, parsec.OpPrepareKeyAttestation}
	slices.Sort(ops)
	slices.Sort(want)
	if !slices.Equal(ops, want) {
		t.Errorf("ListOpcodes(TPM) = %v, want Parsec's twelve %v", ops, want)
	}
}

func TestTpmClientOperations(t *testing.T) {
	t.Parallel()
	d, _ := tpmDaemon(t, "")
	d.Start()
	c := d.Direct("tpm-ops")
	ctx := t.Context()
	digest := opsDigest(crypto.SHA256, []byte("tpm e2e"))

	// ECDSA P-256 and P-384, RSA-PSS and PKCS#1 v1.5: signed in the TPM, checked by Go.
	for _, k := range []struct {
		name string
		a    psa.KeyAttributes
	}{
		{"ecc", opsSignAttrs(opsECCPair, 256, opsSignUsage, tpmECDSA)},
		{"ecc384", opsSignAttrs(opsECCPair, 384, opsSignUsage, tpmECDSA)},
		{"pss", opsSignAttrs(opsRSAPair, 2048, opsSignUsage, tpmPSS)},
		{"pkcs1", opsSignAttrs(opsRSAPair, 2048, opsSignUsage, opsSign(psa.SignRsaPkcs1v15, psa.HashSHA256))},
	} {
		opsOK(t, c.GenerateKey(ctx, k.name, k.a), "GenerateKey "+k.name)
		alg := k.a.Policy.Alg.Sign
		sig, err := c.SignHash(ctx, k.name, alg, digest)
		opsOK(t, err, "SignHash "+k.name)
		if k.a.Type.IsECC() {
			curve := map[uint32]elliptic.Curve{256: elliptic.P256(), 384: elliptic.P384()}[k.a.Bits]
			if !opsVerifyECDSA(opsECPublic(t, c, k.name, curve), digest, sig) {
				t.Errorf("%s: crypto/ecdsa rejects the TPM's signature", k.name)
			}
		} else {
			pub := opsRSAPublic(t, c, k.name)
			var err error
			if alg.Kind == psa.SignRsaPss {
				err = rsa.VerifyPSS(pub, crypto.SHA256, digest, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
			} else {
				err = rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest, sig)
			}
			opsOK(t, err, k.name+": crypto/rsa verifying the TPM's signature")
		}
		opsOK(t, c.VerifyHash(ctx, k.name, alg, digest, sig), "VerifyHash "+k.name)
		opsExpect(t, c.VerifyHash(ctx, k.name, alg, digest, opsFlip(sig, 5)), status.PsaErrorInvalidSignature, "VerifyHash tampered "+k.name)
	}

	// OAEP with a label: Go encrypts, the TPM decrypts, and back.
	opsOK(t, c.GenerateKey(ctx, "oaep", opsCryptAttrs(opsRSAPair, 2048, opsCryptUsage, tpmOAEP)), "GenerateKey OAEP")
	label := []byte("a label")
	ct, err := rsa.EncryptOAEP(crypto.SHA256.New(), rand.Reader, opsRSAPublic(t, c, "oaep"), []byte("secret"), label)
	opsOK(t, err, "EncryptOAEP")
	pt, err := c.AsymmetricDecrypt(ctx, "oaep", tpmOAEP, ct, label)
	opsOK(t, err, "AsymmetricDecrypt")
	if string(pt) != "secret" {
		t.Errorf("AsymmetricDecrypt = %q", pt)
	}
	ct, err = c.AsymmetricEncrypt(ctx, "oaep", tpmOAEP, []byte("back"), nil)
	opsOK(t, err, "AsymmetricEncrypt")
	pt, err = c.AsymmetricDecrypt(ctx, "oaep", tpmOAEP, ct, nil)
	opsOK(t, err, "AsymmetricDecrypt round trip")
	if string(pt) != "back" {
		t.Errorf("round trip = %q", pt)
	}
	_, err = c.AsymmetricDecrypt(ctx, "oaep", tpmOAEP, opsFlip(ct, 7), nil)
	opsExpect(t, err, status.PsaErrorInvalidPadding, "AsymmetricDecrypt corrupted")

	// A private key imported from Go signs in the TPM.
	rk, ek := opsVectorKeys(t)
	scalar, _ := ek.Bytes()
	opsOK(t, c.ImportKey(ctx, "imported", opsSignAttrs(opsECCPair, 256, opsSignUsage, tpmECDSA), scalar), "ImportKey ECC pair")
	sig, err := c.SignHash(ctx, "imported", tpmECDSA, digest)
	opsOK(t, err, "SignHash imported")
	if !opsVerifyECDSA(&ek.PublicKey, digest, sig) {
		t.Error("the imported key's signature does not verify with the Go key")
	}
	opsOK(t, c.ImportKey(ctx, "imported-rsa", opsSignAttrs(opsRSAPair, 0, opsSignUsage, tpmPSS), x509.MarshalPKCS1PrivateKey(rk)), "ImportKey RSA pair")

	r, err := c.GenerateRandom(ctx, 300)
	opsOK(t, err, "GenerateRandom")
	if len(r) != 300 {
		t.Errorf("GenerateRandom(300) gave %d bytes", len(r))
	}
	opsOK(t, c.CanDoCrypto(ctx, psa.CheckGenerate, opsSignAttrs(opsECCPair, 384, opsSignUsage, tpmECDSA)), "CanDoCrypto P-384")
	opsExpect(t, c.CanDoCrypto(ctx, psa.CheckUse, opsSignAttrs(opsECCPair, 256, opsSignUsage, opsSign(psa.SignDetEcdsa, psa.HashSHA256))),
		status.PsaErrorNotSupported, "CanDoCrypto deterministic ECDSA")
	aes := psa.KeyAttributes{Type: psa.KeyType{Kind: psa.KeyAes}, Bits: 128, Policy: psa.KeyPolicy{Usage: psa.UsageEncrypt, Alg: psa.Algorithm{Kind: psa.AlgNone}}}
	opsExpect(t, c.GenerateKey(ctx, "aes", aes), status.PsaErrorNotSupported, "GenerateKey AES")
	_, err = c.ExportKey(ctx, "ecc")
	opsExpect(t, err, status.PsaErrorNotSupported, "ExportKey (not served by the TPM provider)")
	opsOK(t, c.DestroyKey(ctx, "ecc"), "DestroyKey")
	_, err = c.SignHash(ctx, "ecc", tpmECDSA, digest)
	opsExpect(t, err, status.PsaErrorDoesNotExist, "SignHash after DestroyKey")
}

func TestTpmCLI(t *testing.T) {
	t.Parallel()
	d, _ := tpmDaemon(t, "")
	d.Start()
	tool := func(args ...string) string {
		t.Helper()
		return d.MustTool(append([]string{"-p", "3"}, args...)...)
	}
	cliSignVerified(t, d, "3", "TPM provider", "tpm", "parsecd TPM signature test")
	// openssl encrypts with OAEP SHA-256, the TPM decrypts.
	tool("create-rsa-key", "-k", "tpm-oaep", "--oaep")
	cliOpenSSLDecrypt(t, d, "3", "tpm-oaep", cliOAEP, "TPM decryption test")
	if out := tool("generate-random", "-n", "16"); len(strings.Fields(out)) != 16 {
		t.Errorf("generate-random -n 16 printed %q", out)
	}
	if out := tool("create-csr", "-k", "tpm-ecc", "--cn", "parsecd-tpm"); !strings.Contains(out, "CERTIFICATE REQUEST") {
		t.Errorf("create-csr: %s", out)
	} else if b, _ := pem.Decode([]byte(out)); b == nil {
		t.Errorf("create-csr printed no PEM")
	} else if csr, err := x509.ParseCertificateRequest(b.Bytes); err != nil || csr.CheckSignature() != nil {
		t.Errorf("the CSR signed in the TPM does not check: %v", err)
	}
	for _, k := range []string{"tpm-ecc", "tpm-rsa", "tpm-pss", "tpm-oaep"} {
		tool("delete-key", "-k", k)
	}
	cliFailTool(t, d, 0, []string{"(ParsecClientError(Client(NotFound)))"}, "-p", "3", "sign", "-k", "tpm-ecc", "x")
}

// TestTpmWithSoftware is Parsec's cross test: keys signed in one provider
// verify in the other through an exported and imported public key.
func TestTpmWithSoftware(t *testing.T) {
	t.Parallel()
	d, _ := tpmDaemon(t, tpmSoftEntry)
	d.Start()
	c := d.Direct("tpm-cross")
	ctx := t.Context()
	ps, err := c.ListProviders(ctx)
	opsOK(t, err, "ListProviders")
	if len(ps) != 3 || ps[0].ID != parsec.ProviderTpm || ps[1].ID != parsec.ProviderMbedCrypto {
		t.Fatalf("ListProviders = %+v, want TPM, software, core", ps)
	}
	tpm, sw := c.UsingProvider(parsec.ProviderTpm), c.UsingProvider(parsec.ProviderMbedCrypto)
	for _, pair := range []struct {
		what         string
		signer, vrfy *client.Client
	}{{"t2s", tpm, sw}, {"s2t", sw, tpm}} {
		digest := opsDigest(crypto.SHA256, []byte(pair.what))
		for _, k := range []struct {
			kind   string
			pair   psa.KeyAttributes
			public psa.KeyType
		}{
			{"ecc", opsSignAttrs(opsECCPair, 256, opsSignUsage, tpmECDSA), opsECCPub},
			{"rsa-pss", opsSignAttrs(opsRSAPair, 2048, opsSignUsage, tpmPSS), opsRSAPub},
			{"rsa-pkcs1", opsSignAttrs(opsRSAPair, 2048, opsSignUsage, opsSign(psa.SignRsaPkcs1v15, psa.HashSHA256)), opsRSAPub},
		} {
			name := k.kind + "-" + pair.what
			alg := k.pair.Policy.Alg.Sign
			opsOK(t, pair.signer.GenerateKey(ctx, name, k.pair), name+": GenerateKey")
			pub, err := pair.signer.ExportPublicKey(ctx, name)
			opsOK(t, err, name+": ExportPublicKey")
			opsOK(t, pair.vrfy.ImportKey(ctx, name+"-pub", opsSignAttrs(k.public, k.pair.Bits, psa.UsageVerifyHash, alg), pub), name+": ImportKey public")
			sig, err := pair.signer.SignHash(ctx, name, alg, digest)
			opsOK(t, err, name+": SignHash")
			opsOK(t, pair.vrfy.VerifyHash(ctx, name+"-pub", alg, digest, sig), name+": VerifyHash in the other provider")
			opsExpect(t, pair.vrfy.VerifyHash(ctx, name+"-pub", alg, digest, opsFlip(sig, 3)), status.PsaErrorInvalidSignature, name+": VerifyHash tampered")
		}
		// Encrypt in one provider with the other's public key, decrypt in the other.
		name := "oaep-" + pair.what
		opsOK(t, pair.vrfy.GenerateKey(ctx, name, opsCryptAttrs(opsRSAPair, 2048, opsCryptUsage, tpmOAEP)), name+": GenerateKey")
		pub, err := pair.vrfy.ExportPublicKey(ctx, name)
		opsOK(t, err, name+": ExportPublicKey")
		opsOK(t, pair.signer.ImportKey(ctx, name+"-pub", opsCryptAttrs(opsRSAPub, 2048, psa.UsageEncrypt, tpmOAEP), pub), name+": ImportKey public")
		ct, err := pair.signer.AsymmetricEncrypt(ctx, name+"-pub", tpmOAEP, []byte(name), []byte("label"))
		opsOK(t, err, name+": AsymmetricEncrypt")
		pt, err := pair.vrfy.AsymmetricDecrypt(ctx, name, tpmOAEP, ct, []byte("label"))
		opsOK(t, err, name+": AsymmetricDecrypt")
		if string(pt) != name {
			t.Errorf("%s: decrypted %q", name, pt)
		}
	}
	// parsec-tool reaches both.
	for _, p := range []string{"1", "3"} {
		d.MustTool("-p", p, "create-ecc-key", "-k", "tool-"+p)
		d.MustTool("-p", p, "sign", "-k", "tool-"+p, "hello")
	}
}

// TestTpmReset is Parsec's tpm_reset test: keys made before the daemon
// stops and the TPM resets (swtpm restarted on its state) still sign.
func TestTpmReset(t *testing.T) {
	t.Parallel()
	d, s := tpmDaemon(t, "")
	d.Start()
	c := d.Direct("tpm-reset")
	ctx := t.Context()
	digest := opsDigest(crypto.SHA256, []byte("before and after"))
	opsOK(t, c.GenerateKey(ctx, "rsa", opsSignAttrs(opsRSAPair, 2048, opsSignUsage, tpmPSS)), "GenerateKey RSA")
	opsOK(t, c.GenerateKey(ctx, "ecc", opsSignAttrs(opsECCPair, 256, opsSignUsage, tpmECDSA)), "GenerateKey ECC")
	rsaPub, ecPub := opsRSAPublic(t, c, "rsa"), opsECPublic(t, c, "ecc", elliptic.P256())
	d.Stop()
	s.Stop()
	s.Start()
	d.Start()
	sig, err := c.SignHash(ctx, "rsa", tpmPSS, digest)
	opsOK(t, err, "SignHash RSA after the reset")
	opsOK(t, rsa.VerifyPSS(rsaPub, crypto.SHA256, digest, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}), "verifying with the public key from before")
	sig, err = c.SignHash(ctx, "ecc", tpmECDSA, digest)
	opsOK(t, err, "SignHash ECC after the reset")
	if !opsVerifyECDSA(ecPub, digest, sig) {
		t.Error("the ECC key changed across the reset")
	}
}

// TestTpmVanishes: with the TPM gone, TPM operations fail with
// PsaErrorCommunicationFailure and the software provider keeps serving;
// when the TPM is back, the TPM provider reconnects.
func TestTpmVanishes(t *testing.T) {
	t.Parallel()
	d, s := tpmDaemon(t, tpmSoftEntry)
	d.Start()
	c := d.Direct("tpm-gone")
	ctx := t.Context()
	tpm, sw := c.UsingProvider(parsec.ProviderTpm), c.UsingProvider(parsec.ProviderMbedCrypto)
	opsOK(t, tpm.GenerateKey(ctx, "k", opsSignAttrs(opsECCPair, 256, opsSignUsage, tpmECDSA)), "GenerateKey")
	s.Stop()
	digest := opsDigest(crypto.SHA256, []byte("m"))
	_, err := tpm.SignHash(ctx, "k", tpmECDSA, digest)
	opsExpect(t, err, status.PsaErrorCommunicationFailure, "SignHash with the TPM gone")
	_, err = sw.GenerateRandom(ctx, 16)
	opsOK(t, err, "the software provider while the TPM is gone")
	s.Start()
	_, err = tpm.SignHash(ctx, "k", tpmECDSA, digest)
	opsOK(t, err, "SignHash once the TPM is back")
}

// TestTpmSkipIfNoTpm: without a TPM, skip_if_no_tpm lets the daemon start
// with the other providers; without it the daemon refuses to start.
func TestTpmSkipIfNoTpm(t *testing.T) {
	t.Parallel()
	missing := "tcti = \"swtpm:path=" + filepath.Join(t.TempDir(), "no.sock") + "\"\nowner_hierarchy_auth = \"\"\n"
	d := NewDaemon(t, Options{ProvType: "Tpm", ExtraConf: missing + "skip_if_no_tpm = true\n" + tpmSoftEntry})
	d.Start()
	ps, err := d.Direct("skip").ListProviders(t.Context())
	opsOK(t, err, "ListProviders")
	if len(ps) != 2 || ps[0].ID != parsec.ProviderMbedCrypto {
		t.Fatalf("ListProviders = %+v, want the software provider and the core", ps)
	}
	if !strings.Contains(d.Logs(), "provider skipped") {
		t.Errorf("no warning about the skipped TPM provider in the logs:\n%s", d.Logs())
	}
	d.Stop()
	d.WriteConfig(Options{ProvType: "Tpm", ExtraConf: missing + tpmSoftEntry})
	if err := d.TryStart(); err == nil {
		t.Fatal("parsecd started without its TPM and without skip_if_no_tpm")
	}
}

// TestTpmKeyAttestation is Parsec's key_attestation test: the verifier
// makes a credential for the key's name with the endorsement key, and the
// daemon releases it with TPM2_ActivateCredential.
func TestTpmKeyAttestation(t *testing.T) {
	t.Parallel()
	d, _ := tpmDaemon(t, "")
	d.Start()
	c := d.Direct("tpm-attest")
	ctx := t.Context()
	opsOK(t, c.GenerateKey(ctx, "rsa", opsSignAttrs(opsRSAPair, 2048, opsSignUsage, tpmPSS)), "GenerateKey RSA")
	opsOK(t, c.GenerateKey(ctx, "ecc", opsSignAttrs(opsECCPair, 256, opsSignUsage, tpmECDSA)), "GenerateKey ECC")
	credential := bytes.Repeat([]byte{0x11}, 16)
	for _, name := range []string{"rsa", "ecc"} {
		params, err := c.PrepareKeyAttestation(ctx, name, "")
		opsOK(t, err, "PrepareKeyAttestation "+name)
		pub, err := tpm2.Unmarshal[tpm2.TPMTPublic](params.Public)
		opsOK(t, err, "unmarshalling the public area")
		if n, err := tpm2.ObjectName(pub); err != nil || !bytes.Equal(n.Buffer, params.Name) {
			t.Fatalf("%s: the public area does not hash to the name", name)
		}
		ekPub, err := x509.ParsePKCS1PublicKey(params.AttestingKeyPub)
		opsOK(t, err, "attesting_key_pub as DER RSAPublicKey")
		ek := tpm2.RSAEKTemplate
		ek.Unique = tpm2.NewTPMUPublicID(tpm2.TPMAlgRSA, &tpm2.TPM2BPublicKeyRSA{Buffer: ekPub.N.Bytes()})
		encap, err := tpm2.ImportEncapsulationKey(&ek)
		opsOK(t, err, "the EK as an encapsulation key")
		blob, secret, err := tpm2.CreateCredential(rand.Reader, encap, params.Name, credential)
		opsOK(t, err, "CreateCredential")
		got, err := c.AttestKey(ctx, name, "", blob, secret)
		opsOK(t, err, "AttestKey "+name)
		if !bytes.Equal(got, credential) {
			t.Errorf("%s: AttestKey released %x", name, got)
		}
		_, err = c.AttestKey(ctx, name, "", opsFlip(blob, 10), secret)
		if err == nil {
			t.Errorf("%s: AttestKey accepted a corrupted credential blob", name)
		}
	}
	_, err := c.PrepareKeyAttestation(ctx, "rsa", "ecc")
	opsExpect(t, err, status.PsaErrorNotSupported, "PrepareKeyAttestation with an explicit attesting key")
}

// TestTpmReload: SIGHUP builds a new TPM provider while the old one still
// serves; on swtpm (one connection at a time) they must share the TPM
// connection, and keys keep working.
func TestTpmReload(t *testing.T) {
	t.Parallel()
	d, _ := tpmDaemon(t, "")
	d.Start()
	c := d.Direct("tpm-reload")
	ctx := t.Context()
	opsOK(t, c.GenerateKey(ctx, "k", opsSignAttrs(opsECCPair, 256, opsSignUsage, tpmECDSA)), "GenerateKey")
	pub := opsECPublic(t, c, "k", elliptic.P256())
	for i := range 2 {
		d.Signal(syscall.SIGHUP)
		digest := opsDigest(crypto.SHA256, []byte{byte(i)})
		sig, err := c.SignHash(ctx, "k", tpmECDSA, digest)
		opsOK(t, err, "SignHash after SIGHUP")
		if !opsVerifyECDSA(pub, digest, sig) {
			t.Fatal("the key changed across the reload")
		}
	}
}
