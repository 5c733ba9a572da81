// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package e2e

// A real Parsec client against the real parsecd: test/compat is a Rust
// program built on Parsec's own wire-protocol crate, parsec-interface 0.27
// (Debian's librust-parsec-interface-dev, built offline with Debian's cargo
// and rustc). It runs every opcode each provider lists through Parsec's own
// serializer and deserializer and fails on a listed opcode it cannot
// exercise. This file builds it, runs it against parsecd with the software
// provider (Direct and Unix peer credentials) and the TPM provider on a
// swtpm (compat_pkcs11_test.go: PKCS#11 on SoftHSM2), and checks what it
// leaves in its artefacts file (signatures, ciphertexts, shared secrets)
// with the Go standard library. A missing cargo, rustc or crate fails.

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-tpm/tpm2"
)

var compat struct {
	once sync.Once
	bin  string
	err  error
}

// envOr returns the environment variable k, or def when it is unset.
func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// compatClient returns the path of the Rust client: PARSEC_COMPAT_CLIENT
// when set (make test-compat builds it), else it is built here, offline,
// with Debian's cargo and rustc (PARSEC_COMPAT_CARGO, PARSEC_COMPAT_RUSTC)
// into build/compat, which make compat-client shares.
func compatClient(t testing.TB) string {
	t.Helper()
	compat.once.Do(func() {
		if bin := os.Getenv("PARSEC_COMPAT_CLIENT"); bin != "" {
			if _, err := os.Stat(bin); err != nil {
				compat.err = fmt.Errorf("PARSEC_COMPAT_CLIENT: %w", err)
			}
			compat.bin = bin
			return
		}
		cargo, rustc := envOr("PARSEC_COMPAT_CARGO", "/usr/bin/cargo"), envOr("PARSEC_COMPAT_RUSTC", "/usr/bin/rustc")
		for _, f := range []string{cargo, rustc, "/usr/share/cargo/registry/parsec-interface-0.27.0/Cargo.toml"} {
			if _, err := os.Stat(f); err != nil {
				compat.err = fmt.Errorf("the compat client needs Debian's cargo, rustc and librust-parsec-interface-dev (make deps installs them): %w", err)
				return
			}
		}
		target := filepath.Join(repoRoot, "build", "compat")
		cmd := exec.Command(cargo, "build", "--offline", "--locked", "--quiet", "--target-dir", target)
		cmd.Dir = filepath.Join(repoRoot, "test", "compat") // where .cargo/config.toml points at Debian's crates
		cmd.Env = append(os.Environ(), "RUSTC="+rustc)
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			compat.err = fmt.Errorf("cargo build of test/compat: %v\n%s", err, out)
			return
		}
		t.Logf("cargo build of test/compat: %v", time.Since(start).Round(time.Millisecond))
		compat.bin = filepath.Join(target, "debug", "parsec-compat-client")
	})
	if compat.err != nil {
		t.Fatal(compat.err)
	}
	return compat.bin
}

// compatResult is what one run of the client printed and left.
type compatResult struct {
	lines     []string
	passed    int
	artefacts map[string][]map[string][]byte // kind -> fields of each line
}

var compatSummary = regexp.MustCompile(`^(\d+) passed, (\d+) failed$`)

