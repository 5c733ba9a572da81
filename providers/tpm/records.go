// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package tpm

import (
	"bytes"
	"crypto"
	"sync"

	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
)

// maxRecords bounds the decoded records a provider keeps: a few hundred
// bytes each.
const maxRecords = 64

// records keeps the last decoded record of each key, so that an operation
// reads its key from the store but does not decode and check the same
// bytes again (go-tpm unmarshals a public area by reflection, a third of
// the provider's own work for a signature). An entry serves only the exact
// record bytes it was decoded from (their digest is compared), and goes
// when its key is destroyed.
type records struct {
	mu sync.Mutex
	m  map[storage.KeyTriple]decodedRecord
}

type decodedRecord struct {
	id  cacheID
	rec record
	pub crypto.PublicKey
}

// decode returns the record stored as b under id.triple, and its public
// key, with a PSA status when the bytes are not a usable record.
func (r *records) decode(id cacheID, b []byte) (record, crypto.PublicKey, error) {
	r.mu.Lock()
	d, ok := r.m[id.triple]
	r.mu.Unlock()
	if ok && d.id == id {
		return d.rec, d.pub, nil
	}
	// A copy: the record's fields point into it, and the store's buffer
	// is not the memo's to keep.
	rec, err := decodeRecord(bytes.Clone(b))
	if err != nil {
		return record{}, nil, status.Errorf(status.PsaErrorDataCorrupt, "%w", err)
	}
	pub, err := publicKey(rec.public)
	if err != nil {
		return record{}, nil, status.Errorf(status.PsaErrorDataCorrupt, "the stored public area does not hold a usable public key: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[storage.KeyTriple]decodedRecord{}
	}
	if _, ok := r.m[id.triple]; !ok && len(r.m) >= maxRecords {
		for t := range r.m { // any one: the map is a memo, not a working set
			delete(r.m, t)
			break
		}
	}
	r.m[id.triple] = decodedRecord{id: id, rec: rec, pub: pub}
	return rec, pub, nil
}

// forget drops a key's entry (the key is being destroyed).
func (r *records) forget(triple storage.KeyTriple) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.m, triple)
}
