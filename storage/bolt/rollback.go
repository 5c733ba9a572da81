// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package bolt

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	bbolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/parsecd/parsecd/src/status"
)

// Rollback-safe schema changes (docs/ota.md).
//
// A migration step is additive when a release of the previous schema can
// still read and write what it produces (a new bucket, a new meta key): the
// store then keeps the lower "readable_by" floor, and an older release
// opens it as it is. Any other step makes the updated release take a
// rollback snapshot first: a copy of the store as it was, next to it, named
// <store>.rollback-v<old version>, without reservations (their half-made
// back-end objects are settled by the updated release, on its own file).
// Until the update is committed (CommitUpdate, parsecd commit-update):
//
//   - a rolled-back release finds the store too new for it and serves its
//     snapshot instead: every key it had signs as before, keys made since
//     the update stay in the updated store, reported, untouched;
//   - when the update comes back, the updated release folds into its store
//     what the rolled-back one changed in the snapshot (keys it created
//     join, keys it destroyed go to quarantine), so that nothing made or
//     removed during the rollback is lost or brought back behind a user's
//     back.
//
// The main store records the snapshot's name, the version it holds and a
// digest of every key record it held when taken ("original"), which tells
// what the rolled-back release changed.

var (
	keyReadableBy     = []byte("readable_by")
	bucketRollback    = []byte("rollback")
	keyRollbackFile   = []byte("snapshot")
	keyRollbackFrom   = []byte("from_version")
	bucketRollbackOrg = []byte("original")
)

// snapshotPath is the rollback snapshot of the store at path for a release
// of schema version v.
func snapshotPath(path string, v uint32) string {
	return path + ".rollback-v" + strconv.FormatUint(uint64(v), 10)
}

// storedSchema is what a store's meta bucket says.
type storedSchema struct {
	exists     bool // a store with data (and so a meta bucket)
	version    uint32
	readableBy uint32
}

func readStoredSchema(db *bbolt.DB) (storedSchema, error) {
	var st storedSchema
	err := db.View(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			return nil
		}
		raw := meta.Get(keySchemaVersion)
		if len(raw) != 4 {
			return nil // initSchema says what is wrong
		}
		st.exists, st.version, st.readableBy = true, binary.BigEndian.Uint32(raw), binary.BigEndian.Uint32(raw)
		if r := meta.Get(keyReadableBy); len(r) == 4 {
			st.readableBy = binary.BigEndian.Uint32(r)
		}
		return nil
	})
	return st, err
}

// needsSnapshot reports whether upgrading from..to runs a step that is
// not additive.
func (c schemaConfig) needsSnapshot(from, to uint32) bool {
	for v := from + 1; v <= to; v++ {
		if !c.additive[v] {
			return true
		}
	}
	return false
}

// recordDigests maps every key record of the keys tree to the SHA-256 of
// its value, keyed by "<provider>\x00<application bucket>\x00<key name>".
func recordDigests(tx *bbolt.Tx) map[string][32]byte {
	out := map[string][32]byte{}
	eachRecord(tx, func(id string, raw []byte) { out[id] = sha256.Sum256(raw) })
	return out
}

func eachRecord(tx *bbolt.Tx, fn func(id string, raw []byte)) {
	r := tx.Bucket(bucketKeys)
	if r == nil {
		return
	}
	_ = r.ForEachBucket(func(p []byte) error {
		pb := r.Bucket(p)
		return pb.ForEachBucket(func(a []byte) error {
			return pb.Bucket(a).ForEach(func(k, v []byte) error {
				if v != nil {
					fn(string(p)+"\x00"+string(a)+"\x00"+string(k), v)
				}
				return nil
			})
		})
	})
}

func splitRecordID(id string) (provider, app, key string) {
	parts := strings.SplitN(id, "\x00", 3)
	return parts[0], parts[1], parts[2]
}

// takeSnapshot copies the store, as it is before the migration, to its
// rollback snapshot for version from, without reservations, and returns the
// digests of its records.
func takeSnapshot(db *bbolt.DB, path string, from uint32) (map[string][32]byte, error) {
	snap := snapshotPath(path, from)
	tmp := snap + ".tmp"
	_ = os.Remove(tmp)
	if err := db.View(func(tx *bbolt.Tx) error { return tx.CopyFile(tmp, 0o600) }); err != nil {
		return nil, ioError(err, "writing the rollback snapshot %s", snap)
	}
	sdb, err := bbolt.Open(tmp, 0o600, &bbolt.Options{Timeout: DefaultTimeout})
	if err != nil {
		return nil, ioError(err, "opening the rollback snapshot %s", tmp)
	}
	var digests map[string][32]byte
	err = sdb.Update(func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketPending) != nil {
			if err := tx.DeleteBucket(bucketPending); err != nil {
				return err
			}
			if _, err := tx.CreateBucket(bucketPending); err != nil {
				return err
			}
		}
		if err := tx.DeleteBucket(bucketRollback); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
			return err
		}
		digests = recordDigests(tx)
		return nil
	})
	if cerr := sdb.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = syncFile(tmp)
	}
	if err == nil {
		err = os.Rename(tmp, snap)
	}
	if err == nil {
		err = syncFile(filepath.Dir(snap))
	}
	if err != nil {
		_ = os.Remove(tmp)
		return nil, ioError(err, "writing the rollback snapshot %s", snap)
	}
	return digests, nil
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// recordRollback notes in the migrated store which snapshot it has and
// what that snapshot held.
func recordRollback(tx *bbolt.Tx, path string, from uint32, digests map[string][32]byte) error {
	if err := tx.DeleteBucket(bucketRollback); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
		return err
	}
	rb, err := tx.CreateBucket(bucketRollback)
	if err != nil {
		return err
	}
	if err := rb.Put(keyRollbackFile, []byte(filepath.Base(snapshotPath(path, from)))); err != nil {
		return err
	}
	if err := rb.Put(keyRollbackFrom, binary.BigEndian.AppendUint32(nil, from)); err != nil {
		return err
	}
	return putDigests(rb, digests)
}

