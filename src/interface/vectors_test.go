// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Golden wire vectors (testdata/vectors, made with the Rust parsec-interface
// crate and checked against the Parsec 1.1.0 service) decoded and re-encoded with our
// generated protobuf code. The test is self-contained: it parses the wire header itself
// and depends only on the generated packages under src/interface/ops and on
// the protocol identifiers of src/parsec (opcode names).
package interface_test

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/parsecd/parsecd/src/interface/pbwire"
	"github.com/parsecd/parsecd/test/testvectors"

	"github.com/parsecd/parsecd/src/interface/ops/attestkey"
	"github.com/parsecd/parsecd/src/interface/ops/candocrypto"
	"github.com/parsecd/parsecd/src/interface/ops/deleteclient"
	"github.com/parsecd/parsecd/src/interface/ops/listauthenticators"
	"github.com/parsecd/parsecd/src/interface/ops/listclients"
	"github.com/parsecd/parsecd/src/interface/ops/listkeys"
	"github.com/parsecd/parsecd/src/interface/ops/listopcodes"
	"github.com/parsecd/parsecd/src/interface/ops/listproviders"
	"github.com/parsecd/parsecd/src/interface/ops/ping"
	"github.com/parsecd/parsecd/src/interface/ops/preparekeyattestation"
	"github.com/parsecd/parsecd/src/interface/ops/psaaeaddecrypt"
	"github.com/parsecd/parsecd/src/interface/ops/psaaeadencrypt"
	"github.com/parsecd/parsecd/src/interface/ops/psaalgorithm"
	"github.com/parsecd/parsecd/src/interface/ops/psaasymmetricdecrypt"
	"github.com/parsecd/parsecd/src/interface/ops/psaasymmetricencrypt"
	"github.com/parsecd/parsecd/src/interface/ops/psacipherdecrypt"
	"github.com/parsecd/parsecd/src/interface/ops/psacipherencrypt"
	"github.com/parsecd/parsecd/src/interface/ops/psadestroykey"
	"github.com/parsecd/parsecd/src/interface/ops/psaexportkey"
	"github.com/parsecd/parsecd/src/interface/ops/psaexportpublickey"
	"github.com/parsecd/parsecd/src/interface/ops/psageneratekey"
	"github.com/parsecd/parsecd/src/interface/ops/psageneraterandom"
	"github.com/parsecd/parsecd/src/interface/ops/psahashcompare"
	"github.com/parsecd/parsecd/src/interface/ops/psahashcompute"
	"github.com/parsecd/parsecd/src/interface/ops/psaimportkey"
	"github.com/parsecd/parsecd/src/interface/ops/psakeyattributes"
	"github.com/parsecd/parsecd/src/interface/ops/psamaccompute"
	"github.com/parsecd/parsecd/src/interface/ops/psamacverify"
	"github.com/parsecd/parsecd/src/interface/ops/psarawkeyagreement"
	"github.com/parsecd/parsecd/src/interface/ops/psasignhash"
	"github.com/parsecd/parsecd/src/interface/ops/psasignmessage"
	"github.com/parsecd/parsecd/src/interface/ops/psaverifyhash"
	"github.com/parsecd/parsecd/src/interface/ops/psaverifymessage"
	"github.com/parsecd/parsecd/src/parsec"
)

// ---------------------------------------------------------------------------
// Operation table: opcode -> proto file stem and generated Operation/Result types.

type opEntry struct {
	stem   string // .proto file stem == proto package
	newOp  func() pbwire.Message
	newRes func() pbwire.Message
}

