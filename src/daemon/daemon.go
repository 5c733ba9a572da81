// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package daemon assembles parsecd from a configuration (key stores,
// providers, authenticators, back end, listener) and runs it: it serves
// until SIGTERM or SIGINT, drains in-flight requests, and on SIGHUP builds
// the whole service again from the same file and swaps it in without
// dropping a request. Signals are held from before start-up (Signals) to
// the process's exit (package sigs).
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"

	"github.com/parsecd/parsecd/src/auth"
	"github.com/parsecd/parsecd/src/back"
	"github.com/parsecd/parsecd/src/config"
	"github.com/parsecd/parsecd/src/front"
	"github.com/parsecd/parsecd/src/internal/memtrim"
	"github.com/parsecd/parsecd/src/internal/sdnotify"
	"github.com/parsecd/parsecd/src/internal/sigs"
	"github.com/parsecd/parsecd/src/internal/version"
	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/src/wire"
	"github.com/parsecd/parsecd/storage"
	"github.com/parsecd/parsecd/storage/bolt"
)

// Loader returns the configuration; it is called again on every reload.
type Loader func() (*config.Config, error)

// graph is everything one configuration owns. A reload builds a whole new
// graph beside the running one and swaps it in only when every part of it
// opened, so that a bad new configuration leaves the daemon serving the old
// one untouched.
type graph struct {
	cfg    *config.Config
	mounts []back.Mount // the providers with their stores
	// stores is keyed by file path, not by [[key_manager]] name: two
	// managers naming one file must share one handle, since bbolt locks
	// its file and a second open of it would be refused as locked.
	stores  map[string]storage.KeyStore
	service *back.Service
	auths   *auth.Set
}

// Daemon is a running parsecd.
type Daemon struct {
	load   Loader
	log    *slog.Logger
	server *front.Server

	cur        *graph
	ln         net.Listener
	socketPath string
	// activated is set when systemd passed the listening socket: then the
	// socket is systemd's, never removed or moved by a reload.
	activated bool
	// serveErr receives the end of each Serve loop; a reload to another
	// socket path starts a second one, hence the buffer.
	serveErr chan error
	sigs     *sigs.Signals
	sockLock *front.SocketLock // held while d.socketPath is ours
	// trim gives a burst's memory back once requests stop (memtrim).
	trim *memtrim.Trimmer
}

// ErrStopped is Start's error when SIGTERM or SIGINT arrived during
// start-up: it stopped before serving and released what it had opened.
// It is a clean stop (parsecd exits 0), not a failure.
var ErrStopped = errors.New("stopped by a signal during start-up")

