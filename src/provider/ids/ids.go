// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package ids gives each configured provider its wire id. The first
// provider of a type gets Parsec's fixed id for the type, so clients
// that know only those ids see what they always saw; every further one
// gets an id from the extra range (docs/config.md, "Provider ids and
// names"). An id once given to a name stays with it: what the key store
// recorded wins over position in the configuration, and an id recorded
// for a name is never given to another, even when that name has left the
// configuration (its keys are kept and it may come back).
package ids

import (
	"fmt"

	"github.com/parsecd/parsecd/src/parsec"
)

// The extra range (parsec.ProviderExtraFirst–Last).
const (
	ExtraFirst = parsec.ProviderExtraFirst
	ExtraLast  = parsec.ProviderExtraLast
)

// Entry is one configured provider: its name and its type's fixed id.
type Entry struct {
	Name  string
	Fixed parsec.ProviderID
}

// Assign returns the id of each entry, in order. recorded holds the ids
// the key stores hold, by name (every store's records together). An entry
// with a record keeps it; then, in configuration order, an entry gets its
// type's fixed id when no other name holds it, else the lowest free id of
// the extra range.
func Assign(entries []Entry, recorded map[string]parsec.ProviderID) ([]parsec.ProviderID, error) {
	owner := map[parsec.ProviderID]string{}
	for name, id := range recorded {
		if other, dup := owner[id]; dup {
			return nil, fmt.Errorf("the key stores record provider id %d for both %q and %q", id, min(name, other), max(name, other))
		}
		owner[id] = name
	}
	out := make([]parsec.ProviderID, len(entries))
	for i, e := range entries {
		if id, ok := recorded[e.Name]; ok {
			if id != e.Fixed && !id.IsExtra() {
				return nil, fmt.Errorf("provider %q is recorded with id %d, which is another type's (%v): it cannot serve as %v", e.Name, id, id, e.Fixed)
			}
			out[i] = id
		}
	}
	for i, e := range entries {
		if out[i] != 0 {
			continue
		}
		id := e.Fixed
		if _, taken := owner[id]; taken {
			id = ExtraFirst
			for ; id <= ExtraLast; id++ {
				if _, taken := owner[id]; !taken {
					break
				}
			}
			if id > ExtraLast {
				return nil, fmt.Errorf("provider %q: every provider id of the extra range %d–%d is taken", e.Name, ExtraFirst, ExtraLast)
			}
		}
		owner[id] = e.Name
		out[i] = id
	}
	return out, nil
}