// compatRun runs the client against d (with --attest-stdio when attest,
// answering its MAKECREDENTIAL line) and fails the test on any failed
// check, a non-zero exit or a missing summary.
func compatRun(t *testing.T, d *Daemon, attest bool) *compatResult {
	t.Helper()
	art := filepath.Join(t.TempDir(), "artefacts.txt")
	args := []string{"--socket", d.Socket, "--artefacts", art}
	if attest {
		args = append(args, "--attest-stdio")
	}
	cmd := exec.CommandContext(t.Context(), compatClient(t), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	opsOK(t, err, "stdin pipe")
	stdout, err := cmd.StdoutPipe()
	opsOK(t, err, "stdout pipe")
	start := time.Now()
	opsOK(t, cmd.Start(), "starting the compat client")
	res := &compatResult{artefacts: map[string][]map[string][]byte{}}
	failed := -1
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Text()
		res.lines = append(res.lines, line)
		if strings.HasPrefix(line, "FAIL ") {
			t.Error(line)
		} else if testing.Verbose() {
			t.Log(line)
		}
		if m := compatSummary.FindStringSubmatch(line); m != nil {
			_, _ = fmt.Sscan(m[1], &res.passed)
			_, _ = fmt.Sscan(m[2], &failed)
		}
		if rest, ok := strings.CutPrefix(line, "MAKECREDENTIAL "); ok {
			_, _ = io.WriteString(stdin, compatMakeCredential(t, rest)+"\n")
		}
	}
	_ = stdin.Close()
	werr := cmd.Wait()
	t.Logf("compat client: %d checks passed in %v", res.passed, time.Since(start).Round(time.Millisecond))
	if werr != nil || failed != 0 || sc.Err() != nil {
		t.Errorf("compat client: %v (failed checks: %d; -1 = no summary); scan: %v\nstdout:\n%s\nstderr:\n%s",
			werr, failed, sc.Err(), strings.Join(res.lines, "\n"), stderr.String())
	}
	data, err := os.ReadFile(art)
	opsOK(t, err, "reading the artefacts")
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		fields := map[string][]byte{}
		for _, kv := range f[1:] {
			k, v, _ := strings.Cut(kv, "=")
			if k == "provider" {
				fields[k] = []byte(v)
				continue
			}
			b, err := hex.DecodeString(v)
			if err != nil {
				t.Fatalf("artefact %q: field %s: %v", line, k, err)
			}
			fields[k] = b
		}
		res.artefacts[f[0]] = append(res.artefacts[f[0]], fields)
	}
	return res
}

// compatMakeCredential is the verifier of the TPM key attestation: from
// the client's "name=… public=… ekpub=…" it checks that the public area
// hashes to the name and makes a credential for it with the endorsement
// key (the TCG default RSA EK template with the exported modulus).
func compatMakeCredential(t *testing.T, line string) string {
	t.Helper()
	f := map[string][]byte{}
	for _, kv := range strings.Fields(line) {
		k, v, _ := strings.Cut(kv, "=")
		b, err := hex.DecodeString(v)
		if err != nil {
			t.Errorf("MAKECREDENTIAL %s: %v", k, err)
			return ""
		}
		f[k] = b
	}
	pub, err := tpm2.Unmarshal[tpm2.TPMTPublic](f["public"])
	if err != nil {
		t.Errorf("MAKECREDENTIAL: the public area does not unmarshal: %v", err)
		return ""
	}
	name, err := tpm2.ObjectName(pub)
	if err != nil || !bytes.Equal(name.Buffer, f["name"]) {
		t.Errorf("MAKECREDENTIAL: the public area does not hash to the name (%v)", err)
		return ""
	}
	ekPub, err := x509.ParsePKCS1PublicKey(f["ekpub"])
	if err != nil {
		t.Errorf("MAKECREDENTIAL: the attesting key is not a DER RSAPublicKey: %v", err)
		return ""
	}
	ek := tpm2.RSAEKTemplate
	ek.Unique = tpm2.NewTPMUPublicID(tpm2.TPMAlgRSA, &tpm2.TPM2BPublicKeyRSA{Buffer: ekPub.N.Bytes()})
	encap, err := tpm2.ImportEncapsulationKey(&ek)
	if err != nil {
		t.Errorf("MAKECREDENTIAL: %v", err)
		return ""
	}
	credential := make([]byte, 16)
	_, _ = rand.Read(credential)
	blob, secret, err := tpm2.CreateCredential(rand.Reader, encap, f["name"], credential)
	if err != nil {
		t.Errorf("MAKECREDENTIAL: %v", err)
		return ""
	}
	return fmt.Sprintf("blob=%x secret=%x credential=%x", blob, secret, credential)
}

// check verifies every artefact with the Go standard library and requires
// the kinds in want.
func (r *compatResult) check(t *testing.T, want ...string) {
	t.Helper()
	for _, k := range want {
		if len(r.artefacts[k]) == 0 {
			t.Errorf("the client left no %s artefact", k)
		}
	}
	for kind, all := range r.artefacts {
		for i, f := range all {
			if err := compatVerify(kind, f); err != nil {
				t.Errorf("artefact %s #%d (provider %s): %v", kind, i, f["provider"], err)
			}
		}
	}
}

