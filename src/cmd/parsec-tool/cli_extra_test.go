// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package main

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parsecd/parsecd/src/client/clienttest"
)

// Round trips of the parsecd subcommands through the real back end and the
// software provider (clienttest.NewService).

func startService(t *testing.T) string {
	t.Helper()
	return clienttest.NewService().Start(t).Endpoint
}

// mustFail runs a command that must exit 1 with an error line containing want.
func mustFail(t *testing.T, ep, want string, args ...string) {
	t.Helper()
	r := runTool(t, ep, args...)
	if r.code != 1 || r.stdout != "" || !(strings.Contains(r.stderr, "[ERROR parsec_tool] ") || strings.HasPrefix(r.stderr, "error: ")) ||
		!strings.Contains(r.stderr, want) {
		t.Errorf("parsec-tool %q: exit %d, stdout %q, stderr %q; want exit 1 and an error with %q", args, r.code, r.stdout, r.stderr, want)
	}
}

func line(s string) string { return strings.TrimSuffix(s, "\n") }

func TestCreateKeyAndAead(t *testing.T) {
	ep := startService(t)
	r := runTool(t, ep, "create-key", "-k", "aes", "--key-type", "aes")
	if r.code != 0 || r.stdout != "" ||
		r.stderr != "[INFO  parsec_tool::subcommands::create_key] Creating aes key (256 bits, Aead(AeadWithDefaultLengthTag(Gcm)))...\n[INFO  parsec_tool::subcommands::create_key] Key \"aes\" created.\n" {
		t.Fatalf("create-key aes: %+v", r)
	}
	mustRun(t, ep, "create-key", "-k", "ccm", "--key-type", "aes", "--bits", "128", "--alg", "ccm:8")
	mustRun(t, ep, "create-key", "-k", "chacha", "--key-type", "chacha20")
	want := "* aes (Mbed Crypto provider, Aes, 256 bits, permitted algorithm: Aead(AeadWithDefaultLengthTag(Gcm)))\n" +
		"* ccm (Mbed Crypto provider, Aes, 128 bits, permitted algorithm: Aead(AeadWithShortenedTag { aead_alg: Ccm, tag_length: 8 }))\n" +
		"* chacha (Mbed Crypto provider, Chacha20, 256 bits, permitted algorithm: Aead(AeadWithDefaultLengthTag(Chacha20Poly1305)))\n"
	if got := mustRun(t, ep, "list-keys"); got != want {
		t.Errorf("list-keys =\n%s\nwant\n%s", got, want)
	}

	for key, nonceLen := range map[string]int{"aes": 12, "ccm": 13, "chacha": 12} {
		tagLen := 16
		if key == "ccm" {
			tagLen = 8
		}
		// Random nonce: written before ciphertext ‖ tag.
		out := line(mustRun(t, ep, "aead-encrypt", "-k", key, "secret message"))
		raw, err := base64.StdEncoding.DecodeString(out)
		if err != nil || len(raw) != nonceLen+len("secret message")+tagLen {
			t.Errorf("%s: aead-encrypt = %q (%d bytes), %v", key, out, len(raw), err)
		}
		if got := mustRun(t, ep, "aead-decrypt", "-k", key, out); got != "secret message\n" {
			t.Errorf("%s: aead-decrypt = %q", key, got)
		}
		// Two encryptions use two nonces.
		if again := line(mustRun(t, ep, "aead-encrypt", "-k", key, "secret message")); again == out {
			t.Errorf("%s: the same output twice", key)
		}
		// Caller's nonce and additional data: not in the output, needed to decrypt.
		nonce := strings.Repeat("a5", nonceLen)
		out = line(mustRun(t, ep, "aead-encrypt", "-k", key, "--nonce", nonce, "--ad", "header", "hello"))
		if got := mustRun(t, ep, "aead-decrypt", "-k", key, "--nonce", nonce, "--ad", "header", out); got != "hello\n" {
			t.Errorf("%s: aead-decrypt with --nonce = %q", key, got)
		}
		mustFail(t, ep, "the signature, MAC or hash is incorrect (ParsecClientError(Service(PsaErrorInvalidSignature)))",
			"aead-decrypt", "-k", key, "--nonce", nonce, "--ad", "other header", out)
		tampered, _ := base64.StdEncoding.DecodeString(out)
		tampered[0] ^= 1
		mustFail(t, ep, "(PsaErrorInvalidSignature)", "aead-decrypt", "-k", key, "--nonce", nonce, "--ad", "header",
			base64.StdEncoding.EncodeToString(tampered))
	}

	// The output of an imported key matches crypto/cipher's AES-GCM.
	secret := strings.Repeat("42", 16)
	mustRun(t, ep, "import-key", "-k", "gcm128", "--key-type", "aes", "--hex", secret)
	nonce := make([]byte, 12)
	out := line(mustRun(t, ep, "aead-encrypt", "-k", "gcm128", "--nonce", hex.EncodeToString(nonce), "--ad", "ad", "hello"))
	key, _ := hex.DecodeString(secret)
	block, _ := aes.NewCipher(key)
	gcm, _ := cipher.NewGCM(block)
	if want := base64.StdEncoding.EncodeToString(gcm.Seal(nil, nonce, []byte("hello"), []byte("ad"))); out != want {
		t.Errorf("AES-128-GCM = %s, want %s", out, want)
	}

	mustFail(t, ep, "shorter than the 12-byte nonce", "aead-decrypt", "-k", "aes", "AAAA")
	mustFail(t, ep, "the nonce is not valid hex", "aead-encrypt", "-k", "aes", "--nonce", "xyz", "data")
	// GCM takes a nonce of any non-zero length, as Mbed TLS does.
	short, _ := cipher.NewGCMWithNonceSize(block, 1)
	if out := mustRun(t, ep, "aead-encrypt", "-k", "gcm128", "--nonce", "00", "data"); out != base64.StdEncoding.EncodeToString(short.Seal(nil, []byte{0}, []byte("data"), nil))+"\n" {
		t.Errorf("AES-128-GCM with a 1-byte nonce = %q", out)
	}
	mustRun(t, ep, "create-ecc-key", "-k", "ecc")
	mustFail(t, ep, `Key's algorithm is AsymmetricSignature(Ecdsa { hash_alg: Specific(Sha256) }) which cannot be used for AEAD encryption.`,
		"aead-encrypt", "-k", "ecc", "data")
	mustFail(t, ep, "(ParsecClientError(Client(NotFound)))", "aead-encrypt", "-k", "nope", "data")
	mustFail(t, ep, "asking for an item that already exists (ParsecClientError(Service(PsaErrorAlreadyExists)))", "create-key", "-k", "aes", "--key-type", "aes")
	mustFail(t, ep, "the parameters passed to the function are invalid (ParsecClientError(Service(PsaErrorInvalidArgument)))", "create-key", "-k", "aes100", "--key-type", "aes", "--bits", "100")
	mustFail(t, ep, "invalid key type \"ecc-pair\" (expected one of: x25519-pair, aes, chacha20, hmac, raw)",
		"create-key", "-k", "e", "--key-type", "ecc-pair")
	mustFail(t, ep, "    --key-type <key-type>\n", "create-key", "-k", "e")
}

