// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package bolt

import (
	"fmt"
	"maps"
	"slices"

	bbolt "go.etcd.io/bbolt"

	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/status"
)

// bucketProviderIDs records the wire id given to each provider name:
//
//	provider_ids → <provider name> → one byte, the id
//
// A record is written once and never changed or deleted, so an id stays
// with its name across restarts, reloads and the provider's removal from
// the configuration (its keys are kept too). It is a root bucket of its
// own, not a schema change: older releases ignore it, as they ignore the
// quarantine tree.
var bucketProviderIDs = []byte("provider_ids")

// ProviderIDs returns every recorded provider name and its id.
func (s *Store) ProviderIDs() (map[string]parsec.ProviderID, error) {
	out := map[string]parsec.ProviderID{}
	err := s.view("reading provider ids", func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketProviderIDs)
		if b == nil {
			return nil
		}
		return b.ForEach(func(name, v []byte) error {
			if len(v) != 1 {
				return status.Errorf(status.KeyInfoManagerError, "key store %s: provider id of %q is %d bytes long, not 1", s.path, name, len(v))
			}
			out[string(name)] = parsec.ProviderID(v[0])
			return nil
		})
	})
	return out, err
}

// RecordProviderIDs records the ids of the names that have none yet, in
// one transaction. A name already recorded with another id, or an id
// already recorded for another name, is refused and nothing is written:
// ids are never moved from one name to another.
func (s *Store) RecordProviderIDs(ids map[string]parsec.ProviderID) error {
	return s.update("recording provider ids", func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketProviderIDs)
		if err != nil {
			return err
		}
		owner := map[parsec.ProviderID]string{}
		if err := b.ForEach(func(name, v []byte) error {
			if len(v) == 1 {
				owner[parsec.ProviderID(v[0])] = string(name)
			}
			return nil
		}); err != nil {
			return err
		}
		for _, name := range slices.Sorted(maps.Keys(ids)) {
			id := ids[name]
			if v := b.Get([]byte(name)); v != nil {
				if len(v) != 1 || parsec.ProviderID(v[0]) != id {
					return status.Errorf(status.KeyInfoManagerError, "key store %s: provider %q is recorded with another id than %d", s.path, name, id)
				}
				continue
			}
			if other, taken := owner[id]; taken && other != name {
				return status.Errorf(status.KeyInfoManagerError, "key store %s: provider id %d is recorded for provider %q, not %q", s.path, id, other, name)
			}
			if err := b.Put([]byte(name), []byte{byte(id)}); err != nil {
				return fmt.Errorf("recording the id of provider %q: %w", name, err)
			}
			owner[id] = name
		}
		return nil
	})
}
