// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package psa

import (
	"errors"
	"testing"

	"github.com/parsecd/parsecd/src/interface/pbwire"

	attr "github.com/parsecd/parsecd/src/interface/ops/psakeyattributes"
	"github.com/parsecd/parsecd/src/status"
)

func richAttributes() []KeyAttributes {
	sign := func(k SignKind, h Hash, any bool) KeyAttributes {
		return KeyAttributes{Type: KeyType{Kind: KeyEccPair, EccFamily: EccSecpR1}, Bits: 256,
			Policy: KeyPolicy{Usage: UsageSignHash | UsageVerifyHash | UsageSignMessage | UsageVerifyMessage, Alg: Algorithm{Kind: AlgAsymSign, Sign: AsymSign{Kind: k, Hash: h, AnyHash: any}}}}
	}
	return []KeyAttributes{
		sign(SignEcdsa, HashSHA256, false),
		sign(SignRsaPss, 0, true),
		sign(SignRsaPkcs1v15Raw, 0, false),
		sign(SignEcdsaAny, 0, false),
		{Type: KeyType{Kind: KeyRsaPair}, Bits: 2048, Policy: KeyPolicy{Usage: UsageEncrypt | UsageDecrypt | UsageExport,
			Alg: Algorithm{Kind: AlgAsymEncrypt, Encrypt: AsymEncrypt{Kind: EncRsaOaep, Hash: HashSHA384}}}},
		{Type: KeyType{Kind: KeyAes}, Bits: 128, Policy: KeyPolicy{Usage: UsageEncrypt,
			Alg: Algorithm{Kind: AlgAead, Aead: Aead{Alg: AeadCcm, Shortened: true, TagLength: 8}}}},
		{Type: KeyType{Kind: KeyAes}, Bits: 256, Policy: KeyPolicy{Usage: UsageEncrypt, Alg: Algorithm{Kind: AlgCipher, Cipher: CipherCbcPkcs7}}},
		{Type: KeyType{Kind: KeyHmac}, Bits: 256, Policy: KeyPolicy{Usage: UsageSignMessage,
			Alg: Algorithm{Kind: AlgMac, Mac: Mac{Kind: MacHmac, Hash: HashSHA3_256, Truncated: true, Length: 16}}}},
		{Type: KeyType{Kind: KeyEccPair, EccFamily: EccMontgomery}, Bits: 255, Policy: KeyPolicy{Usage: UsageDerive,
			Alg: Algorithm{Kind: AlgKeyAgreement, KeyAgreement: KeyAgreement{Raw: KeyAgreementEcdh, HasKdf: true, Kdf: KeyDerivation{Kind: KdfHkdf, Hash: HashSHA256}}}}},
		{Type: KeyType{Kind: KeyDerive}, Bits: 128, Policy: KeyPolicy{Usage: UsageDerive, Alg: Algorithm{Kind: AlgKeyDerivation, Kdf: KeyDerivation{Kind: KdfTls12Prf, Hash: HashSHA384}}}},
		{Type: KeyType{Kind: KeyRawData}, Bits: 64, Policy: KeyPolicy{Alg: Algorithm{Kind: AlgNone}}},
		{Type: KeyType{Kind: KeyDhPair}, Bits: 2048, Policy: KeyPolicy{Alg: Algorithm{Kind: AlgHash, Hash: HashSHA512}}},
	}
}

func TestAttributesRoundTrip(t *testing.T) {
	for _, a := range richAttributes() {
		got, err := AttributesFromProto(AttributesToProto(a))
		if err != nil {
			t.Fatalf("%v: %v", a.Type, err)
		}
		if got != a {
			t.Errorf("round trip changed\n%+v\ninto\n%+v", a, got)
		}
	}
}

func TestAttributesFromProtoRejectsInvalid(t *testing.T) {
	tests := map[string]*attr.KeyAttributes{
		"nil":            nil,
		"no type":        {KeyPolicy: AttributesToProto(richAttributes()[0]).KeyPolicy},
		"no policy":      {KeyType: KeyTypeToProto(KeyType{Kind: KeyAes})},
		"empty type":     {KeyType: &attr.KeyType{}, KeyPolicy: AttributesToProto(richAttributes()[0]).KeyPolicy},
		"curve none":     {KeyType: KeyTypeToProto(KeyType{Kind: KeyEccPair}), KeyPolicy: AttributesToProto(richAttributes()[0]).KeyPolicy},
		"curve unknown":  {KeyType: KeyTypeToProto(KeyType{Kind: KeyEccPair, EccFamily: 42}), KeyPolicy: AttributesToProto(richAttributes()[0]).KeyPolicy},
		"empty alg":      {KeyType: KeyTypeToProto(KeyType{Kind: KeyAes}), KeyPolicy: &attr.KeyPolicy{KeyUsageFlags: &attr.UsageFlags{}, KeyAlgorithm: AlgorithmToProto(Algorithm{})}},
		"hash none":      {KeyType: KeyTypeToProto(KeyType{Kind: KeyAes}), KeyPolicy: &attr.KeyPolicy{KeyUsageFlags: &attr.UsageFlags{}, KeyAlgorithm: AlgorithmToProto(Algorithm{Kind: AlgHash})}},
		"no usage flags": {KeyType: KeyTypeToProto(KeyType{Kind: KeyAes}), KeyPolicy: &attr.KeyPolicy{KeyAlgorithm: AlgorithmToProto(Algorithm{Kind: AlgNone})}},
	}
	for name, m := range tests {
		if _, err := AttributesFromProto(m); !errors.Is(err, status.InvalidEncoding) {
			t.Errorf("%s: err = %v, want InvalidEncoding", name, err)
		}
	}
}

// FuzzConvert: any bytes that decode as KeyAttributes either convert, and
// then survive a round trip unchanged, or are refused with InvalidEncoding.
func FuzzConvert(f *testing.F) {
	for _, a := range richAttributes() {
		b, err := pbwire.Marshal(AttributesToProto(a))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var m attr.KeyAttributes
		if pbwire.Unmarshal(data, &m) != nil {
			return
		}
		a, err := AttributesFromProto(&m)
		if err != nil {
			if !errors.Is(err, status.InvalidEncoding) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		back, err := AttributesFromProto(AttributesToProto(a))
		if err != nil || back != a {
			t.Fatalf("round trip: %+v -> %+v, %v", a, back, err)
		}
	})
}
