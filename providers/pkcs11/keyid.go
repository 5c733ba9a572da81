// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build cgo && pkcs11

package pkcs11

// How a key's token objects are named in the key store: the stored key id
// (format version, CKA_ID, token serial) and the key loaded from it.

import (
	"context"
	"crypto/rand"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
)

// The key store keeps, for each key, KeyInfo.ID = idVersion ‖ CKA_ID ‖
// token serial number: a fresh random 16-byte CKA_ID shared by the key's
// token objects (private and public key), and the token that holds them.
// The serial keeps a provider pointed at another token from taking its
// keys for deleted ones and dropping their mappings. Objects are found by CKA_CLASS and CKA_ID; CKA_LABEL is
// the key name, which lets Reconcile find the objects of a creation that a
// crash interrupted.
const idVersion byte = 0x01

// ckaIDLen is the length of the CKA_IDs the provider makes.
const ckaIDLen = 16

// keyRef is a key loaded from the store.
type keyRef struct {
	triple storage.KeyTriple
	attrs  psa.KeyAttributes
	id     []byte // CKA_ID
	stored []byte // KeyInfo.ID as stored
}

func byteLen(bits uint32) int { return int(bits+7) / 8 }

// load fetches a caller's key from the store.
func (p *Provider) load(ctx context.Context, c storage.Client, name string) (*keyRef, error) {
	t := c.Key(p.name, name)
	info, err := p.keys.Get(ctx, t)
	if err != nil {
		return nil, storage.StatusError(err)
	}
	id, serial, ok := decodeKeyID(info.ID)
	if !ok {
		return nil, status.Errorf(status.PsaErrorDataInvalid, "the stored key id has an unknown format (%d bytes)", len(info.ID))
	}
	if serial != p.tok.serial && (serial != "" || info.ID[0] != idVersionParsec) {
		// Not "deleted": the key lives on a token this provider is not
		// configured for. Keep the mapping for when it is again.
		return nil, status.Errorf(status.PsaErrorDoesNotExist, "the key is on the token with serial number %q, not on the configured token %q", serial, p.tok.serial)
	}
	return &keyRef{triple: t, attrs: info.Attributes, id: id, stored: info.ID}, nil
}

// encodeKeyID builds the stored key id of a key on the token with serial.
func encodeKeyID(id []byte, serial string) []byte {
	out := append([]byte{idVersion}, id...)
	return append(out, serial...)
}

// idVersionParsec marks a key Parsec's PKCS#11 provider made, taken over
// by the migration (src/migrate): idVersionParsec ‖ the 4-byte CKA_ID
// Parsec gave it (its u32 key id, big endian) ‖ the token serial, empty
// when Parsec's configuration named none (then the key is on whichever
// token the provider is configured for, as it was for Parsec).
const idVersionParsec byte = 0x02

// parsecIDLen is the length of Parsec's CKA_IDs.
const parsecIDLen = 4

// decodeKeyID splits a stored key id into the CKA_ID and the token serial.
func decodeKeyID(b []byte) (id []byte, serial string, ok bool) {
	switch {
	case len(b) >= 1+ckaIDLen && b[0] == idVersion:
		return b[1 : 1+ckaIDLen], string(b[1+ckaIDLen:]), true
	case len(b) >= 1+parsecIDLen && b[0] == idVersionParsec:
		return b[1 : 1+parsecIDLen], string(b[1+parsecIDLen:]), true
	}
	return nil, "", false
}

// newCKAID returns a fresh random CKA_ID.
func newCKAID() []byte {
	id := make([]byte, ckaIDLen)
	rand.Read(id)
	return id
}
