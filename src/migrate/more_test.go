// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package migrate

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/storage"
	"github.com/parsecd/parsecd/storage/bolt"
)

// testdata/sqlite/big.sqlite3 was written by the real SQLite library
// (3.40, Python's sqlite3) with Parsec's schema and 512-byte pages: 300
// rows over interior and leaf pages, and names long enough to spill into
// overflow chains.
func TestSQLiteReader(t *testing.T) {
	src, err := readSQLite("testdata/sqlite/big.sqlite3")
	if err != nil {
		t.Fatal(err)
	}
	if len(src.Mappings) != 300 {
		t.Fatalf("%d rows, want 300", len(src.Mappings))
	}
	for i, m := range src.Mappings {
		name := fmt.Sprintf("key-%03d", i)
		if i%50 == 7 {
			name = fmt.Sprintf("long-%03d-", i) + strings.Repeat("x", 600+i*7)
		}
		auth := parsec.AuthUnixPeerCredentials
		if i%2 == 1 {
			auth = parsec.AuthDirect
		}
		if m.Err != nil || m.Key != name || m.Auth != auth || m.App != fmt.Sprintf("app-%d", i%5) ||
			m.ProviderID != parsecMbedCrypto || m.Provider != "mbed-crypto-provider" ||
			binary.LittleEndian.Uint32(m.KeyID) != uint32(i+2) || m.Attrs.Bits != 256 || m.Attrs.Policy.Alg.Sign.Hash != psa.HashSHA256 {
			t.Fatalf("row %d: %+v", i, m)
		}
	}
}

// A transaction SQLite has not finished (a hot journal, a WAL with
// frames) is not in the main file: refused, not read half-applied.
func TestSQLiteUnfinishedTransaction(t *testing.T) {
	for _, side := range []string{"-journal", "-wal"} {
		dir := t.TempDir()
		db := filepath.Join(dir, "kim.sqlite3")
		b, _ := os.ReadFile("testdata/sqlite/big.sqlite3")
		if err := os.WriteFile(db, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(db+side, []byte("pending"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := readSQLite(db); err == nil || !strings.Contains(err.Error(), side) {
			t.Errorf("%s: %v", side, err)
		}
	}
	if _, err := parseSQLite([]byte("not a database at all, not at all, no: not a database, really not, no no no no no no no no no")); err == nil {
		t.Error("garbage accepted")
	}
}

// writeMapping adds an OnDisk mapping file.
func writeMapping(t *testing.T, store, app string, provider int, name string, id []byte, attrs []byte) {
	t.Helper()
	dir := filepath.Join(store, base64.URLEncoding.EncodeToString([]byte(app)), fmt.Sprint(provider))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(id)))
	b = append(append(b, id...), attrs...)
	if err := os.WriteFile(filepath.Join(dir, base64.URLEncoding.EncodeToString([]byte(name))), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// copyStore copies the OnDisk direct fixture into a writable directory.
func copyStore(t *testing.T) string {
	t.Helper()
	dir := copyTree(t, filepath.Join(fixtures, "ondisk/direct"))
	chmodTree(dir, 0o755)
	return dir
}

// Keys that cannot migrate are refused one by one, named, and the others
// migrate: a TPM key, a PKCS#11 key with no PKCS#11 provider configured,
// a mapping whose key file is gone, a damaged mapping file.
func TestRefusals(t *testing.T) {
	dir := copyStore(t)
	store := filepath.Join(dir, "mappings")
	attrs := []byte{1, 0, 0, 0, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 5, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0}
	writeMapping(t, store, "app-a", 3, "tpm-key", []byte{1, 2, 3}, attrs)
	writeMapping(t, store, "app-a", 2, "hsm-key", []byte{9, 0, 0, 0}, attrs)
	writeMapping(t, store, "app-a", 1, "no-key-file", []byte{0x40, 0, 0, 0}, attrs)
	writeMapping(t, store, "app-a", 1, "damaged", []byte{0x41, 0, 0, 0}, attrs[:20])
	internal := filepath.Join(store, "parsec", "1")
	if err := os.MkdirAll(internal, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(internal, base64.URLEncoding.EncodeToString([]byte("internal"))), []byte{4, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0}, 0o600); err != nil {
		t.Fatal(err)
	}
	plan, err := Prepare(Source{Type: "OnDisk", Path: store, ITSDir: dir, Auth: parsec.AuthDirect}, softTarget)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Keys) != 13 {
		t.Errorf("%d keys migrate, want the fixture's 13", len(plan.Keys))
	}
	want := map[string]string{"tpm-key": "tss-esapi", "hsm-key": "no [[provider]]", "no-key-file": "does not exist", "damaged": "does not decode", "internal": "Parsec service itself"}
	for _, r := range plan.Refused {
		w, ok := want[r.Key]
		if !ok || !strings.Contains(r.Reason, w) || !strings.Contains(r.String(), `"`+r.Key+`"`) {
			t.Errorf("refusal %s", r)
		}
		delete(want, r.Key)
	}
	if len(want) != 0 {
		t.Errorf("not refused: %v", want)
	}

	db, err := bolt.Open(filepath.Join(t.TempDir(), "k.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// parsecd already has another key named like a Parsec key: that one
	// is refused and recorded, the rest migrate.
	ctx := context.Background()
	mine := storage.KeyTriple{Auth: parsec.AuthDirect, App: "app-b", Provider: softTarget[0].Name, Key: "ecc-p256-sign"}
	if err := db.Insert(ctx, mine, storage.KeyInfo{ID: []byte{3, 1, 2}, Attributes: psa.KeyAttributes{Type: psa.KeyType{Kind: psa.KeyRawData}, Bits: 16}}); err != nil {
		t.Fatal(err)
	}
	rec, err := Apply(db, plan, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if rec.Migrated != 12 || len(rec.Refused) != 6 || !strings.Contains(rec.Refused[5], "already has another key") {
		t.Errorf("record %+v", rec)
	}
	if v, err := db.Get(ctx, mine); err != nil || len(v.ID) != 3 {
		t.Errorf("parsecd's own key was overwritten: %v %v", v, err)
	}
	got, err := Done(db, plan.Source)
	if err != nil || got == nil || len(got.Refused) != 6 {
		t.Errorf("stored record %+v, %v", got, err)
	}
}
