// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Command sizecheck builds the static, stripped binaries as `make cross`
// does and compares their sizes with test/sizecheck/budgets.txt (issue 14).
//
//	sizecheck -ldflags FLAGS           fail when a binary is over its budget
//	sizecheck -ldflags FLAGS -report   print every binary against its target, met/missed
//	sizecheck -ldflags FLAGS -update   rewrite the per-package baselines
//
// A budget is a ceiling just above today's size, so that growth is a
// decision (raise it in budgets.txt, saying why in the commit), not an
// accident; the target is issue 14's goal, which -report (make bench)
// prints as met or missed. Over budget, it prints what grew since the
// committed baseline (testdata/<binary>-<platform>.txt: bytes per module
// and package: the symbol sizes go tool nm -size lists, of the same build
// unstripped, less bss).
package main

import (
	"bufio"
	"debug/elf"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

type entry struct {
	binary   string // parsecd or parsec-tool
	platform string // linux/arm64, linux/amd64, linux/armv7
	budget   int64  // 0: reported only
	target   int64  // 0: none
}

func main() {
	budgets := flag.String("budgets", "test/sizecheck/budgets.txt", "budget file")
	ldflags := flag.String("ldflags", "-s -w", "the -ldflags of `make build` (must strip: -s -w)")
	report := flag.Bool("report", false, "print every binary against its target (met/missed); never fails")
	update := flag.Bool("update", false, "rewrite the per-package baselines in testdata/ from this build")
	flag.Parse()
	entries, err := readBudgets(*budgets)
	if err != nil {
		fail(err)
	}
	tmp, err := os.MkdirTemp("", "sizecheck-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(tmp)
	baselineDir := filepath.Join(filepath.Dir(*budgets), "testdata")

	over := 0
	fmt.Printf("%-12s %-12s %11s %11s %11s  %s\n", "binary", "platform", "bytes", "budget", "target", "target")
	for _, e := range entries {
		if !*report && !*update && e.budget == 0 {
			continue
		}
		size, err := build(tmp, e, *ldflags, true)
		if err != nil {
			fail(err)
		}
		verdict := "-"
		if e.target > 0 {
			verdict = "met"
			if size > e.target {
				verdict = fmt.Sprintf("missed by %d (%.2f MiB, target %.2f MiB)", size-e.target, mib(size), mib(e.target))
			}
		}
		fmt.Printf("%-12s %-12s %11d %11s %11s  %s\n", e.binary, e.platform, size, orDash(e.budget), orDash(e.target), verdict)
		if e.budget == 0 {
			continue
		}
		baseline := filepath.Join(baselineDir, e.binary+"-"+strings.ReplaceAll(e.platform, "/", "-")+".txt")
		switch {
		case *update:
			sizes, err := packageSizes(tmp, e, *ldflags)
			if err != nil {
				fail(err)
			}
			if err := writeBaseline(baseline, size, sizes); err != nil {
				fail(err)
			}
		case !*report && size > e.budget:
			over++
			fmt.Printf("\n%s %s: %d bytes, %d over its budget of %d (%s).\n", e.binary, e.platform, size, size-e.budget, e.budget, *budgets)
			sizes, err := packageSizes(tmp, e, *ldflags)
			if err != nil {
				fail(err)
			}
			printGrowth(baseline, sizes)
		}
	}
	if over > 0 {
		fmt.Println("\nsize-check: over budget. Shrink it, or raise the budget in test/sizecheck/budgets.txt")
		fmt.Println("(and run make size-baseline) in a commit that says why the growth is worth it.")
		os.Exit(1)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "sizecheck:", err)
	os.Exit(2)
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

func orDash(n int64) string {
	if n == 0 {
		return "-"
	}
	return strconv.FormatInt(n, 10)
}

// readBudgets reads lines "binary platform budget target" ("-" for none).
func readBudgets(path string) ([]entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []entry
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(text)
		if len(fields) == 0 {
			continue
		}
		if len(fields) != 4 {
			return nil, fmt.Errorf("%s:%d: want: binary platform budget target", path, line)
		}
		e := entry{binary: fields[0], platform: fields[1]}
		for i, p := range []*int64{&e.budget, &e.target} {
			if fields[2+i] == "-" {
				continue
			}
			if *p, err = strconv.ParseInt(fields[2+i], 10, 64); err != nil || *p <= 0 {
				return nil, fmt.Errorf("%s:%d: %q is not a size in bytes", path, line, fields[2+i])
			}
		}
		out = append(out, e)
	}
	return out, sc.Err()
}

// build cross-builds e as make cross does (CGO_ENABLED=0, -trimpath) and
// returns the file size; stripped unless strip is false (for go tool nm).
func build(dir string, e entry, ldflags string, strip bool) (int64, error) {
	goos, arch, ok := strings.Cut(e.platform, "/")
	if !ok {
		return 0, fmt.Errorf("platform %q: want GOOS/GOARCH", e.platform)
	}
	env := append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos)
	switch arch {
	case "armv7":
		env = append(env, "GOARCH=arm", "GOARM=7")
	case "armv6":
		env = append(env, "GOARCH=arm", "GOARM=6")
	default:
		env = append(env, "GOARCH="+arch)
	}
	if !strip {
		var keep []string
		for _, f := range strings.Fields(ldflags) {
			if f != "-s" && f != "-w" {
				keep = append(keep, f)
			}
		}
		ldflags = strings.Join(keep, " ")
	}
	out := filepath.Join(dir, fmt.Sprintf("%s-%s-%s-%v", e.binary, goos, arch, strip))
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", ldflags, "-o", out, "./src/cmd/"+e.binary)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("building %s for %s: %w", e.binary, e.platform, err)
	}
	fi, err := os.Stat(out)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// packageSizes sums the symbol sizes of the unstripped build (those go
// tool nm -size lists) per package and per module (keyed "module <path>").
func packageSizes(dir string, e entry, ldflags string) (map[string]int64, error) {
	if _, err := build(dir, e, ldflags, false); err != nil {
		return nil, err
	}
	goos, arch, _ := strings.Cut(e.platform, "/")
	bin := filepath.Join(dir, fmt.Sprintf("%s-%s-%s-false", e.binary, goos, arch))
	mods, err := modules(bin)
	if err != nil {
		return nil, err
	}
	f, err := elf.Open(bin)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		return nil, fmt.Errorf("symbols of %s: %w", bin, err)
	}
	sizes := map[string]int64{}
	for _, sym := range syms {
		// What go tool nm -size lists, less what takes no room in the
		// file (bss, such as the DRBG's 32 MB arena) and the unnamed.
		if sym.Name == "" || sym.Section == elf.SHN_UNDEF || int(sym.Section) >= len(f.Sections) ||
			f.Sections[sym.Section].Type == elf.SHT_NOBITS {
			continue
		}
		pkg := symbolPackage(sym.Name)
		sizes[pkg] += int64(sym.Size)
		sizes["module "+moduleOf(pkg, mods)] += int64(sym.Size)
	}
	return sizes, nil
}