func putDigests(rb *bbolt.Bucket, digests map[string][32]byte) error {
	if err := rb.DeleteBucket(bucketRollbackOrg); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
		return err
	}
	org, err := rb.CreateBucket(bucketRollbackOrg)
	if err != nil {
		return err
	}
	for id, d := range digests {
		if err := org.Put([]byte(id), d[:]); err != nil {
			return err
		}
	}
	return nil
}

// rollbackInfo is the rollback bucket of a migrated store.
type rollbackInfo struct {
	snapshot string
	from     uint32
	original map[string][32]byte
}

func readRollback(tx *bbolt.Tx, path string) *rollbackInfo {
	rb := tx.Bucket(bucketRollback)
	if rb == nil {
		return nil
	}
	info := &rollbackInfo{snapshot: filepath.Join(filepath.Dir(path), string(rb.Get(keyRollbackFile))), original: map[string][32]byte{}}
	if f := rb.Get(keyRollbackFrom); len(f) == 4 {
		info.from = binary.BigEndian.Uint32(f)
	}
	if org := rb.Bucket(bucketRollbackOrg); org != nil {
		_ = org.ForEach(func(k, v []byte) error {
			var d [32]byte
			copy(d[:], v)
			info.original[string(k)] = d
			return nil
		})
	}
	return info
}

// MergeReport says what a merge of a rolled-back release's changes did.
type MergeReport struct {
	Added, Quarantined int
}

