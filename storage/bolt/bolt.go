// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package bolt is the persistent storage.KeyStore, kept in one bbolt file.
//
// Layout (schema version 1):
//
//	meta     → schema_version → uint32, big endian
//	keys/v1  → <provider> → "<auth type decimal>/<app name>" → <key name> → value
//	pending  → <provider> → "<auth type decimal>/<app name>" → <key name> → 0x01
//
// Values are in the format described in codec.go. Reservations live in
// their own tree so that reads of committed keys never see them; Reserve
// and Insert check both trees in the same write transaction. Buckets left
// empty by a removal are deleted, so an application bucket exists exactly
// when the application owns a key or a reservation there.
//
// The file is opened with an exclusive lock: a second daemon on the same
// file fails after Options.Timeout instead of sharing it.
package bolt

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"time"

	bbolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
)

// DefaultTimeout is how long Open waits for the file lock when
// Options.Timeout is zero.
const DefaultTimeout = time.Second

// Options configure Open.
type Options struct {
	// Timeout bounds the wait for the exclusive file lock held by another
	// process; zero or less means DefaultTimeout.
	Timeout time.Duration

	// SchemaVersionForTest, when non-zero, makes Open behave like a build
	// of parsecd whose SchemaVersion is this value: it refuses stores newer
	// than it, upgrades older ones and records this version. Tests use it to
	// simulate an upgrade or a downgrade of the daemon; production code
	// leaves it zero.
	SchemaVersionForTest uint32

	// MigrationsForTest adds steps to, or replaces steps of, the built-in
	// migration table for the simulated build, keyed by the version a step
	// produces. A version without a step is upgraded to as is.
	MigrationsForTest map[uint32]Migration

	// AdditiveForTest marks steps of the simulated build as additive (an
	// older release can still use what they produce: rollback.go).
	AdditiveForTest map[uint32]bool
}

// schemaConfig is the schema of the build that opens a store: its version,
// its migration steps and which of them are additive.
type schemaConfig struct {
	current  uint32
	steps    map[uint32]Migration
	additive map[uint32]bool
}

func (o Options) schema() schemaConfig {
	c := schemaConfig{current: SchemaVersion, steps: migrations, additive: additiveSteps}
	if o.SchemaVersionForTest == 0 && o.MigrationsForTest == nil && o.AdditiveForTest == nil {
		return c
	}
	if o.SchemaVersionForTest != 0 {
		c.current = o.SchemaVersionForTest
	}
	c.steps = make(map[uint32]Migration, len(migrations)+len(o.MigrationsForTest))
	for v, m := range migrations {
		c.steps[v] = m
	}
	for v, m := range o.MigrationsForTest {
		c.steps[v] = m
	}
	c.additive = make(map[uint32]bool, len(additiveSteps)+len(o.AdditiveForTest))
	for v, a := range additiveSteps {
		c.additive[v] = a
	}
	for v, a := range o.AdditiveForTest {
		c.additive[v] = a
	}
	return c
}

// Store is a storage.KeyStore in a bbolt file. It is safe for concurrent
// use: bbolt runs one writer at a time next to any number of readers.
type Store struct {
	db     *bbolt.DB
	path   string
	notice string // how it was opened, when not the plain case (Notice)
}

var _ storage.KeyStore = (*Store)(nil)

// pendingMark is the value of a reservation.
var pendingMark = []byte{1}

