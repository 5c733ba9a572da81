// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package daemon

import (
	"fmt"

	"github.com/parsecd/parsecd/src/back"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/provider/ids"
	"github.com/parsecd/parsecd/storage"
)

// idRecorder is a key store that records the wire id of each provider
// name (storage/bolt: the provider_ids bucket).
type idRecorder interface {
	ProviderIDs() (map[string]parsec.ProviderID, error)
	RecordProviderIDs(map[string]parsec.ProviderID) error
}

// assignIDs gives each provider its wire id (Mount.ID, src/provider/ids)
// from what every store recorded, and records the new ones, each in the
// store of its provider, before the service answers on them: an id once
// given stays.
func assignIDs(ms []back.Mount) error {
	recorded := map[string]parsec.ProviderID{}
	seen := map[storage.KeyStore]bool{}
	for _, m := range ms {
		r, ok := m.Store.(idRecorder)
		if !ok || seen[m.Store] {
			continue
		}
		seen[m.Store] = true
		got, err := r.ProviderIDs()
		if err != nil {
			return err
		}
		for name, id := range got {
			if other, dup := recorded[name]; dup && other != id {
				return fmt.Errorf("two key stores record provider %q with ids %d and %d", name, other, id)
			}
			recorded[name] = id
		}
	}
	entries := make([]ids.Entry, len(ms))
	for i, m := range ms {
		entries[i] = ids.Entry{Name: m.Provider.Name(), Fixed: m.Provider.Info().ID}
	}
	out, err := ids.Assign(entries, recorded)
	if err != nil {
		return err
	}
	fresh := map[idRecorder]map[string]parsec.ProviderID{}
	for i, m := range ms {
		ms[i].ID = out[i]
		r, ok := m.Store.(idRecorder)
		if _, done := recorded[m.Provider.Name()]; done || !ok {
			continue
		}
		if fresh[r] == nil {
			fresh[r] = map[string]parsec.ProviderID{}
		}
		fresh[r][m.Provider.Name()] = out[i]
	}
	for r, names := range fresh {
		if err := r.RecordProviderIDs(names); err != nil {
			return err
		}
	}
	return nil
}

// extraIDs is the set of the extra-range ids in use, which the wire layer
// lets requests name.
func extraIDs(ms []back.Mount) map[parsec.ProviderID]bool {
	out := map[parsec.ProviderID]bool{}
	for _, m := range ms {
		if m.ID.IsExtra() {
			out[m.ID] = true
		}
	}
	return out
}
