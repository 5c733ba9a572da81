// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package e2e

// CanDoCrypto answers as the reference Parsec 1.1.0 (Mbed Crypto provider)
// answers every call that its own end-to-end suite makes, through the real
// daemon's software provider. The only deliberate difference: binary (SECT)
// curves, which the reference calls supported although Mbed TLS cannot make
// such keys (docs/compatibility.md).

import (
	"fmt"
	"testing"

	"github.com/parsecd/parsecd/src/client"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

func TestCanDoCryptoAnswersAsTheReference(t *testing.T) {
	t.Parallel()
	d := NewDaemon(t, Options{}).Start()
	c := d.Direct("candocrypto-ref")
	ctx := t.Context()

	ecdsa256 := psa.Algorithm{Kind: psa.AlgAsymSign, Sign: opsSign(psa.SignEcdsa, psa.HashSHA256)}
	rsaSign := psa.Algorithm{Kind: psa.AlgAsymSign, Sign: opsSign(psa.SignRsaPkcs1v15, psa.HashSHA256)}
	none := psa.Algorithm{Kind: psa.AlgNone}
	ecc := func(kind psa.KeyKind, f psa.EccFamily, bits uint32, u psa.UsageFlags, alg psa.Algorithm) psa.KeyAttributes {
		return psa.KeyAttributes{Type: psa.KeyType{Kind: kind, EccFamily: f}, Bits: bits, Policy: psa.KeyPolicy{Usage: u, Alg: alg}}
	}
	rsa := func(bits uint32, u psa.UsageFlags, alg psa.Algorithm) psa.KeyAttributes {
		return psa.KeyAttributes{Type: opsRSAPair, Bits: bits, Policy: psa.KeyPolicy{Usage: u, Alg: alg}}
	}
	const (
		ok  = status.Success
		nos = status.PsaErrorNotSupported
	)
	pair, pub := psa.KeyEccPair, psa.KeyEccPublic
	sign := psa.UsageSignHash
	type call struct {
		check psa.CheckType
		attrs psa.KeyAttributes
		want  status.Code
	}
	calls := []call{
		{client.CheckGenerate, ecc(pair, psa.EccSecpR1, 256, sign, ecdsa256), ok},
		{client.CheckGenerate, ecc(pair, psa.EccSecpR1, 512, sign, ecdsa256), nos},
		{client.CheckGenerate, ecc(pair, psa.EccSecpK1, 512, sign, ecdsa256), nos},
		{client.CheckGenerate, ecc(pair, psa.EccSectK1, 512, sign, ecdsa256), nos},
		{client.CheckGenerate, ecc(pair, psa.EccSectR1, 512, sign, ecdsa256), nos},
		{client.CheckGenerate, ecc(pair, psa.EccBrainpoolPR1, 560, sign, ecdsa256), nos},
		{client.CheckGenerate, ecc(pair, psa.EccFrp, 256, sign, ecdsa256), nos},
		{client.CheckGenerate, ecc(pair, psa.EccMontgomery, 512, sign, ecdsa256), nos},
		{client.CheckGenerate, ecc(pair, psa.EccSecpK1, 256, sign, ecdsa256), ok},
		{client.CheckGenerate, ecc(pair, psa.EccBrainpoolPR1, 256, sign, ecdsa256), ok},
		{client.CheckGenerate, ecc(pair, psa.EccMontgomery, 448, sign, ecdsa256), ok},
		{client.CheckUse, rsa(256, sign, rsaSign), nos},
		{client.CheckUse, rsa(2048, sign, rsaSign), ok},
		{client.CheckUse, ecc(pair, psa.EccSecpR1, 256, sign, ecdsa256), ok},
		{client.CheckUse, ecc(pair, psa.EccSecpR1, 1024, sign, ecdsa256), nos},
		{client.CheckUse, ecc(pair, psa.EccSecpR1, 256, 0, ecdsa256), nos},
		{client.CheckUse, rsa(1024, psa.UsageEncrypt, none), nos},
		{client.CheckUse, rsa(1024, psa.UsageEncrypt, ecdsa256), nos},
		{client.CheckGenerate, ecc(pub, psa.EccSecpR1, 256, psa.UsageEncrypt, ecdsa256), nos},
		{client.CheckGenerate, ecc(pair, psa.EccSecpR1, 256, psa.UsageEncrypt, ecdsa256), ok},
		{client.CheckGenerate, ecc(pair, psa.EccSecpR1, 256, psa.UsageEncrypt, none), ok},
		{client.CheckGenerate, ecc(pair, psa.EccSecpR1, 1024, psa.UsageEncrypt, ecdsa256), nos},
	}
	for _, u := range []psa.UsageFlags{psa.UsageSignHash, psa.UsageSignMessage, psa.UsageVerifyHash, psa.UsageVerifyMessage, psa.UsageDecrypt, psa.UsageEncrypt} {
		calls = append(calls, call{client.CheckUse, ecc(pair, psa.EccSecpR1, 256, u, ecdsa256), ok})
	}
	// The reference says Success for 409-bit binary curves, which Mbed TLS
	// cannot generate; parsecd answers what it can do.
	calls = append(calls,
		call{client.CheckGenerate, ecc(pair, psa.EccSectK1, 409, sign, ecdsa256), nos},
		call{client.CheckGenerate, ecc(pair, psa.EccSectR1, 409, sign, ecdsa256), nos})

	for _, cl := range calls {
		name := fmt.Sprintf("CanDoCrypto(%v, %v %d bits, usage %#x, %v)", cl.check, cl.attrs.Type, cl.attrs.Bits, uint16(cl.attrs.Policy.Usage), cl.attrs.Policy.Alg)
		opsExpect(t, c.CanDoCrypto(ctx, cl.check, cl.attrs), cl.want, name)
	}
	if len(calls) != 30 {
		t.Fatalf("%d calls, want the reference's 30", len(calls))
	}
}

// CanDoCrypto never answers anything but Success, NotPermitted or
// NotSupported for a well-formed template, whatever the template holds.
func TestCanDoCryptoAnswersOnlyThreeStatuses(t *testing.T) {
	t.Parallel()
	d := NewDaemon(t, Options{}).Start()
	c := d.Direct("candocrypto-three")
	ctx := t.Context()
	algs := []psa.Algorithm{
		{Kind: psa.AlgNone},
		{Kind: psa.AlgHash, Hash: psa.HashSHA256},
		{Kind: psa.AlgAsymSign, Sign: opsSign(psa.SignEcdsa, psa.HashSHA1)},
		{Kind: psa.AlgAsymSign, Sign: opsSign(psa.SignRsaPss, psa.HashMD5)},
		{Kind: psa.AlgAsymEncrypt, Encrypt: psa.AsymEncrypt{Kind: psa.EncRsaPkcs1v15}},
		{Kind: psa.AlgAead, Aead: psa.Aead{Alg: psa.AeadGcm, Shortened: true, TagLength: 3}},
		{Kind: psa.AlgMac, Mac: psa.Mac{Kind: psa.MacHmac, Hash: psa.HashSHA256, Truncated: true, Length: 1}},
		{Kind: psa.AlgCipher, Cipher: psa.CipherCbcPkcs7},
		{Kind: psa.AlgKeyAgreement, KeyAgreement: psa.KeyAgreement{Raw: psa.KeyAgreementEcdh}},
	}
	n := 0
	for kind := psa.KeyRawData; kind <= psa.KeyDhPublic; kind++ {
		for _, bits := range []uint32{0, 7, 64, 128, 255, 256, 1024, 2048, 70000} {
			for _, alg := range algs {
				for _, check := range []psa.CheckType{client.CheckUse, client.CheckGenerate, client.CheckImport, client.CheckDerive} {
					fam := psa.EccFamily(0)
					if kind == psa.KeyEccPair || kind == psa.KeyEccPublic {
						fam = psa.EccSecpR1
					}
					a := psa.KeyAttributes{Type: psa.KeyType{Kind: kind, EccFamily: fam}, Bits: bits,
						Policy: psa.KeyPolicy{Usage: psa.UsageSignHash | psa.UsageEncrypt | psa.UsageDerive, Alg: alg}}
					switch code := status.CodeOf(c.CanDoCrypto(ctx, check, a)); code {
					case status.Success, status.PsaErrorNotPermitted, status.PsaErrorNotSupported:
					default:
						t.Errorf("CanDoCrypto(%v, %v %d bits, %v) = %v", check, a.Type, bits, alg, code)
					}
					n++
				}
			}
		}
	}
	t.Logf("%d templates", n)
}
