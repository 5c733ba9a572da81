// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package e2e

// parsec-tool against the real daemon with UnixPeerCredentials
// authentication, following the walk-through and the checks of
// parsec-tool's tests/parsec-cli-tests.sh (openssl used for real).

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/test/tool"
)

// cliOpenSSL is the openssl binary; its absence fails the test (no skip).
func cliOpenSSL(t testing.TB) string {
	t.Helper()
	return tool.Path(t, "openssl")
}

// cliRunOpenSSL runs openssl and returns its combined output and exit code.
func cliRunOpenSSL(t testing.TB, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(cliOpenSSL(t), args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("running openssl %v: %v", args, err)
		}
		return string(out), ee.ExitCode()
	}
	return string(out), 0
}

// cliMustOpenSSL runs openssl and fails the test unless it exits 0.
func cliMustOpenSSL(t testing.TB, args ...string) string {
	t.Helper()
	out, code := cliRunOpenSSL(t, args...)
	if code != 0 {
		t.Fatalf("openssl %v: exit %d\n%s", args, code, out)
	}
	return out
}

// cliFailTool runs parsec-tool as uid and requires what parsec-tool 0.7.0
// does on a failure: exit status 1, nothing on stdout, and on stderr either
// a clap usage error ("error: ...") or "[ERROR ...]" log lines ending with
// "[ERROR parsec_tool] Subcommand failed: <Display> (<Debug>)" (or the
// client spin-up error). Every string of want must appear in those lines,
// which are returned joined by " | ".
func cliFailTool(t testing.TB, d *Daemon, uid uint32, want []string, args ...string) string {
	t.Helper()
	out, errOut, code := d.Tool(uid, args...)
	if code != 1 || out != "" {
		t.Errorf("parsec-tool %v as uid %d: exit %d, stdout %q; want exit 1 and no output", args, uid, code, out)
	}
	var errLines []string
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	for _, l := range lines {
		if strings.HasPrefix(l, "[ERROR ") || strings.HasPrefix(l, "error: ") {
			errLines = append(errLines, l)
		}
	}
	last := lines[len(lines)-1]
	usage := strings.HasPrefix(errOut, "error: ")
	final := regexp.MustCompile(`^\[ERROR parsec_tool\] (Subcommand failed: .+ \(.+\)|Error spinning up the BasicClient: .+|The provider ID entered does not map with an existing provider)$`)
	if !usage && !final.MatchString(last) {
		t.Errorf("parsec-tool %v: stderr does not end with parsec-tool's error line:\n%s", args, errOut)
	}
	errLine := strings.Join(errLines, " | ")
	if usage {
		errLine = errOut
	}
	for _, w := range want {
		if !strings.Contains(errLine, w) {
			t.Errorf("parsec-tool %v: error %q does not mention %q", args, errLine, w)
		}
	}
	for _, bad := range []string{"goroutine ", "panic", "&{"} {
		if strings.Contains(errOut, bad) {
			t.Errorf("parsec-tool %v: stderr is not plain words (%q):\n%s", args, bad, errOut)
		}
	}
	return errLine
}

// cliWrite writes a file of the test's directory and returns its path.
func cliWrite(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// cliListKeys returns the "* ..." lines of list-keys run as uid.
func cliListKeys(t testing.TB, d *Daemon, uid uint32) []string {
	t.Helper()
	out, errOut, code := d.Tool(uid, "list-keys")
	if code != 0 {
		t.Fatalf("list-keys as uid %d: exit %d: %s", uid, code, errOut)
	}
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if l == "" {
			continue
		}
		if !strings.HasPrefix(l, "* ") {
			t.Errorf("list-keys line %q does not start with \"* \"", l)
		}
		lines = append(lines, l)
	}
	if len(lines) == 0 && !strings.Contains(errOut, "No keys currently available.") {
		t.Errorf("empty list-keys as uid %d does not say so: %q", uid, errOut)
	}
	slices.Sort(lines)
	return lines
}

// cliUnixDaemon starts a daemon with UnixPeerCredentials and root as admin,
// whose socket other users can reach.
func cliUnixDaemon(t testing.TB) *Daemon {
	t.Helper()
	d := NewDaemon(t, Options{Auth: "UnixPeerCredentials", Admins: []string{"0"}})
	// t.TempDir's per-test parent directory is 0700: open it so that other
	// uids can reach the socket (the socket itself is 0666, its dir 0755).
	_ = os.Chmod(filepath.Dir(d.Dir), 0o755)
	return d.Start()
}

const cliECCPolicy = "EccKeyPair { curve_family: SecpR1 }, 256 bits, permitted algorithm: AsymmetricSignature(Ecdsa { hash_alg: Specific(Sha256) })"

