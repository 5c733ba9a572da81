// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package bolt_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
	"github.com/parsecd/parsecd/storage/bolt"
	"github.com/parsecd/parsecd/storage/storetest"
)

var ctx = context.Background()

// open opens a store at path and registers a consistency check and Close.
func open(t testing.TB, path string, opts bolt.Options) *bolt.Store {
	t.Helper()
	s, err := bolt.Open(path, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() {
		bolt.Check(t, s)
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storage.KeyStore {
		return open(t, filepath.Join(t.TempDir(), "keys.db"), bolt.Options{})
	})
}

var (
	alice  = storage.KeyTriple{Auth: parsec.AuthDirect, App: "alice", Provider: "soft", Key: "k1"}
	bob    = storage.KeyTriple{Auth: parsec.AuthUnixPeerCredentials, App: "1000", Provider: "tpm", Key: "k2"}
	secret = storage.KeyInfo{ID: []byte("-----PRIVATE KEY MATERIAL-----"), Attributes: storetest.RichAttributes()}
)

func TestReopenKeepsEverything(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.db")
	s, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Insert(ctx, alice, secret); err != nil {
		t.Fatal(err)
	}
	if err := s.Reserve(ctx, bob); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, path, bolt.Options{})
	got, err := s.Get(ctx, alice)
	if err != nil || !bytes.Equal(got.ID, secret.ID) || got.Attributes != secret.Attributes {
		t.Fatalf("Get after reopen = %+v, %v", got, err)
	}
	if p, err := s.Pending(ctx, "tpm"); err != nil || !slices.Equal(p, []storage.KeyTriple{bob}) {
		t.Fatalf("Pending after reopen = %v, %v", p, err)
	}
	// The reservation still holds the name, and can be finished.
	if err := s.Reserve(ctx, bob); !errors.Is(err, storage.ErrExists) {
		t.Fatalf("Reserve of a reopened reservation: %v", err)
	}
	if err := s.Commit(ctx, bob, secret); err != nil {
		t.Fatalf("Commit after reopen: %v", err)
	}
	cs, err := s.Clients(ctx)
	want := []storage.Client{{Auth: alice.Auth, App: alice.App}, {Auth: bob.Auth, App: bob.App}}
	if err != nil || !slices.Equal(cs, want) {
		t.Fatalf("Clients = %v, %v; want %v", cs, err, want)
	}
}

