// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package psa

import (
	"errors"
	"testing"

	"github.com/parsecd/parsecd/src/status"
)

// Use.Check runs the policy check of its kind, then the key-pair rule of
// the uses that need the private key, in that order.
func TestUseCheck(t *testing.T) {
	ecdsa := AsymSign{Kind: SignEcdsa, Hash: HashSHA256}
	pair := eccSignKey(ecdsa, UsageSignHash|UsageVerifyHash)
	public := pair
	public.Type = public.Type.PublicOf()
	rsaPair := KeyAttributes{Type: KeyType{Kind: KeyRsaPair}, Bits: 2048,
		Policy: KeyPolicy{Usage: UsageEncrypt | UsageDecrypt, Alg: Algorithm{Kind: AlgAsymEncrypt, Encrypt: AsymEncrypt{Kind: EncRsaPkcs1v15}}}}
	rsaPublic := rsaPair
	rsaPublic.Type = rsaPublic.Type.PublicOf()
	ecdh := KeyAttributes{Type: KeyType{Kind: KeyEccPair, EccFamily: EccSecpR1}, Bits: 256,
		Policy: KeyPolicy{Usage: UsageDerive, Alg: Algorithm{Kind: AlgKeyAgreement, KeyAgreement: KeyAgreement{Raw: KeyAgreementEcdh}}}}
	ecdhPublic := ecdh
	ecdhPublic.Type = ecdhPublic.Type.PublicOf()
	pkcs1 := AsymEncrypt{Kind: EncRsaPkcs1v15}
	for _, tc := range []struct {
		name   string
		use    Use
		key    KeyAttributes
		want   error
		public bool
	}{
		{"sign with a pair", UseSign(UsageSignHash, ecdsa, 32), pair, nil, false},
		{"sign with a public key", UseSign(UsageSignHash, ecdsa, 32), public, status.PsaErrorInvalidArgument, false},
		// The policy check comes first: a use the policy refuses is
		// NotPermitted whatever the key.
		{"sign not permitted, public key", UseSign(UsageSignMessage, ecdsa, -1), public, status.PsaErrorNotPermitted, false},
		{"verify with a public key", UseSign(UsageVerifyHash, ecdsa, 32), public, nil, true},
		{"verify: hash length", UseSign(UsageVerifyHash, ecdsa, 31), public, status.PsaErrorInvalidArgument, true},
		{"encrypt with a public key", UseEncrypt(pkcs1, nil, []byte("x")), rsaPublic, nil, true},
		{"encrypt nothing", UseEncrypt(pkcs1, nil, nil), rsaPublic, status.PsaErrorInvalidArgument, true},
		{"decrypt with a public key", UseDecrypt(pkcs1, nil, make([]byte, 256)), rsaPublic, status.PsaErrorInvalidArgument, false},
		{"decrypt: ciphertext length", UseDecrypt(pkcs1, nil, make([]byte, 255)), rsaPair, status.PsaErrorInvalidArgument, false},
		{"decrypt", UseDecrypt(pkcs1, nil, make([]byte, 256)), rsaPair, nil, false},
		{"agreement", UseAgreement(KeyAgreementEcdh), ecdh, nil, false},
		{"agreement with a public key", UseAgreement(KeyAgreementEcdh), ecdhPublic, status.PsaErrorInvalidArgument, false},
		{"agreement not permitted", UseAgreement(KeyAgreementFfdh), ecdh, status.PsaErrorNotPermitted, false},
		{"cipher against a sign policy", UseCipher(UsageEncrypt, CipherCbcNoPadding), pair, status.PsaErrorNotPermitted, false},
		{"mac against a sign policy", UseMac(UsageSignMessage, Mac{Kind: MacHmac, Hash: HashSHA256}), pair, status.PsaErrorNotPermitted, false},
	} {
		err := tc.use.Check(tc.key)
		if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
		if tc.use.Public() != tc.public {
			t.Errorf("%s: Public() = %v", tc.name, tc.use.Public())
		}
	}
}
