//go:build cgo && pkcs11

package pkcs11

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"sync"
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

// Go keys, generated once: importing them is faster than generating on
// the token, and Go holds the private half for cross-checks.
var (
	goKeysOnce sync.Once
	goRSA      *rsa.PrivateKey
	goEC       map[uint32]*ecdsa.PrivateKey
)

func goKeys(t testing.TB) (*rsa.PrivateKey, map[uint32]*ecdsa.PrivateKey) {
	t.Helper()
	goKeysOnce.Do(func() {
		var err error
		if goRSA, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		goEC = map[uint32]*ecdsa.PrivateKey{}
		for bits, c := range map[uint32]elliptic.Curve{256: elliptic.P256(), 384: elliptic.P384(), 521: elliptic.P521()} {
			if goEC[bits], err = ecdsa.GenerateKey(c, rand.Reader); err != nil {
				panic(err)
			}
		}
	})
	return goRSA, goEC
}

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