// TestCrashLeavesReservation copies the file while the store is still
// open, as a crash would leave it: every committed transaction is there,
// and a reservation made before the crash shows up in Pending.
func TestCrashLeavesReservation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.db")
	s := open(t, path, bolt.Options{})
	if err := s.Insert(ctx, alice, secret); err != nil {
		t.Fatal(err)
	}
	if err := s.Reserve(ctx, bob); err != nil {
		t.Fatal(err)
	}
	// The daemon dies here, between Reserve and Commit.
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	crashed := filepath.Join(dir, "crashed.db")
	if err := os.WriteFile(crashed, b, 0o600); err != nil {
		t.Fatal(err)
	}

	s2 := open(t, crashed, bolt.Options{})
	if p, err := s2.Pending(ctx, "tpm"); err != nil || !slices.Equal(p, []storage.KeyTriple{bob}) {
		t.Fatalf("Pending after crash = %v, %v; want [%v]", p, err, bob)
	}
	if _, err := s2.Get(ctx, bob); !storage.IsNotFound(err) {
		t.Fatalf("Get of the reservation after crash: %v", err)
	}
	if _, err := s2.Get(ctx, alice); err != nil {
		t.Fatalf("Get of a committed key after crash: %v", err)
	}
	// Reconciliation: the provider finds no key and drops the reservation.
	if err := s2.Abort(ctx, bob); err != nil {
		t.Fatal(err)
	}
	if p, err := s2.Pending(ctx, "tpm"); err != nil || len(p) != 0 {
		t.Fatalf("Pending after Abort = %v, %v", p, err)
	}
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestPermissions(t *testing.T) {
	t.Run("fresh", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "var", "lib", "parsec")
		path := filepath.Join(dir, "keys.db")
		open(t, path, bolt.Options{})
		if m := mode(t, dir); m != 0o700 {
			t.Errorf("directory mode %v, want 0700", m)
		}
		if m := mode(t, path); m != 0o600 {
			t.Errorf("file mode %v, want 0600", m)
		}
	})
	t.Run("existing directory untouched", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		open(t, filepath.Join(dir, "keys.db"), bolt.Options{})
		if m := mode(t, dir); m != 0o755 {
			t.Errorf("directory mode %v, want it left at 0755", m)
		}
	})
	for _, tc := range []struct{ before, after os.FileMode }{
		{0o644, 0o600},
		{0o666, 0o600},
		{0o777, 0o600},
		{0o640, 0o600},
		{0o600, 0o600},
		{0o400, 0o400}, // tightened, never widened
	} {
		t.Run(tc.before.String(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "keys.db")
			s, err := bolt.Open(path, bolt.Options{})
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			if err := os.Chmod(path, tc.before); err != nil {
				t.Fatal(err)
			}
			s, err = bolt.Open(path, bolt.Options{})
			if err == nil {
				s.Close()
			} else if tc.before&0o200 != 0 || os.Geteuid() == 0 {
				t.Fatalf("Open: %v", err) // only a read-only file may fail, and not for root
			}
			if m := mode(t, path); m != tc.after {
				t.Errorf("mode %v after Open, want %v", m, tc.after)
			}
		})
	}
	t.Run("not a regular file", func(t *testing.T) {
		_, err := bolt.Open(t.TempDir(), bolt.Options{})
		if status.CodeOf(err) != status.KeyInfoManagerError || !strings.Contains(err.Error(), "not a regular file") {
			t.Fatalf("Open of a directory: %v", err)
		}
	})
}

func TestLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.db")
	first, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const timeout = 200 * time.Millisecond
	start := time.Now()
	second, err := bolt.Open(path, bolt.Options{Timeout: timeout})
	elapsed := time.Since(start)
	if err == nil {
		second.Close()
		t.Fatal("a second Open of a locked store succeeded")
	}
	if status.CodeOf(err) != status.KeyInfoManagerError || !errors.Is(err, berrors.ErrTimeout) {
		t.Errorf("error %v, want KeyInfoManagerError wrapping bbolt's timeout", err)
	}
	if want := "key store " + path + " is locked by another process"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q, want it to say %q", err, want)
	}
	if elapsed < timeout/2 || elapsed > timeout+2*time.Second { // bbolt retries every 50ms
		t.Errorf("Open gave up after %v, want about %v", elapsed, timeout)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	open(t, path, bolt.Options{Timeout: timeout}) // free again
}

