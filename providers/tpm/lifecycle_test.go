// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package tpm

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
	"github.com/parsecd/parsecd/storage/bolt"
	"github.com/parsecd/parsecd/storage/memory"
)

var (
	rsaPKCS1 = signAlg(psa.SignRsaPkcs1v15, psa.HashSHA256)
	ecdsa256 = signAlg(psa.SignEcdsa, psa.HashSHA256)
)

// makeKeys creates an RSA and an ECC key (generated) and an imported ECC
// key, and returns a check that they all still sign.
func makeKeys(t *testing.T, p *Provider) func(p *Provider) {
	t.Helper()
	ctx := context.Background()
	wantCode(t, p.GenerateKey(ctx, appA, "rsa", signAttrs(psa.KeyRsaPair, 2048, allUsage, rsaPKCS1)), status.Success, "GenerateKey RSA")
	wantCode(t, p.GenerateKey(ctx, appA, "ecc", signAttrs(psa.KeyEccPair, 256, allUsage, ecdsa256)), status.Success, "GenerateKey ECC")
	_, ec := goKeys(t)
	scalar, _ := ec[256].Bytes()
	wantCode(t, p.ImportKey(ctx, appA, "imported", signAttrs(psa.KeyEccPair, 256, allUsage, ecdsa256), scalar), status.Success, "ImportKey ECC")
	pubs := map[string]any{}
	for _, n := range []string{"rsa", "ecc", "imported"} {
		pubs[n] = exported(t, p, n)
	}
	return func(p *Provider) {
		t.Helper()
		h := digestFor(psa.HashSHA256, "after")
		for n, alg := range map[string]psa.AsymSign{"rsa": rsaPKCS1, "ecc": ecdsa256, "imported": ecdsa256} {
			sig, err := p.SignHash(ctx, appA, n, alg, h)
			wantCode(t, err, status.Success, "SignHash "+n)
			goVerify(t, pubs[n], alg, h, sig)
		}
	}
}

