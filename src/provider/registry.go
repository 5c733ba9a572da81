// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

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

// Validator checks a [[provider]] entry's own keys and values without
// opening a device, loading a module or building anything: what
// `parsecd --check-config` runs for each entry. It returns the same errors
// the entry's Factory would for its schema, and notes: what the provider
// would log as warnings at start (e.g. a PIN file other users can read).
type Validator func(file string, cfg config.Provider) (notes []string, err error)

// Noter is implemented by provider options that carry start-up warnings;
// TypedValidator returns them as notes.
type Noter interface {
	Notes() []string
}

var (
	regMu      sync.RWMutex
	factories  = map[string]Factory{}
	validators = map[string]Validator{}
	// unavailable are the types registered only to explain that this
	// build lacks them (the PKCS#11 stub): never offered as available.
	unavailable = map[string]bool{}
)

// MarkUnavailable says that providerType is registered only to explain
// that this build lacks it: a mistyped provider_type does not list it
// among the types available.
func MarkUnavailable(providerType string) {
	regMu.Lock()
	defer regMu.Unlock()
	unavailable[providerType] = true
}

// Register makes a provider_type available; builds without a provider
// register a factory that explains what is missing.
func Register(providerType string, f Factory) {
	regMu.Lock()
	defer regMu.Unlock()
	factories[providerType] = f
}

// RegisterValidator gives a provider_type registered with Register the
// check --check-config runs on its entries.
func RegisterValidator(providerType string, v Validator) {
	regMu.Lock()
	defer regMu.Unlock()
	validators[providerType] = v
}

// lookup returns the factory and validator of a provider_type, or the
// error naming the types this build has.
func lookup(file string, cfg config.Provider) (Factory, Validator, error) {
	regMu.RLock()
	defer regMu.RUnlock()
	f, ok := factories[cfg.Type]
	if !ok {
		var known []string
		hint := ""
		for t := range factories {
			if unavailable[t] {
				continue
			}
			known = append(known, t)
			if strings.EqualFold(t, cfg.Type) {
				hint = fmt.Sprintf(": did you mean %q?", t)
			}
		}
		sort.Strings(known)
		return nil, nil, fmt.Errorf("%s: provider_type %q is not available in this build of parsecd (available: %s)%s",
			cfg.Where(file), cfg.Type, strings.Join(known, ", "), hint)
	}
	return f, validators[cfg.Type], nil
}

// Build constructs the provider of a [[provider]] entry.
func Build(ctx context.Context, file string, cfg config.Provider, deps Deps) (Provider, error) {
	f, _, err := lookup(file, cfg)
	if err != nil {
		return nil, err
	}
	return f(ctx, file, cfg, deps)
}

// ErrNoValidator is returned by Validate for a provider_type registered
// without a Validator: its keys are only checked when the daemon builds it.
var ErrNoValidator = errors.New("this provider type has no configuration check; its keys are checked when parsecd starts")

// Validate checks a [[provider]] entry without building its provider: the
// type must be available in this build and its keys valid.
func Validate(file string, cfg config.Provider) (notes []string, err error) {
	_, v, err := lookup(file, cfg)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, fmt.Errorf("%s: %w", cfg.Where(file), ErrNoValidator)
	}
	return v(file, cfg)
}

// Types lists the registered provider types, and for each whether it has a
// Validator (a test keeps every built-in type checkable).
func Types() map[string]bool {
	regMu.RLock()
	defer regMu.RUnlock()
	out := make(map[string]bool, len(factories))
	for t := range factories {
		out[t] = validators[t] != nil
	}
	return out
}

// ErrSkip is wrapped by a factory's error when its [[provider]] entry asks
// to be left out rather than stop the daemon when its device is missing
// (the TPM provider's skip_if_no_tpm): the daemon logs the error as a
// warning and starts with the other providers.
var ErrSkip = errors.New("provider skipped")

// Schema is a provider type's [[provider]] entry schema: decoded by
// DecodeProvider, then validated into the runtime options O. An error of
// Options about one key is a config.KeyErr (several: errors.Join of them),
// so that the message points at that key's line in the file.
type Schema[O any] interface {
	Options() (O, error)
}

// typedOptions decodes an entry into C and validates it into O: the step
// TypedFactory and TypedValidator share, so that --check-config and the
// daemon accept and refuse the same entries.
func typedOptions[C Schema[O], O any](file string, cfg config.Provider) (O, error) {
	var c C
	if err := cfg.DecodeProvider(file, &c); err != nil {
		var zero O
		return zero, err
	}
	o, err := c.Options()
	if err != nil {
		return o, cfg.Wrap(file, err)
	}
	return o, nil
}

// TypedValidator is the Validator of a provider type whose Factory is
// TypedFactory[C, O]: DecodeProvider and Options, without building.
// Options must therefore not open devices or load modules.
func TypedValidator[C Schema[O], O any]() Validator {
	return func(file string, cfg config.Provider) ([]string, error) {
		o, err := typedOptions[C](file, cfg)
		if err != nil {
			return nil, err
		}
		var notes []string
		if n, ok := any(o).(Noter); ok {
			for _, s := range n.Notes() {
				notes = append(notes, cfg.Where(file)+": "+s)
			}
		}
		return notes, nil
	}
}

// TypedFactory is the Factory of a provider type whose entry decodes into
// C (a Schema) and whose constructor takes the validated options:
// DecodeProvider, Options (errors name the file and entry), then build.
func TypedFactory[C Schema[O], O any, P Provider](build func(context.Context, O, Deps) (P, error)) Factory {
	return func(ctx context.Context, file string, cfg config.Provider, deps Deps) (Provider, error) {
		o, err := typedOptions[C](file, cfg)
		if err != nil {
			return nil, err
		}
		p, err := build(ctx, o, deps)
		if err != nil {
			return nil, err // not a nil P in a non-nil Provider
		}
		return p, nil
	}
}
