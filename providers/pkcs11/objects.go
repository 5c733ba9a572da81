// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build cgo && pkcs11

package pkcs11

// The token objects of a key: finding them by CKA_ID, using one in a pooled
// session, destroying them, and creating a key in the order that never
// leaves an orphan (storage.Create).

import (
	"bytes"
	"context"
	"sync"

	"github.com/miekg/pkcs11"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
)

// findAll returns the objects matching tmpl (at most max when max > 0).
func (p *Provider) findAll(h pkcs11.SessionHandle, tmpl []*pkcs11.Attribute, max int) ([]pkcs11.ObjectHandle, error) {
	c := p.mod.ctx
	// A search hands out handles: cached ones are checked again (handles.go).
	p.mod.objGen.Add(1)
	defer p.mod.objGen.Add(1)
	if err := c.FindObjectsInit(h, tmpl); err != nil {
		return nil, p11("C_FindObjectsInit", err)
	}
	var out []pkcs11.ObjectHandle
	for {
		objs, _, err := c.FindObjects(h, 32)
		if err != nil {
			_ = c.FindObjectsFinal(h)
			return nil, p11("C_FindObjects", err)
		}
		out = append(out, objs...)
		if len(objs) == 0 || (max > 0 && len(out) >= max) {
			break
		}
	}
	if err := c.FindObjectsFinal(h); err != nil {
		return nil, p11("C_FindObjectsFinal", err)
	}
	return out, nil
}

// findKey finds the object of class (CKO_PRIVATE_KEY or CKO_PUBLIC_KEY) with CKA_ID id.
func (p *Provider) findKey(h pkcs11.SessionHandle, id []byte, class uint) (pkcs11.ObjectHandle, bool, error) {
	objs, err := p.findAll(h, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, class),
		pkcs11.NewAttribute(pkcs11.CKA_ID, id),
	}, 1)
	if err != nil || len(objs) == 0 {
		return 0, false, err
	}
	return objs[0], true, nil
}

// destroyObjects destroys every object with CKA_ID id and says how many
// there were. Private objects must be visible, or they would be missed.
func (p *Provider) destroyObjects(h pkcs11.SessionHandle, id []byte) (int, error) {
	p.mod.objMu.Lock()
	defer p.mod.objMu.Unlock()
	return p.destroyAll(h, id)
}

// destroyAll is destroyObjects for callers holding objMu for writing.
func (p *Provider) destroyAll(h pkcs11.SessionHandle, id []byte) (int, error) {
	if err := p.pool.canSeePrivate(h); err != nil {
		return 0, err
	}
	p.pool.handles.forgetID(id)
	defer p.mod.objGen.Add(1) // a freed handle may be given to a new object
	objs, err := p.findAll(h, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_ID, id)}, 0)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, o := range objs {
		err := p.mod.ctx.DestroyObject(h, o)
		if isCKR(err, pkcs11.CKR_OBJECT_HANDLE_INVALID) {
			continue // destroyed meanwhile
		}
		if err != nil {
			return n, p11("C_DestroyObject", err)
		}
		n++
	}
	return n, nil
}

// use runs fn in a session with the key's object of the given class. An
// object that is not there (while private objects are visible) means the key
// was deleted on the token behind parsecd's back: its mapping is removed
// and the answer is PsaErrorDoesNotExist. A cached handle used unchecked
// (handles.go) that the token calls invalid (the object was deleted
// outside parsecd, or a logout hid it) is dropped and the object looked
// up again, so that fn may run twice.
func (p *Provider) use(ctx context.Context, k *keyRef, class uint, fn func(h pkcs11.SessionHandle, obj pkcs11.ObjectHandle) error) error {
	missing := false
	err := p.pool.do(ctx, func(h pkcs11.SessionHandle) error {
		p.mod.objMu.RLock()
		defer p.mod.objMu.RUnlock()
		missing = false
		for retried := false; ; retried = true {
			obj, ok, unchecked, err := p.object(h, k.id, class)
			if err != nil {
				return err
			}
			if !ok {
				if err := p.pool.canSeePrivate(h); err != nil {
					return err
				}
				missing = true
				return nil
			}
			err = fn(h, obj)
			if unchecked && !retried && (isCKR(err, pkcs11.CKR_OBJECT_HANDLE_INVALID) || isCKR(err, pkcs11.CKR_KEY_HANDLE_INVALID)) {
				p.pool.handles.forgetID(k.id)
				continue
			}
			return err
		}
	})
	if err != nil {
		return err
	}
	if missing {
		return p.forget(ctx, k)
	}
	return nil
}