func TestCLIServiceInformation(t *testing.T) {
	t.Parallel()
	d := cliUnixDaemon(t)

	if out := d.MustTool("ping"); out != "1.0\n" {
		t.Errorf("ping printed %q, want \"1.0\\n\"", out)
	}

	// list-providers: one block per provider, the software provider first
	// (shown as the Mbed Crypto provider, whose id it answers on), core last.
	ps, err := d.Client().ListProviders(t.Context())
	opsOK(t, err, "ListProviders")
	var want strings.Builder
	for _, p := range ps {
		vendor := p.Vendor
		if vendor == "" {
			vendor = "Unspecified"
		}
		fmt.Fprintf(&want, "ID: 0x%02x (%v)\nDescription: %s\nVersion: %d.%d.%d\nVendor: %s\nUUID: %s\n\n",
			uint8(p.ID), p.ID, p.Description, p.VersionMaj, p.VersionMin, p.VersionRev, vendor, p.UUID)
	}
	out := d.MustTool("list-providers")
	if out != want.String() {
		t.Errorf("list-providers printed\n%s\nwant\n%s", out, want.String())
	}
	if !strings.HasPrefix(out, "ID: 0x01 (Mbed Crypto provider)\nDescription: ") ||
		!strings.Contains(out, "\nUUID: "+opsSoftUUID+"\n\nID: 0x00 (Core provider)\n") ||
		!strings.HasSuffix(out, "UUID: "+opsCoreUUID+"\n\n") {
		t.Errorf("list-providers layout:\n%s", out)
	}
	// What parsec-cli-tests.sh extracts: the crypto providers' ID lines.
	var ids []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "ID:") && !strings.Contains(l, "0x00") {
			ids = append(ids, l)
		}
	}
	if !slices.Equal(ids, []string{"ID: 0x01 (Mbed Crypto provider)"}) {
		t.Errorf("crypto provider ID lines = %q", ids)
	}

	out = d.MustTool("list-authenticators")
	if !strings.HasPrefix(out, "ID: 0x03 (Unix Peer Credentials authentication)\nDescription: ") ||
		!strings.HasSuffix(out, "\nVersion: 0.1.0\n\n") || strings.Count(out, "ID: ") != 1 {
		t.Errorf("list-authenticators printed %q", out)
	}

	if out := d.MustTool("list-opcodes"); out != "0x01 (Ping)\n0x08 (ListProviders)\n0x09 (ListOpcodes)\n0x0e (ListAuthenticators)\n0x1a (ListKeys)\n" {
		t.Errorf("list-opcodes printed %q", out)
	}
	// MAC (0x16/0x17) is served but not listed (parsec.Opcode.Listable).
	wantSoft := "0x02 (PsaGenerateKey)\n0x03 (PsaDestroyKey)\n0x04 (PsaSignHash)\n0x05 (PsaVerifyHash)\n0x06 (PsaImportKey)\n" +
		"0x07 (PsaExportPublicKey)\n0x0a (PsaAsymmetricEncrypt)\n0x0b (PsaAsymmetricDecrypt)\n0x0c (PsaExportKey)\n" +
		"0x0d (PsaGenerateRandom)\n0x0f (PsaHashCompute)\n0x10 (PsaHashCompare)\n0x11 (PsaAeadEncrypt)\n0x12 (PsaAeadDecrypt)\n" +
		"0x13 (PsaRawKeyAgreement)\n0x14 (PsaCipherEncrypt)\n0x15 (PsaCipherDecrypt)\n" +
		"0x18 (PsaSignMessage)\n0x19 (PsaVerifyMessage)\n0x20 (CanDoCrypto)\n"
	for _, args := range [][]string{{"list-opcodes", "-p", "1"}, {"list-opcodes", "--provider", "1"}, {"-p", "1", "list-opcodes"}} {
		if out := d.MustTool(args...); out != wantSoft {
			t.Errorf("parsec-tool %v printed %q", args, out)
		}
	}
	cliFailTool(t, d, 0, []string{"ProviderNotRegistered"}, "list-opcodes", "-p", "3")

	// generate-random: uppercase hex pairs, fresh each time.
	re := regexp.MustCompile(`^([0-9A-F]{2} ){15}[0-9A-F]{2} ?\n$`)
	r1 := d.MustTool("generate-random", "-n", "16")
	r2 := d.MustTool("-p", "1", "generate-random", "--nbytes", "16")
	if !re.MatchString(r1) || !re.MatchString(r2) {
		t.Errorf("generate-random -n 16 printed %q and %q, want 16 hex pairs", r1, r2)
	}
	if r1 == r2 {
		t.Errorf("two generate-random calls printed the same bytes")
	}

	// Usage errors exit 1 too, without contacting anything.
	cliFailTool(t, d, 0, []string{"key-name"}, "create-ecc-key")
	cliFailTool(t, d, 0, []string{"no-such-command"}, "no-such-command")

	// No service: a plain-words connection error.
	d.Stop()
	cliFailTool(t, d, 0, []string{"Error spinning up the BasicClient: the socket address provided in the URL is not valid"}, "ping")
}

