// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package main

import (
	"context"

	// The PKCS#11 provider: the real one with cgo and -tags pkcs11, else a
	// stub that refuses provider_type "Pkcs11" ("built without PKCS#11 support").
	_ "github.com/parsecd/parsecd/providers/pkcs11"
	"github.com/parsecd/parsecd/providers/soft"
	// The TPM 2.0 provider (pure Go, go-tpm): in every build.
	_ "github.com/parsecd/parsecd/providers/tpm"
	"github.com/parsecd/parsecd/src/provider"
)

// softConfig is the schema of a Software (alias MbedCrypto) [[provider]].
type softConfig struct {
	ProviderType   string `toml:"provider_type"`
	KeyInfoManager string `toml:"key_info_manager"`
	Name           string `toml:"name"`
}

// Options implements provider.Schema: the only option is the name.
func (c softConfig) Options() (string, error) {
	if c.Name == "" {
		return soft.DefaultName, nil
	}
	return c.Name, nil
}

func newSoft(_ context.Context, name string, deps provider.Deps) (*soft.Provider, error) {
	return soft.New(name, deps)
}

func init() {
	factory := provider.TypedFactory[softConfig, string](newSoft)
	check := provider.TypedValidator[softConfig, string]()
	// Existing Parsec configs name the software provider MbedCrypto.
	for _, t := range []string{"Software", "MbedCrypto"} {
		provider.Register(t, factory)
		provider.RegisterValidator(t, check)
	}
}
