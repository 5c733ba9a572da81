// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package storetest is the conformance suite of storage.KeyStore: every
// implementation runs it from its own tests with
//
//	storetest.Run(t, func(t *testing.T) storage.KeyStore { … })
package storetest

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
)

// Run runs the suite. open must return a new, empty store each time it is
// called, and register with t.Cleanup whatever checks and closing the store
// needs; it is called from parallel subtests.
func Run(t *testing.T, open func(t *testing.T) storage.KeyStore) {
	tests := []struct {
		name string
		f    func(t *testing.T, s storage.KeyStore)
	}{
		{"InsertGetRemove", testInsertGetRemove},
		{"InsertDuplicate", testInsertDuplicate},
		{"ValuesAreCopied", testValuesAreCopied},
		{"ReserveCommit", testReserveCommit},
		{"ReserveAbort", testReserveAbort},
		{"CommitWithoutReserve", testCommitWithoutReserve},
		{"ReserveTakenName", testReserveTakenName},
		{"Isolation", testIsolation},
		{"ListSorted", testListSorted},
		{"Clients", testClients},
		{"Pending", testPending},
		{"ConcurrentReserve", testConcurrentReserve},
		{"ConcurrentMixed", testConcurrentMixed},
		{"AttributesRoundTrip", testAttributesRoundTrip},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.f(t, open(t))
		})
	}
}

// RichAttributes returns key attributes in which every field, down to the
// last field of the algorithm, is non-zero, and no two fields of the same
// type have the same value where the type allows it; codecs use it to show
// that nothing is lost or swapped.
func RichAttributes() psa.KeyAttributes {
	return psa.KeyAttributes{
		Type: psa.KeyType{Kind: psa.KeyEccPair, EccFamily: psa.EccBrainpoolPR1, DhFamily: 300},
		Bits: 384,
		Policy: psa.KeyPolicy{
			Usage: psa.UsageSignHash | psa.UsageVerifyHash | psa.UsageExport | psa.UsageDerive,
			Alg: psa.Algorithm{
				Kind:         psa.AlgAsymSign,
				Hash:         psa.HashSHA384,
				Mac:          psa.Mac{Kind: psa.MacHmac, Hash: psa.HashSHA512, Truncated: true, Length: 20},
				Cipher:       psa.CipherCbcPkcs7,
				Aead:         psa.Aead{Alg: psa.AeadChacha20Poly1305, Shortened: true, TagLength: 12},
				Sign:         psa.AsymSign{Kind: psa.SignDetEcdsa, Hash: psa.HashSHA256, AnyHash: true},
				Encrypt:      psa.AsymEncrypt{Kind: psa.EncRsaOaep, Hash: psa.HashSHA224},
				KeyAgreement: psa.KeyAgreement{Raw: psa.KeyAgreementEcdh, HasKdf: true, Kdf: psa.KeyDerivation{Kind: psa.KdfTls12PskToMs, Hash: psa.HashSHA3_256}},
				Kdf:          psa.KeyDerivation{Kind: psa.KdfHkdf, Hash: psa.HashSHA3_512},
			},
		},
	}
}

var ctx = context.Background()

func key(auth parsec.AuthType, app, provider, name string) storage.KeyTriple {
	return storage.KeyTriple{Auth: auth, App: app, Provider: provider, Key: name}
}

func info(id string) storage.KeyInfo {
	return storage.KeyInfo{ID: []byte(id), Attributes: RichAttributes()}
}

func sameInfo(a, b storage.KeyInfo) bool {
	return bytes.Equal(a.ID, b.ID) && a.Attributes == b.Attributes
}

func mustInsert(t testing.TB, s storage.KeyStore, k storage.KeyTriple, v storage.KeyInfo) {
	t.Helper()
	if err := s.Insert(ctx, k, v); err != nil {
		t.Fatalf("Insert(%v): %v", k, err)
	}
}

func mustReserve(t testing.TB, s storage.KeyStore, k storage.KeyTriple) {
	t.Helper()
	if err := s.Reserve(ctx, k); err != nil {
		t.Fatalf("Reserve(%v): %v", k, err)
	}
}

