// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package bolt

import (
	"testing"

	bbolt "go.etcd.io/bbolt"
)

// DB exposes the bbolt handle to the tests, for consistency checks and
// for writing damaged data on purpose.
func (s *Store) DB() *bbolt.DB { return s.db }

// Check runs bbolt's consistency check over the whole file.
func Check(t testing.TB, s *Store) {
	t.Helper()
	err := s.db.View(func(tx *bbolt.Tx) error {
		for err := range tx.Check() {
			t.Errorf("bbolt consistency check: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Errorf("bbolt consistency check: %v", err)
	}
}

// Buckets and keys of the layout, for tests that edit the file directly.
var (
	BucketMeta        = bucketMeta
	BucketKeys        = bucketKeys
	BucketPending     = bucketPending
	KeySchemaVersion  = keySchemaVersion
	KeyReadableBy     = keyReadableBy
	Migrations        = migrations
	BucketProviderIDs = bucketProviderIDs
)
