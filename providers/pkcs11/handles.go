// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build cgo && pkcs11

package pkcs11

import (
	"bytes"
	"sync"
	"sync/atomic"

	"github.com/miekg/pkcs11"
)

// Object handles are cached per session: looking a key's object up by
// CKA_ID (C_FindObjectsInit/FindObjects/Final) is a token-wide search, and
// on SoftHSM2 it costs about as much as the signature itself.
//
// A stale handle must never reach another key: a token may give the handle
// of a destroyed object to a new one, and a request that loaded a key's
// mapping just before the key was destroyed (and perhaps created again
// under the same name, with a new CKA_ID) must find nothing, never the
// other key. So a cached handle is trusted as it is only while the module's
// object generation (module.objGen) has not moved since the handle was
// found or last checked. The generation moves whenever this process can
// have been given a handle or can have freed one: every object creation
// and destruction (under objMu for writing) and every search (a search
// hands out handles for objects other processes created). Once it has
// moved, the handle is checked with one C_GetAttributeValue of CKA_CLASS
// and CKA_ID before use, and searched for again if it no longer names the
// key's object. Checking every use instead would cost a search on
// SoftHSM2 (each attribute read goes back to the object's file).

// handleKey names a cached object: its class and CKA_ID.
type handleKey struct {
	class uint
	id    string
}

// maxHandlesPerSession bounds each session's cache: when it is full it is
// emptied (a store of many keys used in turn must not grow it without
// end; the keys in use come back at the cost of one search each).
const maxHandlesPerSession = 512

// cachedHandle is an object's handle and the object generation at which
// it was last known to name the object.
type cachedHandle struct {
	obj pkcs11.ObjectHandle
	gen uint64
}

// handleCache maps, per open session, objects to their handles.
type handleCache struct {
	mu sync.Mutex
	m  map[pkcs11.SessionHandle]map[handleKey]cachedHandle
	// searches counts the lookups the cache could not answer, checks the
	// cached handles checked on the token (the tests read them).
	searches, checks atomic.Int64
}

func (c *handleCache) get(h pkcs11.SessionHandle, k handleKey) (cachedHandle, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[h][k]
	return e, ok
}

func (c *handleCache) put(h pkcs11.SessionHandle, k handleKey, e cachedHandle) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[pkcs11.SessionHandle]map[handleKey]cachedHandle{}
	}
	s := c.m[h]
	if s == nil || len(s) >= maxHandlesPerSession {
		s = map[handleKey]cachedHandle{}
		c.m[h] = s
	}
	s[k] = e
}

// forgetID drops the handles of the objects with CKA_ID id, in every session.
func (c *handleCache) forgetID(id []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.m {
		for k := range s {
			if k.id == string(id) {
				delete(s, k)
			}
		}
	}
}

// forgetSession drops a session's handles when the session is closed (its
// handle may be given to a new session).
func (c *handleCache) forgetSession(h pkcs11.SessionHandle) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, h)
}

// size is the number of cached handles (for the tests).
func (c *handleCache) size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, s := range c.m {
		n += len(s)
	}
	return n
}

// object returns the handle of the key object of class with CKA_ID id in
// session h: the cached one if it still names that object, else one found
// on the token (and cached); unchecked says it was used as cached, without
// a look at the token. The caller holds objMu for reading.
func (p *Provider) object(h pkcs11.SessionHandle, id []byte, class uint) (obj pkcs11.ObjectHandle, found, unchecked bool, err error) {
	k := handleKey{class: class, id: string(id)}
	c := &p.pool.handles
	if e, ok := c.get(h, k); ok {
		gen := p.mod.objGen.Load()
		if e.gen == gen {
			return e.obj, true, true, nil
		}
		c.checks.Add(1)
		if p.isObject(h, e.obj, id, class) {
			c.put(h, k, cachedHandle{obj: e.obj, gen: gen})
			return e.obj, true, false, nil
		}
		c.forgetID(id)
	}
	c.searches.Add(1)
	obj, found, err = p.findKey(h, id, class)
	if found {
		c.put(h, k, cachedHandle{obj: obj, gen: p.mod.objGen.Load()})
	}
	return obj, found, false, err
}

// isObject reports whether obj is the object of class with CKA_ID id. Any
// failure (the handle is invalid, the session stale) says no: the caller
// then searches, and a stale session fails there as it would have.
func (p *Provider) isObject(h pkcs11.SessionHandle, obj pkcs11.ObjectHandle, id []byte, class uint) bool {
	want := pkcs11.NewAttribute(pkcs11.CKA_CLASS, class)
	at, err := p.mod.ctx.GetAttributeValue(h, obj, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, nil),
		pkcs11.NewAttribute(pkcs11.CKA_ID, nil),
	})
	return err == nil && len(at) == 2 && bytes.Equal(at[0].Value, want.Value) && bytes.Equal(at[1].Value, id)
}
