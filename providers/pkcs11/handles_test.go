// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build cgo && pkcs11

package pkcs11

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"testing"

	"github.com/miekg/pkcs11"

	"github.com/parsecd/parsecd/providers/providertest"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

// signVerified signs digest with the key name and checks the signature
// against the key's public key as exported now.
func signVerified(t *testing.T, p *Provider, name string, digest []byte) {
	t.Helper()
	ctx := context.Background()
	sig, err := p.SignHash(ctx, appA, name, ecdsa256(), digest)
	wantCode(t, err, status.Success, "SignHash "+name)
	pt, err := p.ExportPublicKey(ctx, appA, name)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), pt)
	if err != nil {
		t.Fatal(err)
	}
	r, s := providertest.RawToRS(t, sig, 32)
	if !ecdsa.Verify(pub, digest, r, s) {
		t.Fatalf("the signature of %q does not verify with its public key", name)
	}
}

// TestHandleCache: once its object is found, a key is used in the same
// session without a search on the token, and without a check of the handle
// as long as no object was created, destroyed or searched for; after that,
// one check (C_GetAttributeValue), still no search.
func TestHandleCache(t *testing.T) {
	ctx := context.Background()
	o := testOptions()
	o.SessionPoolSize = 1
	p := newTestProvider(t, o, nil)
	attrs := signAttrs(psa.KeyEccPair, 256, allUsage, ecdsa256())
	wantCode(t, p.GenerateKey(ctx, appA, "cached", attrs), status.Success, "GenerateKey")
	wantCode(t, p.GenerateKey(ctx, appA, "other", attrs), status.Success, "GenerateKey")
	d := digestOf(t, psa.HashSHA256, "m")
	signVerified(t, p, "cached", d)
	sign := func() {
		t.Helper()
		if _, err := p.SignHash(ctx, appA, "cached", ecdsa256(), d); err != nil {
			t.Fatal(err)
		}
	}
	sign()
	c := &p.pool.handles
	want := func(what string, searches, checks int64) {
		t.Helper()
		if s, k := c.searches.Load(), c.checks.Load(); s != searches || k != checks {
			t.Fatalf("%s: %d searches and %d checks of cached handles so far, want %d and %d", what, s, k, searches, checks)
		}
	}
	s0, k0 := c.searches.Load(), c.checks.Load()
	for range 3 {
		sign()
	}
	want("3 signatures with a cached key", s0, k0)
	wantCode(t, p.DestroyKey(ctx, appA, "other"), status.Success, "DestroyKey other")
	sign()
	want("a signature after another key was destroyed", s0, k0+1)
	sign()
	want("the next signature", s0, k0+1)

	// A closed session takes its handles with it.
	if err := p.mod.ctx.CloseAllSessions(p.tok.slot); err != nil {
		t.Fatal(err)
	}
	signVerified(t, p, "cached", d)
	if n := c.size(); n != 2 {
		t.Fatalf("%d handles cached after the pool's session was replaced, want 2 (private and public object of the new session)", n)
	}
}

// TestHandleCacheRecreated: a key destroyed and created again under the
// same name never uses the old key's handle, and a handle that now names
// another object (as when a token reuses handles) is never trusted: a
// request holding the destroyed key's mapping finds nothing, even when its
// cache entry points at the new key's object.
func TestHandleCacheRecreated(t *testing.T) {
	ctx := context.Background()
	o := testOptions()
	o.SessionPoolSize = 1
	p := newTestProvider(t, o, nil)
	attrs := signAttrs(psa.KeyEccPair, 256, allUsage, ecdsa256())
	d := digestOf(t, psa.HashSHA256, "m")
	wantCode(t, p.GenerateKey(ctx, appA, "again", attrs), status.Success, "GenerateKey")
	signVerified(t, p, "again", d)
	old, err := p.load(ctx, appA, "again")
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, p.DestroyKey(ctx, appA, "again"), status.Success, "DestroyKey")
	wantCode(t, p.GenerateKey(ctx, appA, "again", attrs), status.Success, "GenerateKey again")
	signVerified(t, p, "again", d)
	cur, err := p.load(ctx, appA, "again")
	if err != nil {
		t.Fatal(err)
	}

	// The old key's entry made to point at the new key's private object.
	err = p.pool.do(ctx, func(h pkcs11.SessionHandle) error {
		obj, ok, err := p.findKey(h, cur.id, pkcs11.CKO_PRIVATE_KEY)
		if err != nil || !ok {
			t.Fatalf("the new key's private object: found %v, %v", ok, err)
		}
		// Cached before the destroy (generation 0), as a token reusing
		// the old object's handle for the new one would leave it.
		p.pool.handles.put(h, handleKey{class: pkcs11.CKO_PRIVATE_KEY, id: string(old.id)}, cachedHandle{obj: obj})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	used := false
	err = p.use(ctx, old, pkcs11.CKO_PRIVATE_KEY, func(pkcs11.SessionHandle, pkcs11.ObjectHandle) error {
		used = true
		return nil
	})
	wantCode(t, err, status.PsaErrorDoesNotExist, "an operation with the destroyed key's mapping")
	if used {
		t.Fatal("the destroyed key's operation ran on the new key's object")
	}
	// The new key and its mapping are untouched.
	signVerified(t, p, "again", d)
}
