// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build pkcs11

package e2e

// The PKCS#11 provider (id 2) of the real parsecd built with cgo and the
// pkcs11 tag (harness_pkcs11_test.go), against a fresh SoftHSM2 token per
// test (test/scripts/init-softhsm.sh), driven through the Go client and
// parsec-tool; signatures and ciphertexts are checked with the Go standard
// library and openssl. Run with:
//
//	CGO_ENABLED=1 go test -tags pkcs11 -run Pkcs11 ./test/e2e/

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parsecd/parsecd/src/client"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

const (
	p11Lib   = "/usr/lib/softhsm/libsofthsm2.so"
	p11UUID  = "30e39502-eba6-4d60-a4af-c518b7f5e38f"
	p11Label = "parsec-test"
	p11PIN   = "1234"
)

// p11Token initialises a fresh SoftHSM2 token labelled "parsec-test" (user
// PIN 1234), or one token per label given, in a directory of the test with
// test/scripts/init-softhsm.sh and returns its SOFTHSM2_CONF.
func p11Token(t testing.TB, labels ...string) string {
	t.Helper()
	if _, err := os.Stat(p11Lib); err != nil {
		t.Fatalf("SoftHSM2 (%s) is required by the PKCS#11 tests (make deps installs it): %v", p11Lib, err)
	}
	cmd := exec.Command(filepath.Join(repoRoot, "test", "scripts", "init-softhsm.sh"), append([]string{"-d", filepath.Join(t.TempDir(), "softhsm")}, labels...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("init-softhsm.sh: %v\n%s%s", err, out, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	conf := strings.TrimSpace(lines[len(lines)-1])
	if _, err := os.Stat(conf); err != nil {
		t.Fatalf("init-softhsm.sh did not print a SOFTHSM2_CONF path (%q): %v", out, err)
	}
	return conf
}

// p11Keys are the Pkcs11-specific keys of a [[provider]] entry on the test token.
func p11Keys(extra string) string {
	return fmt.Sprintf("library_path = %q\ntoken_label = %q\nuser_pin = %q\n%s", p11Lib, p11Label, "str:"+p11PIN, extra)
}

// p11Entry is a whole [[provider]] entry of type Pkcs11.
func p11Entry(extra string) string {
	return "\n[[provider]]\nprovider_type = \"Pkcs11\"\nkey_info_manager = \"store\"\n" + p11Keys(extra)
}

const p11SoftEntry = "\n[[provider]]\nprovider_type = \"Software\"\nkey_info_manager = \"store\"\n"

// p11Daemon prepares a daemon whose only provider is PKCS#11 on a fresh
// token; extra is added to its [[provider]] entry.
func p11Daemon(t testing.TB, o Options, extra string) *Daemon {
	t.Helper()
	conf := p11Token(t)
	o.ProvType = "Pkcs11"
	o.ExtraConf = p11Keys(extra) + o.ExtraConf
	d := NewDaemon(t, o)
	d.Env = append(d.Env, "SOFTHSM2_CONF="+conf)
	return d
}

func p11Hash(h psa.Hash) crypto.Hash { return client.CryptoHash(h) }

// p11Check signs with the key name through c, verifies the signature in
// parsecd and with the Go standard library on the exported public key, and
// checks that a corrupted signature is refused.
func p11Check(t testing.TB, c *client.Client, name string, attrs psa.KeyAttributes) {
	t.Helper()
	ctx := t.Context()
	alg := attrs.Policy.Alg.Sign
	h := p11Hash(alg.Hash)
	digest := opsDigest(h, []byte("parsecd pkcs11 "+name))
	sig, err := c.SignHash(ctx, name, alg, digest)
	opsOK(t, err, "SignHash "+name)
	opsOK(t, c.VerifyHash(ctx, name, alg, digest, sig), "VerifyHash "+name)
	opsExpect(t, c.VerifyHash(ctx, name, alg, digest, opsFlip(sig, 7)), status.PsaErrorInvalidSignature, "VerifyHash of a corrupted signature, "+name)
	opsExpect(t, c.VerifyHash(ctx, name, alg, opsFlip(digest, 0), sig), status.PsaErrorInvalidSignature, "VerifyHash of another digest, "+name)
	switch attrs.Type.Kind {
	case psa.KeyEccPair:
		curve := map[uint32]elliptic.Curve{256: elliptic.P256(), 384: elliptic.P384(), 521: elliptic.P521()}[attrs.Bits]
		if !opsVerifyECDSA(opsECPublic(t, c, name, curve), digest, sig) {
			t.Errorf("%s: crypto/ecdsa does not verify the token's signature", name)
		}
	case psa.KeyRsaPair:
		pub := opsRSAPublic(t, c, name)
		if pub.N.BitLen() != int(attrs.Bits) {
			t.Errorf("%s: exported modulus of %d bits, want %d", name, pub.N.BitLen(), attrs.Bits)
		}
		var err error
		if alg.Kind == psa.SignRsaPss {
			err = rsa.VerifyPSS(pub, h, digest, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		} else {
			err = rsa.VerifyPKCS1v15(pub, h, digest, sig)
		}
		if err != nil {
			t.Errorf("%s: crypto/rsa does not verify the token's signature: %v", name, err)
		}
	}
}

// SoftHSM 2.6 does OAEP natively with SHA-1 only, without a label: OAEP
// SHA-1 keys (a deprecated primitive, so allow_deprecated) take the
// token's own OAEP, SHA-256 and labels the provider's raw-RSA path.
var (
	p11OAEP1   = psa.AsymEncrypt{Kind: psa.EncRsaOaep, Hash: psa.HashSHA1}
	p11OAEP256 = psa.AsymEncrypt{Kind: psa.EncRsaOaep, Hash: psa.HashSHA256}
)

const p11AllowDeprecated = "allow_deprecated = true\n"

// p11Crypt checks encryption with the Go standard library and in parsecd,
// and decryption on the token; label is the OAEP label (the PSA salt).
func p11Crypt(t testing.TB, c *client.Client, name string, alg psa.AsymEncrypt, label []byte) {
	t.Helper()
	ctx := t.Context()
	pub := opsRSAPublic(t, c, name)
	msg := []byte("parsecd pkcs11 secret " + name)
	var ct []byte
	var err error
	if alg.Kind == psa.EncRsaOaep {
		ct, err = rsa.EncryptOAEP(p11Hash(alg.Hash).New(), rand.Reader, pub, msg, label)
	} else {
		//lint:ignore SA1019 PKCS#1 v1.5 encryption is part of the Parsec/PSA contract (RsaPkcs1v15Crypt)
		ct, err = rsa.EncryptPKCS1v15(rand.Reader, pub, msg)
	}
	opsOK(t, err, "crypto/rsa encryption")
	got, err := c.AsymmetricDecrypt(ctx, name, alg, ct, label)
	opsOK(t, err, "AsymmetricDecrypt of a crypto/rsa ciphertext, "+name)
	if !bytes.Equal(got, msg) {
		t.Errorf("%s: decrypted %q, want %q", name, got, msg)
	}
	ct2, err := c.AsymmetricEncrypt(ctx, name, alg, msg, label)
	opsOK(t, err, "AsymmetricEncrypt "+name)
	if bytes.Equal(ct, ct2) {
		t.Errorf("%s: two encryptions gave the same ciphertext", name)
	}
	got, err = c.AsymmetricDecrypt(ctx, name, alg, ct2, label)
	opsOK(t, err, "AsymmetricDecrypt of parsecd's ciphertext, "+name)
	if !bytes.Equal(got, msg) {
		t.Errorf("%s: decrypted %q, want %q", name, got, msg)
	}
	if _, err := c.AsymmetricDecrypt(ctx, name, alg, opsFlip(ct2, len(ct2)/2), label); err == nil {
		t.Errorf("%s: a corrupted ciphertext decrypted", name)
	}
	if len(label) > 0 {
		if _, err := c.AsymmetricDecrypt(ctx, name, alg, ct2, append([]byte("x"), label...)); err == nil {
			t.Errorf("%s: decryption with another OAEP label succeeded", name)
		}
		if _, err := c.AsymmetricDecrypt(ctx, name, alg, ct2, nil); err == nil {
			t.Errorf("%s: decryption without the OAEP label succeeded", name)
		}
	}
}

var p11SignKeys = []struct {
	name  string
	attrs psa.KeyAttributes
}{
	{"ecc-p256", opsSignAttrs(opsECCPair, 256, opsSignUsage, opsSign(psa.SignEcdsa, psa.HashSHA256))},
	{"ecc-p384", opsSignAttrs(opsECCPair, 384, opsSignUsage, opsSign(psa.SignEcdsa, psa.HashSHA384))},
	{"ecc-p521", opsSignAttrs(opsECCPair, 521, opsSignUsage, opsSign(psa.SignEcdsa, psa.HashSHA512))},
	{"rsa2048-pkcs1", opsSignAttrs(opsRSAPair, 2048, opsSignUsage, opsSign(psa.SignRsaPkcs1v15, psa.HashSHA256))},
	{"rsa2048-pss", opsSignAttrs(opsRSAPair, 2048, opsSignUsage, opsSign(psa.SignRsaPss, psa.HashSHA256))},
	{"rsa3072-pkcs1", opsSignAttrs(opsRSAPair, 3072, opsSignUsage, opsSign(psa.SignRsaPkcs1v15, psa.HashSHA384))},
	{"rsa4096-pss", opsSignAttrs(opsRSAPair, 4096, opsSignUsage, opsSign(psa.SignRsaPss, psa.HashSHA512))},
}

func TestPkcs11ListProviders(t *testing.T) {
	t.Parallel()
	d := p11Daemon(t, Options{}, "").Start()
	c := d.Direct("p11-list")
	ctx := t.Context()
	ps, err := c.ListProviders(ctx)
	opsOK(t, err, "ListProviders")
	if len(ps) != 2 || ps[0].ID != parsec.ProviderPkcs11 || ps[1].ID != parsec.ProviderCore {
		t.Fatalf("ListProviders = %+v, want the PKCS#11 provider (id 2) then the core", ps)
	}
	if ps[0].UUID != p11UUID {
		t.Errorf("PKCS#11 provider UUID = %s, want %s", ps[0].UUID, p11UUID)
	}
	ops, err := c.ListOpcodes(ctx, parsec.ProviderPkcs11)
	opsOK(t, err, "ListOpcodes(2)")
	for _, op := range []parsec.Opcode{parsec.OpPsaGenerateKey, parsec.OpPsaImportKey, parsec.OpPsaDestroyKey, parsec.OpPsaExportPublicKey,
		parsec.OpPsaSignHash, parsec.OpPsaVerifyHash, parsec.OpPsaAsymmetricEncrypt, parsec.OpPsaAsymmetricDecrypt, parsec.OpPsaGenerateRandom, parsec.OpCanDoCrypto} {
		if !slices.Contains(ops, op) {
			t.Errorf("ListOpcodes(2) = %v lacks %v", ops, op)
		}
	}
	for _, op := range ops {
		if !op.Listable() {
			t.Errorf("ListOpcodes(2) = %v lists %v, which Parsec's clients cannot decode", ops, op)
		}
	}
	out := d.MustTool("list-providers")
	if !strings.Contains(out, "ID: 0x02 (PKCS #11 provider)") || !strings.Contains(out, "UUID: "+p11UUID) {
		t.Errorf("parsec-tool list-providers:\n%s", out)
	}
	// The default provider of a client is the first listed: PKCS#11.
	if p, err := c.Provider(ctx); err != nil || p != parsec.ProviderPkcs11 {
		t.Errorf("the client's default provider = %v, %v; want 2", p, err)
	}
	r, err := c.GenerateRandom(ctx, 64)
	opsOK(t, err, "GenerateRandom")
	if len(r) != 64 || bytes.Equal(r, make([]byte, 64)) {
		t.Errorf("GenerateRandom(64) = %x", r)
	}
}

// Every key type and algorithm of the contract through the Go client.
func TestPkcs11ClientOperations(t *testing.T) {
	t.Parallel()
	d := p11Daemon(t, Options{Core: p11AllowDeprecated}, "").Start()
	c := d.Direct("p11-ops").UsingProvider(parsec.ProviderPkcs11)
	ctx := t.Context()

	t.Run("sign", func(t *testing.T) {
		for _, k := range p11SignKeys {
			opsOK(t, c.GenerateKey(ctx, k.name, k.attrs), "GenerateKey "+k.name)
			got, err := c.KeyAttributes(ctx, k.name)
			opsOK(t, err, "KeyAttributes "+k.name)
			if got.Type != k.attrs.Type || got.Bits != k.attrs.Bits {
				t.Errorf("%s: attributes %+v, want %+v", k.name, got, k.attrs)
			}
			p11Check(t, c, k.name, k.attrs)
		}
		keys, err := c.ListKeys(ctx)
		opsOK(t, err, "ListKeys")
		if len(keys) != len(p11SignKeys) {
			t.Errorf("ListKeys gave %d keys, want %d: %+v", len(keys), len(p11SignKeys), keys)
		}
		for _, k := range keys {
			if k.Provider != parsec.ProviderPkcs11 {
				t.Errorf("key %s listed under provider %v", k.Name, k.Provider)
			}
		}
		opsExpect(t, c.GenerateKey(ctx, "ecc-p256", p11SignKeys[0].attrs), status.PsaErrorAlreadyExists, "GenerateKey of an existing name")
		for _, k := range p11SignKeys {
			opsOK(t, c.DestroyKey(ctx, k.name), "DestroyKey "+k.name)
			_, err := c.SignHash(ctx, k.name, k.attrs.Policy.Alg.Sign, make([]byte, 32))
			opsExpect(t, err, status.PsaErrorDoesNotExist, "SignHash after DestroyKey "+k.name)
			_, err = c.ExportPublicKey(ctx, k.name)
			opsExpect(t, err, status.PsaErrorDoesNotExist, "ExportPublicKey after DestroyKey "+k.name)
		}
		opsExpect(t, c.DestroyKey(ctx, "ecc-p256"), status.PsaErrorDoesNotExist, "DestroyKey twice")
		// The name is free again.
		opsOK(t, c.GenerateKey(ctx, "ecc-p256", p11SignKeys[0].attrs), "GenerateKey after DestroyKey")
		p11Check(t, c, "ecc-p256", p11SignKeys[0].attrs)
		opsOK(t, c.DestroyKey(ctx, "ecc-p256"), "DestroyKey")
	})

	t.Run("encrypt", func(t *testing.T) {
		for _, k := range []struct {
			name  string
			bits  uint32
			alg   psa.AsymEncrypt
			label []byte
		}{
			{"pkcs1", 2048, opsPKCS1Enc, nil},
			{"oaep-sha256", 2048, p11OAEP256, nil},
			{"oaep-sha256-label", 3072, p11OAEP256, []byte("parsecd label")},
			{"oaep-sha1", 2048, p11OAEP1, nil},
			{"oaep-sha1-label", 2048, p11OAEP1, []byte("parsecd label")},
		} {
			name := "rsa-crypt-" + k.name
			opsOK(t, c.GenerateKey(ctx, name, opsCryptAttrs(opsRSAPair, k.bits, opsCryptUsage, k.alg)), "GenerateKey "+name)
			p11Crypt(t, c, name, k.alg, k.label)
			opsOK(t, c.DestroyKey(ctx, name), "DestroyKey "+name)
		}
	})

	t.Run("import", func(t *testing.T) {
		rk, ek := opsVectorKeys(t)
		// Key pairs imported into the token sign, and their signatures
		// verify with the known public keys.
		ecAttrs := opsSignAttrs(opsECCPair, 256, opsSignUsage, opsSign(psa.SignEcdsa, psa.HashSHA256))
		_, _, ecData, err := client.KeyData(ek)
		opsOK(t, err, "KeyData(ecdsa)")
		opsOK(t, c.ImportKey(ctx, "imp-ec", ecAttrs, ecData), "ImportKey ECC pair")
		p11Check(t, c, "imp-ec", ecAttrs)
		if !opsECPublic(t, c, "imp-ec", elliptic.P256()).Equal(&ek.PublicKey) {
			t.Errorf("the imported ECC pair exports another public key")
		}
		rsaAttrs := opsSignAttrs(opsRSAPair, 2048, opsSignUsage, opsSign(psa.SignRsaPkcs1v15, psa.HashSHA256))
		_, _, rsaData, err := client.KeyData(rk)
		opsOK(t, err, "KeyData(rsa)")
		opsOK(t, c.ImportKey(ctx, "imp-rsa", rsaAttrs, rsaData), "ImportKey RSA pair")
		p11Check(t, c, "imp-rsa", rsaAttrs)
		if !opsRSAPublic(t, c, "imp-rsa").Equal(&rk.PublicKey) {
			t.Errorf("the imported RSA pair exports another public key")
		}
		// Public keys verify signatures made elsewhere and encrypt.
		pubAttrs := opsSignAttrs(opsECCPub, 256, psa.UsageVerifyHash, opsSign(psa.SignEcdsa, psa.HashSHA256))
		ecPoint, err := ek.PublicKey.Bytes()
		opsOK(t, err, "encoding the ECC public key")
		opsOK(t, c.ImportKey(ctx, "imp-ec-pub", pubAttrs, ecPoint), "ImportKey ECC public")
		digest := opsDigest(crypto.SHA256, []byte("signed outside"))
		opsOK(t, c.VerifyHash(ctx, "imp-ec-pub", pubAttrs.Policy.Alg.Sign, digest, opsRawECDSA(t, ek, digest)), "VerifyHash with an imported ECC public key")
		_, err = c.SignHash(ctx, "imp-ec-pub", pubAttrs.Policy.Alg.Sign, digest)
		if err == nil {
			t.Errorf("SignHash with a public key succeeded")
		}
		encAttrs := opsCryptAttrs(opsRSAPub, 2048, psa.UsageEncrypt, opsPKCS1Enc)
		opsOK(t, c.ImportKey(ctx, "imp-rsa-pub", encAttrs, x509.MarshalPKCS1PublicKey(&rk.PublicKey)), "ImportKey RSA public")
		ct, err := c.AsymmetricEncrypt(ctx, "imp-rsa-pub", opsPKCS1Enc, []byte("to the vector key"), nil)
		opsOK(t, err, "AsymmetricEncrypt with an imported RSA public key")
		//lint:ignore SA1019 PKCS#1 v1.5 encryption is part of the Parsec/PSA contract (RsaPkcs1v15Crypt)
		if pt, err := rsa.DecryptPKCS1v15(nil, rk, ct); err != nil || string(pt) != "to the vector key" {
			t.Errorf("crypto/rsa decryption of parsecd's ciphertext: %q, %v", pt, err)
		}
		for _, n := range []string{"imp-ec", "imp-rsa", "imp-ec-pub", "imp-rsa-pub"} {
			opsOK(t, c.DestroyKey(ctx, n), "DestroyKey "+n)
		}
	})

	t.Run("policy", func(t *testing.T) {
		attrs := opsSignAttrs(opsECCPair, 256, psa.UsageVerifyHash, opsSign(psa.SignEcdsa, psa.HashSHA256))
		opsOK(t, c.GenerateKey(ctx, "verify-only", attrs), "GenerateKey verify-only")
		_, err := c.SignHash(ctx, "verify-only", attrs.Policy.Alg.Sign, make([]byte, 32))
		opsExpect(t, err, status.PsaErrorNotPermitted, "SignHash without the sign usage")
		_, err = c.SignHash(ctx, "verify-only", opsSign(psa.SignEcdsa, psa.HashSHA384), make([]byte, 48))
		if err == nil {
			t.Errorf("SignHash with another algorithm than the policy's succeeded")
		}
		opsOK(t, c.DestroyKey(ctx, "verify-only"), "DestroyKey")
	})

	t.Run("can-do-crypto", func(t *testing.T) {
		for _, k := range p11SignKeys[:4] {
			opsOK(t, c.CanDoCrypto(ctx, psa.CheckGenerate, k.attrs), "CanDoCrypto generate "+k.name)
		}
		// A curve SoftHSM does not generate through parsecd's PSA mapping.
		bad := opsSignAttrs(psa.KeyType{Kind: psa.KeyEccPair, EccFamily: psa.EccSecpR1}, 255, opsSignUsage, opsSign(psa.SignEcdsa, psa.HashSHA256))
		if err := c.CanDoCrypto(ctx, psa.CheckGenerate, bad); err == nil {
			t.Errorf("CanDoCrypto says yes to a 255-bit SECP-R1 key")
		}
	})
}

// parsec-tool against the PKCS#11 provider, signatures and ciphertexts
// checked with openssl.
func TestPkcs11CLI(t *testing.T) {
	t.Parallel()
	d := p11Daemon(t, Options{}, "").Start()
	tool := func(args ...string) string {
		t.Helper()
		return d.MustTool(append([]string{"-p", "2"}, args...)...)
	}
	pems := cliSignVerified(t, d, "2", "PKCS #11 provider", "p11", "parsecd PKCS#11 signature test "+time.Now().Format(time.RFC3339Nano))
	// The same key seen by the Go client of the same application.
	c := d.Client(client.WithAuth(client.DirectAuth("parsec-tool")))
	b, _ := pem.Decode([]byte(pems["p11-ecc"]))
	pub, err := x509.ParsePKIXPublicKey(b.Bytes)
	opsOK(t, err, "parsing the exported SPKI")
	if !pub.(*ecdsa.PublicKey).Equal(opsECPublic(t, c, "p11-ecc", elliptic.P256())) {
		t.Errorf("parsec-tool and the Go client export different public keys")
	}

	// openssl encrypts, the token decrypts: PKCS#1 v1.5, and OAEP SHA-256
	// (parsec-tool's --oaep; SoftHSM 2.6 has no native OAEP SHA-256, the
	// provider decrypts with raw RSA on the token).
	for _, k := range []struct {
		name string
		opts []string
	}{
		{"p11-crypt", nil},
		{"p11-oaep", cliOAEP},
	} {
		args := []string{"create-rsa-key", "-k", k.name}
		if k.opts != nil {
			args = append(args, "--oaep")
		}
		tool(args...)
		secret := "parsecd PKCS#11 decryption test " + k.name
		ct := cliOpenSSLDecrypt(t, d, "2", k.name, k.opts, secret)
		enc := strings.TrimSpace(tool("encrypt", "-k", k.name, secret))
		if got := tool("decrypt", "-k", k.name, enc); got != secret+"\n" {
			t.Errorf("%s: parsec-tool encrypt -> decrypt gave %q", k.name, got)
		}
		ct[len(ct)/2] ^= 1
		cliFailTool(t, d, 0, []string{"PsaErrorInvalidPadding"}, "-p", "2", "decrypt", base64.StdEncoding.EncodeToString(ct), "-k", k.name)
	}
	if out := tool("generate-random", "-n", "16"); len(strings.Fields(out)) != 16 {
		t.Errorf("generate-random -n 16 printed %q", out)
	}

	for _, k := range []string{"p11-ecc", "p11-rsa", "p11-pss", "p11-crypt", "p11-oaep"} {
		tool("delete-key", "-k", k)
	}
	cliFailTool(t, d, 0, []string{"(ParsecClientError(Client(NotFound)))"}, "-p", "2", "sign", "-k", "p11-ecc", "x")
	if out := tool("list-keys"); strings.Contains(out, "* ") {
		t.Errorf("list-keys after delete-key:\n%s", out)
	}
}

// Keys survive a restart of the daemon: same public keys, still signing.
func TestPkcs11RestartPersistence(t *testing.T) {
	t.Parallel()
	d := p11Daemon(t, Options{}, "").Start()
	c := d.Direct("p11-restart")
	ctx := t.Context()
	ecc, rsaK := p11SignKeys[0], p11SignKeys[3]
	for _, k := range []struct {
		name  string
		attrs psa.KeyAttributes
	}{ecc, rsaK} {
		opsOK(t, c.GenerateKey(ctx, k.name, k.attrs), "GenerateKey "+k.name)
	}
	ecPub := opsECPublic(t, c, ecc.name, elliptic.P256())
	rsaPub := opsRSAPublic(t, c, rsaK.name)
	d.Stop()

	d.Start()
	c = d.Direct("p11-restart")
	keys, err := c.ListKeys(ctx)
	opsOK(t, err, "ListKeys after restart")
	var names []string
	for _, k := range keys {
		names = append(names, k.Name)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{ecc.name, rsaK.name}) {
		t.Errorf("ListKeys after restart = %v", names)
	}
	if !opsECPublic(t, c, ecc.name, elliptic.P256()).Equal(ecPub) || !opsRSAPublic(t, c, rsaK.name).Equal(rsaPub) {
		t.Errorf("public keys changed across the restart")
	}
	digest := opsDigest(crypto.SHA256, []byte("after restart"))
	sig, err := c.SignHash(ctx, ecc.name, ecc.attrs.Policy.Alg.Sign, digest)
	opsOK(t, err, "SignHash ECC after restart")
	if !opsVerifyECDSA(ecPub, digest, sig) {
		t.Errorf("the ECC signature after restart does not verify with the key exported before")
	}
	sig, err = c.SignHash(ctx, rsaK.name, rsaK.attrs.Policy.Alg.Sign, digest)
	opsOK(t, err, "SignHash RSA after restart")
	if err := rsa.VerifyPKCS1v15(rsaPub, crypto.SHA256, digest, sig); err != nil {
		t.Errorf("the RSA signature after restart does not verify with the key exported before: %v", err)
	}
	opsOK(t, c.DestroyKey(ctx, ecc.name), "DestroyKey after restart")
	d.Stop()
	d.Start()
	c = d.Direct("p11-restart")
	_, err = c.ExportPublicKey(ctx, ecc.name)
	opsExpect(t, err, status.PsaErrorDoesNotExist, "a key destroyed before a restart")
	p11Check(t, c, rsaK.name, rsaK.attrs)
}

// Software and PKCS#11 providers in one daemon, in both orders: the first
// is the default; a signature made in one verifies in the other after an
// import of the exported public key.
func TestPkcs11WithSoftware(t *testing.T) {
	t.Parallel()
	for _, p11First := range []bool{true, false} {
		name := "software-first"
		if p11First {
			name = "pkcs11-first"
		}
		// (SoftHSM's configuration parser cuts the token path at an "=":
		// no "=" in the test's name, which t.TempDir uses.)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var d *Daemon
			if p11First {
				d = p11Daemon(t, Options{ExtraConf: p11SoftEntry}, "")
			} else {
				conf := p11Token(t)
				d = NewDaemon(t, Options{ProvType: "Software", ExtraConf: p11Entry("")})
				d.Env = append(d.Env, "SOFTHSM2_CONF="+conf)
			}
			d.Start()
			c := d.Direct("p11-mixed")
			ctx := t.Context()
			ps, err := c.ListProviders(ctx)
			opsOK(t, err, "ListProviders")
			want := []parsec.ProviderID{parsec.ProviderMbedCrypto, parsec.ProviderPkcs11, parsec.ProviderCore}
			if p11First {
				want = []parsec.ProviderID{parsec.ProviderPkcs11, parsec.ProviderMbedCrypto, parsec.ProviderCore}
			}
			var got []parsec.ProviderID
			for _, p := range ps {
				got = append(got, p.ID)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("ListProviders ids = %v, want %v", got, want)
			}
			if p, err := c.Provider(ctx); err != nil || p != want[0] {
				t.Errorf("default provider = %v, %v; want %v", p, err, want[0])
			}
			// A key created without naming a provider lands in the default one.
			opsOK(t, c.GenerateKey(ctx, "default", p11SignKeys[0].attrs), "GenerateKey in the default provider")
			keys, err := c.ListKeys(ctx)
			opsOK(t, err, "ListKeys")
			if len(keys) != 1 || keys[0].Provider != want[0] {
				t.Errorf("the key made in the default provider is listed as %+v", keys)
			}
			out := d.MustTool("list-providers")
			if i, j := strings.Index(out, "ID: 0x02"), strings.Index(out, "ID: 0x01"); i < 0 || j < 0 || (i < j) != p11First {
				t.Errorf("parsec-tool list-providers order:\n%s", out)
			}

			hsm := c.UsingProvider(parsec.ProviderPkcs11)
			sw := c.UsingProvider(parsec.ProviderMbedCrypto)
			for _, pair := range []struct {
				what         string
				signer, vrfy *client.Client
			}{{"p2s", hsm, sw}, {"s2p", sw, hsm}} { // p2s: signed in PKCS#11, verified in software
				digest := opsDigest(crypto.SHA256, []byte(pair.what))
				// ECDSA P-256.
				ecAttrs := p11SignKeys[0].attrs
				opsOK(t, pair.signer.GenerateKey(ctx, "ec-"+pair.what, ecAttrs), pair.what+": GenerateKey ECC")
				pt, err := pair.signer.ExportPublicKey(ctx, "ec-"+pair.what)
				opsOK(t, err, pair.what+": ExportPublicKey ECC")
				pubAttrs := opsSignAttrs(opsECCPub, 256, psa.UsageVerifyHash, ecAttrs.Policy.Alg.Sign)
				opsOK(t, pair.vrfy.ImportKey(ctx, "ec-pub-"+pair.what, pubAttrs, pt), pair.what+": ImportKey ECC public")
				sig, err := pair.signer.SignHash(ctx, "ec-"+pair.what, ecAttrs.Policy.Alg.Sign, digest)
				opsOK(t, err, pair.what+": SignHash ECC")
				opsOK(t, pair.vrfy.VerifyHash(ctx, "ec-pub-"+pair.what, ecAttrs.Policy.Alg.Sign, digest, sig), pair.what+": VerifyHash ECC")
				opsExpect(t, pair.vrfy.VerifyHash(ctx, "ec-pub-"+pair.what, ecAttrs.Policy.Alg.Sign, digest, opsFlip(sig, 3)),
					status.PsaErrorInvalidSignature, pair.what+": VerifyHash of a corrupted ECC signature")
				// RSA PSS.
				rsaAttrs := p11SignKeys[4].attrs
				opsOK(t, pair.signer.GenerateKey(ctx, "rsa-"+pair.what, rsaAttrs), pair.what+": GenerateKey RSA")
				der, err := pair.signer.ExportPublicKey(ctx, "rsa-"+pair.what)
				opsOK(t, err, pair.what+": ExportPublicKey RSA")
				rsaPub := opsSignAttrs(opsRSAPub, 2048, psa.UsageVerifyHash, rsaAttrs.Policy.Alg.Sign)
				opsOK(t, pair.vrfy.ImportKey(ctx, "rsa-pub-"+pair.what, rsaPub, der), pair.what+": ImportKey RSA public")
				sig, err = pair.signer.SignHash(ctx, "rsa-"+pair.what, rsaAttrs.Policy.Alg.Sign, digest)
				opsOK(t, err, pair.what+": SignHash RSA")
				opsOK(t, pair.vrfy.VerifyHash(ctx, "rsa-pub-"+pair.what, rsaAttrs.Policy.Alg.Sign, digest, sig), pair.what+": VerifyHash RSA")
			}
			// Names are per provider: the same name may exist in both, and
			// each is reached through its own provider id.
			keys, err = c.ListKeys(ctx)
			opsOK(t, err, "ListKeys")
			perProvider := map[parsec.ProviderID]int{}
			for _, k := range keys {
				perProvider[k.Provider]++
			}
			if perProvider[parsec.ProviderPkcs11] < 4 || perProvider[parsec.ProviderMbedCrypto] < 4 {
				t.Errorf("keys per provider = %v", perProvider)
			}
			// parsec-tool reaches either provider with -p.
			for _, p := range []string{"1", "2"} {
				d.MustTool("-p", p, "create-ecc-key", "-k", "tool-"+p)
				d.MustTool("-p", p, "sign", "-k", "tool-"+p, "hello")
				d.MustTool("-p", p, "delete-key", "-k", "tool-"+p)
			}
		})
	}
}

// 8 clients at once, each running a mix of operations on the token.
func TestPkcs11ConcurrentClients(t *testing.T) {
	t.Parallel()
	d := p11Daemon(t, Options{Timeout: 5000, Core: "thread_pool_size = 16\n"}, "").Start()
	ctx := t.Context()
	const clients, rounds = 8, 6
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		failures = append(failures, fmt.Sprintf(format, args...))
	}
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := d.Direct(fmt.Sprintf("p11-conc-%d", i))
			rsaAttrs := opsCryptAttrs(opsRSAPair, 2048, opsCryptUsage, opsPKCS1Enc)
			if err := c.GenerateKey(ctx, "rsa", rsaAttrs); err != nil {
				fail("client %d: GenerateKey rsa: %v", i, err)
				return
			}
			ecAttrs := p11SignKeys[0].attrs
			for r := range rounds {
				name := fmt.Sprintf("ec-%d", r)
				if err := c.GenerateKey(ctx, name, ecAttrs); err != nil {
					fail("client %d round %d: GenerateKey: %v", i, r, err)
					continue
				}
				digest := opsDigest(crypto.SHA256, []byte(name))
				sig, err := c.SignHash(ctx, name, ecAttrs.Policy.Alg.Sign, digest)
				if err != nil {
					fail("client %d round %d: SignHash: %v", i, r, err)
				} else if err := c.VerifyHash(ctx, name, ecAttrs.Policy.Alg.Sign, digest, sig); err != nil {
					fail("client %d round %d: VerifyHash: %v", i, r, err)
				} else if pt, err := c.ExportPublicKey(ctx, name); err != nil {
					fail("client %d round %d: ExportPublicKey: %v", i, r, err)
				} else if pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), pt); err != nil || !opsVerifyECDSA(pub, digest, sig) {
					fail("client %d round %d: the signature does not verify in Go (%v)", i, r, err)
				}
				msg := []byte(fmt.Sprintf("client %d round %d", i, r))
				if ct, err := c.AsymmetricEncrypt(ctx, "rsa", opsPKCS1Enc, msg, nil); err != nil {
					fail("client %d round %d: AsymmetricEncrypt: %v", i, r, err)
				} else if pt, err := c.AsymmetricDecrypt(ctx, "rsa", opsPKCS1Enc, ct, nil); err != nil || !bytes.Equal(pt, msg) {
					fail("client %d round %d: AsymmetricDecrypt: %q, %v", i, r, pt, err)
				}
				if b, err := c.GenerateRandom(ctx, 32); err != nil || len(b) != 32 {
					fail("client %d round %d: GenerateRandom: %d bytes, %v", i, r, len(b), err)
				}
				if err := c.DestroyKey(ctx, name); err != nil {
					fail("client %d round %d: DestroyKey: %v", i, r, err)
				}
			}
			if err := c.DestroyKey(ctx, "rsa"); err != nil {
				fail("client %d: DestroyKey rsa: %v", i, err)
			}
			if keys, err := c.ListKeys(ctx); err != nil || len(keys) != 0 {
				fail("client %d: ListKeys at the end: %+v, %v", i, keys, err)
			}
		}()
	}
	wg.Wait()
	for _, f := range failures {
		t.Error(f)
	}
	// The daemon is still healthy.
	if _, _, err := d.Client().Ping(ctx); err != nil {
		t.Errorf("Ping after the concurrent clients: %v", err)
	}
}

