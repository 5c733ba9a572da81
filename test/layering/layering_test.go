// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package layering_test checks, with the go command and the parser, facts
// about how parsecd's packages stand: the providers and the key store never
// see the wire, the protocol identifiers are a leaf, and the opcodes are
// described by one table (src/parsec).
package layering_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/parsecd/parsecd/src/parsec"
)

const module = "github.com/parsecd/parsecd"

// builds are the two builds of parsecd: the default one (static, no cgo)
// and the one with the PKCS#11 provider.
var builds = []struct {
	name string
	env  []string
	tags string
}{
	{"default", []string{"CGO_ENABLED=0"}, ""},
	{"pkcs11", []string{"CGO_ENABLED=1"}, "pkcs11"},
}

// goList runs go list in the module's root with the build's environment and
// tags; GOOS and GOARCH are cleared, as make test-arm sets them.
func goList(t *testing.T, env []string, tags string, args ...string) []string {
	t.Helper()
	if tags != "" {
		args = append([]string{"-tags", tags}, args...)
	}
	cmd := exec.Command("go", append([]string{"list"}, args...)...)
	cmd.Dir = filepath.Join("..", "..")
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "GOOS=") && !strings.HasPrefix(e, "GOARCH=") && !strings.HasPrefix(e, "CGO_ENABLED=") {
			cmd.Env = append(cmd.Env, e)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("go list %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

// The providers and the key store are handed decoded requests: they depend
// on no package that reads or writes frames or routes requests, in their
// code or their tests.
func TestProvidersAndStorageSeeNoWire(t *testing.T) {
	forbidden := []string{module + "/src/wire", module + "/src/front", module + "/src/back", module + "/src/daemon"}
	for _, b := range builds {
		deps := goList(t, b.env, b.tags, "-deps", "-test", "./providers/...", "./storage/...")
		if !slices.Contains(deps, module+"/src/parsec") {
			t.Errorf("%s build: the providers do not use src/parsec; is go list listing what it should?", b.name)
		}
		for _, f := range forbidden {
			if slices.Contains(deps, f) {
				t.Errorf("%s build: providers/... or storage/... depend on %s", b.name, f)
			}
		}
	}
}

// src/parsec may be imported by everything because it imports nothing but
// the standard library.
func TestIdentifiersAreALeaf(t *testing.T) {
	for _, dep := range goList(t, nil, "", "-deps", "./src/parsec") {
		if dep != module+"/src/parsec" && strings.Contains(strings.Split(dep, "/")[0], ".") {
			t.Errorf("src/parsec depends on %s", dep)
		}
	}
}

// tableKeepers may hold a map keyed by opcode: src/parsec is the table;
// src/back binds each opcode to its handler (its own test keeps the
// bindings in step with the table); clienttest's Mux routes a fake
// server's requests to handlers each test supplies.
var tableKeepers = []string{module + "/src/parsec", module + "/src/back", module + "/src/client/clienttest"}

// One opcode table: outside src/parsec no code (tests aside) spells an
// opcode's name or lists opcodes, and only tableKeepers key maps by opcode.
func TestOneOpcodeTable(t *testing.T) {
	names := map[string]bool{}
	for _, o := range parsec.AllOpcodes() {
		names[o.String()] = true
	}
	seen := map[string]bool{}
	for _, b := range builds {
		for _, line := range goList(t, b.env, b.tags, "-f", "{{.ImportPath}} {{.Dir}} {{join .GoFiles \" \"}} {{join .CgoFiles \" \"}}", "./...") {
			f := strings.Fields(line)
			if len(f) < 2 || f[0] == module+"/src/parsec" {
				continue
			}
			for _, name := range f[2:] {
				path := filepath.Join(f[1], name)
				if seen[path] || strings.HasSuffix(name, ".pb.go") { // generated from the .proto contracts
					continue
				}
				seen[path] = true
				checkFile(t, f[0], path, names)
			}
		}
	}
	if len(seen) < 100 {
		t.Errorf("only %d files checked; is go list listing what it should?", len(seen))
	}
}

func checkFile(t *testing.T, pkg, path string, names map[string]bool) {
	t.Helper()
	fs := token.NewFileSet()
	file, err := parser.ParseFile(fs, path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	isOpcode := func(e ast.Expr) bool {
		s, ok := e.(*ast.SelectorExpr)
		return ok && s.Sel.Name == "Opcode"
	}
	ast.Inspect(file, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.BasicLit:
			if s, err := strconv.Unquote(x.Value); x.Kind == token.STRING && err == nil && names[s] {
				t.Errorf("%s: the opcode name %q outside src/parsec's table", fs.Position(x.Pos()), s)
			}
		case *ast.MapType:
			if isOpcode(x.Key) && !slices.Contains(tableKeepers, pkg) {
				t.Errorf("%s: a map keyed by opcode outside src/parsec's table", fs.Position(x.Pos()))
			}
		case *ast.CompositeLit:
			if a, ok := x.Type.(*ast.ArrayType); ok && isOpcode(a.Elt) && len(x.Elts) > 1 {
				t.Errorf("%s: a list of opcodes outside src/parsec's table", fs.Position(x.Pos()))
			}
		case *ast.CaseClause:
			for _, e := range x.List {
				if s, ok := e.(*ast.SelectorExpr); ok && strings.HasPrefix(s.Sel.Name, "Op") {
					if id, ok := s.X.(*ast.Ident); ok && id.Name == "parsec" {
						t.Errorf("%s: a switch on opcodes outside src/parsec's table", fs.Position(x.Pos()))
						break
					}
				}
			}
		}
		return true
	})
}
