// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package soft

import (
	"sync"

	"github.com/parsecd/parsecd/storage"
)

// keyCache keeps recently used parsed keys, so that a sign does not pay for
// decoding PKCS#8 every time. The store stays the authority: a destroy bumps
// the epoch, and a load that raced with a destroy does not fill the cache.
type keyCache struct {
	mu    sync.Mutex
	epoch uint64
	keys  map[storage.KeyTriple]*key
}

// maxCachedKeys bounds the memory the cache can hold (an RSA-4096 key is a
// few KiB parsed).
const maxCachedKeys = 256

func (kc *keyCache) get(t storage.KeyTriple) (*key, uint64) {
	kc.mu.Lock()
	defer kc.mu.Unlock()
	return kc.keys[t], kc.epoch
}

// put caches k unless a key was destroyed since epoch was read.
func (kc *keyCache) put(t storage.KeyTriple, k *key, epoch uint64) {
	kc.mu.Lock()
	defer kc.mu.Unlock()
	if epoch != kc.epoch {
		return
	}
	if kc.keys == nil {
		kc.keys = map[storage.KeyTriple]*key{}
	}
	if len(kc.keys) >= maxCachedKeys {
		for old := range kc.keys { // evict an arbitrary entry
			delete(kc.keys, old)
			break
		}
	}
	kc.keys[t] = k
}

// forget drops a key; call it before the store removes the key, and again after.
func (kc *keyCache) forget(t storage.KeyTriple) {
	kc.mu.Lock()
	defer kc.mu.Unlock()
	kc.epoch++
	delete(kc.keys, t)
}
