// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package back_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/parsecd/parsecd/src/interface/pbwire"

	"github.com/parsecd/parsecd/src/interface/ops/listkeys"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/src/wire"
	"github.com/parsecd/parsecd/storage"
	"github.com/parsecd/parsecd/storage/memory"
)

// TestListKeysAttributes: keys made alike share their listed attributes
// (one message per distinct set); each key is still listed with its own.
func TestListKeysAttributes(t *testing.T) {
	ctx := context.Background()
	p, svc := softService(t, memory.New())
	ecc := func(bits uint32, h psa.Hash) psa.KeyAttributes {
		return psa.KeyAttributes{Type: psa.KeyType{Kind: psa.KeyEccPair, EccFamily: psa.EccSecpR1}, Bits: bits,
			Policy: psa.KeyPolicy{Usage: psa.UsageSignHash, Alg: psa.Algorithm{Kind: psa.AlgAsymSign, Sign: psa.AsymSign{Kind: psa.SignEcdsa, Hash: h}}}}
	}
	want := map[string]psa.KeyAttributes{}
	caller := storage.Client{App: "lister", Auth: parsec.AuthDirect}
	for i, a := range []psa.KeyAttributes{ecc(256, psa.HashSHA256), ecc(384, psa.HashSHA384), ecc(256, psa.HashSHA256), ecc(256, psa.HashSHA384), ecc(384, psa.HashSHA384)} {
		name := fmt.Sprintf("k%d", i)
		if err := p.GenerateKey(ctx, caller, name, a); err != nil {
			t.Fatal(err)
		}
		want[name] = a
	}
	req := &wire.Request{Header: wire.Header{Provider: parsec.ProviderCore, Opcode: parsec.OpListKeys, AuthType: parsec.AuthDirect}, Auth: []byte("lister")}
	resp := svc.Handle(ctx, req, nil)
	if resp.Header.Status != status.Success {
		t.Fatal(resp.Header.Status)
	}
	var res listkeys.Result
	if err := pbwire.Unmarshal(resp.Body, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Keys) != len(want) {
		t.Fatalf("%d keys listed, want %d", len(res.Keys), len(want))
	}
	for _, k := range res.Keys {
		got, err := psa.AttributesFromProto(k.Attributes)
		if err != nil || !reflect.DeepEqual(got, want[k.Name]) {
			t.Errorf("key %s listed with %+v (%v), want %+v", k.Name, got, err, want[k.Name])
		}
	}
}
