// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package tpm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"

	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
)

// link is the one connection to a TPM that every provider of the process
// naming the same TCTI shares, with the lock that serialises its commands.
// Sharing matters on a reload (SIGHUP): the new provider is built while
// the old one still serves, and swtpm's socket server, the simulator and
// /dev/tpm0 without a resource manager accept one connection at a time.
type link struct {
	tcti TCTI
	refs int // under linksMu

	mu        sync.Mutex
	tpm       transport.TPMCloser // nil after a transport failure: reopened by the next operation
	srk       *primary            // the storage primary key while loaded
	ownerAuth Auth                // what the newest provider was configured with, to recreate srk
	cache     keyCache            // key pairs kept loaded under srk (cache.go)
	orphans   []tpm2.TPMHandle    // what a broken connection left loaded, flushed on reconnecting
}

var (
	linksMu sync.Mutex
	links   = map[string]*link{}
)

// acquire returns the link for tcti, opening and starting up the TPM when
// no provider of the process holds it yet.
func acquire(ctx context.Context, tcti TCTI) (*link, error) {
	linksMu.Lock()
	defer linksMu.Unlock()
	if l, ok := links[tcti.String()]; ok {
		l.refs++
		return l, nil
	}
	t, err := openTPM(ctx, tcti)
	if err != nil {
		return nil, err
	}
	l := &link{tcti: tcti, refs: 1, tpm: t}
	links[tcti.String()] = l
	return l, nil
}

// release drops a provider's hold; the last one flushes the storage key
// and closes the connection.
func (l *link) release() error {
	linksMu.Lock()
	defer linksMu.Unlock()
	if l.refs--; l.refs > 0 {
		return nil
	}
	delete(links, l.tcti.String())
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tpm == nil {
		return nil
	}
	l.cache.flushAll(l.tpm)
	if l.srk != nil {
		flush(l.tpm, l.srk.handle)
	}
	err := l.tpm.Close()
	l.tpm, l.srk = nil, nil
	return err
}

// openTPM connects to the TPM and starts it up.
func openTPM(ctx context.Context, tcti TCTI) (transport.TPMCloser, error) {
	t, err := Open(ctx, tcti)
	if err != nil {
		return nil, err
	}
	if err := Startup(t); err != nil {
		t.Close()
		return nil, fmt.Errorf("%s: %w", tcti, err)
	}
	flushLeftovers(t)
	return t, nil
}

// do runs fn with the TPM under the link's lock, reconnecting first if an
// earlier failure dropped the connection. A transport failure drops it
// again; a stale handle (the TPM was reset under a running daemon) makes
// the storage key be recreated and the cached keys reloaded, and fn is
// retried once. When the TPM has no room for what fn needs, fn is retried
// once with no key cached (one that fn uses itself cannot be evicted by
// the load path: attestation, for one, needs a slot more).
func (l *link) do(ctx context.Context, log *slog.Logger, fn func(t transport.TPM) error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	stale, room := false, false
	for {
		if l.tpm == nil {
			t, err := openTPM(ctx, l.tcti)
			if err != nil {
				return status.Errorf(status.PsaErrorCommunicationFailure, "reconnecting to the TPM: %w", err)
			}
			l.tpm, l.srk = t, nil
			l.flushOrphans()
			log.InfoContext(ctx, "reconnected to the TPM")
		}
		err := fn(l.tpm)
		switch {
		case unreachable(err):
			log.WarnContext(ctx, "TPM connection lost: it will be reopened on the next operation", "error", err)
			l.tpm.Close()
			l.orphans = append(l.orphans, l.cache.forget()...)
			if l.srk != nil {
				l.orphans = append(l.orphans, l.srk.handle)
			}
			l.tpm, l.srk = nil, nil
			return err
		case !stale && l.srk != nil && staleHandle(err):
			// Flushing what the reset already removed fails harmlessly;
			// it frees the slots if something else made a handle stale.
			l.cache.flushAll(l.tpm)
			l.srk, stale = nil, true
			continue
		case !room && len(l.cache.keys) > 0 && outOfRoom(err):
			l.cache.flushAll(l.tpm)
			room = true
			continue
		}
		return err
	}
}

// flushOrphans flushes, on a new connection, what the broken one left
// loaded. A TPM that restarted lost them, and the flushes fail harmlessly;
// one that kept its state (swtpm and /dev/tpm0 keep what a client loaded
// after it goes; /dev/tpmrm0 flushes it) would otherwise run out of its
// few slots after a few broken connections. The handles are not someone
// else's: /dev/tpmrm0's are the connection's own, and a TPM without a
// resource manager serves one client at a time, so whatever another left
// loaded in between is a leak too.
func (l *link) flushOrphans() {
	for _, h := range l.orphans {
		flush(l.tpm, h)
	}
	l.orphans = nil
}

// staleHandle reports whether err names a handle the TPM no longer knows:
// an object in the handle area or, for a cached key, its session.
func staleHandle(err error) bool {
	return errors.Is(err, tpm2.TPMRCHandle) || errors.Is(err, tpm2.TPMRCReferenceH0) || errors.Is(err, tpm2.TPMRCReferenceH0+1) ||
		errors.Is(err, tpm2.TPMRCReferenceS0)
}

// storageKey returns the storage primary key, creating it when needed.
// The caller holds l.mu (inside do).
func (l *link) storageKey(t transport.TPM, c caps) (*primary, error) {
	if l.srk == nil {
		srk, err := createSRK(t, l.ownerAuth, c)
		if err != nil {
			return nil, err
		}
		l.srk = srk
	}
	return l.srk, nil
}

// setStorageKey installs a storage key a new provider just created (with
// its own owner auth, which proves that auth right). The key is the same
// as any earlier one (same seed, same template): the earlier handle goes.
// The caller holds l.mu.
func (l *link) setStorageKey(t transport.TPM, srk *primary, ownerAuth Auth) {
	l.cache.flushAll(t)
	if l.srk != nil {
		flush(t, l.srk.handle)
	}
	l.srk, l.ownerAuth = srk, ownerAuth
}

// uncache flushes the cached copies of a key being destroyed. It needs no
// working connection: with none, nothing is cached.
func (l *link) uncache(triple storage.KeyTriple) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tpm != nil {
		l.cache.remove(l.tpm, triple)
	}
}