// The walk-through: an ECC key created, used and checked with openssl.
func TestCLIEccSignVerifiedByOpenSSL(t *testing.T) {
	t.Parallel()
	d := cliUnixDaemon(t)
	dir := t.TempDir()

	d.MustTool("create-ecc-key", "-k", "k1")
	if keys := cliListKeys(t, d, 0); !slices.Equal(keys, []string{"* k1 (Mbed Crypto provider, " + cliECCPolicy + ")"}) {
		t.Errorf("list-keys = %q", keys)
	}

	pemOut := d.MustTool("export-public-key", "-k", "k1")
	block, rest := pem.Decode([]byte(pemOut))
	if block == nil || block.Type != "PUBLIC KEY" || strings.TrimSpace(string(rest)) != "" {
		t.Fatalf("export-public-key printed %q", pemOut)
	}
	pubAny, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatalf("export-public-key: not a SubjectPublicKeyInfo: %v", err)
	}
	pub, ok := pubAny.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		t.Fatalf("export-public-key: %T, want a P-256 key", pubAny)
	}
	// The same key the Go client sees for uid 0.
	if !pub.Equal(opsECPublic(t, d.Client(), "k1", elliptic.P256())) {
		t.Errorf("export-public-key and the Go client's ExportPublicKey disagree")
	}
	pubPath := cliWrite(t, dir, "pub.pem", []byte(pemOut))

	for i, args := range [][]string{{"sign", "-k", "k1", "hello"}, {"sign", "hello", "--key-name", "k1"}} {
		sigB64 := d.MustTool(args...)
		if !strings.HasSuffix(sigB64, "\n") || strings.Count(sigB64, "\n") != 1 {
			t.Errorf("sign printed %q, want one base64 line", sigB64)
		}
		sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(sigB64))
		if err != nil {
			t.Fatalf("sign output is not base64: %v", err)
		}
		digest := sha256.Sum256([]byte("hello"))
		if !ecdsa.VerifyASN1(pub, digest[:], sig) {
			t.Errorf("the signature is not a DER ECDSA signature of SHA-256(\"hello\")")
		}
		sigPath := cliWrite(t, dir, fmt.Sprintf("sig%d.der", i), sig)
		msgPath := cliWrite(t, dir, "msg.txt", []byte("hello"))
		if out := cliMustOpenSSL(t, "dgst", "-sha256", "-verify", pubPath, "-signature", sigPath, msgPath); !strings.Contains(out, "Verified OK") {
			t.Errorf("openssl dgst -verify: %s", out)
		}
		other := cliWrite(t, dir, "other.txt", []byte("hellO"))
		if out, code := cliRunOpenSSL(t, "dgst", "-sha256", "-verify", pubPath, "-signature", sigPath, other); code == 0 || !strings.Contains(out, "Verification failure") {
			t.Errorf("openssl accepted the signature for another message: exit %d: %s", code, out)
		}
	}

	// Errors: plain words on stderr, nothing on stdout, exit 1.
	cliFailTool(t, d, 0, []string{"asking for an item that already exists (ParsecClientError(Service(PsaErrorAlreadyExists)))"}, "create-ecc-key", "-k", "k1")
	cliFailTool(t, d, 0, []string{"PKCS1 format doesn't support ECC keys", "(ParsecToolError(WrongKeyAlgorithm))"}, "export-public-key", "-k", "k1", "--pkcs1")
	cliFailTool(t, d, 0, []string{"which cannot be used for encryption.", "(ParsecToolError(WrongKeyAlgorithm))"}, "encrypt", "-k", "k1", "data")
	d.MustTool("delete-key", "-k", "k1")
	cliFailTool(t, d, 0, []string{"(ParsecClientError(Client(NotFound)))"}, "sign", "-k", "k1", "hello")
	cliFailTool(t, d, 0, []string{"(ParsecClientError(Service(PsaErrorDoesNotExist)))"}, "delete-key", "-k", "k1")
	cliFailTool(t, d, 0, []string{"(ParsecClientError(Service(PsaErrorDoesNotExist)))"}, "export-public-key", "-k", "k1")
	if keys := cliListKeys(t, d, 0); len(keys) != 0 {
		t.Errorf("list-keys after delete-key = %q", keys)
	}
}

