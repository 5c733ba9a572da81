package main

// The default build of parsecd is static and does not link the PKCS#11
// provider's cgo dependency: that provider is only in builds with
// CGO_ENABLED=1 and the pkcs11 tag (see providers/pkcs11 and the Makefile's
// build-pkcs11).

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const (
	selfPkg   = "github.com/parsecd/parsecd/src/cmd/parsecd"
	p11Module = "github.com/miekg/pkcs11"
	p11Pkg    = "github.com/parsecd/parsecd/providers/pkcs11"
)

// goCmd runs the go command in this package's directory with CGO_ENABLED set
// to cgo.
func goCmd(t *testing.T, cgo string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	env := []string{}
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "CGO_ENABLED=") {
			env = append(env, e)
		}
	}
	cmd.Env = append(env, "CGO_ENABLED="+cgo)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("CGO_ENABLED=%s go %s: %v\n%s", cgo, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func deps(t *testing.T, cgo string, tags ...string) []string {
	t.Helper()
	args := []string{"list", "-deps"}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	return strings.Fields(goCmd(t, cgo, append(args, selfPkg)...))
}

func linksPkcs11(pkgs []string) bool {
	return slices.ContainsFunc(pkgs, func(p string) bool { return p == p11Module || strings.HasPrefix(p, p11Module+"/") })
}

func TestDefaultBuildDoesNotLinkPkcs11(t *testing.T) {
	pkgs := deps(t, "0")
	if linksPkcs11(pkgs) {
		t.Errorf("CGO_ENABLED=0 go list -deps %s contains %s", selfPkg, p11Module)
	}
	// The provider package itself is there: its stub registers "Pkcs11" so
	// that a config asking for it gets "built without PKCS#11 support".
	if !slices.Contains(pkgs, p11Pkg) {
		t.Errorf("the default build does not contain %s (the stub that explains the missing PKCS#11 support)", p11Pkg)
	}
	// Neither cgo alone nor the tag alone brings it in.
	if linksPkcs11(deps(t, "1")) {
		t.Errorf("CGO_ENABLED=1 without the pkcs11 tag links %s", p11Module)
	}
	if linksPkcs11(deps(t, "0", "pkcs11")) {
		t.Errorf("-tags pkcs11 with CGO_ENABLED=0 links %s", p11Module)
	}
	// The check is not vacuous: the tagged cgo build does link it.
	if !linksPkcs11(deps(t, "1", "pkcs11")) {
		t.Errorf("CGO_ENABLED=1 -tags pkcs11 does not link %s", p11Module)
	}
}

func TestDefaultBuildIsStatic(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "parsecd")
	goCmd(t, "0", "build", "-trimpath", "-o", bin, ".")
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatalf("the default parsecd is not an ELF file: %v", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		switch p.Type {
		case elf.PT_INTERP:
			interp, _ := readAll(p)
			t.Errorf("the default parsecd has an ELF interpreter (%q): it is dynamically linked", strings.TrimRight(string(interp), "\x00"))
		case elf.PT_DYNAMIC:
			t.Errorf("the default parsecd has a PT_DYNAMIC segment: it is dynamically linked")
		}
	}
	if libs, err := f.ImportedLibraries(); err == nil && len(libs) > 0 {
		t.Errorf("the default parsecd needs shared libraries: %v", libs)
	}
}

func readAll(p *elf.Prog) ([]byte, error) {
	b := make([]byte, p.Filesz)
	_, err := p.ReadAt(b, 0)
	return b, err
}
