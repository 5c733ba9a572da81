// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package soft

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"math/big"
	"testing"

	"github.com/parsecd/parsecd/providers/providertest"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
)

// A cached key must never outlive its destruction, and a new key under the
// same name must be the one used.
func TestCacheFollowsDestroyAndRecreate(t *testing.T) {
	ctx := context.Background()
	p, _ := newTestProvider(t)
	who := storage.Client{App: "app"}
	alg := signAlg(psa.SignEcdsa, psa.HashSHA256)
	a := attrs(psa.KeyEccPair, psa.EccSecpR1, 256, psa.UsageSignHash|psa.UsageVerifyHash, psa.Algorithm{Kind: psa.AlgAsymSign, Sign: alg})
	digest := sha256.Sum256([]byte("cache"))

	if err := p.GenerateKey(ctx, who, "k", a); err != nil {
		t.Fatal(err)
	}
	if _, err := p.SignHash(ctx, who, "k", alg, digest[:]); err != nil { // fills the cache
		t.Fatal(err)
	}
	if err := p.DestroyKey(ctx, who, "k"); err != nil {
		t.Fatal(err)
	}
	_, err := p.SignHash(ctx, who, "k", alg, digest[:])
	wantCode(t, err, status.PsaErrorDoesNotExist, "sign after destroy")

	if err := p.GenerateKey(ctx, who, "k", a); err != nil {
		t.Fatal(err)
	}
	sig := must(p.SignHash(ctx, who, "k", alg, digest[:]))
	pub := providertest.ParseECPoint(t, must(p.ExportPublicKey(ctx, who, "k")))
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	if !ecdsa.Verify(pub, digest[:], r, s) {
		t.Fatal("signature made with a stale cached key")
	}
}