// wantGet checks that k holds want.
func wantGet(t testing.TB, s storage.KeyStore, k storage.KeyTriple, want storage.KeyInfo) {
	t.Helper()
	got, err := s.Get(ctx, k)
	if err != nil {
		t.Fatalf("Get(%v): %v", k, err)
	}
	if !sameInfo(got, want) {
		t.Fatalf("Get(%v) = %+v, want %+v", k, got, want)
	}
}

// wantErr checks that err is the sentinel want, with its wire status.
func wantErr(t testing.TB, what string, err, want error) {
	t.Helper()
	var code status.Code
	switch want {
	case storage.ErrNotFound:
		code = status.PsaErrorDoesNotExist
	case storage.ErrExists:
		code = status.PsaErrorAlreadyExists
	}
	if !errors.Is(err, want) || status.CodeOf(err) != code {
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
}

func wantNotFound(t testing.TB, s storage.KeyStore, k storage.KeyTriple) {
	t.Helper()
	_, err := s.Get(ctx, k)
	wantErr(t, fmt.Sprintf("Get(%v)", k), err, storage.ErrNotFound)
	if !storage.IsNotFound(err) {
		t.Fatalf("IsNotFound(%v) = false", err)
	}
}

func list(t testing.TB, s storage.KeyStore, provider string, c storage.Client) []storage.Entry {
	t.Helper()
	es, err := s.List(ctx, provider, c)
	if err != nil {
		t.Fatalf("List(%q, %v): %v", provider, c, err)
	}
	return es
}

func clients(t testing.TB, s storage.KeyStore) []storage.Client {
	t.Helper()
	cs, err := s.Clients(ctx)
	if err != nil {
		t.Fatalf("Clients: %v", err)
	}
	return cs
}

// pending returns the reservations of a provider, sorted (the contract
// does not fix their order).
func pending(t testing.TB, s storage.KeyStore, provider string) []storage.KeyTriple {
	t.Helper()
	ks, err := s.Pending(ctx, provider)
	if err != nil {
		t.Fatalf("Pending(%q): %v", provider, err)
	}
	slices.SortFunc(ks, cmpTriple)
	return ks
}

func cmpTriple(a, b storage.KeyTriple) int {
	switch {
	case a.Auth != b.Auth:
		return int(a.Auth) - int(b.Auth)
	case a.App != b.App:
		return cmp.Compare(a.App, b.App)
	case a.Provider != b.Provider:
		return cmp.Compare(a.Provider, b.Provider)
	}
	return cmp.Compare(a.Key, b.Key)
}

func names(es []storage.Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Key)
	}
	return out
}

func testInsertGetRemove(t *testing.T, s storage.KeyStore) {
	k := key(parsec.AuthDirect, "alice", "soft", "k1")
	wantNotFound(t, s, k)
	mustInsert(t, s, k, info("id-1"))
	wantGet(t, s, k, info("id-1"))
	if err := s.Remove(ctx, k); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	wantNotFound(t, s, k)
	wantErr(t, "second Remove", s.Remove(ctx, k), storage.ErrNotFound)
	if es := list(t, s, "soft", storage.Client{Auth: parsec.AuthDirect, App: "alice"}); len(es) != 0 {
		t.Fatalf("List after Remove = %v, want none", names(es))
	}
	if cs := clients(t, s); len(cs) != 0 {
		t.Fatalf("Clients after Remove = %v, want none", cs)
	}
	// The name is free again.
	mustInsert(t, s, k, info("id-2"))
	wantGet(t, s, k, info("id-2"))
}

func testInsertDuplicate(t *testing.T, s storage.KeyStore) {
	k := key(parsec.AuthDirect, "alice", "soft", "k1")
	mustInsert(t, s, k, info("first"))
	wantErr(t, "second Insert", s.Insert(ctx, k, info("second")), storage.ErrExists)
	wantGet(t, s, k, info("first"))
}

