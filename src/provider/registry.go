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
// a Typed type's Validator returns them as notes.
type Noter interface {
	Notes() []string
}

// Type is what a provider package registers about its provider_type, in
// one call to Register from its own init: the daemon's main only imports
// the package.
type Type struct {
	// Names are the provider_type values the type answers to: its name,
	// then any aliases (the software provider's MbedCrypto).
	Names   []string
	Factory Factory
	// Validator is what --check-config runs on the type's entries; nil for
	// none (its keys are then checked when the daemon starts).
	Validator Validator
	// Unavailable marks a type registered only to explain that this build
	// lacks it (the PKCS#11 stub): a mistyped provider_type does not list
	// it among the types available.
	Unavailable bool
}

var (
	regMu sync.RWMutex
	types = map[string]Type{} // by each of its names
)

// Register makes a provider type available under each of its names.
func Register(t Type) {
	regMu.Lock()
	defer regMu.Unlock()
	for _, n := range t.Names {
		types[n] = t
	}
}

// Typed is the Type of a provider whose entry decodes into C (a Schema) and
// whose constructor takes the validated options O. Its Factory and
// Validator decode and validate alike (DecodeProvider, then Options), so
// that --check-config and the daemon accept and refuse the same entries;
// Options must therefore not open devices or load modules.
func Typed[C Schema[O], O any, P Provider](build func(context.Context, O, Deps) (P, error), names ...string) Type {
	return Type{Names: names, Factory: typedFactory[C](build), Validator: typedValidator[C, O]()}
}

// lookup returns the factory and validator of a provider_type, or the
// error naming the types this build has.
func lookup(file string, cfg config.Provider) (Factory, Validator, error) {
	regMu.RLock()
	defer regMu.RUnlock()
	t, ok := types[cfg.Type]
	if !ok {
		var known []string
		hint := ""
		for n, t := range types {
			if t.Unavailable {
				continue
			}
			known = append(known, n)
			if strings.EqualFold(n, cfg.Type) {
				hint = fmt.Sprintf(": did you mean %q?", n)
			}
		}
		sort.Strings(known)
		return nil, nil, fmt.Errorf("%s: provider_type %q is not available in this build of parsecd (available: %s)%s",
			cfg.Where(file), cfg.Type, strings.Join(known, ", "), hint)
	}
	return t.Factory, t.Validator, nil
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
	out := make(map[string]bool, len(types))
	for n, t := range types {
		out[n] = t.Validator != nil
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
// a Typed type's Factory and Validator share, so that --check-config and the
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

// typedValidator is the Validator of a Typed provider type: DecodeProvider
// and Options, without building.
func typedValidator[C Schema[O], O any]() Validator {
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

// typedFactory is the Factory of a Typed provider type: DecodeProvider,
// Options (errors name the file and entry), then build.
func typedFactory[C Schema[O], O any, P Provider](build func(context.Context, O, Deps) (P, error)) Factory {
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
