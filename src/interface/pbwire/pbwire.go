// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package pbwire is the small runtime of the PARSEC operation bodies in
// src/interface/ops: the Message interface their generated code implements
// and the helpers it calls. The codec is generated from our .proto files on
// protowire alone (src/internal/opsgen), so the daemon, client library and CLI
// do not link the reflection runtime of google.golang.org/protobuf (about
// 1 MB of a stripped binary; issue 14). The bytes are those of the official
// runtime for the proto3 subset PARSEC uses: fields in number order, proto3
// defaults left out, repeated scalars packed; unknown fields are skipped on
// decode (as prost, the Rust implementation, does), not kept.
package pbwire

import (
	"errors"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
)

// Message is a generated operation body.
type Message interface {
	// ProtoSize is the length of the encoding.
	ProtoSize() int
	// AppendProto appends the encoding to b; it fails only on a string
	// that is not UTF-8 (proto3 strings are UTF-8 on the wire).
	AppendProto(b []byte) ([]byte, error)
	// UnmarshalProto replaces the message with the decoding of b.
	UnmarshalProto(b []byte) error
}

// Marshal encodes m, as proto.Marshal does.
func Marshal(m Message) ([]byte, error) {
	n := m.ProtoSize()
	if n == 0 {
		return nil, nil
	}
	return m.AppendProto(make([]byte, 0, n))
}

// Unmarshal decodes b into m, as proto.Unmarshal does.
func Unmarshal(b []byte, m Message) error {
	return m.UnmarshalProto(b)
}

// ErrInvalidUTF8 is the error of a string field that is not UTF-8.
var ErrInvalidUTF8 = errors.New("proto: string field contains invalid UTF-8")

// errNilMessage is the error of decoding into a nil message.
var errNilMessage = errors.New("proto: decode into a nil message")

// NilMessage is returned by a generated UnmarshalProto on a nil receiver.
func NilMessage() error { return errNilMessage }

// errFieldNumber is the error of a tag whose field number is out of range.
var errFieldNumber = errors.New("proto: invalid field number")

// Tag reads a field's tag. Like the official decoder, and unlike
// protowire.ConsumeTag alone, it rejects numbers above MaxValidNumber.
func Tag(b []byte) (protowire.Number, protowire.Type, int, error) {
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 {
		return 0, 0, 0, protowire.ParseError(n)
	}
	if num > protowire.MaxValidNumber {
		return 0, 0, 0, errFieldNumber
	}
	return num, typ, n, nil
}

// Skip consumes the value of an unknown field (or a known one of an
// unexpected wire type, which the official runtime keeps as unknown too).
func Skip(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
	n := protowire.ConsumeFieldValue(num, typ, b)
	if n < 0 {
		return 0, protowire.ParseError(n)
	}
	return n, nil
}

// Varint reads a varint value.
func Varint(b []byte) (uint64, int, error) {
	v, n := protowire.ConsumeVarint(b)
	if n < 0 {
		return 0, 0, protowire.ParseError(n)
	}
	return v, n, nil
}

// Bytes reads a length-delimited value; the result aliases b.
func Bytes(b []byte) ([]byte, int, error) {
	v, n := protowire.ConsumeBytes(b)
	if n < 0 {
		return nil, 0, protowire.ParseError(n)
	}
	return v, n, nil
}

// String reads a length-delimited UTF-8 string.
func String(b []byte) (string, int, error) {
	v, n, err := Bytes(b)
	if err != nil {
		return "", 0, err
	}
	if !utf8.Valid(v) {
		return "", 0, ErrInvalidUTF8
	}
	return string(v), n, nil
}

// PackedUint32 appends the varints of a packed field's value to s.
func PackedUint32(s []uint32, b []byte) ([]uint32, error) {
	for len(b) > 0 {
		v, n := protowire.ConsumeVarint(b)
		if n < 0 {
			return s, protowire.ParseError(n)
		}
		s = append(s, uint32(v))
		b = b[n:]
	}
	return s, nil
}

// AppendString appends a string field, checking it is UTF-8.
func AppendString(b []byte, num protowire.Number, s string) ([]byte, error) {
	if !utf8.ValidString(s) {
		return b, ErrInvalidUTF8
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s), nil
}

// AppendBytes appends a bytes field.
func AppendBytes(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

// AppendVarint appends a varint field.
func AppendVarint(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

// AppendMessage appends a message field: its tag, length and encoding.
func AppendMessage(b []byte, num protowire.Number, m Message) ([]byte, error) {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(m.ProtoSize()))
	return m.AppendProto(b)
}

// AppendPackedUint32 appends a packed repeated uint32 field (nothing when empty).
func AppendPackedUint32(b []byte, num protowire.Number, s []uint32) []byte {
	if len(s) == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(packedUint32Size(s)))
	for _, v := range s {
		b = protowire.AppendVarint(b, uint64(v))
	}
	return b
}

func packedUint32Size(s []uint32) int {
	n := 0
	for _, v := range s {
		n += protowire.SizeVarint(uint64(v))
	}
	return n
}

// SizeVarint is the length of a varint field with a one-byte tag.
func SizeVarint(num protowire.Number, v uint64) int {
	return protowire.SizeTag(num) + protowire.SizeVarint(v)
}

// SizeBytes is the length of a length-delimited field of n bytes.
func SizeBytes(num protowire.Number, n int) int {
	return protowire.SizeTag(num) + protowire.SizeBytes(n)
}

// SizePackedUint32 is the length of a packed repeated uint32 field.
func SizePackedUint32(num protowire.Number, s []uint32) int {
	if len(s) == 0 {
		return 0
	}
	return SizeBytes(num, packedUint32Size(s))
}

// Bool is the wire value of a bool.
func Bool(v bool) uint64 {
	if v {
		return 1
	}
	return 0
}