func testValuesAreCopied(t *testing.T, s storage.KeyStore) {
	k := key(parsec.AuthDirect, "alice", "soft", "k1")
	v := info("secret")
	mustInsert(t, s, k, v)
	v.ID[0] = 'X'
	wantGet(t, s, k, info("secret"))
	got, err := s.Get(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	got.ID[0] = 'Y'
	wantGet(t, s, k, info("secret"))
	es := list(t, s, "soft", storage.Client{Auth: parsec.AuthDirect, App: "alice"})
	es[0].ID[0] = 'Z'
	wantGet(t, s, k, info("secret"))

	k2 := key(parsec.AuthDirect, "alice", "soft", "k2")
	mustReserve(t, s, k2)
	v2 := info("secret2")
	if err := s.Commit(ctx, k2, v2); err != nil {
		t.Fatal(err)
	}
	v2.ID[0] = 'X'
	wantGet(t, s, k2, info("secret2"))
}

func testReserveCommit(t *testing.T, s storage.KeyStore) {
	k := key(parsec.AuthDirect, "alice", "soft", "k1")
	alice := storage.Client{Auth: parsec.AuthDirect, App: "alice"}
	mustReserve(t, s, k)
	wantNotFound(t, s, k)
	if es := list(t, s, "soft", alice); len(es) != 0 {
		t.Fatalf("List during reservation = %v, want none", names(es))
	}
	if cs := clients(t, s); len(cs) != 0 {
		t.Fatalf("Clients during reservation = %v, want none", cs)
	}
	wantErr(t, "Reserve twice", s.Reserve(ctx, k), storage.ErrExists)
	wantErr(t, "Insert onto a reservation", s.Insert(ctx, k, info("x")), storage.ErrExists)
	wantErr(t, "Remove of a reservation", s.Remove(ctx, k), storage.ErrNotFound)
	if got := pending(t, s, "soft"); !slices.Equal(got, []storage.KeyTriple{k}) {
		t.Fatalf("Pending = %v, want [%v]", got, k)
	}

	if err := s.Commit(ctx, k, info("id")); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	wantGet(t, s, k, info("id"))
	if got := pending(t, s, "soft"); len(got) != 0 {
		t.Fatalf("Pending after Commit = %v, want none", got)
	}
	if got := names(list(t, s, "soft", alice)); !slices.Equal(got, []string{"k1"}) {
		t.Fatalf("List after Commit = %v", got)
	}
	if cs := clients(t, s); !slices.Equal(cs, []storage.Client{alice}) {
		t.Fatalf("Clients after Commit = %v", cs)
	}
	// The reservation is used up: a second Commit has nothing to commit
	// and must not overwrite the key.
	wantErr(t, "second Commit", s.Commit(ctx, k, info("other")), storage.ErrNotFound)
	wantGet(t, s, k, info("id"))
	wantErr(t, "Reserve of a committed key", s.Reserve(ctx, k), storage.ErrExists)
}

func testReserveAbort(t *testing.T, s storage.KeyStore) {
	k := key(parsec.AuthDirect, "alice", "soft", "k1")
	mustReserve(t, s, k)
	if err := s.Abort(ctx, k); err != nil {
		t.Fatalf("Abort: %v", err)
	}
	wantNotFound(t, s, k)
	if got := pending(t, s, "soft"); len(got) != 0 {
		t.Fatalf("Pending after Abort = %v, want none", got)
	}
	wantErr(t, "Commit after Abort", s.Commit(ctx, k, info("id")), storage.ErrNotFound)
	wantNotFound(t, s, k)

	// Abort then Reserve works.
	mustReserve(t, s, k)
	if err := s.Commit(ctx, k, info("id")); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	wantGet(t, s, k, info("id"))

	// Aborting nothing is fine, and Abort never touches a committed key.
	if err := s.Abort(ctx, key(parsec.AuthDirect, "alice", "soft", "never-reserved")); err != nil {
		t.Fatalf("Abort of an unknown name: %v", err)
	}
	if err := s.Abort(ctx, k); err != nil {
		t.Fatalf("Abort of a committed key: %v", err)
	}
	wantGet(t, s, k, info("id"))
}

func testCommitWithoutReserve(t *testing.T, s storage.KeyStore) {
	k := key(parsec.AuthDirect, "alice", "soft", "k1")
	wantErr(t, "Commit without Reserve", s.Commit(ctx, k, info("id")), storage.ErrNotFound)
	wantNotFound(t, s, k)
	if cs := clients(t, s); len(cs) != 0 {
		t.Fatalf("Clients = %v, want none", cs)
	}
}

func testReserveTakenName(t *testing.T, s storage.KeyStore) {
	k := key(parsec.AuthDirect, "alice", "soft", "k1")
	mustInsert(t, s, k, info("id"))
	wantErr(t, "Reserve of a committed key", s.Reserve(ctx, k), storage.ErrExists)
	if got := pending(t, s, "soft"); len(got) != 0 {
		t.Fatalf("Pending = %v, want none", got)
	}
	wantGet(t, s, k, info("id"))
}

func testIsolation(t *testing.T, s storage.KeyStore) {
	// The same key name in every namespace dimension, plus application
	// names that share prefixes or contain slashes.
	ks := []storage.KeyTriple{
		key(parsec.AuthDirect, "alice", "soft", "k"),
		key(parsec.AuthDirect, "bob", "soft", "k"),
		key(parsec.AuthUnixPeerCredentials, "alice", "soft", "k"),
		key(parsec.AuthDirect, "alice", "tpm", "k"),
		key(parsec.AuthDirect, "alice/k", "soft", "k"),
		key(parsec.AuthDirect, "ali", "soft", "ce/k"),
		key(parsec.AuthJwtSvid, "spiffe://example.org/alice", "soft", "k"),
		key(parsec.AuthDirect, "", "soft", "k"),
	}
	for i, k := range ks {
		mustInsert(t, s, k, info(fmt.Sprint("id-", i)))
	}
	check := func(removed int) {
		t.Helper()
		for i, k := range ks {
			c := k.Client()
			if i <= removed {
				wantNotFound(t, s, k)
				if es := list(t, s, k.Provider, c); len(es) != 0 {
					t.Fatalf("List(%v) = %v, want none", k, names(es))
				}
				continue
			}
			wantGet(t, s, k, info(fmt.Sprint("id-", i)))
			es := list(t, s, k.Provider, c)
			if len(es) != 1 || es[0].KeyTriple != k || !sameInfo(es[0].KeyInfo, info(fmt.Sprint("id-", i))) {
				t.Fatalf("List(%q, %v) = %+v, want only %v", k.Provider, c, es, k)
			}
		}
	}
	check(-1)
	for i, k := range ks {
		if err := s.Remove(ctx, k); err != nil {
			t.Fatalf("Remove(%v): %v", k, err)
		}
		check(i)
	}
}

func testListSorted(t *testing.T, s storage.KeyStore) {
	alice := storage.Client{Auth: parsec.AuthDirect, App: "alice"}
	for _, n := range []string{"b", "a b", "c", "B", "a", "é", "a/b", "aa"} {
		mustInsert(t, s, key(alice.Auth, alice.App, "soft", n), info("id-"+n))
	}
	mustReserve(t, s, key(alice.Auth, alice.App, "soft", "ab-pending"))
	mustInsert(t, s, key(alice.Auth, alice.App, "tpm", "other-provider"), info("x"))
	mustInsert(t, s, key(parsec.AuthDirect, "bob", "soft", "other-app"), info("x"))
	es := list(t, s, "soft", alice)
	want := []string{"B", "a", "a b", "a/b", "aa", "b", "c", "é"}
	if got := names(es); !slices.Equal(got, want) {
		t.Fatalf("List = %q, want %q", got, want)
	}
	for _, e := range es {
		if e.Auth != alice.Auth || e.App != alice.App || e.Provider != "soft" {
			t.Fatalf("List entry %+v has the wrong owner", e.KeyTriple)
		}
		if !sameInfo(e.KeyInfo, info("id-"+e.Key)) {
			t.Fatalf("List entry %q = %+v", e.Key, e.KeyInfo)
		}
	}
	if es := list(t, s, "nope", alice); len(es) != 0 {
		t.Fatalf("List of an unknown provider = %v", names(es))
	}
	if es := list(t, s, "soft", storage.Client{Auth: parsec.AuthUnixPeerCredentials, App: "alice"}); len(es) != 0 {
		t.Fatalf("List of another auth type = %v", names(es))
	}
}

func testClients(t *testing.T, s storage.KeyStore) {
	if cs := clients(t, s); len(cs) != 0 {
		t.Fatalf("Clients of an empty store = %v", cs)
	}
	for _, k := range []storage.KeyTriple{
		key(parsec.AuthJwtSvid, "spiffe://example.org/z", "soft", "k"),
		key(parsec.AuthDirect, "b", "soft", "k"),
		key(parsec.AuthDirect, "a", "soft", "k1"),
		key(parsec.AuthDirect, "a", "soft", "k2"),
		key(parsec.AuthDirect, "a", "tpm", "k"), // same client, other provider
		key(parsec.AuthUnixPeerCredentials, "1000", "tpm", "k"),
		key(parsec.AuthUnixPeerCredentials, "0", "soft", "k"),
	} {
		mustInsert(t, s, k, info("id"))
	}
	mustReserve(t, s, key(parsec.AuthDirect, "pending-only", "soft", "k"))
	mustReserve(t, s, key(parsec.AuthDirect, "b", "tpm", "k"))
	want := []storage.Client{
		{Auth: parsec.AuthDirect, App: "a"},
		{Auth: parsec.AuthDirect, App: "b"},
		{Auth: parsec.AuthUnixPeerCredentials, App: "0"},
		{Auth: parsec.AuthUnixPeerCredentials, App: "1000"},
		{Auth: parsec.AuthJwtSvid, App: "spiffe://example.org/z"},
	}
	if cs := clients(t, s); !slices.Equal(cs, want) {
		t.Fatalf("Clients = %v, want %v", cs, want)
	}
	// A client goes with its last committed key, not before.
	for _, k := range []storage.KeyTriple{
		key(parsec.AuthDirect, "a", "soft", "k1"),
		key(parsec.AuthDirect, "a", "soft", "k2"),
	} {
		if err := s.Remove(ctx, k); err != nil {
			t.Fatal(err)
		}
		if cs := clients(t, s); !slices.Equal(cs, want) {
			t.Fatalf("Clients = %v, want %v", cs, want)
		}
	}
	if err := s.Remove(ctx, key(parsec.AuthDirect, "a", "tpm", "k")); err != nil {
		t.Fatal(err)
	}
	if cs := clients(t, s); !slices.Equal(cs, want[1:]) {
		t.Fatalf("Clients = %v, want %v", cs, want[1:])
	}
}

func testPending(t *testing.T, s storage.KeyStore) {
	if got := pending(t, s, "soft"); len(got) != 0 {
		t.Fatalf("Pending of an empty store = %v", got)
	}
	p1 := []storage.KeyTriple{
		key(parsec.AuthDirect, "alice", "soft", "a"),
		key(parsec.AuthDirect, "alice", "soft", "b"),
		key(parsec.AuthDirect, "bob", "soft", "a"),
		key(parsec.AuthUnixPeerCredentials, "alice", "soft", "a"),
	}
	p2 := key(parsec.AuthDirect, "alice", "tpm", "a")
	for _, k := range append(slices.Clone(p1), p2) {
		mustReserve(t, s, k)
	}
	mustInsert(t, s, key(parsec.AuthDirect, "alice", "soft", "committed"), info("id"))
	if got := pending(t, s, "soft"); !slices.Equal(got, p1) {
		t.Fatalf("Pending(soft) = %v, want %v", got, p1)
	}
	if got := pending(t, s, "tpm"); !slices.Equal(got, []storage.KeyTriple{p2}) {
		t.Fatalf("Pending(tpm) = %v, want [%v]", got, p2)
	}
	if got := pending(t, s, "pkcs11"); len(got) != 0 {
		t.Fatalf("Pending(pkcs11) = %v, want none", got)
	}
	if err := s.Commit(ctx, p1[0], info("id")); err != nil {
		t.Fatal(err)
	}
	if err := s.Abort(ctx, p1[2]); err != nil {
		t.Fatal(err)
	}
	want := []storage.KeyTriple{p1[1], p1[3]}
	if got := pending(t, s, "soft"); !slices.Equal(got, want) {
		t.Fatalf("Pending(soft) = %v, want %v", got, want)
	}
}

func testConcurrentReserve(t *testing.T, s storage.KeyStore) {
	const n = 8
	k := key(parsec.AuthDirect, "alice", "soft", "contended")
	var (
		start = make(chan struct{})
		wg    sync.WaitGroup
		errs  = make([]error, n)
	)
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = s.Reserve(ctx, k)
		})
	}
	close(start)
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case errors.Is(err, storage.ErrExists):
		default:
			t.Fatalf("Reserve: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d of %d concurrent Reserves won, want exactly 1", wins, n)
	}
	if got := pending(t, s, "soft"); !slices.Equal(got, []storage.KeyTriple{k}) {
		t.Fatalf("Pending = %v, want [%v]", got, k)
	}
}

