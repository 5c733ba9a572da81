// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package soft

import (
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/storage"
)

// StoredForm converts key material in PSA export format (what ImportKey
// takes, and what Mbed Crypto keeps in its key files) into the key store
// record the provider serves the key from: the same checks as ImportKey,
// and a.Bits 0 takes the size from the data. The migration of Parsec's
// Mbed Crypto keys (src/migrate) uses it; the caller clears the ID.
func StoredForm(a psa.KeyAttributes, data []byte) (storage.KeyInfo, error) {
	id, a, err := importForm(a, data)
	if err != nil {
		return storage.KeyInfo{}, err
	}
	return storage.KeyInfo{ID: id, Attributes: a}, nil
}