// modules lists the module paths linked into bin (go version -m), longest first.
func modules(bin string) ([]string, error) {
	out, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		return nil, fmt.Errorf("go version -m %s: %w", bin, err)
	}
	var mods []string
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && (f[0] == "mod" || f[0] == "dep") {
			mods = append(mods, f[1])
		}
	}
	sort.Slice(mods, func(i, j int) bool { return len(mods[i]) > len(mods[j]) })
	return mods, nil
}

func moduleOf(pkg string, mods []string) string {
	for _, m := range mods {
		if pkg == m || strings.HasPrefix(pkg, m+"/") {
			return m
		}
	}
	if strings.HasPrefix(pkg, "(") {
		return pkg
	}
	return "std"
}

// symbolPackage is the import path of a symbol's package: "crypto/ecdsa"
// of "crypto/ecdsa.(*PrivateKey).Sign", of "type:*crypto/ecdsa.PublicKey"
// and of "go:itab.*crypto/ecdsa.x,y". Linker-made symbols are "(runtime
// metadata)".
func symbolPackage(sym string) string {
	for _, p := range []string{"type:", "go:itab.", "go:string.", "go:closure.", "go:info.", "go:cuinfo."} {
		sym = strings.TrimPrefix(sym, p)
	}
	if strings.HasPrefix(sym, "go:") || strings.HasPrefix(sym, "$") {
		return "(runtime metadata)"
	}
	sym = strings.TrimPrefix(strings.TrimPrefix(sym, "."), "eq.") // type equality functions
	sym = strings.TrimLeft(sym, "*[]")
	if i := strings.IndexAny(sym, "[("); i >= 0 {
		sym = sym[:i]
	}
	slash := strings.LastIndex(sym, "/")
	if dot := strings.Index(sym[slash+1:], "."); dot >= 0 {
		return sym[:slash+1+dot]
	}
	if sym == "" {
		return "(runtime metadata)"
	}
	return sym
}