var opTable = map[uint32]opEntry{
	0x01: {"ping", func() pbwire.Message { return &ping.Operation{} }, func() pbwire.Message { return &ping.Result{} }},
	0x02: {"psa_generate_key", func() pbwire.Message { return &psageneratekey.Operation{} }, func() pbwire.Message { return &psageneratekey.Result{} }},
	0x03: {"psa_destroy_key", func() pbwire.Message { return &psadestroykey.Operation{} }, func() pbwire.Message { return &psadestroykey.Result{} }},
	0x04: {"psa_sign_hash", func() pbwire.Message { return &psasignhash.Operation{} }, func() pbwire.Message { return &psasignhash.Result{} }},
	0x05: {"psa_verify_hash", func() pbwire.Message { return &psaverifyhash.Operation{} }, func() pbwire.Message { return &psaverifyhash.Result{} }},
	0x06: {"psa_import_key", func() pbwire.Message { return &psaimportkey.Operation{} }, func() pbwire.Message { return &psaimportkey.Result{} }},
	0x07: {"psa_export_public_key", func() pbwire.Message { return &psaexportpublickey.Operation{} }, func() pbwire.Message { return &psaexportpublickey.Result{} }},
	0x08: {"list_providers", func() pbwire.Message { return &listproviders.Operation{} }, func() pbwire.Message { return &listproviders.Result{} }},
	0x09: {"list_opcodes", func() pbwire.Message { return &listopcodes.Operation{} }, func() pbwire.Message { return &listopcodes.Result{} }},
	0x0A: {"psa_asymmetric_encrypt", func() pbwire.Message { return &psaasymmetricencrypt.Operation{} }, func() pbwire.Message { return &psaasymmetricencrypt.Result{} }},
	0x0B: {"psa_asymmetric_decrypt", func() pbwire.Message { return &psaasymmetricdecrypt.Operation{} }, func() pbwire.Message { return &psaasymmetricdecrypt.Result{} }},
	0x0C: {"psa_export_key", func() pbwire.Message { return &psaexportkey.Operation{} }, func() pbwire.Message { return &psaexportkey.Result{} }},
	0x0D: {"psa_generate_random", func() pbwire.Message { return &psageneraterandom.Operation{} }, func() pbwire.Message { return &psageneraterandom.Result{} }},
	0x0E: {"list_authenticators", func() pbwire.Message { return &listauthenticators.Operation{} }, func() pbwire.Message { return &listauthenticators.Result{} }},
	0x0F: {"psa_hash_compute", func() pbwire.Message { return &psahashcompute.Operation{} }, func() pbwire.Message { return &psahashcompute.Result{} }},
	0x10: {"psa_hash_compare", func() pbwire.Message { return &psahashcompare.Operation{} }, func() pbwire.Message { return &psahashcompare.Result{} }},
	0x11: {"psa_aead_encrypt", func() pbwire.Message { return &psaaeadencrypt.Operation{} }, func() pbwire.Message { return &psaaeadencrypt.Result{} }},
	0x12: {"psa_aead_decrypt", func() pbwire.Message { return &psaaeaddecrypt.Operation{} }, func() pbwire.Message { return &psaaeaddecrypt.Result{} }},
	0x13: {"psa_raw_key_agreement", func() pbwire.Message { return &psarawkeyagreement.Operation{} }, func() pbwire.Message { return &psarawkeyagreement.Result{} }},
	0x14: {"psa_cipher_encrypt", func() pbwire.Message { return &psacipherencrypt.Operation{} }, func() pbwire.Message { return &psacipherencrypt.Result{} }},
	0x15: {"psa_cipher_decrypt", func() pbwire.Message { return &psacipherdecrypt.Operation{} }, func() pbwire.Message { return &psacipherdecrypt.Result{} }},
	0x16: {"psa_mac_compute", func() pbwire.Message { return &psamaccompute.Operation{} }, func() pbwire.Message { return &psamaccompute.Result{} }},
	0x17: {"psa_mac_verify", func() pbwire.Message { return &psamacverify.Operation{} }, func() pbwire.Message { return &psamacverify.Result{} }},
	0x18: {"psa_sign_message", func() pbwire.Message { return &psasignmessage.Operation{} }, func() pbwire.Message { return &psasignmessage.Result{} }},
	0x19: {"psa_verify_message", func() pbwire.Message { return &psaverifymessage.Operation{} }, func() pbwire.Message { return &psaverifymessage.Result{} }},
	0x1A: {"list_keys", func() pbwire.Message { return &listkeys.Operation{} }, func() pbwire.Message { return &listkeys.Result{} }},
	0x1B: {"list_clients", func() pbwire.Message { return &listclients.Operation{} }, func() pbwire.Message { return &listclients.Result{} }},
	0x1C: {"delete_client", func() pbwire.Message { return &deleteclient.Operation{} }, func() pbwire.Message { return &deleteclient.Result{} }},
	0x1E: {"attest_key", func() pbwire.Message { return &attestkey.Operation{} }, func() pbwire.Message { return &attestkey.Result{} }},
	0x1F: {"prepare_key_attestation", func() pbwire.Message { return &preparekeyattestation.Operation{} }, func() pbwire.Message { return &preparekeyattestation.Result{} }},
	0x20: {"can_do_crypto", func() pbwire.Message { return &candocrypto.Operation{} }, func() pbwire.Message { return &candocrypto.Result{} }},
}

// TestOpsPackages checks that every operation's generated types carry the proto
// package and message names of the PARSEC operation contracts.
func TestOpsPackages(t *testing.T) {
	// The opcodes and their names are parsec's table; this one adds only
	// the generated message types of each.
	if len(opTable) != len(parsec.AllOpcodes()) {
		t.Fatalf("opTable has %d operations, parsec's table %d", len(opTable), len(parsec.AllOpcodes()))
	}
	for _, o := range parsec.AllOpcodes() {
		if _, ok := opTable[uint32(o)]; !ok {
			t.Errorf("%v has no generated messages", o)
		}
	}
	for code, e := range opTable {
		for _, m := range []struct {
			msg  pbwire.Message
			want string
		}{{e.newOp(), e.stem + ".Operation"}, {e.newRes(), e.stem + ".Result"}} {
			d := descriptorOf(t, m.msg)
			if got := string(d.FullName()); got != m.want {
				t.Errorf("opcode %#x: message %s, want %s", code, got, m.want)
			}
			if got := d.ParentFile().Path(); got != e.stem+".proto" {
				t.Errorf("opcode %#x: file %s, want %s.proto", code, got, e.stem)
			}
		}
	}
	for _, m := range []struct {
		msg  pbwire.Message
		want string
	}{
		{&psaalgorithm.Algorithm{}, "psa_algorithm.Algorithm"},
		{&psakeyattributes.KeyAttributes{}, "psa_key_attributes.KeyAttributes"},
		{&listproviders.ProviderInfo{}, "list_providers.ProviderInfo"},
		{&listauthenticators.AuthenticatorInfo{}, "list_authenticators.AuthenticatorInfo"},
		{&listkeys.KeyInfo{}, "list_keys.KeyInfo"},
		{&attestkey.AttestationMechanismParams{}, "attest_key.AttestationMechanismParams"},
		{&attestkey.AttestationOutput{}, "attest_key.AttestationOutput"},
		{&preparekeyattestation.PrepareKeyAttestationParams{}, "prepare_key_attestation.PrepareKeyAttestationParams"},
		{&preparekeyattestation.PrepareKeyAttestationOutput{}, "prepare_key_attestation.PrepareKeyAttestationOutput"},
	} {
		if got := string(descriptorOf(t, m.msg).FullName()); got != m.want {
			t.Errorf("message %s, want %s", got, m.want)
		}
	}
}

