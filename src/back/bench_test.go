// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package back_test

import (
	"context"
	"crypto/sha256"
	"testing"

	"google.golang.org/protobuf/proto"

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
	"github.com/parsecd/parsecd/storage/memory"
)

// BenchmarkDispatchSoftSign is the back end's cost around a P-256 signature:
// authentication, decoding, policy, signing and encoding, without the socket.
func BenchmarkDispatchSoftSign(b *testing.B) {
	ctx := context.Background()
	store := memory.New()
	p, err := soft.New("", provider.Deps{Keys: store})
	if err != nil {
		b.Fatal(err)
	}
	svc, err := back.New(back.Options{Auth: auth.NewSet(nil, auth.Direct{}), Providers: []back.Mount{{Provider: p, Store: store}}})
	if err != nil {
		b.Fatal(err)
	}
	alg := psa.AsymSign{Kind: psa.SignEcdsa, Hash: psa.HashSHA256}
	attrs := psa.KeyAttributes{Type: psa.KeyType{Kind: psa.KeyEccPair, EccFamily: psa.EccSecpR1}, Bits: 256,
		Policy: psa.KeyPolicy{Usage: psa.UsageSignHash, Alg: psa.Algorithm{Kind: psa.AlgAsymSign, Sign: alg}}}
	if err := p.GenerateKey(ctx, storage.Client{App: "bench", Auth: parsec.AuthDirect}, "k", attrs); err != nil {
		b.Fatal(err)
	}
	digest := sha256.Sum256([]byte("bench"))
	body, _ := proto.Marshal(&psasignhash.Operation{KeyName: "k", Alg: psa.AsymSignToProto(alg), Hash: digest[:]})
	req := &wire.Request{Header: wire.Header{Provider: parsec.ProviderMbedCrypto, Opcode: parsec.OpPsaSignHash, AuthType: parsec.AuthDirect}, Body: body, Auth: []byte("bench")}
	b.ReportAllocs()
	for b.Loop() {
		if resp := svc.Handle(ctx, req, nil); resp.Header.Status != status.Success {
			b.Fatal(resp.Header.Status)
		}
	}
}