// writeRaw puts raw bytes under a path of buckets, bypassing the store.
func writeRaw(t *testing.T, s *bolt.Store, value []byte, path ...[]byte) {
	t.Helper()
	err := s.DB().Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(path[0])
		if err != nil {
			return err
		}
		for _, name := range path[1 : len(path)-1] {
			if b, err = b.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return b.Put(path[len(path)-1], value)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestCorruptValue(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		value      []byte
	}{
		{"garbage", "corrupt", []byte("\x01garbage that is not a value SECRET")},
		{"future format", "unknown format version 9", []byte("\x09SECRET")},
		{"truncated", "corrupt", []byte{1, 11}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t, filepath.Join(t.TempDir(), "keys.db"), bolt.Options{})
			if err := s.Insert(ctx, alice, secret); err != nil {
				t.Fatal(err)
			}
			bad := alice
			bad.Key = "bad"
			writeRaw(t, s, tc.value, bolt.BucketKeys, []byte("soft"), []byte("1/alice"), []byte("bad"))

			_, err := s.Get(ctx, bad)
			if status.CodeOf(err) != status.PsaErrorDataCorrupt || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Get of a corrupt value: %v, want PsaErrorDataCorrupt mentioning %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), `"bad"`) {
				t.Errorf("error %q does not name the key", err)
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error %q quotes the stored bytes", err)
			}
			// List returns the healthy key and reports the damaged one
			// without hiding the other.
			es, err := s.List(ctx, "soft", storage.Client{Auth: alice.Auth, App: alice.App})
			if err != nil || len(es) != 2 || es[1].Key != alice.Key { // byte order: "bad" < "k1"
				t.Fatalf("List over a corrupt value: %+v, %v", es, err)
			}
			for _, e := range es {
				switch {
				case e.Key == "bad" && status.CodeOf(e.Err) != status.PsaErrorDataCorrupt:
					t.Errorf("damaged entry: %v, want PsaErrorDataCorrupt", e.Err)
				case e.Key != "bad" && (e.Err != nil || len(e.ID) == 0):
					t.Errorf("healthy entry %q: %+v", e.Key, e)
				}
			}
			if r := storage.Readable(es); len(r) != 1 || r[0].Key == "bad" {
				t.Errorf("Readable = %+v", r)
			}
			// The healthy key next to it is still readable, and the bad one removable.
			if _, err := s.Get(ctx, alice); err != nil {
				t.Fatalf("Get of a healthy key: %v", err)
			}
			if err := s.Remove(ctx, bad); err != nil {
				t.Fatalf("Remove of a corrupt value: %v", err)
			}
		})
	}
	// A bucket that names no application hides nobody: Clients and
	// Pending go on without it (check-store reports it).
	t.Run("malformed application bucket", func(t *testing.T) {
		s := open(t, filepath.Join(t.TempDir(), "keys.db"), bolt.Options{})
		if err := s.Insert(ctx, alice, secret); err != nil {
			t.Fatal(err)
		}
		writeRaw(t, s, []byte{1}, bolt.BucketKeys, []byte("soft"), []byte("x-no-auth"), []byte("k"))
		if cs, err := s.Clients(ctx); err != nil || len(cs) != 1 || cs[0].App != alice.App {
			t.Fatalf("Clients over a malformed bucket: %v, %v", cs, err)
		}
		writeRaw(t, s, []byte{1}, bolt.BucketPending, []byte("soft"), []byte("300/x"), []byte("k"))
		bob := storage.KeyTriple{Auth: parsec.AuthDirect, App: "bob", Provider: "soft", Key: "r"}
		if err := s.Reserve(ctx, bob); err != nil {
			t.Fatal(err)
		}
		if ps, err := s.Pending(ctx, "soft"); err != nil || len(ps) != 1 || ps[0] != bob {
			t.Fatalf("Pending over a malformed bucket: %v, %v", ps, err)
		}
	})
}

func TestInvalidNames(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "keys.db"), bolt.Options{})
	for _, k := range []storage.KeyTriple{
		{Auth: parsec.AuthDirect, App: "a", Provider: "", Key: "k"},
		{Auth: parsec.AuthDirect, App: "a", Provider: "p", Key: ""},
		{Auth: parsec.AuthDirect, App: "a", Provider: "p", Key: strings.Repeat("k", bbolt.MaxKeySize+1)},
	} {
		if err := s.Insert(ctx, k, secret); status.CodeOf(err) != status.PsaErrorInvalidArgument {
			t.Errorf("Insert(%.20q): %v, want PsaErrorInvalidArgument", k.Key, err)
		}
		if err := s.Reserve(ctx, k); status.CodeOf(err) != status.PsaErrorInvalidArgument {
			t.Errorf("Reserve(%.20q): %v, want PsaErrorInvalidArgument", k.Key, err)
		}
		if _, err := s.Get(ctx, k); !storage.IsNotFound(err) {
			t.Errorf("Get(%.20q): %v, want not found", k.Key, err)
		}
		if err := s.Remove(ctx, k); !storage.IsNotFound(err) {
			t.Errorf("Remove(%.20q): %v, want not found", k.Key, err)
		}
		if err := s.Abort(ctx, k); err != nil {
			t.Errorf("Abort(%.20q): %v", k.Key, err)
		}
	}
}