// ---------------------------------------------------------------------------
// Manifest.

type manifest struct {
	Format       string `json:"format"`
	WireProtocol string `json:"wire_protocol"`
	FixedInputs  struct {
		AppName         string `json:"app_name"`
		HashHelloParsec string `json:"hash_hello_parsec_sha256"`
		Session         uint64 `json:"session"`
		P256Point       string `json:"test_p256_public_point"`
		RSA2048DER      string `json:"test_rsa2048_public_der"`
		UnixUID         uint32 `json:"unix_uid"`
	} `json:"fixed_inputs"`
	Vectors []vector `json:"vectors"`
}

type vector struct {
	Name             string                     `json:"name"`
	Kind             string                     `json:"kind"`
	Description      string                     `json:"description"`
	File             string                     `json:"file"`
	BodyFile         string                     `json:"body_file"`
	Hex              string                     `json:"hex"`
	AuthHex          string                     `json:"auth_hex"`
	HeaderLen        int                        `json:"header_len"`
	TotalLen         int                        `json:"total_len"`
	Provider         uint8                      `json:"provider"`
	Session          uint64                     `json:"session"`
	Opcode           uint32                     `json:"opcode"`
	OpcodeName       string                     `json:"opcode_name"`
	AuthType         uint8                      `json:"auth_type"`
	BodyLen          uint32                     `json:"body_len"`
	AuthLen          uint16                     `json:"auth_len"`
	Status           *uint16                    `json:"status"`
	ExpectedStatus   uint16                     `json:"expected_status"`
	ExpectedResponse string                     `json:"expected_response"`
	Inputs           map[string]json.RawMessage `json:"inputs"`
}

func (v *vector) str(t *testing.T, key string) string {
	t.Helper()
	raw, ok := v.Inputs[key]
	if !ok {
		t.Fatalf("inputs has no %q", key)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("inputs[%q]: %v", key, err)
	}
	return s
}

func (v *vector) hexBytes(t *testing.T, key string) []byte {
	t.Helper()
	b, err := hex.DecodeString(v.str(t, key))
	if err != nil {
		t.Fatalf("inputs[%q]: %v", key, err)
	}
	return b
}

func (v *vector) uint(t *testing.T, key string) uint64 {
	t.Helper()
	raw, ok := v.Inputs[key]
	if !ok {
		t.Fatalf("inputs has no %q", key)
	}
	var n uint64
	if err := json.Unmarshal(raw, &n); err != nil {
		t.Fatalf("inputs[%q]: %v", key, err)
	}
	return n
}

func vectorsDir(t *testing.T) string {
	t.Helper()
	return testvectors.Dir(t)
}

func loadManifest(t *testing.T) (string, *manifest) {
	t.Helper()
	dir := vectorsDir(t)
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	if m.Format != "parsec-wire-vectors/1" || m.WireProtocol != "1.0" {
		t.Fatalf("unexpected manifest format %q / wire protocol %q", m.Format, m.WireProtocol)
	}
	if len(m.Vectors) == 0 {
		t.Fatal("manifest lists no vectors")
	}
	return dir, &m
}

// ---------------------------------------------------------------------------
// Wire header (parsed here on purpose: independent of src/wire).

const (
	headerLen     = 36
	wireMagic     = 0x5EC0A710
	wireHdrSize   = 30
	bodyLenLimit  = 1 << 20 // service default body_len_limit
	maxProviderID = 5
	maxAuthType   = 4
)

type header struct {
	magic                         uint32
	hdrSize                       uint16
	verMaj, verMin                uint8
	flags                         uint16
	provider                      uint8
	session                       uint64
	contentType, acceptType, auth uint8
	bodyLen                       uint32
	authLen                       uint16
	opcode                        uint32
	status                        uint16
	reserved1, reserved2          uint8
}

func parseHeader(b []byte) (header, error) {
	if len(b) < headerLen {
		return header{}, fmt.Errorf("%d bytes, want at least %d", len(b), headerLen)
	}
	le := binary.LittleEndian
	return header{
		magic:       le.Uint32(b[0:4]),
		hdrSize:     le.Uint16(b[4:6]),
		verMaj:      b[6],
		verMin:      b[7],
		flags:       le.Uint16(b[8:10]),
		provider:    b[10],
		session:     le.Uint64(b[11:19]),
		contentType: b[19],
		acceptType:  b[20],
		auth:        b[21],
		bodyLen:     le.Uint32(b[22:26]),
		authLen:     le.Uint16(b[26:28]),
		opcode:      le.Uint32(b[28:32]),
		status:      le.Uint16(b[32:34]),
		reserved1:   b[34],
		reserved2:   b[35],
	}, nil
}

// anomalies lists everything that makes a request frame invalid for the
// reference service, with the status it answers (facts §1.4).
func anomalies(h header, frameLen int) map[string]uint16 {
	a := map[string]uint16{}
	if h.magic != wireMagic {
		a["magic"] = 17
	}
	if h.hdrSize != wireHdrSize {
		a["hdr_size"] = 17
	}
	if h.verMaj != 1 || h.verMin != 0 {
		a["version"] = 4
	}
	if h.reserved1 != 0 || h.reserved2 != 0 {
		a["reserved"] = 17
	}
	if h.bodyLen > bodyLenLimit {
		a["body_too_large"] = 20
	} else if frameLen != headerLen+int(h.bodyLen)+int(h.authLen) {
		a["length"] = 15
	}
	if h.contentType != 0 {
		a["content_type"] = 2
	}
	if h.acceptType != 0 {
		a["accept_type"] = 3
	}
	if h.auth > maxAuthType {
		a["auth_type"] = 12
	}
	if _, ok := opTable[h.opcode]; !ok {
		a["opcode"] = 9
	}
	if h.provider > maxProviderID {
		a["provider"] = 6
	}
	return a
}