// Start builds the service from load() and starts serving. signals (from
// sigs.Catch, nil for none) is checked between the steps of start-up: a
// stop signal abandons it (ErrStopped); a SIGHUP stays pending for Run.
func Start(ctx context.Context, load Loader, log *slog.Logger, signals *sigs.Signals) (*Daemon, error) {
	stopped := func(step string) bool {
		if s := signals.Stopping(); s != nil {
			log.Info("stopping during start-up", "signal", s.String(), "before", step)
			return true
		}
		return false
	}
	if stopped("reading the configuration") {
		return nil, ErrStopped
	}
	cfg, err := load()
	if err != nil {
		return nil, err
	}
	// Refused before anything is created, so that a root daemon started by
	// mistake leaves no root-owned socket, directory or store behind for
	// the real service user to trip over.
	if os.Geteuid() == 0 && !cfg.AllowRoot {
		return nil, rootRefusal(cfg)
	}
	// A per-user daemon's own directories are checked before anything is
	// put in them; a live socket is refused before the store is opened (its
	// message is the clearer one, and nothing is opened in vain).
	for _, dir := range cfg.PrivateDirs {
		if err := front.PrivateDir(dir); err != nil {
			return nil, err
		}
	}
	if err := front.CheckFree(cfg.SocketPath); err != nil {
		return nil, err
	}
	// From here to its exit the path is this daemon's: a second one
	// starting at the same moment is refused, not raced.
	lock, err := front.LockSocket(cfg.SocketPath)
	if err != nil {
		return nil, err
	}
	if stopped("opening the key stores and providers") {
		lock.Release()
		return nil, ErrStopped
	}
	d := &Daemon{load: load, log: log, serveErr: make(chan error, 4), sigs: signals, trim: memtrim.New(0, nil)}
	g, err := d.build(ctx, cfg, nil)
	if err != nil {
		lock.Release()
		return nil, err
	}
	if stopped("listening") {
		g.close(nil)
		lock.Release()
		return nil, ErrStopped
	}
	// The socket appears only now, once the providers are ready: a client
	// that can connect is served at once, never told that a provider is
	// still starting.
	ln, activated, err := front.ListenMode(cfg.SocketPath, socketMode(cfg))
	if err != nil {
		g.close(nil)
		lock.Release()
		return nil, err
	}
	d.cur, d.ln, d.socketPath, d.activated, d.sockLock = g, ln, cfg.SocketPath, activated, lock
	d.server = front.NewServer(d.generation(g), cfg.ThreadPoolSize, log)
	d.serve(ctx, ln)
	where := cfg.SocketPath
	if activated {
		where = "socket passed by systemd"
	}
	log.Info("parsecd ready", "version", version.Version, "socket", where, "providers", providerNames(g.mounts), "auth", authNames(cfg))
	_ = sdnotify.Notify("READY=1")
	return d, nil
}

// socketMode is the mode of the socket parsecd creates: 0666 for the
// system daemon, whose access control is the socket directory's (as
// Parsec's), else the per-user daemon's own.
func socketMode(cfg *config.Config) os.FileMode {
	if cfg.SocketMode == 0 {
		return front.SystemSocketMode
	}
	return cfg.SocketMode
}

// rootRefusal says how to run as root anyway: with a config file, its
// allow_root; with the embedded default (no file to edit), --allow-root.
func rootRefusal(cfg *config.Config) error {
	const safer = " (a dedicated user such as \"parsec\" is safer)"
	if cfg.Path == "" {
		return errors.New("refusing to run as root: start parsecd with --allow-root if you really mean it" + safer)
	}
	return fmt.Errorf("refusing to run as root: set allow_root = true in [core_settings] of %s, or pass --allow-root, if you really mean it"+safer, cfg.Path)
}

// serve runs the front end on ln in the background; its end is reported
// on serveErr, which Run watches: a listener that fails stops the daemon
// rather than leaving it alive and deaf.
func (d *Daemon) serve(ctx context.Context, ln net.Listener) {
	go func() { d.serveErr <- d.server.Serve(ctx, ln) }()
}

// generation is what the front end needs of a graph: the handler and the
// listener settings travel together, so that a reload's new timeout and
// limits apply exactly to the connections its service answers.
func (d *Daemon) generation(g *graph) *front.Generation {
	return &front.Generation{
		Handler:  trimmed{g.service, d.trim},
		Settings: front.Settings{Timeout: g.cfg.Timeout, Limits: wire.Limits{BodyLen: g.cfg.BodyLenLimit, Extra: extraIDs(g.mounts)}, MaxConns: g.cfg.MaxConnections, MaxConnsPerUID: g.cfg.MaxConnectionsPerUID},
	}
}

// trimmed tells the Trimmer when each request ends.
type trimmed struct {
	front.Handler
	trim *memtrim.Trimmer
}

func (h trimmed) Handle(ctx context.Context, req *wire.Request, peer *auth.PeerCred) *wire.Response {
	defer h.trim.Done()
	return h.Handler.Handle(ctx, req, peer)
}

// providerNames lists the providers as NAME=ID, the id clients use.
func providerNames(ms []back.Mount) []string {
	var out []string
	for _, m := range ms {
		out = append(out, fmt.Sprintf("%s=%d", m.Provider.Name(), m.ID))
	}
	return out
}