func writeBaseline(path string, size int64, sizes map[string]int64) error {
	var b strings.Builder
	b.WriteString("# SPDX-License-Identifier: Apache-2.0\n")
	b.WriteString("# Written by make size-baseline (test/sizecheck -update): symbol bytes (go tool nm -size, less bss)\n")
	b.WriteString("# per module and package of the unstripped build; the check prints growth against it.\n")
	fmt.Fprintf(&b, "stripped %d\n", size)
	keys := make([]string, 0, len(sizes))
	for k := range sizes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%d %s\n", sizes[k], k)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func readBaseline(path string) (map[string]int64, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	sizes := map[string]int64{}
	for _, line := range strings.Split(string(raw), "\n") {
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "stripped ") {
			continue
		}
		n, name, ok := strings.Cut(line, " ")
		if v, err := strconv.ParseInt(n, 10, 64); ok && err == nil {
			sizes[name] = v
		}
	}
	return sizes, nil
}

// printGrowth lists the modules, then the packages, that grew the most.
func printGrowth(baselinePath string, now map[string]int64) {
	base, err := readBaseline(baselinePath)
	if err != nil {
		fmt.Printf("no baseline to compare with (%v); the largest modules now:\n", err)
		base = map[string]int64{}
	}
	type delta struct {
		name string
		d    int64
	}
	var mods, pkgs []delta
	for name, n := range now {
		d := delta{name, n - base[name]}
		if d.d <= 0 {
			continue
		}
		if m, ok := strings.CutPrefix(name, "module "); ok {
			mods = append(mods, delta{m, d.d})
		} else {
			pkgs = append(pkgs, d)
		}
	}
	for _, list := range [][]delta{mods, pkgs} {
		sort.Slice(list, func(i, j int) bool { return list[i].d > list[j].d })
	}
	if len(mods) == 0 {
		fmt.Println("no module grew since the baseline; the largest now:")
		for name, n := range now {
			if m, ok := strings.CutPrefix(name, "module "); ok {
				mods = append(mods, delta{m, n})
			}
		}
		sort.Slice(mods, func(i, j int) bool { return mods[i].d > mods[j].d })
	} else {
		fmt.Println("grown since the baseline, by module (symbol bytes, as go tool nm -size):")
	}
	for i, d := range mods {
		if i == 10 {
			break
		}
		fmt.Printf("  %+9d  %s\n", d.d, d.name)
	}
	fmt.Println("by package:")
	for i, d := range pkgs {
		if i == 15 {
			break
		}
		fmt.Printf("  %+9d  %s\n", d.d, d.name)
	}
}
