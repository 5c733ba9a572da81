// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build cgo && pkcs11

package pkcs11

import (
	"bytes"
	"context"
	"encoding/asn1"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage/memory"
)

// TestECPoint: CKA_EC_POINT as a DER OCTET STRING (PKCS#11) or as the raw
// point (Parsec#599), told apart by length even when the raw point looks
// like DER.
func TestECPoint(t *testing.T) {
	point, _ := goKeysPoint(t, 256)
	der, _ := asn1.Marshal(point)
	if got := ecPoint(der, 65); !bytes.Equal(got, point) {
		t.Error("DER OCTET STRING not unwrapped")
	}
	if got := ecPoint(point, 65); !bytes.Equal(got, point) {
		t.Error("raw point changed")
	}
	// 0x04 0x3F …: a raw point that parses as a 63-byte OCTET STRING
	// followed by one byte, or with 64 bytes as a full one.
	tricky := append([]byte{0x04, 0x3F}, bytes.Repeat([]byte{0xAA}, 63)...)
	if got := ecPoint(tricky, 65); !bytes.Equal(got, tricky) {
		t.Error("a raw point that looks like DER was unwrapped")
	}
	p521, _ := goKeysPoint(t, 521)
	der521, _ := asn1.Marshal(p521)
	if got := ecPoint(der521, 133); !bytes.Equal(got, p521) {
		t.Error("P-521 DER (long form length) not unwrapped")
	}
}

func TestRawECDSA(t *testing.T) {
	rs := make([]byte, 64)
	rs[31], rs[63] = 1, 2
	if got, err := rawECDSA(rs, 32); err != nil || !bytes.Equal(got, rs) {
		t.Fatalf("r‖s changed: %v", err)
	}
	der, _ := asn1.Marshal(struct{ R, S *big.Int }{big.NewInt(1), big.NewInt(2)})
	if got, err := rawECDSA(der, 32); err != nil || !bytes.Equal(got, rs) {
		t.Fatalf("DER not converted: %x %v", got, err)
	}
	if _, err := rawECDSA([]byte{1, 2, 3}, 32); status.CodeOf(err) != status.PsaErrorGenericError {
		t.Fatalf("garbage: %v", err)
	}
}

// TestSessionWait: with every session busy, an operation waits, and gives
// up with its context; one that waits gets the session given back.
func TestSessionWait(t *testing.T) {
	o := testOptions()
	o.SessionPoolSize = 1
	p := newTestProvider(t, o, nil)
	h, err := p.pool.get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = p.GenerateRandom(ctx, 8)
	wantCode(t, err, status.PsaErrorCommunicationFailure, "GenerateRandom with no free session")
	// The session is given back only once the operation is known to
	// wait for it (not after a sleep, which a slow machine could outlast
	// before the operation even asks, so that it would find the session
	// idle and the test would pass without anything having waited).
	wctx := &waitingCtx{Context: context.Background(), waiting: make(chan struct{})}
	done := make(chan error, 1)
	go func() { _, err := p.GenerateRandom(wctx, 8); done <- err }()
	select {
	case <-wctx.waiting:
	case err := <-done:
		t.Fatalf("GenerateRandom returned (%v) while the only session was taken", err)
	}
	p.pool.put(h)
	if err := <-done; err != nil {
		t.Fatalf("a waiting operation failed: %v", err)
	}
}

// waitingCtx closes waiting when Done is first asked for: the pool asks
// only once no session is idle, when it starts to wait (its fast path
// takes an idle session without looking at the context).
type waitingCtx struct {
	context.Context
	once    sync.Once
	waiting chan struct{}
}

func (c *waitingCtx) Done() <-chan struct{} {
	c.once.Do(func() { close(c.waiting) })
	return c.Context.Done()
}

func TestSignInputTooLong(t *testing.T) {
	ctx := context.Background()
	p := newTestProvider(t, testOptions(), nil)
	goRSA, _ := goKeys(t)
	raw := psa.AsymSign{Kind: psa.SignRsaPkcs1v15Raw}
	wantCode(t, p.ImportKey(ctx, appA, "raw", signAttrs(psa.KeyRsaPair, 0, allUsage, raw), rsaDER(goRSA)), status.Success, "ImportKey")
	_, err := p.SignHash(ctx, appA, "raw", raw, make([]byte, 256-11))
	wantCode(t, err, status.Success, "SignHash with the longest raw input")
	_, err = p.SignHash(ctx, appA, "raw", raw, make([]byte, 256-10))
	wantCode(t, err, status.PsaErrorInvalidArgument, "SignHash with a raw input too long")
}

// TestReconcileWithoutPIN: orphans cannot be seen without a login, so the
// reservations stay for a later start, which settles them.
func TestReconcileWithoutPIN(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	o := testOptions()
	o.HasPIN, o.PIN = false, ""
	k := storageTriple(o.Name, "pending")
	if err := store.Reserve(ctx, k); err != nil {
		t.Fatal(err)
	}
	q, err := New(ctx, o, depsOn(store))
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, q.Reconcile(ctx), status.Success, "Reconcile without a PIN")
	q.Close()
	if pending, _ := store.Pending(ctx, o.Name); len(pending) != 1 {
		t.Fatalf("reservations after Reconcile without a PIN: %v", pending)
	}
	p := newTestProvider(t, testOptions(), store)
	wantCode(t, p.Reconcile(ctx), status.Success, "Reconcile with a PIN")
	if pending, _ := store.Pending(ctx, o.Name); len(pending) != 0 {
		t.Fatalf("reservations left: %v", pending)
	}
}
