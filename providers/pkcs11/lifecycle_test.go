// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build cgo && pkcs11

package pkcs11

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/miekg/pkcs11"

	"github.com/parsecd/parsecd/providers/providertest"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
	"github.com/parsecd/parsecd/storage/bolt"
	"github.com/parsecd/parsecd/storage/memory"
)

// TestRestartPersistence: keys are token objects plus mappings in a bbolt
// store; a new provider on the same store and token uses them.
func TestRestartPersistence(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "keys.db")
	store, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(ctx, testOptions(), depsOn(store))
	if err != nil {
		t.Fatal(err)
	}
	ecAlg := signAlg(psa.SignEcdsa, psa.HashSHA384)
	rsaAlg := signAlg(psa.SignRsaPss, psa.HashSHA256)
	goRSA, _ := goKeys(t)
	wantCode(t, p.GenerateKey(ctx, appA, "ec", signAttrs(psa.KeyEccPair, 384, allUsage, ecAlg)), status.Success, "GenerateKey")
	wantCode(t, p.ImportKey(ctx, appB, "rsa", signAttrs(psa.KeyRsaPair, 0, allUsage, rsaAlg), x509.MarshalPKCS1PrivateKey(goRSA)), status.Success, "ImportKey")
	ecPub, _ := p.ExportPublicKey(ctx, appA, "ec")
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	if n := moduleUsers(testLib); n != 0 {
		t.Fatalf("after Close, %d users of the module remain", n)
	}

	store, err = bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	q := newTestProvider(t, testOptions(), store)
	wantCode(t, q.Reconcile(ctx), status.Success, "Reconcile")
	got, err := q.ExportPublicKey(ctx, appA, "ec")
	if err != nil || !bytes.Equal(got, ecPub) {
		t.Fatalf("ExportPublicKey after restart: %v", err)
	}
	h := digestOf(t, psa.HashSHA384, "after restart")
	sig, err := q.SignHash(ctx, appA, "ec", ecAlg, h)
	wantCode(t, err, status.Success, "SignHash after restart")
	pub, _ := ecdsa.ParseUncompressedPublicKey(elliptic.P384(), ecPub)
	r, s := providertest.RawToRS(t, sig, 48)
	if !ecdsa.Verify(pub, h, r, s) {
		t.Fatal("signature after restart does not verify")
	}
	h = digestOf(t, psa.HashSHA256, "after restart")
	sig, err = q.SignHash(ctx, appB, "rsa", rsaAlg, h)
	wantCode(t, err, status.Success, "SignHash RSA after restart")
	if err := rsa.VerifyPSS(&goRSA.PublicKey, cryptoHash(psa.HashSHA256), h, sig, &rsa.PSSOptions{SaltLength: 32}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, q.DestroyKey(ctx, appA, "ec"), status.Success, "DestroyKey after restart")
}

