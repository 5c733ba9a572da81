// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package soft

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
	"github.com/parsecd/parsecd/storage/memory"
	"github.com/parsecd/parsecd/test/testvectors"
)

var (
	bg    = context.Background()
	alice = storage.Client{App: "alice", Auth: parsec.AuthDirect}
	bob   = storage.Client{App: "bob", Auth: parsec.AuthDirect}
)

func newTestProvider(t testing.TB, edit ...func(*provider.Deps)) (*Provider, *memory.Store) {
	t.Helper()
	store := memory.New()
	deps := provider.Deps{Keys: store}
	for _, e := range edit {
		e(&deps)
	}
	p, err := New("", deps)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p, store
}

func wantCode(t testing.TB, err error, want status.Code, what string) {
	t.Helper()
	if want == status.Success {
		if err != nil {
			t.Fatalf("%s: unexpected error: %v", what, err)
		}
		return
	}
	if err == nil {
		t.Fatalf("%s: succeeded, want %v", what, want)
	}
	if !errors.Is(err, want) {
		t.Fatalf("%s: got %v (%v), want %v", what, status.CodeOf(err), err, want)
	}
}

// must returns v, or panics (failing the test with a stack trace) on an
// unexpected error.
func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("unexpected error: %v", err))
	}
	return v
}

func signAlg(kind psa.SignKind, h psa.Hash) psa.AsymSign { return psa.AsymSign{Kind: kind, Hash: h} }

func attrs(kind psa.KeyKind, fam psa.EccFamily, bits uint32, usage psa.UsageFlags, alg psa.Algorithm) psa.KeyAttributes {
	return psa.KeyAttributes{
		Type:   psa.KeyType{Kind: kind, EccFamily: fam},
		Bits:   bits,
		Policy: psa.KeyPolicy{Usage: usage, Alg: alg},
	}
}

func signPolicy(s psa.AsymSign) psa.Algorithm { return psa.Algorithm{Kind: psa.AlgAsymSign, Sign: s} }

func cryptPolicy(e psa.AsymEncrypt) psa.Algorithm {
	return psa.Algorithm{Kind: psa.AlgAsymEncrypt, Encrypt: e}
}

const allSign = psa.UsageSignHash | psa.UsageVerifyHash | psa.UsageSignMessage | psa.UsageVerifyMessage

func eccPair(bits uint32, usage psa.UsageFlags, s psa.AsymSign) psa.KeyAttributes {
	return attrs(psa.KeyEccPair, psa.EccSecpR1, bits, usage, signPolicy(s))
}

func rsaPair(bits uint32, usage psa.UsageFlags, alg psa.Algorithm) psa.KeyAttributes {
	return attrs(psa.KeyRsaPair, 0, bits, usage, alg)
}

// testRSAKey is one RSA 2048 key shared by the tests that import it
// (generation is slow; import is cheap).
var testRSAKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// importRSA imports testRSAKey (pair) under name with the given policy.
func importRSA(t testing.TB, p *Provider, c storage.Client, name string, usage psa.UsageFlags, alg psa.Algorithm) *rsa.PrivateKey {
	t.Helper()
	k := testRSAKey()
	a := rsaPair(0, usage, alg)
	wantCode(t, p.ImportKey(bg, c, name, a, x509.MarshalPKCS1PrivateKey(k)), status.Success, "ImportKey RSA pair")
	return k
}

// importECC imports a fresh key pair on the curve of bits under name.
func importECC(t testing.TB, p *Provider, c storage.Client, name string, bits uint32, usage psa.UsageFlags, s psa.AsymSign) *ecdsa.PrivateKey {
	t.Helper()
	k := must(ecdsa.GenerateKey(curveOf(bits), rand.Reader))
	wantCode(t, p.ImportKey(bg, c, name, eccPair(bits, usage, s), must(k.Bytes())), status.Success, "ImportKey ECC pair")
	return k
}

// randomCurveKey builds a fresh parsed key pair on a curve of the table.
func randomCurveKey(t testing.TB, f psa.EccFamily, bits uint32, usage psa.UsageFlags, policy psa.Algorithm) *key {
	t.Helper()
	c := findCurve(f, bits)
	if c == nil {
		t.Fatalf("no %v %d-bit curve in the curve table", f, bits)
	}
	return curveKey(t, f, bits, must(c.newPrivate()), usage, policy)
}

var randReader = rand.Reader

func memoryStore() *memory.Store { return memory.New() }

// curveOf returns the NIST P curve of a secp R1 size.
func curveOf(bits uint32) elliptic.Curve { return findCurve(psa.EccSecpR1, bits).weierstrass() }

// curveKey builds a parsed ECC key pair, as load returns it, from its PSA
// private key format.
func curveKey(t testing.TB, f psa.EccFamily, bits uint32, priv []byte, usage psa.UsageFlags, policy psa.Algorithm) *key {
	t.Helper()
	k := &key{attrs: attrs(psa.KeyEccPair, f, bits, usage, policy)}
	if err := findCurve(f, bits).decode(k, false, priv); err != nil {
		t.Fatalf("%v %d private key: %v", f, bits, err)
	}
	return k
}

// vectorsDir is the repository's golden vectors directory.
func vectorsDir(t testing.TB) string { return testvectors.Dir(t) }

func flipBit(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x80
	return c
}
