// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package main

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// newOptions and parse run one command line level, for the tests of the
// subcommands' flags.
func newOptions(name string) *options {
	return &options{app: &capp{name: name, bin: name}, byLong: map[string]*carg{}}
}

func (o *options) parse(args []string, _ bool) ([]string, error) {
	_, _, pending, err := o.app.parse(args)
	if err == nil {
		err = o.app.validate(pending)
	}
	return nil, err
}

func TestParseRustUint(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  uint64
		want uint64
		msg  string
	}{
		{"32", 255, 32, ""}, {"+7", 255, 7, ""}, {"", 255, 0, "cannot parse integer from empty string"},
		{"+", 255, 0, "invalid digit found in string"}, {"abc", 255, 0, "invalid digit found in string"},
		{"-1", 255, 0, "invalid digit found in string"}, {"256", 255, 0, "number too large to fit in target type"},
		{"99999999999999999999", 1<<64 - 1, 0, "number too large to fit in target type"},
	} {
		if got, msg := parseRustUint(tc.in, tc.max); got != tc.want || msg != tc.msg {
			t.Errorf("parseRustUint(%q) = %d, %q; want %d, %q", tc.in, got, msg, tc.want, tc.msg)
		}
	}
}

// toolOut runs the tool without a service.
func toolOut(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb, func(k string) string { return env[k] })
	return result{code, out.String(), errb.String()}
}

// The tool's help as parsec-tool 0.7.0 prints it (the transcript's step 62,
// which prints it on standard error for a command line without a
// subcommand).
const topHelp = `parsec-tool 0.7.0
Contributors to the Parsec project
Command-line interface to Parsec operations

USAGE:
    parsec-tool [OPTIONS] <SUBCOMMAND>

FLAGS:
    -h, --help       Prints help information
    -V, --version    Prints version information

OPTIONS:
    -p, --provider <provider>    The ID of the provider to target for the command. Will use the default provider if
                                 not specified
    -t, --timeout <timeout>      The timeout time used for all commands in seconds. Will use the client's default if not
                                 specified. If set to 0, will not use any timeout and will block indefinitely

SUBCOMMANDS:
    create-csr             Create a Certificate Signing Request (CSR) from a keypair
    create-ecc-key         Create a ECC key pair (curve secp256r1). Used by default for asymmetric signing with
                           ECDSA (SHA-256)
    create-rsa-key         Create a RSA key pair (2048 bits). Used by default for asymmetric encryption with RSA
                           PKCS#1 v1.5
    decrypt                Decrypt data using the algorithm of the key
    delete-client          Delete all data a client has in the service (admin operation)
    delete-key             Delete a key
    encrypt                Encrypt data using the algorithm of the key
    export-public-key      Export the public part of the key pair in PEM format
    generate-random        Generate a sequence of random bytes
    help                   Prints this message or the help of the given subcommand(s)
    list-authenticators    List the available authenticators supported by the Parsec service
    list-clients           Lists all clients currently having data in the service (admin operation)
    list-keys              List all keys belonging to the application
    list-opcodes           List the supported opcodes for a given provider
    list-providers         List the available providers supported by the Parsec service
    ping                   Ping the Parsec service and prints the wire protocol version
    sign                   Sign data using the algorithm of the key (base64 signature)
`

