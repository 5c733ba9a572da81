// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package wire reads and writes Parsec wire protocol 1.0 frames: a fixed
// 36-byte little-endian header, a protobuf body and, for requests, an
// authentication field. It checks the header in the order the reference
// service does, so that every malformed request gets the same status code.
package wire

import (
	"encoding/binary"
	"errors"
	"io"

	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/status"
)

// Fixed values of wire protocol 1.0.
const (
	Magic        uint32 = 0x5EC0A710
	HeaderSize   uint16 = 30 // bytes after magic and the size field itself
	HeaderLen           = 36
	VersionMajor uint8  = 1
	VersionMinor uint8  = 0
	// ContentProtobuf is the only body encoding.
	ContentProtobuf uint8 = 0
	// DefaultBodyLimit is core_settings.body_len_limit's default.
	DefaultBodyLimit = 1 << 20
)

// Header is the variable part of a request or response header.
type Header struct {
	Flags       uint16
	Provider    parsec.ProviderID
	Session     uint64
	ContentType uint8
	AcceptType  uint8
	AuthType    parsec.AuthType
	BodyLen     uint32
	AuthLen     uint16
	Opcode      parsec.Opcode
	Status      status.Code
}

// Request is one decoded request frame.
type Request struct {
	Header Header
	Body   []byte
	Auth   []byte
}

// Response is one response frame.
type Response struct {
	Header Header
	Body   []byte
}

// Limits bounds what a request may announce.
type Limits struct {
	BodyLen uint32 // requests announcing more are refused without reading
	// Extra holds the ids of the extra range that name a configured
	// provider: requests may use them. Any other id outside the
	// protocol's is refused as the reference service refuses it.
	Extra map[parsec.ProviderID]bool
}

func early(c status.Code, msg string, cause error) error {
	return &status.Error{Code: c, Msg: msg, Err: cause}
}

// ReadRequest reads one request. Any error it returns carries the status to
// answer with (status.CodeOf), and the answer must use DefaultResponse:
// the request's header is not trusted yet.
func ReadRequest(r io.Reader, l Limits) (*Request, error) {
	var pre [6]byte
	if _, err := io.ReadFull(r, pre[:4]); err != nil {
		return nil, early(status.ConnectionError, "reading magic", err)
	}
	if binary.LittleEndian.Uint32(pre[:4]) != Magic {
		return nil, early(status.InvalidHeader, "bad magic number", nil)
	}
	if _, err := io.ReadFull(r, pre[4:6]); err != nil {
		return nil, early(status.ConnectionError, "reading header size", err)
	}
	// Like the reference service, read as many bytes as announced before
	// judging the size, so a client never sees its header half-consumed.
	// The bytes of a wrong size are discarded as they come rather than
	// buffered: the size is the client's word, up to 64 KiB.
	size := binary.LittleEndian.Uint16(pre[4:6])
	if size != HeaderSize {
		if _, err := io.CopyN(io.Discard, r, int64(size)); err != nil {
			return nil, early(status.ConnectionError, "reading header", err)
		}
		return nil, early(status.InvalidHeader, "header size is not 30", nil)
	}
	var restBuf [HeaderSize]byte
	rest := restBuf[:]
	if _, err := io.ReadFull(r, rest); err != nil {
		return nil, early(status.ConnectionError, "reading header", err)
	}
	if rest[0] != VersionMajor || rest[1] != VersionMinor {
		return nil, early(status.WireProtocolVersionNotSupported, "only wire protocol 1.0 is supported", nil)
	}
	h := decodeHeader(rest)
	if rest[28] != 0 || rest[29] != 0 {
		return nil, early(status.InvalidHeader, "reserved bytes are not zero", nil)
	}
	if h.BodyLen > l.BodyLen {
		return nil, early(status.BodySizeExceedsLimit, "body length above body_len_limit", nil)
	}
	req := &Request{Header: h}
	var err error
	if req.Body, err = readN(r, int(h.BodyLen)); err != nil {
		return nil, early(status.ConnectionError, "reading body", err)
	}
	if req.Auth, err = readN(r, int(h.AuthLen)); err != nil {
		return nil, early(status.ConnectionError, "reading authentication", err)
	}
	switch {
	case h.ContentType != ContentProtobuf:
		return nil, early(status.ContentTypeNotSupported, "content type is not protobuf", nil)
	case h.AcceptType != ContentProtobuf:
		return nil, early(status.AcceptTypeNotSupported, "accept type is not protobuf", nil)
	case !h.AuthType.Known():
		return nil, early(status.AuthenticatorDoesNotExist, "unknown authentication type", nil)
	case !h.Opcode.Known():
		return nil, early(status.OpcodeDoesNotExist, "unknown opcode", nil)
	case !h.Provider.Known() && !l.Extra[h.Provider]:
		return nil, early(status.ProviderDoesNotExist, "unknown provider id", nil)
	}
	return req, nil
}

// readChunk is the first buffer readN allocates for an announced length.
const readChunk = 4096

