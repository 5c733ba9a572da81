// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package wire_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/src/wire"
	"github.com/parsecd/parsecd/test/testvectors"
)

// Offsets of the request header fields (facts §1.2).
const (
	offMagic      = 0
	offHdrSize    = 4
	offVerMaj     = 6
	offVerMin     = 7
	offFlags      = 8
	offProvider   = 10
	offSession    = 11
	offContent    = 19
	offAccept     = 20
	offAuthType   = 21
	offBodyLen    = 22
	offAuthLen    = 26
	offOpcode     = 28
	offStatus     = 32
	offReserved1  = 34
	offReserved2  = 35
	testBodyLimit = 64
)

// pingHeader is the minimal unauthenticated Ping request of facts §1.2,
// written out byte by byte rather than with AppendHeader.
func pingHeader() []byte {
	return []byte{
		0x10, 0xA7, 0xC0, 0x5E, // magic
		0x1E, 0x00, // header size 30
		0x01, 0x00, // version 1.0
		0x00, 0x00, // flags
		0x00,                                           // provider
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // session
		0x00,                   // content type
		0x00,                   // accept type
		0x00,                   // auth type
		0x00, 0x00, 0x00, 0x00, // body length
		0x00, 0x00, // auth length
		0x01, 0x00, 0x00, 0x00, // opcode Ping
		0x00, 0x00, // status
		0x00, // reserved1
		0x00, // reserved2
	}
}

// frame builds a request: a Ping header edited by edit, then tail.
func frame(edit func(h []byte), tail ...byte) []byte {
	h := pingHeader()
	if edit != nil {
		edit(h)
	}
	return append(h, tail...)
}

func set8(off int, v byte) func([]byte) { return func(h []byte) { h[off] = v } }
func set16(off int, v uint16) func([]byte) {
	return func(h []byte) { binary.LittleEndian.PutUint16(h[off:], v) }
}
func set32(off int, v uint32) func([]byte) {
	return func(h []byte) { binary.LittleEndian.PutUint32(h[off:], v) }
}
func all(edits ...func([]byte)) func([]byte) {
	return func(h []byte) {
		for _, e := range edits {
			e(h)
		}
	}
}

// strictReader serves data but fails the test if the reader asks for
// anything beyond the first allowed bytes.
type strictReader struct {
	t       *testing.T
	data    []byte
	allowed int
	pos     int
}