func testConcurrentMixed(t *testing.T, s storage.KeyStore) {
	const workers, rounds = 8, 10
	var wg sync.WaitGroup
	errc := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			app := fmt.Sprint("app-", w%3)
			for r := range rounds {
				k := key(parsec.AuthDirect, app, "soft", fmt.Sprintf("w%d-r%d", w, r))
				v := info(k.Key)
				err := s.Reserve(ctx, k)
				if err == nil {
					err = s.Commit(ctx, k, v)
				}
				if err == nil {
					var got storage.KeyInfo
					if got, err = s.Get(ctx, k); err == nil && !sameInfo(got, v) {
						err = fmt.Errorf("Get(%v) = %+v", k, got)
					}
				}
				if err == nil {
					_, err = s.List(ctx, "soft", storage.Client{Auth: k.Auth, App: app})
				}
				if err == nil {
					_, err = s.Clients(ctx)
				}
				if err == nil && r%2 == 0 {
					err = s.Remove(ctx, k)
				}
				if err != nil {
					errc <- fmt.Errorf("worker %d round %d: %w", w, r, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	total := 0
	for _, c := range clients(t, s) {
		total += len(list(t, s, "soft", c))
	}
	if want := workers * rounds / 2; total != want {
		t.Fatalf("%d keys left, want %d", total, want)
	}
}

func testAttributesRoundTrip(t *testing.T, s storage.KeyStore) {
	long := make([]byte, 4096) // an RSA private key in DER is about this big
	for i := range long {
		long[i] = byte(i * 7)
	}
	tests := []struct {
		name string
		v    storage.KeyInfo
	}{
		{"rich", storage.KeyInfo{ID: []byte{0, 1, 2, 0xff}, Attributes: RichAttributes()}},
		{"long-id", storage.KeyInfo{ID: long, Attributes: RichAttributes()}},
		{"zero", storage.KeyInfo{}},
		{"no-id", storage.KeyInfo{Attributes: RichAttributes()}},
		{"max", storage.KeyInfo{ID: []byte{1}, Attributes: maxAttributes()}},
	}
	alice := storage.Client{Auth: parsec.AuthDirect, App: "alice"}
	for _, tc := range tests {
		inserted := key(alice.Auth, alice.App, "soft", tc.name+"-inserted")
		committed := key(alice.Auth, alice.App, "soft", tc.name+"-committed")
		mustInsert(t, s, inserted, tc.v)
		mustReserve(t, s, committed)
		if err := s.Commit(ctx, committed, tc.v); err != nil {
			t.Fatalf("Commit: %v", err)
		}
		wantGet(t, s, inserted, tc.v)
		wantGet(t, s, committed, tc.v)
	}
	for _, e := range list(t, s, "soft", alice) {
		var want storage.KeyInfo
		for _, tc := range tests {
			if e.Key == tc.name+"-inserted" || e.Key == tc.name+"-committed" {
				want = tc.v
			}
		}
		if !sameInfo(e.KeyInfo, want) {
			t.Fatalf("List entry %q = %+v, want %+v", e.Key, e.KeyInfo, want)
		}
	}
}

// maxAttributes sets every field to the largest value of its type.
func maxAttributes() psa.KeyAttributes {
	const u8, u32 = 0xff, 0xffffffff
	return psa.KeyAttributes{
		Type: psa.KeyType{Kind: u8, EccFamily: u8, DhFamily: u32},
		Bits: u32,
		Policy: psa.KeyPolicy{
			Usage: 0xffff,
			Alg: psa.Algorithm{
				Kind: u8, Hash: u8,
				Mac:          psa.Mac{Kind: u8, Hash: u8, Truncated: true, Length: u32},
				Cipher:       u8,
				Aead:         psa.Aead{Alg: u8, Shortened: true, TagLength: u32},
				Sign:         psa.AsymSign{Kind: u8, Hash: u8, AnyHash: true},
				Encrypt:      psa.AsymEncrypt{Kind: u8, Hash: u8},
				KeyAgreement: psa.KeyAgreement{Raw: u8, HasKdf: true, Kdf: psa.KeyDerivation{Kind: u8, Hash: u8}},
				Kdf:          psa.KeyDerivation{Kind: u8, Hash: u8},
			},
		},
	}
}