// parsec-cli-tests.sh, for the default RSA size and for --rsa-key-size 1024
// (as parsec-tool's ci.sh runs it), with the tool's global "-p 1".
func TestCLIParsecCliTests(t *testing.T) {
	t.Parallel()
	for _, size := range []string{"", "1024"} {
		name := "default-size"
		if size != "" {
			name = "rsa-key-size-" + size
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cliScript(t, size)
		})
	}
}

func cliScript(t *testing.T, rsaSize string) {
	d := cliUnixDaemon(t)
	dir := t.TempDir()
	tool := func(args ...string) string {
		t.Helper()
		return d.MustTool(append([]string{"-p", "1"}, args...)...)
	}
	bitsArgs := func() []string {
		if rsaSize != "" {
			return []string{"--bits", rsaSize}
		}
		return nil
	}
	wantBits := rsaSize
	if wantBits == "" {
		wantBits = "2048"
	}
	stamp := time.Now().Format(time.RFC1123)

	// create_key: create, check list-keys, export the public key.
	createKey := func(typ, key, usage string) string {
		t.Helper()
		args := []string{"create-" + strings.ToLower(typ) + "-key", "--key-name", key}
		if typ == "RSA" {
			switch usage {
			case "SIGN_PKCS1_V15":
				args = append(args, "--for-signing")
			case "SIGN_PSS":
				args = append(args, "--for-signing-pss")
			case "OAEP":
				args = append(args, "--oaep")
			}
			args = append(args, bitsArgs()...)
		}
		tool(args...)
		if !strings.Contains(tool("list-keys"), "* "+key+" (") {
			t.Errorf("%s is not listed", key)
		}
		p := cliWrite(t, dir, key+".pem", []byte(tool("export-public-key", "--key-name", key)))
		return p
	}
	deleteKey := func(key string) {
		t.Helper()
		tool("delete-key", "--key-name", key)
	}

	if !strings.Contains(tool("list-opcodes"), "PsaGenerateRandom") {
		t.Errorf("list-opcodes -p 1 does not list PsaGenerateRandom")
	}
	tool("generate-random", "--nbytes", "10")

	for _, alg := range []string{"PKCS#1 v1.5", "OAEP"} {
		usage := ""
		if alg == "OAEP" {
			usage = "OAEP"
		}
		// test_encryption: parsec-tool encrypt, parsec-tool decrypt.
		key := "anta-key-rsa-encrypt"
		text := stamp + " Parsec public key encryption"
		createKey("RSA", key, usage)
		enc := tool("encrypt", "--key-name", key, text)
		if got := tool("decrypt", strings.TrimSpace(enc), "--key-name", key); got != text+"\n" {
			t.Errorf("%s: tool encrypt -> tool decrypt gave %q, want %q", alg, got, text)
		}
		deleteKey(key)

		// test_decryption: openssl pkeyutl -encrypt, parsec-tool decrypt.
		key = "anta-key-rsa-crypt"
		text = stamp + " Parsec decryption test"
		pemPath := createKey("RSA", key, usage)
		args := []string{"pkeyutl", "-encrypt"}
		if alg == "OAEP" {
			args = append(args, "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256")
		}
		in := cliWrite(t, dir, key+".test_str", []byte(text))
		bin := filepath.Join(dir, key+".bin")
		cliMustOpenSSL(t, append(args, "-pubin", "-inkey", pemPath, "-in", in, "-out", bin)...)
		ct, err := os.ReadFile(bin)
		opsOK(t, err, "reading the openssl ciphertext")
		if got := tool("decrypt", base64.StdEncoding.EncodeToString(ct), "--key-name", key); got != text+"\n" {
			t.Errorf("%s: openssl encrypt -> tool decrypt gave %q, want %q", alg, got, text)
		}
		// A corrupted ciphertext is an error, not garbage.
		ct[len(ct)/2] ^= 1
		cliFailTool(t, d, 0, []string{"PsaErrorInvalidPadding"}, "-p", "1", "decrypt", base64.StdEncoding.EncodeToString(ct), "--key-name", key)
		cliFailTool(t, d, 0, []string{"Invalid byte 37, offset 0. (Base64Decode(InvalidByte(0, 37)))"}, "-p", "1", "decrypt", "%%%", "--key-name", key)
		deleteKey(key)
	}

	// test_signing: ECC (as the script), and RSA PKCS#1 v1.5 and PSS.
	for _, k := range []struct{ typ, usage string }{{"ECC", ""}, {"RSA", "SIGN_PKCS1_V15"}, {"RSA", "SIGN_PSS"}} {
		key := "anta-key-sign"
		text := stamp + " Parsec signature test"
		pemPath := createKey(k.typ, key, k.usage)
		sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(tool("sign", text, "--key-name", key)))
		opsOK(t, err, "sign output is not base64")
		sigPath := cliWrite(t, dir, key+".bin", sig)
		msgPath := cliWrite(t, dir, key+".test_str", []byte(text))
		args := []string{"dgst", "-sha256", "-verify", pemPath}
		if k.usage == "SIGN_PSS" {
			args = append(args, "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:-1")
		}
		if out := cliMustOpenSSL(t, append(args, "-signature", sigPath, msgPath)...); !strings.Contains(out, "Verified OK") {
			t.Errorf("%s %s: openssl dgst -verify: %s", k.typ, k.usage, out)
		}
		if k.typ == "RSA" {
			want := "RsaPkcs1v15Sign { hash_alg: Specific(Sha256) }"
			if k.usage == "SIGN_PSS" {
				want = "RsaPss { hash_alg: Specific(Sha256) }"
			}
			line := fmt.Sprintf("* %s (Mbed Crypto provider, RsaKeyPair, %s bits, permitted algorithm: AsymmetricSignature(%s))", key, wantBits, want)
			if keys := cliListKeys(t, d, 0); !slices.Equal(keys, []string{line}) {
				t.Errorf("list-keys = %q, want %q", keys, line)
			}
		}
		deleteKey(key)
	}

	// test_csr: RSA PKCS#1 v1.5 and ECC; parsec-tool 0.7.0 makes no CSR
	// with an RSA-PSS key (its rcgen has no RSA-PSS).
	createKey("RSA", "anta-key-csr", "SIGN_PSS")
	cliFailTool(t, d, 0, []string{"Signing key specifies RSA PSS scheme, which is not supported for certificate requests.", "(ParsecToolError(NotSupported))"},
		"-p", "1", "create-csr", "--cn", "parallaxsecond.com", "--key-name", "anta-key-csr")
	deleteKey("anta-key-csr")
	for _, k := range []struct {
		typ, usage string
		alg        x509.SignatureAlgorithm
	}{{"RSA", "SIGN_PKCS1_V15", x509.SHA256WithRSA}, {"ECC", "", x509.ECDSAWithSHA256}} {
		key := "anta-key-csr"
		createKey(k.typ, key, k.usage)
		csrPEM := tool("create-csr", "--cn", "parallaxsecond.com", "--san", "localhost", "--san", "127.0.0.1",
			"--serialNumber", "EZ4U2CIXL", "--o", "Parsec Project", "--key-name", key)
		csrPath := cliWrite(t, dir, key+".csr", []byte(csrPEM))
		out := cliMustOpenSSL(t, "req", "-text", "-nameopt", "utf8,space_eq", "-noout", "-verify", "-in", csrPath)
		if !strings.Contains(out, "verify OK") {
			t.Errorf("%s %s: openssl req -verify did not say OK:\n%s", k.typ, k.usage, out)
		}
		var subject string
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, "Subject:") {
				subject = l
			}
		}
		for _, w := range []string{"serialNumber = EZ4U2CIXL", "CN = parallaxsecond.com", "O = Parsec Project"} {
			if !strings.Contains(subject, w) {
				t.Errorf("%s %s: CSR subject %q lacks %q", k.typ, k.usage, subject, w)
			}
		}
		// parsec-tool 0.7.0 (rcgen 0.9) makes every SAN a DNS name.
		if !strings.Contains(out, "DNS:localhost, DNS:127.0.0.1") {
			t.Errorf("%s %s: CSR lacks the subject alternative names:\n%s", k.typ, k.usage, out)
		}
		// Go agrees, and the CSR carries the key's public key.
		block, _ := pem.Decode([]byte(csrPEM))
		if block == nil || block.Type != "CERTIFICATE REQUEST" {
			t.Fatalf("create-csr printed %q", csrPEM)
		}
		csr, err := x509.ParseCertificateRequest(block.Bytes)
		opsOK(t, err, "ParseCertificateRequest")
		if err := csr.CheckSignature(); err != nil || csr.SignatureAlgorithm != k.alg {
			t.Errorf("%s %s: CSR signature %v: %v", k.typ, k.usage, csr.SignatureAlgorithm, err)
		}
		pb, _ := pem.Decode([]byte(tool("export-public-key", "--key-name", key)))
		want, err := x509.ParsePKIXPublicKey(pb.Bytes)
		opsOK(t, err, "ParsePKIXPublicKey")
		if !want.(interface{ Equal(crypto.PublicKey) bool }).Equal(csr.PublicKey) {
			t.Errorf("%s %s: the CSR's public key is not the key's", k.typ, k.usage)
		}
		deleteKey(key)
	}

	// test_rsa_key_bits, and the PKCS#1 public key export.
	for _, bits := range []string{"", "1024"} {
		key := "anta-key-rsa-bits"
		args := []string{"create-rsa-key", "--key-name", key}
		want := "2048"
		if rsaSize != "" {
			args, want = append(args, "--bits", rsaSize), rsaSize
		} else if bits != "" {
			args, want = append(args, "--bits", bits), bits
		}
		tool(args...)
		p := cliWrite(t, dir, "checksize-"+key+".pem", []byte(tool("export-public-key", "--key-name", key)))
		if out := cliMustOpenSSL(t, "rsa", "-pubin", "-text", "-noout", "-in", p); !strings.Contains(out, "Public-Key: ("+want+" bit)") {
			t.Errorf("create-rsa-key should have produced a %s-bit RSA key:\n%s", want, out)
		}
		line := fmt.Sprintf("* %s (Mbed Crypto provider, RsaKeyPair, %s bits, permitted algorithm: AsymmetricEncryption(RsaPkcs1v15Crypt))", key, want)
		if keys := cliListKeys(t, d, 0); !slices.Equal(keys, []string{line}) {
			t.Errorf("list-keys = %q, want %q", keys, line)
		}
		pkcs1 := tool("export-public-key", "--key-name", key, "--pkcs1")
		pb, _ := pem.Decode([]byte(pkcs1))
		if pb == nil || pb.Type != "RSA PUBLIC KEY" {
			t.Fatalf("export-public-key --pkcs1 printed %q", pkcs1)
		}
		rpub, err := x509.ParsePKCS1PublicKey(pb.Bytes)
		if err != nil || fmt.Sprint(rpub.N.BitLen()) != want || rpub.E != 65537 {
			t.Errorf("export-public-key --pkcs1: %v", err)
		}
		p1 := cliWrite(t, dir, "pkcs1.pem", []byte(pkcs1))
		if out := cliMustOpenSSL(t, "rsa", "-RSAPublicKey_in", "-text", "-noout", "-in", p1); !strings.Contains(out, "Public-Key: ("+want+" bit)") {
			t.Errorf("openssl does not read the PKCS#1 export as a %s-bit key:\n%s", want, out)
		}
		spki, _ := pem.Decode([]byte(tool("export-public-key", "--key-name", key)))
		if sp, err := x509.ParsePKIXPublicKey(spki.Bytes); err != nil || !sp.(*rsa.PublicKey).Equal(rpub) {
			t.Errorf("the SPKI and PKCS#1 exports differ: %v", err)
		}
		deleteKey(key)
		if rsaSize != "" {
			break
		}
	}
	if keys := cliListKeys(t, d, 0); len(keys) != 0 {
		t.Errorf("keys left after the script: %q", keys)
	}
}

