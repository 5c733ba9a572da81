// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package interface_test

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/parsecd/parsecd/src/interface/ops/listopcodes"
	"github.com/parsecd/parsecd/src/interface/ops/psaalgorithm"
	"github.com/parsecd/parsecd/src/interface/ops/psasignhash"
	"github.com/parsecd/parsecd/src/interface/pbwire"
)

// Our generated codec (opsgen on protowire) against the official runtime
// on dynamic messages of the same .proto files: the same bytes for every
// message, the same accept/reject decision for any input (unknown fields,
// wire types that do not match, defaults, malformed bytes), errors and
// never a panic.

type codecType struct {
	md  protoreflect.MessageDescriptor
	typ reflect.Type
}

// codecTypes is every message reachable from an operation, in name order.
func codecTypes(t testing.TB) []codecType {
	t.Helper()
	var roots []pbwire.Message
	for _, e := range opTable {
		roots = append(roots, e.newOp(), e.newRes())
	}
	byName := generatedTypes(t, roots)
	var out []codecType
	for name, typ := range byName {
		d, err := referenceFiles(t).FindDescriptorByName(name)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, codecType{d.(protoreflect.MessageDescriptor), typ})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].md.FullName() < out[j].md.FullName() })
	return out
}

func (c codecType) ours() pbwire.Message {
	return reflect.New(c.typ).Interface().(pbwire.Message)
}

var deterministic = proto.MarshalOptions{Deterministic: true}

// TestCodecCoversEveryMessage: every message of the .proto files is
// reachable from an operation, so the tests below see all of them.
func TestCodecCoversEveryMessage(t *testing.T) {
	seen := map[protoreflect.FullName]bool{}
	for _, c := range codecTypes(t) {
		seen[c.md.FullName()] = true
	}
	var walk func(protoreflect.MessageDescriptors)
	walk = func(ms protoreflect.MessageDescriptors) {
		for i := 0; i < ms.Len(); i++ {
			if !seen[ms.Get(i).FullName()] {
				t.Errorf("%s is not reachable from an operation's generated types", ms.Get(i).FullName())
			}
			walk(ms.Get(i).Messages())
		}
	}
	referenceFiles(t).RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		walk(fd.Messages())
		return true
	})
	if len(seen) < 100 {
		t.Errorf("only %d message types", len(seen))
	}
}

// TestCodecMatchesOfficialRuntime: random messages (zero values included)
// encoded by the official runtime decode and re-encode to the same bytes
// with our codec; with unknown fields and known fields of another wire
// type spliced in, and then damaged, both decoders agree.
func TestCodecMatchesOfficialRuntime(t *testing.T) {
	r := rand.New(rand.NewPCG(14, 1))
	for _, c := range codecTypes(t) {
		for range 60 {
			dyn := randomMessage(r, c.md, 0)
			want, err := deterministic.Marshal(dyn)
			if err != nil {
				t.Fatal(err)
			}
			ours := c.ours()
			if err := ours.UnmarshalProto(want); err != nil {
				t.Fatalf("%s: decoding %x: %v", c.md.FullName(), want, err)
			}
			got, err := pbwire.Marshal(ours)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("%s: re-encoded %x (%v), official %x", c.md.FullName(), got, err, want)
			}
			if n := ours.ProtoSize(); n != len(want) {
				t.Fatalf("%s: ProtoSize %d, encoding %d bytes", c.md.FullName(), n, len(want))
			}
			spliced := spliceForeign(r, c.md, want)
			compareDecode(t, c, spliced)
			for range 4 {
				compareDecode(t, c, damage(r, spliced))
			}
		}
	}
}

// TestCodecDefaults: proto3 defaults stay off the wire, except a oneof
// member, which is written even when it holds its zero value.
func TestCodecDefaults(t *testing.T) {
	empty := &psasignhash.Operation{KeyName: "", Alg: nil, Hash: []byte{}}
	if b, err := pbwire.Marshal(empty); err != nil || len(b) != 0 {
		t.Errorf("all-default message encodes to %x, %v", b, err)
	}
	zero := &psaalgorithm.Algorithm_AsymmetricSignature_SignHash{
		Variant: &psaalgorithm.Algorithm_AsymmetricSignature_SignHash_Specific{Specific: psaalgorithm.Algorithm_HASH_NONE}}
	b, err := pbwire.Marshal(zero)
	if err != nil || !bytes.Equal(b, []byte{0x10, 0x00}) {
		t.Errorf("oneof enum member 0 encodes to %x, %v; want 1000", b, err)
	}
	var back psaalgorithm.Algorithm_AsymmetricSignature_SignHash
	if err := back.UnmarshalProto(b); err != nil || back.GetVariant() == nil || back.GetSpecific() != psaalgorithm.Algorithm_HASH_NONE {
		t.Errorf("decoded %+v, %v; want the Specific member set to HASH_NONE", back.GetVariant(), err)
	}
	ops := &listopcodes.Result{Opcodes: []uint32{1, 300}}
	if b, err := pbwire.Marshal(ops); err != nil || !bytes.Equal(b, []byte{0x0a, 0x03, 0x01, 0xac, 0x02}) {
		t.Errorf("repeated uint32 encodes to %x, %v; want packed 0a0301ac02", b, err)
	}
}

