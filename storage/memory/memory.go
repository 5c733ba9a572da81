// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package memory is a map-backed storage.KeyStore for unit tests of the
// logic around the store. It keeps nothing across restarts.
package memory

import (
	"bytes"
	"context"
	"sort"
	"sync"

	"github.com/parsecd/parsecd/storage"
)

type entry struct {
	info    storage.KeyInfo
	pending bool
}

// Store is an in-memory storage.KeyStore.
type Store struct {
	mu   sync.Mutex
	keys map[storage.KeyTriple]entry
}

var _ storage.KeyStore = (*Store)(nil)

// New returns an empty store.
func New() *Store { return &Store{keys: map[storage.KeyTriple]entry{}} }

func clone(v storage.KeyInfo) storage.KeyInfo {
	v.ID = bytes.Clone(v.ID)
	return v
}

// Get implements storage.KeyStore.
func (s *Store) Get(_ context.Context, k storage.KeyTriple) (storage.KeyInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.keys[k]
	if !ok || e.pending {
		return storage.KeyInfo{}, storage.ErrNotFound
	}
	return clone(e.info), nil
}

// Reserve implements storage.KeyStore.
func (s *Store) Reserve(_ context.Context, k storage.KeyTriple) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.keys[k]; ok {
		return storage.ErrExists
	}
	s.keys[k] = entry{pending: true}
	return nil
}

// Commit implements storage.KeyStore.
func (s *Store) Commit(_ context.Context, k storage.KeyTriple, v storage.KeyInfo) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.keys[k]; !ok || !e.pending {
		return storage.ErrNotFound
	}
	s.keys[k] = entry{info: clone(v)}
	return nil
}

// Abort implements storage.KeyStore.
func (s *Store) Abort(_ context.Context, k storage.KeyTriple) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.keys[k]; ok && e.pending {
		delete(s.keys, k)
	}
	return nil
}

// Insert implements storage.KeyStore.
func (s *Store) Insert(_ context.Context, k storage.KeyTriple, v storage.KeyInfo) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.keys[k]; ok {
		return storage.ErrExists
	}
	s.keys[k] = entry{info: clone(v)}
	return nil
}

// Remove implements storage.KeyStore.
func (s *Store) Remove(_ context.Context, k storage.KeyTriple) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.keys[k]; !ok || e.pending {
		return storage.ErrNotFound
	}
	delete(s.keys, k)
	return nil
}

// List implements storage.KeyStore.
func (s *Store) List(_ context.Context, provider string, c storage.Client) ([]storage.Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []storage.Entry
	for k, e := range s.keys {
		if !e.pending && k.Provider == provider && k.Auth == c.Auth && k.App == c.App {
			out = append(out, storage.Entry{KeyTriple: k, KeyInfo: clone(e.info)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Clients implements storage.KeyStore.
func (s *Store) Clients(context.Context) ([]storage.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[storage.Client]bool{}
	var out []storage.Client
	for k, e := range s.keys {
		c := k.Client()
		if !e.pending && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Auth != out[j].Auth {
			return out[i].Auth < out[j].Auth
		}
		return out[i].App < out[j].App
	})
	return out, nil
}

// Pending implements storage.KeyStore.
func (s *Store) Pending(_ context.Context, provider string) ([]storage.KeyTriple, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []storage.KeyTriple
	for k, e := range s.keys {
		if e.pending && k.Provider == provider {
			out = append(out, k)
		}
	}
	return out, nil
}

// Close implements storage.KeyStore.
func (s *Store) Close() error { return nil }
