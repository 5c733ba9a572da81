// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package soft

import (
	"context"
	"testing"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/storage"
)

func TestReconcileDropsStaleReservations(t *testing.T) {
	ctx := context.Background()
	p, store := newTestProvider(t)
	stale := storage.KeyTriple{App: "app", Provider: p.Name(), Key: "half-made"}
	other := storage.KeyTriple{App: "app", Provider: "another-provider", Key: "x"}
	for _, k := range []storage.KeyTriple{stale, other} {
		if err := store.Reserve(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if pending, _ := store.Pending(ctx, p.Name()); len(pending) != 0 {
		t.Fatalf("still pending: %v", pending)
	}
	if pending, _ := store.Pending(ctx, "another-provider"); len(pending) != 1 {
		t.Fatal("reconcile touched another provider's reservation")
	}
	// The name is usable again.
	alg := signAlg(psa.SignEcdsa, psa.HashSHA256)
	a := attrs(psa.KeyEccPair, psa.EccSecpR1, 256, psa.UsageSignHash, psa.Algorithm{Kind: psa.AlgAsymSign, Sign: alg})
	if err := p.GenerateKey(ctx, storage.Client{App: "app"}, "half-made", a); err != nil {
		t.Fatal(err)
	}
}