func (r *strictReader) Read(p []byte) (int, error) {
	if r.pos >= r.allowed {
		r.t.Errorf("read past byte %d (the reader should have stopped there)", r.allowed)
		return 0, errors.New("read past the allowed prefix")
	}
	n := copy(p, r.data[r.pos:min(len(r.data), r.allowed)])
	r.pos += n
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

func TestReadRequestChecks(t *testing.T) {
	// header size 40: 40 bytes after the size field, all valid-looking.
	big := frame(set16(offHdrSize, 40))
	big = append(big, make([]byte, 10)...)
	tests := []struct {
		name     string
		in       []byte
		want     status.Code
		consumed int // bytes ReadRequest must have read; -1 = don't check
	}{
		{"valid ping", frame(nil), status.Success, 36},
		// step 1
		{"bad magic", frame(set32(offMagic, 0xDEADBEEF), make([]byte, 100)...), status.InvalidHeader, 4},
		{"magic truncated", []byte{0x10, 0xA7}, status.ConnectionError, -1},
		{"empty stream", nil, status.ConnectionError, -1},
		// step 2
		{"header size 0", frame(set16(offHdrSize, 0)), status.InvalidHeader, 6},
		{"header size 10 (smaller)", frame(set16(offHdrSize, 10)), status.InvalidHeader, 16},
		{"header size 29", frame(set16(offHdrSize, 29)), status.InvalidHeader, 35},
		{"header size 40 (bigger) reads 40 bytes first", big, status.InvalidHeader, 46},
		{"header size 40 but only 30 sent", frame(set16(offHdrSize, 40)), status.ConnectionError, -1},
		{"header size 0xFFFF but only 30 sent", frame(set16(offHdrSize, 0xFFFF)), status.ConnectionError, -1},
		{"header truncated", frame(nil)[:20], status.ConnectionError, -1},
		// step 3
		{"version 2.0", frame(set8(offVerMaj, 2)), status.WireProtocolVersionNotSupported, 36},
		{"version 1.1", frame(set8(offVerMin, 1)), status.WireProtocolVersionNotSupported, 36},
		{"version 0.0", frame(set8(offVerMaj, 0)), status.WireProtocolVersionNotSupported, 36},
		{"version 2.0 before reserved", frame(all(set8(offVerMaj, 2), set8(offReserved1, 1))), status.WireProtocolVersionNotSupported, 36},
		// step 4
		{"reserved1 non-zero", frame(set8(offReserved1, 1)), status.InvalidHeader, 36},
		{"reserved2 non-zero", frame(set8(offReserved2, 0x80)), status.InvalidHeader, 36},
		{"reserved before body size", frame(all(set8(offReserved2, 1), set32(offBodyLen, 1<<30))), status.InvalidHeader, 36},
		// step 5 (the body limit of this table is testBodyLimit)
		{"body len limit+1", frame(set32(offBodyLen, testBodyLimit+1), make([]byte, testBodyLimit+1)...), status.BodySizeExceedsLimit, 36},
		{"body len 0xFFFFFFFF", frame(set32(offBodyLen, 0xFFFFFFFF)), status.BodySizeExceedsLimit, 36},
		{"body too large before content type", frame(all(set32(offBodyLen, testBodyLimit+1), set8(offContent, 1))), status.BodySizeExceedsLimit, 36},
		{"body len = limit accepted", frame(set32(offBodyLen, testBodyLimit), make([]byte, testBodyLimit)...), status.Success, 36 + testBodyLimit},
		// step 6
		{"short body", frame(set32(offBodyLen, 10), 1, 2, 3), status.ConnectionError, -1},
		{"0xFFFF body over a 64-byte limit", frame(set32(offBodyLen, 0xFFFF)), status.BodySizeExceedsLimit, 36},
		{"announced 60-byte body, nothing sent", frame(set32(offBodyLen, 60)), status.ConnectionError, -1},
		{"short auth", frame(all(set8(offAuthType, 1), set16(offAuthLen, 8)), 'a', 'b'), status.ConnectionError, -1},
		{"announced 0xFFFF auth, nothing sent", frame(set16(offAuthLen, 0xFFFF)), status.ConnectionError, -1},
		{"short body before content type", frame(all(set32(offBodyLen, 4), set8(offContent, 1))), status.ConnectionError, -1},
		{"body and auth read exactly", frame(all(set32(offBodyLen, 2), set8(offAuthType, 1), set16(offAuthLen, 3)), 8, 1, 'a', 'p', 'p', 0xEE), status.Success, 41},
		// step 7
		{"content type 1", frame(set8(offContent, 1)), status.ContentTypeNotSupported, 36},
		{"content type before accept type", frame(all(set8(offContent, 1), set8(offAccept, 1))), status.ContentTypeNotSupported, 36},
		{"content type checked after body read", frame(all(set8(offContent, 1), set32(offBodyLen, 2)), 8, 1), status.ContentTypeNotSupported, 38},
		// step 8
		{"accept type 1", frame(set8(offAccept, 1)), status.AcceptTypeNotSupported, 36},
		{"accept type before auth type", frame(all(set8(offAccept, 1), set8(offAuthType, 5))), status.AcceptTypeNotSupported, 36},
		// step 9
		{"auth type 5", frame(set8(offAuthType, 5)), status.AuthenticatorDoesNotExist, 36},
		{"auth type 0xFF", frame(set8(offAuthType, 0xFF)), status.AuthenticatorDoesNotExist, 36},
		{"auth type before opcode", frame(all(set8(offAuthType, 5), set32(offOpcode, 0))), status.AuthenticatorDoesNotExist, 36},
		{"auth type 2 (JWT) passes the wire", frame(set8(offAuthType, 2)), status.Success, 36},
		{"auth type 4 (JwtSvid) passes the wire", frame(set8(offAuthType, 4)), status.Success, 36},
		// step 10
		{"opcode 0", frame(set32(offOpcode, 0)), status.OpcodeDoesNotExist, 36},
		{"opcode 0x1D", frame(set32(offOpcode, 0x1D)), status.OpcodeDoesNotExist, 36},
		{"opcode 0x21", frame(set32(offOpcode, 0x21)), status.OpcodeDoesNotExist, 36},
		{"opcode 0x7FFF", frame(set32(offOpcode, 0x7FFF)), status.OpcodeDoesNotExist, 36},
		{"opcode 0x10001", frame(set32(offOpcode, 0x10001)), status.OpcodeDoesNotExist, 36},
		{"opcode before provider", frame(all(set32(offOpcode, 0), set8(offProvider, 6))), status.OpcodeDoesNotExist, 36},
		{"opcode 0x20 known", frame(set32(offOpcode, 0x20)), status.Success, 36},
		// step 11
		{"provider 6", frame(set8(offProvider, 6)), status.ProviderDoesNotExist, 36},
		{"provider 200", frame(set8(offProvider, 200)), status.ProviderDoesNotExist, 36},
		{"provider 5 known", frame(set8(offProvider, 5)), status.Success, 36},
		// flags and status are never validated
		{"flags ignored", frame(set16(offFlags, 0xFFFF)), status.Success, 36},
		{"status ignored", frame(set16(offStatus, 0xFFFF)), status.Success, 36},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := bytes.NewReader(tt.in)
			req, err := wire.ReadRequest(r, wire.Limits{BodyLen: testBodyLimit})
			if got := status.CodeOf(err); got != tt.want {
				t.Fatalf("status = %v (err %v), want %v", got, err, tt.want)
			}
			if (err == nil) != (req != nil) {
				t.Fatalf("req = %v with err = %v", req, err)
			}
			if tt.consumed >= 0 {
				if got := len(tt.in) - r.Len(); got != tt.consumed {
					t.Errorf("consumed %d bytes, want %d", got, tt.consumed)
				}
			}
		})
	}
}

