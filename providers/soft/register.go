// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package soft

import (
	"context"

	"github.com/parsecd/parsecd/src/provider"
)

// Config is the schema of a Software (alias MbedCrypto) [[provider]] entry.
type Config struct {
	ProviderType   string `toml:"provider_type"`
	KeyInfoManager string `toml:"key_info_manager"`
	Name           string `toml:"name"`
}

// Options implements provider.Schema: the only option is the name.
func (c Config) Options() (string, error) {
	if c.Name == "" {
		return DefaultName, nil
	}
	return c.Name, nil
}

// Existing Parsec configs name the software provider MbedCrypto.
func init() {
	provider.Register(provider.Typed[Config](func(_ context.Context, name string, deps provider.Deps) (*Provider, error) {
		return New(name, deps)
	}, "Software", "MbedCrypto"))
}
