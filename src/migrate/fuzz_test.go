// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package migrate

import (
	"os"
	"testing"
)

// FuzzSQLite: Parsec's database is read by parsecd's own SQLite reader; a
// damaged file must give an error, never a panic or a hang.
func FuzzSQLite(f *testing.F) {
	for _, p := range []string{"testdata/parsec-1.1.0/sqlite/kim/sqlite-key-info-manager.sqlite3", "testdata/sqlite/big.sqlite3"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		db, err := parseSQLite(b)
		if err != nil {
			return
		}
		for _, name := range []string{"kim_metadata", "key_mapping"} {
			rows, err := db.table(name)
			for _, r := range rows {
				if a, ok := r.Values["key_attributes"].([]byte); ok {
					_, _, _ = decodeAttributes(a)
				}
			}
			_ = err
		}
	})
}

// FuzzAttributes: the bincode attribute decoder on any bytes.
func FuzzAttributes(f *testing.F) {
	f.Add([]byte{1, 0, 0, 0, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 5, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		a, _, err := decodeAttributes(b)
		if err == nil && (a.Type.Kind == 0 || a.Policy.Alg.Kind == 0) {
			t.Fatalf("decoded without a type or an algorithm: %+v", a)
		}
	})
}