// The one anomaly each malformed vector is about.
var malformedAnomaly = map[string]string{
	"malformed_bad_magic":         "magic",
	"malformed_body_too_large":    "body_too_large",
	"malformed_wire_version_2_0":  "version",
	"malformed_reserved_nonzero":  "reserved",
	"malformed_unknown_opcode":    "opcode",
	"malformed_unknown_provider":  "provider",
	"malformed_unknown_auth_type": "auth_type",
	"malformed_content_type":      "content_type",
}

// ---------------------------------------------------------------------------
// The test.

func TestVectors(t *testing.T) {
	dir, m := loadManifest(t)
	byName := map[string]*vector{}
	for i := range m.Vectors {
		byName[m.Vectors[i].Name] = &m.Vectors[i]
	}
	t.Run("fixed_inputs", func(t *testing.T) { checkFixedInputs(t, dir, m) })
	for i := range m.Vectors {
		v := &m.Vectors[i]
		t.Run(v.Name, func(t *testing.T) {
			frame, err := os.ReadFile(filepath.Join(dir, v.File))
			if err != nil {
				t.Fatal(err)
			}
			if v.TotalLen != len(frame) {
				t.Errorf("file is %d bytes, manifest total_len %d", len(frame), v.TotalLen)
			}
			if v.Hex != "" && v.Hex != hex.EncodeToString(frame) {
				t.Errorf("file bytes differ from manifest hex")
			}
			h, err := parseHeader(frame)
			if err != nil {
				t.Fatal(err)
			}
			if h.provider != v.Provider || h.opcode != v.Opcode || h.auth != v.AuthType {
				t.Errorf("header provider/opcode/auth_type = %d/%#x/%d, manifest %d/%#x/%d",
					h.provider, h.opcode, h.auth, v.Provider, v.Opcode, v.AuthType)
			}
			switch v.Kind {
			case "malformed-request":
				checkMalformed(t, v, h, len(frame), byName)
			case "request", "response":
				checkWellFormed(t, dir, m, v, h, frame, byName)
			default:
				t.Fatalf("unknown vector kind %q", v.Kind)
			}
		})
	}
}

func checkFixedInputs(t *testing.T, dir string, m *manifest) {
	fi := m.FixedInputs
	if sum := sha256.Sum256([]byte("hello parsec")); hex.EncodeToString(sum[:]) != fi.HashHelloParsec {
		t.Errorf("hash_hello_parsec_sha256 is not SHA-256(\"hello parsec\")")
	}
	ecPEM, err := os.ReadFile(filepath.Join(dir, "keys", "p256_test.pem"))
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(ecPEM)
	if blk == nil {
		t.Fatal("p256_test.pem: no PEM block")
	}
	ecKey, err := x509.ParseECPrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	ecdhPub, err := ecKey.PublicKey.ECDH()
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(ecdhPub.Bytes()); got != fi.P256Point {
		t.Errorf("test_p256_public_point does not match keys/p256_test.pem")
	}
	rsaPEM, err := os.ReadFile(filepath.Join(dir, "keys", "rsa2048_test.pem"))
	if err != nil {
		t.Fatal(err)
	}
	blk, _ = pem.Decode(rsaPEM)
	if blk == nil {
		t.Fatal("rsa2048_test.pem: no PEM block")
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, ok := k.(*rsa.PrivateKey)
	if !ok {
		t.Fatalf("rsa2048_test.pem holds a %T", k)
	}
	// PSA exports RSA public keys as DER PKCS#1 RSAPublicKey.
	if got := hex.EncodeToString(x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey)); got != fi.RSA2048DER {
		t.Errorf("test_rsa2048_public_der is not the PKCS#1 public key of keys/rsa2048_test.pem")
	}
}

func checkMalformed(t *testing.T, v *vector, h header, frameLen int, byName map[string]*vector) {
	want, ok := malformedAnomaly[v.Name]
	if !ok {
		t.Fatalf("no expectation for malformed vector %q (%s)", v.Name, v.Description)
	}
	got := anomalies(h, frameLen)
	if len(got) != 1 {
		t.Fatalf("want exactly the %q anomaly, got %v", want, got)
	}
	status, ok := got[want]
	if !ok {
		t.Fatalf("want the %q anomaly, got %v", want, got)
	}
	if status != v.ExpectedStatus {
		t.Errorf("%s anomaly: status %d, manifest expected_status %d", want, status, v.ExpectedStatus)
	}
	switch v.Name {
	case "malformed_bad_magic":
		if h.magic != 0xDEADBEEF {
			t.Errorf("magic %#x, want 0xDEADBEEF", h.magic)
		}
	case "malformed_body_too_large":
		if h.bodyLen != bodyLenLimit+1 || frameLen != headerLen {
			t.Errorf("body_len %d frame %d bytes, want %d and a bare header", h.bodyLen, frameLen, bodyLenLimit+1)
		}
	case "malformed_wire_version_2_0":
		if h.verMaj != 2 || h.verMin != 0 {
			t.Errorf("version %d.%d, want 2.0", h.verMaj, h.verMin)
		}
	case "malformed_reserved_nonzero":
		if h.reserved1 != 1 || h.reserved2 != 0 {
			t.Errorf("reserved %d/%d, want 1/0", h.reserved1, h.reserved2)
		}
	case "malformed_unknown_opcode":
		if h.opcode != 0x7fff {
			t.Errorf("opcode %#x, want 0x7fff", h.opcode)
		}
	case "malformed_unknown_provider":
		if h.provider != 200 {
			t.Errorf("provider %d, want 200", h.provider)
		}
	case "malformed_unknown_auth_type":
		if h.auth != 0x7f {
			t.Errorf("auth type %#x, want 0x7f", h.auth)
		}
	case "malformed_content_type":
		if h.contentType != 1 {
			t.Errorf("content type %d, want 1", h.contentType)
		}
	}
	// The answer is the default-header response vector with that status.
	resp := byName[v.ExpectedResponse]
	if resp == nil || resp.Kind != "response" || resp.Status == nil || *resp.Status != v.ExpectedStatus {
		t.Errorf("expected_response %q is not a response vector with status %d", v.ExpectedResponse, v.ExpectedStatus)
	} else if resp.Provider != 0 || resp.Opcode != 1 || resp.Session != 0 {
		t.Errorf("expected_response %q is not a default header (provider 0, Ping, session 0)", v.ExpectedResponse)
	}
}