// TestDeletedBehindBack: a key whose objects are deleted on the token by
// someone else answers PsaErrorDoesNotExist and loses its mapping.
func TestDeletedBehindBack(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	p := newTestProvider(t, testOptions(), store)
	alg := signAlg(psa.SignEcdsa, psa.HashSHA256)
	h := digestOf(t, psa.HashSHA256, "m")
	ops := []struct {
		name  string
		class uint // the object deleted
		fn    func(name string) error
	}{
		{"SignHash", pkcs11.CKO_PRIVATE_KEY, func(n string) error { _, err := p.SignHash(ctx, appA, n, alg, h); return err }},
		{"VerifyHash", pkcs11.CKO_PUBLIC_KEY, func(n string) error { return p.VerifyHash(ctx, appA, n, alg, h, make([]byte, 64)) }},
		{"ExportPublicKey", pkcs11.CKO_PUBLIC_KEY, func(n string) error { _, err := p.ExportPublicKey(ctx, appA, n); return err }},
		{"ExportKey", pkcs11.CKO_PRIVATE_KEY, func(n string) error { _, err := p.ExportKey(ctx, appA, n); return err }},
		{"DestroyKey", 0, func(n string) error { return p.DestroyKey(ctx, appA, n) }},
	}
	raw := rawSession(t, p)
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			name := "behind-back-" + op.name
			wantCode(t, p.GenerateKey(ctx, appA, name, signAttrs(psa.KeyEccPair, 256, allUsage|psa.UsageExport, alg)), status.Success, "GenerateKey")
			k, err := p.load(ctx, appA, name)
			if err != nil {
				t.Fatal(err)
			}
			tmpl := []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_ID, k.id)}
			if op.class != 0 {
				tmpl = append(tmpl, pkcs11.NewAttribute(pkcs11.CKA_CLASS, op.class))
			}
			for _, o := range objectsWith(t, p, raw, tmpl...) {
				if err := p.mod.ctx.DestroyObject(raw, o); err != nil {
					t.Fatal(err)
				}
			}
			wantCode(t, op.fn(name), status.PsaErrorDoesNotExist, op.name+" of a key deleted on the token")
			if _, err := store.Get(ctx, appA.Key(p.name, name)); !storage.IsNotFound(err) {
				t.Fatalf("the mapping is still there: %v", err)
			}
			if objs := objectsWith(t, p, raw, pkcs11.NewAttribute(pkcs11.CKA_ID, k.id)); len(objs) != 0 {
				t.Fatalf("%d objects of the key are left on the token", len(objs))
			}
			wantCode(t, op.fn(name), status.PsaErrorDoesNotExist, op.name+" again")
			wantCode(t, p.GenerateKey(ctx, appA, name, signAttrs(psa.KeyEccPair, 256, allUsage, alg)), status.Success, "GenerateKey reusing the name")
		})
	}
}

// TestDestroyKey removes the token objects and the mapping.
func TestDestroyKey(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	p := newTestProvider(t, testOptions(), store)
	goRSA, _ := goKeys(t)
	wantCode(t, p.ImportKey(ctx, appA, "doomed", signAttrs(psa.KeyRsaPair, 0, allUsage, signAlg(psa.SignRsaPkcs1v15, psa.HashSHA256)), x509.MarshalPKCS1PrivateKey(goRSA)), status.Success, "ImportKey")
	k, _ := p.load(ctx, appA, "doomed")
	raw := rawSession(t, p)
	if n := len(objectsWith(t, p, raw, pkcs11.NewAttribute(pkcs11.CKA_ID, k.id))); n != 2 {
		t.Fatalf("%d objects for an imported pair, want 2", n)
	}
	wantCode(t, p.DestroyKey(ctx, appA, "doomed"), status.Success, "DestroyKey")
	if n := len(objectsWith(t, p, raw, pkcs11.NewAttribute(pkcs11.CKA_ID, k.id))); n != 0 {
		t.Fatalf("%d objects left after DestroyKey", n)
	}
	if _, err := store.Get(ctx, appA.Key(p.name, "doomed")); !storage.IsNotFound(err) {
		t.Fatalf("mapping left after DestroyKey: %v", err)
	}
}