// Open opens the key store at path, creating it (and its directory, with
// mode 0700) if needed. The file gets mode 0600; an existing file with
// looser permissions is tightened. Open fails with KeyInfoManagerError if
// another process holds the store, or if its schema is newer than this
// build understands.
func Open(path string, opts Options) (*Store, error) {
	if path == "" {
		return nil, status.Errorf(status.KeyInfoManagerError, "key store path is empty")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, ioError(err, "creating the directory of key store %s", path)
	}
	if err := tightenMode(path); err != nil {
		return nil, err
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: timeout})
	if errors.Is(err, berrors.ErrTimeout) {
		by := "another process"
		if pid := lockHolder(path); pid > 0 {
			by = fmt.Sprintf("process %d", pid)
		}
		return nil, status.Errorf(status.KeyInfoManagerError, "%w", lockedError{
			msg: fmt.Sprintf("key store %s is locked by %s: is another parsecd running with this store?", path, by), err: err})
	}
	if err != nil {
		return nil, ioError(err, "opening key store %s", path)
	}
	sc := opts.schema()
	st, err := readStoredSchema(db)
	if err != nil {
		db.Close()
		return nil, ioError(err, "reading key store %s", path)
	}
	if st.exists && st.version > sc.current {
		if st.readableBy <= sc.current {
			// A newer release changed the store only additively: served as
			// it is, its schema version left as the newer release wrote it.
			return &Store{db: db, path: path, notice: fmt.Sprintf(
				"key store %s was written by a newer parsecd (schema version %d) that keeps it readable by this one (%d)",
				path, st.version, sc.current)}, nil
		}
		db.Close()
		return openSnapshot(path, st.version, opts, sc)
	}
	var digests map[string][32]byte
	snapshot := st.exists && st.version < sc.current && sc.needsSnapshot(st.version, sc.current)
	if snapshot {
		if digests, err = takeSnapshot(db, path, st.version); err != nil {
			db.Close()
			return nil, err
		}
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		if err := initSchema(tx, path, sc.current, sc.steps); err != nil {
			return err
		}
		floor := sc.current // a new store, or a step an older release cannot read
		if st.exists && !snapshot {
			floor = st.readableBy
		}
		if err := tx.Bucket(bucketMeta).Put(keyReadableBy, binary.BigEndian.AppendUint32(nil, floor)); err != nil {
			return err
		}
		if snapshot {
			return recordRollback(tx, path, st.version, digests)
		}
		return nil
	})
	if err != nil {
		db.Close()
		if snapshot {
			_ = os.Remove(snapshotPath(path, st.version))
		}
		var c status.Coder
		if !errors.As(err, &c) {
			err = ioError(err, "initialising key store %s", path)
		}
		return nil, err
	}
	s := &Store{db: db, path: path}
	if snapshot {
		s.notice = fmt.Sprintf("key store %s migrated from schema version %d to %d; the store as it was is kept as %s for a rollback until parsecd commit-update",
			path, st.version, sc.current, snapshotPath(path, st.version))
	} else if st.exists && st.version == sc.current {
		rep, err := s.mergeRollback(sc)
		if err != nil {
			db.Close()
			return nil, err
		}
		if rep.Added+rep.Quarantined > 0 {
			s.notice = fmt.Sprintf("key store %s: what an older parsecd changed during a rollback is merged: %d key(s) it made added, %d record(s) it destroyed or replaced moved to quarantine",
				path, rep.Added, rep.Quarantined)
		}
	}
	return s, nil
}

// tightenMode drops group and other permissions from an existing file,
// never adding any.
func tightenMode(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return ioError(err, "checking key store %s", path)
	}
	if !fi.Mode().IsRegular() {
		return status.Errorf(status.KeyInfoManagerError, "key store %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&^0o600 != 0 {
		if err := os.Chmod(path, perm&0o600); err != nil {
			return ioError(err, "restricting the permissions of key store %s", path)
		}
	}
	return nil
}

var errStrayBucket = errors.New("a bucket where a key record should be")

// ioError wraps a bbolt or file-system failure: a full file system or an
// exhausted quota is PsaErrorInsufficientStorage (the client may retry
// once space is freed), a read-only one says so, anything else is
// KeyInfoManagerError.
func ioError(err error, format string, a ...any) error {
	msg := fmt.Sprintf(format, a...)
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return &status.Error{Code: status.PsaErrorInsufficientStorage, Msg: msg + ": no space left for the key store", Err: err}
	case errors.Is(err, syscall.EROFS):
		return &status.Error{Code: status.KeyInfoManagerError, Msg: msg + ": the key store is on a read-only file system", Err: err}
	}
	return &status.Error{Code: status.KeyInfoManagerError, Msg: msg, Err: err}
}

// appName is the name of an application's bucket.
func appName(auth parsec.AuthType, app string) []byte {
	b := strconv.AppendUint(make([]byte, 0, 4+len(app)), uint64(auth), 10)
	b = append(b, '/')
	return append(b, app...)
}

// parseAppName is the inverse of appName.
func parseAppName(b []byte) (storage.Client, error) {
	i := bytes.IndexByte(b, '/')
	if i < 0 {
		return storage.Client{}, status.Errorf(status.KeyInfoManagerError, "key store has a malformed application bucket %q", b)
	}
	auth, err := strconv.ParseUint(string(b[:i]), 10, 8)
	if err != nil {
		return storage.Client{}, status.Errorf(status.KeyInfoManagerError, "key store has a malformed application bucket %q", b)
	}
	return storage.Client{Auth: parsec.AuthType(auth), App: string(b[i+1:])}, nil
}

// validate rejects names that bbolt cannot hold.
func validate(k storage.KeyTriple) error {
	switch {
	case k.Provider == "" || k.Key == "":
		return status.Errorf(status.PsaErrorInvalidArgument, "key store: empty provider or key name")
	case len(k.Provider) > bbolt.MaxKeySize || len(k.Key) > bbolt.MaxKeySize || len(k.App) > bbolt.MaxKeySize-4:
		return status.Errorf(status.PsaErrorInvalidArgument, "key store: name too long")
	}
	return nil
}

