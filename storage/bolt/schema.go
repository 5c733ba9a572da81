// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package bolt

import (
	"encoding/binary"

	bbolt "go.etcd.io/bbolt"

	"github.com/parsecd/parsecd/src/status"
)

// A Migration upgrades a store in place from schema version v-1 to v,
// where v is its key in a migration table. It runs inside the write
// transaction that then records the new version, so a failed migration
// leaves the store as it was.
type Migration func(tx *bbolt.Tx) error

// migrations holds the upgrade steps, keyed by the version a step produces.
// Version 1 is the first layout, so there is nothing to migrate yet; the
// step to version 2 goes in as 2: migrateV2, and a test checks that every
// version up to SchemaVersion has its step.
var migrations = map[uint32]Migration{}

// additiveSteps marks the steps whose result a release of the previous
// schema can still use (a new bucket or meta key, no change to what it
// reads): they need no rollback snapshot (rollback.go). A step that is not
// listed is taken as not additive.
var additiveSteps = map[uint32]bool{}

// Root buckets and meta keys of the layout.
var (
	bucketMeta       = []byte("meta")
	bucketKeys       = []byte("keys/v1")
	bucketPending    = []byte("pending")
	keySchemaVersion = []byte("schema_version")
)

// initSchema checks the stored schema version against current, runs the
// migrations from the stored version up, and creates the root buckets. A
// store without a meta bucket is a fresh one and starts at current.
func initSchema(tx *bbolt.Tx, path string, current uint32, steps map[uint32]Migration) error {
	meta := tx.Bucket(bucketMeta)
	stored := current
	if meta == nil {
		if k, _ := tx.Cursor().First(); k != nil {
			return status.Errorf(status.KeyInfoManagerError,
				"key store %s holds data but no schema version; refusing to open it to avoid damage", path)
		}
		var err error
		if meta, err = tx.CreateBucket(bucketMeta); err != nil {
			return ioError(err, "initialising key store %s", path)
		}
	} else {
		raw := meta.Get(keySchemaVersion)
		if len(raw) != 4 || binary.BigEndian.Uint32(raw) == 0 {
			return status.Errorf(status.KeyInfoManagerError,
				"key store %s has a missing or invalid schema version; refusing to open it", path)
		}
		stored = binary.BigEndian.Uint32(raw)
		if stored > current {
			return status.Errorf(status.KeyInfoManagerError,
				"key store %s: schema version %d is newer than this parsecd understands (%d); refusing to open it to avoid damage",
				path, stored, current)
		}
	}
	for v := stored + 1; v <= current; v++ {
		if m := steps[v]; m != nil {
			if err := m(tx); err != nil {
				return ioError(err, "migrating key store %s from schema version %d to %d", path, v-1, v)
			}
		}
	}
	if raw := meta.Get(keySchemaVersion); len(raw) != 4 || binary.BigEndian.Uint32(raw) != current {
		if err := meta.Put(keySchemaVersion, binary.BigEndian.AppendUint32(nil, current)); err != nil {
			return ioError(err, "writing schema version of key store %s", path)
		}
	}
	for _, name := range [][]byte{bucketKeys, bucketPending} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return ioError(err, "initialising key store %s", path)
		}
	}
	return nil
}
