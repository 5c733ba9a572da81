//go:build !cgo || !pkcs11

package pkcs11

import (
	"context"
	"fmt"

	"github.com/parsecd/parsecd/src/config"
	"github.com/parsecd/parsecd/src/provider"
)

// unsupported is the provider_type "Pkcs11" factory of builds without the
// provider: it explains how to get one.
func unsupported(_ context.Context, file string, cfg config.Provider, _ provider.Deps) (provider.Provider, error) {
	return nil, fmt.Errorf("%s: [[provider]] #%d (%s): this parsecd was built without PKCS#11 support; "+
		"build it with cgo and the pkcs11 tag (CGO_ENABLED=1 go build -tags pkcs11 ./src/cmd/parsecd, or make build-pkcs11)",
		file, cfg.Index, cfg.Type)
}

func init() {
	provider.Register(ProviderType, unsupported)
}