func compatVerify(kind string, f map[string][]byte) error {
	switch kind {
	case "ecdsa-p256-sha256", "ecdsa-p256-sha256-message":
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), f["pub"])
		if err != nil {
			return err
		}
		digest := f["hash"]
		if kind == "ecdsa-p256-sha256-message" {
			d := sha256.Sum256(f["msg"])
			digest = d[:]
		}
		if !opsVerifyECDSA(pub, digest, f["sig"]) {
			return fmt.Errorf("crypto/ecdsa rejects the signature")
		}
	case "rsa-pkcs1v15-sha256", "rsa-pkcs1v15-sha256-message":
		pub, err := x509.ParsePKCS1PublicKey(f["pub"])
		if err != nil {
			return err
		}
		digest := f["hash"]
		if kind == "rsa-pkcs1v15-sha256-message" {
			d := sha256.Sum256(f["msg"])
			digest = d[:]
		}
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest, f["sig"])
	case "rsa-oaep-sha256", "rsa-pkcs1v15-crypt":
		priv, err := x509.ParsePKCS1PrivateKey(f["priv"])
		if err != nil {
			return err
		}
		var pt []byte
		if kind == "rsa-oaep-sha256" {
			pt, err = rsa.DecryptOAEP(sha256.New(), nil, priv, f["ct"], nil)
		} else {
			//lint:ignore SA1019 checking PKCS#1 v1.5 encryption (RsaPkcs1v15Crypt) is the point
			pt, err = rsa.DecryptPKCS1v15(nil, priv, f["ct"])
		}
		if err != nil {
			return err
		}
		if !bytes.Equal(pt, f["pt"]) {
			return fmt.Errorf("decrypts to %q, want %q", pt, f["pt"])
		}
	case "aes-gcm":
		block, err := aes.NewCipher(f["key"])
		if err != nil {
			return err
		}
		gcm, err := cipher.NewGCMWithNonceSize(block, len(f["nonce"]))
		if err != nil {
			return err
		}
		if ct := gcm.Seal(nil, f["nonce"], f["pt"], f["ad"]); !bytes.Equal(ct, f["ct"]) {
			return fmt.Errorf("crypto/cipher seals to %x, the service gave %x", ct, f["ct"])
		}
	case "aes-cbc-pkcs7":
		block, err := aes.NewCipher(f["key"])
		if err != nil {
			return err
		}
		ct := f["ct"]
		if len(ct) < 32 || len(ct)%16 != 0 {
			return fmt.Errorf("%d bytes is not an IV and whole blocks", len(ct))
		}
		pt := make([]byte, len(ct)-16)
		cipher.NewCBCDecrypter(block, ct[:16]).CryptBlocks(pt, ct[16:])
		pad := int(pt[len(pt)-1])
		if pad < 1 || pad > 16 || !bytes.Equal(pt[len(pt)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
			return fmt.Errorf("bad PKCS#7 padding in %x", pt)
		}
		if !bytes.Equal(pt[:len(pt)-pad], f["pt"]) {
			return fmt.Errorf("decrypts to %q, want %q", pt[:len(pt)-pad], f["pt"])
		}
	case "ecdh-p256":
		priv, err := ecdh.P256().NewPrivateKey(f["priv"])
		if err != nil {
			return err
		}
		peer, err := ecdh.P256().NewPublicKey(f["peer"])
		if err != nil {
			return err
		}
		s, err := priv.ECDH(peer)
		if err != nil {
			return err
		}
		if !bytes.Equal(s, f["secret"]) {
			return fmt.Errorf("crypto/ecdh computes %x, the service gave %x", s, f["secret"])
		}
	default:
		return fmt.Errorf("unknown artefact kind (add a check)")
	}
	return nil
}

// compatListed requires the client's "lists …" line for provider id.
func (r *compatResult) listed(t *testing.T, id int) {
	t.Helper()
	prefix := fmt.Sprintf("PASS [provider %d ", id)
	if !slices.ContainsFunc(r.lines, func(l string) bool { return strings.HasPrefix(l, prefix) && strings.Contains(l, "] lists 0x") }) {
		t.Errorf("the client did not check provider %d's opcodes", id)
	}
}

// The software provider lists the most: every kind of artefact.
var compatSoftKinds = []string{
	"ecdsa-p256-sha256", "ecdsa-p256-sha256-message", "rsa-pkcs1v15-sha256", "rsa-pkcs1v15-sha256-message",
	"rsa-oaep-sha256", "rsa-pkcs1v15-crypt", "aes-gcm", "aes-cbc-pkcs7", "ecdh-p256",
}

func TestCompatSoftware(t *testing.T) {
	t.Parallel()
	d := NewDaemon(t, Options{}).Start()
	r := compatRun(t, d, false)
	r.listed(t, 1)
	r.check(t, compatSoftKinds...)
}

