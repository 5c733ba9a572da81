package tpm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"

	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/src/wire"
	"github.com/parsecd/parsecd/storage"
)

// defaultBufferSizeLimit is used when Deps.BufferSizeLimit is zero.
const defaultBufferSizeLimit = 1 << 20

// Provider is the TPM 2.0 provider. It is safe for concurrent use: every
// TPM command runs under one mutex on one connection, as a TPM (and
// swtpm) serves one command at a time.
type Provider struct {
	name            string
	opts            Options
	keys            storage.KeyStore
	log             *slog.Logger
	bufferSizeLimit uint64
	allowDeprecated bool
	caps            caps // read once at start-up

	mu     sync.Mutex
	tpm    transport.TPMCloser // nil after a transport failure: reopened on the next operation
	srk    *primary            // the storage primary key while loaded
	closed bool
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
	t, err := p.open(ctx)
	if err != nil {
		if o.SkipIfNoTPM {
			return nil, fmt.Errorf("tpm provider: %w (skip_if_no_tpm = true): %w", provider.ErrSkip, err)
		}
		return nil, fmt.Errorf("tpm provider: %w", err)
	}
	p.tpm = t
	if p.caps, err = readCaps(t); err != nil {
		t.Close()
		return nil, fmt.Errorf("tpm provider: %s: %w", o.TCTI, err)
	}
	if p.srk, err = createSRK(t, o.OwnerAuth, p.caps); err != nil {
		t.Close()
		return nil, fmt.Errorf("tpm provider: %s: creating the storage primary key in the owner hierarchy (check owner_hierarchy_auth): %w", o.TCTI, err)
	}
	maker, _ := Manufacturer(t)
	log.Info("TPM ready", "tcti", o.TCTI.String(), "manufacturer", maker, "rsa_bits", p.caps.rsaBits,
		"curves", p.caps.curveBits(), "max_random_chunk", p.caps.maxDigest)
	return p, nil
}

// open connects to the TPM and starts it up.
func (p *Provider) open(ctx context.Context) (transport.TPMCloser, error) {
	t, err := Open(ctx, p.opts.TCTI)
	if err != nil {
		return nil, err
	}
	if err := Startup(t); err != nil {
		t.Close()
		return nil, fmt.Errorf("%s: %w", p.opts.TCTI, err)
	}
	return t, nil
}

// do runs fn with the TPM under the provider's lock, reconnecting first if
// an earlier failure dropped the connection. A transport failure drops it
// again; a stale storage key handle (the TPM was reset under a running
// daemon) is recreated and fn retried once.
func (p *Provider) do(ctx context.Context, fn func(t transport.TPM) error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return status.Errorf(status.PsaErrorCommunicationFailure, "the TPM provider is closed")
	}
	for attempt := 0; ; attempt++ {
		if p.tpm == nil {
			t, err := p.open(ctx)
			if err != nil {
				return status.Errorf(status.PsaErrorCommunicationFailure, "reconnecting to the TPM: %w", err)
			}
			p.tpm, p.srk = t, nil
			p.log.InfoContext(ctx, "reconnected to the TPM")
		}
		err := fn(p.tpm)
		switch {
		case unreachable(err):
			p.log.WarnContext(ctx, "TPM connection lost: it will be reopened on the next operation", "error", err)
			p.tpm.Close()
			p.tpm, p.srk = nil, nil
			return err
		case attempt == 0 && p.srk != nil && staleHandle(err):
			p.srk = nil
			continue
		}
		return err
	}
}

// staleHandle reports whether err names a handle the TPM no longer knows.
func staleHandle(err error) bool {
	return errors.Is(err, tpm2.TPMRCHandle) || errors.Is(err, tpm2.TPMRCReferenceH0) || errors.Is(err, tpm2.TPMRCReferenceH0+1)
}

// storageKey returns the storage primary key, creating it when needed.
// The caller holds p.mu.
func (p *Provider) storageKey(t transport.TPM) (*primary, error) {
	if p.srk == nil {
		srk, err := createSRK(t, p.opts.OwnerAuth, p.caps)
		if err != nil {
			return nil, err
		}
		p.srk = srk
	}
	return p.srk, nil
}

// Info implements provider.Provider.
func (p *Provider) Info() provider.Info {
	return provider.Info{
		ID:          wire.ProviderTpm,
		UUID:        UUID,
		Description: "TPM 2.0 provider (parsecd, go-tpm)",
		Vendor:      "Trusted Computing Group (TCG)",
		Version:     [3]uint32{0, 1, 0},
	}
}

// Name implements provider.Provider.
func (p *Provider) Name() string { return p.name }

// Close implements provider.Provider: it flushes the storage key and
// closes the connection.
func (p *Provider) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	if p.tpm == nil {
		return nil
	}
	if p.srk != nil {
		flush(p.tpm, p.srk.handle)
	}
	err := p.tpm.Close()
	p.tpm, p.srk = nil, nil
	return err
}

func (p *Provider) triple(c provider.Caller, name string) storage.KeyTriple {
	return storage.KeyTriple{Auth: c.Auth, App: c.App, Provider: p.name, Key: name}
}

func init() {
	provider.Register(ProviderType, provider.TypedFactory[Config, Options](New))
}