func checkWellFormed(t *testing.T, dir string, m *manifest, v *vector, h header, frame []byte, byName map[string]*vector) {
	if v.HeaderLen != headerLen {
		t.Errorf("manifest header_len %d", v.HeaderLen)
	}
	if a := anomalies(h, len(frame)); len(a) != 0 {
		t.Fatalf("well-formed vector has header anomalies %v", a)
	}
	if h.flags != 0 {
		t.Errorf("flags %#x, want 0", h.flags)
	}
	if h.session != v.Session || h.bodyLen != v.BodyLen || h.authLen != v.AuthLen {
		t.Errorf("header session/body_len/auth_len = %#x/%d/%d, manifest %#x/%d/%d",
			h.session, h.bodyLen, h.authLen, v.Session, v.BodyLen, v.AuthLen)
	}
	e, ok := opTable[v.Opcode]
	if !ok {
		t.Fatalf("opcode %#x not in table", v.Opcode)
	}
	if name := parsec.Opcode(v.Opcode).String(); v.OpcodeName != name {
		t.Errorf("opcode %#x named %q in manifest, %q here", v.Opcode, v.OpcodeName, name)
	}
	body := frame[headerLen : headerLen+int(h.bodyLen)]
	auth := frame[headerLen+int(h.bodyLen):]
	if v.BodyFile != "" {
		bf, err := os.ReadFile(filepath.Join(dir, v.BodyFile))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(bf, body) {
			t.Errorf("%s differs from the body in %s", v.BodyFile, v.File)
		}
	} else if len(body) != 0 {
		t.Errorf("no body_file but body is %d bytes", len(body))
	}

	var got, want pbwire.Message
	if v.Kind == "request" {
		if v.Status != nil {
			t.Errorf("request carries a manifest status")
		}
		if h.status != 0 {
			t.Errorf("request status %d, want 0", h.status)
		}
		checkAuth(t, m, v, h, auth)
		got, want = e.newOp(), expectedOperation(t, v)
	} else {
		if v.Status == nil {
			t.Fatal("response without status in manifest")
		}
		if h.status != *v.Status {
			t.Errorf("status %d, manifest %d", h.status, *v.Status)
		}
		if h.auth != 0 || h.authLen != 0 || len(auth) != 0 {
			t.Errorf("response with auth type %d / %d auth bytes", h.auth, len(auth))
		}
		if *v.Status != 0 && len(body) != 0 {
			t.Errorf("error response with a %d-byte body", len(body))
		}
		got, want = e.newRes(), expectedResult(t, m, v, byName)
	}

	// Decode with the generated types. Re-encoding the decoded message, and
	// encoding the message built from the inputs, must both give the golden
	// body bytes: so no field went unknown (the codec skips unknown fields)
	// and the decoded message is the one the manifest describes.
	if err := pbwire.Unmarshal(body, got); err != nil {
		t.Fatalf("pbwire.Unmarshal into %T: %v", got, err)
	}
	for label, msg := range map[string]pbwire.Message{"decoded": got, "built": want} {
		if msg == nil {
			continue
		}
		enc, err := pbwire.Marshal(msg)
		if err != nil {
			t.Fatalf("marshal %s: %v", label, err)
		}
		if !bytes.Equal(enc, body) {
			t.Errorf("re-encoded %s message differs from the body\n got: %x\nwant: %x", label, enc, body)
		}
	}
}

func checkAuth(t *testing.T, m *manifest, v *vector, h header, auth []byte) {
	if got := hex.EncodeToString(auth); got != v.AuthHex {
		t.Errorf("auth bytes %s, manifest auth_hex %s", got, v.AuthHex)
	}
	switch h.auth {
	case 0:
		if len(auth) != 0 {
			t.Errorf("NoAuth request with %d auth bytes", len(auth))
		}
	case 1: // Direct: application name
		if string(auth) != m.FixedInputs.AppName {
			t.Errorf("direct auth %q, want app name %q", auth, m.FixedInputs.AppName)
		}
		if _, ok := v.Inputs["app_name"]; ok && v.str(t, "app_name") != string(auth) {
			t.Errorf("direct auth %q, inputs app_name %q", auth, v.str(t, "app_name"))
		}
	case 3: // UnixPeerCredentials: UID, u32 little endian
		if len(auth) != 4 || binary.LittleEndian.Uint32(auth) != m.FixedInputs.UnixUID {
			t.Errorf("unix peer auth %x, want uid %d", auth, m.FixedInputs.UnixUID)
		}
		if _, ok := v.Inputs["uid"]; ok && v.uint(t, "uid") != uint64(m.FixedInputs.UnixUID) {
			t.Errorf("inputs uid %d", v.uint(t, "uid"))
		}
	default:
		t.Errorf("unexpected auth type %d", h.auth)
	}
	if _, ok := v.Inputs["session"]; ok {
		s, err := strconv.ParseUint(strings.TrimPrefix(v.str(t, "session"), "0x"), 16, 64)
		if err != nil || s != h.session {
			t.Errorf("header session %#x, inputs session %q", h.session, v.str(t, "session"))
		} else if s == 0 {
			t.Errorf("session vector with a zero session")
		}
	}
}