// TestRestart: a new provider on the same key store and TPM uses the keys.
func TestRestart(t *testing.T) {
	store, err := bolt.Open(filepath.Join(t.TempDir(), "keys.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	p := newTestProvider(t, "", store)
	check := makeKeys(t, p)
	p.Close()
	check(newTestProvider(t, "", store))
}

// TestTPMReset is Parsec's tpm_reset test: keys survive the TPM restarting
// from its saved state (swtpm stopped and started on the same state dir),
// both for a new provider and for one that was running meanwhile (which
// reconnects and recreates its storage key). While the TPM is away,
// operations fail with PsaErrorCommunicationFailure.
func TestTPMReset(t *testing.T) {
	dir := t.TempDir()
	env := startSwtpm(t, "--unix", "--dir", dir)
	tcti := env["PARSEC_TEST_TCTI"]
	store := memory.New()
	running := newTestProvider(t, tcti, store)
	check := makeKeys(t, running)
	check(running) // the keys are cached (loaded, with sessions) when the TPM goes
	ctx := context.Background()

	if err := stopSwtpm(dir, true); err != nil {
		t.Fatal(err)
	}
	_, err := running.SignHash(ctx, appA, "ecc", ecdsa256, digestFor(psa.HashSHA256, "m"))
	wantCode(t, err, status.PsaErrorCommunicationFailure, "SignHash with the TPM stopped")
	_, err = running.GenerateRandom(ctx, 8)
	wantCode(t, err, status.PsaErrorCommunicationFailure, "GenerateRandom with the TPM stopped")

	if _, _, err := launchSwtpm("--unix", "--dir", dir); err != nil {
		t.Fatal(err)
	}
	check(running)
	running.Close() // the last holder: the new provider opens a connection of its own
	check(newTestProvider(t, tcti, store))
}

func TestConcurrentClients(t *testing.T) {
	p := newTestProvider(t, "", nil)
	ctx := context.Background()
	wantCode(t, p.GenerateKey(ctx, appA, "shared", signAttrs(psa.KeyEccPair, 256, allUsage, ecdsa256)), status.Success, "GenerateKey")
	pub := exported(t, p, "shared")
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			own := fmt.Sprintf("own-%d", i)
			if err := p.GenerateKey(ctx, appB, own, signAttrs(psa.KeyEccPair, 256, allUsage, ecdsa256)); err != nil {
				errs <- err
				return
			}
			for j := range 5 {
				h := digestFor(psa.HashSHA256, fmt.Sprint(i, j))
				sig, err := p.SignHash(ctx, appA, "shared", ecdsa256, h)
				if err == nil {
					err = p.VerifyHash(ctx, appA, "shared", ecdsa256, h, sig)
				}
				if err == nil {
					_, err = p.SignHash(ctx, appB, own, ecdsa256, h)
				}
				if err == nil {
					_, err = p.GenerateRandom(ctx, 100)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	h := digestFor(psa.HashSHA256, "final")
	sig, err := p.SignHash(ctx, appA, "shared", ecdsa256, h)
	wantCode(t, err, status.Success, "SignHash")
	goVerify(t, pub, ecdsa256, h, sig)
}

// TestCorruptRecords: records that are not the provider's, or were
// altered, give statuses, never a panic or a TPM lockout.
func TestCorruptRecords(t *testing.T) {
	store := memory.New()
	p := newTestProvider(t, "", store)
	ctx := context.Background()
	wantCode(t, p.GenerateKey(ctx, appA, "k", signAttrs(psa.KeyEccPair, 256, allUsage, ecdsa256)), status.Success, "GenerateKey")
	info, rec := storedRecord(t, store, appA.Key(p.name, "k"))
	put := func(name string, id []byte) {
		t.Helper()
		if err := store.Insert(ctx, appA.Key(p.name, name), storage.KeyInfo{ID: id, Attributes: info.Attributes}); err != nil {
			t.Fatal(err)
		}
	}
	put("garbage", []byte{0x01, 0xff})
	put("version", append([]byte{0x7f}, info.ID[1:]...))
	wrongAuth := rec
	wrongAuth.auth = append([]byte{}, rec.auth...)
	wrongAuth.auth[0] ^= 0x55
	put("wrong-auth", wrongAuth.encode())
	tampered := rec
	tampered.private = append([]byte{}, rec.private...)
	tampered.private[len(tampered.private)-1] ^= 1
	put("tampered", tampered.encode())
	h := digestFor(psa.HashSHA256, "m")
	for name, want := range map[string]status.Code{
		"garbage":    status.PsaErrorDataCorrupt,
		"version":    status.PsaErrorDataCorrupt,
		"wrong-auth": status.PsaErrorNotPermitted,
		"tampered":   status.PsaErrorDataCorrupt,
	} {
		_, err := p.SignHash(ctx, appA, name, ecdsa256, h)
		wantCode(t, err, want, "SignHash with the record "+name)
	}
	for range 5 { // no dictionary-attack lockout: keys are noDA
		_, err := p.SignHash(ctx, appA, "wrong-auth", ecdsa256, h)
		wantCode(t, err, status.PsaErrorNotPermitted, "SignHash with a wrong auth again")
	}
	_, err := p.SignHash(ctx, appA, "k", ecdsa256, h)
	wantCode(t, err, status.Success, "SignHash with the intact key")
	// check-store's question: the intact blob loads, the damaged ones do not.
	for name, want := range map[string]status.Code{
		"k": status.Success, "garbage": status.PsaErrorDataCorrupt, "version": status.PsaErrorDataCorrupt, "tampered": status.PsaErrorDataCorrupt,
	} {
		wantCode(t, p.CheckKey(ctx, appA, name), want, "CheckKey "+name)
	}
}

// storedRecord reads a key's mapping from the store and decodes its record.
func storedRecord(t *testing.T, store storage.KeyStore, triple storage.KeyTriple) (storage.KeyInfo, record) {
	t.Helper()
	info, err := store.Get(context.Background(), triple)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := decodeRecord(info.ID)
	if err != nil {
		t.Fatal(err)
	}
	return info, rec
}

func TestSkipIfNoTPM(t *testing.T) {
	tc, _ := ParseTCTI("swtpm:path=" + filepath.Join(t.TempDir(), "none.sock"))
	_, err := New(context.Background(), Options{TCTI: tc, SkipIfNoTPM: true}, provider.Deps{Keys: memory.New()})
	if !errors.Is(err, provider.ErrSkip) {
		t.Fatalf("New with skip_if_no_tpm and no TPM: %v, want provider.ErrSkip", err)
	}
	_, err = New(context.Background(), Options{TCTI: tc}, provider.Deps{Keys: memory.New()})
	if err == nil || errors.Is(err, provider.ErrSkip) {
		t.Fatalf("New without skip_if_no_tpm and no TPM: %v, want a start-up error", err)
	}
}

func TestWrongOwnerAuth(t *testing.T) {
	tc, _ := ParseTCTI(sharedTCTI)
	_, err := New(context.Background(), Options{TCTI: tc, OwnerAuth: Auth("not-the-owner-auth")}, provider.Deps{Keys: memory.New()})
	if err == nil || !errors.Is(err, status.PsaErrorNotPermitted) {
		t.Fatalf("New with a wrong owner auth: %v, want a PsaErrorNotPermitted start-up error", err)
	}
}

func TestClosed(t *testing.T) {
	p := newTestProvider(t, "", nil)
	p.Close()
	_, err := p.GenerateRandom(context.Background(), 4)
	wantCode(t, err, status.PsaErrorCommunicationFailure, "GenerateRandom after Close")
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// TestSharedConnection: two providers on the same TPM (as during a reload)
// share its one connection (swtpm accepts no second one), and closing one
// leaves the other working.
func TestSharedConnection(t *testing.T) {
	env := startSwtpm(t, "--unix")
	store := memory.New()
	old := newTestProvider(t, env["PARSEC_TEST_TCTI"], store)
	check := makeKeys(t, old)
	check(old) // swtpm's object slots are full of cached keys: the new storage key needs one
	reloaded := newTestProvider(t, env["PARSEC_TEST_TCTI"], store)
	check(reloaded)
	check(old)
	old.Close()
	check(reloaded)
}
