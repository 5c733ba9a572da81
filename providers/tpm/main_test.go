// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package tpm

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/parsecd/parsecd/providers/providertest"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/storage"
	"github.com/parsecd/parsecd/storage/memory"
)

// sharedTCTI is the TPM most tests use: PARSEC_TEST_TCTI (make test-tpm)
// or a swtpm TestMain starts for the package.
var sharedTCTI string

func TestMain(m *testing.M) {
	sharedTCTI = os.Getenv("PARSEC_TEST_TCTI")
	var stop func(bool) error
	if sharedTCTI == "" {
		env, s, err := launchSwtpm()
		if err != nil {
			fmt.Fprintf(os.Stderr, "providers/tpm: %v (install swtpm: test/scripts/deps.sh)\n", err)
			os.Exit(1)
		}
		sharedTCTI, stop = env["PARSEC_TEST_TCTI"], s
	}
	code := m.Run()
	if stop != nil {
		if err := stop(false); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	os.Exit(code)
}

var (
	wantCode = providertest.WantCode
	appA     = storage.Client{App: "tpm-test-a", Auth: parsec.AuthDirect}
	appB     = storage.Client{App: "tpm-test-b", Auth: parsec.AuthDirect}
)

// newTestProvider opens a provider on tcti ("" = the shared TPM) with the
// given store (nil = a fresh memory store) and closes it when the test ends.
func newTestProvider(t testing.TB, tcti string, store storage.KeyStore) *Provider {
	t.Helper()
	if tcti == "" {
		tcti = sharedTCTI
	}
	if store == nil {
		store = memory.New()
	}
	tc, err := ParseTCTI(tcti)
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(context.Background(), Options{TCTI: tc}, provider.Deps{Keys: store})
	if err != nil {
		t.Fatalf("New(%s): %v", tcti, err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

const allUsage = psa.UsageSignHash | psa.UsageVerifyHash | psa.UsageEncrypt | psa.UsageDecrypt | psa.UsageExport

func signAlg(kind psa.SignKind, h psa.Hash) psa.AsymSign { return psa.AsymSign{Kind: kind, Hash: h} }

func keyType(kind psa.KeyKind) psa.KeyType {
	t := psa.KeyType{Kind: kind}
	if kind == psa.KeyEccPair || kind == psa.KeyEccPublic {
		t.EccFamily = psa.EccSecpR1
	}
	return t
}

func signAttrs(kind psa.KeyKind, bits uint32, usage psa.UsageFlags, alg psa.AsymSign) psa.KeyAttributes {
	return psa.KeyAttributes{Type: keyType(kind), Bits: bits, Policy: psa.KeyPolicy{Usage: usage, Alg: psa.Algorithm{Kind: psa.AlgAsymSign, Sign: alg}}}
}

func cryptAttrs(kind psa.KeyKind, bits uint32, usage psa.UsageFlags, alg psa.AsymEncrypt) psa.KeyAttributes {
	return psa.KeyAttributes{Type: keyType(kind), Bits: bits, Policy: psa.KeyPolicy{Usage: usage, Alg: psa.Algorithm{Kind: psa.AlgAsymEncrypt, Encrypt: alg}}}
}

func oaep(h psa.Hash) psa.AsymEncrypt { return psa.AsymEncrypt{Kind: psa.EncRsaOaep, Hash: h} }

var pkcs1Crypt = psa.AsymEncrypt{Kind: psa.EncRsaPkcs1v15}

func TestConformance(t *testing.T) {
	providertest.Run(t, func(t *testing.T) provider.Provider { return newTestProvider(t, "", nil) }, appA, appB)
}
