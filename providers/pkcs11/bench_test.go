// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build cgo && pkcs11

package pkcs11

import (
	"context"
	"testing"

	"github.com/miekg/pkcs11"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

// BenchmarkSignHash is the provider's ECDSA P-256 SignHash in process
// (store lookup, checks, session, cached object handle, C_SignInit, C_Sign);
// BenchmarkSignDirect is the C_SignInit + C_Sign alone on the same object.
func BenchmarkSignHash(b *testing.B) {
	ctx := context.Background()
	p := newTestProvider(b, testOptions(), nil)
	wantCode(b, p.GenerateKey(ctx, appA, "bench", signAttrs(psa.KeyEccPair, 256, allUsage, ecdsa256())), status.Success, "GenerateKey")
	d := digestOf(b, psa.HashSHA256, "m")
	b.ResetTimer()
	for b.Loop() {
		if _, err := p.SignHash(ctx, appA, "bench", ecdsa256(), d); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSignDirect(b *testing.B) {
	ctx := context.Background()
	p := newTestProvider(b, testOptions(), nil)
	wantCode(b, p.GenerateKey(ctx, appA, "bench", signAttrs(psa.KeyEccPair, 256, allUsage, ecdsa256())), status.Success, "GenerateKey")
	k, err := p.load(ctx, appA, "bench")
	if err != nil {
		b.Fatal(err)
	}
	d := digestOf(b, psa.HashSHA256, "m")
	mech := []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_ECDSA, nil)}
	err = p.pool.do(ctx, func(h pkcs11.SessionHandle) error {
		obj, _, err := p.findKey(h, k.id, pkcs11.CKO_PRIVATE_KEY)
		if err != nil {
			return err
		}
		for b.Loop() {
			if err := p.mod.ctx.SignInit(h, mech, obj); err != nil {
				return err
			}
			if _, err := p.mod.ctx.Sign(h, d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}