// TestReconcile: after a crash between creating the token objects and
// committing the mapping, Reconcile destroys the orphan objects and drops
// the reservation; keys of the same name that are committed stay.
func TestReconcile(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	p := newTestProvider(t, testOptions(), store)
	alg := signAlg(psa.SignEcdsa, psa.HashSHA256)
	const name = "crashed"
	// A committed key with the same name, for another application.
	wantCode(t, p.GenerateKey(ctx, appB, name, signAttrs(psa.KeyEccPair, 256, allUsage, alg)), status.Success, "GenerateKey app B")

	// The crash: reserve, create on the token, no commit.
	orphan := appA.Key(p.name, name)
	if err := store.Reserve(ctx, orphan); err != nil {
		t.Fatal(err)
	}
	a := signAttrs(psa.KeyEccPair, 256, allUsage, alg)
	id := newCKAID()
	err := p.pool.do(ctx, func(h pkcs11.SessionHandle) error {
		_, _, err := p.mod.ctx.GenerateKeyPair(h, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_EC_KEY_PAIR_GEN, nil)},
			publicTemplate(a, id, name), privateTemplate(a, id, name))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	raw := rawSession(t, p)
	if n := len(objectsWith(t, p, raw, pkcs11.NewAttribute(pkcs11.CKA_ID, id))); n != 2 {
		t.Fatalf("%d orphan objects, want 2", n)
	}
	wantCode(t, p.GenerateKey(ctx, appA, name, a), status.PsaErrorAlreadyExists, "GenerateKey on the reserved name")

	// The restart: a new provider reconciles.
	q := newTestProvider(t, testOptions(), store)
	wantCode(t, q.Reconcile(ctx), status.Success, "Reconcile")
	if pending, _ := store.Pending(ctx, q.Name()); len(pending) != 0 {
		t.Fatalf("reservations left: %v", pending)
	}
	if n := len(objectsWith(t, p, raw, pkcs11.NewAttribute(pkcs11.CKA_ID, id))); n != 0 {
		t.Fatalf("%d orphan objects left after Reconcile", n)
	}
	_, err = q.SignHash(ctx, appB, name, alg, digestOf(t, psa.HashSHA256, "m"))
	wantCode(t, err, status.Success, "the committed key of the same name still signs")
	wantCode(t, q.GenerateKey(ctx, appA, name, a), status.Success, "GenerateKey on the freed name")
	wantCode(t, q.Reconcile(ctx), status.Success, "Reconcile with nothing pending")
}

// TestCreateUndo: when the mapping cannot be committed, the token objects
// are destroyed again.
func TestCreateUndo(t *testing.T) {
	ctx := context.Background()
	store := &failingCommit{KeyStore: memory.New()}
	p := newTestProvider(t, testOptions(), store)
	raw := rawSession(t, p)
	before := len(objectsWith(t, p, raw, pkcs11.NewAttribute(pkcs11.CKA_LABEL, "undo")))
	err := p.GenerateKey(ctx, appA, "undo", signAttrs(psa.KeyEccPair, 256, allUsage, ecdsa256()))
	wantCode(t, err, status.KeyInfoManagerError, "GenerateKey with a failing commit")
	if after := len(objectsWith(t, p, raw, pkcs11.NewAttribute(pkcs11.CKA_LABEL, "undo"))); after != before {
		t.Fatalf("%d objects labelled undo after a failed creation, %d before", after, before)
	}
	if pending, _ := store.Pending(ctx, p.Name()); len(pending) != 0 {
		t.Fatalf("reservation left: %v", pending)
	}
}

type failingCommit struct{ storage.KeyStore }

func (failingCommit) Commit(context.Context, storage.KeyTriple, storage.KeyInfo) error {
	return errors.New("disk full")
}

