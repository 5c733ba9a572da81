// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package e2e

import (
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/parsecd/parsecd/test/tool"
)

// TestToolTranscript replays testdata/parsec-tool-0.7-transcript — the real
// Rust parsec-tool 0.7.0 run against the real Parsec 1.1.0 (Mbed Crypto
// provider, UnixPeerCredentials, admins = ["0"], run as uid 0; see its
// README) — with our parsec-tool against a freshly started parsecd of the
// same configuration, and compares every step: arguments, stdout, stderr and
// exit code, after normalising what differs on every run (random bytes, key
// material, signatures, ciphertexts, CSRs).
//
// Steps that use the output of earlier steps are handled as the transcript's
// README describes: decrypt takes the ciphertext our encrypt printed (35,
// 37); the ciphertexts openssl made with the exported public keys are made
// again with ours (38, 39); signatures are checked with openssl against the
// exported keys (29-31), and CSRs with openssl req -verify, -text and
// asn1parse against files/ (45, 46).
//
// The only differences allowed are listed in allowedDiffs, each with its
// reason and the exact output expected instead.
func TestToolTranscript(t *testing.T) {
	RequireRoot(t, "the transcript was recorded as uid 0, the service's admin")
	openssl := tool.Path(t, "openssl") // checks signatures, CSRs and ciphertexts
	// The transcript was recorded with parsec-tool's default logging.
	for _, v := range []string{"RUST_LOG", "RUST_LOG_STYLE"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	dir := filepath.Join("testdata", "parsec-tool-0.7-transcript")
	steps := transcriptSteps(t, dir)
	if len(steps) != 65 {
		t.Fatalf("transcript has %d steps, want 65", len(steps))
	}
	d := NewDaemon(t, Options{Auth: "UnixPeerCredentials", Admins: []string{"0"}}).Start()
	work := t.TempDir()
	outputs := map[string]string{}
	identical := 0
	for _, step := range steps {
		want := readStep(t, dir, step)
		args := stepArgs(t, step, want.cmd, outputs, work, openssl)
		stdout, stderr, code := d.Tool(0, args...)
		outputs[step] = stdout
		got := stepResult{cmd: want.cmd, stdout: stdout, stderr: stderr, rc: strconv.Itoa(code)}
		if check, ok := allowedDiffs[step]; ok {
			if msg := check.expect(got); msg != "" {
				t.Errorf("step %s (allowed difference: %s): %s\n%s", step, check.reason, msg, got)
			}
			if check.cleanup != nil {
				check.cleanup(d)
			}
			continue
		}
		if listing[strings.Fields(want.cmd + " x")[0]] || strings.HasPrefix(want.cmd, "-p ") {
			// The service decides the order of keys and opcodes: Parsec
			// 1.1.0 lists them from hash maps, in an order that changes
			// from run to run (steps 03 and 04 of the same run differ).
			want.stdout, got.stdout = sortedLines(want.stdout), sortedLines(got.stdout)
		}
		if n, g := want.normalised(), got.normalised(); n != g {
			t.Errorf("step %s differs\n--- want (real parsec-tool 0.7.0)\n%s\n--- got\n%s", step, n, g)
			continue
		}
		if msg := checkDependent(t, step, stdout, outputs, dir, work, openssl); msg != "" {
			t.Errorf("step %s: %s", step, msg)
			continue
		}
		identical++
	}
	t.Logf("%d of %d steps identical (after normalising random values); %d allowed differences", identical, len(steps), len(allowedDiffs))
	if identical+len(allowedDiffs) != len(steps) {
		t.Errorf("only %d of %d steps identical", identical, len(steps))
	}
}

type stepResult struct{ cmd, stdout, stderr, rc string }

func (r stepResult) String() string {
	return "args: " + r.cmd + "\nrc: " + r.rc + "\nstdout:\n" + r.stdout + "stderr:\n" + r.stderr
}

func (r stepResult) normalised() string {
	return "rc: " + r.rc + "\nstdout:\n" + normaliseOutput(r.stdout) + "stderr:\n" + normaliseOutput(r.stderr)
}

var (
	pemBlock  = regexp.MustCompile(`(?s)(-----BEGIN [A-Z ]+-----\r?\n).*?(-----END [A-Z ]+-----)`)
	b64Line   = regexp.MustCompile(`(?m)^[A-Za-z0-9+/]{40,}={0,2}$`)
	hexRandom = regexp.MustCompile(`(?m)^([0-9A-F]{2} )+$`)
)

// normaliseOutput replaces what differs on every run: PEM bodies (key
// material, CSRs), base64 lines (signatures, ciphertexts) and random bytes.
func normaliseOutput(s string) string {
	s = pemBlock.ReplaceAllString(s, "${1}<base64>\n${2}")
	s = b64Line.ReplaceAllString(s, "<base64>")
	return hexRandom.ReplaceAllStringFunc(s, func(m string) string {
		return "<" + strconv.Itoa(len(m)/3) + " random bytes>"
	})
}

// transcriptSteps lists the step names (NN-name) in the order they ran.
func transcriptSteps(t *testing.T, dir string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.cmd"))
	if err != nil {
		t.Fatal(err)
	}
	var steps []string
	for _, n := range names {
		steps = append(steps, strings.TrimSuffix(filepath.Base(n), ".cmd"))
	}
	sort.Strings(steps) // "28-…" < "28b-…" < "29-…"
	return steps
}

func readStep(t *testing.T, dir, step string) stepResult {
	t.Helper()
	read := func(ext string) string {
		b, err := os.ReadFile(filepath.Join(dir, step+ext))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	return stepResult{cmd: strings.TrimSuffix(read(".cmd"), "\n"), stdout: read(".out"), stderr: read(".err"),
		rc: strings.TrimSpace(read(".rc"))}
}

// stepArgs turns a .cmd line into arguments. The transcript joins them with
// spaces: the text that sign and encrypt take after "-k NAME" is one
// argument ("hello parsec"). Decrypt steps that used the output of an
// earlier step get ours.
func stepArgs(t *testing.T, step, cmd string, outputs map[string]string, work, openssl string) []string {
	t.Helper()
	fields := strings.Fields(cmd)
	if len(fields) > 3 && (fields[0] == "sign" || fields[0] == "encrypt") && fields[1] == "-k" {
		fields = []string{fields[0], "-k", fields[2], strings.Join(fields[3:], " ")}
	}
	switch step {
	case "35-decrypt-rsa-enc":
		fields[3] = strings.TrimSpace(outputs["34-encrypt-rsa-enc"])
	case "37-decrypt-rsa-oaep":
		fields[3] = strings.TrimSpace(outputs["36-encrypt-rsa-oaep"])
	case "38-decrypt-openssl-pkcs1":
		fields[3] = opensslEncrypt(t, openssl, work, outputs["22-export-rsa-enc"], "-pkeyopt", "rsa_padding_mode:pkcs1")
	case "39-decrypt-openssl-oaep":
		fields[3] = opensslEncrypt(t, openssl, work, outputs["28b-export-rsa-oaep"], "-pkeyopt", "rsa_padding_mode:oaep",
			"-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256")
	}
	return fields
}

// opensslEncrypt encrypts files/pt.txt with a public key as the transcript
// did and returns the ciphertext in base64.
func opensslEncrypt(t *testing.T, openssl, work, pubPEM string, opts ...string) string {
	t.Helper()
	pub := filepath.Join(work, "enc-pub.pem")
	if err := os.WriteFile(pub, []byte(pubPEM), 0o600); err != nil {
		t.Fatal(err)
	}
	ct := filepath.Join(work, "ct.bin")
	pt := filepath.Join("testdata", "parsec-tool-0.7-transcript", "files", "pt.txt")
	args := append([]string{"pkeyutl", "-encrypt", "-pubin", "-inkey", pub, "-in", pt, "-out", ct}, opts...)
	if out, err := exec.Command(openssl, args...).CombinedOutput(); err != nil {
		t.Fatalf("openssl %v: %v\n%s", args, err, out)
	}
	b, err := os.ReadFile(ct)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// checkDependent checks what the normalisation hid: signatures verify with
// the exported keys, CSRs have the transcript's structure and verify.
func checkDependent(t *testing.T, step, stdout string, outputs map[string]string, dir, work, openssl string) string {
	t.Helper()
	pubOf := map[string]string{"29-sign-ecc": "26-export-ecc", "30-sign-rsa": "24-export-rsa-sign",
		"31-sign-rsa-1024": "28c-export-rsa-sign-1024"}
	run := func(args ...string) (string, error) {
		out, err := exec.Command(openssl, args...).CombinedOutput()
		return string(out), err
	}
	write := func(name, data string) string {
		p := filepath.Join(work, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	switch step {
	case "29-sign-ecc", "30-sign-rsa", "31-sign-rsa-1024":
		sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(stdout))
		if err != nil {
			return "signature is not base64: " + err.Error()
		}
		pub := write("sig-pub.pem", outputs[pubOf[step]])
		sigFile := write("sig.bin", string(sig))
		msg := filepath.Join(dir, "files", "msg.txt")
		if out, err := run("dgst", "-sha256", "-verify", pub, "-signature", sigFile, msg); err != nil {
			return "openssl does not verify the signature: " + out
		}
	case "45-csr-ecc", "46-csr-rsa":
		req := write("req.pem", stdout)
		if out, err := run("req", "-in", req, "-noout", "-verify"); err != nil {
			return "openssl req -verify: " + out
		}
		text, err := run("req", "-in", req, "-noout", "-text")
		if err != nil {
			return "openssl req -text: " + text
		}
		want, _ := os.ReadFile(filepath.Join(dir, "files", step+".text"))
		if got := normaliseReqText(text); got != string(want) {
			return "openssl req -text differs\n--- want\n" + string(want) + "--- got\n" + got
		}
		der := write("req.der", "")
		if out, err := run("req", "-in", req, "-outform", "DER", "-out", der); err != nil {
			return "openssl req -outform DER: " + out
		}
		parsed, err := run("asn1parse", "-inform", "DER", "-in", der)
		if err != nil {
			return "openssl asn1parse: " + parsed
		}
		want, _ = os.ReadFile(filepath.Join(dir, "files", step+".asn1"))
		if got := normaliseASN1(parsed); got != string(want) {
			return "CSR structure differs\n--- want\n" + string(want) + "--- got\n" + got
		}
	}
	return ""
}

var (
	hexDumpLines = regexp.MustCompile(`(?m)^( +)[0-9a-f]{2}(:[0-9a-f]{2})*:?\n(( +)[0-9a-f]{2}(:[0-9a-f]{2})*:?\n)*`)
	asn1Header   = regexp.MustCompile(`(?m)^ *\d+:d=(\d+) +hl= *\d+ l= *\d+ `)
	asn1Integer  = regexp.MustCompile(`(?m)prim: INTEGER +:[0-9A-F-]+$`)
	asn1Hex      = regexp.MustCompile(`\[HEX DUMP\]:[0-9A-F]+`)
)

// normaliseReqText is openssl req -text with the hex dumps (public key,
// signature) replaced by "<hex>", as in files/*.text.
func normaliseReqText(s string) string {
	return hexDumpLines.ReplaceAllString(s, "${1}<hex>\n")
}

// normaliseASN1 is openssl asn1parse without offsets and lengths, integer
// values and hex dumps, as in files/*.asn1.
func normaliseASN1(s string) string {
	s = asn1Header.ReplaceAllString(s, "d=${1}  hl l ")
	s = asn1Integer.ReplaceAllString(s, "prim: INTEGER :<v>")
	return asn1Hex.ReplaceAllString(s, "[HEX]")
}

// allowedDiff is a step where the service, not the tool, differs from
// Parsec 1.1.0 (or a parsecd addition to the tool is used): expect checks
// our result exactly, cleanup restores the transcript's state afterwards.
type allowedDiff struct {
	reason  string
	expect  func(r stepResult) string
	cleanup func(d *Daemon)
}

func expectExactly(stdout, stderr, rc string) func(r stepResult) string {
	return func(r stepResult) string {
		if r.stdout != stdout || r.stderr != stderr || r.rc != rc {
			return "want rc " + rc + "\nstdout:\n" + stdout + "stderr:\n" + stderr
		}
		return ""
	}
}

const listKeysReal = "* rsa-sign (Mbed Crypto provider, RsaKeyPair, 2048 bits, permitted algorithm: AsymmetricSignature(RsaPkcs1v15Sign { hash_alg: Specific(Sha256) }))\n" +
	"* rsa-sign-1024 (Mbed Crypto provider, RsaKeyPair, 1024 bits, permitted algorithm: AsymmetricSignature(RsaPkcs1v15Sign { hash_alg: Specific(Sha256) }))\n" +
	"* rsa-enc (Mbed Crypto provider, RsaKeyPair, 2048 bits, permitted algorithm: AsymmetricEncryption(RsaPkcs1v15Crypt))\n" +
	"* ecc (Mbed Crypto provider, EccKeyPair { curve_family: SecpR1 }, 256 bits, permitted algorithm: AsymmetricSignature(Ecdsa { hash_alg: Specific(Sha256) }))\n" +
	"* rsa-oaep (Mbed Crypto provider, RsaKeyPair, 2048 bits, permitted algorithm: AsymmetricEncryption(RsaOaep { hash_alg: Sha256 }))\n"

var allowedDiffs = map[string]allowedDiff{
	"05-list-opcodes-p1": {
		reason: "parsecd's software provider also serves PsaCipherEncrypt/Decrypt and PsaSignMessage/VerifyMessage, which Parsec 1.1.0's Mbed Crypto provider does not",
		expect: func(r stepResult) string {
			want := "0x02 (PsaGenerateKey)\n0x03 (PsaDestroyKey)\n0x04 (PsaSignHash)\n0x05 (PsaVerifyHash)\n0x06 (PsaImportKey)\n" +
				"0x07 (PsaExportPublicKey)\n0x0a (PsaAsymmetricEncrypt)\n0x0b (PsaAsymmetricDecrypt)\n0x0c (PsaExportKey)\n" +
				"0x0d (PsaGenerateRandom)\n0x0f (PsaHashCompute)\n0x10 (PsaHashCompare)\n0x11 (PsaAeadEncrypt)\n0x12 (PsaAeadDecrypt)\n" +
				"0x13 (PsaRawKeyAgreement)\n0x14 (PsaCipherEncrypt)\n0x15 (PsaCipherDecrypt)\n0x18 (PsaSignMessage)\n" +
				"0x19 (PsaVerifyMessage)\n0x20 (CanDoCrypto)\n"
			if sortedLines(r.stdout) != want || r.rc != "0" ||
				r.stderr != "[INFO  parsec_tool::subcommands::list_opcodes] Available opcodes for Mbed Crypto provider:\n" {
				return "want the transcript's 16 opcodes and the 4 cipher and message-signature opcodes"
			}
			return ""
		},
	},
	"02-list-providers": {
		reason: "the service describes its provider 1 truthfully (parsecd's software provider, not Mbed Crypto) and the core provider reports parsecd's version",
		expect: func(r stepResult) string {
			if r.rc != "0" || r.stderr != "[INFO  parsec_tool::subcommands::list_providers] Available providers:\n" {
				return "want rc 0 and the Available providers log line"
			}
			re := regexp.MustCompile(`^ID: 0x01 \(Mbed Crypto provider\)\nDescription: .+\nVersion: \d+\.\d+\.\d+\nVendor: .+\nUUID: 1c1139dc-ad7c-47dc-ad6b-db6fdb466552\n\n` +
				`ID: 0x00 \(Core provider\)\nDescription: Software provider that implements only administrative \(i\.e\. no cryptographic\) operations\nVersion: \d+\.\d+\.\d+\nVendor: Unspecified\nUUID: 47049873-2a43-4845-9d72-831eab668784\n\n$`)
			if !re.MatchString(r.stdout) {
				return "want the two providers in the transcript's layout and UUIDs"
			}
			return ""
		},
	},
	"16-create-rsa-3072": {
		reason: "parsecd's software provider supports RSA 3072, which Parsec 1.1.0's Mbed Crypto provider refuses",
		expect: expectExactly("", "[INFO  parsec_tool::subcommands::create_rsa_key] Creating RSA encryption key...\n"+
			"[INFO  parsec_tool::subcommands::create_rsa_key] Key \"rsa-3072\" created.\n", "0"),
	},
	"17-create-rsa-r": {
		reason: "-r (RSA-PSS signing key, parsec-tool 0.8's flag) is a parsecd addition to parsec-tool 0.7.0; the key is deleted afterwards so that later steps see the transcript's keys",
		expect: expectExactly("", "[INFO  parsec_tool::subcommands::create_rsa_key] Creating RSA signing key...\n"+
			"[INFO  parsec_tool::subcommands::create_rsa_key] Key \"rsa-r\" created.\n", "0"),
		cleanup: func(d *Daemon) { d.MustTool("delete-key", "-k", "rsa-r") },
	},
	"21-list-keys": {
		reason: "the RSA 3072 key of step 16 exists",
		expect: func(r stepResult) string {
			want := strings.Replace(listKeysReal, "* rsa-oaep", "* rsa-3072 (Mbed Crypto provider, RsaKeyPair, 3072 bits, permitted algorithm: AsymmetricEncryption(RsaPkcs1v15Crypt))\n* rsa-oaep", 1)
			if sortedLines(r.stdout) != sortedLines(want) || r.rc != "0" ||
				r.stderr != "[INFO  parsec_tool::subcommands::list_keys] Available keys:\n" {
				return "want the transcript's keys and rsa-3072"
			}
			return ""
		},
	},
	"25-export-rsa-3072": {
		reason: "the RSA 3072 key of step 16 exists",
		expect: func(r stepResult) string {
			if r.rc != "0" || r.stderr != "" || !strings.HasPrefix(r.stdout, "-----BEGIN PUBLIC KEY-----\n") || strings.Count(r.stdout, "\n") != 11 {
				return "want the PEM of a 3072-bit public key"
			}
			return ""
		},
	},
	"50-delete-key-rsa-3072": {
		reason: "the RSA 3072 key of step 16 exists",
		expect: expectExactly("", "[INFO  parsec_tool::subcommands::delete_key] Deleting a key...\n"+
			"[INFO  parsec_tool::subcommands::delete_key] Key \"rsa-3072\" deleted.\n", "0"),
	},
}

// listing are the subcommands whose output order is the service's.
var listing = map[string]bool{"list-keys": true, "list-opcodes": true, "list-clients": true}

func sortedLines(s string) string {
	if s == "" {
		return ""
	}
	l := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	sort.Strings(l)
	return strings.Join(l, "\n") + "\n"
}