func TestHelpTexts(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{nil, 1, "", topHelp},
		{[]string{"-h"}, 0, topHelp, ""},
		{[]string{"help"}, 0, topHelp, ""},
		{[]string{"-V"}, 0, "parsec-tool 0.7.0\n", ""},
		{[]string{"sign", "--version"}, 0, "parsec-tool-sign 0.7.0\n", ""},
		// -r is a parsecd addition: not in the help of parsec-tool 0.7.0.
		{[]string{"create-rsa-key", "--help"}, 0, `parsec-tool-create-rsa-key 0.7.0
Create a RSA key pair (2048 bits). Used by default for asymmetric encryption with RSA PKCS#1 v1.5

USAGE:
    parsec-tool create-rsa-key [FLAGS] [OPTIONS] --key-name <key-name>

FLAGS:
    -h, --help           Prints help information
    -s, --for-signing    This command creates RSA encryption keys by default. Supply this flag to create a signing key
                         instead. Signing keys, by default, will specify the SHA-256 hash algorithm and use PKCS#1 v1.5
    -o, --oaep           Specifies if the RSA key should be created with permitted RSA OAEP (SHA256) encryption
                         algorithm instead of the default RSA PKCS#1 v1.5 one
    -V, --version        Prints version information

OPTIONS:
    -b, --bits <bits>            Specifies the size (strength) of the key in bits. The default size for RSA keys is
                                 2048 bits
    -k, --key-name <key-name>    
`, ""},
		{[]string{"help", "decrypt"}, 0, `parsec-tool-decrypt 0.7.0
Decrypt data using the algorithm of the key

USAGE:
    parsec-tool decrypt <input-data> --key-name <key-name>

FLAGS:
    -h, --help       Prints help information
    -V, --version    Prints version information

OPTIONS:
    -k, --key-name <key-name>    

ARGS:
    <input-data>    Ciphertext base64 encoded
`, ""},
		// create-csr has several-paragraph docs: its --help is clap's long
		// form, its -h the short one.
		{[]string{"create-csr", "-h"}, 0, `parsec-tool-create-csr 0.7.0
Creates an X509 Certificate Signing Request (CSR) from a keypair, using the signing algorithm that is associated with
the key.

The CSR is written to the standard output in PEM format by default.

USAGE:
    parsec-tool create-csr [OPTIONS] --key-name <key-name>

FLAGS:
    -h, --help       Prints help information
    -V, --version    Prints version information

OPTIONS:
        --cn <common-name>                     The common name to be used within the Distinguished Name (DN)
                                               specification of the CSR
        --c <country>                          The country name to be used within the Distinguished Name (DN)
                                               specification of the CSR
    -k, --key-name <key-name>                  The name of the key to use for signing. This must be an existing key that
                                               is accessible to the user, and it must be a signing key (either an RSA
                                               key or an elliptic curve key)
        --l <locality>                         The locality name to be used within the Distinguished Name (DN)
                                               specification of the CSR
        --o <organization>                     The organization name to be used within the Distinguished Name (DN)
                                               specification of the CSR
        --ou <organizational-unit>             The organizational unit name to be used within the Distinguished Name
                                               (DN) specification of the CSR
        --serialNumber <serial-number>         The serial number to be used within the Distinguished Name (DN)
                                               specification of the CSR
        --st <state>                           The state name to be used within the Distinguished Name (DN)
                                               specification of the CSR
        --san <subject-alternative-name>...    A Subject Alternative Name (SAN) for the domain of the CSR
`, ""},
		{[]string{"list-opcodes", "--help"}, 0, `parsec-tool-list-opcodes 0.7.0
List the supported opcodes for a given provider

USAGE:
    parsec-tool list-opcodes [OPTIONS]

FLAGS:
    -h, --help       Prints help information
    -V, --version    Prints version information

OPTIONS:
    -p, --provider <provider>    ID of the provider
`, ""},
	} {
		r := toolOut(t, nil, tc.args...)
		if r.code != tc.code || r.stdout != tc.stdout || r.stderr != tc.stderr {
			t.Errorf("%q: exit %d\nstdout:\n%s\nstderr:\n%s\nwant exit %d\nstdout:\n%s\nstderr:\n%s", tc.args, r.code, r.stdout, r.stderr,
				tc.code, tc.stdout, tc.stderr)
		}
	}
	// The long form puts each help on its own line, after the argument.
	if r := toolOut(t, nil, "--help"); r.code != 0 || !strings.Contains(r.stdout, "FLAGS:\n    -h, --help       \n            Prints help information\n\n") ||
		!strings.Contains(r.stdout, "\n            The ID of the provider to target for the command. Will use the default provider if not specified\n") {
		t.Errorf("--help:\n%s", r.stdout)
	}
	if r := toolOut(t, nil, "create-csr", "--help"); r.code != 0 || !strings.Contains(r.stdout,
		"            must be a signing key (either an RSA key or an elliptic curve key).\n            \n            Elliptic curve keys must use the NIST P256 or P384 curves.\n        --l <locality>") {
		t.Errorf("create-csr --help:\n%s", r.stdout)
	}
}