// ---------------------------------------------------------------------------
// Expected messages, built from the manifest inputs/descriptions.

func sha256Alg() *psaalgorithm.Algorithm_AsymmetricSignature_SignHash {
	return &psaalgorithm.Algorithm_AsymmetricSignature_SignHash{
		Variant: &psaalgorithm.Algorithm_AsymmetricSignature_SignHash_Specific{Specific: psaalgorithm.Algorithm_SHA_256},
	}
}

func ecdsaSHA256() *psaalgorithm.Algorithm_AsymmetricSignature {
	return &psaalgorithm.Algorithm_AsymmetricSignature{Variant: &psaalgorithm.Algorithm_AsymmetricSignature_Ecdsa_{
		Ecdsa: &psaalgorithm.Algorithm_AsymmetricSignature_Ecdsa{HashAlg: sha256Alg()},
	}}
}

func rsaPKCS1SHA256() *psaalgorithm.Algorithm_AsymmetricSignature {
	return &psaalgorithm.Algorithm_AsymmetricSignature{Variant: &psaalgorithm.Algorithm_AsymmetricSignature_RsaPkcs1V15Sign_{
		RsaPkcs1V15Sign: &psaalgorithm.Algorithm_AsymmetricSignature_RsaPkcs1V15Sign{HashAlg: sha256Alg()},
	}}
}

func oaepSHA256() *psaalgorithm.Algorithm_AsymmetricEncryption {
	return &psaalgorithm.Algorithm_AsymmetricEncryption{Variant: &psaalgorithm.Algorithm_AsymmetricEncryption_RsaOaep_{
		RsaOaep: &psaalgorithm.Algorithm_AsymmetricEncryption_RsaOaep{HashAlg: psaalgorithm.Algorithm_SHA_256},
	}}
}

func sigPolicy(a *psaalgorithm.Algorithm_AsymmetricSignature) *psaalgorithm.Algorithm {
	return &psaalgorithm.Algorithm{Variant: &psaalgorithm.Algorithm_AsymmetricSignature_{AsymmetricSignature: a}}
}

func encPolicy(a *psaalgorithm.Algorithm_AsymmetricEncryption) *psaalgorithm.Algorithm {
	return &psaalgorithm.Algorithm{Variant: &psaalgorithm.Algorithm_AsymmetricEncryption_{AsymmetricEncryption: a}}
}

func eccType(public bool) *psakeyattributes.KeyType {
	if public {
		return &psakeyattributes.KeyType{Variant: &psakeyattributes.KeyType_EccPublicKey_{
			EccPublicKey: &psakeyattributes.KeyType_EccPublicKey{CurveFamily: psakeyattributes.KeyType_SECP_R1},
		}}
	}
	return &psakeyattributes.KeyType{Variant: &psakeyattributes.KeyType_EccKeyPair_{
		EccKeyPair: &psakeyattributes.KeyType_EccKeyPair{CurveFamily: psakeyattributes.KeyType_SECP_R1},
	}}
}

func attrs(kt *psakeyattributes.KeyType, bits uint32, usage *psakeyattributes.UsageFlags, alg *psaalgorithm.Algorithm) *psakeyattributes.KeyAttributes {
	return &psakeyattributes.KeyAttributes{
		KeyType:   kt,
		KeyBits:   bits,
		KeyPolicy: &psakeyattributes.KeyPolicy{KeyUsageFlags: usage, KeyAlgorithm: alg},
	}
}

// verifyOnly is "usage verify_hash": the Rust psa-crypto UsageFlags::set_verify_hash
// also sets verify_message (PSA: a hash permission implies the message one).
func verifyOnly() *psakeyattributes.UsageFlags {
	return &psakeyattributes.UsageFlags{VerifyHash: true, VerifyMessage: true}
}

var (
	reKeyType  = regexp.MustCompile(`key_type: (\w+)(?: \{ curve_family: (\w+) \})?`)
	reBits     = regexp.MustCompile(`bits: (\d+)`)
	reUsage    = regexp.MustCompile(`UsageFlags \{([^}]*)\}`)
	reFlag     = regexp.MustCompile(`(\w+): (true|false)`)
	rePolicy   = regexp.MustCompile(`permitted_algorithms: (AsymmetricSignature|AsymmetricEncryption)\((\w+) \{ hash_alg: (?:Specific\((\w+)\)|(\w+)) \}\)`)
	hashByRust = map[string]psaalgorithm.Algorithm_Hash{"Sha256": psaalgorithm.Algorithm_SHA_256, "Sha384": psaalgorithm.Algorithm_SHA_384, "Sha512": psaalgorithm.Algorithm_SHA_512}
)

