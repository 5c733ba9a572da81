// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package bolt_test

import (
	"path/filepath"
	"strconv"
	"testing"

	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/storage"
	"github.com/parsecd/parsecd/storage/bolt"
	"github.com/parsecd/parsecd/storage/storetest"
)

// BenchmarkBoltInsertGet inserts a key (one fsynced write transaction)
// and reads it back.
func BenchmarkBoltInsertGet(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "keys.db"), bolt.Options{})
	v := storage.KeyInfo{ID: make([]byte, 1200), Attributes: storetest.RichAttributes()}
	k := storage.KeyTriple{Auth: parsec.AuthDirect, App: "bench", Provider: "soft"}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		k.Key = "key-" + strconv.Itoa(i)
		i++
		if err := s.Insert(ctx, k, v); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Get(ctx, k); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBoltGet reads one key of a store holding a thousand.
func BenchmarkBoltGet(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "keys.db"), bolt.Options{})
	v := storage.KeyInfo{ID: make([]byte, 1200), Attributes: storetest.RichAttributes()}
	k := storage.KeyTriple{Auth: parsec.AuthDirect, App: "bench", Provider: "soft"}
	for i := range 1000 {
		k.Key = "key-" + strconv.Itoa(i)
		if err := s.Insert(ctx, k, v); err != nil {
			b.Fatal(err)
		}
	}
	k.Key = "key-500"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Get(ctx, k); err != nil {
			b.Fatal(err)
		}
	}
}
