// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package back_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/parsecd/parsecd/src/interface/pbwire"

	"github.com/parsecd/parsecd/providers/soft"
	"github.com/parsecd/parsecd/src/auth"
	"github.com/parsecd/parsecd/src/back"
	"github.com/parsecd/parsecd/src/interface/ops/psasignhash"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/src/wire"
	"github.com/parsecd/parsecd/storage"
	"github.com/parsecd/parsecd/storage/bolt"
	"github.com/parsecd/parsecd/storage/memory"
)

// softService is a back end with one software provider on store, with
// Direct authentication.
func softService(tb testing.TB, store storage.KeyStore) (*soft.Provider, *back.Service) {
	tb.Helper()
	p, err := soft.New("", provider.Deps{Keys: store})
	if err != nil {
		tb.Fatal(err)
	}
	svc, err := back.New(back.Options{Auth: auth.NewSet(nil, auth.Direct{}), Providers: []back.Mount{{Provider: p, Store: store}}})
	if err != nil {
		tb.Fatal(err)
	}
	return p, svc
}

// BenchmarkDispatchSoftSign is the back end's cost around a P-256 signature:
// authentication, decoding, policy, signing and encoding, without the socket.
func BenchmarkDispatchSoftSign(b *testing.B) {
	ctx := context.Background()
	p, svc := softService(b, memory.New())
	alg := psa.AsymSign{Kind: psa.SignEcdsa, Hash: psa.HashSHA256}
	attrs := psa.KeyAttributes{Type: psa.KeyType{Kind: psa.KeyEccPair, EccFamily: psa.EccSecpR1}, Bits: 256,
		Policy: psa.KeyPolicy{Usage: psa.UsageSignHash, Alg: psa.Algorithm{Kind: psa.AlgAsymSign, Sign: alg}}}
	if err := p.GenerateKey(ctx, storage.Client{App: "bench", Auth: parsec.AuthDirect}, "k", attrs); err != nil {
		b.Fatal(err)
	}
	digest := sha256.Sum256([]byte("bench"))
	body, _ := pbwire.Marshal(&psasignhash.Operation{KeyName: "k", Alg: psa.AsymSignToProto(alg), Hash: digest[:]})
	req := &wire.Request{Header: wire.Header{Provider: parsec.ProviderMbedCrypto, Opcode: parsec.OpPsaSignHash, AuthType: parsec.AuthDirect}, Body: body, Auth: []byte("bench")}
	b.ReportAllocs()
	for b.Loop() {
		if resp := svc.Handle(ctx, req, nil); resp.Header.Status != status.Success {
			b.Fatal(resp.Header.Status)
		}
	}
}

// BenchmarkListKeys10k is ListKeys of an application with 10,000 keys in
// a bbolt store (the scale target of issue 14: <= 50 ms through the socket).
func BenchmarkListKeys10k(b *testing.B) {
	store, err := bolt.Open(filepath.Join(b.TempDir(), "keys.db"), bolt.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	p, svc := softService(b, store)
	ctx := context.Background()
	attrs := psa.KeyAttributes{Type: psa.KeyType{Kind: psa.KeyEccPair, EccFamily: psa.EccSecpR1}, Bits: 256,
		Policy: psa.KeyPolicy{Usage: psa.UsageSignHash, Alg: psa.Algorithm{Kind: psa.AlgAsymSign, Sign: psa.AsymSign{Kind: psa.SignEcdsa, Hash: psa.HashSHA256}}}}
	caller := storage.Client{App: "bench", Auth: parsec.AuthDirect}
	if err := p.GenerateKey(ctx, caller, "model", attrs); err != nil {
		b.Fatal(err)
	}
	rec, err := store.Get(ctx, storage.KeyTriple{Auth: parsec.AuthDirect, App: "bench", Provider: soft.DefaultName, Key: "model"})
	if err != nil {
		b.Fatal(err)
	}
	entries := make([]storage.Entry, 10_000)
	for i := range entries {
		entries[i] = storage.Entry{KeyTriple: storage.KeyTriple{Auth: parsec.AuthDirect, App: "bench", Provider: soft.DefaultName, Key: fmt.Sprintf("key-%06d", i)}, KeyInfo: rec}
	}
	if _, err := store.Import("bench", entries, func([]storage.KeyTriple) []byte { return nil }); err != nil {
		b.Fatal(err)
	}
	req := &wire.Request{Header: wire.Header{Provider: parsec.ProviderCore, Opcode: parsec.OpListKeys, AuthType: parsec.AuthDirect}, Auth: []byte("bench")}
	b.ReportAllocs()
	for b.Loop() {
		if resp := svc.Handle(ctx, req, nil); resp.Header.Status != status.Success {
			b.Fatal(resp.Header.Status)
		}
	}
}
