// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"

	"github.com/parsecd/parsecd/src/config"
	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage/bolt"
)

// checkStore is `parsecd check-store`: a read of every key store the
// configuration names, with the daemon stopped (the store is locked while
// it runs). It reports records that cannot be read, application buckets
// that name nobody, reservations left by a crash, keys whose back-end
// object is gone, and keys of providers no longer configured. With
// --repair it moves the bad records to the store's quarantine tree (never
// deleting a byte) and lets each provider settle its reservations as at
// start-up. Exit status: 0 when nothing is wrong (any more), 1 when a
// problem remains, 2 for a usage error.
func checkStore(args []string, stdout, stderr io.Writer) int {
	var repair bool
	cfg, code := subcommand{name: "check-store", synopsis: "[-c|--config PATH] [--repair]",
		about: "Checks the key stores of a configuration while parsecd is stopped.",
		flags: func(fl *flag.FlagSet) {
			fl.BoolVar(&repair, "repair", false, "move bad records to the quarantine tree and settle reservations left by a crash")
		}}.load(args, stderr)
	if cfg == nil {
		return code
	}
	// The report goes to stdout, one line per finding, for the operator
	// (or a script) to read; the providers' own logs go to stderr and only
	// from warnings up, so that their start-up chatter does not bury it.
	c := &checker{cfg: cfg, repair: repair, out: stdout,
		log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	for _, km := range cfg.KeyManagers {
		c.checkManager(context.Background(), km)
	}
	verb := "found"
	if repair {
		verb = "left"
	}
	fmt.Fprintf(stdout, "check-store: %d key(s) checked, %d problem(s) %s, %d repaired, %d note(s)\n", c.checked, c.problems, verb, c.repaired, c.notes)
	if c.problems > 0 {
		return 1
	}
	return 0
}

type checker struct {
	cfg    *config.Config
	repair bool
	out    io.Writer
	log    *slog.Logger

	checked, problems, repaired, notes int
}

// problem reports what is wrong; fix, when repairing, tries to put it right.
func (c *checker) problem(fix func() error, format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	if !c.repair || fix == nil {
		fmt.Fprintf(c.out, "problem: %s\n", msg)
		c.problems++
		return
	}
	if err := fix(); err != nil {
		fmt.Fprintf(c.out, "problem: %s (repair failed: %v)\n", msg, err)
		c.problems++
		return
	}
	fmt.Fprintf(c.out, "repaired: %s\n", msg)
	c.repaired++
}

func (c *checker) note(format string, a ...any) {
	fmt.Fprintf(c.out, "note: "+format+"\n", a...)
	c.notes++
}

// checkManager checks one [[key_manager]] and the providers that use it.
func (c *checker) checkManager(ctx context.Context, km config.KeyManager) {
	s, err := bolt.Open(km.Path, bolt.Options{})
	if err != nil {
		c.problem(nil, "key store %q (%s): %v (a running parsecd holds the store: stop it first)", km.Name, km.Path, err)
		return
	}
	defer s.Close()
	fmt.Fprintf(c.out, "key store %q: %s\n", km.Name, km.Path)
	if n := s.Notice(); n != "" {
		c.note("%s", n)
	}

	// The providers are built, devices opened, because only a provider can
	// tell whether a record's back-end object (a TPM blob, a token object)
	// still exists; a record can read well and name a key that is gone.
	providers := map[string]provider.Provider{}
	for _, pc := range c.cfg.Providers {
		if pc.KeyManager != km.Name {
			continue
		}
		p, err := provider.Build(ctx, c.cfg.Path, pc, provider.Deps{Keys: s, Log: c.log.With("provider", pc.Type),
			BufferSizeLimit: c.cfg.BufferSizeLimit, AllowDeprecated: c.cfg.AllowDeprecated})
		if err != nil {
			c.problem(nil, "provider %s (entry #%d) cannot start, so its keys are not checked against it: %v", pc.Type, pc.Index, err)
			continue
		}
		defer p.Close()
		providers[p.Name()] = p
	}

	inv, err := s.Inventory()
	if err != nil {
		c.problem(nil, "key store %q cannot be read: %v", km.Name, err)
		return
	}
	for _, m := range inv.Malformed {
		c.problem(func() error { return s.QuarantineBucket(m) },
			"bucket %s names no application: its records are moved to quarantine", m)
	}
	unconfigured := map[string]int{}
	for _, e := range inv.Committed {
		c.checked++
		where := fmt.Sprintf("key %q of application %q (%s) in provider %q", e.Key, e.App, e.Auth, e.Provider)
		quarantine := func() error { return s.Quarantine(e.KeyTriple) }
		if e.Err != nil {
			c.problem(quarantine, "%s: the record cannot be read (%v)", where, status.CodeOf(e.Err))
			continue
		}
		p, ok := providers[e.Provider]
		if !ok {
			unconfigured[e.Provider]++
			continue
		}
		kc, ok := p.(provider.KeyChecker)
		if !ok {
			continue
		}
		// Only the statuses that speak of the key itself make it a candidate
		// for quarantine: a token that is busy or a TPM that is unplugged
		// must not cost a client its key.
		switch err := kc.CheckKey(ctx, e.Client(), e.Key); status.CodeOf(err) {
		case status.Success:
		case status.PsaErrorDoesNotExist, status.PsaErrorDataCorrupt, status.PsaErrorDataInvalid:
			c.problem(quarantine, "%s: the provider cannot use it: %v", where, err)
		default:
			// The back end failed, not the key: nothing to repair.
			c.problem(nil, "%s: cannot be checked: %v", where, err)
		}
	}
	recorded, err := s.ProviderIDs()
	if err != nil {
		c.problem(nil, "key store %q: the provider ids cannot be read: %v", km.Name, err)
	}
	for _, name := range slices.Sorted(maps.Keys(unconfigured)) {
		id := ""
		if v, ok := recorded[name]; ok {
			id = fmt.Sprintf(" (provider id %d, kept for it)", v)
		}
		c.note("%d key(s) of provider %q%s, which this configuration does not name: kept (they come back with the provider)", unconfigured[name], name, id)
	}
	// Reservations are settled per provider, not per key: Reconcile is the
	// provider's start-up pass over all its reservations, the one code path
	// that knows how to tell a finished creation from an abandoned one.
	settle := map[string]bool{}
	for _, k := range inv.Pending {
		p, ok := providers[k.Provider]
		r, canSettle := p.(provider.Reconciler)
		if !ok || !canSettle {
			c.problem(nil, "reservation of key %q of application %q (%s) in provider %q, left by an interrupted creation: its provider is not configured here, so it is kept",
				k.Key, k.App, k.Auth, k.Provider)
			continue
		}
		if settle[k.Provider] {
			continue
		}
		settle[k.Provider] = true
		n := 0
		for _, q := range inv.Pending {
			if q.Provider == k.Provider {
				n++
			}
		}
		c.problem(func() error {
			if err := r.Reconcile(ctx); err != nil {
				return err
			}
			left, err := s.Pending(ctx, k.Provider)
			if err == nil && len(left) > 0 {
				err = fmt.Errorf("%d reservation(s) kept by the provider (see its warning)", len(left))
			}
			return err
		}, "%d reservation(s) in provider %q left by an interrupted creation: settled as at start-up", n, k.Provider)
	}
	if inv.Quarantined > 0 {
		c.note("%d record(s) in the quarantine tree of key store %q, from earlier repairs", inv.Quarantined, km.Name)
	}
}
