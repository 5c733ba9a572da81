package provider

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/parsecd/parsecd/src/config"
)

// Factory builds a provider from its [[provider]] entry. It decodes the
// entry's type-specific keys itself (config.Provider.DecodeProvider), so
// every provider type owns its schema.
type Factory func(ctx context.Context, file string, cfg config.Provider, deps Deps) (Provider, error)

var (
	regMu     sync.RWMutex
	factories = map[string]Factory{}
)

// Register makes a provider_type available; builds without a provider
// register a factory that explains what is missing.
func Register(providerType string, f Factory) {
	regMu.Lock()
	defer regMu.Unlock()
	factories[providerType] = f
}

// Build constructs the provider of a [[provider]] entry.
func Build(ctx context.Context, file string, cfg config.Provider, deps Deps) (Provider, error) {
	regMu.RLock()
	f, ok := factories[cfg.Type]
	var known []string
	for t := range factories {
		known = append(known, t)
	}
	regMu.RUnlock()
	if !ok {
		sort.Strings(known)
		return nil, fmt.Errorf("%s: [[provider]] #%d: provider_type %q is not available in this build of parsecd (available: %s)",
			file, cfg.Index, cfg.Type, strings.Join(known, ", "))
	}
	return f(ctx, file, cfg, deps)
}

// ErrSkip is wrapped by a factory's error when its [[provider]] entry asks
// to be left out rather than stop the daemon when its device is missing
// (the TPM provider's skip_if_no_tpm): the daemon logs the error as a
// warning and starts with the other providers.
var ErrSkip = errors.New("provider skipped")

// Schema is a provider type's [[provider]] entry schema: decoded by
// DecodeProvider, then validated into the runtime options O.
type Schema[O any] interface {
	Options() (O, error)
}

// TypedFactory is the Factory of a provider type whose entry decodes into
// C (a Schema) and whose constructor takes the validated options:
// DecodeProvider, Options (errors name the file and entry), then build.
func TypedFactory[C Schema[O], O any, P Provider](build func(context.Context, O, Deps) (P, error)) Factory {
	return func(ctx context.Context, file string, cfg config.Provider, deps Deps) (Provider, error) {
		var c C
		if err := cfg.DecodeProvider(file, &c); err != nil {
			return nil, err
		}
		o, err := c.Options()
		if err != nil {
			return nil, fmt.Errorf("%s: [[provider]] #%d (%s): %w", file, cfg.Index, cfg.Type, err)
		}
		p, err := build(ctx, o, deps)
		if err != nil {
			return nil, err // not a nil P in a non-nil Provider
		}
		return p, nil
	}
}