// readN reads exactly n bytes. The buffer grows with what has arrived (at
// most doubling), not with what was announced: a client that announces a
// megabyte and sends one byte holds a few kilobytes of the daemon's memory,
// not a megabyte, for as long as the read timeout lets it wait.
func readN(r io.Reader, n int) ([]byte, error) {
	buf := make([]byte, 0, min(n, readChunk))
	for len(buf) < n {
		if len(buf) == cap(buf) {
			buf = append(buf, make([]byte, min(n-len(buf), cap(buf)))...)[:len(buf)]
		}
		m, err := r.Read(buf[len(buf):min(n, cap(buf))])
		buf = buf[:len(buf)+m]
		if err != nil && len(buf) < n {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	return buf, nil
}

// decodeHeader reads the 30 bytes after the size field.
func decodeHeader(b []byte) Header {
	le := binary.LittleEndian
	return Header{
		Flags:       le.Uint16(b[2:4]),
		Provider:    parsec.ProviderID(b[4]),
		Session:     le.Uint64(b[5:13]),
		ContentType: b[13],
		AcceptType:  b[14],
		AuthType:    parsec.AuthType(b[15]),
		BodyLen:     le.Uint32(b[16:20]),
		AuthLen:     le.Uint16(b[20:22]),
		Opcode:      parsec.Opcode(le.Uint32(b[22:26])),
		Status:      status.Code(le.Uint16(b[26:28])),
	}
}

// AppendHeader appends the 36 header bytes of h to dst.
func AppendHeader(dst []byte, h Header) []byte {
	le := binary.LittleEndian
	dst = le.AppendUint32(dst, Magic)
	dst = le.AppendUint16(dst, HeaderSize)
	dst = append(dst, VersionMajor, VersionMinor)
	dst = le.AppendUint16(dst, h.Flags)
	dst = append(dst, byte(h.Provider))
	dst = le.AppendUint64(dst, h.Session)
	dst = append(dst, h.ContentType, h.AcceptType, byte(h.AuthType))
	dst = le.AppendUint32(dst, h.BodyLen)
	dst = le.AppendUint16(dst, h.AuthLen)
	dst = le.AppendUint32(dst, uint32(h.Opcode))
	dst = le.AppendUint16(dst, uint16(h.Status))
	return append(dst, 0, 0)
}

// EncodeRequest returns the whole request frame; lengths are taken from Body and Auth.
func EncodeRequest(req *Request) ([]byte, error) {
	if len(req.Auth) > 0xFFFF {
		return nil, errors.New("wire: authentication field longer than 65535 bytes")
	}
	h := req.Header
	h.BodyLen, h.AuthLen = uint32(len(req.Body)), uint16(len(req.Auth))
	out := AppendHeader(make([]byte, 0, HeaderLen+len(req.Body)+len(req.Auth)), h)
	out = append(out, req.Body...)
	return append(out, req.Auth...), nil
}

// EncodeResponse returns the whole response frame; BodyLen is taken from Body
// and the auth length is always zero.
func EncodeResponse(resp *Response) []byte {
	h := resp.Header
	h.BodyLen, h.AuthLen = uint32(len(resp.Body)), 0
	out := AppendHeader(make([]byte, 0, HeaderLen+len(resp.Body)), h)
	return append(out, resp.Body...)
}

// DefaultResponse is the reply to a request refused before its header was
// trusted: provider 0, session 0, opcode Ping, empty body.
func DefaultResponse(c status.Code) *Response {
	return &Response{Header: Header{Opcode: parsec.OpPing, Status: c}}
}

// ReplyTo is the header of the answer to req: provider, session and opcode
// echoed, content type set to what the client accepts.
func ReplyTo(req *Request, c status.Code, body []byte) *Response {
	return &Response{
		Header: Header{
			Provider:    req.Header.Provider,
			Session:     req.Header.Session,
			ContentType: req.Header.AcceptType,
			Opcode:      req.Header.Opcode,
			Status:      c,
		},
		Body: body,
	}
}

// ReadResponse reads one response frame, as clients do.
func ReadResponse(r io.Reader, maxBody uint32) (*Response, error) {
	var b [HeaderLen]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return nil, status.Errorf(status.ConnectionError, "reading response header: %w", err)
	}
	le := binary.LittleEndian
	if le.Uint32(b[:4]) != Magic || le.Uint16(b[4:6]) != HeaderSize || b[34] != 0 || b[35] != 0 {
		return nil, status.Errorf(status.InvalidHeader, "response header is not a Parsec header")
	}
	if b[6] != VersionMajor || b[7] != VersionMinor {
		return nil, status.Errorf(status.WireProtocolVersionNotSupported, "response uses wire protocol %d.%d", b[6], b[7])
	}
	h := decodeHeader(b[6:])
	if maxBody > 0 && h.BodyLen > maxBody {
		return nil, status.Errorf(status.ResponseTooLarge, "response body of %d bytes", h.BodyLen)
	}
	resp := &Response{Header: h, Body: make([]byte, h.BodyLen)}
	if _, err := io.ReadFull(r, resp.Body); err != nil {
		return nil, status.Errorf(status.ConnectionError, "reading response body: %w", err)
	}
	return resp, nil
}
