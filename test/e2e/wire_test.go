// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package e2e

// Raw wire-protocol tests against the real daemon: golden vectors from
// the repository's golden vectors (src/interface/testdata/vectors), malformed headers, late errors, timeouts and a
// small fuzz loop. Every exchange opens a connection, writes the bytes,
// then reads until the daemon closes, so that the way the connection ends
// (EOF, not a reset) is checked too.

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"math/rand"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/parsecd/parsecd/src/interface/pbwire"
	"github.com/parsecd/parsecd/test/testvectors"

	"github.com/parsecd/parsecd/src/interface/ops/psaasymmetricdecrypt"
	"github.com/parsecd/parsecd/src/interface/ops/psaasymmetricencrypt"
	"github.com/parsecd/parsecd/src/interface/ops/psadestroykey"
	"github.com/parsecd/parsecd/src/interface/ops/psaexportpublickey"
	"github.com/parsecd/parsecd/src/interface/ops/psageneratekey"
	"github.com/parsecd/parsecd/src/interface/ops/psageneraterandom"
	"github.com/parsecd/parsecd/src/interface/ops/psasignhash"
	"github.com/parsecd/parsecd/src/interface/ops/psaverifyhash"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/src/wire"
)

// ---- golden vectors ----

// wvVector is one entry of manifest.json (only the fields these tests use).
type wvVector struct {
	File             string         `json:"file"`
	Kind             string         `json:"kind"`
	Name             string         `json:"name"`
	Hex              string         `json:"hex"`
	Opcode           uint32         `json:"opcode"`
	Provider         uint8          `json:"provider"`
	AuthType         uint8          `json:"auth_type"`
	Status           *uint16        `json:"status"`
	ExpectedStatus   *uint16        `json:"expected_status"`
	ExpectedResponse string         `json:"expected_response"`
	Inputs           map[string]any `json:"inputs"`

	bytes []byte // the .bin file
}

type wvManifest struct {
	Format      string            `json:"format"`
	FixedInputs map[string]any    `json:"fixed_inputs"`
	Vectors     []*wvVector       `json:"vectors"`
	byPrefix    map[int]*wvVector // by the file's number
	byName      map[string]*wvVector
}

// wvLoad reads the manifest and every vector file, failing the test if the
// shared vectors are absent or inconsistent.
func wvLoad(t testing.TB) *wvManifest {
	t.Helper()
	dir := testvectors.Dir(t)
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatalf("the golden vectors are required: %v", err)
	}
	var m wvManifest
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	m.byPrefix, m.byName = map[int]*wvVector{}, map[string]*wvVector{}
	for _, v := range m.Vectors {
		var n int
		if _, err := fmt.Sscanf(v.File, "%d_", &n); err != nil {
			t.Fatalf("vector file %q has no number", v.File)
		}
		b, err := os.ReadFile(filepath.Join(dir, v.File))
		if err != nil {
			t.Fatalf("vector %s: %v", v.File, err)
		}
		if hex.EncodeToString(b) != v.Hex {
			t.Fatalf("vector %s: file content differs from the manifest's hex", v.File)
		}
		v.bytes = b
		m.byPrefix[n] = v
		m.byName[v.Name] = v
	}
	for n := 1; n <= 69; n++ {
		if m.byPrefix[n] == nil {
			t.Fatalf("vector %02d is missing from the manifest", n)
		}
	}
	return &m
}

func (m *wvManifest) vec(t testing.TB, n int) *wvVector {
	t.Helper()
	v := m.byPrefix[n]
	if v == nil {
		t.Fatalf("no vector %02d", n)
	}
	return v
}

func (v *wvVector) input(t testing.TB, key string) string {
	t.Helper()
	s, ok := v.Inputs[key].(string)
	if !ok {
		t.Fatalf("vector %s has no string input %q", v.File, key)
	}
	return s
}

func (v *wvVector) inputHex(t testing.TB, key string) []byte {
	t.Helper()
	b, err := hex.DecodeString(v.input(t, key))
	if err != nil {
		t.Fatalf("vector %s input %s: %v", v.File, key, err)
	}
	return b
}

// ---- raw exchanges ----

// wxResult is what one raw exchange produced.
type wxResult struct {
	reply []byte
	end   error // nil when the daemon closed with a clean EOF
}