// list-clients and delete-client, as the admin (uid 0) and as another user.
func TestCLIAdminCommands(t *testing.T) {
	t.Parallel()
	RequireRoot(t, "running parsec-tool as another uid")
	d := cliUnixDaemon(t)
	const other = 4203

	// Clients without keys are not listed.
	if out, errOut, code := d.Tool(0, "list-clients"); code != 0 || out != "" || !strings.Contains(errOut, "No clients in the service.") {
		t.Errorf("list-clients on an empty service: exit %d, %q, %q", code, out, errOut)
	}
	d.MustTool("create-ecc-key", "-k", "root-key")
	if out := d.MustTool("list-clients"); out != "0\n" {
		t.Errorf("list-clients = %q, want \"0\\n\"", out)
	}
	if _, errOut, code := d.Tool(other, "create-rsa-key", "-k", "other-key", "-b", "1024"); code != 0 {
		t.Fatalf("create-rsa-key as uid %d: %s", other, errOut)
	}
	if out := d.MustTool("list-clients"); out != fmt.Sprintf("0\n%d\n", other) {
		t.Errorf("list-clients = %q", out)
	}

	// Not an admin: refused, and nothing is deleted.
	cliFailTool(t, d, other, []string{"AdminOperation"}, "list-clients")
	cliFailTool(t, d, other, []string{"AdminOperation"}, "delete-client", "-c", "0")
	if keys := cliListKeys(t, d, 0); len(keys) != 1 || !strings.HasPrefix(keys[0], "* root-key (") {
		t.Errorf("root's keys after a refused delete-client: %q", keys)
	}

	// The admin deletes the other client: its keys go, root's stay.
	out, errOut, code := d.Tool(0, "delete-client", "-c", fmt.Sprint(other))
	if code != 0 || out != "" || !strings.Contains(errOut, fmt.Sprint(other)) {
		t.Errorf("delete-client: exit %d, %q, %q", code, out, errOut)
	}
	if keys := cliListKeys(t, d, other); len(keys) != 0 {
		t.Errorf("uid %d still has keys after delete-client: %q", other, keys)
	}
	if out := d.MustTool("list-clients"); out != "0\n" {
		t.Errorf("list-clients after delete-client = %q", out)
	}
	if keys := cliListKeys(t, d, 0); len(keys) != 1 {
		t.Errorf("delete-client of another client removed root's keys: %q", keys)
	}
	// Deleting an unknown client succeeds (as in Parsec).
	d.MustTool("delete-client", "-c", "no-such-client")
	// The other user can use the name again.
	if _, errOut, code := d.Tool(other, "create-rsa-key", "-k", "other-key", "-b", "1024"); code != 0 {
		t.Errorf("create-rsa-key after delete-client: %s", errOut)
	}
}

