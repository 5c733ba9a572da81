// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package daemon

import (
	"fmt"

	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/src/provider/ids"
	"github.com/parsecd/parsecd/src/wire"
	"github.com/parsecd/parsecd/storage"
)

// idRecorder is a key store that records the wire id of each provider
// name (storage/bolt: the provider_ids bucket).
type idRecorder interface {
	ProviderIDs() (map[string]wire.ProviderID, error)
	RecordProviderIDs(map[string]wire.ProviderID) error
}

// assignIDs gives each provider its wire id (src/provider/ids) from what
// every store recorded, and records the new ones, each in the store of its
// provider, before the service answers on them: an id once given stays.
func assignIDs(ps []provider.Provider, keys []storage.KeyStore) ([]wire.ProviderID, error) {
	recorded := map[string]wire.ProviderID{}
	seen := map[storage.KeyStore]bool{}
	for _, s := range keys {
		r, ok := s.(idRecorder)
		if !ok || seen[s] {
			continue
		}
		seen[s] = true
		got, err := r.ProviderIDs()
		if err != nil {
			return nil, err
		}
		for name, id := range got {
			if other, dup := recorded[name]; dup && other != id {
				return nil, fmt.Errorf("two key stores record provider %q with ids %d and %d", name, other, id)
			}
			recorded[name] = id
		}
	}
	entries := make([]ids.Entry, len(ps))
	for i, p := range ps {
		entries[i] = ids.Entry{Name: p.Name(), Fixed: p.Info().ID}
	}
	out, err := ids.Assign(entries, recorded)
	if err != nil {
		return nil, err
	}
	fresh := map[storage.KeyStore]map[string]wire.ProviderID{}
	for i, p := range ps {
		if _, ok := recorded[p.Name()]; ok {
			continue
		}
		if _, ok := keys[i].(idRecorder); !ok {
			continue
		}
		if fresh[keys[i]] == nil {
			fresh[keys[i]] = map[string]wire.ProviderID{}
		}
		fresh[keys[i]][p.Name()] = out[i]
	}
	for s, m := range fresh {
		if err := s.(idRecorder).RecordProviderIDs(m); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// extraIDs is the set of the extra-range ids in use, which the wire layer
// lets requests name.
func extraIDs(in []wire.ProviderID) map[wire.ProviderID]bool {
	out := map[wire.ProviderID]bool{}
	for _, id := range in {
		if id.IsExtra() {
			out[id] = true
		}
	}
	return out
}
