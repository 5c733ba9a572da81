// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

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
	return goCmdEnv(t, []string{"CGO_ENABLED=" + cgo}, args...)
}

// goCmdEnv runs the go command in this package's directory with the
// environment overridden by set ("NAME=value" entries). GOOS, GOARCH and GOARM
// are cleared unless set names them, so that a test run under
// `GOARCH=arm64 go test -exec qemu-aarch64` (make test-arm) builds what the
// test means to build.
func goCmdEnv(t *testing.T, set []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	drop := []string{"CGO_ENABLED=", "GOOS=", "GOARCH=", "GOARM="}
	env := []string{}
	for _, e := range os.Environ() {
		if !slices.ContainsFunc(drop, func(p string) bool { return strings.HasPrefix(e, p) }) {
			env = append(env, e)
		}
	}
	cmd.Env = append(env, set...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s go %s: %v\n%s", strings.Join(set, " "), strings.Join(args, " "), err, out)
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
	checkStatic(t, "the default parsecd", bin, elf.EM_NONE)
}

// TestCrossBuildsAreStatic builds parsecd and parsec-tool as `make cross`
// does (linux/arm64 and linux/arm with GOARM=7, CGO_ENABLED=0, -trimpath,
// -s -w) and checks that each is a static ELF executable for the right
// machine and that neither the build nor the binary's module list contains
// the PKCS#11 provider's cgo dependency.
func TestCrossBuildsAreStatic(t *testing.T) {
	if testing.Short() {
		t.Skip("cross builds are slow; not in -short")
	}
	targets := []struct {
		name    string
		env     []string
		machine elf.Machine
		class   elf.Class
	}{
		{"linux_arm64", []string{"GOOS=linux", "GOARCH=arm64"}, elf.EM_AARCH64, elf.ELFCLASS64},
		{"linux_armv7", []string{"GOOS=linux", "GOARCH=arm", "GOARM=7"}, elf.EM_ARM, elf.ELFCLASS32},
	}
	cmds := map[string]string{"parsecd": ".", "parsec-tool": "../parsec-tool"}
	dir := t.TempDir()
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			env := append([]string{"CGO_ENABLED=0"}, tg.env...)
			pkgs := strings.Fields(goCmdEnv(t, env, "list", "-deps", selfPkg))
			if linksPkcs11(pkgs) {
				t.Errorf("%s go list -deps %s contains %s", strings.Join(env, " "), selfPkg, p11Module)
			}
			for name, pkg := range cmds {
				bin := filepath.Join(dir, tg.name, name)
				goCmdEnv(t, env, "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, pkg)
				what := tg.name + "/" + name
				checkStatic(t, what, bin, tg.machine)
				if f, err := elf.Open(bin); err == nil {
					if f.Class != tg.class {
						t.Errorf("%s is %v, want %v", what, f.Class, tg.class)
					}
					f.Close()
				}
				mods := goCmdEnv(t, nil, "version", "-m", bin)
				if strings.Contains(mods, p11Module) {
					t.Errorf("go version -m %s lists %s:\n%s", what, p11Module, mods)
				}
				if !strings.Contains(mods, "CGO_ENABLED=0") {
					t.Errorf("go version -m %s does not record CGO_ENABLED=0:\n%s", what, mods)
				}
			}
		})
	}
}

// checkStatic fails t unless bin is an ELF executable with no interpreter, no
// dynamic segment and no DT_NEEDED entries, for machine (any when EM_NONE).
func checkStatic(t *testing.T, what, bin string, machine elf.Machine) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatalf("%s is not an ELF file: %v", what, err)
	}
	defer f.Close()
	if machine != elf.EM_NONE && f.Machine != machine {
		t.Errorf("%s is for %v, want %v", what, f.Machine, machine)
	}
	if f.Type != elf.ET_EXEC {
		t.Errorf("%s is ELF type %v, want ET_EXEC (a static, non-PIE executable)", what, f.Type)
	}
	for _, p := range f.Progs {
		switch p.Type {
		case elf.PT_INTERP:
			interp, _ := readAll(p)
			t.Errorf("%s has an ELF interpreter (%q): it is dynamically linked", what, strings.TrimRight(string(interp), "\x00"))
		case elf.PT_DYNAMIC:
			t.Errorf("%s has a PT_DYNAMIC segment: it is dynamically linked", what)
		}
	}
	if libs, err := f.ImportedLibraries(); err == nil && len(libs) > 0 {
		t.Errorf("%s needs shared libraries (DT_NEEDED): %v", what, libs)
	}
}

func readAll(p *elf.Prog) ([]byte, error) {
	b := make([]byte, p.Filesz)
	_, err := p.ReadAt(b, 0)
	return b, err
}

// TestYoctoRecipeFlagsGiveAStaticBinary builds parsecd for arm64 with the
// linker flags oe-core's go.bbclass passes on aarch64 (GO_DYNLINK is set
// there, so an rpath to the shared Go runtime; the target's loader with -I;
// -extldflags) and the recipe's CGO_ENABLED=0, without the -buildmode=pie the
// recipe removes: the result must still be static. The control build keeps
// -buildmode=pie and must come out dynamically linked, which is why
// parsec-source.inc removes it.
func TestYoctoRecipeFlagsGiveAStaticBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("cross builds are slow; not in -short")
	}
	ldflags := "-r /usr/lib/go/pkg/aarch64-poky-linux_dynlink -I /lib/ld-linux-aarch64.so.1 " +
		"-X github.com/parsecd/parsecd/src/internal/version.Version=0.1.0+git " +
		"-extldflags '--sysroot=/sysroot -Wl,-O1 -Wl,--hash-style=gnu -Wl,--as-needed -Wl,-z,relro,-z,now'"
	env := []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64"}
	dir := t.TempDir()
	bin := filepath.Join(dir, "parsecd")
	goCmdEnv(t, env, "build", "-trimpath", "-ldflags="+ldflags, "-o", bin, ".")
	checkStatic(t, "parsecd built with go.bbclass's flags", bin, elf.EM_AARCH64)

	pie := filepath.Join(dir, "parsecd-pie")
	goCmdEnv(t, env, "build", "-trimpath", "-ldflags="+ldflags, "-buildmode=pie", "-o", pie, ".")
	f, err := elf.Open(pie)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Type != elf.ET_DYN {
		t.Errorf("control: with -buildmode=pie parsecd is ELF type %v, want ET_DYN; the recipe's PIE removal may no longer be needed", f.Type)
	}
}

// TestDefaultBuildDoesNotLinkGRPC: the SPIFFE Workload API client (go-spiffe
// and with it gRPC, some 5 MB in each binary) is only in builds with the
// spiffe tag; the default parsecd and parsec-tool leave it out.
func TestDefaultBuildDoesNotLinkGRPC(t *testing.T) {
	const grpc = "google.golang.org/grpc"
	links := func(pkgs []string) bool {
		return slices.ContainsFunc(pkgs, func(p string) bool { return p == grpc || strings.HasPrefix(p, grpc+"/") })
	}
	for _, pkg := range []string{selfPkg, "github.com/parsecd/parsecd/src/cmd/parsec-tool"} {
		if links(strings.Fields(goCmd(t, "0", "list", "-deps", pkg))) {
			t.Errorf("CGO_ENABLED=0 go list -deps %s contains %s", pkg, grpc)
		}
		// Not vacuous: the spiffe build does link it.
		if !links(strings.Fields(goCmd(t, "0", "list", "-deps", "-tags", "spiffe", pkg))) {
			t.Errorf("go list -deps -tags spiffe %s does not contain %s", pkg, grpc)
		}
	}
}