// TestCodecInvalidUTF8: a proto3 string must be UTF-8, both ways, as the
// official runtime has it.
func TestCodecInvalidUTF8(t *testing.T) {
	bad := &psasignhash.Operation{KeyName: "key\xff"}
	if _, err := pbwire.Marshal(bad); !errors.Is(err, pbwire.ErrInvalidUTF8) {
		t.Errorf("encoding a non-UTF-8 key name: %v, want ErrInvalidUTF8", err)
	}
	in := []byte{0x0a, 0x02, 'k', 0xff}
	if err := proto.Unmarshal(in, dynamicpb.NewMessage(descriptorOf(t, bad))); err == nil {
		t.Fatal("the official runtime accepts a non-UTF-8 string: the reference changed")
	}
	if err := new(psasignhash.Operation).UnmarshalProto(in); !errors.Is(err, pbwire.ErrInvalidUTF8) {
		t.Errorf("decoding a non-UTF-8 key name: %v, want ErrInvalidUTF8", err)
	}
	var nilOp *psasignhash.Operation
	if err := nilOp.UnmarshalProto([]byte{}); err == nil {
		t.Error("decoding into a nil message succeeded")
	}
}

// FuzzCodec: any input, decoded as any message type, is accepted or
// rejected by both decoders alike, and what is accepted re-encodes the same.
func FuzzCodec(f *testing.F) {
	types := codecTypes(f)
	r := rand.New(rand.NewPCG(14, 2))
	for i, c := range types {
		in := spliceForeign(r, c.md, mustMarshal(f, randomMessage(r, c.md, 0)))
		f.Add(uint16(i), in)
	}
	f.Fuzz(func(t *testing.T, which uint16, in []byte) {
		compareDecode(t, types[int(which)%len(types)], in)
	})
}

func mustMarshal(t testing.TB, m proto.Message) []byte {
	b, err := deterministic.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// compareDecode decodes in with both runtimes (the official one dropping
// unknown fields, as ours does) and fails on any difference.
func compareDecode(t testing.TB, c codecType, in []byte) {
	t.Helper()
	ref := dynamicpb.NewMessage(c.md)
	refErr := proto.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(in, ref)
	ours := c.ours()
	err := ours.UnmarshalProto(in)
	if (refErr == nil) != (err == nil) {
		t.Fatalf("%s: decoding %x: official %v, ours %v", c.md.FullName(), in, refErr, err)
	}
	if err != nil {
		return
	}
	want := mustMarshal(t, ref)
	got, err := pbwire.Marshal(ours)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("%s: decoding %x: re-encoded %x (%v), official %x", c.md.FullName(), in, got, err, want)
	}
}

// randomMessage fills a dynamic message with random values: fields left at
// their default a third of the time, each oneof set to one of its members
// (or none), enums sometimes to numbers the .proto does not name (proto3
// enums are open).
func randomMessage(r *rand.Rand, md protoreflect.MessageDescriptor, depth int) *dynamicpb.Message {
	m := dynamicpb.NewMessage(md)
	fields := md.Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if fd.ContainingOneof() != nil || r.IntN(3) == 0 {
			continue
		}
		if fd.IsList() {
			l := m.Mutable(fd).List()
			for range r.IntN(4) {
				l.Append(randomValue(r, fd, depth))
			}
			continue
		}
		m.Set(fd, randomValue(r, fd, depth))
	}
	oneofs := md.Oneofs()
	for i := 0; i < oneofs.Len(); i++ {
		members := oneofs.Get(i).Fields()
		if k := r.IntN(members.Len() + 1); k < members.Len() {
			m.Set(members.Get(k), randomValue(r, members.Get(k), depth))
		}
	}
	return m
}