func TestClosed(t *testing.T) {
	s, err := bolt.Open(filepath.Join(t.TempDir(), "keys.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := s.Get(ctx, alice); status.CodeOf(err) != status.KeyInfoManagerError {
		t.Fatalf("Get on a closed store: %v", err)
	}
	if err := s.Insert(ctx, alice, secret); status.CodeOf(err) != status.KeyInfoManagerError || !errors.Is(err, berrors.ErrDatabaseNotOpen) {
		t.Fatalf("Insert on a closed store: %v", err)
	}
}

func schemaVersion(t *testing.T, path string) uint32 {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v uint32
	err = db.View(func(tx *bbolt.Tx) error {
		raw := tx.Bucket(bolt.BucketMeta).Get(bolt.KeySchemaVersion)
		if len(raw) != 4 {
			return errors.New("no schema version")
		}
		v = binary.BigEndian.Uint32(raw)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func setSchemaVersion(t *testing.T, path string, raw []byte) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bolt.BucketMeta)
		if err != nil {
			return err
		}
		if raw == nil {
			return b.Delete(bolt.KeySchemaVersion)
		}
		// As a newer release that needs its own schema writes it.
		if err := b.Put(bolt.KeyReadableBy, raw); err != nil {
			return err
		}
		return b.Put(bolt.KeySchemaVersion, raw)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSchemaFresh(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.db")
	s, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	bolt.Check(t, s)
	s.Close()
	if v := schemaVersion(t, path); v != bolt.SchemaVersion {
		t.Fatalf("fresh store has schema version %d, want %d", v, bolt.SchemaVersion)
	}
}

func TestSchemaNewerRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.db")
	s, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Insert(ctx, alice, secret); err != nil {
		t.Fatal(err)
	}
	s.Close()
	setSchemaVersion(t, path, []byte{0, 0, 0, 2})
	_, err = bolt.Open(path, bolt.Options{})
	if status.CodeOf(err) != status.KeyInfoManagerError {
		t.Fatalf("Open of a version 2 store: %v, want KeyInfoManagerError", err)
	}
	if want := "schema version 2 is newer than this parsecd understands (1); refusing to open it to avoid damage"; !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q, want it to say %q", err, want)
	}
	if v := schemaVersion(t, path); v != 2 {
		t.Fatalf("refused store now has schema version %d, want it untouched at 2", v)
	}
}

func TestSchemaInvalid(t *testing.T) {
	for name, raw := range map[string][]byte{
		"missing": nil,
		"short":   {0, 1},
		"zero":    {0, 0, 0, 0},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "keys.db")
			s, err := bolt.Open(path, bolt.Options{})
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			setSchemaVersion(t, path, raw)
			if _, err := bolt.Open(path, bolt.Options{}); status.CodeOf(err) != status.KeyInfoManagerError ||
				!strings.Contains(err.Error(), "invalid schema version") {
				t.Fatalf("Open: %v", err)
			}
		})
	}
	t.Run("data without meta", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "keys.db")
		db, err := bbolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Update(func(tx *bbolt.Tx) error { _, err := tx.CreateBucket(bolt.BucketKeys); return err }); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if _, err := bolt.Open(path, bolt.Options{}); status.CodeOf(err) != status.KeyInfoManagerError ||
			!strings.Contains(err.Error(), "no schema version") {
			t.Fatalf("Open: %v", err)
		}
	})
}

