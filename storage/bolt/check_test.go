// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package bolt_test

import (
	"bytes"
	"path/filepath"
	"testing"

	bbolt "go.etcd.io/bbolt"

	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
	"github.com/parsecd/parsecd/storage/bolt"
)

// A store with every kind of damage: the inventory names each, quarantine
// moves the bad records out byte for byte and frees their names, and the
// healthy keys are untouched.
func TestInventoryAndQuarantine(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "keys.db"), bolt.Options{})
	bad := storage.KeyTriple{Auth: parsec.AuthDirect, App: "alice", Provider: "soft", Key: "bad"}
	gone := storage.KeyTriple{Auth: parsec.AuthUnixPeerCredentials, App: "1000", Provider: "old-provider", Key: "k"}
	pending := storage.KeyTriple{Auth: parsec.AuthDirect, App: "bob", Provider: "soft", Key: "half-made"}
	for _, k := range []storage.KeyTriple{alice, gone} {
		if err := s.Insert(ctx, k, secret); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Reserve(ctx, pending); err != nil {
		t.Fatal(err)
	}
	garbage := []byte("\\x01not a value")
	writeRaw(t, s, garbage, bolt.BucketKeys, []byte("soft"), []byte("1/alice"), []byte("bad"))
	writeRaw(t, s, []byte{1}, bolt.BucketKeys, []byte("soft"), []byte("no-auth"), []byte("orphan"))

	inv, err := s.Inventory()
	if err != nil {
		t.Fatal(err)
	}
	var damaged, healthy []string
	for _, e := range inv.Committed {
		if e.Err != nil {
			damaged = append(damaged, e.Key)
			if status.CodeOf(e.Err) != status.PsaErrorDataCorrupt {
				t.Errorf("%s: %v, want PsaErrorDataCorrupt", e.Key, e.Err)
			}
		} else {
			healthy = append(healthy, e.Provider+"/"+e.Key)
		}
	}
	if len(damaged) != 1 || damaged[0] != "bad" || len(healthy) != 2 || healthy[0] != "old-provider/k" || healthy[1] != "soft/"+alice.Key {
		t.Fatalf("inventory: damaged %v, healthy %v", damaged, healthy)
	}
	if len(inv.Pending) != 1 || inv.Pending[0] != pending {
		t.Errorf("pending = %v", inv.Pending)
	}
	if len(inv.Malformed) != 1 || inv.Malformed[0].Bucket != "no-auth" || inv.Malformed[0].Tree != string(bolt.BucketKeys) {
		t.Errorf("malformed = %v", inv.Malformed)
	}

	if err := s.Quarantine(bad); err != nil {
		t.Fatal(err)
	}
	if err := s.QuarantineBucket(inv.Malformed[0]); err != nil {
		t.Fatal(err)
	}
	// The name is free again; quarantining it a second time keeps both copies.
	writeRaw(t, s, garbage, bolt.BucketKeys, []byte("soft"), []byte("1/alice"), []byte("bad"))
	if err := s.Quarantine(bad); err != nil {
		t.Fatal(err)
	}
	if err := s.Quarantine(bad); !storage.IsNotFound(err) {
		t.Errorf("quarantining a record twice: %v", err)
	}
	inv, err = s.Inventory()
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Committed) != 2 || len(inv.Malformed) != 0 || inv.Quarantined != 3 {
		t.Fatalf("after repair: %d records, %d malformed, %d quarantined", len(inv.Committed), len(inv.Malformed), inv.Quarantined)
	}
	if _, err := s.Get(ctx, alice); err != nil {
		t.Errorf("healthy key after repair: %v", err)
	}
	err = s.DB().View(func(tx *bbolt.Tx) error {
		q := tx.Bucket([]byte("quarantine")).Bucket([]byte("soft"))
		if got := q.Bucket([]byte("1/alice")).Get([]byte("bad")); !bytes.Equal(got, garbage) {
			t.Errorf("quarantined bytes = %q", got)
		}
		if q.Bucket([]byte("1/alice")).Get([]byte("bad#2")) == nil || q.Bucket([]byte("no-auth")).Get([]byte("orphan")) == nil {
			t.Error("a quarantined record is missing")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if es, err := s.List(ctx, "soft", storage.Client{Auth: alice.Auth, App: alice.App}); err != nil || len(es) != 1 || es[0].Err != nil {
		t.Fatalf("List after repair: %+v, %v", es, err)
	}
}
