// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package daemon

import (
	"maps"
	"path/filepath"
	"slices"
	"testing"

	"github.com/parsecd/parsecd/src/back"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/storage/bolt"
)

type named struct {
	name string
	id   parsec.ProviderID
}

func (n named) Info() provider.Info { return provider.Info{ID: n.id} }
func (n named) Name() string        { return n.name }
func (n named) Close() error        { return nil }

// Ids are recorded in the store of each provider and read back from every
// store the configuration opens: a record in any of them counts.
func TestAssignIDsTwoStores(t *testing.T) {
	dir := t.TempDir()
	open := func(name string) *bolt.Store {
		s, err := bolt.Open(filepath.Join(dir, name), bolt.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	x, y := open("x.db"), open("y.db")
	ms := []back.Mount{{Provider: named{"tpm-a", parsec.ProviderTpm}, Store: x}, {Provider: named{"tpm-b", parsec.ProviderTpm}, Store: y},
		{Provider: named{"soft", parsec.ProviderMbedCrypto}, Store: y}}
	err := assignIDs(ms)
	if got := mountIDs(ms); err != nil || !slices.Equal(got, []parsec.ProviderID{3, 128, 1}) {
		t.Fatalf("first start: %v, %v", mountIDs(ms), err)
	}
	for s, want := range map[*bolt.Store]map[string]parsec.ProviderID{x: {"tpm-a": 3}, y: {"tpm-b": 128, "soft": 1}} {
		if rec, err := s.ProviderIDs(); err != nil || !maps.Equal(rec, want) {
			t.Errorf("recorded %v, %v; want %v", rec, err, want)
		}
	}
	// Reopened, reordered, tpm-a gone and tpm-c new: the records win and
	// tpm-a's id is not reused.
	for _, s := range []*bolt.Store{x, y} {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	x, y = open("x.db"), open("y.db")
	defer x.Close()
	defer y.Close()
	ms = []back.Mount{{Provider: named{"tpm-c", parsec.ProviderTpm}, Store: y}, {Provider: named{"soft", parsec.ProviderMbedCrypto}, Store: y},
		{Provider: named{"tpm-b", parsec.ProviderTpm}, Store: x}}
	err = assignIDs(ms)
	if got := mountIDs(ms); err != nil || !slices.Equal(got, []parsec.ProviderID{129, 1, 128}) {
		t.Fatalf("after the changes: %v, %v; want [129 1 128]", mountIDs(ms), err)
	}
	if rec, _ := y.ProviderIDs(); rec["tpm-c"] != 129 {
		t.Errorf("tpm-c not recorded in its store: %v", rec)
	}
}

func mountIDs(ms []back.Mount) []parsec.ProviderID {
	var out []parsec.ProviderID
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}