// forget handles a key whose objects are gone from the token: what is left
// of it there is destroyed and its mapping removed.
func (p *Provider) forget(ctx context.Context, k *keyRef) error {
	_ = p.pool.do(ctx, func(h pkcs11.SessionHandle) error {
		_, err := p.destroyObjects(h, k.id)
		return err
	})
	if err := p.removeMapping(ctx, k); err == nil {
		p.log.WarnContext(ctx, "a key no longer exists on the token (deleted outside parsecd): its mapping was removed",
			"key_type", k.attrs.Type.String())
	}
	return status.Errorf(status.PsaErrorDoesNotExist, "the key no longer exists on the token")
}

// removeMapping removes the key's mapping if it still names this key (not
// one created again under the same name meanwhile).
func (p *Provider) removeMapping(ctx context.Context, k *keyRef) error {
	p.mapMu.Lock()
	defer p.mapMu.Unlock()
	cur, err := p.keys.Get(ctx, k.triple)
	if err != nil {
		return storage.StatusError(err)
	}
	if !bytes.Equal(cur.ID, k.stored) {
		return storage.ErrNotFound
	}
	return storage.StatusError(p.keys.Remove(ctx, k.triple))
}

// commitLocked is the key store with Commit ordered by mapMu (see removeMapping).
type commitLocked struct {
	storage.KeyStore
	mu *sync.Mutex
}

func (s commitLocked) Commit(ctx context.Context, k storage.KeyTriple, v storage.KeyInfo) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.KeyStore.Commit(ctx, k, v)
}

// create makes a key with storage.Create: reserve the name, make the token
// objects (build, given a fresh CKA_ID), commit the mapping; on a failure,
// destroy the objects and drop the reservation. build may run twice (the
// pool retries on a stale session): objects of a failed attempt are
// destroyed first.
func (p *Provider) create(ctx context.Context, c storage.Client, name string, a psa.KeyAttributes,
	build func(h pkcs11.SessionHandle, id []byte) error) error {
	id := newCKAID()
	t := c.Key(p.name, name)
	err := storage.Create(ctx, commitLocked{p.keys, &p.mapMu}, t, func(ctx context.Context) (storage.KeyInfo, func(context.Context) error, error) {
		attempt := 0
		err := p.pool.do(ctx, func(h pkcs11.SessionHandle) error {
			p.mod.objMu.Lock()
			defer p.mod.objMu.Unlock()
			defer p.mod.objGen.Add(1) // the new objects may have reused handles
			attempt++
			if attempt > 1 {
				if _, err := p.destroyAll(h, id); err != nil {
					return err
				}
			}
			if err := build(h, id); err != nil {
				_, _ = p.destroyAll(h, id)
				return err
			}
			return nil
		})
		if err != nil {
			return storage.KeyInfo{}, nil, err
		}
		undo := func(ctx context.Context) error {
			return p.pool.do(ctx, func(h pkcs11.SessionHandle) error {
				_, err := p.destroyObjects(h, id)
				return err
			})
		}
		return storage.KeyInfo{ID: encodeKeyID(id, p.tok.serial), Attributes: a}, undo, nil
	})
	return storage.StatusError(err)
}

// DestroyKey implements provider.KeyManagement: the token objects go
// first, then the mapping. A key whose objects were already deleted on the
// token loses its mapping too and answers PsaErrorDoesNotExist.
func (p *Provider) DestroyKey(ctx context.Context, c storage.Client, name string) error {
	k, err := p.load(ctx, c, name)
	if err != nil {
		return err
	}
	n := 0
	err = p.pool.do(ctx, func(h pkcs11.SessionHandle) error {
		var err error
		n, err = p.destroyObjects(h, k.id)
		return err
	})
	if err != nil {
		return err
	}
	if err := p.removeMapping(ctx, k); err != nil {
		return err
	}
	if n == 0 {
		p.log.WarnContext(ctx, "a destroyed key no longer existed on the token (deleted outside parsecd): its mapping was removed")
		return status.Errorf(status.PsaErrorDoesNotExist, "the key no longer existed on the token")
	}
	p.log.DebugContext(ctx, "destroyed key")
	return nil
}
