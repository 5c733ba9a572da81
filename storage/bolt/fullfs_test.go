// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build linux

package bolt_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
	"github.com/parsecd/parsecd/storage/bolt"
)

// smallFS mounts a tmpfs of size bytes for the test, or skips saying why
// mounting is impossible here (it needs root, as in CI).
func smallFS(t *testing.T, size int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "fs")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0700", size)); err != nil {
		t.Skipf("cannot mount a %d-byte tmpfs here (%v): the full-disk test needs root", size, err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
			t.Errorf("unmounting %s: %v", dir, err)
		}
	})
	return dir
}

// A full file system is PsaErrorInsufficientStorage naming the store, and
// the store stays whole: every key written before is there, before and
// after reopening.
func TestFullFileSystem(t *testing.T) {
	dir := smallFS(t, 256<<10)
	path := filepath.Join(dir, "keys.db")
	s, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	value := storage.KeyInfo{ID: bytes.Repeat([]byte{0xa5}, 3000),
		Attributes: psa.KeyAttributes{Type: psa.KeyType{Kind: psa.KeyRawData}, Bits: 24000}}
	var stored []storage.KeyTriple
	var full error
	for i := range 1000 {
		k := storage.KeyTriple{Auth: parsec.AuthDirect, App: "filler", Provider: "soft", Key: fmt.Sprintf("k%04d", i)}
		if err := s.Insert(ctx, k, value); err != nil {
			full = err
			break
		}
		stored = append(stored, k)
	}
	if full == nil {
		t.Fatal("1000 keys of 3 KB fit in a 256 KiB file system")
	}
	if status.CodeOf(full) != status.PsaErrorInsufficientStorage || !strings.Contains(full.Error(), path) {
		t.Fatalf("writing to a full file system: %v, want PsaErrorInsufficientStorage naming %s", full, path)
	}
	t.Logf("%d keys stored before the file system filled: %v", len(stored), full)
	check := func(s *bolt.Store) {
		t.Helper()
		for _, k := range stored {
			got, err := s.Get(ctx, k)
			if err != nil || !bytes.Equal(got.ID, value.ID) {
				t.Fatalf("%s after the file system filled: %v", k.Key, err)
			}
		}
		es, err := s.List(ctx, "soft", storage.Client{Auth: parsec.AuthDirect, App: "filler"})
		if err != nil || len(storage.Readable(es)) != len(stored) {
			t.Fatalf("List: %d keys, %v; want %d", len(es), err, len(stored))
		}
	}
	check(s)
	// Still full: a smaller write may or may not fit, but never damages.
	_ = s.Insert(ctx, storage.KeyTriple{Auth: parsec.AuthDirect, App: "filler", Provider: "soft", Key: "small"}, storage.KeyInfo{ID: []byte{1}})
	check(s)
	bolt.Check(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	check(open(t, path, bolt.Options{}))
}

// A store on a read-only file system is refused at start with a message
// that says so.
func TestReadOnlyFileSystem(t *testing.T) {
	dir := smallFS(t, 1<<20)
	path := filepath.Join(dir, "keys.db")
	s, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Insert(ctx, alice, secret); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("", dir, "", unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
		t.Skipf("cannot remount the tmpfs read-only here: %v", err)
	}
	_, err = bolt.Open(path, bolt.Options{})
	if !errors.Is(err, unix.EROFS) || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open on a read-only file system: %v", err)
	}
}