// clap 2's usage errors, on standard error with exit status 1.
func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"create-rsa-key", "-r", "-k"}, "error: The argument '--key-name <key-name>' requires a value but none was supplied\n\n" +
			"USAGE:\n    parsec-tool create-rsa-key --for-signing-pss --key-name <key-name>\n\nFor more information try --help\n"},
		{[]string{"create-rsa-key", "-x"}, "error: Found argument '-x' which wasn't expected, or isn't valid in this context\n\n" +
			"USAGE:\n    parsec-tool create-rsa-key [FLAGS] [OPTIONS] --key-name <key-name>\n\nFor more information try --help\n"},
		{[]string{"create-rsa-key", "-s", "--bogus=1"}, "error: Found argument '--bogus' which wasn't expected, or isn't valid in this context\n\n" +
			"USAGE:\n    parsec-tool create-rsa-key --for-signing --key-name <key-name>\n\nFor more information try --help\n"},
		{[]string{"sign", "-k", "k"}, "error: The following required arguments were not provided:\n    <input-data>\n\n" +
			"USAGE:\n    parsec-tool sign <input-data> --key-name <key-name>\n\nFor more information try --help\n"},
		{[]string{"sign"}, "error: The following required arguments were not provided:\n    <input-data>\n    --key-name <key-name>\n\n" +
			"USAGE:\n    parsec-tool sign <input-data> --key-name <key-name>\n\nFor more information try --help\n"},
		{[]string{"sign", "-k", "k", "a", "b"}, "error: Found argument 'b' which wasn't expected, or isn't valid in this context\n\n" +
			"USAGE:\n    parsec-tool sign <input-data> --key-name <key-name>\n\nFor more information try --help\n"},
		{[]string{"delete-key", "-k", "a", "-k", "b"}, "error: The argument '--key-name <key-name>' was provided more than once, but cannot be used multiple times\n\n" +
			"USAGE:\n    parsec-tool delete-key --key-name <key-name>\n\nFor more information try --help\n"},
		{[]string{"generate-random", "-n", "abc"}, "error: Invalid value for '--nbytes <nbytes>': invalid digit found in string\n"},
		{[]string{"-p", "256", "ping"}, "error: Invalid value for '--provider <provider>': number too large to fit in target type\n"},
		// A value cannot start with '-': "-1" is an unknown flag.
		{[]string{"-t", "-1", "ping"}, "error: Found argument '-1' which wasn't expected, or isn't valid in this context\n\n" +
			"USAGE:\n    parsec-tool --timeout <timeout>\n\nFor more information try --help\n"},
		{[]string{"bogus"}, "error: Found argument 'bogus' which wasn't expected, or isn't valid in this context\n\n" +
			"USAGE:\n    parsec-tool [OPTIONS] <SUBCOMMAND>\n\nFor more information try --help\n"},
		{[]string{"help", "bogus"}, "error: The subcommand 'bogus' wasn't recognized\n\nUSAGE:\n\tparsec-tool help <subcommands>...\n\nFor more information try --help\n"},
	} {
		if r := toolOut(t, nil, tc.args...); r.code != 1 || r.stdout != "" || r.stderr != tc.want {
			t.Errorf("%q: exit %d, stdout %q\nstderr:\n%s\nwant:\n%s", tc.args, r.code, r.stdout, r.stderr, tc.want)
		}
	}
}

