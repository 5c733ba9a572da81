// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package main

// parsecd --check-config checks each [[provider]] entry's own keys with the
// provider types this binary has (Software and MbedCrypto, Tpm, and Pkcs11
// or its stub), without opening a TPM.

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parsecd/parsecd/src/provider"
)

// checkHead is the generic part of the configs below: the first
// [[provider]] header is on line 11.
const checkHead = `[core_settings]
[listener]
listener_type = "DomainSocket"
socket_path = "/nonexistent/parsec.sock"
[authenticator]
auth_type = "UnixPeerCredentials"
[[key_manager]]
name = "m"
manager_type = "Bbolt"
path = "/nonexistent/keys.db"
`

// checkConfig writes checkHead+entries to a file and runs --check-config
// on it: the file's path, parsecd's output and its exit code.
func checkConfig(t *testing.T, entries string) (string, string, int) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(checkHead+entries), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	code := run([]string{"--check-config", "-c", path}, &out)
	return path, out.String(), code
}

// TestCheckConfigProviders: each entry is checked with its type's own
// schema; the errors give the file, the line and column, the entry and
// the key, and every bad entry is reported.
func TestCheckConfigProviders(t *testing.T) {
	const tpm = "[[provider]]\nprovider_type = \"Tpm\"\nkey_info_manager = \"m\"\n"
	const soft = "[[provider]]\nprovider_type = \"Software\"\nkey_info_manager = \"m\"\n"
	for _, tc := range []struct {
		name, entries string
		want          []string // each a line of the output after the file name; none = valid
	}{
		// Nothing is opened: neither a device that does not exist nor a
		// TCP port nobody listens on fails the check.
		{"TPM device not opened", tpm + "tcti = \"device:/nonexistent/tpmrm0\"\nowner_hierarchy_auth = \"hex:0a0b\"\n", nil},
		{"TPM simulator not reached", tpm + "tcti = \"swtpm:host=127.0.0.1,port=1\"\n" + soft + "name = \"s\"\n", nil},
		{"MbedCrypto alias", strings.Replace(soft, "Software", "MbedCrypto", 1), nil},
		{"bad tcti", tpm + "tcti = \"tbs\"\n",
			[]string{`:14:1: [[provider]] #1 (Tpm): invalid tcti "tbs"`}},
		{"no tcti", tpm,
			[]string{":11:3: [[provider]] #1 (Tpm): tcti is required"}},
		{"bad hex auth", tpm + "tcti = \"device\"\nendorsement_hierarchy_auth = \"hex:0g\"\n",
			[]string{":15:1: [[provider]] #1 (Tpm): endorsement_hierarchy_auth: hex: value has a character that is not a hex digit"}},
		{"mistyped key", tpm + "tcti = \"device\"\nskip_if_no_tpm = \"yes\"\n",
			[]string{`:15:1: [[provider]] #1 (Tpm): key "skip_if_no_tpm": `}},
		{"unknown Software key", soft + "library_path = \"/lib.so\"\n",
			[]string{`:14:1: [[provider]] #1 (Software): unknown key "library_path"`}},
		{"every bad entry", tpm + "tcti = \"mssim:port=x\"\nowner_hierarchy_auth = \"hex:abc\"\n" + soft + "name = \"s\"\nsize = 2\n", []string{
			`:14:1: [[provider]] #1 (Tpm): invalid tcti "mssim:port=x"`,
			":15:1: [[provider]] #1 (Tpm): owner_hierarchy_auth: hex: value has an odd number of digits",
			`:20:1: [[provider]] #2 (Software): unknown key "size"`,
		}},
		{"type not in parsecd", "[[provider]]\nprovider_type = \"CryptoAuthLib\"\nkey_info_manager = \"m\"\n",
			[]string{`:11:3: [[provider]] #1 (CryptoAuthLib): provider_type "CryptoAuthLib" is not available in this build of parsecd`}},
	} {
		path, out, code := checkConfig(t, tc.entries)
		if len(tc.want) == 0 {
			if code != 0 || !strings.Contains(out, path+": configuration is valid") {
				t.Errorf("%s: exit %d, output:\n%s", tc.name, code, out)
			}
			continue
		}
		if code == 0 || strings.Contains(out, "configuration is valid") {
			t.Errorf("%s: exit %d, output:\n%s", tc.name, code, out)
		}
		lines := strings.Split(strings.TrimSpace(strings.TrimPrefix(out, "parsecd: ")), "\n")
		if n := len(lines); n > 1 {
			if want := fmt.Sprintf("parsecd: %d problems", n-1); lines[n-1] != want {
				t.Errorf("%s: last line %q, want %q", tc.name, lines[n-1], want)
			}
			lines = lines[:n-1]
		}
		if len(lines) != len(tc.want) {
			t.Errorf("%s: %d lines, want %d:\n%s", tc.name, len(lines), len(tc.want), out)
			continue
		}
		for i, w := range tc.want {
			if !strings.HasPrefix(lines[i], path+w) {
				t.Errorf("%s: line %q, want it to start with %q", tc.name, lines[i], path+w)
			}
		}
	}
}

// TestCheckConfigRootfs: the device configuration rootfs/ installs passes.
func TestCheckConfigRootfs(t *testing.T) {
	path := filepath.Join("..", "..", "..", "rootfs", "etc", "parsec", "config.toml")
	var out bytes.Buffer
	if code := run([]string{"--check-config", "-c", path}, &out); code != 0 {
		t.Errorf("exit %d:\n%s", code, out.String())
	}
}

// TestBuiltinTypesAreChecked: --check-config can check every provider type
// this binary has; a type without a Validator would only be noted.
func TestBuiltinTypesAreChecked(t *testing.T) {
	types := provider.Types()
	for _, want := range []string{"Software", "MbedCrypto", "Tpm", "Pkcs11"} {
		if checked, ok := types[want]; !ok || !checked {
			t.Errorf("provider type %s: registered %v, has a Validator %v", want, ok, checked)
		}
	}
}

// TestCheckConfigEveryProblem: problems of the generic sections and of the
// entries' own keys are reported together, one per line.
func TestCheckConfigEveryProblem(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	text := strings.Replace(checkHead, "[core_settings]\n", "[core_settings]\nallow_root = \"no\"\n", 1) +
		"[[provider]]\nprovider_type = \"Tpm\"\nkey_info_manager = \"m\"\ntcti = \"tbs\"\n" +
		"[[provider]]\nprovider_type = \"Software\"\nkey_info_manager = \"nope\"\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	code := run([]string{"--check-config", "-c", path}, &out)
	want := []string{
		path + `:2:1: core_settings.allow_root: expected true or false (without quotes), found the string "no"`,
		path + `:18:1: [[provider]] #2: key_info_manager "nope" does not name a [[key_manager]] (expected "m")`,
		path + `:15:1: [[provider]] #1 (Tpm): invalid tcti "tbs"`,
		"parsecd: 3 problems",
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if code != 1 || len(lines) != len(want) {
		t.Fatalf("exit %d, output:\n%s\nwant the lines:\n%s", code, out.String(), strings.Join(want, "\n"))
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d: %q, want it to start with %q", i+1, lines[i], w)
		}
	}
}
