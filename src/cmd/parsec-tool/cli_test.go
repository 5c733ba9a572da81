// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package main

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parsecd/parsecd/src/client/clienttest"
	"github.com/parsecd/parsecd/src/parsec"
)

type result struct {
	code           int
	stdout, stderr string
}

func runTool(t *testing.T, endpoint string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	env := map[string]string{"PARSEC_SERVICE_ENDPOINT": endpoint}
	code := run(args, &out, &errb, func(k string) string { return env[k] })
	return result{code, out.String(), errb.String()}
}

func mustRun(t *testing.T, endpoint string, args ...string) string {
	t.Helper()
	r := runTool(t, endpoint, args...)
	if r.code != 0 {
		t.Fatalf("parsec-tool %q: exit %d\nstderr: %s", args, r.code, r.stderr)
	}
	return r.stdout
}

func TestCoreSubcommands(t *testing.T) {
	svc := clienttest.NewService()
	svc.Admins = []string{"parsec-tool"}
	srv := svc.Start(t)
	ep := srv.Endpoint

	if got := mustRun(t, ep, "ping"); got != "1.0\n" {
		t.Errorf("ping = %q", got)
	}
	got := mustRun(t, ep, "list-providers")
	if !strings.HasPrefix(got, "ID: 0x01 (Mbed Crypto provider)\nDescription: Software provider built on the Go standard library crypto (answers on the Mbed Crypto provider id)\nVersion: 0.1.0\nVendor: parsecd\nUUID: 1c1139dc-ad7c-47dc-ad6b-db6fdb466552\n\nID: 0x00 (Core provider)\n") ||
		!strings.Contains(got, "Vendor: Unspecified\n") {
		t.Errorf("list-providers =\n%s", got)
	}
	if got := mustRun(t, ep, "list-authenticators"); got != "ID: 0x01 (Direct authentication)\nDescription: Directly parses the authentication field as a UTF-8 string and uses that as the application identity. Should be used for testing only.\nVersion: 0.1.0\n\n" {
		t.Errorf("list-authenticators = %q", got)
	}
	if got := mustRun(t, ep, "list-opcodes"); got != "0x01 (Ping)\n0x08 (ListProviders)\n0x09 (ListOpcodes)\n0x0e (ListAuthenticators)\n0x1a (ListKeys)\n" {
		t.Errorf("list-opcodes = %q", got)
	}
	if got := mustRun(t, ep, "list-opcodes", "--provider", "1"); !strings.HasPrefix(got, "0x02 (PsaGenerateKey)\n0x03 (PsaDestroyKey)\n") {
		t.Errorf("list-opcodes -p 1 = %q", got)
	}
	if got := mustRun(t, ep, "-p", "1", "list-opcodes"); !strings.HasPrefix(got, "0x02 (PsaGenerateKey)\n") {
		t.Errorf("-p 1 list-opcodes = %q", got)
	}
	// The unauthenticated subcommands never send authentication.
	for _, r := range srv.Requests() {
		if r.Header.AuthType != parsec.AuthNone {
			t.Errorf("%v sent with %v", r.Header.Opcode, r.Header.AuthType)
		}
	}

	r := runTool(t, ep, "list-keys")
	if r.code != 0 || r.stdout != "" || r.stderr != "[INFO  parsec_tool::subcommands::list_keys] No keys currently available.\n" {
		t.Errorf("empty list-keys: %+v", r)
	}
	if r := runTool(t, ep, "list-clients"); r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "No clients in the service.") {
		t.Errorf("empty list-clients: %+v", r)
	}
	rnd := mustRun(t, ep, "generate-random", "-n", "16")
	if len(rnd) != 16*3+1 || !strings.HasSuffix(rnd, " \n") || strings.ToUpper(rnd) != rnd {
		t.Errorf("generate-random = %q", rnd)
	}
	mustRun(t, ep, "create-ecc-key", "-k", "e1")
	if got := mustRun(t, ep, "list-clients"); got != "parsec-tool\n" {
		t.Errorf("list-clients = %q", got)
	}
	if r := runTool(t, ep, "delete-client", "--client", "parsec-tool"); r.code != 0 || !strings.Contains(r.stderr, `Client "parsec-tool" deleted.`) {
		t.Errorf("delete-client: %+v", r)
	}
	if got := mustRun(t, ep, "list-keys"); got != "" {
		t.Errorf("list-keys after delete-client = %q", got)
	}
	// RUST_LOG silences the log lines.
	var out, errb bytes.Buffer
	env := map[string]string{"PARSEC_SERVICE_ENDPOINT": ep, "RUST_LOG": "error"}
	if code := run([]string{"ping"}, &out, &errb, func(k string) string { return env[k] }); code != 0 || errb.Len() != 0 || out.String() != "1.0\n" {
		t.Errorf("RUST_LOG=error ping: %d %q %q", code, out.String(), errb.String())
	}
}