// A wrong PIN stops parsecd at start-up with a message that names the
// library and the PKCS#11 return code.
func TestPkcs11WrongPIN(t *testing.T) {
	t.Parallel()
	conf := p11Token(t)
	d := NewDaemon(t, Options{ProvType: "Pkcs11",
		ExtraConf: fmt.Sprintf("library_path = %q\ntoken_label = %q\nuser_pin = \"str:4321\"\n", p11Lib, p11Label)})
	d.Env = append(d.Env, "SOFTHSM2_CONF="+conf)
	err := d.TryStart()
	if err == nil {
		t.Fatal("parsecd started with a wrong user PIN")
	}
	if !ExitedEarly(err) {
		t.Fatalf("parsecd with a wrong PIN: %v (want a non-zero exit)", err)
	}
	logs := d.Logs()
	for _, w := range []string{p11Lib, "CKR_PIN_INCORRECT"} {
		if !strings.Contains(logs, w) {
			t.Errorf("the start-up error does not mention %q:\n%s", w, logs)
		}
	}
	if strings.Contains(logs, "4321") {
		t.Errorf("the start-up error shows the PIN:\n%s", logs)
	}
	// The right PIN, read from a file, starts it.
	pinFile := filepath.Join(t.TempDir(), "pin")
	if err := os.WriteFile(pinFile, []byte(p11PIN+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d.WriteConfig(Options{ProvType: "Pkcs11",
		ExtraConf: fmt.Sprintf("library_path = %q\ntoken_label = %q\nuser_pin = %q\n", p11Lib, p11Label, "file:"+pinFile)})
	d.Start()
	c := d.Direct("p11-pin")
	opsOK(t, c.GenerateKey(t.Context(), "k", p11SignKeys[0].attrs), "GenerateKey with the PIN from a file")
	p11Check(t, c, "k", p11SignKeys[0].attrs)
}

// software_public_operations = true: verification and encryption run in Go
// on the public key, with the same results.
func TestPkcs11SoftwarePublicOperations(t *testing.T) {
	t.Parallel()
	d := p11Daemon(t, Options{}, "software_public_operations = true\n").Start()
	c := d.Direct("p11-swpub")
	ctx := t.Context()
	for _, k := range []struct {
		name  string
		attrs psa.KeyAttributes
	}{p11SignKeys[0], p11SignKeys[2], p11SignKeys[3], p11SignKeys[4]} {
		opsOK(t, c.GenerateKey(ctx, k.name, k.attrs), "GenerateKey "+k.name)
		p11Check(t, c, k.name, k.attrs)
	}
	opsOK(t, c.GenerateKey(ctx, "crypt", opsCryptAttrs(opsRSAPair, 2048, opsCryptUsage, opsPKCS1Enc)), "GenerateKey crypt")
	p11Crypt(t, c, "crypt", opsPKCS1Enc, nil)
	opsOK(t, c.GenerateKey(ctx, "oaep", opsCryptAttrs(opsRSAPair, 2048, opsCryptUsage, p11OAEP256)), "GenerateKey oaep")
	p11Crypt(t, c, "oaep", p11OAEP256, []byte("label"))
	// A signature made elsewhere verifies with an imported public key.
	_, ek := opsVectorKeys(t)
	pubAttrs := opsSignAttrs(opsECCPub, 256, psa.UsageVerifyHash, opsSign(psa.SignEcdsa, psa.HashSHA256))
	pt, err := ek.PublicKey.Bytes()
	opsOK(t, err, "encoding the public key")
	opsOK(t, c.ImportKey(ctx, "pub", pubAttrs, pt), "ImportKey ECC public")
	digest := sha256.Sum256([]byte("outside"))
	sig := opsRawECDSA(t, ek, digest[:])
	opsOK(t, c.VerifyHash(ctx, "pub", pubAttrs.Policy.Alg.Sign, digest[:], sig), "VerifyHash with an imported public key")
	opsExpect(t, c.VerifyHash(ctx, "pub", pubAttrs.Policy.Alg.Sign, digest[:], opsFlip(sig, 1)), status.PsaErrorInvalidSignature, "VerifyHash of a corrupted signature")
}