// wxExchange dials socket, writes data, and reads until the daemon closes.
// Write errors are ignored: the daemon may answer before reading everything.
func wxExchange(t testing.TB, socket string, data []byte) wxResult {
	t.Helper()
	c, err := net.Dial("unix", socket)
	if err != nil {
		t.Fatalf("dial %s: %v", socket, err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	_, _ = c.Write(data)
	return wxReadAll(c)
}

// wxReadAll reads until EOF or an error, keeping what arrived.
func wxReadAll(c net.Conn) wxResult {
	var buf bytes.Buffer
	_, err := io.Copy(&buf, c) // io.Copy turns EOF into nil
	return wxResult{reply: buf.Bytes(), end: err}
}

// wxRequest encodes a request frame; lengths come from body and auth.
func wxRequest(t testing.TB, h wire.Header, body, auth []byte) []byte {
	t.Helper()
	b, err := wire.EncodeRequest(&wire.Request{Header: h, Body: body, Auth: auth})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wxDefault is the frame of an early rejection: provider 0, session 0,
// opcode Ping, empty body.
func wxDefault(c status.Code) []byte {
	return wire.EncodeResponse(wire.DefaultResponse(c))
}

// wxReply is the frame of a late answer to a request with header h.
func wxReply(h wire.Header, c status.Code, body []byte) []byte {
	return wire.EncodeResponse(wire.ReplyTo(&wire.Request{Header: h}, c, body))
}

// wxDecode parses a whole reply frame, failing on trailing bytes.
func wxDecode(t testing.TB, what string, reply []byte) *wire.Response {
	t.Helper()
	r := bytes.NewReader(reply)
	resp, err := wire.ReadResponse(r, 0)
	if err != nil {
		t.Fatalf("%s: reply %x is not a response frame: %v", what, reply, err)
	}
	if r.Len() != 0 {
		t.Fatalf("%s: %d bytes after the response frame", what, r.Len())
	}
	return resp
}

// wxExpect checks a whole reply byte for byte and a clean EOF after it.
func wxExpect(t testing.TB, what string, got wxResult, want []byte) {
	t.Helper()
	if got.end != nil {
		t.Errorf("%s: connection ended with %v instead of EOF (reply so far %x)", what, got.end, got.reply)
	}
	if !bytes.Equal(got.reply, want) {
		t.Errorf("%s:\n got  %x\n want %x", what, got.reply, want)
	}
}

// wxPingOK is the reply to a successful Ping with session s.
func wxPingOK(s uint64) []byte {
	return wxReply(wire.Header{Opcode: parsec.OpPing, Session: s}, status.Success, []byte{0x08, 0x01})
}

func wxPingFrame() []byte {
	return wire.AppendHeader(nil, wire.Header{Opcode: parsec.OpPing})
}

// wxCheckServing requires that a raw Ping still succeeds.
func wxCheckServing(t testing.TB, socket string) {
	t.Helper()
	wxExpect(t, "ping after bad input", wxExchange(t, socket, wxPingFrame()), wxPingOK(0))
}

// ---- attribute helpers shared by the lifecycle and limits tests ----

func eccSignAttrs() psa.KeyAttributes {
	return psa.KeyAttributes{
		Type: psa.KeyType{Kind: psa.KeyEccPair, EccFamily: psa.EccSecpR1}, Bits: 256,
		Policy: psa.KeyPolicy{
			Usage: psa.UsageSignHash | psa.UsageVerifyHash | psa.UsageSignMessage | psa.UsageVerifyMessage,
			Alg:   psa.Algorithm{Kind: psa.AlgAsymSign, Sign: eccAlg},
		},
	}
}

func rsaSignAttrs(bits uint32) psa.KeyAttributes {
	return psa.KeyAttributes{
		Type: psa.KeyType{Kind: psa.KeyRsaPair}, Bits: bits,
		Policy: psa.KeyPolicy{
			Usage: psa.UsageSignHash | psa.UsageVerifyHash | psa.UsageSignMessage | psa.UsageVerifyMessage,
			Alg:   psa.Algorithm{Kind: psa.AlgAsymSign, Sign: rsaAlg},
		},
	}
}

var (
	eccAlg = psa.AsymSign{Kind: psa.SignEcdsa, Hash: psa.HashSHA256}
	rsaAlg = psa.AsymSign{Kind: psa.SignRsaPkcs1v15, Hash: psa.HashSHA256}
)

// parseP256 parses an exported uncompressed P-256 point.
func parseP256(t testing.TB, point []byte) *ecdsa.PublicKey {
	t.Helper()
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), point)
	if err != nil {
		t.Fatalf("exported ECC public key %x: %v", point, err)
	}
	return pub
}

// verifyP256 checks a PSA (r‖s) ECDSA signature.
func verifyP256(pub *ecdsa.PublicKey, digest, sig []byte) bool {
	if len(sig) != 64 {
		return false
	}
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	return ecdsa.Verify(pub, digest, r, s)
}

func parseRSAPub(t testing.TB, der []byte) *rsa.PublicKey {
	t.Helper()
	pub, err := x509.ParsePKCS1PublicKey(der)
	if err != nil {
		t.Fatalf("exported RSA public key: %v", err)
	}
	return pub
}

// ---- tests ----

// The malformed vectors 62–69 and other header-level faults get their
// status with the default header, and the connection then ends with EOF.
func TestWireMalformedHeaders(t *testing.T) {
	t.Parallel()
	m := wvLoad(t)
	d := NewDaemon(t, Options{Timeout: RawTimeout}).Start()

	for n := 62; n <= 69; n++ {
		v := m.vec(t, n)
		if v.Kind != "malformed-request" || v.ExpectedStatus == nil {
			t.Fatalf("vector %s is not a malformed request with an expected status", v.File)
		}
		want := wxDefault(status.Code(*v.ExpectedStatus))
		// The manifest's expected response vector must be the default header too.
		if r := m.byName[v.ExpectedResponse]; r == nil || !bytes.Equal(r.bytes, want) {
			t.Fatalf("vector %s: expected response %q is not the default header with status %d", v.File, v.ExpectedResponse, *v.ExpectedStatus)
		}
		wxExpect(t, v.File, wxExchange(t, d.Socket, v.bytes), want)
	}

	ping := wxPingFrame()
	mod := func(f func(b []byte)) []byte {
		b := bytes.Clone(ping)
		f(b)
		return b
	}
	// Header size other than 30: the daemon reads that many bytes first.
	withSize := func(size, rest int) []byte {
		b := binary.LittleEndian.AppendUint32(nil, wire.Magic)
		b = binary.LittleEndian.AppendUint16(b, uint16(size))
		r := make([]byte, rest)
		copy(r, ping[6:])
		return append(b, r...)
	}
	cases := []struct {
		name string
		data []byte
		want []byte
	}{
		{"header size 29 (29 bytes sent)", withSize(29, 29), wxDefault(status.InvalidHeader)},
		{"header size 29 (28 bytes sent: still waiting, then timeout)", withSize(29, 28), wxDefault(status.ConnectionError)},
		{"header size 31 (31 bytes sent)", withSize(31, 31), wxDefault(status.InvalidHeader)},
		{"header size 31 (30 bytes sent: still waiting, then timeout)", withSize(31, 30), wxDefault(status.ConnectionError)},
		{"reserved2 = 1", mod(func(b []byte) { b[35] = 1 }), wxDefault(status.InvalidHeader)},
		{"version 1.1", mod(func(b []byte) { b[7] = 1 }), wxDefault(status.WireProtocolVersionNotSupported)},
		{"accept type 1", mod(func(b []byte) { b[20] = 1 }), wxDefault(status.AcceptTypeNotSupported)},
		{"truncated header", ping[:20], wxDefault(status.ConnectionError)},
		{"empty connection", nil, wxDefault(status.ConnectionError)},
	}
	for _, c := range cases {
		wxExpect(t, c.name, wxExchange(t, d.Socket, c.data), c.want)
	}
	wxCheckServing(t, d.Socket)
}

// Errors found after the header is trusted echo provider, session and
// opcode; flags and the request's status field are ignored.
func TestWireLateErrors(t *testing.T) {
	t.Parallel()
	d := NewDaemon(t, Options{Timeout: RawTimeout}).Start()
	u := NewDaemon(t, Options{Auth: "UnixPeerCredentials", Timeout: RawTimeout}).Start()
	app := []byte("wire-app")
	const sess = 0x1122334455667788

	genBody := func(name string, attrs *psa.KeyAttributes) []byte {
		op := &psageneratekey.Operation{KeyName: name}
		if attrs != nil {
			op.Attributes = psa.AttributesToProto(*attrs)
		}
		b, err := pbwire.Marshal(op)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	ecc := eccSignAttrs()
	signBody, _ := pbwire.Marshal(&psasignhash.Operation{KeyName: "k", Alg: psa.AsymSignToProto(eccAlg), Hash: make([]byte, 32)})
	rndBody, _ := pbwire.Marshal(&psageneraterandom.Operation{Size: 8})
	mangled := []byte{0x11, 0x22, 0x33, 0x44, 0x55}

	type tc struct {
		name   string
		socket string
		h      wire.Header
		body   []byte
		auth   []byte
		want   status.Code
	}
	cases := []tc{
		{"auth type 2 (JWT)", d.Socket, wire.Header{Opcode: parsec.OpListKeys, AuthType: parsec.AuthJwt, Session: sess}, nil, []byte("a.b.c"), status.AuthenticatorNotRegistered},
		{"Direct auth to a UnixPeerCredentials daemon", u.Socket, wire.Header{Opcode: parsec.OpListKeys, AuthType: parsec.AuthDirect, Session: sess}, nil, app, status.AuthenticatorNotRegistered},
		{"UnixPeerCredentials auth to a Direct daemon", d.Socket, wire.Header{Opcode: parsec.OpPing, AuthType: parsec.AuthUnixPeerCredentials, Session: sess}, nil, binary.LittleEndian.AppendUint32(nil, uint32(os.Getuid())), status.AuthenticatorNotRegistered},
		{"UnixPeerCredentials with a wrong uid", u.Socket, wire.Header{Opcode: parsec.OpListKeys, AuthType: parsec.AuthUnixPeerCredentials, Session: sess}, nil, binary.LittleEndian.AppendUint32(nil, uint32(os.Getuid())+4242), status.AuthenticationError},
		{"UnixPeerCredentials with 3 auth bytes", u.Socket, wire.Header{Opcode: parsec.OpListKeys, AuthType: parsec.AuthUnixPeerCredentials}, nil, []byte{0, 0, 0}, status.AuthenticationError},
		{"Direct with an empty name", d.Socket, wire.Header{Opcode: parsec.OpListKeys, AuthType: parsec.AuthDirect, Session: sess}, nil, nil, status.AuthenticationError},
		{"Direct with invalid UTF-8", d.Socket, wire.Header{Opcode: parsec.OpListKeys, AuthType: parsec.AuthDirect}, nil, []byte{0xff, 0xfe}, status.AuthenticationError},
		{"provider 2 (valid, not configured)", d.Socket, wire.Header{Opcode: parsec.OpPsaGenerateRandom, Provider: parsec.ProviderPkcs11, AuthType: parsec.AuthDirect, Session: sess}, rndBody, app, status.ProviderNotRegistered},
		{"provider 5 (valid, not configured)", d.Socket, wire.Header{Opcode: parsec.OpPing, Provider: parsec.ProviderCryptoAuthLib}, nil, nil, status.ProviderNotRegistered},
		{"ListKeys to provider 1", d.Socket, wire.Header{Opcode: parsec.OpListKeys, Provider: parsec.ProviderMbedCrypto, AuthType: parsec.AuthDirect, Session: sess}, nil, app, status.PsaErrorNotSupported},
		{"SignHash to provider 0", d.Socket, wire.Header{Opcode: parsec.OpPsaSignHash, AuthType: parsec.AuthDirect, Session: sess}, signBody, app, status.PsaErrorNotSupported},
		{"mangled Ping body", d.Socket, wire.Header{Opcode: parsec.OpPing, Session: sess}, mangled, nil, status.DeserializingBodyFailed},
		{"mangled ListProviders body", d.Socket, wire.Header{Opcode: parsec.OpListProviders}, mangled, nil, status.DeserializingBodyFailed},
		{"GenerateKey without attributes", d.Socket, wire.Header{Opcode: parsec.OpPsaGenerateKey, Provider: parsec.ProviderMbedCrypto, AuthType: parsec.AuthDirect, Session: sess}, genBody("no-attrs", nil), app, status.InvalidEncoding},
		{"GenerateKey with auth type 0", d.Socket, wire.Header{Opcode: parsec.OpPsaGenerateKey, Provider: parsec.ProviderMbedCrypto, Session: sess}, genBody("no-auth", &ecc), nil, status.NotAuthenticated},
		{"ListClients by a non-admin", d.Socket, wire.Header{Opcode: parsec.OpListClients, AuthType: parsec.AuthDirect, Session: sess}, nil, app, status.AdminOperation},
		{"ListClients without authentication", d.Socket, wire.Header{Opcode: parsec.OpListClients}, nil, nil, status.NotAuthenticated},
		{"SignHash of a missing key", d.Socket, wire.Header{Opcode: parsec.OpPsaSignHash, Provider: parsec.ProviderMbedCrypto, AuthType: parsec.AuthDirect, Session: sess}, signBody, app, status.PsaErrorDoesNotExist},
	}
	for _, c := range cases {
		got := wxExchange(t, c.socket, wxRequest(t, c.h, c.body, c.auth))
		wxExpect(t, c.name, got, wxReply(c.h, c.want, nil))
	}

	// Flags and the status field of a request are ignored; the session
	// handle is echoed on success.
	h := wire.Header{Opcode: parsec.OpPing, Flags: 0xFFFF, Status: 0x1234, Session: sess}
	wxExpect(t, "Ping with flags and status set", wxExchange(t, d.Socket, wxRequest(t, h, nil, nil)), wxPingOK(sess))
	h = wire.Header{Opcode: parsec.OpPing, AuthType: parsec.AuthDirect, Session: ^uint64(0)}
	wxExpect(t, "authenticated Ping with a session", wxExchange(t, d.Socket, wxRequest(t, h, nil, app)), wxPingOK(^uint64(0)))
	// Auth bytes sent with auth type 0 are ignored.
	h = wire.Header{Opcode: parsec.OpPing}
	wxExpect(t, "Ping with auth bytes and auth type 0", wxExchange(t, d.Socket, wxRequest(t, h, nil, []byte("ignored"))), wxPingOK(0))
	// A successful GenerateKey with a session echoes it too.
	h = wire.Header{Opcode: parsec.OpPsaGenerateKey, Provider: parsec.ProviderMbedCrypto, AuthType: parsec.AuthDirect, Session: sess}
	wxExpect(t, "GenerateKey with a session", wxExchange(t, d.Socket, wxRequest(t, h, genBody("k", &ecc), app)), wxReply(h, status.Success, nil))
	h.Opcode = parsec.OpPsaSignHash
	got := wxDecode(t, "SignHash with a session", wxExchange(t, d.Socket, wxRequest(t, h, signBody, app)).reply)
	if got.Header.Status != status.Success || got.Header.Session != sess || got.Header.Opcode != parsec.OpPsaSignHash || got.Header.Provider != parsec.ProviderMbedCrypto {
		t.Errorf("SignHash with a session: header %+v", got.Header)
	}
	wxCheckServing(t, d.Socket)
	wxCheckServing(t, u.Socket)
}

// A header announcing more body or auth bytes than are sent is answered
// with ConnectionError once the listener timeout (200 ms) expires.
func TestWireShortBodyTimesOut(t *testing.T) {
	t.Parallel()
	d := NewDaemon(t, Options{Timeout: 200}).Start()
	for _, c := range []struct {
		name string
		h    wire.Header
	}{
		{"body_len 0xFFFF", wire.Header{Opcode: parsec.OpPing, BodyLen: 0xFFFF}},
		{"auth_len 0xFFFF", wire.Header{Opcode: parsec.OpPing, AuthType: parsec.AuthDirect, AuthLen: 0xFFFF}},
	} {
		start := time.Now()
		got := wxExchange(t, d.Socket, wire.AppendHeader(nil, c.h))
		el := time.Since(start)
		wxExpect(t, c.name, got, wxDefault(status.ConnectionError))
		if el < 100*time.Millisecond || el > 10*time.Second {
			t.Errorf("%s: answered after %v, expected about the 200 ms listener timeout", c.name, el)
		}
	}
	wxCheckServing(t, d.Socket)
}

// Every request vector 01–27, in the manifest's order, against one Direct
// daemon; where our answer is deterministic it must equal the golden
// response vector byte for byte. Then a second pass provokes the error
// vectors 45–53 and 61 and the remaining deterministic results.
func TestWireRequestVectors(t *testing.T) {
	t.Parallel()
	m := wvLoad(t)
	d := NewDaemon(t, Options{Timeout: RawTimeout}).Start()
	appName := m.FixedInputs["app_name"].(string)

	type expect struct {
		code status.Code
		resp int // response vector to compare with byte for byte (0: none)
	}
	// What each request vector must get, in manifest order. 17 destroys
	// vec-ecc-p256, so 18 and 20 find no key; the second pass redoes them.
	want := map[int]expect{
		1: {0, 28}, 2: {0, 28}, 3: {status.AuthenticatorNotRegistered, 0}, 4: {0, 0},
		5: {0, 0}, 6: {0, 0}, 7: {0, 0}, 8: {0, 31}, 9: {0, 33},
		10: {status.AuthenticatorNotRegistered, 0}, 11: {status.AdminOperation, 50},
		12: {0, 34}, 13: {0, 34}, 14: {0, 34}, 15: {0, 34},
		16: {0, 0}, 17: {0, 36}, 18: {status.PsaErrorDoesNotExist, 46}, 19: {0, 0},
		20: {status.PsaErrorDoesNotExist, 0}, 21: {0, 0}, 22: {0, 0},
		23: {status.PsaErrorInvalidPadding, 0}, 24: {0, 43}, 25: {0, 0}, 26: {0, 35}, 27: {0, 35},
	}
	results := map[int]*wire.Response{}
	send := func(what string, frame []byte, w expect) *wire.Response {
		t.Helper()
		got := wxExchange(t, d.Socket, frame)
		if got.end != nil {
			t.Errorf("%s: connection ended with %v instead of EOF", what, got.end)
		}
		resp := wxDecode(t, what, got.reply)
		if resp.Header.Status != w.code {
			t.Errorf("%s: status %v, want %v", what, resp.Header.Status, w.code)
			return resp
		}
		// Echo rules hold for every answer to a well-formed request.
		req, err := wire.ReadRequest(bytes.NewReader(frame), wire.Limits{BodyLen: wire.DefaultBodyLimit})
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		body := resp.Body
		if w.code != 0 {
			body = nil
		}
		if exp := wxReply(req.Header, w.code, body); !bytes.Equal(got.reply, exp) {
			t.Errorf("%s: reply does not echo the request header:\n got  %x\n want %x", what, got.reply, exp)
		}
		if w.resp != 0 {
			if golden := m.vec(t, w.resp).bytes; !bytes.Equal(got.reply, golden) {
				t.Errorf("%s: reply differs from golden vector %s:\n got  %x\n want %x", what, m.vec(t, w.resp).File, got.reply, golden)
			}
		}
		return resp
	}
	var order []int
	for _, v := range m.Vectors {
		if v.Kind != "request" {
			continue
		}
		var n int
		fmt.Sscanf(v.File, "%d_", &n)
		order = append(order, n)
		w, ok := want[n]
		if !ok {
			t.Fatalf("no expectation for request vector %s", v.File)
		}
		results[n] = send(v.File, v.bytes, w)
	}
	if len(order) != 27 {
		t.Fatalf("%d request vectors in the manifest, want 27", len(order))
	}

	// Spot checks of the non-deterministic successes of the first pass.
	if p := results[4]; p.Header.Session != 0x0102030405060708 || !bytes.Equal(p.Body, []byte{8, 1}) {
		t.Errorf("04 ping with session: %+v %x", p.Header, p.Body)
	}
	var exp psaexportpublickey.Result
	if err := pbwire.Unmarshal(results[16].Body, &exp); err != nil || len(exp.Data) != 65 || exp.Data[0] != 4 {
		t.Errorf("16 export: %x (%v)", results[16].Body, err)
	}
	var enc1, enc2 psaasymmetricencrypt.Result
	if err := pbwire.Unmarshal(results[21].Body, &enc1); err != nil || len(enc1.Ciphertext) != 256 {
		t.Errorf("21 encrypt: %d-byte ciphertext (%v)", len(enc1.Ciphertext), err)
	}
	if err := pbwire.Unmarshal(results[22].Body, &enc2); err != nil || len(enc2.Ciphertext) != 256 {
		t.Errorf("22 encrypt: %d-byte ciphertext (%v)", len(enc2.Ciphertext), err)
	}
	var rnd psageneraterandom.Result
	if err := pbwire.Unmarshal(results[25].Body, &rnd); err != nil || len(rnd.RandomBytes) != 32 {
		t.Errorf("25 random: %x (%v)", results[25].Body, err)
	}

	// ---- second pass: frames derived from the vectors ----
	auth := []byte(appName)
	hashIn := m.vec(t, 18).inputHex(t, "hash_hex")
	reqFrame := func(h wire.Header, msg pbwire.Message) []byte {
		b, err := pbwire.Marshal(msg)
		if err != nil {
			t.Fatal(err)
		}
		h.AuthType = parsec.AuthDirect
		return wxRequest(t, h, b, auth)
	}
	mbed := func(op parsec.Opcode) wire.Header {
		return wire.Header{Provider: parsec.ProviderMbedCrypto, Opcode: op}
	}
	// Re-create vec-ecc-p256, then a second generate is AlreadyExists.
	send("12 again", m.vec(t, 12).bytes, expect{0, 34})
	send("12 once more", m.vec(t, 12).bytes, expect{status.PsaErrorAlreadyExists, 45})
	// 18 now signs; the signature verifies with the exported key.
	sig := send("18 again", m.vec(t, 18).bytes, expect{0, 0})
	var sr psasignhash.Result
	if err := pbwire.Unmarshal(sig.Body, &sr); err != nil {
		t.Fatal(err)
	}
	pubResp := send("16 again", m.vec(t, 16).bytes, expect{0, 0})
	if err := pbwire.Unmarshal(pubResp.Body, &exp); err != nil {
		t.Fatal(err)
	}
	if !verifyP256(parseP256(t, exp.Data), hashIn, sr.Signature) {
		t.Errorf("signature from vector 18 does not verify with the key exported by vector 16")
	}
	// 20's signature bytes are not a valid signature.
	send("20 again", m.vec(t, 20).bytes, expect{status.PsaErrorInvalidSignature, 48})
	// The real signature verifies: golden 40.
	send("verify a real signature", reqFrame(mbed(parsec.OpPsaVerifyHash), &psaverifyhash.Operation{
		KeyName: "vec-ecc-p256", Alg: psa.AsymSignToProto(eccAlg), Hash: hashIn, Signature: sr.Signature}), expect{0, 40})
	// The verify-only key may not sign: golden 47.
	send("sign with vec-ecc-verify-only", reqFrame(mbed(parsec.OpPsaSignHash), &psasignhash.Operation{
		KeyName: "vec-ecc-verify-only", Alg: psa.AsymSignToProto(eccAlg), Hash: hashIn}), expect{status.PsaErrorNotPermitted, 47})
	// RSA signature of vector 19 verifies with crypto/rsa.
	rsaPubResp := send("export vec-rsa-sign", reqFrame(mbed(parsec.OpPsaExportPublicKey), &psaexportpublickey.Operation{KeyName: "vec-rsa-sign"}), expect{0, 0})
	var rsaPub psaexportpublickey.Result
	_ = pbwire.Unmarshal(rsaPubResp.Body, &rsaPub)
	var rsaSig psasignhash.Result
	_ = pbwire.Unmarshal(results[19].Body, &rsaSig)
	if err := rsa.VerifyPKCS1v15(parseRSAPub(t, rsaPub.Data), crypto.SHA256, m.vec(t, 19).inputHex(t, "hash_hex"), rsaSig.Signature); err != nil {
		t.Errorf("RSA signature of vector 19: %v", err)
	}
	// Imported public keys export back exactly: golden 37 and 38.
	send("export vec-ecc-pub", reqFrame(mbed(parsec.OpPsaExportPublicKey), &psaexportpublickey.Operation{KeyName: "vec-ecc-pub"}), expect{0, 37})
	send("export vec-rsa-pub", reqFrame(mbed(parsec.OpPsaExportPublicKey), &psaexportpublickey.Operation{KeyName: "vec-rsa-pub"}), expect{0, 38})
	// The ciphertexts of 21 and 22 decrypt to "hello parsec": golden 42.
	oaep := psa.AsymEncryptToProto(psa.AsymEncrypt{Kind: psa.EncRsaOaep, Hash: psa.HashSHA256})
	send("decrypt 21's ciphertext", reqFrame(mbed(parsec.OpPsaAsymmetricDecrypt), &psaasymmetricdecrypt.Operation{
		KeyName: "vec-rsa-oaep", Alg: oaep, Ciphertext: enc1.Ciphertext}), expect{0, 42})
	send("decrypt 22's ciphertext with its label", reqFrame(mbed(parsec.OpPsaAsymmetricDecrypt), &psaasymmetricdecrypt.Operation{
		KeyName: "vec-rsa-oaep", Alg: oaep, Ciphertext: enc2.Ciphertext, Salt: []byte("label")}), expect{0, 42})
	send("decrypt 22's ciphertext without its label", reqFrame(mbed(parsec.OpPsaAsymmetricDecrypt), &psaasymmetricdecrypt.Operation{
		KeyName: "vec-rsa-oaep", Alg: oaep, Ciphertext: enc2.Ciphertext}), expect{status.PsaErrorInvalidPadding, 0})

	// Header mutations of vectors, compared with the error vectors.
	strip := func(frame []byte) []byte { // auth type 0, auth removed
		req, err := wire.ReadRequest(bytes.NewReader(frame), wire.Limits{BodyLen: wire.DefaultBodyLimit})
		if err != nil {
			t.Fatal(err)
		}
		req.Header.AuthType = parsec.AuthNone
		return wxRequest(t, req.Header, req.Body, nil)
	}
	withHeader := func(frame []byte, f func(*wire.Header), body, auth []byte) []byte {
		req, err := wire.ReadRequest(bytes.NewReader(frame), wire.Limits{BodyLen: wire.DefaultBodyLimit})
		if err != nil {
			t.Fatal(err)
		}
		f(&req.Header)
		if body == nil {
			body = req.Body
		}
		if auth == nil {
			auth = req.Auth
		}
		return wxRequest(t, req.Header, body, auth)
	}
	send("12 without authentication", strip(m.vec(t, 12).bytes), expect{status.NotAuthenticated, 49})
	send("09 with an empty Direct name", withHeader(m.vec(t, 9).bytes, func(*wire.Header) {}, nil, []byte{}), expect{status.AuthenticationError, 51})
	send("25 to provider 2", withHeader(m.vec(t, 25).bytes, func(h *wire.Header) { h.Provider = parsec.ProviderPkcs11 }, nil, nil), expect{status.ProviderNotRegistered, 52})
	send("25 to provider 0", withHeader(m.vec(t, 25).bytes, func(h *wire.Header) { h.Provider = parsec.ProviderCore }, nil, nil), expect{status.PsaErrorNotSupported, 53})
	send("25 with a mangled body", withHeader(m.vec(t, 25).bytes, func(*wire.Header) {}, []byte{0x11, 0x22, 0x33, 0x44, 0x55}, nil), expect{status.DeserializingBodyFailed, 61})
	send("11 again (still not an admin)", m.vec(t, 11).bytes, expect{status.AdminOperation, 50})

	// Another application owning only vector 12's key lists it exactly as
	// golden 32 (ListKeys with one key, attributes as generated).
	other := []byte("vec-other-app")
	send("12 as another app", withHeader(m.vec(t, 12).bytes, func(*wire.Header) {}, nil, other), expect{0, 34})
	send("09 as another app", withHeader(m.vec(t, 9).bytes, func(*wire.Header) {}, nil, other), expect{0, 32})
	send("17 as another app", withHeader(m.vec(t, 17).bytes, func(*wire.Header) {}, nil, other), expect{0, 36})

	// Destroy everything the vectors created; ListKeys is empty again (33).
	for _, k := range []string{"vec-ecc-p256", "vec-rsa-sign", "vec-rsa-oaep", "vec-ecc-verify-only", "vec-ecc-pub", "vec-rsa-pub"} {
		send("destroy "+k, reqFrame(mbed(parsec.OpPsaDestroyKey), &psadestroykey.Operation{KeyName: k}), expect{0, 36})
	}
	send("09 at the end", m.vec(t, 9).bytes, expect{0, 33})
	wxCheckServing(t, d.Socket)
}

// wfTrailing reports whether in holds more bytes than its header announces.
func wfTrailing(in []byte) bool {
	if len(in) < wire.HeaderLen {
		return false
	}
	le := binary.LittleEndian
	return len(in) > wire.HeaderLen+int(le.Uint32(in[22:26]))+int(le.Uint16(in[26:28]))
}

// Bad input of every kind never stops the daemon; 200 random byte strings
// each get a well-formed status reply or a clean EOF.
func TestWireFuzz(t *testing.T) {
	t.Parallel()
	d := NewDaemon(t, Options{Core: "thread_pool_size = 32", Timeout: RawTimeout}).Start()
	rng := rand.New(rand.NewSource(20240601))
	inputs := make([][]byte, 200)
	for i := range inputs {
		b := make([]byte, rng.Intn(201))
		rng.Read(b)
		if i%2 == 0 && len(b) >= 4 {
			binary.LittleEndian.PutUint32(b, wire.Magic)
			// Most of them also get a plausible header, to reach deeper checks.
			if len(b) >= 8 && rng.Intn(4) != 0 {
				binary.LittleEndian.PutUint16(b[4:], wire.HeaderSize)
				b[6], b[7] = 1, 0
				if len(b) >= 36 && rng.Intn(2) == 0 {
					b[34], b[35] = 0, 0
					b[19], b[20] = 0, 0
				}
			}
		}
		inputs[i] = b
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	errs := make([]string, len(inputs))
	for i, in := range inputs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			c, err := net.Dial("unix", d.Socket)
			if err != nil {
				errs[i] = fmt.Sprintf("dial: %v", err)
				return
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(20 * time.Second))
			_, _ = c.Write(in)
			got := wxReadAll(c)
			if len(got.reply) == 0 {
				if got.end != nil {
					errs[i] = fmt.Sprintf("no reply and %v instead of EOF", got.end)
				}
				return
			}
			r := bytes.NewReader(got.reply)
			resp, err := wire.ReadResponse(r, 0)
			switch {
			case err != nil:
				errs[i] = fmt.Sprintf("reply %x is not a response: %v", got.reply, err)
			case r.Len() != 0:
				errs[i] = fmt.Sprintf("%d bytes after the reply", r.Len())
			case resp.Header.Status == status.Success && resp.Header.Opcode != parsec.OpPing:
				errs[i] = fmt.Sprintf("random bytes succeeded as %v", resp.Header.Opcode)
			case got.end != nil && wfTrailing(in) && !errors.Is(got.end, os.ErrDeadlineExceeded):
				// A complete request followed by junk sees a reset after
				// its reply (the daemon drains only after early
				// rejections); anything else must end in EOF.
			case got.end != nil:
				errs[i] = fmt.Sprintf("status %v then %v instead of EOF", resp.Header.Status, got.end)
			}
		}()
	}
	wg.Wait()
	for i, e := range errs {
		if e != "" {
			t.Errorf("input %d (%x): %s", i, inputs[i], e)
		}
	}
	wxCheckServing(t, d.Socket)
	if _, _, err := d.Client().Ping(context.Background()); err != nil {
		t.Errorf("Ping after fuzzing: %v", err)
	}
}