// Failures before a subcommand runs.
func TestSpinUpErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		endpoint string
		args     []string
		want     string
	}{
		{"unix:" + filepath.Join(dir, "none.sock"), []string{"ping"}, "[ERROR parsec_tool] Error spinning up the BasicClient: the socket address provided in the URL is not valid\n"},
		{"unix:" + filepath.Join(dir, "none.sock"), []string{"-p", "9", "list-keys"}, "[ERROR parsec_tool] Error spinning up the BasicClient: the socket address provided in the URL is not valid\n"},
		{"tcp://localhost:1234", []string{"ping"}, "[ERROR parsec_tool] Error spinning up the BasicClient: the socket URL is invalid\n"},
	} {
		if r := toolOut(t, map[string]string{"PARSEC_SERVICE_ENDPOINT": tc.endpoint}, tc.args...); r.code != 1 || r.stderr != tc.want {
			t.Errorf("%s %q: %+v; want %q", tc.endpoint, tc.args, r, tc.want)
		}
	}
	// A socket nobody listens on: the Ipc error of the Rust client.
	sock := filepath.Join(dir, "dead.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	r := toolOut(t, map[string]string{"PARSEC_SERVICE_ENDPOINT": "unix:" + sock}, "ping")
	if want := "[ERROR parsec_tool] Subcommand failed: Connection refused (os error 111) (ParsecClientError(Client(Ipc(Os { code: 111, kind: ConnectionRefused, message: \"Connection refused\" }))))\n"; r.code != 1 || r.stderr != want {
		t.Errorf("dead socket: %+v; want %q", r, want)
	}
	r = toolOut(t, map[string]string{"PARSEC_SERVICE_ENDPOINT": "unix:" + sock}, "list-keys")
	if want := "[ERROR parsec_tool] Error spinning up the BasicClient: Connection refused (os error 111)\n"; r.code != 1 || r.stderr != want {
		t.Errorf("dead socket, authenticated subcommand: %+v; want %q", r, want)
	}
}

func TestWrapHelp(t *testing.T) {
	// First fit would end the first line with "not": optimal fit keeps a
	// two-word last line rather than pay for a one-word one.
	s := "The ID of the provider to target for the command. Will use the default provider if not specified"
	if got := wrapHelp(s, 87); got != "The ID of the provider to target for the command. Will use the default provider if\nnot specified" {
		t.Errorf("wrapHelp = %q", got)
	}
	if got := wrapHelp("short  ", 87); got != "short" {
		t.Errorf("wrapHelp(short) = %q", got)
	}
	// Words are split after inner hyphens, never broken.
	if got := wrapHelp("aaaa bbbb-cccc", 10); got != "aaaa bbbb-\ncccc" {
		t.Errorf("wrapHelp(hyphen) = %q", got)
	}
	if got := wrapHelp("abcdefghijklmnop qr", 5); got != "abcdefghijklmnop\nqr" {
		t.Errorf("wrapHelp(long word) = %q", got)
	}
}

func TestBase64Errors(t *testing.T) {
	for in, want := range map[string]string{
		"!!notbase64":      "Invalid byte 33, offset 0. (InvalidByte(0, 33))",
		"AAAAA":            "Encoded text cannot have a 6-bit remainder. (InvalidLength)",
		"AAAA!":            "Invalid byte 33, offset 4. (InvalidByte(4, 33))",
		"AA=A":             "Invalid byte 61, offset 2. (InvalidByte(2, 61))",
		"AB==":             "Invalid last symbol 66, offset 1. (InvalidLastSymbol(1, 66))",
		"APv/\n":           "Invalid byte 10, offset 4. (InvalidByte(4, 10))",
		"AAAAAAAA=AAAAAAA": "Invalid byte 61, offset 8. (InvalidByte(8, 61))",
	} {
		_, err := decodeBase64(in)
		var be *base64Err
		if !errors.As(err, &be) || be.Error()+" ("+be.debug()+")" != want {
			t.Errorf("decodeBase64(%q) = %v; want %s", in, err, want)
		}
	}
	for in, want := range map[string]string{"": "", "AAA": "0000", "APv/": "00fbff", "APs=": "00fb", "APs": "00fb", "AAAAAAAAAAA=": "0000000000000000"} {
		if got, err := decodeBase64(in); err != nil || hex.EncodeToString(got) != want {
			t.Errorf("decodeBase64(%q) = %x, %v; want %s", in, got, err, want)
		}
	}
}