// Keys created with the Go client (as uid 0) are the tool's keys too (same
// UnixPeerCredentials identity): P-384 and wildcard-hash policies, which
// create-*-key cannot make, signed with and certified through the tool.
func TestCLIKeysFromGoClient(t *testing.T) {
	t.Parallel()
	d := cliUnixDaemon(t)
	dir := t.TempDir()
	c := d.Client() // picks UnixPeerCredentials with this process's uid
	ctx := t.Context()
	opsOK(t, c.GenerateKey(ctx, "p384", opsSignAttrs(opsECCPair, 384, opsSignUsage, opsSign(psa.SignEcdsa, psa.HashSHA384))), "GenerateKey p384")
	opsOK(t, c.GenerateKey(ctx, "rsa-any", opsSignAttrs(opsRSAPair, 1024, opsSignUsage, psa.AsymSign{Kind: psa.SignRsaPkcs1v15, AnyHash: true})), "GenerateKey rsa-any")
	opsOK(t, c.GenerateKey(ctx, "pss-384", opsSignAttrs(opsRSAPair, 1024, opsSignUsage, opsSign(psa.SignRsaPss, psa.HashSHA384))), "GenerateKey pss-384")

	keys := cliListKeys(t, d, 0)
	want := []string{
		"* p384 (Mbed Crypto provider, EccKeyPair { curve_family: SecpR1 }, 384 bits, permitted algorithm: AsymmetricSignature(Ecdsa { hash_alg: Specific(Sha384) }))",
		"* pss-384 (Mbed Crypto provider, RsaKeyPair, 1024 bits, permitted algorithm: AsymmetricSignature(RsaPss { hash_alg: Specific(Sha384) }))",
		"* rsa-any (Mbed Crypto provider, RsaKeyPair, 1024 bits, permitted algorithm: AsymmetricSignature(RsaPkcs1v15Sign { hash_alg: Any }))",
	}
	if !slices.Equal(keys, want) {
		t.Errorf("list-keys =\n%s\nwant\n%s", strings.Join(keys, "\n"), strings.Join(want, "\n"))
	}

	// sign hashes with the policy's hash: SHA-384 here.
	pubPath := cliWrite(t, dir, "p384.pem", []byte(d.MustTool("export-public-key", "-k", "p384")))
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(d.MustTool("sign", "-k", "p384", "hello 384")))
	opsOK(t, err, "base64")
	sigPath := cliWrite(t, dir, "p384.sig", sig)
	msgPath := cliWrite(t, dir, "msg", []byte("hello 384"))
	if out := cliMustOpenSSL(t, "dgst", "-sha384", "-verify", pubPath, "-signature", sigPath, msgPath); !strings.Contains(out, "Verified OK") {
		t.Errorf("openssl dgst -sha384 -verify: %s", out)
	}
	// A wildcard-hash policy names no hash to sign with.
	cliFailTool(t, d, 0, []string{"not supported"}, "sign", "-k", "rsa-any", "hello")

	// create-csr: what parsec-tool 0.7.0 supports. A wildcard-hash RSA policy
	// maps to SHA-256 for the CSR, but the tool signs with the policy's
	// wildcard algorithm, which PsaSignHash refuses; RSA-PSS is refused by
	// the tool itself.
	cliFailTool(t, d, 0, []string{"Subcommand failed: There is no support for generating keys for the given algorithm (RcgenError(KeyGenerationUnavailable))"},
		"create-csr", "-k", "rsa-any", "--cn", "x")
	cliFailTool(t, d, 0, []string{"Signing key specifies RSA PSS scheme", "(ParsecToolError(NotSupported))"}, "create-csr", "-k", "pss-384", "--cn", "x")
	for _, k := range []struct {
		name string
		alg  x509.SignatureAlgorithm
	}{{"p384", x509.ECDSAWithSHA384}} {
		csrPEM := d.MustTool("create-csr", "-k", k.name, "--cn", "go-made "+k.name, "--serialNumber", "SN-"+k.name)
		csrPath := cliWrite(t, dir, k.name+".csr", []byte(csrPEM))
		out := cliMustOpenSSL(t, "req", "-text", "-nameopt", "utf8,space_eq", "-noout", "-verify", "-in", csrPath)
		if !strings.Contains(out, "verify OK") || !strings.Contains(out, "serialNumber = SN-"+k.name) {
			t.Errorf("%s: openssl req -verify:\n%s", k.name, out)
		}
		b, _ := pem.Decode([]byte(csrPEM))
		if b == nil {
			t.Fatalf("%s: create-csr printed %q", k.name, csrPEM)
		}
		csr, err := x509.ParseCertificateRequest(b.Bytes)
		if err != nil || csr.CheckSignature() != nil || csr.SignatureAlgorithm != k.alg {
			t.Errorf("%s: CSR %v, signature algorithm %v (want %v)", k.name, err, csr.SignatureAlgorithm, k.alg)
		}
	}
}