// mergeRollback folds into the store what a rolled-back release changed in
// the rollback snapshot since it was taken (or since the last merge): keys
// it created join the store, brought to today's schema by the same
// migration steps; keys it destroyed, and older copies of keys it made
// again, move to quarantine. Nothing is deleted.
func (s *Store) mergeRollback(c schemaConfig) (MergeReport, error) {
	var rep MergeReport
	var info *rollbackInfo
	_ = s.db.View(func(tx *bbolt.Tx) error { info = readRollback(tx, s.path); return nil })
	if info == nil || info.snapshot == "" {
		return rep, nil
	}
	if _, err := os.Stat(info.snapshot); errors.Is(err, fs.ErrNotExist) {
		return rep, nil
	}
	// The snapshot, brought to today's schema on a scratch copy, so that
	// the snapshot itself stays what the older release reads.
	scratch := info.snapshot + ".merge"
	defer os.Remove(scratch)
	if err := copyFile(info.snapshot, scratch); err != nil {
		return rep, ioError(err, "reading the rollback snapshot %s", info.snapshot)
	}
	sdb, err := bbolt.Open(scratch, 0o600, &bbolt.Options{Timeout: DefaultTimeout})
	if err != nil {
		return rep, ioError(err, "reading the rollback snapshot %s", info.snapshot)
	}
	defer sdb.Close()
	var now map[string][32]byte
	_ = sdb.View(func(tx *bbolt.Tx) error { now = recordDigests(tx); return nil })
	if sameDigests(now, info.original) {
		return rep, nil
	}
	err = sdb.Update(func(tx *bbolt.Tx) error {
		for v := info.from + 1; v <= c.current; v++ {
			if m := c.steps[v]; m != nil {
				if err := m(tx); err != nil {
					return fmt.Errorf("migrating to schema version %d: %w", v, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return rep, ioError(err, "bringing the rollback snapshot %s to schema version %d", info.snapshot, c.current)
	}
	values := map[string][]byte{}
	_ = sdb.View(func(tx *bbolt.Tx) error {
		eachRecord(tx, func(id string, raw []byte) { values[id] = bytes.Clone(raw) })
		return nil
	})
	err = s.update("merge the rollback snapshot", func(tx *bbolt.Tx) error {
		keys := tx.Bucket(bucketKeys)
		for id, d := range info.original {
			if nd, ok := now[id]; ok && nd == d {
				continue // unchanged during the rollback
			}
			// Destroyed (or made again) by the rolled-back release.
			p, a, k := splitRecordID(id)
			if b := keys.Bucket([]byte(p)); b != nil && b.Bucket([]byte(a)) != nil {
				if raw := b.Bucket([]byte(a)).Get([]byte(k)); raw != nil {
					if err := quarantinePut(tx, p, a, k, raw); err != nil {
						return err
					}
					if err := b.Bucket([]byte(a)).Delete([]byte(k)); err != nil {
						return err
					}
					rep.Quarantined++
				}
			}
		}
		for id, d := range now {
			if od, ok := info.original[id]; ok && od == d {
				continue
			}
			p, a, k := splitRecordID(id)
			pb, err := keys.CreateBucketIfNotExists([]byte(p))
			if err != nil {
				return err
			}
			ab, err := pb.CreateBucketIfNotExists([]byte(a))
			if err != nil {
				return err
			}
			if raw := ab.Get([]byte(k)); raw != nil {
				// The updated release made a key of that name meanwhile: it
				// stays, the rolled-back one goes to quarantine.
				if err := quarantinePut(tx, p, a, k, values[id]); err != nil {
					return err
				}
				rep.Quarantined++
				continue
			}
			if err := ab.Put([]byte(k), values[id]); err != nil {
				return err
			}
			rep.Added++
		}
		return putDigests(tx.Bucket(bucketRollback), now)
	})
	return rep, err
}

func sameDigests(a, b map[string][32]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func copyFile(from, to string) error {
	raw, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, raw, 0o600)
}

// CommitUpdate ends the rollback window of the store at path for the
// release of opts (the one that runs it): the rollback snapshots kept for
// older schema versions are deleted, so an older release refuses the store
// from then on. It needs no lock, so that an OTA framework's "mark good"
// hook can run it beside the running daemon, which never opens those
// files. Run by a rolled-back release (one that serves its own snapshot),
// it refuses: the snapshot is then that release's live store. It returns
// the snapshots it removed.
func CommitUpdate(path string, opts Options) ([]string, error) {
	c := opts.schema()
	own := snapshotPath(path, c.current)
	if _, err := os.Stat(own); err == nil {
		return nil, status.Errorf(status.KeyInfoManagerError,
			"%s is this release's store during a rollback (key store %s was updated past schema version %d): nothing to commit here; apply the update again",
			own, path, c.current)
	}
	matches, err := filepath.Glob(path + ".rollback-v*")
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, m := range matches {
		v, err := strconv.ParseUint(strings.TrimPrefix(m, path+".rollback-v"), 10, 32)
		if err != nil || uint32(v) >= c.current {
			continue // not a snapshot name, or a scratch file
		}
		if err := os.Remove(m); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, ioError(err, "removing the rollback snapshot %s", m)
		}
		removed = append(removed, m)
	}
	return removed, nil
}

// openSnapshot is Open for a release older than the store at path (schema
// version stored): it serves the rollback snapshot taken for its version
// when there is one, and refuses the store otherwise.
func openSnapshot(path string, stored uint32, opts Options, c schemaConfig) (*Store, error) {
	snap := snapshotPath(path, c.current)
	if _, err := os.Stat(snap); err != nil {
		return nil, status.Errorf(status.KeyInfoManagerError,
			"key store %s: schema version %d is newer than this parsecd understands (%d); refusing to open it to avoid damage (no rollback snapshot %s: the update was committed, or the store never had this release's schema)",
			path, stored, c.current, filepath.Base(snap))
	}
	s, err := Open(snap, opts)
	if err != nil {
		return nil, err
	}
	s.notice = fmt.Sprintf("key store %s has schema version %d, newer than this parsecd (%d): serving its rollback snapshot %s, the keys as they were before the update",
		path, stored, c.current, snap)
	if n, ok := newerKeyCount(path, s.db); ok && n > 0 {
		s.notice += fmt.Sprintf("; %d key(s) made since the update stay in %s, not readable by this release until the update comes back", n, path)
	} else if !ok {
		s.notice += "; keys made since the update stay in " + path + ", not readable by this release"
	}
	return s, nil
}

// Notice says how the store was opened when it is not the plain case: a
// rollback snapshot served by an older release, a newer store it can read,
// a merge of a rolled-back release's changes. Empty otherwise.
func (s *Store) Notice() string { return s.notice }

// newerKeyCount counts the key records of the updated store that the
// rollback snapshot (open as snap) lacks, when the older release can still
// walk the updated store's tree.
func newerKeyCount(updated string, snap *bbolt.DB) (int, bool) {
	db, err := bbolt.Open(updated, 0o600, &bbolt.Options{ReadOnly: true, Timeout: DefaultTimeout})
	if err != nil {
		return 0, false
	}
	defer db.Close()
	var u, sn map[string][32]byte
	_ = db.View(func(tx *bbolt.Tx) error { u = recordDigests(tx); return nil })
	_ = snap.View(func(tx *bbolt.Tx) error { sn = recordDigests(tx); return nil })
	n := 0
	for id := range u {
		if _, ok := sn[id]; !ok {
			n++
		}
	}
	return n, true
}
