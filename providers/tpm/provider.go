// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package tpm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"

	"github.com/google/go-tpm/tpm2/transport"

	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
)

// defaultBufferSizeLimit is used when Deps.BufferSizeLimit is zero.
const defaultBufferSizeLimit = 1 << 20

// Provider is the TPM 2.0 provider. It is safe for concurrent use: every
// TPM command runs under one mutex on one connection (link.go), as a TPM
// (and swtpm) serves one command at a time.
type Provider struct {
	name            string
	opts            Options
	keys            storage.KeyStore
	log             *slog.Logger
	bufferSizeLimit uint64
	allowDeprecated bool
	caps            caps // read once at start-up

	link    *link
	records records // decoded key records (records.go)
	closed  atomic.Bool
}

// Compile-time checks of the operation families served (Parsec's twelve).
var (
	_ provider.Provider        = (*Provider)(nil)
	_ provider.KeyManagement   = (*Provider)(nil)
	_ provider.AsymSign        = (*Provider)(nil)
	_ provider.AsymEncryption  = (*Provider)(nil)
	_ provider.Random          = (*Provider)(nil)
	_ provider.CapabilityCheck = (*Provider)(nil)
)

// New opens the TPM, starts it up, reads its capabilities and creates the
// storage primary key, so that a wrong TCTI or owner auth stops the start.
// When the TPM cannot be opened and o.SkipIfNoTPM is set, the error wraps
// provider.ErrSkip.
func New(ctx context.Context, o Options, deps provider.Deps) (*Provider, error) {
	if deps.Keys == nil {
		return nil, errors.New("tpm provider: a key store is required")
	}
	if o.Name == "" {
		o.Name = DefaultName
	}
	log := deps.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	log = log.With("provider", o.Name)
	limit := deps.BufferSizeLimit
	if limit == 0 {
		limit = defaultBufferSizeLimit
	}
	p := &Provider{name: o.Name, opts: o, keys: deps.Keys, log: log, bufferSizeLimit: limit, allowDeprecated: deps.AllowDeprecated}
	l, err := acquire(ctx, o.TCTI)
	if err != nil {
		if o.SkipIfNoTPM {
			return nil, fmt.Errorf("tpm provider: %w (skip_if_no_tpm = true): %w", provider.ErrSkip, err)
		}
		return nil, fmt.Errorf("tpm provider: %w", err)
	}
	p.link = l
	var maker string
	err = l.do(ctx, log, func(t transport.TPM) error {
		var err error
		if p.caps, err = readCaps(t); err != nil {
			return err
		}
		srk, err := createSRK(t, o.OwnerAuth, p.caps)
		if err != nil {
			return fmt.Errorf("creating the storage primary key in the owner hierarchy (check owner_hierarchy_auth): %w", err)
		}
		l.setStorageKey(t, srk, o.OwnerAuth)
		maker, _ = Manufacturer(t)
		return nil
	})
	if err != nil {
		_ = l.release()
		return nil, fmt.Errorf("tpm provider: %s: %w", o.TCTI, err)
	}
	log.Info("TPM ready", "tcti", o.TCTI.String(), "manufacturer", maker, "rsa_bits", p.caps.rsaBits,
		"curves", p.caps.curveBits(), "max_random_chunk", p.caps.maxDigest)
	return p, nil
}

// do runs fn with the TPM (link.do) unless the provider is closed.
func (p *Provider) do(ctx context.Context, fn func(t transport.TPM) error) error {
	if p.closed.Load() {
		return status.Errorf(status.PsaErrorCommunicationFailure, "the TPM provider is closed")
	}
	return p.link.do(ctx, p.log, fn)
}

// storageKey returns the storage primary key, creating it when needed.
// It runs inside do.
func (p *Provider) storageKey(t transport.TPM) (*primary, error) {
	return p.link.storageKey(t, p.caps)
}

// Info implements provider.Provider.
func (p *Provider) Info() provider.Info {
	return provider.Info{
		ID:          parsec.ProviderTpm,
		UUID:        UUID,
		Description: "TPM 2.0 provider (parsecd, go-tpm)",
		Vendor:      "Trusted Computing Group (TCG)",
		Version:     [3]uint32{0, 1, 0},
	}
}

// Name implements provider.Provider.
func (p *Provider) Name() string { return p.name }

// Close implements provider.Provider: the last provider using the
// connection flushes the storage key and closes it.
func (p *Provider) Close() error {
	if p.closed.Swap(true) {
		return nil
	}
	return p.link.release()
}

// The TPM registers itself; parsecd --check-config runs Options alone: it
// parses the tcti and the auth values but never opens the TPM.
func init() {
	provider.Register(provider.Typed[Config, Options](New, ProviderType))
}