// attrsFromDebug reads the Rust Debug rendering of psa-crypto Attributes used in
// the manifest inputs (only the shapes the vectors use).
func attrsFromDebug(t *testing.T, s string) *psakeyattributes.KeyAttributes {
	t.Helper()
	if !strings.Contains(s, "lifetime: Persistent") {
		t.Errorf("attributes not persistent: %s", s)
	}
	var kt *psakeyattributes.KeyType
	switch mt := reKeyType.FindStringSubmatch(s); {
	case mt == nil:
		t.Fatalf("no key_type in %s", s)
	case mt[1] == "RsaKeyPair":
		kt = &psakeyattributes.KeyType{Variant: &psakeyattributes.KeyType_RsaKeyPair_{RsaKeyPair: &psakeyattributes.KeyType_RsaKeyPair{}}}
	case mt[1] == "RsaPublicKey":
		kt = &psakeyattributes.KeyType{Variant: &psakeyattributes.KeyType_RsaPublicKey_{RsaPublicKey: &psakeyattributes.KeyType_RsaPublicKey{}}}
	case (mt[1] == "EccKeyPair" || mt[1] == "EccPublicKey") && mt[2] == "SecpR1":
		kt = eccType(mt[1] == "EccPublicKey")
	default:
		t.Fatalf("unhandled key_type %q in %s", mt[0], s)
	}
	mb := reBits.FindStringSubmatch(s)
	if mb == nil {
		t.Fatalf("no bits in %s", s)
	}
	bits, _ := strconv.ParseUint(mb[1], 10, 32)
	mu := reUsage.FindStringSubmatch(s)
	if mu == nil {
		t.Fatalf("no usage flags in %s", s)
	}
	flags := map[string]bool{}
	for _, f := range reFlag.FindAllStringSubmatch(mu[1], -1) {
		flags[f[1]] = f[2] == "true"
	}
	if len(flags) != 10 {
		t.Fatalf("want 10 usage flags, got %v", flags)
	}
	usage := &psakeyattributes.UsageFlags{
		Export: flags["export"], Copy: flags["copy"], Cache: flags["cache"],
		Encrypt: flags["encrypt"], Decrypt: flags["decrypt"],
		SignMessage: flags["sign_message"], VerifyMessage: flags["verify_message"],
		SignHash: flags["sign_hash"], VerifyHash: flags["verify_hash"], Derive: flags["derive"],
	}
	mp := rePolicy.FindStringSubmatch(s)
	if mp == nil {
		t.Fatalf("unhandled permitted_algorithms in %s", s)
	}
	var alg *psaalgorithm.Algorithm
	switch mp[1] + "/" + mp[2] {
	case "AsymmetricSignature/Ecdsa":
		alg = sigPolicy(ecdsaSHA256())
	case "AsymmetricSignature/RsaPkcs1v15Sign":
		alg = sigPolicy(rsaPKCS1SHA256())
	case "AsymmetricEncryption/RsaOaep":
		alg = encPolicy(oaepSHA256())
	default:
		t.Fatalf("unhandled algorithm %s", mp[0])
	}
	// The helpers above use SHA-256; make sure that is what the string says.
	if h := mp[3] + mp[4]; hashByRust[h] != psaalgorithm.Algorithm_SHA_256 {
		t.Fatalf("unhandled hash %q in %s", h, mp[0])
	}
	return attrs(kt, uint32(bits), usage, alg)
}

func expectedOperation(t *testing.T, v *vector) pbwire.Message {
	t.Helper()
	switch v.Opcode {
	case 0x01:
		return &ping.Operation{}
	case 0x08:
		return &listproviders.Operation{}
	case 0x0E:
		return &listauthenticators.Operation{}
	case 0x1A:
		return &listkeys.Operation{}
	case 0x1B:
		return &listclients.Operation{}
	case 0x09:
		return &listopcodes.Operation{ProviderId: uint32(v.uint(t, "provider_id"))}
	case 0x03:
		return &psadestroykey.Operation{KeyName: v.str(t, "key_name")}
	case 0x07:
		return &psaexportpublickey.Operation{KeyName: v.str(t, "key_name")}
	case 0x0D:
		return &psageneraterandom.Operation{Size: v.uint(t, "size")}
	}
	switch v.Name {
	case "generate_key_ecc_p256", "generate_key_rsa2048_sign", "generate_key_rsa2048_oaep":
		return &psageneratekey.Operation{KeyName: v.str(t, "key_name"), Attributes: attrsFromDebug(t, v.str(t, "attributes"))}
	case "generate_key_ecc_p256_verify_only":
		return &psageneratekey.Operation{KeyName: v.str(t, "key_name"),
			Attributes: attrs(eccType(false), 256, verifyOnly(), sigPolicy(ecdsaSHA256()))}
	case "sign_hash_ecdsa", "sign_hash_rsa_pkcs1v15":
		alg := ecdsaSHA256()
		if v.Name == "sign_hash_rsa_pkcs1v15" {
			alg = rsaPKCS1SHA256()
		}
		return &psasignhash.Operation{KeyName: v.str(t, "key_name"), Alg: alg, Hash: v.hexBytes(t, "hash_hex")}
	case "verify_hash_ecdsa":
		return &psaverifyhash.Operation{KeyName: v.str(t, "key_name"), Alg: ecdsaSHA256(),
			Hash: v.hexBytes(t, "hash_hex"), Signature: v.hexBytes(t, "signature_hex")}
	case "asymmetric_encrypt_oaep", "asymmetric_encrypt_oaep_salt":
		op := &psaasymmetricencrypt.Operation{KeyName: v.str(t, "key_name"), Alg: oaepSHA256(), Plaintext: []byte(v.str(t, "plaintext"))}
		if _, ok := v.Inputs["salt"]; ok {
			op.Salt = []byte(v.str(t, "salt"))
		}
		return op
	case "asymmetric_decrypt_oaep":
		return &psaasymmetricdecrypt.Operation{KeyName: v.str(t, "key_name"), Alg: oaepSHA256(), Ciphertext: v.hexBytes(t, "ciphertext_hex")}
	case "hash_compute_sha256":
		return &psahashcompute.Operation{Alg: psaalgorithm.Algorithm_SHA_256, Input: []byte(v.str(t, "input"))}
	case "import_key_ecc_p256_public":
		return &psaimportkey.Operation{KeyName: v.str(t, "key_name"),
			Attributes: attrs(eccType(true), 256, verifyOnly(), sigPolicy(ecdsaSHA256())),
			Data:       v.hexBytes(t, "data_hex")}
	case "import_key_rsa2048_public":
		rsaPub := &psakeyattributes.KeyType{Variant: &psakeyattributes.KeyType_RsaPublicKey_{RsaPublicKey: &psakeyattributes.KeyType_RsaPublicKey{}}}
		return &psaimportkey.Operation{KeyName: v.str(t, "key_name"),
			Attributes: attrs(rsaPub, 2048, verifyOnly(), sigPolicy(rsaPKCS1SHA256())),
			Data:       v.hexBytes(t, "data_hex")}
	}
	t.Errorf("no expected Operation for request vector %q (%s); only the round trip is checked", v.Name, v.Description)
	return nil
}

