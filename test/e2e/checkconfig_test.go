// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package e2e

// parsecd --check-config, as meta-parsec's oeqa case and docs/config.md
// have users run it after editing /etc/parsec/config.toml: each
// [[provider]] entry's own keys are checked, nothing is opened.

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestCheckConfigShippedFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(repoRoot, "rootfs", "etc", "parsec", "config.toml")
	out, code := lcRunBin(t, "--check-config", "-c", path)
	if code != 0 || !strings.Contains(out, path+": configuration is valid") {
		t.Errorf("--check-config %s: exit %d\n%s", path, code, out)
	}
}

func TestCheckConfigProviderKeys(t *testing.T) {
	t.Parallel()
	shipped, err := os.ReadFile(filepath.Join(repoRoot, "rootfs", "etc", "parsec", "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	// The shipped file with its TPM provider's tcti broken, an unknown key
	// added to its software provider and a Pkcs11 entry with a bad PIN.
	text := strings.Replace(string(shipped), `tcti = "device"`, `tcti = "tabrmd"`, 1)
	text = strings.Replace(text, `name = "software-provider"`, "name = \"software-provider\"\nslot_number = 1", 1)
	text += `
[[provider]]
provider_type = "Pkcs11"
key_info_manager = "bbolt-manager"
library_path = "/nonexistent/libp11.so"
user_pin = "hex:12345"
`
	if text == string(shipped) || strings.Count(text, "slot_number") != 1 {
		t.Fatal("rootfs config.toml changed: this test's edits no longer apply")
	}
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	line := func(prefix string) string {
		for i, l := range strings.Split(text, "\n") {
			if strings.HasPrefix(l, prefix) {
				return path + ":" + strconv.Itoa(i+1) + ":1: "
			}
		}
		t.Fatalf("no line %q", prefix)
		return ""
	}
	out, code := lcRunBin(t, "--check-config", "-c", path)
	if code == 0 {
		t.Fatalf("--check-config accepted a bad file:\n%s", out)
	}
	want := []string{
		line(`tcti =`) + `[[provider]] #1 (Tpm): invalid tcti "tabrmd"`,
		line("slot_number =") + `[[provider]] #2 (Software): unknown key "slot_number"`,
	}
	if slices.Contains(parsecdBuild.flags, "pkcs11") {
		want = append(want, line("user_pin =")+"[[provider]] #3 (Pkcs11): user_pin: the hex: value is not an even number")
	} else {
		// This binary could not start on the entry at all: that is the error.
		want = append(want, "[[provider]] #3 (Pkcs11): this parsecd was built without PKCS#11 support")
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("--check-config output lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "12345") {
		t.Errorf("--check-config shows the PIN:\n%s", out)
	}
}