// build assembles a graph, reusing stores of prev that the new config
// still names (a bbolt file can only be opened once).
func (d *Daemon) build(ctx context.Context, cfg *config.Config, prev *graph) (*graph, error) {
	for _, n := range cfg.Notes {
		d.log.Info("config note", "note", n)
	}
	g := &graph{cfg: cfg, stores: map[string]storage.KeyStore{}}
	managers := map[string]config.KeyManager{}
	for _, km := range cfg.KeyManagers {
		managers[km.Name] = km
	}
	fail := func(err error) (*graph, error) {
		g.close(prev)
		return nil, err
	}
	// A Parsec store is migrated into its bbolt store before any provider
	// opens that store, so that a provider never sees it half filled.
	if err := d.migrateParsec(cfg, g, prev); err != nil {
		return fail(err)
	}
	for _, pc := range cfg.Providers {
		km := managers[pc.KeyManager]
		store, ok := g.stores[km.Path]
		if !ok {
			if prev != nil {
				store = prev.stores[km.Path]
			}
			if store == nil {
				s, err := bolt.Open(km.Path, bolt.Options{})
				if err != nil {
					return fail(fmt.Errorf("opening key store %q: %w", km.Name, plain(err)))
				}
				if n := s.Notice(); n != "" {
					// An update's rollback window (docs/ota.md): the operator must see it.
					d.log.Warn(n)
				}
				store = s
			}
			g.stores[km.Path] = store
		}
		// A provider whose device is missing may ask to be skipped
		// (ErrSkip, the TPM's skip_if_no_tpm): the daemon serves the others,
		// as Parsec does, rather than not at all.
		p, err := provider.Build(ctx, cfg.Path, pc, provider.Deps{
			Keys: store, Log: d.log.With("provider", pc.Type),
			BufferSizeLimit: cfg.BufferSizeLimit, AllowDeprecated: cfg.AllowDeprecated,
		})
		if errors.Is(err, provider.ErrSkip) {
			d.log.Warn("provider skipped", "provider", pc.Type, "error", err)
			continue
		}
		if err != nil {
			return fail(err)
		}
		g.mounts = append(g.mounts, back.Mount{Provider: p, Store: store})
		// Only at start-up: during a reload the old service may hold live reservations.
		if r, ok := p.(provider.Reconciler); ok && prev == nil {
			if err := r.Reconcile(ctx); err != nil {
				return fail(fmt.Errorf("provider %q: reconciling the key store: %w", p.Name(), err))
			}
		}
	}
	if len(g.mounts) == 0 && len(cfg.Providers) > 0 {
		return fail(errors.New("every [[provider]] was skipped: no crypto provider left to serve"))
	}
	if err := assignIDs(g.mounts); err != nil {
		return fail(err)
	}
	auths, err := authenticators(ctx, cfg, d.log)
	if err != nil {
		return fail(err)
	}
	g.auths = auths
	svc, err := back.New(back.Options{
		Auth: auths, Providers: g.mounts, Log: d.log,
		LogErrorDetails: cfg.LogErrorDetails, Version: version.Triple(),
	})
	if err != nil {
		return fail(err)
	}
	g.service = svc
	return g, nil
}

// plain drops the wire status name that a status.Error puts before its
// message ("KeyInfoManagerError: "): at start-up the words are enough.
// The error still unwraps to the status.Error.
func plain(err error) error {
	var se *status.Error
	if errors.As(err, &se) && se.Msg != "" {
		return plainError{msg: strings.TrimPrefix(err.Error(), se.Code.String()+": "), err: err}
	}
	return err
}

type plainError struct {
	msg string
	err error
}

func (e plainError) Error() string { return e.msg }
func (e plainError) Unwrap() error { return e.err }

// close releases what g owns and keep does not share: after a reload the
// new graph keeps the stores it reused, which must stay open.
func (g *graph) close(keep *graph) {
	if g.auths != nil {
		_ = g.auths.Close()
	}
	for _, m := range g.mounts {
		_ = m.Provider.Close()
	}
	for path, s := range g.stores {
		if keep != nil && keep.stores[path] == s {
			continue
		}
		_ = s.Close()
	}
}

