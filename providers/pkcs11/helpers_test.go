// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build cgo && pkcs11

package pkcs11

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"testing"

	"github.com/parsecd/parsecd/providers/providertest"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/storage"
)

var wantCode = providertest.WantCode

const allUsage = psa.UsageSignHash | psa.UsageVerifyHash | psa.UsageSignMessage | psa.UsageVerifyMessage |
	psa.UsageEncrypt | psa.UsageDecrypt

func signAlg(kind psa.SignKind, h psa.Hash) psa.AsymSign { return psa.AsymSign{Kind: kind, Hash: h} }

func anyHash(kind psa.SignKind) psa.AsymSign { return psa.AsymSign{Kind: kind, AnyHash: true} }

func signAttrs(kind psa.KeyKind, bits uint32, usage psa.UsageFlags, alg psa.AsymSign) psa.KeyAttributes {
	t := psa.KeyType{Kind: kind}
	if kind == psa.KeyEccPair || kind == psa.KeyEccPublic {
		t.EccFamily = psa.EccSecpR1
	}
	return psa.KeyAttributes{Type: t, Bits: bits, Policy: psa.KeyPolicy{Usage: usage, Alg: psa.Algorithm{Kind: psa.AlgAsymSign, Sign: alg}}}
}

func cryptAttrs(kind psa.KeyKind, bits uint32, usage psa.UsageFlags, alg psa.AsymEncrypt) psa.KeyAttributes {
	return psa.KeyAttributes{Type: psa.KeyType{Kind: kind}, Bits: bits,
		Policy: psa.KeyPolicy{Usage: usage, Alg: psa.Algorithm{Kind: psa.AlgAsymEncrypt, Encrypt: alg}}}
}

func oaep(h psa.Hash) psa.AsymEncrypt { return psa.AsymEncrypt{Kind: psa.EncRsaOaep, Hash: h} }

var pkcs1Crypt = psa.AsymEncrypt{Kind: psa.EncRsaPkcs1v15}

var goKeys = providertest.GoKeys

// digestOf hashes msg with h.
func digestOf(t testing.TB, h psa.Hash, msg string) []byte {
	t.Helper()
	ch := hashSpecs[h].crypto
	if !ch.Available() {
		t.Fatalf("%v is not linked", h)
	}
	hh := ch.New()
	hh.Write([]byte(msg))
	return hh.Sum(nil)
}

func cryptoHash(h psa.Hash) crypto.Hash { return hashSpecs[h].crypto }

func rsaDER(k *rsa.PrivateKey) []byte { return x509.MarshalPKCS1PrivateKey(k) }

func storageTriple(providerName, key string) storage.KeyTriple {
	return storage.KeyTriple{Auth: appA.Auth, App: appA.App, Provider: providerName, Key: key}
}
