// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package tpm

import (
	"crypto/sha256"
	"errors"
	"slices"

	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"

	"github.com/parsecd/parsecd/storage"
)

// defaultCacheSize is how many key pairs a link keeps loaded between
// operations. Loading a key and starting its salted session cost about as
// much as the operation itself; keeping them saves both for a key used
// again soon. A TPM has few transient slots (swtpm: three objects and three
// sessions, one object being the storage key), so the cache shrinks to what
// the TPM bears the first time a load or a session start runs out of room.
const defaultCacheSize = 3

// cacheID is what a cached key answers to: the full key identity (so a
// client never reaches another client's handle) and the digest of the
// record it was loaded from (so a key destroyed and made again under the
// same name is never served the old object).
type cacheID struct {
	triple storage.KeyTriple
	digest [sha256.Size]byte
}

// sessMode is the parameter encryption a key's session does: none for
// signing, encryption of the response for commands that return secrets.
// A session's attributes are fixed when it starts, so a key used in the
// other mode gets a new session.
type sessMode int

const (
	sessPlain sessMode = iota
	sessEncryptOut
)

// options are the go-tpm session options of a mode.
func (m sessMode) options() []tpm2.AuthOption {
	if m == sessEncryptOut {
		return []tpm2.AuthOption{tpm2.AESEncryption(128, tpm2.EncryptOut)}
	}
	return nil
}

// cachedKey is a key pair loaded under the storage key with its reusable
// HMAC session (salted with the storage key, knowing the key's auth value,
// and used for this key only).
type cachedKey struct {
	id     cacheID
	handle tpm2.TPMHandle
	name   tpm2.TPM2BName
	sess   tpm2.Session // nil until a session is started
	mode   sessMode
}

// keyCache is a link's loaded keys, least recently used first. It lives
// under the link's mutex and holds handles of the link's connection only.
type keyCache struct {
	keys []*cachedKey
	max  int
}

// get returns the cached key with id, now the most recently used, or nil.
func (c *keyCache) get(id cacheID) *cachedKey {
	for i, k := range c.keys {
		if k.id == id {
			copy(c.keys[i:], c.keys[i+1:])
			c.keys[len(c.keys)-1] = k
			return k
		}
	}
	return nil
}

// makeRoom flushes the least recently used keys until one more fits in
// the cache, before it is loaded: the TPM needs the slot for the load.
func (c *keyCache) makeRoom(t transport.TPM) {
	for len(c.keys) >= c.limit() && c.evict(t, nil) {
	}
}

// add caches a newly loaded key, the most recently used.
func (c *keyCache) add(k *cachedKey) { c.keys = append(c.keys, k) }

func (c *keyCache) limit() int {
	if c.max == 0 {
		return defaultCacheSize
	}
	return c.max
}

// shrink lowers the size to what the cache held when the TPM ran out of
// room (err says of what: sessions, or objects): one of those goes to make
// room, and the new one takes its place.
func (c *keyCache) shrink(err error) {
	held := len(c.keys)
	if errors.Is(err, tpm2.TPMRCSessionMemory) {
		held = 0
		for _, k := range c.keys {
			if k.sess != nil {
				held++
			}
		}
	}
	c.max = max(1, min(c.limit(), held))
}

// evict flushes the least recently used key other than keep; false when
// there is none.
func (c *keyCache) evict(t transport.TPM, keep *cachedKey) bool {
	for _, k := range c.keys {
		if k != keep {
			c.drop(t, k)
			return true
		}
	}
	return false
}

// drop flushes a cached key and its session and forgets them. A key no
// longer cached is left alone: its handles may be another object's now.
func (c *keyCache) drop(t transport.TPM, k *cachedKey) {
	i := slices.Index(c.keys, k)
	if i < 0 {
		return
	}
	c.keys = slices.Delete(c.keys, i, i+1)
	k.flushSession(t)
	flush(t, k.handle)
}

// flushSession ends the key's session, if it has one.
func (k *cachedKey) flushSession(t transport.TPM) {
	if k.sess != nil {
		flush(t, k.sess.Handle())
		k.sess = nil
	}
}

// remove flushes every cached key of triple (a key being destroyed).
func (c *keyCache) remove(t transport.TPM, triple storage.KeyTriple) {
	for _, k := range append([]*cachedKey(nil), c.keys...) {
		if k.id.triple == triple {
			c.drop(t, k)
		}
	}
}

// flushAll flushes and forgets every cached key.
func (c *keyCache) flushAll(t transport.TPM) {
	for len(c.keys) > 0 {
		c.drop(t, c.keys[0])
	}
}

// forget drops every cached key without flushing it, as the connection is
// broken, and returns the handles (objects and sessions) it held.
func (c *keyCache) forget() []tpm2.TPMHandle {
	var hs []tpm2.TPMHandle
	for _, k := range c.keys {
		hs = append(hs, k.handle)
		if k.sess != nil {
			hs = append(hs, k.sess.Handle())
		}
	}
	c.keys = nil
	return hs
}
