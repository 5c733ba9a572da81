// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build !cgo || !pkcs11

package pkcs11

import (
	"context"
	"strings"
	"testing"

	"github.com/parsecd/parsecd/src/config"
	"github.com/parsecd/parsecd/src/provider"
)

// TestStub: a build without the provider refuses a Pkcs11 entry and says
// how to get one.
func TestStub(t *testing.T) {
	cfg := config.Provider{Type: ProviderType, KeyManager: "k", Index: 2,
		Raw: []byte("provider_type = \"Pkcs11\"\nkey_info_manager = \"k\"\nlibrary_path = \"/usr/lib/softhsm/libsofthsm2.so\"\n")}
	p, err := provider.Build(context.Background(), "config.toml", cfg, provider.Deps{})
	if err == nil {
		p.Close()
		t.Fatal("the stub built a provider")
	}
	// --check-config says the same: this binary would not start on the entry.
	_, verr := provider.Validate("config.toml", cfg)
	for _, err := range []error{err, verr} {
		for _, want := range []string{"built without PKCS#11 support", "CGO_ENABLED=1", "-tags pkcs11", "config.toml", "#2"} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("error %v does not say %q", err, want)
			}
		}
	}
}
