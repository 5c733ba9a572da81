// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package bolt

import (
	"bytes"

	bbolt "go.etcd.io/bbolt"

	"github.com/parsecd/parsecd/storage"
)

// bucketImports records the key stores imported into this one (package
// src/migrate, Parsec's OnDisk and SQLite stores): source → the importer's
// record. A store is imported once: the record and the keys are written in
// the same transaction, so a crash leaves either both or neither.
var bucketImports = []byte("imports")

// ImportRecord returns the record of an import from source, or nil if
// source was never imported.
func (s *Store) ImportRecord(source string) ([]byte, error) {
	var out []byte
	err := s.view("import record", func(tx *bbolt.Tx) error {
		if b := tx.Bucket(bucketImports); b != nil {
			if v := b.Get([]byte(source)); v != nil {
				out = bytes.Clone(v)
			}
		}
		return nil
	})
	return out, err
}

// Import writes keys and the record of source in one transaction. A key
// whose name is already taken (committed or reserved) is not written: if
// the stored key is the same it counts as imported, else it is returned
// among the conflicts, which record (called inside the transaction) gets
// to build the record from. Import fails without writing anything if
// source was imported already.
func (s *Store) Import(source string, keys []storage.Entry, record func(conflicts []storage.KeyTriple) []byte) (conflicts []storage.KeyTriple, err error) {
	for _, k := range keys {
		if err := validate(k.KeyTriple); err != nil {
			return nil, err
		}
	}
	encs := make([][]byte, len(keys))
	for i, k := range keys {
		encs[i] = encodeValue(k.KeyInfo)
	}
	// bbolt copies the values into its pages when the transaction commits.
	defer func() {
		for _, e := range encs {
			clear(e)
		}
	}()
	err = s.update("import", func(tx *bbolt.Tx) error {
		conflicts = nil
		b, err := tx.CreateBucketIfNotExists(bucketImports)
		if err != nil {
			return err
		}
		if b.Get([]byte(source)) != nil {
			return storage.ErrExists
		}
		for i, k := range keys {
			enc := encs[i]
			if has(tx, bucketPending, k.KeyTriple) {
				conflicts = append(conflicts, k.KeyTriple)
				continue
			}
			if a := appBucket(tx, bucketKeys, k.KeyTriple); a != nil {
				if cur := a.Get([]byte(k.Key)); cur != nil {
					if !bytes.Equal(cur, enc) {
						conflicts = append(conflicts, k.KeyTriple)
					}
					continue
				}
			}
			if err := put(tx, bucketKeys, k.KeyTriple, enc); err != nil {
				return err
			}
		}
		return b.Put([]byte(source), record(conflicts))
	})
	if err != nil {
		return nil, err
	}
	return conflicts, nil
}