// TestSchemaUpgradeAndDowngrade simulates an OTA update to a build with
// schema version 2, then a rollback to this build.
func TestSchemaUpgradeAndDowngrade(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.db")
	s, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Insert(ctx, alice, secret); err != nil {
		t.Fatal(err)
	}
	s.Close()

	// A failing migration leaves the store as it was.
	boom := errors.New("boom")
	_, err = bolt.Open(path, bolt.Options{
		SchemaVersionForTest: 2,
		MigrationsForTest:    map[uint32]bolt.Migration{2: func(*bbolt.Tx) error { return boom }},
	})
	if !errors.Is(err, boom) || status.CodeOf(err) != status.KeyInfoManagerError ||
		!strings.Contains(err.Error(), "from schema version 1 to 2") {
		t.Fatalf("Open with a failing migration: %v", err)
	}
	if v := schemaVersion(t, path); v != 1 {
		t.Fatalf("schema version %d after a failed migration, want 1", v)
	}

	ran := 0
	s, err = bolt.Open(path, bolt.Options{
		SchemaVersionForTest: 2,
		MigrationsForTest: map[uint32]bolt.Migration{2: func(tx *bbolt.Tx) error {
			ran++
			_, err := tx.CreateBucket([]byte("v2-only"))
			return err
		}},
	})
	if err != nil {
		t.Fatalf("Open as a version 2 build: %v", err)
	}
	if ran != 1 {
		t.Fatalf("migration ran %d times, want 1", ran)
	}
	if _, err := s.Get(ctx, alice); err != nil {
		t.Fatalf("Get after migration: %v", err)
	}
	bolt.Check(t, s)
	s.Close()
	if v := schemaVersion(t, path); v != 2 {
		t.Fatalf("schema version %d after migration, want 2", v)
	}

	// Opening again as version 2 runs nothing.
	s, err = bolt.Open(path, bolt.Options{SchemaVersionForTest: 2})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	// Rolled back to this build: it serves the snapshot the update kept,
	// and leaves the updated store alone.
	s, err = bolt.Open(path, bolt.Options{})
	if err != nil || !strings.Contains(s.Notice(), "serving its rollback snapshot") {
		t.Fatalf("Open after rollback: %v", err)
	}
	if _, err := s.Get(ctx, alice); err != nil {
		t.Fatalf("Get from the rollback snapshot: %v", err)
	}
	s.Close()
	if v := schemaVersion(t, path); v != 2 {
		t.Fatalf("schema version %d after the rollback, want 2", v)
	}
	// Once the update is committed, this build refuses the store.
	if snaps, err := bolt.CommitUpdate(path, bolt.Options{SchemaVersionForTest: 2}); err != nil || len(snaps) != 1 || !strings.HasSuffix(snaps[0], ".rollback-v1") {
		t.Fatalf("CommitUpdate = %q, %v", snaps, err)
	}
	if _, err := bolt.Open(path, bolt.Options{}); status.CodeOf(err) != status.KeyInfoManagerError ||
		!strings.Contains(err.Error(), "newer than this parsecd understands") || !strings.Contains(err.Error(), "the update was committed") {
		t.Fatalf("Open after the commit: %v", err)
	}
}

// TestMigrationTableComplete makes sure that raising SchemaVersion comes
// with a migration step for every new version.
func TestMigrationTableComplete(t *testing.T) {
	for v := uint32(2); v <= bolt.SchemaVersion; v++ {
		if bolt.Migrations[v] == nil {
			t.Errorf("no migration to schema version %d", v)
		}
	}
	for v := range bolt.Migrations {
		if v < 2 || v > bolt.SchemaVersion {
			t.Errorf("migration to schema version %d is outside 2..%d", v, bolt.SchemaVersion)
		}
	}
}

// TestEmptyBucketsPruned checks that removing the last key of an
// application or provider leaves no empty bucket behind.
func TestEmptyBucketsPruned(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "keys.db"), bolt.Options{})
	if err := s.Insert(ctx, alice, secret); err != nil {
		t.Fatal(err)
	}
	if err := s.Reserve(ctx, bob); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(ctx, alice); err != nil {
		t.Fatal(err)
	}
	if err := s.Abort(ctx, bob); err != nil {
		t.Fatal(err)
	}
	err := s.DB().View(func(tx *bbolt.Tx) error {
		for _, root := range [][]byte{bolt.BucketKeys, bolt.BucketPending} {
			if k, _ := tx.Bucket(root).Cursor().First(); k != nil {
				t.Errorf("bucket %s still holds %q", root, k)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
