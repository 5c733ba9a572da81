// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package psa

import (
	"errors"
	"testing"

	"github.com/parsecd/parsecd/src/status"
)

func eccSignKey(policy AsymSign, usage UsageFlags) KeyAttributes {
	return KeyAttributes{
		Type:   KeyType{Kind: KeyEccPair, EccFamily: EccSecpR1},
		Bits:   256,
		Policy: KeyPolicy{Usage: usage, Alg: Algorithm{Kind: AlgAsymSign, Sign: policy}},
	}
}

func TestCheckSign(t *testing.T) {
	ecdsa256 := AsymSign{Kind: SignEcdsa, Hash: HashSHA256}
	anyEcdsa := AsymSign{Kind: SignEcdsa, AnyHash: true}
	rsa := AsymSign{Kind: SignRsaPkcs1v15, Hash: HashSHA256}
	tests := []struct {
		name    string
		key     KeyAttributes
		alg     AsymSign
		hashLen int
		want    error
	}{
		{"exact", eccSignKey(ecdsa256, UsageSignHash), ecdsa256, 32, nil},
		{"wildcard policy", eccSignKey(anyEcdsa, UsageSignHash), AsymSign{Kind: SignEcdsa, Hash: HashSHA384}, 48, nil},
		{"no usage", eccSignKey(ecdsa256, UsageVerifyHash), ecdsa256, 32, status.PsaErrorNotPermitted},
		{"other hash", eccSignKey(ecdsa256, UsageSignHash), AsymSign{Kind: SignEcdsa, Hash: HashSHA384}, 48, status.PsaErrorNotPermitted},
		{"other variant", eccSignKey(ecdsa256, UsageSignHash), AsymSign{Kind: SignDetEcdsa, Hash: HashSHA256}, 32, status.PsaErrorNotPermitted},
		{"rsa alg on ecc key", eccSignKey(rsa, UsageSignHash), rsa, 32, status.PsaErrorNotPermitted},
		{"bad hash length", eccSignKey(ecdsa256, UsageSignHash), ecdsa256, 31, status.PsaErrorInvalidArgument},
		{"wildcard request", eccSignKey(anyEcdsa, UsageSignHash), anyEcdsa, 32, status.PsaErrorInvalidArgument},
		{"message skips length", eccSignKey(ecdsa256, UsageSignMessage), ecdsa256, -1, nil},
	}
	for _, tt := range tests {
		err := CheckSign(tt.key, usageFor(tt.name), tt.alg, tt.hashLen)
		if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
}

func usageFor(name string) UsageFlags {
	if name == "message skips length" {
		return UsageSignMessage
	}
	return UsageSignHash
}

func TestCheckEncrypt(t *testing.T) {
	oaep := AsymEncrypt{Kind: EncRsaOaep, Hash: HashSHA256}
	key := KeyAttributes{Type: KeyType{Kind: KeyRsaPair}, Bits: 2048,
		Policy: KeyPolicy{Usage: UsageEncrypt | UsageDecrypt, Alg: Algorithm{Kind: AlgAsymEncrypt, Encrypt: oaep}}}
	if err := CheckEncrypt(key, UsageDecrypt, oaep, nil); err != nil {
		t.Fatal(err)
	}
	if err := CheckEncrypt(key, UsageDecrypt, AsymEncrypt{Kind: EncRsaPkcs1v15}, nil); !errors.Is(err, status.PsaErrorNotPermitted) {
		t.Fatalf("other padding: %v", err)
	}
	key.Policy.Usage = UsageEncrypt
	if err := CheckEncrypt(key, UsageDecrypt, oaep, nil); !errors.Is(err, status.PsaErrorNotPermitted) {
		t.Fatalf("no decrypt usage: %v", err)
	}
}

func TestDeprecated(t *testing.T) {
	k := eccSignKey(AsymSign{Kind: SignEcdsa, Hash: HashSHA1}, UsageSignHash)
	if !k.Deprecated() {
		t.Error("SHA-1 policy not deprecated")
	}
	k = eccSignKey(AsymSign{Kind: SignEcdsa, Hash: HashSHA256}, UsageSignHash)
	if k.Deprecated() {
		t.Error("SHA-256 ECDSA reported deprecated")
	}
	if !(KeyAttributes{Type: KeyType{Kind: KeyDes}}).Deprecated() {
		t.Error("DES not deprecated")
	}
}
