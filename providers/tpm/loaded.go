// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package tpm

import (
	"errors"

	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"
)

// outOfRoom reports whether the TPM refused a command for lack of object or
// session slots: nothing was done, and the command can be sent again once
// a cached key is flushed.
func outOfRoom(err error) bool {
	return errors.Is(err, tpm2.TPMRCObjectMemory) || errors.Is(err, tpm2.TPMRCSessionMemory) || errors.Is(err, tpm2.TPMRCMemory)
}

// loadedKey returns k loaded under the storage key with a session of mode,
// from the cache when it holds them, loading the key and starting the
// session otherwise. When the TPM has no room, cached keys other than k are
// flushed, least recently used first, until it has. The caller holds l.mu.
func (l *link) loadedKey(t transport.TPM, c caps, k *key, mode sessMode) (*cachedKey, error) {
	srk, err := l.storageKey(t, c)
	if err != nil {
		return nil, err
	}
	ck := l.cache.get(k.id)
	if ck == nil {
		l.cache.makeRoom(t)
		rsp, err := roomFor(l, t, nil, func() (*tpm2.LoadResponse, error) {
			return tpm2.Load{
				ParentHandle: tpm2.AuthHandle{Handle: srk.handle, Name: srk.name, Auth: tpm2.PasswordAuth(nil)},
				InPrivate:    tpm2.TPM2BPrivate{Buffer: k.rec.private},
				InPublic:     tpm2.New2B(k.rec.public),
			}.Execute(t)
		})
		if err != nil {
			return nil, tpmErr("Load", err)
		}
		ck = &cachedKey{id: k.id, handle: rsp.ObjectHandle, name: rsp.Name}
		l.cache.add(ck)
	}
	if ck.sess != nil && ck.mode == mode {
		return ck, nil
	}
	ck.flushSession(t)
	sess, err := roomFor(l, t, ck, func() (tpm2.Session, error) {
		s, _, err := tpm2.HMACSession(t, tpm2.TPMAlgSHA256, 16, saltedOptions(srk, k.rec.auth, mode.options()...)...)
		return s, err
	})
	if err != nil {
		err = tpmErr("StartAuthSession", err)
		if !unreachable(err) { // a broken connection's handles become orphans (link.do)
			l.cache.drop(t, ck)
		}
		return nil, err
	}
	ck.sess, ck.mode = sess, mode
	return ck, nil
}

// roomFor runs start (a load or a session start) and, while the TPM has
// no room for it, flushes a cached key other than keep and tries again;
// the cache then keeps no more keys than fitted.
func roomFor[T any](l *link, t transport.TPM, keep *cachedKey, start func() (T, error)) (T, error) {
	for {
		v, err := start()
		if err == nil || !outOfRoom(err) {
			return v, err
		}
		l.cache.shrink(err)
		if !l.cache.evict(t, keep) {
			return v, err
		}
	}
}