// cliSignVerified creates with parsec-tool, on provider id (named label in
// list-keys), an ECC key, an RSA PKCS#1 v1.5 key and an RSA-PSS key called
// prefix+"-ecc", "-rsa" and "-pss". Each signs text; openssl verifies the
// signature with the exported public key and refuses it for another
// message. It returns each key's exported PEM by name.
func cliSignVerified(t *testing.T, d *Daemon, id, label, prefix, text string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	msgPath := cliWrite(t, dir, "msg.txt", []byte(text))
	other := cliWrite(t, dir, "other.txt", []byte(text+"!"))
	pems := map[string]string{}
	for _, k := range []struct {
		suffix, create, flag string
		pss                  bool
	}{
		{"-ecc", "create-ecc-key", "", false},
		{"-rsa", "create-rsa-key", "-s", false},
		{"-pss", "create-rsa-key", "-r", true},
	} {
		name := prefix + k.suffix
		args := []string{"-p", id, k.create, "-k", name}
		if k.flag != "" {
			args = append(args, k.flag)
		}
		d.MustTool(args...)
		if out := d.MustTool("-p", id, "list-keys"); !strings.Contains(out, "* "+name+" ("+label+", ") {
			t.Errorf("list-keys does not list %s under the %s:\n%s", name, label, out)
		}
		pemOut := d.MustTool("-p", id, "export-public-key", "-k", name)
		if b, _ := pem.Decode([]byte(pemOut)); b == nil || b.Type != "PUBLIC KEY" {
			t.Fatalf("export-public-key %s: %q", name, pemOut)
		}
		pems[name] = pemOut
		pubPath := cliWrite(t, dir, name+".pem", []byte(pemOut))
		sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(d.MustTool("-p", id, "sign", "-k", name, text)))
		opsOK(t, err, "sign output is not base64")
		sigPath := cliWrite(t, dir, name+".sig", sig)
		vargs := []string{"dgst", "-sha256", "-verify", pubPath, "-signature", sigPath}
		if k.pss {
			vargs = append(vargs, "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:-1")
		}
		if out := cliMustOpenSSL(t, append(vargs, msgPath)...); !strings.Contains(out, "Verified OK") {
			t.Errorf("%s: openssl dgst -verify: %s", name, out)
		}
		if out, code := cliRunOpenSSL(t, append(vargs, other)...); code == 0 {
			t.Errorf("%s: openssl accepted the signature of another message: %s", name, out)
		}
	}
	return pems
}

