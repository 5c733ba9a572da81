// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package bolt_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	bbolt "go.etcd.io/bbolt"

	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/storage"
	"github.com/parsecd/parsecd/storage/bolt"
)

// Releases of schema 1 (N) and 2 (N+1, with a step N cannot read).
var (
	releaseN  = bolt.Options{}
	releaseN1 = bolt.Options{SchemaVersionForTest: 2, MigrationsForTest: map[uint32]bolt.Migration{2: func(tx *bbolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists([]byte("v2-only"))
		return err
	}}}
)

func key(name string) storage.KeyTriple {
	return storage.KeyTriple{Auth: parsec.AuthDirect, App: "alice", Provider: "soft", Key: name}
}

// names opens the store as release o and lists alice's keys.
func names(t *testing.T, path string, o bolt.Options, change func(*bolt.Store)) ([]string, string) {
	t.Helper()
	s, err := bolt.Open(path, o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	if change != nil {
		change(s)
	}
	es, err := s.List(ctx, "soft", storage.Client{Auth: parsec.AuthDirect, App: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range storage.Readable(es) {
		out = append(out, e.Key)
	}
	bolt.Check(t, s)
	return out, s.Notice()
}

func insert(t *testing.T, s *bolt.Store, n string) {
	t.Helper()
	if err := s.Insert(ctx, key(n), secret); err != nil {
		t.Fatal(err)
	}
}

func remove(t *testing.T, s *bolt.Store, n string) {
	t.Helper()
	if err := s.Remove(ctx, key(n)); err != nil {
		t.Fatal(err)
	}
}

// N → N+1 → rollback to N → N+1 → rollback → N+1 → commit → N: every key
// N had is served by N during a rollback, what N+1 made waits in its store,
// what N changes during the rollback is folded back into N+1's store, and
// after the commit N refuses the store.
func TestRollbackWindow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.db")
	want := func(step string, got []string, exp ...string) {
		t.Helper()
		if !slices.Equal(got, exp) {
			t.Fatalf("%s: keys %v, want %v", step, got, exp)
		}
	}
	got, _ := names(t, path, releaseN, func(s *bolt.Store) { insert(t, s, "a"); insert(t, s, "b") })
	want("N", got, "a", "b")

	got, note := names(t, path, releaseN1, func(s *bolt.Store) { insert(t, s, "c"); remove(t, s, "b") })
	want("N+1", got, "a", "c")
	if !strings.Contains(note, "kept as") {
		t.Errorf("N+1's notice: %q", note)
	}
	snap := path + ".rollback-v1"
	if _, err := os.Stat(snap); err != nil {
		t.Fatalf("no rollback snapshot: %v", err)
	}

	// Rollback: N serves what it had; c is reported, not lost.
	got, note = names(t, path, releaseN, func(s *bolt.Store) { insert(t, s, "d"); remove(t, s, "a") })
	want("rollback to N", got, "b", "d")
	if !strings.Contains(note, "serving its rollback snapshot") || !strings.Contains(note, "1 key(s) made since the update") {
		t.Errorf("N's notice during the rollback: %q", note)
	}

	// N+1 again: d joins, a (destroyed during the rollback) goes to
	// quarantine, c is still there, b stays destroyed.
	got, note = names(t, path, releaseN1, nil)
	want("N+1 again", got, "c", "d")
	if !strings.Contains(note, "1 key(s) it made added, 1 record(s) it destroyed or replaced moved to quarantine") {
		t.Errorf("N+1's merge notice: %q", note)
	}
	got, note = names(t, path, releaseN1, nil)
	want("N+1 once more (nothing to merge)", got, "c", "d")
	if note != "" {
		t.Errorf("a second start merged again: %q", note)
	}

	// Commit: the snapshot goes, N refuses, N+1 keeps everything.
	// (Beside the running daemon: it holds the store's lock.)
	s, err := bolt.Open(path, releaseN1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bolt.CommitUpdate(path, releaseN); err == nil || !strings.Contains(err.Error(), "nothing to commit here") {
		t.Errorf("CommitUpdate by the rolled-back release: %v", err)
	}
	if removed, err := bolt.CommitUpdate(path, releaseN1); err != nil || !slices.Equal(removed, []string{snap}) {
		t.Fatalf("CommitUpdate = %q, %v", removed, err)
	}
	s.Close()
	if _, err := os.Stat(snap); !os.IsNotExist(err) {
		t.Fatalf("snapshot after the commit: %v", err)
	}
	if _, err := bolt.Open(path, releaseN); err == nil || !strings.Contains(err.Error(), "the update was committed") {
		t.Fatalf("N after the commit: %v", err)
	}
	got, _ = names(t, path, releaseN1, nil)
	want("N+1 after the commit", got, "c", "d")
}

// An additive step needs no snapshot: N opens N+1's store as it is, keys
// made by N+1 included, and leaves its schema version alone.
func TestAdditiveStepNoSnapshot(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.db")
	additive := releaseN1
	additive.AdditiveForTest = map[uint32]bool{2: true}
	names(t, path, releaseN, func(s *bolt.Store) { insert(t, s, "a") })
	names(t, path, additive, func(s *bolt.Store) { insert(t, s, "b") })
	if _, err := os.Stat(path + ".rollback-v1"); !os.IsNotExist(err) {
		t.Fatalf("an additive step took a snapshot: %v", err)
	}
	got, note := names(t, path, releaseN, func(s *bolt.Store) { insert(t, s, "c") })
	if !slices.Equal(got, []string{"a", "b", "c"}) || !strings.Contains(note, "keeps it readable by this one") {
		t.Fatalf("N on an additively updated store: %v, %q", got, note)
	}
	if v := schemaVersion(t, path); v != 2 {
		t.Fatalf("schema version %d after N wrote to the store, want 2", v)
	}
}

// A crash between the snapshot and the migration leaves the store at the
// old version: both releases open it, and the next update snapshots again.
func TestSnapshotWithoutMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.db")
	names(t, path, releaseN, func(s *bolt.Store) { insert(t, s, "a") })
	failing := releaseN1
	failing.MigrationsForTest = map[uint32]bolt.Migration{2: func(*bbolt.Tx) error { return os.ErrDeadlineExceeded }}
	if _, err := bolt.Open(path, failing); err == nil {
		t.Fatal("a failing migration opened the store")
	}
	if _, err := os.Stat(path + ".rollback-v1"); !os.IsNotExist(err) {
		t.Errorf("a failed migration left its snapshot: %v", err)
	}
	got, _ := names(t, path, releaseN, nil)
	if !slices.Equal(got, []string{"a"}) || schemaVersion(t, path) != 1 {
		t.Fatalf("N after a failed update: %v, schema %d", got, schemaVersion(t, path))
	}
	got, _ = names(t, path, releaseN1, nil)
	if !slices.Equal(got, []string{"a"}) || schemaVersion(t, path) != 2 {
		t.Fatalf("N+1 after a failed update: %v, schema %d", got, schemaVersion(t, path))
	}
}