// Step 5: a body over the limit is refused without reading a single body byte.
func TestReadRequestBodyTooLargeReadsOnlyHeader(t *testing.T) {
	for _, limit := range []uint32{0, 1, wire.DefaultBodyLimit} {
		in := frame(set32(offBodyLen, limit+1), make([]byte, 64)...)
		r := &strictReader{t: t, data: in, allowed: wire.HeaderLen}
		_, err := wire.ReadRequest(r, wire.Limits{BodyLen: limit})
		if got := status.CodeOf(err); got != status.BodySizeExceedsLimit {
			t.Errorf("limit %d: status %v (%v), want BodySizeExceedsLimit", limit, got, err)
		}
	}
	// Also with the manifest's vector (default limit + 1).
	in := frame(set32(offBodyLen, wire.DefaultBodyLimit+1))
	r := &strictReader{t: t, data: in, allowed: wire.HeaderLen}
	if _, err := wire.ReadRequest(r, wire.Limits{BodyLen: wire.DefaultBodyLimit}); status.CodeOf(err) != status.BodySizeExceedsLimit {
		t.Errorf("default limit: %v", err)
	}
}

// Step 1: after a bad magic nothing else is read.
func TestReadRequestBadMagicReadsFourBytes(t *testing.T) {
	in := frame(set32(offMagic, 0))
	r := &strictReader{t: t, data: in, allowed: 4}
	if _, err := wire.ReadRequest(r, wire.Limits{BodyLen: 1024}); status.CodeOf(err) != status.InvalidHeader {
		t.Errorf("status %v, want InvalidHeader", err)
	}
}

func TestReadRequestFields(t *testing.T) {
	in := frame(all(
		set16(offFlags, 0xABCD), set8(offProvider, 3),
		func(h []byte) { binary.LittleEndian.PutUint64(h[offSession:], 0x0102030405060708) },
		set8(offAuthType, 3), set32(offBodyLen, 2), set16(offAuthLen, 4),
		set32(offOpcode, uint32(parsec.OpPsaGenerateRandom)), set16(offStatus, 1234),
	), 0x08, 0x20, 0xE8, 0x03, 0x00, 0x00, 0x99)
	req, err := wire.ReadRequest(bytes.NewReader(in), wire.Limits{BodyLen: 16})
	if err != nil {
		t.Fatal(err)
	}
	want := wire.Header{Flags: 0xABCD, Provider: parsec.ProviderTpm, Session: 0x0102030405060708,
		AuthType: parsec.AuthUnixPeerCredentials, BodyLen: 2, AuthLen: 4, Opcode: parsec.OpPsaGenerateRandom, Status: 1234}
	if req.Header != want {
		t.Errorf("header = %+v\nwant     %+v", req.Header, want)
	}
	if !bytes.Equal(req.Body, []byte{0x08, 0x20}) || !bytes.Equal(req.Auth, []byte{0xE8, 3, 0, 0}) {
		t.Errorf("body %x auth %x", req.Body, req.Auth)
	}
}

