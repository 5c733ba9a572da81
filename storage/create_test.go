// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package storage_test

import (
	"context"
	"errors"
	"testing"

	"github.com/parsecd/parsecd/storage"
	"github.com/parsecd/parsecd/storage/memory"
)

// faulty fails the named step of the store.
type faulty struct {
	*memory.Store
	fail string
}

var errInjected = errors.New("injected failure")

func (f faulty) Reserve(ctx context.Context, k storage.KeyTriple) error {
	if f.fail == "reserve" {
		return errInjected
	}
	return f.Store.Reserve(ctx, k)
}

func (f faulty) Commit(ctx context.Context, k storage.KeyTriple, v storage.KeyInfo) error {
	if f.fail == "commit" {
		return errInjected
	}
	return f.Store.Commit(ctx, k, v)
}

func (f faulty) Abort(ctx context.Context, k storage.KeyTriple) error {
	if f.fail == "abort" {
		return errInjected
	}
	return f.Store.Abort(ctx, k)
}

// TestCreateFailsCleanlyAtEachStep fails every step of a key creation in
// turn and checks what is left: never a provider key without a mapping,
// never a mapping without a key.
func TestCreateFailsCleanlyAtEachStep(t *testing.T) {
	ctx := context.Background()
	k := storage.KeyTriple{App: "app", Provider: "p", Key: "k"}
	tests := []struct {
		name        string
		storeFail   string
		createFail  bool
		undoFail    bool
		wantErr     bool
		wantKey     bool // the provider-side key still exists
		wantMapping bool
		wantPending bool
	}{
		{name: "success", wantKey: true, wantMapping: true},
		{name: "reserve fails", storeFail: "reserve", wantErr: true},
		{name: "create fails", createFail: true, wantErr: true},
		{name: "commit fails", storeFail: "commit", wantErr: true},
		{name: "commit and undo fail", storeFail: "commit", undoFail: true, wantErr: true, wantKey: true, wantPending: true},
		{name: "create and abort fail", storeFail: "abort", createFail: true, wantErr: true, wantPending: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.New()
			store := faulty{Store: mem, fail: tt.storeFail}
			created, undone := false, false
			err := storage.Create(ctx, store, k, func(context.Context) (storage.KeyInfo, func(context.Context) error, error) {
				if tt.createFail {
					return storage.KeyInfo{}, nil, errors.New("provider refused")
				}
				created = true
				return storage.KeyInfo{ID: []byte{1}}, func(context.Context) error {
					if tt.undoFail {
						return errors.New("undo failed")
					}
					undone = true
					return nil
				}, nil
			})
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if tt.storeFail == "reserve" && created {
				t.Fatal("key created although the name could not be reserved")
			}
			if gotKey := created && !undone; gotKey != tt.wantKey {
				t.Errorf("provider key exists = %v, want %v", gotKey, tt.wantKey)
			}
			_, gerr := mem.Get(ctx, k)
			if gotMapping := gerr == nil; gotMapping != tt.wantMapping {
				t.Errorf("mapping exists = %v, want %v", gotMapping, tt.wantMapping)
			}
			pending, _ := mem.Pending(ctx, "p")
			if gotPending := len(pending) == 1; gotPending != tt.wantPending {
				t.Errorf("pending = %v, want %v", pending, tt.wantPending)
			}
		})
	}
}

func TestCreateRefusesATakenName(t *testing.T) {
	ctx := context.Background()
	mem := memory.New()
	k := storage.KeyTriple{App: "app", Provider: "p", Key: "k"}
	if err := mem.Insert(ctx, k, storage.KeyInfo{ID: []byte{1}}); err != nil {
		t.Fatal(err)
	}
	called := false
	err := storage.Create(ctx, mem, k, func(context.Context) (storage.KeyInfo, func(context.Context) error, error) {
		called = true
		return storage.KeyInfo{}, nil, nil
	})
	if !errors.Is(err, storage.ErrExists) || called {
		t.Fatalf("err = %v, creator called = %v", err, called)
	}
}