func TestKeySubcommands(t *testing.T) {
	srv := clienttest.NewService().Start(t)
	ep := srv.Endpoint
	mustRun(t, ep, "create-ecc-key", "--key-name", "ecc-key")
	mustRun(t, ep, "create-rsa-key", "-k", "rsa-key", "-b", "1024")
	mustRun(t, ep, "create-rsa-key", "-k", "rsa-oaep", "--bits=1024", "--oaep")
	mustRun(t, ep, "create-rsa-key", "-s", "-k", "rsa-sign", "-b", "1024")
	mustRun(t, ep, "create-rsa-key", "-rk", "rsa-pss", "-b", "1024")

	want := "* ecc-key (Mbed Crypto provider, EccKeyPair { curve_family: SecpR1 }, 256 bits, permitted algorithm: AsymmetricSignature(Ecdsa { hash_alg: Specific(Sha256) }))\n" +
		"* rsa-key (Mbed Crypto provider, RsaKeyPair, 1024 bits, permitted algorithm: AsymmetricEncryption(RsaPkcs1v15Crypt))\n" +
		"* rsa-oaep (Mbed Crypto provider, RsaKeyPair, 1024 bits, permitted algorithm: AsymmetricEncryption(RsaOaep { hash_alg: Sha256 }))\n" +
		"* rsa-pss (Mbed Crypto provider, RsaKeyPair, 1024 bits, permitted algorithm: AsymmetricSignature(RsaPss { hash_alg: Specific(Sha256) }))\n" +
		"* rsa-sign (Mbed Crypto provider, RsaKeyPair, 1024 bits, permitted algorithm: AsymmetricSignature(RsaPkcs1v15Sign { hash_alg: Specific(Sha256) }))\n"
	if got := mustRun(t, ep, "list-keys"); got != want {
		t.Errorf("list-keys =\n%s\nwant\n%s", got, want)
	}

	// export-public-key: SPKI, or PKCS#1 for RSA.
	eccPEM := mustRun(t, ep, "export-public-key", "-k", "ecc-key")
	block, rest := pem.Decode([]byte(eccPEM))
	if block == nil || block.Type != "PUBLIC KEY" || len(rest) != 0 {
		t.Fatalf("ECC PEM = %q", eccPEM)
	}
	eccPub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	block, _ = pem.Decode([]byte(mustRun(t, ep, "export-public-key", "-k", "rsa-sign", "--pkcs1")))
	if block == nil || block.Type != "RSA PUBLIC KEY" {
		t.Fatalf("RSA PKCS#1 PEM: %v", block)
	}
	rsaSignPub, err := x509.ParsePKCS1PublicKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	block, _ = pem.Decode([]byte(mustRun(t, ep, "export-public-key", "-k", "rsa-oaep")))
	oaepPub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if r := runTool(t, ep, "export-public-key", "-k", "ecc-key", "--pkcs1"); r.code != 1 || !strings.Contains(r.stderr, "(WrongKeyAlgorithm)") {
		t.Errorf("ECC --pkcs1: %+v", r)
	}

	// sign: local SHA-256, PsaSignHash, DER for ECDSA, base64.
	digest := sha256.Sum256([]byte("hello world"))
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(mustRun(t, ep, "sign", "-k", "ecc-key", "hello world")))
	if err != nil || !ecdsa.VerifyASN1(eccPub.(*ecdsa.PublicKey), digest[:], sig) {
		t.Fatalf("ECDSA signature does not verify: %v", err)
	}
	sig, _ = base64.StdEncoding.DecodeString(strings.TrimSpace(mustRun(t, ep, "sign", "hello world", "--key-name", "rsa-sign")))
	if err := rsa.VerifyPKCS1v15(rsaSignPub, crypto.SHA256, digest[:], sig); err != nil {
		t.Fatalf("RSA signature: %v", err)
	}
	if r := runTool(t, ep, "sign", "-k", "rsa-key", "x"); r.code != 1 || r.stderr != "[ERROR parsec_tool::util] Key's algorithm is AsymmetricEncryption(RsaPkcs1v15Crypt) which can not be used for signing.\n"+
		"[ERROR parsec_tool] Subcommand failed: They key was not created with the correct algorithm for this operation (ParsecToolError(WrongKeyAlgorithm))\n" {
		t.Errorf("sign with an encryption key: %+v", r)
	}

	// encrypt / decrypt round trips, and decrypt of an outside ciphertext.
	for _, k := range []string{"rsa-key", "rsa-oaep"} {
		ct := strings.TrimSpace(mustRun(t, ep, "encrypt", "-k", k, "secret message"))
		if got := mustRun(t, ep, "decrypt", ct, "-k", k); got != "secret message\n" {
			t.Errorf("%s: decrypt = %q", k, got)
		}
	}
	ct, _ := rsa.EncryptOAEP(sha256.New(), rand.Reader, oaepPub.(*rsa.PublicKey), []byte("from openssl"), nil)
	if got := mustRun(t, ep, "decrypt", "-k", "rsa-oaep", base64.StdEncoding.EncodeToString(ct)); got != "from openssl\n" {
		t.Errorf("decrypt = %q", got)
	}
	if r := runTool(t, ep, "decrypt", "-k", "rsa-oaep", "not base64!"); r.code != 1 || r.stderr != "[ERROR parsec_tool] Subcommand failed: Invalid byte 32, offset 3. (Base64Decode(InvalidByte(3, 32)))\n" {
		t.Errorf("bad base64: %+v", r)
	}

	// delete-key, then the error line for a missing key.
	mustRun(t, ep, "delete-key", "-k", "rsa-key")
	r := runTool(t, ep, "delete-key", "-k", "rsa-key")
	if r.code != 1 || r.stdout != "" || r.stderr != "[INFO  parsec_tool::subcommands::delete_key] Deleting a key...\n"+
		"[ERROR parsec_tool] Subcommand failed: asking for an item that doesn't exist (ParsecClientError(Service(PsaErrorDoesNotExist)))\n" {
		t.Errorf("second delete-key: %+v", r)
	}
	r = runTool(t, ep, "create-ecc-key", "-k", "ecc-key")
	if r.code != 1 || !strings.HasSuffix(r.stderr, "[ERROR parsec_tool] Subcommand failed: asking for an item that already exists (ParsecClientError(Service(PsaErrorAlreadyExists)))\n") {
		t.Errorf("second create-ecc-key: %+v", r)
	}
	r = runTool(t, ep, "sign", "-k", "nope", "x")
	if r.code != 1 || r.stderr != "[ERROR parsec_tool] Subcommand failed: one of the resources required in the operation was not found (ParsecClientError(Client(NotFound)))\n" {
		t.Errorf("sign with a missing key: %+v", r)
	}
}