func randomValue(r *rand.Rand, fd protoreflect.FieldDescriptor, depth int) protoreflect.Value {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(r.IntN(2) == 0)
	case protoreflect.Uint32Kind:
		return protoreflect.ValueOfUint32([]uint32{0, 1, 127, 128, 300, math.MaxUint32, r.Uint32()}[r.IntN(7)])
	case protoreflect.Uint64Kind:
		return protoreflect.ValueOfUint64([]uint64{0, 1, 1 << 35, math.MaxUint64, r.Uint64()}[r.IntN(5)])
	case protoreflect.StringKind:
		return protoreflect.ValueOfString([]string{"", "k", "ecdsa-key", "ключ-✓", string(make([]byte, 200))}[r.IntN(5)])
	case protoreflect.BytesKind:
		b := make([]byte, []int{0, 1, 32, 200}[r.IntN(4)])
		for i := range b {
			b[i] = byte(r.UintN(256))
		}
		return protoreflect.ValueOfBytes(b)
	case protoreflect.EnumKind:
		vals := fd.Enum().Values()
		if r.IntN(5) == 0 {
			return protoreflect.ValueOfEnum(protoreflect.EnumNumber([]int32{-1, 99, math.MaxInt32, math.MinInt32}[r.IntN(4)]))
		}
		return protoreflect.ValueOfEnum(vals.Get(r.IntN(vals.Len())).Number())
	case protoreflect.MessageKind:
		if depth > 6 {
			return protoreflect.ValueOfMessage(dynamicpb.NewMessage(fd.Message()))
		}
		return protoreflect.ValueOfMessage(randomMessage(r, fd.Message(), depth+1))
	}
	panic("randomValue: kind " + fd.Kind().String() + " is not in the .proto files; extend the test with the generator")
}

// spliceForeign puts unknown fields (every wire type, groups included)
// and known fields of an unexpected wire type between the fields of b.
func spliceForeign(r *rand.Rand, md protoreflect.MessageDescriptor, b []byte) []byte {
	var out []byte
	for {
		if r.IntN(3) == 0 {
			out = appendForeign(r, md, out)
		}
		if len(b) == 0 {
			return out
		}
		_, _, n := protowire.ConsumeField(b)
		if n < 0 {
			panic("spliceForeign: the official encoding does not parse")
		}
		out = append(out, b[:n]...)
		b = b[n:]
	}
}

func appendForeign(r *rand.Rand, md protoreflect.MessageDescriptor, b []byte) []byte {
	num := protowire.Number(1 + r.IntN(40))
	if r.IntN(4) == 0 {
		num = protowire.Number(1 + r.IntN(1<<20))
	}
	fd := md.Fields().ByNumber(num)
	typ := []protowire.Type{protowire.VarintType, protowire.Fixed32Type, protowire.Fixed64Type, protowire.BytesType, protowire.StartGroupType}[r.IntN(5)]
	if fd != nil && fd.Kind() == protoreflect.MessageKind && typ == protowire.BytesType {
		typ = protowire.Fixed32Type // keep known message fields parseable
	}
	b = protowire.AppendTag(b, num, typ)
	switch typ {
	case protowire.VarintType:
		return protowire.AppendVarint(b, r.Uint64()>>r.UintN(64))
	case protowire.Fixed32Type:
		return protowire.AppendFixed32(b, r.Uint32())
	case protowire.Fixed64Type:
		return protowire.AppendFixed64(b, r.Uint64())
	case protowire.BytesType:
		if fd != nil && fd.Kind() == protoreflect.StringKind {
			return protowire.AppendString(b, "unknown?")
		}
		return protowire.AppendBytes(b, []byte{0xff, 0x00, 0x80})
	default:
		b = protowire.AppendTag(b, 1, protowire.VarintType)
		b = protowire.AppendVarint(b, 7)
		return protowire.AppendTag(b, num, protowire.EndGroupType)
	}
}

// damage truncates, flips, inserts or deletes bytes of b (a copy).
func damage(r *rand.Rand, b []byte) []byte {
	b = append([]byte(nil), b...)
	if len(b) == 0 {
		return []byte{byte(r.UintN(256))}
	}
	i := r.IntN(len(b))
	switch r.IntN(4) {
	case 0:
		return b[:i]
	case 1:
		b[i] ^= byte(1 << r.UintN(8))
		return b
	case 2:
		return append(b[:i], append([]byte{byte(r.UintN(256))}, b[i:]...)...)
	default:
		return append(b[:i], b[i+1:]...)
	}
}

// TestCodecFieldNumbers: field number 0 and numbers above 2^29-1 are
// malformed, as the official runtime has it (protowire.ConsumeTag alone
// accepts the latter; the fuzzer found it).
func TestCodecFieldNumbers(t *testing.T) {
	for _, in := range [][]byte{
		{0x00, 0x01}, // field 0
		append(protowire.AppendVarint(nil, uint64(protowire.MaxValidNumber+1)<<3), 0x01), // varint field 2^29 = 1
	} {
		if err := proto.Unmarshal(in, dynamicpb.NewMessage(descriptorOf(t, &psasignhash.Result{}))); err == nil {
			t.Fatalf("%x: the official runtime accepts it: the reference changed", in)
		}
		if err := new(psasignhash.Result).UnmarshalProto(in); err == nil {
			t.Errorf("%x: decoded without an error", in)
		}
	}
	in := protowire.AppendVarint(nil, uint64(protowire.MaxValidNumber)<<3) // the largest number, unknown
	if err := new(psasignhash.Result).UnmarshalProto(append(in, 0x01)); err != nil {
		t.Errorf("field %d: %v", protowire.MaxValidNumber, err)
	}
}