func TestCompatSoftwareUnixPeer(t *testing.T) {
	t.Parallel()
	d := NewDaemon(t, Options{Auth: "UnixPeerCredentials"}).Start()
	r := compatRun(t, d, false)
	r.listed(t, 1)
	r.check(t, compatSoftKinds...)
	if !slices.ContainsFunc(r.lines, func(l string) bool { return strings.Contains(l, "using UnixPeer(") }) {
		t.Error("the client did not authenticate with Unix peer credentials")
	}
}

func TestCompatTpm(t *testing.T) {
	t.Parallel()
	d, _ := tpmDaemon(t, "")
	d.Start()
	r := compatRun(t, d, true)
	r.listed(t, 3)
	r.check(t, "ecdsa-p256-sha256", "rsa-pkcs1v15-sha256", "rsa-oaep-sha256", "rsa-pkcs1v15-crypt")
	if !slices.Contains(r.lines, "PASS [provider 3 TPM provider] AttestKey releases the credential") {
		t.Error("the client did not check the released credential of AttestKey")
	}
}

// TestCompatVerifyCatchesTampering shows that the artefact checks can fail:
// artefacts made with Go keys pass, and each with one byte changed fails.
func TestCompatVerifyCatchesTampering(t *testing.T) {
	t.Parallel()
	digest := sha256.Sum256([]byte("message"))
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	opsOK(t, err, "ecdsa.GenerateKey")
	ecPub, err := ek.PublicKey.Bytes()
	opsOK(t, err, "PublicKey.Bytes")
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	opsOK(t, err, "rsa.GenerateKey")
	rsaSig, err := rsa.SignPKCS1v15(nil, rk, crypto.SHA256, digest[:])
	opsOK(t, err, "SignPKCS1v15")
	oaep, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, &rk.PublicKey, []byte("pt"), nil)
	opsOK(t, err, "EncryptOAEP")
	key := bytes.Repeat([]byte{7}, 16)
	block, _ := aes.NewCipher(key)
	gcm, _ := cipher.NewGCMWithNonceSize(block, 13)
	nonce := bytes.Repeat([]byte{1}, 13)
	cbc := make([]byte, 32)
	copy(cbc[16:], bytes.Repeat([]byte{16}, 16)) // an empty plaintext: one block of padding
	cipher.NewCBCEncrypter(block, cbc[:16]).CryptBlocks(cbc[16:], cbc[16:])
	dh, err := ecdh.P256().GenerateKey(rand.Reader)
	opsOK(t, err, "ecdh.GenerateKey")
	peer, err := ecdh.P256().GenerateKey(rand.Reader)
	opsOK(t, err, "ecdh.GenerateKey")
	secret, err := dh.ECDH(peer.PublicKey())
	opsOK(t, err, "ECDH")
	good := []struct {
		kind   string
		f      map[string][]byte
		tamper string
	}{
		{"ecdsa-p256-sha256", map[string][]byte{"pub": ecPub, "hash": digest[:], "sig": opsRawECDSA(t, ek, digest[:])}, "sig"},
		{"rsa-pkcs1v15-sha256", map[string][]byte{"pub": x509.MarshalPKCS1PublicKey(&rk.PublicKey), "hash": digest[:], "sig": rsaSig}, "hash"},
		{"rsa-oaep-sha256", map[string][]byte{"priv": x509.MarshalPKCS1PrivateKey(rk), "pt": []byte("pt"), "ct": oaep}, "pt"},
		{"aes-gcm", map[string][]byte{"key": key, "nonce": nonce, "ad": []byte("ad"), "pt": []byte("pt"), "ct": gcm.Seal(nil, nonce, []byte("pt"), []byte("ad"))}, "ct"},
		{"aes-cbc-pkcs7", map[string][]byte{"key": key, "pt": nil, "ct": cbc}, "ct"},
		{"ecdh-p256", map[string][]byte{"priv": dh.Bytes(), "peer": peer.PublicKey().Bytes(), "secret": secret}, "secret"},
	}
	for _, g := range good {
		if err := compatVerify(g.kind, g.f); err != nil {
			t.Errorf("%s: a good artefact fails: %v", g.kind, err)
		}
		g.f[g.tamper] = opsFlip(g.f[g.tamper], len(g.f[g.tamper])-1)
		if err := compatVerify(g.kind, g.f); err == nil {
			t.Errorf("%s: an artefact with %s changed passes", g.kind, g.tamper)
		}
	}
	if compatVerify("no-such-kind", nil) == nil {
		t.Error("an unknown artefact kind passes")
	}
}