// TestStaleSessions: a logout or sessions closed behind the provider's
// back are repaired by opening a new session, logging in and retrying once.
func TestStaleSessions(t *testing.T) {
	ctx := context.Background()
	p := newTestProvider(t, testOptions(), nil)
	alg := ecdsa256()
	wantCode(t, p.GenerateKey(ctx, appA, "k", signAttrs(psa.KeyEccPair, 256, allUsage, alg)), status.Success, "GenerateKey")
	h := digestOf(t, psa.HashSHA256, "m")
	sign := func(what string) {
		t.Helper()
		_, err := p.SignHash(ctx, appA, "k", alg, h)
		wantCode(t, err, status.Success, what)
	}
	sign("SignHash")

	// Logged out (as after a token reset): private objects vanish from view.
	if err := p.pool.do(ctx, func(s pkcs11.SessionHandle) error { return p.mod.ctx.Logout(s) }); err != nil {
		t.Fatal(err)
	}
	before := p.pool.retries.Load()
	sign("SignHash after a logout")
	if p.pool.retries.Load() == before {
		t.Fatal("the logout did not make the pool retry")
	}
	if _, err := p.ExportPublicKey(ctx, appA, "k"); err != nil {
		t.Fatalf("the key was taken for deleted after a logout: %v", err)
	}

	// Every session closed.
	if err := p.mod.ctx.CloseAllSessions(p.tok.slot); err != nil {
		t.Fatal(err)
	}
	before = p.pool.retries.Load()
	sign("SignHash after C_CloseAllSessions")
	if p.pool.retries.Load() == before {
		t.Fatal("closed sessions did not make the pool retry")
	}
	wantCode(t, p.GenerateKey(ctx, appA, "k2", signAttrs(psa.KeyEccPair, 256, allUsage, alg)), status.Success, "GenerateKey after C_CloseAllSessions")

	// Logged out again, then a key that was really deleted.
	if err := p.pool.do(ctx, func(s pkcs11.SessionHandle) error { return p.mod.ctx.Logout(s) }); err != nil {
		t.Fatal(err)
	}
	wantCode(t, p.DestroyKey(ctx, appA, "k2"), status.Success, "DestroyKey after a logout")
	wantCode(t, p.DestroyKey(ctx, appA, "k2"), status.PsaErrorDoesNotExist, "DestroyKey again")
}

// TestConcurrent: 8 clients run mixed operations at once on a pool smaller
// than their number; none may fail.
func TestConcurrent(t *testing.T) {
	ctx := context.Background()
	o := testOptions()
	o.SessionPoolSize = 3
	p := newTestProvider(t, o, nil)
	goRSA, _ := goKeys(t)
	ecAlg := ecdsa256()
	rsaAlg := signAlg(psa.SignRsaPkcs1v15, psa.HashSHA256)
	wantCode(t, p.GenerateKey(ctx, appA, "shared-ec", signAttrs(psa.KeyEccPair, 256, allUsage, ecAlg)), status.Success, "GenerateKey")
	wantCode(t, p.ImportKey(ctx, appA, "shared-rsa", signAttrs(psa.KeyRsaPair, 0, allUsage, rsaAlg), x509.MarshalPKCS1PrivateKey(goRSA)), status.Success, "ImportKey")
	wantCode(t, p.ImportKey(ctx, appA, "shared-oaep", cryptAttrs(psa.KeyRsaPair, 0, allUsage, oaep(psa.HashSHA256)), x509.MarshalPKCS1PrivateKey(goRSA)), status.Success, "ImportKey")

	const clients, rounds = 8, 15
	var failures atomic.Int32
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fail := func(what string, err error) {
				failures.Add(1)
				t.Errorf("client %d: %s: %v", c, what, err)
			}
			for r := range rounds {
				h := digestOf(t, psa.HashSHA256, fmt.Sprint(c, r))
				sig, err := p.SignHash(ctx, appA, "shared-ec", ecAlg, h)
				if err != nil {
					fail("SignHash EC", err)
					continue
				}
				if err := p.VerifyHash(ctx, appA, "shared-ec", ecAlg, h, sig); err != nil {
					fail("VerifyHash EC", err)
				}
				sig, err = p.SignHash(ctx, appA, "shared-rsa", rsaAlg, h)
				if err != nil {
					fail("SignHash RSA", err)
				} else if err := rsa.VerifyPKCS1v15(&goRSA.PublicKey, cryptoHash(psa.HashSHA256), h, sig); err != nil {
					fail("RSA signature", err)
				}
				ct, err := p.AsymmetricEncrypt(ctx, appA, "shared-oaep", oaep(psa.HashSHA256), h, []byte("label"))
				if err != nil {
					fail("AsymmetricEncrypt", err)
				} else if pt, err := p.AsymmetricDecrypt(ctx, appA, "shared-oaep", oaep(psa.HashSHA256), ct, []byte("label")); err != nil || !bytes.Equal(pt, h) {
					fail("AsymmetricDecrypt", err)
				}
				if _, err := p.GenerateRandom(ctx, 64); err != nil {
					fail("GenerateRandom", err)
				}
				own := fmt.Sprintf("own-%d-%d", c, r)
				if err := p.GenerateKey(ctx, appB, own, signAttrs(psa.KeyEccPair, 256, allUsage, ecAlg)); err != nil {
					fail("GenerateKey", err)
					continue
				}
				if _, err := p.ExportPublicKey(ctx, appB, own); err != nil {
					fail("ExportPublicKey", err)
				}
				if err := p.DestroyKey(ctx, appB, own); err != nil {
					fail("DestroyKey", err)
				}
			}
		}()
	}
	wg.Wait()
	if n := failures.Load(); n != 0 {
		t.Fatalf("%d failures among %d concurrent clients", n, clients)
	}
}

