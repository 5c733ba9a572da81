// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package provider

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/parsecd/parsecd/src/config"
)

// testSchema is a provider type's entry: size must be 1 to 9.
type testSchema struct {
	ProviderType   string `toml:"provider_type"`
	KeyInfoManager string `toml:"key_info_manager"`
	Name           string `toml:"name"`
	Size           int    `toml:"size"`
}

type testOptions struct{ size int }

func (o testOptions) Notes() []string {
	if o.size > 5 {
		return []string{"size above 5 is slow"}
	}
	return nil
}

func (c testSchema) Options() (testOptions, error) {
	if c.Size < 1 || c.Size > 9 {
		return testOptions{}, config.KeyErrorf("size", "size must be 1 to 9")
	}
	return testOptions{size: c.Size}, nil
}

// testEntry parses a config whose only [[provider]] (on line 5) has the
// given type and extra keys (from line 8).
func testEntry(t *testing.T, typ, keys string) config.Provider {
	t.Helper()
	text := "[core_settings]\n[listener]\nlistener_type = \"DomainSocket\"\n[authenticator]\n" +
		"[[provider]]\nprovider_type = \"" + typ + "\"\nkey_info_manager = \"k\"\n" + keys +
		"[[key_manager]]\nname = \"k\"\nmanager_type = \"Bbolt\"\n"
	text = strings.Replace(text, "[authenticator]\n", "[authenticator]\nauth_type = \"Direct\"\n", 1)
	c, err := config.Parse("cfg.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return c.Providers[0]
}

// TestValidate: a typed provider type's Validator decodes and checks the
// entry as its Factory would, but never builds the provider.
func TestValidate(t *testing.T) {
	built := 0
	Register(Typed[testSchema](func(context.Context, testOptions, Deps) (Provider, error) {
		built++
		return nil, errors.New("not buildable in this test")
	}, "TestTyped"))
	Register(Type{Names: []string{"TestUnchecked"}, Factory: func(context.Context, string, config.Provider, Deps) (Provider, error) {
		return nil, errors.New("never built here")
	}})

	for _, tc := range []struct {
		name, typ, keys string
		err, note       string // prefixes; "" = none
	}{
		{"valid", "TestTyped", "size = 3\n", "", ""},
		{"valid with a note", "TestTyped", "size = 7\n", "", "cfg.toml:6:3: [[provider]] #1 (TestTyped): size above 5 is slow"},
		{"bad value on its key's line", "TestTyped", "size = 10\n", "cfg.toml:9:1: [[provider]] #1 (TestTyped): size must be 1 to 9", ""},
		{"missing key: the header's line", "TestTyped", "", "cfg.toml:6:3: [[provider]] #1 (TestTyped): size must be 1 to 9", ""},
		{"unknown key", "TestTyped", "size = 1\ncolour = \"red\"\n", `cfg.toml:10:1: [[provider]] #1 (TestTyped): unknown key "colour"`, ""},
		{"mistyped key", "TestTyped", "size = \"3\"\n", `cfg.toml:9:1: [[provider]] #1 (TestTyped): key "size": `, ""},
		{"type not in this build", "NoSuchType", "", `cfg.toml:6:3: [[provider]] #1 (NoSuchType): provider_type "NoSuchType" is not available in this build of parsecd (available: `, ""},
		{"type without a validator", "TestUnchecked", "", "cfg.toml:6:3: [[provider]] #1 (TestUnchecked): this provider type has no configuration check", ""},
	} {
		notes, err := Validate("cfg.toml", testEntry(t, tc.typ, tc.keys))
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.err != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.err)):
			t.Errorf("%s: error %v, want one starting with %q", tc.name, err, tc.err)
		}
		if got := strings.Join(notes, "\n"); got != tc.note {
			t.Errorf("%s: notes %q, want %q", tc.name, got, tc.note)
		}
	}
	if built != 0 {
		t.Errorf("Validate built a provider %d times", built)
	}
	// The factory refuses what the validator refuses, with the same error.
	cfg := testEntry(t, "TestTyped", "size = 10\n")
	_, verr := Validate("cfg.toml", cfg)
	if _, err := Build(context.Background(), "cfg.toml", cfg, Deps{}); err == nil || verr == nil || err.Error() != verr.Error() || built != 0 {
		t.Errorf("Build: %v, Validate: %v (want the same error, nothing built)", err, verr)
	}
	if ty := Types(); !ty["TestTyped"] || ty["TestUnchecked"] {
		t.Errorf("Types() = %v", ty)
	}
}
