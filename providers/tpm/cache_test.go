// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package tpm

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"os/exec"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"

	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
	"github.com/parsecd/parsecd/storage/memory"
)

// cached lists the key names the provider's link keeps loaded, checking
// that the cache stays within its size.
func cached(t *testing.T, p *Provider) []string {
	t.Helper()
	p.link.mu.Lock()
	defer p.link.mu.Unlock()
	c := &p.link.cache
	if len(c.keys) > c.limit() || c.limit() > defaultCacheSize {
		t.Fatalf("%d keys cached, limit %d", len(c.keys), c.limit())
	}
	var names []string
	for _, k := range c.keys {
		names = append(names, k.id.triple.App+"/"+k.id.triple.Key)
	}
	return names
}

// signs signs with a caller's key and checks the signature with that
// caller's stored public key.
func signs(t testing.TB, p *Provider, c storage.Client, name string) error {
	h := digestFor(psa.HashSHA256, c.App+name)
	sig, err := p.SignHash(context.Background(), c, name, ecdsa256, h)
	if err != nil {
		return fmt.Errorf("SignHash %s/%s: %w", c.App, name, err)
	}
	if err := p.VerifyHash(context.Background(), c, name, ecdsa256, h, sig); err != nil {
		return fmt.Errorf("VerifyHash %s/%s: %w", c.App, name, err)
	}
	return nil
}

func mustSign(t *testing.T, p *Provider, c storage.Client, name string) {
	t.Helper()
	if err := signs(t, p, c, name); err != nil {
		t.Fatal(err)
	}
}

// TestCacheDestroy: a destroyed key leaves the cache and the TPM, and a
// key made again under its name never gets the old object.
func TestCacheDestroy(t *testing.T) {
	p := newTestProvider(t, "", nil)
	ctx := context.Background()
	a := signAttrs(psa.KeyEccPair, 256, allUsage, ecdsa256)
	wantCode(t, p.GenerateKey(ctx, appA, "k", a), status.Success, "GenerateKey")
	mustSign(t, p, appA, "k")
	if !slices.Contains(cached(t, p), appA.App+"/k") {
		t.Fatalf("the key is not cached after a signature: %v", cached(t, p))
	}
	wantCode(t, p.DestroyKey(ctx, appA, "k"), status.Success, "DestroyKey")
	if got := cached(t, p); len(got) != 0 {
		t.Fatalf("cached after DestroyKey: %v", got)
	}
	_, err := p.SignHash(ctx, appA, "k", ecdsa256, digestFor(psa.HashSHA256, "x"))
	wantCode(t, err, status.PsaErrorDoesNotExist, "SignHash of a destroyed key")
	wantCode(t, p.GenerateKey(ctx, appA, "k", a), status.Success, "GenerateKey again")
	mustSign(t, p, appA, "k") // verified with the new key's public key
}

// TestCacheCallers: two clients with keys of the same name each sign
// with their own key.
func TestCacheCallers(t *testing.T) {
	p := newTestProvider(t, "", nil)
	ctx := context.Background()
	for _, c := range []storage.Client{appA, appB} {
		wantCode(t, p.GenerateKey(ctx, c, "same", signAttrs(psa.KeyEccPair, 256, allUsage, ecdsa256)), status.Success, "GenerateKey "+c.App)
	}
	for range 3 {
		mustSign(t, p, appA, "same")
		mustSign(t, p, appB, "same")
	}
	if got := cached(t, p); len(got) != 2 {
		t.Fatalf("cached %v, want both callers' keys", got)
	}
}

// TestCachePressure: more keys than the TPM has slots, used in turn, with
// sessions of both modes (RSA keys sign and decrypt) and attestation,
// which needs a slot more; nothing fails for lack of room.
func TestCachePressure(t *testing.T) {
	p := newTestProvider(t, "", nil)
	ctx := context.Background()
	var rsaKeys []string
	for i := range 5 {
		name := fmt.Sprint("ecc-", i)
		wantCode(t, p.GenerateKey(ctx, appA, name, signAttrs(psa.KeyEccPair, 256, allUsage, ecdsa256)), status.Success, "GenerateKey "+name)
	}
	for i := range 2 {
		name := fmt.Sprint("rsa-", i)
		a := signAttrs(psa.KeyRsaPair, 2048, allUsage, rsaPKCS1)
		a.Policy.Alg = psa.Algorithm{Kind: psa.AlgAsymEncrypt, Encrypt: pkcs1Crypt}
		wantCode(t, p.GenerateKey(ctx, appA, name, a), status.Success, "GenerateKey "+name)
		rsaKeys = append(rsaKeys, name)
	}
	msg := []byte("slots")
	for round := range 3 {
		for i := range 5 {
			mustSign(t, p, appA, fmt.Sprint("ecc-", (i+round)%5))
			name := rsaKeys[i%2]
			//lint:ignore SA1019 PKCS#1 v1.5 encryption is part of the PSA contract
			ct, err := rsa.EncryptPKCS1v15(rand.Reader, exported(t, p, name).(*rsa.PublicKey), msg)
			if err != nil {
				t.Fatal(err)
			}
			pt, err := p.AsymmetricDecrypt(ctx, appA, name, pkcs1Crypt, ct, nil)
			wantCode(t, err, status.Success, "AsymmetricDecrypt "+name)
			if string(pt) != string(msg) {
				t.Fatalf("%s decrypted %q", name, pt)
			}
		}
		cached(t, p)
	}
	// The cache is full; attestation needs the EK's slot and its sessions.
	params, err := p.PrepareKeyAttestation(ctx, appA, "ecc-0", "")
	wantCode(t, err, status.Success, "PrepareKeyAttestation")
	blob, secret := makeCredential(t, params, []byte("credential"))
	got, err := p.AttestKey(ctx, appA, "ecc-0", "", blob, secret)
	wantCode(t, err, status.Success, "AttestKey with a full cache")
	if string(got) != "credential" {
		t.Fatalf("AttestKey released %q", got)
	}
	mustSign(t, p, appA, "ecc-4")
}