func TestCipherSubcommands(t *testing.T) {
	ep := startService(t)
	for _, alg := range []string{"cbc-pkcs7", "ctr", "cfb", "ofb"} {
		mustRun(t, ep, "create-key", "-k", alg, "--key-type", "aes", "--alg", alg)
		out := line(mustRun(t, ep, "cipher-encrypt", "-k", alg, "seventeen bytes!!"))
		raw, _ := base64.StdEncoding.DecodeString(out)
		wantLen := 16 + 17 // IV ‖ ciphertext
		if alg == "cbc-pkcs7" {
			wantLen = 16 + 32
		}
		if len(raw) != wantLen {
			t.Errorf("%s: cipher-encrypt gave %d bytes, want %d", alg, len(raw), wantLen)
		}
		if got := mustRun(t, ep, "cipher-decrypt", "-k", alg, out); got != "seventeen bytes!!\n" {
			t.Errorf("%s: cipher-decrypt = %q", alg, got)
		}
	}
	// ECB without padding: whole blocks, no IV.
	mustRun(t, ep, "create-key", "-k", "ecb", "--key-type", "aes", "--bits", "128", "--alg", "ecb-no-padding")
	out := line(mustRun(t, ep, "cipher-encrypt", "-k", "ecb", "sixteen bytes!!!"))
	if raw, _ := base64.StdEncoding.DecodeString(out); len(raw) != 16 {
		t.Errorf("ECB output of %d bytes", len(raw))
	}
	if got := mustRun(t, ep, "cipher-decrypt", "-k", "ecb", out); got != "sixteen bytes!!!\n" {
		t.Errorf("ECB decrypt = %q", got)
	}
	mustFail(t, ep, "(PsaErrorInvalidArgument)", "cipher-encrypt", "-k", "ecb", "not a block")
	mustFail(t, ep, "[ERROR parsec_tool::subcommands::cipher_decrypt] the ciphertext is not valid base64", "cipher-decrypt", "-k", "ctr", "!!")
	mustRun(t, ep, "create-key", "-k", "gcm", "--key-type", "aes")
	mustFail(t, ep, "which cannot be used for cipher encryption.\n[ERROR parsec_tool] Subcommand failed: They key was not created with the correct algorithm for this operation (ParsecToolError(WrongKeyAlgorithm))", "cipher-encrypt", "-k", "gcm", "data")
	mustFail(t, ep, "which cannot be used for cipher decryption.", "cipher-decrypt", "-k", "gcm", "AAAA")
}

