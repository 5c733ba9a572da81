// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build cgo && pkcs11

package pkcs11

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/miekg/pkcs11"

	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/storage"
)

// defaultBufferSizeLimit is used when Deps.BufferSizeLimit is zero.
const defaultBufferSizeLimit = 1 << 20

// Provider is the PKCS#11 provider. It is safe for concurrent use.
type Provider struct {
	name            string
	opts            Options
	keys            storage.KeyStore
	log             *slog.Logger
	bufferSizeLimit uint64
	allowDeprecated bool

	mod   *module
	tok   token
	pool  *pool
	mechs map[uint]pkcs11.MechanismInfo // what the token offers, read at start-up

	// mapMu orders the commits of new mappings with the removal of the
	// mapping of a key found deleted on the token, so that a removal never
	// hits a key created again under the same name meanwhile.
	mapMu sync.Mutex
	// refused remembers OAEP parameters the token rejected (SoftHSM only
	// does SHA-1 without a label), so that later calls go straight to the
	// fallback.
	refused sync.Map

	closeOnce sync.Once
	closeErr  error
}

// Compile-time checks of the operation families served.
var (
	_ provider.Provider        = (*Provider)(nil)
	_ provider.KeyManagement   = (*Provider)(nil)
	_ provider.KeyExport       = (*Provider)(nil)
	_ provider.AsymSign        = (*Provider)(nil)
	_ provider.AsymEncryption  = (*Provider)(nil)
	_ provider.Random          = (*Provider)(nil)
	_ provider.Aead            = (*Provider)(nil)
	_ provider.Cipher          = (*Provider)(nil)
	_ provider.Mac             = (*Provider)(nil)
	_ provider.CapabilityCheck = (*Provider)(nil)
	_ provider.Reconciler      = (*Provider)(nil)
)

// startErr formats a start-up failure: it names the library, and the call
// errors below name the slot, the token and the return value in plain words.
func startErr(lib string, err error) error {
	return fmt.Errorf("pkcs11 provider: library %s: %w", lib, err)
}

// New loads the module (C_Initialize once per process), selects the token,
// reads its mechanism list and opens a first session, logged in when a PIN
// is configured, so that a wrong library, slot or PIN stops the start.
func New(ctx context.Context, o Options, deps provider.Deps) (*Provider, error) {
	if deps.Keys == nil {
		return nil, errors.New("pkcs11 provider: a key store is required")
	}
	if o.LibraryPath == "" {
		return nil, errors.New("pkcs11 provider: library_path is required")
	}
	if o.Name == "" {
		o.Name = DefaultName
	}
	if o.SessionPoolSize <= 0 {
		o.SessionPoolSize = DefaultSessionPoolSize
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
	mod, err := openModule(o.LibraryPath)
	if err != nil {
		return nil, startErr(o.LibraryPath, err)
	}
	fail := func(err error) (*Provider, error) {
		_ = mod.release()
		return nil, startErr(o.LibraryPath, err)
	}
	tok, err := selectToken(mod.ctx, o, log)
	if err != nil {
		return fail(err)
	}
	mechs, err := mechanisms(mod.ctx, tok)
	if err != nil {
		return fail(err)
	}
	p := &Provider{
		name:            o.Name,
		opts:            o,
		keys:            deps.Keys,
		log:             log,
		bufferSizeLimit: limit,
		allowDeprecated: deps.AllowDeprecated,
		mod:             mod,
		tok:             tok,
		pool:            newPool(mod.ctx, tok, o),
		mechs:           mechs,
	}
	if o.HasPIN && tok.flags&pkcs11.CKF_USER_PIN_INITIALIZED == 0 {
		return fail(fmt.Errorf("slot %d (token %q): the token's user PIN was never set (initialise it, e.g. softhsm2-util --init-token ... --pin)", tok.slot, tok.label))
	}
	h, err := p.pool.get(ctx)
	if err != nil {
		p.pool.close()
		return fail(err)
	}
	p.pool.put(h)
	for _, n := range o.Notes() {
		log.Warn(n)
	}
	log.Info("PKCS#11 token ready", "library", o.LibraryPath, "slot", tok.slot, "token", tok.label,
		"serial", tok.serial, "manufacturer", tok.maker, "model", tok.model, "mechanisms", len(mechs),
		"sessions", o.SessionPoolSize, "software_public_operations", o.SoftwarePublicOperations, "allow_export", o.AllowExport)
	return p, nil
}

// mechanisms reads the token's mechanism list and the details of each.
func mechanisms(ctx *pkcs11.Ctx, tok token) (map[uint]pkcs11.MechanismInfo, error) {
	list, err := ctx.GetMechanismList(tok.slot)
	if err != nil {
		ce := p11("C_GetMechanismList", err)
		if e, ok := ce.(*ckError); ok {
			e.where = tok.where()
		}
		return nil, ce
	}
	out := make(map[uint]pkcs11.MechanismInfo, len(list))
	for _, m := range list {
		if !interesting[m.Mechanism] {
			continue
		}
		info, err := ctx.GetMechanismInfo(tok.slot, []*pkcs11.Mechanism{pkcs11.NewMechanism(m.Mechanism, nil)})
		if err != nil {
			// Listed but not described: assume no limits.
			info = pkcs11.MechanismInfo{Flags: ^uint(0)}
		}
		out[m.Mechanism] = info
	}
	return out, nil
}

// Info implements provider.Provider.
func (p *Provider) Info() provider.Info {
	return provider.Info{
		ID:          parsec.ProviderPkcs11,
		UUID:        UUID,
		Description: "PKCS #11 provider (parsecd, miekg/pkcs11)",
		Vendor:      "OASIS Standard.",
		Version:     [3]uint32{0, 1, 0},
	}
}

// Name implements provider.Provider.
func (p *Provider) Name() string { return p.name }

// Close implements provider.Provider: it closes the sessions and, if no
// other provider uses the module, calls C_Finalize.
func (p *Provider) Close() error {
	p.closeOnce.Do(func() {
		p.pool.close()
		p.closeErr = p.mod.release()
	})
	return p.closeErr
}

// --check-config checks the keys and the PIN (a PIN file is read, as at
// start) but does not load the module.
func init() {
	provider.Register(provider.Typed[Config, Options](New, ProviderType))
}
