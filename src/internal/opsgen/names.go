// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package main

import (
	"google.golang.org/protobuf/types/descriptorpb"
)

// typeInfo is a message or enum by its full proto name (".pkg.Msg.Sub").
type typeInfo struct {
	file   *descriptorpb.FileDescriptorProto
	goName string // Msg_Sub
	prefix string // before an enum value's name: the enclosing message's Go name for a nested enum, the enum's own otherwise (protoc-gen-go's rule)
	enum   *descriptorpb.EnumDescriptorProto
	msg    *descriptorpb.DescriptorProto
}

type universe struct {
	base  string // import path of src/interface/ops
	types map[string]*typeInfo
}

func newUniverse(files []*descriptorpb.FileDescriptorProto, base string) *universe {
	u := &universe{base: base, types: map[string]*typeInfo{}}
	for _, f := range files {
		prefix := "." + f.GetPackage()
		for _, m := range f.GetMessageType() {
			u.addMessage(f, prefix, "", m)
		}
		for _, e := range f.GetEnumType() {
			g := goCamelCase(e.GetName())
			u.types[prefix+"."+e.GetName()] = &typeInfo{file: f, goName: g, prefix: g, enum: e}
		}
	}
	return u
}

func (u *universe) addMessage(f *descriptorpb.FileDescriptorProto, prefix, goPrefix string, m *descriptorpb.DescriptorProto) {
	full := prefix + "." + m.GetName()
	goName := goPrefix + goCamelCase(m.GetName())
	u.types[full] = &typeInfo{file: f, goName: goName, msg: m}
	for _, n := range m.GetNestedType() {
		u.addMessage(f, full, goName+"_", n)
	}
	for _, e := range m.GetEnumType() {
		u.types[full+"."+e.GetName()] = &typeInfo{file: f, goName: goName + "_" + goCamelCase(e.GetName()), prefix: goName, enum: e}
	}
}

// goCamelCase is protoc-gen-go's identifier rule (strs.GoCamelCase), so the
// generated names are the ones code written for protoc-gen-go expects.
func goCamelCase(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.' && i+1 < len(s) && isLower(s[i+1]):
		case c == '.':
			b = append(b, '_')
		case c == '_' && (i == 0 || s[i-1] == '.'):
			b = append(b, 'X')
		case c == '_' && i+1 < len(s) && isLower(s[i+1]):
		case c >= '0' && c <= '9':
			b = append(b, c)
		default:
			if isLower(c) {
				c -= 'a' - 'A'
			}
			b = append(b, c)
			for ; i+1 < len(s) && isLower(s[i+1]); i++ {
				b = append(b, s[i+1])
			}
		}
	}
	return string(b)
}

func isLower(c byte) bool { return c >= 'a' && c <= 'z' }

// fieldNames gives each field of m its Go name, with protoc-gen-go's
// conflict rule: a name taken by a method it generates, or by another field
// or its getter, gets '_' appended.
func fieldNames(m *descriptorpb.DescriptorProto) map[int32]string {
	used := map[string]bool{
		"Reset": true, "String": true, "ProtoMessage": true, "Marshal": true, "Unmarshal": true,
		"ExtensionRangeArray": true, "ExtensionMap": true, "Descriptor": true,
	}
	names := map[int32]string{}
	unique := func(name string) string {
		for used[name] || used["Get"+name] {
			name += "_"
		}
		used[name] = true
		used["Get"+name] = true
		return name
	}
	for _, f := range m.GetField() {
		names[f.GetNumber()] = unique(goCamelCase(f.GetName()))
	}
	for _, o := range m.GetOneofDecl() {
		unique(goCamelCase(o.GetName()))
	}
	return names
}

// wrapperName is the Go type of a oneof member: Msg_Field, with '_'
// appended while it collides with a nested message or enum of Msg.
func wrapperName(msgGo string, m *descriptorpb.DescriptorProto, field string) string {
	name := msgGo + "_" + field
	nested := map[string]bool{}
	for _, n := range m.GetNestedType() {
		nested[msgGo+"_"+goCamelCase(n.GetName())] = true
	}
	for _, e := range m.GetEnumType() {
		nested[msgGo+"_"+goCamelCase(e.GetName())] = true
	}
	for nested[name] {
		name += "_"
	}
	return name
}