// appBucket returns the bucket of k's application under root, or nil.
func appBucket(tx *bbolt.Tx, root []byte, k storage.KeyTriple) *bbolt.Bucket {
	r := tx.Bucket(root)
	if r == nil {
		return nil
	}
	p := r.Bucket([]byte(k.Provider))
	if p == nil {
		return nil
	}
	return p.Bucket(appName(k.Auth, k.App))
}

// has reports whether root holds k.
func has(tx *bbolt.Tx, root []byte, k storage.KeyTriple) bool {
	b := appBucket(tx, root, k)
	return b != nil && b.Get([]byte(k.Key)) != nil
}

// put stores k → v under root, creating the buckets on the way.
func put(tx *bbolt.Tx, root []byte, k storage.KeyTriple, v []byte) error {
	r := tx.Bucket(root)
	if r == nil {
		return status.Errorf(status.KeyInfoManagerError, "key store has no %s bucket", root)
	}
	p, err := r.CreateBucketIfNotExists([]byte(k.Provider))
	if err != nil {
		return err
	}
	a, err := p.CreateBucketIfNotExists(appName(k.Auth, k.App))
	if err != nil {
		return err
	}
	return a.Put([]byte(k.Key), v)
}

// del deletes k from root, and the buckets that this leaves empty. It
// reports whether k was there.
func del(tx *bbolt.Tx, root []byte, k storage.KeyTriple) (bool, error) {
	r := tx.Bucket(root)
	if r == nil {
		return false, nil
	}
	p := r.Bucket([]byte(k.Provider))
	if p == nil {
		return false, nil
	}
	an := appName(k.Auth, k.App)
	a := p.Bucket(an)
	if a == nil || a.Get([]byte(k.Key)) == nil {
		return false, nil
	}
	if err := a.Delete([]byte(k.Key)); err != nil {
		return false, err
	}
	if empty(a) {
		if err := p.DeleteBucket(an); err != nil {
			return false, err
		}
		if empty(p) {
			if err := r.DeleteBucket([]byte(k.Provider)); err != nil {
				return false, err
			}
		}
	}
	return true, nil
}

func empty(b *bbolt.Bucket) bool {
	k, _ := b.Cursor().First()
	return k == nil
}

// update runs fn in a write transaction; errors that do not carry a
// status already are bbolt failures and become KeyInfoManagerError.
func (s *Store) update(op string, fn func(tx *bbolt.Tx) error) error {
	return s.wrap(op, s.db.Update(fn))
}

func (s *Store) view(op string, fn func(tx *bbolt.Tx) error) error {
	return s.wrap(op, s.db.View(fn))
}

func (s *Store) wrap(op string, err error) error {
	var c status.Coder
	if err == nil || errors.As(err, &c) {
		return err
	}
	return ioError(err, "key store %s: %s", s.path, op)
}

// badValue says which key has a value that cannot be decoded: the key
// exists but is damaged (PsaErrorDataCorrupt), which a client must never
// take for "does not exist" and recreate.
func (s *Store) badValue(k storage.KeyTriple, err error) error {
	return &status.Error{
		Code: status.PsaErrorDataCorrupt,
		Msg:  fmt.Sprintf("key store %s: key %q of application %q (%s) in provider %q", s.path, k.Key, k.App, k.Auth, k.Provider),
		Err:  err,
	}
}

// Get implements storage.KeyStore. Like every method, it ignores ctx:
// store operations are short, and an Abort must run even when the request
// that made the reservation was cancelled.
func (s *Store) Get(_ context.Context, k storage.KeyTriple) (storage.KeyInfo, error) {
	var v storage.KeyInfo
	err := s.view("get", func(tx *bbolt.Tx) error {
		a := appBucket(tx, bucketKeys, k)
		if a == nil {
			return storage.ErrNotFound
		}
		raw := a.Get([]byte(k.Key))
		if raw == nil {
			return storage.ErrNotFound
		}
		var err error
		if v, err = decodeValue(raw); err != nil {
			return s.badValue(k, err)
		}
		return nil
	})
	return v, err
}

// Reserve implements storage.KeyStore.
func (s *Store) Reserve(_ context.Context, k storage.KeyTriple) error {
	if err := validate(k); err != nil {
		return err
	}
	return s.update("reserve", func(tx *bbolt.Tx) error {
		if has(tx, bucketKeys, k) || has(tx, bucketPending, k) {
			return storage.ErrExists
		}
		return put(tx, bucketPending, k, pendingMark)
	})
}

// Commit implements storage.KeyStore: ErrNotFound if k is not reserved.
func (s *Store) Commit(_ context.Context, k storage.KeyTriple, v storage.KeyInfo) error {
	if err := validate(k); err != nil {
		return err
	}
	enc := encodeValue(v)
	defer clear(enc) // bbolt has copied it into its pages by the time Update returns
	return s.update("commit", func(tx *bbolt.Tx) error {
		ok, err := del(tx, bucketPending, k)
		if err != nil {
			return err
		}
		if !ok {
			return storage.ErrNotFound
		}
		if has(tx, bucketKeys, k) {
			return storage.ErrExists
		}
		return put(tx, bucketKeys, k, enc)
	})
}

