// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package interface_test

import (
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/parsecd/parsecd/src/interface/pbwire"
)

// The official protobuf runtime is the reference of our generated codec,
// in the tests only: it reads the descriptors of our .proto files
// (ops/descriptors.binpb, written by make generate) and handles dynamic
// messages of them.

var (
	refOnce  sync.Once
	refFiles *protoregistry.Files
	refErr   error
)

func referenceFiles(t testing.TB) *protoregistry.Files {
	t.Helper()
	refOnce.Do(func() {
		raw, err := os.ReadFile("ops/descriptors.binpb")
		if err != nil {
			refErr = err
			return
		}
		var set descriptorpb.FileDescriptorSet
		if refErr = proto.Unmarshal(raw, &set); refErr != nil {
			return
		}
		refFiles, refErr = protodesc.NewFiles(&set)
	})
	if refErr != nil {
		t.Fatalf("descriptors of src/interface/proto: %v", refErr)
	}
	return refFiles
}

// descriptorOf is the descriptor of a generated Go type: package
// ops/<proto package without underscores>, type name the message's path
// below the package joined by '_', in protoc-gen-go's capitals (our
// message names have no underscores, so only the case may differ).
func descriptorOf(t testing.TB, m pbwire.Message) protoreflect.MessageDescriptor {
	t.Helper()
	typ := reflect.TypeOf(m).Elem()
	goPkg := typ.PkgPath()[strings.LastIndex(typ.PkgPath(), "/")+1:]
	var found []protoreflect.MessageDescriptor
	var walk func(prefix string, ms protoreflect.MessageDescriptors)
	walk = func(prefix string, ms protoreflect.MessageDescriptors) {
		for i := 0; i < ms.Len(); i++ {
			name := prefix + string(ms.Get(i).Name())
			if strings.EqualFold(name, typ.Name()) {
				found = append(found, ms.Get(i))
			}
			walk(name+"_", ms.Get(i).Messages())
		}
	}
	referenceFiles(t).RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		if strings.ReplaceAll(string(fd.Package()), "_", "") == goPkg {
			walk("", fd.Messages())
		}
		return true
	})
	if len(found) != 1 {
		t.Fatalf("%v: %d messages of that name in ops/descriptors.binpb, want 1", typ, len(found))
	}
	return found[0]
}

// generatedTypes walks the generated types reachable from roots through
// their getters (which include those of oneof members), by proto name.
func generatedTypes(t testing.TB, roots []pbwire.Message) map[protoreflect.FullName]reflect.Type {
	t.Helper()
	msgType := reflect.TypeOf((*pbwire.Message)(nil)).Elem()
	out := map[protoreflect.FullName]reflect.Type{}
	var walk func(reflect.Type)
	walk = func(pt reflect.Type) {
		m := reflect.New(pt.Elem()).Interface().(pbwire.Message)
		name := descriptorOf(t, m).FullName()
		if _, ok := out[name]; ok {
			return
		}
		out[name] = pt.Elem()
		for i := 0; i < pt.NumMethod(); i++ {
			meth := pt.Method(i)
			if !strings.HasPrefix(meth.Name, "Get") || meth.Type.NumOut() != 1 {
				continue
			}
			rt := meth.Type.Out(0)
			if rt.Kind() == reflect.Slice {
				rt = rt.Elem()
			}
			if rt.Kind() == reflect.Pointer && rt.Implements(msgType) {
				walk(rt)
			}
		}
	}
	for _, r := range roots {
		walk(reflect.TypeOf(r))
	}
	return out
}