func TestMacAndHashSubcommands(t *testing.T) {
	ep := startService(t)
	r := runTool(t, ep, "create-key", "-k", "hmac", "--key-type", "hmac")
	if r.code != 0 || !strings.Contains(r.stderr, "Creating hmac key (256 bits, Mac(FullLength(Hmac { hash_alg: Sha256 })))") {
		t.Fatalf("create-key hmac: %+v", r)
	}
	mac := line(mustRun(t, ep, "mac", "-k", "hmac", "some data"))
	if len(mac) != 64 || strings.ToLower(mac) != mac {
		t.Errorf("mac = %q, want 32 bytes in lower-case hex", mac)
	}
	if got := mustRun(t, ep, "mac-verify", "-k", "hmac", "--mac", mac, "some data"); got != "valid\n" {
		t.Errorf("mac-verify = %q", got)
	}
	mustFail(t, ep, "Subcommand failed: the signature, MAC or hash is incorrect (ParsecClientError(Service(PsaErrorInvalidSignature)))", "mac-verify", "-k", "hmac", "--mac", mac, "other data")
	mustFail(t, ep, "error: The following required arguments were not provided:\n    --mac <mac>\n", "mac-verify", "-k", "hmac", "some data")

	// An imported HMAC key with a truncated policy gives crypto/hmac's MAC, cut.
	secret := []byte("an HMAC key of 28 bytes long")
	mustRun(t, ep, "import-key", "-k", "hmac16", "--key-type", "hmac", "--alg", "hmac-sha256:16", "--hex", hex.EncodeToString(secret))
	h := hmac.New(sha256.New, secret)
	h.Write([]byte("data"))
	if got, want := line(mustRun(t, ep, "mac", "-k", "hmac16", "data")), hex.EncodeToString(h.Sum(nil)[:16]); got != want {
		t.Errorf("truncated HMAC = %s, want %s", got, want)
	}
	// CMAC with an AES key.
	mustRun(t, ep, "create-key", "-k", "cmac", "--key-type", "aes", "--bits", "128", "--alg", "cmac")
	cm := line(mustRun(t, ep, "mac", "-k", "cmac", "data"))
	if got := mustRun(t, ep, "mac-verify", "-k", "cmac", "--mac", cm, "data"); len(cm) != 32 || got != "valid\n" {
		t.Errorf("CMAC %q: mac-verify = %q", cm, got)
	}
	mustRun(t, ep, "create-key", "-k", "raw", "--key-type", "raw")
	mustFail(t, ep, `Key's algorithm is None which cannot be used for MAC computation.`, "mac", "-k", "raw", "data")
	mustFail(t, ep, "(ParsecClientError(Client(NotFound)))", "mac", "-k", "missing", "data")

	// hash and hash-compare.
	sum := sha256.Sum256([]byte("abc"))
	if got := mustRun(t, ep, "hash", "abc"); got != hex.EncodeToString(sum[:])+"\n" {
		t.Errorf("hash = %q", got)
	}
	if got := mustRun(t, ep, "hash", "--alg", "SHA3-256", "abc"); got != "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532\n" {
		t.Errorf("hash --alg sha3-256 = %q", got) // FIPS 202 example
	}
	if got := mustRun(t, ep, "hash-compare", "--hash", hex.EncodeToString(sum[:]), "abc"); got != "valid\n" {
		t.Errorf("hash-compare = %q", got)
	}
	mustFail(t, ep, "(PsaErrorInvalidSignature)", "hash-compare", "--hash", hex.EncodeToString(sum[:]), "abd")
	mustFail(t, ep, "invalid hash algorithm \"sha-1000\"", "hash", "--alg", "sha-1000", "abc")
	mustFail(t, ep, "(PsaErrorNotSupported)", "hash", "--alg", "md2", "abc")
}