func TestRequestRoundTrip(t *testing.T) {
	reqs := []*wire.Request{
		{Header: wire.Header{Opcode: parsec.OpPing}},
		{Header: wire.Header{Opcode: parsec.OpPing, Flags: 7, Status: 9}},
		{Header: wire.Header{Provider: parsec.ProviderMbedCrypto, Session: ^uint64(0), AuthType: parsec.AuthDirect, Opcode: parsec.OpPsaSignHash},
			Body: []byte("some body bytes"), Auth: []byte("app")},
		{Header: wire.Header{Provider: parsec.ProviderCryptoAuthLib, AuthType: parsec.AuthJwtSvid, Opcode: parsec.OpCanDoCrypto},
			Body: make([]byte, 1000), Auth: bytes.Repeat([]byte{1}, 0xFFFF)},
		// Lengths in the header are recomputed from Body and Auth.
		{Header: wire.Header{Opcode: parsec.OpListKeys, BodyLen: 99, AuthLen: 99}, Body: []byte{1}},
	}
	for i, in := range reqs {
		b, err := wire.EncodeRequest(in)
		if err != nil {
			t.Fatalf("#%d: %v", i, err)
		}
		if len(b) != wire.HeaderLen+len(in.Body)+len(in.Auth) {
			t.Errorf("#%d: frame is %d bytes", i, len(b))
		}
		out, err := wire.ReadRequest(bytes.NewReader(b), wire.Limits{BodyLen: wire.DefaultBodyLimit})
		if err != nil {
			t.Fatalf("#%d: %v", i, err)
		}
		want := in.Header
		want.BodyLen, want.AuthLen = uint32(len(in.Body)), uint16(len(in.Auth))
		if out.Header != want {
			t.Errorf("#%d: header %+v, want %+v", i, out.Header, want)
		}
		if !bytes.Equal(out.Body, in.Body) || !bytes.Equal(out.Auth, in.Auth) {
			t.Errorf("#%d: body/auth differ", i)
		}
	}
	if _, err := wire.EncodeRequest(&wire.Request{Header: wire.Header{Opcode: parsec.OpPing}, Auth: make([]byte, 0x10000)}); err == nil {
		t.Error("EncodeRequest accepted a 65536-byte auth field")
	}
}

