// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package migrate

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/parsecd/parsecd/storage"
	"github.com/parsecd/parsecd/storage/bolt"
)

// Record is what the bbolt store keeps about a migration (the marker):
// the source, the hash of its mapping files when it was read, when, and
// what moved and what did not.
type Record struct {
	Type     string    `json:"type"`
	Source   string    `json:"source"`
	SHA256   string    `json:"sha256"`
	Time     time.Time `json:"time"`
	Migrated int       `json:"migrated"`
	Refused  []string  `json:"refused,omitempty"`
}

// recordKey is the key of a source's record: its absolute path.
func recordKey(src Source) string {
	p, err := filepath.Abs(src.Path)
	if err != nil {
		p = src.Path
	}
	return "parsec:" + src.Type + ":" + p
}

// Done returns the record of an earlier migration of src into store, or
// nil.
func Done(store *bolt.Store, src Source) (*Record, error) {
	raw, err := store.ImportRecord(recordKey(src))
	if err != nil || raw == nil {
		return nil, err
	}
	var r Record
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("the migration record of %s does not decode: %w", src.Path, err)
	}
	return &r, nil
}

// ErrDone is Apply's error when the source was migrated already.
var ErrDone = errors.New("already migrated")

// Apply writes the plan's keys and its record into store in one
// transaction. Keys whose name parsecd already uses for another key are
// refused and recorded as such. It returns the record.
func Apply(store *bolt.Store, plan *Plan, now time.Time) (*Record, error) {
	entries := make([]storage.Entry, len(plan.Keys))
	for i, k := range plan.Keys {
		entries[i] = storage.Entry{KeyTriple: k.KeyTriple, KeyInfo: k.KeyInfo}
	}
	rec := &Record{Type: plan.Source.Type, Source: plan.Source.Path, SHA256: plan.Hash, Time: now.UTC()}
	for _, r := range plan.Refused {
		rec.Refused = append(rec.Refused, r.String())
	}
	_, err := store.Import(recordKey(plan.Source), entries, func(conflicts []storage.KeyTriple) []byte {
		r := *rec
		r.Refused = append([]string(nil), rec.Refused...)
		r.Migrated = len(entries) - len(conflicts)
		for _, c := range conflicts {
			r.Refused = append(r.Refused, fmt.Sprintf("%s application %q key %q (provider %q): parsecd already has another key of that name", c.Auth, c.App, c.Key, c.Provider))
		}
		*rec = r
		b, _ := json.Marshal(r)
		return b
	})
	if errors.Is(err, storage.ErrExists) {
		return nil, ErrDone
	}
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// Describe prints the plan key by key.
func Describe(w io.Writer, plan *Plan) {
	fmt.Fprintf(w, "Parsec %s key info manager %s (sha256 %s)\n", plan.Source.Type, plan.Source.Path, plan.Hash)
	for _, k := range plan.Keys {
		fmt.Fprintf(w, "  migrate  %s application %q key %q -> provider %q: %v %d bits (%s)\n", k.Auth, k.App, k.Key, k.Provider, k.Attributes.Type, k.Attributes.Bits, k.From)
		if k.Note != "" {
			fmt.Fprintf(w, "           note: %s\n", k.Note)
		}
	}
	for _, r := range plan.Refused {
		fmt.Fprintf(w, "  REFUSED  %s\n", r)
	}
	fmt.Fprintf(w, "%d keys migrate, %d refused\n", len(plan.Keys), len(plan.Refused))
}