// cliOpenSSLDecrypt has openssl encrypt secret for the RSA key name of
// provider id (pkeyutl with opts, e.g. OAEP SHA-256) and parsec-tool
// decrypt it; it returns the ciphertext.
func cliOpenSSLDecrypt(t *testing.T, d *Daemon, id, name string, opts []string, secret string) []byte {
	t.Helper()
	dir := t.TempDir()
	pubPath := cliWrite(t, dir, "pub.pem", []byte(d.MustTool("-p", id, "export-public-key", "-k", name)))
	in := cliWrite(t, dir, "secret.txt", []byte(secret))
	ctPath := filepath.Join(dir, "ct.bin")
	cliMustOpenSSL(t, append(append([]string{"pkeyutl", "-encrypt", "-pubin", "-inkey", pubPath}, opts...), "-in", in, "-out", ctPath)...)
	ct, err := os.ReadFile(ctPath)
	opsOK(t, err, "reading the openssl ciphertext")
	if got := d.MustTool("-p", id, "decrypt", "-k", name, base64.StdEncoding.EncodeToString(ct)); got != secret+"\n" {
		t.Errorf("%s: openssl encrypt -> parsec-tool decrypt gave %q, want %q", name, got, secret)
	}
	return ct
}

// cliOAEP is openssl's pkeyutl options for parsec-tool's --oaep keys.
var cliOAEP = []string{"-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256"}