// Abort implements storage.KeyStore; aborting nothing is not an error.
func (s *Store) Abort(_ context.Context, k storage.KeyTriple) error {
	if validate(k) != nil {
		return nil // nothing with that name can have been reserved
	}
	return s.update("abort", func(tx *bbolt.Tx) error {
		_, err := del(tx, bucketPending, k)
		return err
	})
}

// Insert implements storage.KeyStore.
func (s *Store) Insert(_ context.Context, k storage.KeyTriple, v storage.KeyInfo) error {
	if err := validate(k); err != nil {
		return err
	}
	enc := encodeValue(v)
	defer clear(enc)
	return s.update("insert", func(tx *bbolt.Tx) error {
		if has(tx, bucketKeys, k) || has(tx, bucketPending, k) {
			return storage.ErrExists
		}
		return put(tx, bucketKeys, k, enc)
	})
}

// Remove implements storage.KeyStore.
func (s *Store) Remove(_ context.Context, k storage.KeyTriple) error {
	return s.update("remove", func(tx *bbolt.Tx) error {
		ok, err := del(tx, bucketKeys, k)
		if err == nil && !ok {
			err = storage.ErrNotFound
		}
		return err
	})
}

// List implements storage.KeyStore.
func (s *Store) List(_ context.Context, provider string, c storage.Client) ([]storage.Entry, error) {
	var out []storage.Entry
	err := s.view("list", func(tx *bbolt.Tx) error {
		a := appBucket(tx, bucketKeys, c.Key(provider, ""))
		if a == nil {
			return nil
		}
		// bbolt iterates in byte order, which is Go's string order.
		return a.ForEach(func(name, raw []byte) error {
			k := c.Key(provider, string(name))
			if raw == nil {
				out = append(out, storage.Entry{KeyTriple: k, Err: s.badValue(k, errStrayBucket)})
				return nil
			}
			v, err := decodeValue(raw)
			if err != nil {
				// Listed as damaged, never dropped: the other keys stay visible.
				out = append(out, storage.Entry{KeyTriple: k, Err: s.badValue(k, err)})
				return nil
			}
			out = append(out, storage.Entry{
				KeyTriple: k,
				KeyInfo:   v,
			})
			return nil
		})
	})
	if err != nil {
		for i := range out {
			clear(out[i].ID)
		}
		return nil, err
	}
	return out, nil
}

// Clients implements storage.KeyStore.
func (s *Store) Clients(context.Context) ([]storage.Client, error) {
	seen := map[storage.Client]bool{}
	err := s.view("clients", func(tx *bbolt.Tx) error {
		r := tx.Bucket(bucketKeys)
		if r == nil {
			return nil
		}
		return r.ForEachBucket(func(provider []byte) error {
			p := r.Bucket(provider)
			return p.ForEachBucket(func(name []byte) error {
				if empty(p.Bucket(name)) {
					return nil
				}
				c, err := parseAppName(name)
				if err != nil {
					return nil // names no application: check-store reports it
				}
				seen[c] = true
				return nil
			})
		})
	})
	if err != nil {
		return nil, err
	}
	out := make([]storage.Client, 0, len(seen))
	for c := range seen {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b storage.Client) int {
		if a.Auth != b.Auth {
			return int(a.Auth) - int(b.Auth)
		}
		return cmp.Compare(a.App, b.App)
	})
	return out, nil
}

// Pending implements storage.KeyStore. The reservations are sorted by
// authenticator, application and key name.
func (s *Store) Pending(_ context.Context, provider string) ([]storage.KeyTriple, error) {
	var out []storage.KeyTriple
	err := s.view("pending", func(tx *bbolt.Tx) error {
		r := tx.Bucket(bucketPending)
		if r == nil || provider == "" {
			return nil
		}
		p := r.Bucket([]byte(provider))
		if p == nil {
			return nil
		}
		return p.ForEachBucket(func(name []byte) error {
			c, err := parseAppName(name)
			if err != nil {
				return nil // names no application: check-store reports it
			}
			return p.Bucket(name).ForEach(func(key, _ []byte) error {
				out = append(out, c.Key(provider, string(key)))
				return nil
			})
		})
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b storage.KeyTriple) int {
		if a.Auth != b.Auth {
			return int(a.Auth) - int(b.Auth)
		}
		if c := cmp.Compare(a.App, b.App); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
	return out, nil
}

// Close implements storage.KeyStore. It waits for running transactions
// and releases the file lock.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return ioError(err, "closing key store %s", s.path)
	}
	return nil
}
