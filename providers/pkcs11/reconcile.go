// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build cgo && pkcs11

package pkcs11

import (
	"context"
	"errors"

	"github.com/miekg/pkcs11"

	"github.com/parsecd/parsecd/storage"
)

// Reconcile implements provider.Reconciler. A crash between creating a
// key's token objects and committing its mapping leaves a reservation
// (KeyStore.Pending) and objects no mapping names. For each reservation of
// this provider, the objects whose CKA_LABEL is the reserved key name and
// whose CKA_ID no committed mapping of this provider holds are destroyed,
// then the reservation is dropped.
//
// Only parsecd's own objects are touched: those with a 16-byte CKA_ID (the
// provider's format) and the reserved name as label. Objects of another
// provider instance sharing the token under another name would look the
// same; give such instances different tokens.
func (p *Provider) Reconcile(ctx context.Context) error {
	pending, err := p.keys.Pending(ctx, p.name)
	if err != nil {
		return storage.StatusError(err)
	}
	if len(pending) == 0 {
		return nil
	}
	committed, err := p.committedIDs(ctx)
	if errors.Is(err, errDamagedRecord) {
		// An unreadable record's objects cannot be told from orphans:
		// destroy nothing, keep the names reserved.
		p.log.WarnContext(ctx, "key reservations left by an interrupted creation are kept: a key record of this provider cannot be read (run parsecd check-store)",
			"reservations", len(pending))
		return nil
	}
	if err != nil {
		return err
	}
	destroyed := 0
	for _, k := range pending {
		n, err := p.destroyOrphans(ctx, k.Key, committed)
		if errors.Is(err, errHidden) {
			// No user_pin: orphans would be missed. Keep the reservations
			// for a start that can see them; their names stay taken.
			p.log.WarnContext(ctx, "key reservations left by an interrupted creation cannot be settled without a user_pin: the names stay reserved",
				"reservations", len(pending))
			return nil
		}
		if err != nil {
			return err
		}
		destroyed += n
		if err := p.keys.Abort(ctx, k); err != nil {
			return storage.StatusError(err)
		}
	}
	p.log.InfoContext(ctx, "dropped key reservations left by an interrupted creation",
		"reservations", len(pending), "orphan_token_objects_destroyed", destroyed)
	return nil
}

var errDamagedRecord = errors.New("a key record cannot be read")

// committedIDs returns the CKA_IDs of every committed key of this provider.
func (p *Provider) committedIDs(ctx context.Context) (map[string]bool, error) {
	clients, err := p.keys.Clients(ctx)
	if err != nil {
		return nil, storage.StatusError(err)
	}
	ids := map[string]bool{}
	for _, c := range clients {
		entries, err := p.keys.List(ctx, p.name, c)
		if err != nil {
			return nil, storage.StatusError(err)
		}
		for _, e := range entries {
			if e.Err != nil {
				return nil, errDamagedRecord
			}
			if id, _, ok := decodeKeyID(e.ID); ok {
				ids[string(id)] = true
			}
		}
	}
	return ids, nil
}

// destroyOrphans destroys the objects labelled name that no committed key holds.
func (p *Provider) destroyOrphans(ctx context.Context, name string, committed map[string]bool) (int, error) {
	n := 0
	err := p.pool.do(ctx, func(h pkcs11.SessionHandle) error {
		p.mod.objMu.Lock()
		defer p.mod.objMu.Unlock()
		defer p.mod.objGen.Add(1) // a freed handle may be given to a new object
		n = 0
		if err := p.pool.canSeePrivate(h); err != nil {
			return err
		}
		objs, err := p.findAll(h, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_LABEL, name)}, 0)
		if err != nil {
			return err
		}
		for _, o := range objs {
			at, err := p.mod.ctx.GetAttributeValue(h, o, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_ID, nil)})
			if err != nil {
				continue // vanished, or no CKA_ID: not ours
			}
			id := at[0].Value
			if len(id) != ckaIDLen || committed[string(id)] {
				continue
			}
			if err := p.mod.ctx.DestroyObject(h, o); err != nil && !isCKR(err, pkcs11.CKR_OBJECT_HANDLE_INVALID) {
				return p11("C_DestroyObject", err)
			}
			n++
		}
		return nil
	})
	return n, err
}