func TestCreateCSR(t *testing.T) {
	srv := clienttest.NewService().Start(t)
	ep := srv.Endpoint
	mustRun(t, ep, "create-ecc-key", "-k", "ecc")
	mustRun(t, ep, "create-rsa-key", "-k", "pkcs", "-s", "-b", "1024")
	mustRun(t, ep, "create-rsa-key", "-k", "pss", "-r", "-b", "1024")
	mustRun(t, ep, "create-rsa-key", "-k", "enc", "-b", "1024")
	wantAlg := map[string]x509.SignatureAlgorithm{"ecc": x509.ECDSAWithSHA256, "pkcs": x509.SHA256WithRSA}
	for key, alg := range wantAlg {
		out := mustRun(t, ep, "create-csr", "-k", key, "--cn", "parsec", "--ou", "unit", "--o", "org", "--l", "town",
			"--st", "state", "--c", "GB", "--serialNumber", "EZ4U2CIXL", "--san", "a.example", "10.0.0.1", "--san", "b.example")
		block, rest := pem.Decode([]byte(out))
		// rcgen's PEM has CRLF line endings; println! adds a newline.
		if block == nil || block.Type != "CERTIFICATE REQUEST" || string(rest) != "\n" || !strings.HasPrefix(out, "-----BEGIN CERTIFICATE REQUEST-----\r\n") {
			t.Fatalf("%s: output %q", key, out)
		}
		csr, err := x509.ParseCertificateRequest(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		if err := csr.CheckSignature(); err != nil || csr.SignatureAlgorithm != alg {
			t.Errorf("%s: signature %v, algorithm %v", key, err, csr.SignatureAlgorithm)
		}
		if csr.Subject.CommonName != "parsec" || csr.Subject.SerialNumber != "EZ4U2CIXL" || csr.Subject.Country[0] != "GB" {
			t.Errorf("%s: subject %v", key, csr.Subject)
		}
		var order []string
		for _, rdn := range csr.Subject.Names {
			order = append(order, rdn.Value.(string))
		}
		if strings.Join(order, ",") != "parsec,unit,org,town,state,GB,EZ4U2CIXL" {
			t.Errorf("%s: subject order %v", key, order)
		}
		// rcgen 0.9 makes every SAN a DNS name.
		if strings.Join(csr.DNSNames, ",") != "a.example,10.0.0.1,b.example" || len(csr.IPAddresses) != 0 {
			t.Errorf("%s: SANs %v %v", key, csr.DNSNames, csr.IPAddresses)
		}
	}
	if r := runTool(t, ep, "create-csr", "-k", "enc"); r.code != 1 || r.stderr != "[ERROR parsec_tool::subcommands::create_csr] Specified key is not an asymmetric signing key, which is needed for certificate requests.\n"+
		"[ERROR parsec_tool] Subcommand failed: They key was not created with the correct algorithm for this operation (ParsecToolError(WrongKeyAlgorithm))\n" {
		t.Errorf("CSR with an encryption key: %+v", r)
	}
	// parsec-tool 0.7.0 makes no CSR with an RSA-PSS key.
	if r := runTool(t, ep, "create-csr", "-k", "pss"); r.code != 1 || r.stderr != "[ERROR parsec_tool::subcommands::create_csr] Signing key specifies RSA PSS scheme, which is not supported for certificate requests.\n"+
		"[ERROR parsec_tool] Subcommand failed: Operation not supported by the parsec-tool (ParsecToolError(NotSupported))\n" {
		t.Errorf("CSR with an RSA-PSS key: %+v", r)
	}
}

func TestUsageAndTransportErrors(t *testing.T) {
	dir, err := os.MkdirTemp("", "pct")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	none := "unix:" + filepath.Join(dir, "none.sock")

	for _, args := range [][]string{
		{}, {"bogus"}, {"create-rsa-key"}, {"sign", "-k", "k"}, {"sign", "-k", "k", "a", "b"},
		{"generate-random", "-n", "x"}, {"-p", "999", "ping"}, {"ping", "--what"}, {"--timeout"},
	} {
		r := runTool(t, none, args...)
		if r.code != 1 || r.stdout != "" || !(strings.HasPrefix(r.stderr, "error: ") || strings.HasPrefix(r.stderr, "parsec-tool 0.7.0\n")) {
			t.Errorf("%q: %+v", args, r)
		}
	}
	r := runTool(t, none, "ping")
	if r.code != 1 || r.stderr != "[ERROR parsec_tool] Error spinning up the BasicClient: the socket address provided in the URL is not valid\n" {
		t.Errorf("no service: %+v", r)
	}
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}, {"help", "sign"}, {"sign", "--help"}, {"create-csr", "-h"}, {"-V"}} {
		r := runTool(t, none, args...)
		if r.code != 0 || r.stdout == "" || r.stderr != "" {
			t.Errorf("%q: %+v", args, r)
		}
	}
	if r := runTool(t, none, "sign", "--help"); !strings.Contains(r.stdout, "USAGE:\n    parsec-tool sign <input-data> --key-name <key-name>\n") {
		t.Errorf("sign --help:\n%s", r.stdout)
	}
}

// The service-side status of an admin refusal is described in plain words.
func TestStatusDescriptions(t *testing.T) {
	srv := clienttest.NewService().Start(t)
	r := runTool(t, srv.Endpoint, "list-clients")
	if r.code != 1 || r.stderr != "[ERROR parsec_tool] Subcommand failed: the operation requires admin privilege (ParsecClientError(Service(AdminOperation)))\n" {
		t.Errorf("list-clients as a non-admin: %+v", r)
	}
	r = runTool(t, srv.Endpoint, "-p", "2", "generate-random", "-n", "4")
	if r.code != 1 || r.stderr != "[INFO  parsec_tool::subcommands::generate_random] Generating 4 random bytes...\n"+
		"[ERROR parsec_tool] Subcommand failed: no provider registered for the requested provider ID (ParsecClientError(Service(ProviderNotRegistered)))\n" {
		t.Errorf("unregistered provider: %+v", r)
	}
}