func TestLoggerFilter(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want string
	}{
		{"", "[INFO  parsec_tool::subcommands::ping] i\n[WARN  parsec_client::core::basic_client] w\n[ERROR parsec_tool] e\n"},
		{"warn", "[WARN  parsec_client::core::basic_client] w\n[ERROR parsec_tool] e\n"},
		{"off", ""},
		{"debug", "[DEBUG parsec_tool::util] d\n[INFO  parsec_tool::subcommands::ping] i\n[WARN  parsec_client::core::basic_client] w\n[ERROR parsec_tool] e\n"},
		{"parsec_tool=error", "[WARN  parsec_client::core::basic_client] w\n[ERROR parsec_tool] e\n"},
		{"parsec_tool::util=trace,parsec_client=off", "[DEBUG parsec_tool::util] d\n[INFO  parsec_tool::subcommands::ping] i\n[ERROR parsec_tool] e\n"},
	} {
		var b bytes.Buffer
		l := newLogger(&b, tc.spec)
		l.log(levelDebug, targetUtil, "d")
		l.log(levelInfo, subcommandTarget("ping"), "i")
		l.log(levelWarn, targetBasicClient, "w")
		l.log(levelError, targetMain, "e")
		if b.String() != tc.want {
			t.Errorf("RUST_LOG=%q:\n%s\nwant:\n%s", tc.spec, b.String(), tc.want)
		}
	}
}

func TestLoggerStyle(t *testing.T) {
	var b bytes.Buffer
	l := newLogger(&b, "")
	l.color = logStyle(&b, "always")
	l.log(levelInfo, targetMain, "hello")
	l.log(levelError, targetMain, "bad")
	want := "\x1b[0m\x1b[38;5;8m[\x1b[0m\x1b[0m\x1b[32mINFO \x1b[0m parsec_tool\x1b[0m\x1b[38;5;8m]\x1b[0m hello\n" +
		"\x1b[0m\x1b[38;5;8m[\x1b[0m\x1b[0m\x1b[1m\x1b[31mERROR\x1b[0m parsec_tool\x1b[0m\x1b[38;5;8m]\x1b[0m bad\n"
	if b.String() != want {
		t.Errorf("styled log = %q\nwant %q", b.String(), want)
	}
	if logStyle(&b, "") || logStyle(&b, "never") || logStyle(os.Stderr, "never") {
		t.Error("styled output where it should not be")
	}
}

func TestLossyUTF8(t *testing.T) {
	for in, want := range map[string]string{
		"ok":               "ok",
		"ok \xff":          "ok \uFFFD",
		"\xff\xfe":         "\uFFFD\uFFFD",
		"\xe2\x82":         "\uFFFD", // a truncated € is one maximal subpart
		"\xe2\x82\xac\xe2": "€\uFFFD",
		"\xed\xa0\x80":     "\uFFFD\uFFFD\uFFFD", // a surrogate: ED A0 is not a valid start
		"\xf0\x9f\x98":     "\uFFFD",
		"\xc0\xaf":         "\uFFFD\uFFFD",
	} {
		if got := lossyUTF8([]byte(in)); got != want {
			t.Errorf("lossyUTF8(%q) = %q, want %q", in, got, want)
		}
	}
}

// A service that accepts and never answers: the read times out, which
// parsec-interface turns into ConnectionError with its warnings.
func TestTimeoutError(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "mute.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	done := make(chan struct{})
	defer close(done)
	go func() {
		if c, err := l.Accept(); err == nil {
			<-done
			c.Close()
		}
	}()
	r := toolOut(t, map[string]string{"PARSEC_SERVICE_ENDPOINT": "unix:" + sock}, "-t", "1", "ping")
	want := "[WARN  parsec_interface::requests::response_status] Conversion from Os { code: 11, kind: WouldBlock, message: \"Resource temporarily unavailable\" } to ResponseStatus::ConnectionError.\n" +
		"[WARN  parsec_interface::requests::response_status] The WouldBlock error might mean that the connection timed out. Try in increase the timeout length.\n" +
		"[ERROR parsec_tool] Subcommand failed: generic input/output error (ParsecClientError(Client(Interface(ConnectionError))))\n"
	if r.code != 1 || r.stdout != "" || r.stderr != want {
		t.Errorf("mute service: %+v\nwant %q", r, want)
	}
}
