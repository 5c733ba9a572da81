// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package storage defines the key-mapping store: for every key a client
// owns, which provider holds it, the provider's key id (or, for the software
// provider, the key material itself) and its PSA attributes.
//
// Creating a key is a two-step affair so that a crash or an error can never
// leave an orphan key in a provider or a mapping without a key: Reserve the
// name, create the key, then Commit the mapping, or Abort on failure.
// Reservations left by a crash are reported by Pending so that providers can
// reconcile them at start-up.
package storage

import (
	"context"
	"errors"

	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

// KeyTriple names a key: the owning application (authenticator and name),
// the provider's configured name and the key name.
type KeyTriple struct {
	Auth     parsec.AuthType
	App      string
	Provider string
	Key      string
}

// KeyInfo is what the store keeps about a key.
type KeyInfo struct {
	// ID is provider-specific: a key handle, a wrapped blob or key material.
	ID         []byte
	Attributes psa.KeyAttributes
}

// Entry is one listed key.
type Entry struct {
	KeyTriple
	KeyInfo
	// Err is set, and KeyInfo empty, when the key's record exists but
	// cannot be read (PsaErrorDataCorrupt). One damaged record must never
	// hide the others: List returns it among the readable ones, and
	// callers skip it (Readable) or report it.
	Err error
}

// Readable drops the entries whose record cannot be read.
func Readable(es []Entry) []Entry {
	out := es[:0:0]
	for _, e := range es {
		if e.Err == nil {
			out = append(out, e)
		}
	}
	return out
}

// Errors with a wire status.
var (
	ErrNotFound = &status.Error{Code: status.PsaErrorDoesNotExist, Msg: "key does not exist"}
	ErrExists   = &status.Error{Code: status.PsaErrorAlreadyExists, Msg: "key already exists"}
)

// Client is the identity of an application: the caller of every key
// operation (the back end makes it once from the authenticated
// application) and the owner of its keys.
type Client struct {
	Auth parsec.AuthType
	App  string
}

// Key names the client's key name in the provider configured as provider.
func (c Client) Key(provider, name string) KeyTriple {
	return KeyTriple{Auth: c.Auth, App: c.App, Provider: provider, Key: name}
}

// Client returns the owner of the key.
func (k KeyTriple) Client() Client { return Client{Auth: k.Auth, App: k.App} }

// KeyStore is the key-mapping store. Implementations are safe for concurrent
// use. Byte slices cross the interface by copy: Get and List return fresh
// ID slices the caller owns (and may wipe), and Insert and Commit keep no
// reference to the caller's.
type KeyStore interface {
	// Get returns a committed key; ErrNotFound if there is none.
	Get(ctx context.Context, k KeyTriple) (KeyInfo, error)
	// Reserve claims the name for a key being created; ErrExists if the
	// name is taken or reserved.
	Reserve(ctx context.Context, k KeyTriple) error
	// Commit turns a reservation into a mapping.
	Commit(ctx context.Context, k KeyTriple, v KeyInfo) error
	// Abort drops a reservation.
	Abort(ctx context.Context, k KeyTriple) error
	// Insert is Reserve and Commit in one atomic step, for keys whose
	// material lives in the store itself.
	Insert(ctx context.Context, k KeyTriple, v KeyInfo) error
	// Remove deletes a committed key; ErrNotFound if there is none.
	Remove(ctx context.Context, k KeyTriple) error
	// List returns the committed keys of one application in one provider,
	// by name; a key whose record cannot be read is an Entry with Err set.
	List(ctx context.Context, provider string, c Client) ([]Entry, error)
	// Clients returns the applications that own at least one committed key, sorted.
	Clients(ctx context.Context) ([]Client, error)
	// Pending returns the reservations of a provider that were never
	// committed or aborted (left by a crash).
	Pending(ctx context.Context, provider string) ([]KeyTriple, error)
	Close() error
}

// IsNotFound reports whether err means the key does not exist.
func IsNotFound(err error) bool { return errors.Is(err, status.PsaErrorDoesNotExist) }

// StatusError gives a key-store failure a wire status for a provider to
// return: errors that carry one (does not exist, already exists, ...)
// keep it, anything else is a key info manager error.
func StatusError(err error) error {
	if err == nil {
		return nil
	}
	var c status.Coder
	if errors.As(err, &c) {
		return err
	}
	return status.Errorf(status.KeyInfoManagerError, "key store: %w", err)
}
