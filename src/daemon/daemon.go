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

// graph is everything one configuration owns.
type graph struct {
	cfg     *config.Config
	mounts  []back.Mount                // the providers with their stores
	stores  map[string]storage.KeyStore // by file path
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
	activated  bool
	serveErr   chan error
	sigs       *sigs.Signals
	sockLock   *front.SocketLock // held while d.socketPath is ours
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
	d := &Daemon{load: load, log: log, serveErr: make(chan error, 4), sigs: signals}
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
	ln, activated, err := front.ListenMode(cfg.SocketPath, socketMode(cfg))
	if err != nil {
		g.close(nil)
		lock.Release()
		return nil, err
	}
	d.cur, d.ln, d.socketPath, d.activated, d.sockLock = g, ln, cfg.SocketPath, activated, lock
	d.server = front.NewServer(generation(g), cfg.ThreadPoolSize, log)
	d.serve(ctx, ln)
	where := cfg.SocketPath
	if activated {
		where = "socket passed by systemd"
	}
	log.Info("parsecd ready", "version", version.Version, "socket", where, "providers", providerNames(g.mounts), "auth", authNames(cfg))
	_ = sdnotify.Notify("READY=1")
	return d, nil
}

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

func (d *Daemon) serve(ctx context.Context, ln net.Listener) {
	go func() { d.serveErr <- d.server.Serve(ctx, ln) }()
}

func generation(g *graph) *front.Generation {
	return &front.Generation{
		Handler:  g.service,
		Settings: front.Settings{Timeout: g.cfg.Timeout, Limits: wire.Limits{BodyLen: g.cfg.BodyLenLimit}, MaxConns: g.cfg.MaxConnections, MaxConnsPerUID: g.cfg.MaxConnectionsPerUID},
	}
}

func providerNames(ms []back.Mount) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Provider.Name())
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

// close releases what g owns and keep does not share.
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
		oldLock = d.sockLock
		d.ln, d.socketPath, d.sockLock = ln, cfg.SocketPath, lock
		d.serve(ctx, ln)
	}
	old := d.cur
	d.cur = g
	d.server.Swap(generation(g), cfg.ThreadPoolSize)
	if d.ln != oldLn {
		_ = oldLn.Close()
		front.RemoveSocket(oldPath)
		oldLock.Release() // only once its socket is gone
	}
	old.close(g)
	d.log.Info("configuration reloaded", "providers", providerNames(g.mounts), "auth", authNames(g.cfg))
}

// Stop closes the listener, waits for in-flight requests and releases everything.
func (d *Daemon) Stop() error {
	_ = sdnotify.Notify("STOPPING=1")
	_ = d.ln.Close()
	d.server.Wait()
	d.cur.close(nil)
	if !d.activated {
		front.RemoveSocket(d.socketPath)
	}
	d.sockLock.Release() // only once the socket is gone
	d.log.Info("stopped")
	return nil
}