// TestSharedModule: providers on one module share its initialisation
// (a reload builds the new provider while the old one serves); the last
// Close finalises it, and a closed provider refuses work.
func TestSharedModule(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	old, err := New(ctx, testOptions(), depsOn(store))
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, old.GenerateKey(ctx, appA, "k", signAttrs(psa.KeyEccPair, 256, allUsage, ecdsa256())), status.Success, "GenerateKey")
	reloaded, err := New(ctx, testOptions(), depsOn(store))
	if err != nil {
		t.Fatalf("a second provider on the same module: %v", err)
	}
	if n := moduleUsers(testLib); n != 2 {
		t.Fatalf("%d users of the module, want 2", n)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	if err := old.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	_, err = old.SignHash(ctx, appA, "k", ecdsa256(), digestOf(t, psa.HashSHA256, "m"))
	wantCode(t, err, status.PsaErrorBadState, "SignHash on a closed provider")
	_, err = reloaded.SignHash(ctx, appA, "k", ecdsa256(), digestOf(t, psa.HashSHA256, "m"))
	wantCode(t, err, status.Success, "SignHash on the provider that stays")
	if err := reloaded.Close(); err != nil {
		t.Fatal(err)
	}
	if n := moduleUsers(testLib); n != 0 {
		t.Fatalf("%d users of the module after both closed", n)
	}
}

// TestKeyOnAnotherToken: a mapping made on another token (the config now
// names a different one) is not taken for a deleted key: the operation
// fails with 1140 and the mapping stays for when that token is back.
func TestKeyOnAnotherToken(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	p := newTestProvider(t, testOptions(), store)
	alg := ecdsa256()
	wantCode(t, p.GenerateKey(ctx, appA, "elsewhere", signAttrs(psa.KeyEccPair, 256, allUsage, alg)), status.Success, "GenerateKey")
	tr := appA.Key(p.name, "elsewhere")
	info, err := store.Get(ctx, tr)
	if err != nil {
		t.Fatal(err)
	}
	id, serial, ok := decodeKeyID(info.ID)
	if !ok || serial != p.tok.serial {
		t.Fatalf("stored id does not name the token: serial %q, ok %v", serial, ok)
	}
	if err := store.Remove(ctx, tr); err != nil {
		t.Fatal(err)
	}
	info.ID = encodeKeyID(id, "another-token")
	if err := store.Insert(ctx, tr, info); err != nil {
		t.Fatal(err)
	}
	_, err = p.SignHash(ctx, appA, "elsewhere", alg, digestOf(t, psa.HashSHA256, "m"))
	wantCode(t, err, status.PsaErrorDoesNotExist, "SignHash of a key on another token")
	if _, err := store.Get(ctx, tr); err != nil {
		t.Fatalf("the mapping of a key on another token was dropped: %v", err)
	}
}
