// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package soft is parsecd's software provider: RSA, ECC (secp R1 and K1,
// brainpool r1, X25519, X448; the curve table is in curves.go) and symmetric
// keys, signatures, asymmetric encryption, AEAD, ciphers, hashing and random
// generation built on the Go standard library crypto packages, plus
// golang.org/x/crypto where the standard library lacks an algorithm
// (ChaCha20, ChaCha20-Poly1305), the ccm subpackage for AES-CCM, and one
// library per curve the standard library lacks (curves.go).
//
// The key material itself lives in the key store (storage.KeyStore): the
// provider keeps no state of its own, so a key exists exactly when its
// mapping does, and creating one is a single atomic KeyStore.Insert.
//
// It answers on the Mbed Crypto provider id (1) so that existing Parsec
// clients, which look for that provider, find it.
package soft

import (
	"context"
	"errors"
	"io"
	"log/slog"

	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/storage"
)

// DefaultName is the provider's default configured name.
const DefaultName = "software-provider"

// UUID is the provider UUID reported by ListProviders.
const UUID = "1c1139dc-ad7c-47dc-ad6b-db6fdb466552"

// defaultBufferSizeLimit is used when Deps.BufferSizeLimit is zero (the
// core_settings.buffer_size_limit default of the reference service).
const defaultBufferSizeLimit = 1 << 20

// Provider is the software provider. It is safe for concurrent use.
type Provider struct {
	name            string
	keys            storage.KeyStore
	log             *slog.Logger
	bufferSizeLimit uint64
	allowDeprecated bool
	cache           keyCache
}

// Compile-time checks of the operation families served.
var (
	_ provider.Provider       = (*Provider)(nil)
	_ provider.KeyManagement  = (*Provider)(nil)
	_ provider.KeyExport      = (*Provider)(nil)
	_ provider.AsymSign       = (*Provider)(nil)
	_ provider.MessageSign    = (*Provider)(nil)
	_ provider.AsymEncryption = (*Provider)(nil)
	_ provider.Random         = (*Provider)(nil)
	_ provider.Hasher         = (*Provider)(nil)
)

// New builds a software provider with the configured name (DefaultName if
// empty). deps.Keys is mandatory; a nil logger discards logs and a zero
// BufferSizeLimit means 1 MiB.
func New(name string, deps provider.Deps) (*Provider, error) {
	if deps.Keys == nil {
		return nil, errors.New("soft: a key store is required")
	}
	if name == "" {
		name = DefaultName
	}
	log := deps.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	limit := deps.BufferSizeLimit
	if limit == 0 {
		limit = defaultBufferSizeLimit
	}
	return &Provider{
		name:            name,
		keys:            deps.Keys,
		log:             log.With("provider", name),
		bufferSizeLimit: limit,
		allowDeprecated: deps.AllowDeprecated,
	}, nil
}

// Info implements provider.Provider.
func (p *Provider) Info() provider.Info {
	return provider.Info{
		ID:          parsec.ProviderMbedCrypto,
		UUID:        UUID,
		Description: "Software provider built on the Go standard library crypto (answers on the Mbed Crypto provider id)",
		Vendor:      "parsecd",
		Version:     [3]uint32{0, 1, 0},
	}
}

// Name implements provider.Provider.
func (p *Provider) Name() string { return p.name }

// Close implements provider.Provider. The provider holds no resources: the
// key store belongs to the core.
func (p *Provider) Close() error { return nil }

// get returns the stored key info of a caller's key.
func (p *Provider) get(ctx context.Context, c storage.Client, name string) (storage.KeyInfo, error) {
	info, err := p.keys.Get(ctx, c.Key(p.name, name))
	if err != nil {
		return storage.KeyInfo{}, storage.StatusError(err)
	}
	return info, nil
}
