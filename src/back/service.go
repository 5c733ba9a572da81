// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package back is the request back end: it authenticates a parsed request,
// routes it to the core or a crypto provider, decodes the protobuf body into
// native types, calls the provider and encodes the result. It is the one
// place where provider errors become wire status codes.
package back

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/parsecd/parsecd/src/interface/pbwire"

	"github.com/parsecd/parsecd/src/auth"
	"github.com/parsecd/parsecd/src/internal/ratelog"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/src/wire"
	"github.com/parsecd/parsecd/storage"
)

// Service answers requests for one configuration. It holds no state of its
// own between requests beyond logging (quiet, damaged): everything a
// request changes lives in the providers and their key stores, so a
// configuration reload builds a new Service and lets the old one finish
// the requests it has.
type Service struct {
	auths *auth.Set
	// mounts is in config order, which clients see: Parsec has no default
	// provider, and clients (the Rust BasicClient, parsec-tool) take the
	// first of ListProviders.
	mounts []mounted
	// byID routes requests: the wire names a provider by its type's id,
	// not by name, so two providers of one type could not both be reached.
	byID       map[parsec.ProviderID]*mounted
	log        *slog.Logger
	quiet      *ratelog.Limiter // failed requests: any client can cause them at will
	logDetails bool
	version    [3]uint32
	damaged    seenOnce // damaged key records already logged
}

// Mount is a crypto provider with the key store that holds its keys and
// the wire id it answers on (src/provider/ids; 0 = its type's fixed id,
// Info().ID).
type Mount struct {
	Provider provider.Provider
	Store    storage.KeyStore
	ID       parsec.ProviderID
}

// mounted is a Mount as the service routes to it: by the provider id of
// the wire and, in the key store, by the provider's configured name.
type mounted struct {
	ID       parsec.ProviderID
	Name     string
	Provider provider.Provider
	Store    storage.KeyStore
}

// Options configure a Service.
type Options struct {
	Auth *auth.Set
	// Providers are the crypto providers in config order.
	Providers []Mount
	Log       *slog.Logger
	// LogErrorDetails adds error messages and application names to logs.
	LogErrorDetails bool
	// Version is reported as the core provider's version.
	Version [3]uint32
	// LogBurst lines per status and LogWindow are logged for failed
	// requests (authentication failures included), then only counted
	// (ratelog; zero values take its defaults).
	LogBurst  int
	LogWindow time.Duration
}