func TestKeyAgreementSubcommand(t *testing.T) {
	ep := startService(t)
	dir := t.TempDir()
	pemOf := func(key string) string {
		t.Helper()
		path := filepath.Join(dir, key+".pem")
		if err := os.WriteFile(path, []byte(mustRun(t, ep, "export-public-key", "-k", key)), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	// X25519: two keys agree on one secret, both ways.
	mustRun(t, ep, "create-key", "-k", "alice", "--key-type", "x25519")
	mustRun(t, ep, "create-key", "-k", "bob", "--key-type", "x25519")
	ab := mustRun(t, ep, "key-agreement", "-k", "alice", "--peer", pemOf("bob"))
	ba := mustRun(t, ep, "key-agreement", "-k", "bob", "--peer", pemOf("alice"))
	if ab != ba || len(ab) != 65 {
		t.Errorf("X25519 secrets differ or are not 32 bytes: %q, %q", ab, ba)
	}
	// The peer as hex and as a raw file, from export-key --hex of a public key.
	mustRun(t, ep, "import-key", "-k", "bob-pub", "--key-type", "x25519-public", "--in", pemOf("bob"))
	bobHex := line(mustRun(t, ep, "export-key", "-k", "bob-pub", "--hex"))
	if got := mustRun(t, ep, "key-agreement", "-k", "alice", "--peer", bobHex); got != ab {
		t.Errorf("hex peer: %q, want %q", got, ab)
	}
	raw, _ := hex.DecodeString(bobHex)
	rawPath := filepath.Join(dir, "bob.bin")
	if err := os.WriteFile(rawPath, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := mustRun(t, ep, "key-agreement", "-k", "alice", "--peer", rawPath); got != ab {
		t.Errorf("raw file peer: %q, want %q", got, ab)
	}

	// ECDH on P-384 with keys imported from the OpenSSL fixtures and a new one.
	mustRun(t, ep, "import-key", "-k", "p384", "--key-type", "ecc-pair", "--alg", "ecdh", "--in", filepath.Join("testdata", "ec-p384-sec1.pem"))
	mustRun(t, ep, "import-key", "-k", "p384b", "--key-type", "ecc-pair", "--alg", "ecdh", "--in", filepath.Join("testdata", "ec-p384-pkcs8.pem"))
	s1 := mustRun(t, ep, "key-agreement", "-k", "p384", "--peer", filepath.Join("testdata", "ec-p384-spki.pem"))
	s2 := mustRun(t, ep, "key-agreement", "-k", "p384b", "--peer", pemOf("p384"))
	if s1 != s2 || len(s1) != 97 {
		t.Errorf("P-384 secrets: %q, %q", s1, s2)
	}
	mustFail(t, ep, "not a ecc-public key", "key-agreement", "-k", "p384", "--peer", pemOf("alice"))
	mustRun(t, ep, "create-key", "-k", "aes", "--key-type", "aes")
	mustFail(t, ep, "which cannot be used for key agreement.", "key-agreement", "-k", "aes", "--peer", "00")
	mustFail(t, ep, "    --peer <peer>\n", "key-agreement", "-k", "alice")
}

// import-key of every PEM kind, then export-public-key gives the SPKI
// OpenSSL wrote, and export-key the private key back.
func TestImportKeySubcommand(t *testing.T) {
	ep := startService(t)
	spki := map[string]string{"rsa": "rsa-1024-spki.pem", "ec": "ec-p384-spki.pem", "x25519": "x25519-spki.pem"}
	cases := []struct {
		file, keyType string
		extra         []string
	}{
		{"rsa-1024-pkcs1.pem", "rsa-pair", []string{"--export"}},
		{"rsa-1024-pkcs8.pem", "rsa-pair", []string{"--alg", "rsa-oaep-sha256", "--export"}},
		{"rsa-1024-pkcs1-pub.pem", "rsa-public", nil},
		{"rsa-1024-spki.pem", "rsa-public", []string{"--alg", "rsa-pss-any-hash"}},
		{"rsa-1024-pkcs8.pem", "rsa-public", nil}, // the public half of a private key
		{"ec-p384-sec1.pem", "ecc-pair", []string{"--curve", "secp384r1", "--export"}},
		{"ec-p384-pkcs8.pem", "ecc-pair", []string{"--alg", "ecdsa-sha384", "--export"}},
		{"ec-p384-spki.pem", "ecc-public", nil},
		{"x25519-pkcs8.pem", "x25519-pair", []string{"--export"}},
		{"x25519-spki.pem", "x25519-public", nil},
	}
	for i, tc := range cases {
		name := strings.TrimSuffix(tc.file, ".pem") + "-" + tc.keyType
		args := append([]string{"import-key", "-k", name, "--key-type", tc.keyType, "--in", filepath.Join("testdata", tc.file)}, tc.extra...)
		r := runTool(t, ep, args...)
		if r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "[INFO  parsec_tool::subcommands::import_key] Key \""+name+"\" imported.") {
			t.Errorf("case %d: %q: %+v", i, args, r)
			continue
		}
		want := string(readTestdata(t, spki[strings.Split(tc.file, "-")[0]]))
		if got := mustRun(t, ep, "export-public-key", "-k", name); got != want {
			t.Errorf("%s: export-public-key =\n%s\nwant\n%s", name, got, want)
		}
		if !strings.HasSuffix(tc.keyType, "-pair") {
			// A public key exports without the flag, as its SPKI.
			if got := mustRun(t, ep, "export-key", "-k", name); got != want {
				t.Errorf("%s: export-key =\n%s", name, got)
			}
			continue
		}
		// export-key gives the key back: PKCS#8 PEM, or the PSA format with --hex.
		privHex := map[string]string{"rsa": "rsa-1024.priv.hex", "ec": "ec-p384.priv.hex", "x25519": "x25519.priv.hex"}[strings.Split(tc.file, "-")[0]]
		if got := mustRun(t, ep, "export-key", "-k", name, "--hex"); got != string(readTestdata(t, privHex)) {
			t.Errorf("%s: export-key --hex = %q", name, got)
		}
		pkcs8 := strings.Replace(strings.Replace(tc.file, "-pkcs1", "-pkcs8", 1), "-sec1", "-pkcs8", 1)
		if got := mustRun(t, ep, "export-key", "-k", name); got != string(readTestdata(t, pkcs8)) {
			t.Errorf("%s: export-key =\n%s\nwant %s", name, got, pkcs8)
		}
	}
	want := "* ec-p384-pkcs8-ecc-pair (Mbed Crypto provider, EccKeyPair { curve_family: SecpR1 }, 384 bits, permitted algorithm: AsymmetricSignature(Ecdsa { hash_alg: Specific(Sha384) }))\n"
	if got := mustRun(t, ep, "list-keys"); !strings.Contains(got, want) {
		t.Errorf("list-keys =\n%s\nwant a line\n%s", got, want)
	}

	// Signatures of an imported key verify with the fixture's public key.
	sig := line(mustRun(t, ep, "sign", "-k", "ec-p384-pkcs8-ecc-pair", "message"))
	if _, err := base64.StdEncoding.DecodeString(sig); err != nil {
		t.Errorf("sign: %q", sig)
	}

	// Raw bytes: a symmetric key from hex or a file, exported back.
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "aes.bin")
	if err := os.WriteFile(keyFile, []byte("0123456789abcdef"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustRun(t, ep, "import-key", "-k", "aes-file", "--key-type", "aes", "--alg", "ctr", "--export", "--in", keyFile)
	if got := mustRun(t, ep, "export-key", "-k", "aes-file"); got != hex.EncodeToString([]byte("0123456789abcdef"))+"\n" {
		t.Errorf("export-key aes = %q", got)
	}
	mustRun(t, ep, "import-key", "-k", "raw", "--key-type", "raw", "--export", "--hex", "00 11 22 33")
	if got := mustRun(t, ep, "export-key", "-k", "raw"); got != "00112233\n" {
		t.Errorf("export-key raw = %q", got)
	}

	mustFail(t, ep, "the requested action is denied by a policy (ParsecClientError(Service(PsaErrorNotPermitted)))", "sign", "-k", "rsa-1024-pkcs1-pub-rsa-public", "x")
	mustRun(t, ep, "create-key", "-k", "sealed", "--key-type", "aes")
	mustFail(t, ep, "the requested action is denied by a policy (ParsecClientError(Service(PsaErrorNotPermitted)))", "export-key", "-k", "sealed")
	mustFail(t, ep, "exactly one of --in <FILE> and --hex <HEX> is required", "import-key", "-k", "k", "--key-type", "aes")
	mustFail(t, ep, "exactly one of --in <FILE> and --hex <HEX> is required", "import-key", "-k", "k", "--key-type", "aes", "--hex", "00", "--in", keyFile)
	mustFail(t, ep, "cannot read the key file", "import-key", "-k", "k", "--key-type", "aes", "--in", filepath.Join(dir, "missing"))
	mustFail(t, ep, "holds a rsa-pair key, not a ecc-pair key", "import-key", "-k", "k", "--key-type", "ecc-pair", "--in", filepath.Join("testdata", "rsa-1024-pkcs1.pem"))
	mustFail(t, ep, "the PEM key has 384 bits, not 256", "import-key", "-k", "k", "--key-type", "ecc-pair", "--curve", "secp256r1", "--in", filepath.Join("testdata", "ec-p384-sec1.pem"))
	mustFail(t, ep, "(PsaErrorInvalidArgument)", "import-key", "-k", "k", "--key-type", "aes", "--hex", "0011")
}

func TestCanDoCryptoSubcommand(t *testing.T) {
	ep := startService(t)
	for _, args := range [][]string{
		{"--check", "generate", "--key-type", "aes"},
		{"--check", "use", "--key-type", "aes", "--bits", "128", "--alg", "ccm"},
		{"--check", "import", "--key-type", "ecc-public", "--curve", "secp384r1"},
		{"--check", "generate", "--key-type", "rsa-pair", "--bits", "2048", "--alg", "rsa-pss-sha256"},
		{"--check", "generate", "--key-type", "x25519"},
		{"--check", "use", "--key-type", "hmac", "--alg", "hmac-sha512"},
	} {
		r := runTool(t, ep, append([]string{"can-do-crypto"}, args...)...)
		if r.code != 0 || r.stdout != "supported\n" || !strings.HasPrefix(r.stderr, "[INFO  parsec_tool::subcommands::can_do_crypto] Checking ") {
			t.Errorf("can-do-crypto %q: %+v", args, r)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--check", "generate", "--key-type", "ecc-pair", "--curve", "secp192r1"},
			"not supported: the requested operation or a parameter is not supported by this implementation (PsaErrorNotSupported)\n"},
		{[]string{"--check", "use", "--key-type", "aes", "--alg", "ecdsa-sha256"},
			"not supported: the requested operation or a parameter is not supported by this implementation (PsaErrorNotSupported)\n"},
		{[]string{"--check", "derive", "--key-type", "aes"}, "not supported: the requested operation or a parameter is not supported by this implementation (PsaErrorNotSupported)\n"},
		{[]string{"--check", "generate", "--key-type", "aes", "--bits", "100"}, "not supported: the requested operation or a parameter is not supported by this implementation (PsaErrorNotSupported)\n"},
	} {
		r := runTool(t, ep, append([]string{"can-do-crypto"}, tc.args...)...)
		if r.code != 1 || r.stdout != tc.want || strings.Contains(r.stderr, "Error") {
			t.Errorf("can-do-crypto %q: %+v; want exit 1 and %q", tc.args, r, tc.want)
		}
	}
	mustFail(t, ep, "invalid check \"export\"", "can-do-crypto", "--check", "export", "--key-type", "aes")
	mustFail(t, ep, "--bits is required for rsa-pair keys", "can-do-crypto", "--check", "generate", "--key-type", "rsa-pair")
	// No service: an error, not an answer.
	r := runTool(t, "unix:"+filepath.Join(t.TempDir(), "none.sock"), "can-do-crypto", "--check", "use", "--key-type", "aes")
	if r.code != 1 || r.stdout != "" || r.stderr != "[ERROR parsec_tool] Error spinning up the BasicClient: the socket address provided in the URL is not valid\n" {
		t.Errorf("can-do-crypto without a service: %+v", r)
	}
}

// The parsecd subcommands are not in the help of parsec-tool 0.7.0 (its
// output must not change), but each has its own help.
func TestExtraHelp(t *testing.T) {
	for _, flag := range []string{"--help", "-h"} {
		out := mustRun(t, "", flag)
		for _, c := range commands {
			if listed := strings.Contains(out, "\n    "+c.name+" "); listed == c.extra {
				t.Errorf("%s: %s listed %v", flag, c.name, listed)
			}
			if r := runTool(t, "", c.name, "--help"); r.code != 0 || !strings.Contains(r.stdout, "USAGE:\n    parsec-tool "+c.name) {
				t.Errorf("%s --help: %+v", c.name, r)
			}
		}
	}
	if got := mustRun(t, "", "aead-encrypt", "--help"); !strings.Contains(got, "--nonce <nonce>") || !strings.Contains(got, "written before the ciphertext") {
		t.Errorf("aead-encrypt --help:\n%s", got)
	}
}