func TestEncodeRequestMatchesFactsExample(t *testing.T) {
	b, err := wire.EncodeRequest(&wire.Request{Header: wire.Header{Opcode: parsec.OpPing}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, pingHeader()) {
		t.Errorf("got  %x\nwant %x", b, pingHeader())
	}
}

func TestResponseRoundTrip(t *testing.T) {
	resp := &wire.Response{Header: wire.Header{Provider: 1, Session: 42, Opcode: parsec.OpPsaExportPublicKey, Status: status.PsaErrorDoesNotExist,
		AuthLen: 7, BodyLen: 1}, Body: []byte{1, 2, 3}}
	b := wire.EncodeResponse(resp)
	if len(b) != wire.HeaderLen+3 {
		t.Fatalf("frame is %d bytes", len(b))
	}
	if got := binary.LittleEndian.Uint16(b[offAuthLen:]); got != 0 {
		t.Errorf("auth length %d in a response", got)
	}
	out, err := wire.ReadResponse(bytes.NewReader(b), 0)
	if err != nil {
		t.Fatal(err)
	}
	want := resp.Header
	want.BodyLen, want.AuthLen = 3, 0
	if out.Header != want || !bytes.Equal(out.Body, resp.Body) {
		t.Errorf("got %+v %x", out.Header, out.Body)
	}

	// Default response of facts §1.4 steps 1–11.
	d := wire.EncodeResponse(wire.DefaultResponse(status.InvalidHeader))
	want2 := pingHeader()
	binary.LittleEndian.PutUint16(want2[offStatus:], uint16(status.InvalidHeader))
	if !bytes.Equal(d, want2) {
		t.Errorf("default response %x\nwant             %x", d, want2)
	}

	// ReplyTo echoes provider, session, opcode; content type = accept type.
	req := &wire.Request{Header: wire.Header{Flags: 3, Provider: 2, Session: 77, ContentType: 0, AcceptType: 0,
		AuthType: parsec.AuthDirect, BodyLen: 5, AuthLen: 3, Opcode: parsec.OpListKeys, Status: 12}}
	r := wire.ReplyTo(req, status.AdminOperation, []byte{9})
	wantH := wire.Header{Provider: 2, Session: 77, Opcode: parsec.OpListKeys, Status: status.AdminOperation}
	if r.Header != wantH || !bytes.Equal(r.Body, []byte{9}) {
		t.Errorf("ReplyTo = %+v", r)
	}
	req.Header.AcceptType = 5
	if r := wire.ReplyTo(req, 0, nil); r.Header.ContentType != 5 {
		t.Errorf("ReplyTo content type %d, want the accept type 5", r.Header.ContentType)
	}
}

func TestReadResponseErrors(t *testing.T) {
	good := wire.EncodeResponse(&wire.Response{Header: wire.Header{Opcode: parsec.OpPing}, Body: []byte{8, 1}})
	edit := func(f func([]byte)) []byte { b := bytes.Clone(good); f(b); return b }
	tests := []struct {
		name    string
		in      []byte
		maxBody uint32
		want    status.Code
	}{
		{"ok", good, 0, status.Success},
		{"ok at max", good, 2, status.Success},
		{"too large", good, 1, status.ResponseTooLarge},
		{"bad magic", edit(set32(offMagic, 1)), 0, status.InvalidHeader},
		{"bad header size", edit(set16(offHdrSize, 31)), 0, status.InvalidHeader},
		{"reserved", edit(set8(offReserved1, 1)), 0, status.InvalidHeader},
		{"version", edit(set8(offVerMaj, 2)), 0, status.WireProtocolVersionNotSupported},
		{"short header", good[:30], 0, status.ConnectionError},
		{"short body", good[:37], 0, status.ConnectionError},
	}
	for _, tt := range tests {
		_, err := wire.ReadResponse(bytes.NewReader(tt.in), tt.maxBody)
		if got := status.CodeOf(err); got != tt.want {
			t.Errorf("%s: status %v (%v), want %v", tt.name, got, err, tt.want)
		}
	}
}

// ---------------------------------------------------------------------------
// Golden vectors.

type vector struct {
	Name           string `json:"name"`
	Kind           string `json:"kind"`
	File           string `json:"file"`
	BodyFile       string `json:"body_file"`
	Hex            string `json:"hex"`
	Provider       uint8  `json:"provider"`
	Session        uint64 `json:"session"`
	AuthType       uint8  `json:"auth_type"`
	AuthHex        string `json:"auth_hex"`
	AuthLen        uint16 `json:"auth_len"`
	BodyLen        uint32 `json:"body_len"`
	Opcode         uint32 `json:"opcode"`
	Status         uint16 `json:"status"`
	ExpectedStatus uint16 `json:"expected_status"`
	ExpectedResp   string `json:"expected_response"`
	TotalLen       int    `json:"total_len"`
}

// vectorsDir is the repository's golden vectors directory.
func vectorsDir(t testing.TB) string { return testvectors.Dir(t) }

func loadVectors(t testing.TB) (string, []vector) {
	t.Helper()
	dir := vectorsDir(t)
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Vectors []vector `json:"vectors"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Vectors) == 0 {
		t.Fatal("manifest lists no vectors")
	}
	return dir, m.Vectors
}

func readVectorFile(t testing.TB, dir string, v vector) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, v.File))
	if err != nil {
		t.Fatal(err)
	}
	if h := hex.EncodeToString(b); h != v.Hex {
		t.Fatalf("%s: file content differs from the manifest's hex", v.Name)
	}
	if len(b) != v.TotalLen {
		t.Fatalf("%s: %d bytes, manifest says %d", v.Name, len(b), v.TotalLen)
	}
	return b
}

func readBodyFile(t testing.TB, dir string, v vector) []byte {
	t.Helper()
	if v.BodyFile == "" {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(dir, v.BodyFile))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRequestVectors(t *testing.T) {
	dir, vs := loadVectors(t)
	n := 0
	for _, v := range vs {
		if v.Kind != "request" {
			continue
		}
		n++
		t.Run(v.Name, func(t *testing.T) {
			b := readVectorFile(t, dir, v)
			req, err := wire.ReadRequest(bytes.NewReader(b), wire.Limits{BodyLen: wire.DefaultBodyLimit})
			if err != nil {
				t.Fatal(err)
			}
			h := req.Header
			if uint8(h.Provider) != v.Provider || h.Session != v.Session || uint8(h.AuthType) != v.AuthType ||
				h.BodyLen != v.BodyLen || h.AuthLen != v.AuthLen || uint32(h.Opcode) != v.Opcode ||
				h.ContentType != 0 || h.AcceptType != 0 || h.Flags != 0 || h.Status != 0 {
				t.Errorf("header %+v does not match the manifest %+v", h, v)
			}
			if want := readBodyFile(t, dir, v); !bytes.Equal(req.Body, want) {
				t.Errorf("body %x, want %x", req.Body, want)
			}
			if hex.EncodeToString(req.Auth) != v.AuthHex {
				t.Errorf("auth %x, want %s", req.Auth, v.AuthHex)
			}
			again, err := wire.EncodeRequest(req)
			if err != nil || !bytes.Equal(again, b) {
				t.Errorf("re-encoding differs: %x (%v)", again, err)
			}
		})
	}
	if n == 0 {
		t.Fatal("no request vectors")
	}
}

func TestResponseVectors(t *testing.T) {
	dir, vs := loadVectors(t)
	n := 0
	for _, v := range vs {
		if v.Kind != "response" {
			continue
		}
		n++
		t.Run(v.Name, func(t *testing.T) {
			b := readVectorFile(t, dir, v)
			body := readBodyFile(t, dir, v)
			if uint32(len(body)) != v.BodyLen {
				t.Fatalf("body file is %d bytes, manifest says %d", len(body), v.BodyLen)
			}
			code := status.Code(v.Status)
			var resp *wire.Response
			if v.Provider == 0 && v.Opcode == uint32(parsec.OpPing) && code != status.Success {
				resp = wire.DefaultResponse(code)
			} else {
				req := &wire.Request{Header: wire.Header{Provider: parsec.ProviderID(v.Provider), Session: v.Session,
					Opcode: parsec.Opcode(v.Opcode), AuthType: parsec.AuthDirect, AuthLen: 17, Flags: 0}}
				resp = wire.ReplyTo(req, code, body)
			}
			if got := wire.EncodeResponse(resp); !bytes.Equal(got, b) {
				t.Errorf("EncodeResponse:\n got %x\nwant %x", got, b)
			}
			back, err := wire.ReadResponse(bytes.NewReader(b), 0)
			if err != nil {
				t.Fatal(err)
			}
			if uint8(back.Header.Provider) != v.Provider || uint32(back.Header.Opcode) != v.Opcode ||
				uint16(back.Header.Status) != v.Status || back.Header.Session != v.Session || !bytes.Equal(back.Body, body) {
				t.Errorf("ReadResponse = %+v", back.Header)
			}
		})
	}
	if n == 0 {
		t.Fatal("no response vectors")
	}
}

// Each malformed request gets its expected status, and the default
// response for it is byte for byte the reference service's reply.
func TestMalformedVectors(t *testing.T) {
	dir, vs := loadVectors(t)
	byName := map[string]vector{}
	for _, v := range vs {
		byName[v.Name] = v
	}
	n := 0
	for _, v := range vs {
		if v.Kind != "malformed-request" {
			continue
		}
		n++
		t.Run(v.Name, func(t *testing.T) {
			b := readVectorFile(t, dir, v)
			r := &strictReader{t: t, data: b, allowed: len(b)}
			_, err := wire.ReadRequest(r, wire.Limits{BodyLen: wire.DefaultBodyLimit})
			if got := status.CodeOf(err); got != status.Code(v.ExpectedStatus) {
				t.Fatalf("status %v (%v), want %d", got, err, v.ExpectedStatus)
			}
			exp, ok := byName[v.ExpectedResp]
			if !ok {
				t.Fatalf("expected response %q not in the manifest", v.ExpectedResp)
			}
			want := readVectorFile(t, dir, exp)
			if got := wire.EncodeResponse(wire.DefaultResponse(status.CodeOf(err))); !bytes.Equal(got, want) {
				t.Errorf("reply %x\nwant  %x", got, want)
			}
		})
	}
	if n == 0 {
		t.Fatal("no malformed-request vectors")
	}
}

// ---------------------------------------------------------------------------
// Fuzzing and benchmarks.

func FuzzReadRequest(f *testing.F) {
	dir, vs := loadVectors(f)
	for _, v := range vs {
		if v.Kind == "request" || v.Kind == "malformed-request" {
			b, err := os.ReadFile(filepath.Join(dir, v.File))
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add(pingHeader())
	f.Add(frame(set16(offHdrSize, 40), make([]byte, 20)...))
	f.Add(frame(set32(offBodyLen, 3), 1, 2))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := bytes.NewReader(in)
		req, err := wire.ReadRequest(r, wire.Limits{BodyLen: 1 << 16})
		if err != nil {
			if req != nil {
				t.Fatal("request returned with an error")
			}
			if c := status.CodeOf(err); c == status.Success || !status.Known(c) {
				t.Fatalf("error %v maps to status %v", err, c)
			}
			return
		}
		consumed := len(in) - r.Len()
		out, err := wire.EncodeRequest(req)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, in[:consumed]) {
			t.Fatalf("re-encoded %x\nread       %x", out, in[:consumed])
		}
	})
}

func BenchmarkReadRequest(b *testing.B) {
	dir, vs := loadVectors(b)
	var in []byte
	for _, v := range vs {
		if v.Name == "sign_hash_ecdsa" {
			var err error
			if in, err = os.ReadFile(filepath.Join(dir, v.File)); err != nil {
				b.Fatal(err)
			}
		}
	}
	if in == nil {
		b.Fatal("vector sign_hash_ecdsa missing")
	}
	r := bytes.NewReader(in)
	l := wire.Limits{BodyLen: wire.DefaultBodyLimit}
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		r.Reset(in)
		if _, err := wire.ReadRequest(r, l); err != nil {
			b.Fatal(err)
		}
	}
}

func ExampleReadRequest() {
	req, err := wire.ReadRequest(bytes.NewReader(pingHeader()), wire.Limits{BodyLen: wire.DefaultBodyLimit})
	fmt.Println(req.Header.Opcode, err)
	// Output: Ping <nil>
}

// trickleReader hands out at most chunk bytes per Read and records the
// largest buffer it was given: how much the reader had allocated by then.
type trickleReader struct {
	data   []byte
	chunk  int
	maxBuf int
}

func (r *trickleReader) Read(p []byte) (int, error) {
	r.maxBuf = max(r.maxBuf, len(p))
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.data[:min(r.chunk, len(r.data))])
	r.data = r.data[n:]
	return n, nil
}

// A body announced at the limit but never sent must not cost its announced
// size: the buffer grows with what arrives (issue 13, idle connections).
func TestReadRequestBodyGrowsWithArrivals(t *testing.T) {
	const limit = 1 << 20
	in := frame(set32(offBodyLen, limit), 1, 2, 3)
	r := &trickleReader{data: in, chunk: 1}
	_, err := wire.ReadRequest(r, wire.Limits{BodyLen: limit})
	if status.CodeOf(err) != status.ConnectionError {
		t.Fatalf("status %v, want ConnectionError for a body cut short", err)
	}
	if r.maxBuf > 4096 {
		t.Errorf("a 1 MiB body of which 3 bytes arrived was read into a %d-byte buffer", r.maxBuf)
	}
	// A header announcing 65535 header bytes is discarded as it comes, not buffered.
	r = &trickleReader{data: frame(set16(offHdrSize, 0xFFFF)), chunk: 1 << 20}
	if _, err := wire.ReadRequest(r, wire.Limits{BodyLen: limit}); status.CodeOf(err) != status.ConnectionError {
		t.Fatalf("status %v, want ConnectionError for a header cut short", err)
	}
	if r.maxBuf > 32*1024 {
		t.Errorf("a 64 KiB header size was read into a %d-byte buffer", r.maxBuf)
	}

	// The whole body, however it is cut, arrives intact.
	body := make([]byte, 100_000)
	for i := range body {
		body[i] = byte(i * 7)
	}
	auth := []byte("application")
	for _, chunk := range []int{1, 3, 4096, 5000, 1 << 20} {
		req, err := wire.EncodeRequest(&wire.Request{Header: wire.Header{Opcode: parsec.OpPing, AuthType: parsec.AuthDirect}, Body: body, Auth: auth})
		if err != nil {
			t.Fatal(err)
		}
		got, err := wire.ReadRequest(&trickleReader{data: req, chunk: chunk}, wire.Limits{BodyLen: limit})
		if err != nil {
			t.Fatalf("chunks of %d: %v", chunk, err)
		}
		if !bytes.Equal(got.Body, body) || !bytes.Equal(got.Auth, auth) {
			t.Errorf("chunks of %d: body or auth changed on the way", chunk)
		}
	}
}