// TestCacheConcurrent: clients signing, destroying and recreating their
// keys at once (run with -race) always sign with their current key.
func TestCacheConcurrent(t *testing.T) {
	p := newTestProvider(t, "", nil)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := storage.Client{App: fmt.Sprint("cache-client-", i), Auth: appA.Auth}
			for j := range 4 {
				err := p.GenerateKey(ctx, c, "k", signAttrs(psa.KeyEccPair, 256, allUsage, ecdsa256))
				for range 3 {
					if err == nil {
						err = signs(t, p, c, "k")
					}
				}
				if err == nil {
					err = p.DestroyKey(ctx, c, "k")
				}
				if err != nil {
					errs <- fmt.Errorf("client %d round %d: %w", i, j, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := cached(t, p); len(got) != 0 {
		t.Fatalf("cached after every key was destroyed: %v", got)
	}
}

// TestCacheTPMReset: the TPM is reset (swtpm's TPM_Init, then
// TPM2_Startup) under a running provider whose connection stays up, so
// the cached handles and sessions go stale: the first operation, with a
// cached key, recreates the storage key and reloads the key.
func TestCacheTPMReset(t *testing.T) {
	env := startSwtpm(t, "--unix")
	p := newTestProvider(t, env["PARSEC_TEST_TCTI"], memory.New())
	check := makeKeys(t, p)
	check(p)
	mustSign(t, p, appA, "ecc")
	if !slices.Contains(cached(t, p), appA.App+"/ecc") {
		t.Fatalf("the key is not cached before the reset: %v", cached(t, p))
	}
	conn := p.link.tpm
	if out, err := exec.Command("swtpm_ioctl", "--unix", env["SWTPM_CTRL_SOCK"], "-i").CombinedOutput(); err != nil {
		t.Fatalf("swtpm_ioctl -i: %v: %s", err, out)
	}
	if err := p.do(context.Background(), func(t transport.TPM) error { return Startup(t) }); err != nil {
		t.Fatal(err)
	}
	mustSign(t, p, appA, "ecc")
	check(p)
	if p.link.tpm != conn {
		t.Fatal("the provider reconnected: the stale handles were not what it recovered from")
	}
}

// TestCacheRecordChanged: a key whose stored record changes under the same
// name (here to one with a wrong auth value) is used from its new record,
// never from the object, session or decoded record cached for the old one.
func TestCacheRecordChanged(t *testing.T) {
	store := memory.New()
	p := newTestProvider(t, "", store)
	ctx := context.Background()
	wantCode(t, p.GenerateKey(ctx, appA, "k", signAttrs(psa.KeyEccPair, 256, allUsage, ecdsa256)), status.Success, "GenerateKey")
	mustSign(t, p, appA, "k")
	triple := appA.Key(p.name, "k")
	info, rec := storedRecord(t, store, triple)
	replace := func(id []byte) {
		t.Helper()
		if err := store.Remove(ctx, triple); err != nil {
			t.Fatal(err)
		}
		if err := store.Insert(ctx, triple, storage.KeyInfo{ID: id, Attributes: info.Attributes}); err != nil {
			t.Fatal(err)
		}
	}
	rec.auth = slices.Clone(rec.auth)
	rec.auth[0] ^= 0x55
	replace(rec.encode())
	_, err := p.SignHash(ctx, appA, "k", ecdsa256, digestFor(psa.HashSHA256, "m"))
	wantCode(t, err, status.PsaErrorNotPermitted, "SignHash with the changed record")
	replace(info.ID)
	mustSign(t, p, appA, "k")
}

// ownTPMWithKeys starts a swtpm for the test alone (what the test does to
// its slots or connection stays there), and a provider on it with an ECC
// key of each name.
func ownTPMWithKeys(t *testing.T, names ...string) *Provider {
	t.Helper()
	env := startSwtpm(t, "--unix")
	p := newTestProvider(t, env["PARSEC_TEST_TCTI"], memory.New())
	for _, n := range names {
		wantCode(t, p.GenerateKey(context.Background(), appA, n, signAttrs(psa.KeyEccPair, 256, allUsage, ecdsa256)), status.Success, "GenerateKey "+n)
	}
	return p
}

// TestCacheReconnectNoLeak: the connection breaks while the TPM keeps its
// state (swtpm keeps what a client loaded after it goes), several times
// over, with keys cached each time: the handles the old connection left
// are flushed on reconnecting, so the TPM's few slots do not fill up.
func TestCacheReconnectNoLeak(t *testing.T) {
	p := ownTPMWithKeys(t, "a", "b")
	ctx := context.Background()
	for round := range 4 {
		mustSign(t, p, appA, "a")
		mustSign(t, p, appA, "b")
		p.link.mu.Lock()
		p.link.tpm.Close() // as a transport failure would leave it
		p.link.mu.Unlock()
		_, err := p.SignHash(ctx, appA, "a", ecdsa256, digestFor(psa.HashSHA256, "m"))
		wantCode(t, err, status.PsaErrorCommunicationFailure, fmt.Sprint("SignHash on the broken connection, round ", round))
	}
	mustSign(t, p, appA, "a")
}

// TestCacheSessionPressure: with the TPM's session slots all but one
// taken (by sessions the test holds), keys used in turn still work: a
// session start answered TPM_RC_SESSION_MEMORY evicts the other key.
func TestCacheSessionPressure(t *testing.T) {
	p := ownTPMWithKeys(t, "a", "b")
	ctx := context.Background()
	var held []func() error
	err := p.do(ctx, func(tp transport.TPM) error {
		for range 2 { // swtpm loads 3 sessions at most
			_, closer, err := tpm2.HMACSession(tp, tpm2.TPMAlgSHA256, 16)
			if err != nil {
				return err
			}
			held = append(held, closer)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		mustSign(t, p, appA, "a")
		mustSign(t, p, appA, "b")
		cached(t, p)
	}
	_ = p.do(ctx, func(transport.TPM) error {
		for _, c := range held {
			_ = c()
		}
		return nil
	})
}

// BenchmarkSignHash is one ECDSA P-256 signature through the provider
// (key store, record, cached key and session, TPM2_Sign on swtpm), for
// profiling the provider's share of an operation.
func BenchmarkSignHash(b *testing.B) {
	p := newTestProvider(b, "", nil)
	ctx := context.Background()
	wantCode(b, p.GenerateKey(ctx, appA, "bench", signAttrs(psa.KeyEccPair, 256, allUsage, ecdsa256)), status.Success, "GenerateKey")
	h := digestFor(psa.HashSHA256, "bench")
	for b.Loop() {
		if _, err := p.SignHash(ctx, appA, "bench", ecdsa256, h); err != nil {
			b.Fatal(err)
		}
	}
}

// TestLeftoversOfAKilledProcess: a connection that ends without flushing
// (a parsecd killed with its keys cached) leaves its objects and sessions
// in a TPM without resource manager; the next connection flushes them, so
// that crash after crash the TPM's slots do not fill up.
func TestLeftoversOfAKilledProcess(t *testing.T) {
	env := startSwtpm(t, "--unix")
	tc, err := ParseTCTI(env["PARSEC_TEST_TCTI"])
	if err != nil {
		t.Fatal(err)
	}
	store := memory.New()
	for round := range 6 {
		p, err := New(context.Background(), Options{TCTI: tc}, provider.Deps{Keys: store})
		if err != nil {
			t.Fatalf("round %d: New after the previous process died: %v", round, err)
		}
		name := fmt.Sprintf("k%d", round)
		wantCode(t, p.GenerateKey(context.Background(), appA, name, signAttrs(psa.KeyEccPair, 256, allUsage, ecdsa256)), status.Success, "GenerateKey")
		for r := range round + 1 {
			mustSign(t, p, appA, fmt.Sprintf("k%d", r))
		}
		// Die as kill -9 does: the connection goes, nothing is flushed.
		linksMu.Lock()
		delete(links, tc.String())
		linksMu.Unlock()
		p.link.mu.Lock()
		if err := p.link.tpm.Close(); err != nil {
			t.Fatal(err)
		}
		p.link.tpm = nil
		p.link.mu.Unlock()
	}
	// What the last one left is there to flush.
	t2, err := Open(context.Background(), tc)
	if err != nil {
		t.Fatal(err)
	}
	defer t2.Close()
	if n := flushLeftovers(t2); n == 0 {
		t.Error("the killed connection left nothing loaded: the test no longer tests the leak")
	}
	if n := flushLeftovers(t2); n != 0 {
		t.Errorf("%d handles left after flushing", n)
	}
}