// Parsec 1.1.0 with only Mbed Crypto configured (vector list_providers_ok).
func parsec110Providers() *listproviders.Result {
	return &listproviders.Result{Providers: []*listproviders.ProviderInfo{
		{
			Uuid:        "1c1139dc-ad7c-47dc-ad6b-db6fdb466552",
			Description: "User space software provider, based on Mbed Crypto - the reference implementation of the PSA crypto API",
			Vendor:      "Arm",
			VersionMaj:  0, VersionMin: 1, VersionRev: 0,
			Id: 1,
		},
		{
			Uuid:        "47049873-2a43-4845-9d72-831eab668784",
			Description: "Software provider that implements only administrative (i.e. no cryptographic) operations",
			Vendor:      "",
			VersionMaj:  1, VersionMin: 1, VersionRev: 0, // the service version
			Id: 0,
		},
	}}
}

func expectedResult(t *testing.T, m *manifest, v *vector, byName map[string]*vector) pbwire.Message {
	t.Helper()
	e := opTable[v.Opcode]
	if *v.Status != 0 || v.BodyLen == 0 {
		if len(v.Inputs) != 0 {
			t.Errorf("empty-body response with inputs %v", v.Inputs)
		}
		return e.newRes()
	}
	switch v.Name {
	case "ping_ok":
		return &ping.Result{WireProtocolVersionMaj: 1, WireProtocolVersionMin: 0}
	case "list_providers_ok":
		return parsec110Providers()
	case "list_opcodes_single_ok":
		var ops []uint32
		if err := json.Unmarshal(v.Inputs["opcodes"], &ops); err != nil {
			t.Fatalf("inputs opcodes: %v", err)
		}
		return &listopcodes.Result{Opcodes: ops}
	case "list_authenticators_ok":
		return &listauthenticators.Result{Authenticators: []*listauthenticators.AuthenticatorInfo{{
			Description: "Directly parses the authentication field as a UTF-8 string and uses that as the application identity. Should be used for testing only.",
			VersionMaj:  0, VersionMin: 1, VersionRev: 0,
			Id: 1, // Direct
		}}}
	case "list_keys_ok":
		gen := byName["generate_key_ecc_p256"]
		if gen == nil {
			t.Fatal("list_keys_ok refers to generate_key_ecc_p256, which is missing")
		}
		return &listkeys.Result{Keys: []*listkeys.KeyInfo{{
			ProviderId: uint32(gen.Provider), // Mbed Crypto (the key's provider), though core answers
			Name:       gen.str(t, "key_name"),
			Attributes: attrsFromDebug(t, gen.str(t, "attributes")),
		}}}
	case "export_public_key_ecc_ok", "export_public_key_rsa_ok":
		data := v.hexBytes(t, "data_hex")
		fixed := m.FixedInputs.P256Point
		if v.Name == "export_public_key_rsa_ok" {
			fixed = m.FixedInputs.RSA2048DER
		}
		if hex.EncodeToString(data) != fixed {
			t.Errorf("exported key is not the fixed test key")
		}
		return &psaexportpublickey.Result{Data: data}
	case "sign_hash_ok":
		sig := v.hexBytes(t, "signature_hex")
		if !bytes.Equal(sig, seq(1, 64)) {
			t.Errorf("signature is not 0x01..0x40 as described")
		}
		return &psasignhash.Result{Signature: sig}
	case "asymmetric_encrypt_ok":
		ct := v.hexBytes(t, "ciphertext_hex")
		if !bytes.Equal(ct, seq(0, 256)) {
			t.Errorf("ciphertext is not 0x00..0xff as described")
		}
		return &psaasymmetricencrypt.Result{Ciphertext: ct}
	case "asymmetric_decrypt_ok":
		return &psaasymmetricdecrypt.Result{Plaintext: []byte(v.str(t, "plaintext"))}
	case "hash_compute_ok":
		h := v.hexBytes(t, "hash_hex")
		if sum := sha256.Sum256([]byte("abc")); !bytes.Equal(h, sum[:]) {
			t.Errorf("hash_compute_ok hash is not SHA-256(\"abc\")")
		}
		return &psahashcompute.Result{Hash: h}
	case "generate_random_ok":
		r := v.hexBytes(t, "random_hex")
		if !bytes.Equal(r, seq(0, 32)) {
			t.Errorf("random bytes are not 0x00..0x1f as described")
		}
		return &psageneraterandom.Result{RandomBytes: r}
	}
	t.Errorf("no expected Result for response vector %q (%s); only the round trip is checked", v.Name, v.Description)
	return nil
}

func seq(from, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(from + i)
	}
	return b
}