// Run serves until ctx is done or a stop signal arrives, reloading on
// SIGHUP (see sigs.Signals). A SIGHUP held during start-up reloads at once.
func (d *Daemon) Run(ctx context.Context) error {
	if d.sigs.Stopping() == nil && d.sigs.ReloadPending() {
		d.log.Info("SIGHUP arrived during start-up: reloading now that parsecd is ready")
		d.Reload(ctx)
	}
	for {
		// A stop signal wins over a pending reload.
		if s := d.sigs.Stopping(); s != nil {
			d.log.Info("stopping", "signal", s.String())
			return d.Stop()
		}
		select {
		case <-ctx.Done():
			return d.Stop()
		case err := <-d.serveErr:
			if err != nil {
				d.log.Error("listener failed", "error", err)
				_ = d.Stop()
				return err
			}
		case <-d.sigs.Stop():
			// reported at the top of the loop
		case <-d.sigs.Reload():
			if d.sigs.Stopping() == nil {
				d.Reload(ctx)
			}
		}
	}
}

// Reload re-reads the configuration and swaps the service. An invalid new
// configuration is reported and the running one kept.
func (d *Daemon) Reload(ctx context.Context) {
	_ = sdnotify.Notify("RELOADING=1")
	defer func() { _ = sdnotify.Notify("READY=1") }()
	d.log.Info("reloading configuration")
	cfg, err := d.load()
	if err != nil {
		d.log.Error("reload failed, keeping the running configuration", "error", err)
		return
	}
	g, err := d.build(ctx, cfg, d.cur)
	if err != nil {
		d.log.Error("reload failed, keeping the running configuration", "error", err)
		return
	}
	oldLn, oldPath := d.ln, d.socketPath
	var oldLock *front.SocketLock
	if !d.activated && cfg.SocketPath != d.socketPath {
		var ln net.Listener
		var lock *front.SocketLock
		for _, dir := range cfg.PrivateDirs {
			if err = front.PrivateDir(dir); err != nil {
				break
			}
		}
		if err == nil {
			err = front.CheckFree(cfg.SocketPath)
		}
		if err == nil {
			lock, err = front.LockSocket(cfg.SocketPath)
		}
		if err == nil {
			if ln, _, err = front.ListenMode(cfg.SocketPath, socketMode(cfg)); err != nil {
				lock.Release()
			}
		}
		if err != nil {
			g.close(d.cur)
			d.log.Error("reload failed, keeping the running configuration", "error", err)
			return
		}
		// Both sockets serve for a moment: the new one is listening before
		// the old one goes, so a client never finds neither.
		oldLock = d.sockLock
		d.ln, d.socketPath, d.sockLock = ln, cfg.SocketPath, lock
		d.serve(ctx, ln)
	}
	old := d.cur
	d.cur = g
	// Swap returns once every request of the old generation is answered:
	// only then may its providers be closed under them.
	d.server.Swap(d.generation(g), cfg.ThreadPoolSize)
	if d.ln != oldLn {
		_ = oldLn.Close()
		front.RemoveSocket(oldPath)
		oldLock.Release() // only once its socket is gone
	}
	old.close(g)
	d.log.Info("configuration reloaded", "providers", providerNames(g.mounts), "auth", authNames(g.cfg))
}

// Stop closes the listener, waits for in-flight requests and releases
// everything. The order is what clients and the next daemon rely on: no
// new connection is taken, every request already read is answered (a
// client never loses a reply it was promised), the providers and stores
// close only when nothing uses them, and the socket's lock goes last, so
// that a daemon starting meanwhile cannot take the path while this one
// still answers on it.
func (d *Daemon) Stop() error {
	_ = sdnotify.Notify("STOPPING=1")
	_ = d.ln.Close()
	d.server.Wait()
	d.trim.Stop()
	d.cur.close(nil)
	if !d.activated {
		front.RemoveSocket(d.socketPath)
	}
	d.sockLock.Release() // only once the socket is gone
	d.log.Info("stopped")
	return nil
}
