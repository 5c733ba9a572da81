package main

import (
	"context"

	// The PKCS#11 provider: the real one with cgo and -tags pkcs11, else a
	// stub that refuses provider_type "Pkcs11" ("built without PKCS#11 support").
	_ "github.com/parsecd/parsecd/providers/pkcs11"
	"github.com/parsecd/parsecd/providers/soft"
	// The TPM 2.0 provider (pure Go, go-tpm): in every build.
	_ "github.com/parsecd/parsecd/providers/tpm"
	"github.com/parsecd/parsecd/src/config"
	"github.com/parsecd/parsecd/src/provider"
)

// softConfig is the schema of a Software (alias MbedCrypto) [[provider]].
type softConfig struct {
	ProviderType   string `toml:"provider_type"`
	KeyInfoManager string `toml:"key_info_manager"`
	Name           string `toml:"name"`
}

func newSoft(_ context.Context, file string, cfg config.Provider, deps provider.Deps) (provider.Provider, error) {
	var sc softConfig
	if err := cfg.DecodeProvider(file, &sc); err != nil {
		return nil, err
	}
	name := sc.Name
	if name == "" {
		name = soft.DefaultName
	}
	return soft.New(name, deps)
}

func init() {
	provider.Register("Software", newSoft)
	// Existing Parsec configs name the software provider MbedCrypto.
	provider.Register("MbedCrypto", newSoft)
}
