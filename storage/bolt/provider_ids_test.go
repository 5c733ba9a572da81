// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package bolt_test

import (
	"maps"
	"path/filepath"
	"testing"

	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
	"github.com/parsecd/parsecd/storage/bolt"
)

// Provider ids are written once and survive reopening the file; a record
// is never moved to another name or another id, and a removed provider's
// record and keys stay.
func TestProviderIDsRecordedOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.db")
	s, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.ProviderIDs(); err != nil || len(got) != 0 {
		t.Fatalf("fresh store: %v, %v", got, err)
	}
	first := map[string]parsec.ProviderID{"tpm-a": 3, "tpm-b": 128}
	if err := s.RecordProviderIDs(first); err != nil {
		t.Fatal(err)
	}
	k := storage.KeyTriple{Auth: parsec.AuthDirect, App: "alice", Provider: "tpm-b", Key: "k"}
	if err := s.Insert(ctx, k, secret); err != nil {
		t.Fatal(err)
	}
	// Recording again, and adding a name, keeps what was there.
	if err := s.RecordProviderIDs(map[string]parsec.ProviderID{"tpm-b": 128, "tpm-c": 129}); err != nil {
		t.Fatal(err)
	}
	for what, bad := range map[string]map[string]parsec.ProviderID{
		"a name with another id":    {"tpm-a": 130},
		"an id for another name":    {"tpm-d": 128},
		"one good, one bad, in one": {"tpm-e": 131, "tpm-f": 3},
	} {
		if err := s.RecordProviderIDs(bad); status.CodeOf(err) != status.KeyInfoManagerError {
			t.Errorf("recording %s: %v, want KeyInfoManagerError", what, err)
		}
	}
	bolt.Check(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, path, bolt.Options{})
	got, err := s.ProviderIDs()
	want := map[string]parsec.ProviderID{"tpm-a": 3, "tpm-b": 128, "tpm-c": 129}
	if err != nil || !maps.Equal(got, want) {
		t.Fatalf("after reopening: %v, %v; want %v (a refused batch writes nothing)", got, err, want)
	}
	if _, err := s.Get(ctx, k); err != nil {
		t.Errorf("the key of tpm-b after reopening: %v", err)
	}
	inv, err := s.Inventory()
	if err != nil || len(inv.Committed) != 1 || inv.Committed[0].Provider != "tpm-b" {
		t.Errorf("inventory: %+v, %v", inv.Committed, err)
	}
}

// A damaged id record is reported, not taken for a valid id.
func TestProviderIDsDamaged(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "keys.db"), bolt.Options{})
	writeRaw(t, s, []byte{1, 2}, bolt.BucketProviderIDs, []byte("soft"))
	if _, err := s.ProviderIDs(); status.CodeOf(err) != status.KeyInfoManagerError {
		t.Fatalf("ProviderIDs over a 2-byte record: %v", err)
	}
}
