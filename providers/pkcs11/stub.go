// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build !cgo || !pkcs11

package pkcs11

import (
	"context"
	"fmt"

	"github.com/parsecd/parsecd/src/config"
	"github.com/parsecd/parsecd/src/provider"
)

// unsupported is the provider_type "Pkcs11" check of builds without the
// provider: it explains how to get one. --check-config reports it too, as
// this binary would refuse to start on the entry.
func unsupported(file string, cfg config.Provider) error {
	return fmt.Errorf("%s: this parsecd was built without PKCS#11 support; "+
		"build it with cgo and the pkcs11 tag (CGO_ENABLED=1 go build -tags pkcs11 ./src/cmd/parsecd, or make build-pkcs11)",
		cfg.Where(file))
}

func init() {
	provider.Register(provider.Type{
		Names: []string{ProviderType},
		Factory: func(_ context.Context, file string, cfg config.Provider, _ provider.Deps) (provider.Provider, error) {
			return nil, unsupported(file, cfg)
		},
		Validator: func(file string, cfg config.Provider) ([]string, error) {
			return nil, unsupported(file, cfg)
		},
		Unavailable: true,
	})
}