// New builds a Service. Providers of the same wire id cannot both be
// reachable, so a second one is refused: serving the first would hide the
// second's keys without a word, and the config check cannot know a
// provider's wire id before its package builds it.
func New(o Options) (*Service, error) {
	s := &Service{auths: o.Auth, log: o.Log, logDetails: o.LogErrorDetails, version: o.Version,
		mounts: make([]mounted, len(o.Providers)), byID: map[parsec.ProviderID]*mounted{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.quiet = ratelog.New(s.log, o.LogBurst, o.LogWindow)
	for i, m := range o.Providers {
		// A provider without its store would lose track of the keys it
		// creates: a wiring mistake of the daemon, refused before anything
		// is served.
		if m.Store == nil {
			return nil, errors.New("every provider needs a key store")
		}
		id := m.ID
		if id == parsec.ProviderCore {
			id = m.Provider.Info().ID
		}
		if id == parsec.ProviderCore {
			return nil, errors.New("a crypto provider cannot use the core provider id 0")
		}
		if other, dup := s.byID[id]; dup {
			return nil, fmt.Errorf("providers %q and %q both have provider id %d", other.Name, m.Provider.Name(), id)
		}
		s.mounts[i] = mounted{ID: id, Name: m.Provider.Name(), Provider: m.Provider, Store: m.Store}
		s.byID[id] = &s.mounts[i]
	}
	return s, nil
}

// Handle answers one request read by the front end. It always answers: the
// front end has checked the header (the reference service's steps 1 to 11,
// whose replies carry a default header), so from here every reply echoes
// the request's provider, session and opcode, which clients check (the Rust
// client refuses a reply whose opcode is not its request's).
func (s *Service) Handle(ctx context.Context, req *wire.Request, peer *auth.PeerCred) *wire.Response {
	h := req.Header
	body, app, err := s.handle(ctx, req, peer)
	code := status.CodeOf(err)
	if err != nil {
		s.logFailure(h, app, peer, err)
		// Parsec's error replies have an empty body, whatever a handler
		// may have built before failing.
		body = nil
	}
	return wire.ReplyTo(req, code, body)
}

// logFailure logs a failed request, at most ratelog's burst per status and
// window: every client can fail requests as fast as it can send them, and
// the log must not grow with that.
func (s *Service) logFailure(h wire.Header, app *auth.Application, peer *auth.PeerCred, err error) {
	code := status.CodeOf(err).String()
	attrs := []any{"opcode", h.Opcode.String(), "provider", h.Provider.String(), "status", code}
	if peer != nil {
		attrs = append(attrs, "peer_uid", peer.UID)
	}
	// A failed request is logged without its error text and application
	// unless log_error_details is set (Parsec's switch): the text may
	// name keys and applications, which are the clients' business.
	switch status.CodeOf(err) {
	case status.PsaErrorInsufficientStorage, status.KeyInfoManagerError:
		// The key store failed, not the request: the operator needs the
		// store's path and the cause (a full disk, a read-only mount),
		// which carry no key material.
		s.quiet.Log(slog.LevelError, "store-failure:"+code, "key store failure", append(attrs, "error", err.Error())...)
		return
	}
	if s.logDetails {
		if app != nil {
			attrs = append(attrs, "app", app.Name)
		}
		attrs = append(attrs, "error", err.Error())
	}
	s.quiet.Log(slog.LevelInfo, "request-failed:"+code, "request failed", attrs...)
}

// handle runs the checks of a request in the reference service's order
// (steps 12 to 22 of its processing), because when a request has several
// faults the status a client gets depends on which is checked first, and
// clients and the Parsec end-to-end tests expect the reference's answer:
// authentication, provider configured, core/crypto opcode sent to the right
// provider, admin rights, opcode implemented, body decoded, then the
// operation itself. The application is returned even with an error, for
// the failure's log line.
func (s *Service) handle(ctx context.Context, req *wire.Request, peer *auth.PeerCred) ([]byte, *auth.Application, error) {
	h := req.Header
	// Authentication comes first, even for a core operation that needs
	// none: a client that sends credentials has them checked, and a failing
	// authentication rejects even a Ping, as in Parsec. app is nil for
	// auth type 0 (no authentication), which core operations accept.
	app, err := s.auths.Authenticate(ctx, h.AuthType, req.Auth, peer)
	if err != nil {
		return nil, nil, err
	}
	var p provider.Provider
	if h.Provider != parsec.ProviderCore {
		m := s.byID[h.Provider]
		if m == nil {
			return nil, app, status.Errorf(status.ProviderNotRegistered, "%v is not configured", h.Provider)
		}
		p = m.Provider
	}
	if h.Opcode.IsCore() != (h.Provider == parsec.ProviderCore) {
		return nil, app, status.Errorf(status.PsaErrorNotSupported, "%v cannot be sent to %v", h.Opcode, h.Provider)
	}
	if h.Opcode.IsAdmin() {
		if app == nil {
			return nil, app, status.Errorf(status.NotAuthenticated, "%v needs an authenticated administrator", h.Opcode)
		}
		if !app.Admin {
			return nil, app, status.Errorf(status.AdminOperation, "%v is reserved to administrators", h.Opcode)
		}
	}
	// The front end let through only opcodes the wire defines; one that
	// parsecd has no handler for is answered as Parsec answers an opcode it
	// does not know.
	op, ok := operations[h.Opcode]
	if !ok {
		return nil, app, status.Errorf(status.OpcodeDoesNotExist, "%v is not implemented", h.Opcode)
	}
	in := op.newOp()
	if err := pbwire.Unmarshal(req.Body, in); err != nil {
		return nil, app, status.Errorf(status.DeserializingBodyFailed, "decoding %v body: %w", h.Opcode, err)
	}
	// ctx is never cancelled by a shutdown (the front end detaches it): a
	// request already read is served to the end, which is what a graceful
	// stop promises its clients.
	r := &call{s: s, p: p, app: app, opcode: h.Opcode}
	out, err := op.run(ctx, r, in)
	if err != nil {
		return nil, app, err
	}
	if out == nil {
		return nil, app, nil
	}
	// Deterministic: the same result encodes to the same bytes, which the
	// golden response vectors compare byte for byte.
	body, err := pbwire.Marshal(out)
	if err != nil {
		return nil, app, status.Errorf(status.SerializingBodyFailed, "encoding %v result: %w", h.Opcode, err)
	}
	return body, app, nil
}

// call is one request on its way to a provider.
type call struct {
	s      *Service
	p      provider.Provider
	app    *auth.Application
	opcode parsec.Opcode
}

// caller returns the key namespace of the request, or NotAuthenticated.
// Keys belong to the authenticated application, named within its
// authenticator (the same name under Direct and under UnixPeerCredentials
// is two clients), so an operation on keys needs an application; it is
// asked for only once the body has decoded, which is where Parsec puts
// this check (step 20).
func (c *call) caller() (storage.Client, error) {
	if c.app == nil {
		return storage.Client{}, status.Errorf(status.NotAuthenticated, "%v needs an authenticated application", c.opcode)
	}
	return storage.Client{App: c.app.Name, Auth: c.app.Auth}, nil
}

// family returns the provider as interface F, or PsaErrorNotSupported. A
// provider implements only the operation families it can serve (the
// optional interfaces of package provider); Parsec answers an operation a
// provider does not implement with PsaErrorNotSupported, not
// OpcodeDoesNotExist, since the opcode exists.
func family[F any](c *call) (F, error) {
	f, ok := c.p.(F)
	if !ok {
		return f, status.Errorf(status.PsaErrorNotSupported, "%v does not implement %v", c.p.Info().ID, c.opcode)
	}
	return f, nil
}

// Opcodes lists what a provider serves and ListOpcodes may report, derived
// from the families it implements. MAC is served but not listed (parsec.Opcode.Listable).
func Opcodes(p provider.Provider) []parsec.Opcode {
	var out []parsec.Opcode
	for _, o := range parsec.AllOpcodes() {
		if op, ok := operations[o]; ok && o.Listable() && !o.IsCore() && op.supported != nil && op.supported(p) {
			out = append(out, o)
		}
	}
	return out
}

// seenOnce remembers what has been logged, so that a damaged record is
// reported once and not at every ListKeys. It stops remembering (and so
// stops logging) beyond maxSeen entries: a store with that many damaged
// records needs check-store, not more log lines.
type seenOnce struct {
	mu   sync.Mutex
	seen map[storage.KeyTriple]bool
}

const maxSeen = 4096

// first reports whether k is seen for the first time.
func (o *seenOnce) first(k storage.KeyTriple) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.seen[k] || len(o.seen) >= maxSeen {
		return false
	}
	if o.seen == nil {
		o.seen = map[storage.KeyTriple]bool{}
	}
	o.seen[k] = true
	return true
}

// reportDamaged logs, once per key, a record that cannot be read.
func (s *Service) reportDamaged(e storage.Entry) {
	if s.damaged.first(e.KeyTriple) {
		s.log.Error("a key record cannot be read: it is left out of ListKeys and its operations answer PsaErrorDataCorrupt; run parsecd check-store",
			"provider", e.Provider, "application", e.App, "auth", e.Auth.String(), "key", e.Key, "status", status.CodeOf(e.Err).String())
	}
}
