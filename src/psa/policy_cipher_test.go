// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package psa

import (
	"errors"
	"testing"

	"github.com/parsecd/parsecd/src/status"
)

func TestCheckCipher(t *testing.T) {
	key := func(c Cipher, usage UsageFlags) KeyAttributes {
		return KeyAttributes{Type: KeyType{Kind: KeyAes}, Bits: 128,
			Policy: KeyPolicy{Usage: usage, Alg: Algorithm{Kind: AlgCipher, Cipher: c}}}
	}
	tests := []struct {
		name  string
		key   KeyAttributes
		usage UsageFlags
		alg   Cipher
		want  error
	}{
		{"encrypt", key(CipherCbcPkcs7, UsageEncrypt), UsageEncrypt, CipherCbcPkcs7, nil},
		{"decrypt", key(CipherCtr, UsageDecrypt), UsageDecrypt, CipherCtr, nil},
		{"no usage", key(CipherCtr, UsageDecrypt), UsageEncrypt, CipherCtr, status.PsaErrorNotPermitted},
		{"other mode", key(CipherCbcNoPadding, UsageEncrypt), UsageEncrypt, CipherCbcPkcs7, status.PsaErrorNotPermitted},
		{"aead policy", KeyAttributes{Type: KeyType{Kind: KeyAes}, Bits: 128,
			Policy: KeyPolicy{Usage: UsageEncrypt, Alg: Algorithm{Kind: AlgAead, Aead: Aead{Alg: AeadGcm}}}}, UsageEncrypt, CipherCtr, status.PsaErrorNotPermitted},
		{"none", key(CipherCtr, UsageEncrypt), UsageEncrypt, 0, status.PsaErrorInvalidArgument},
		{"unknown", key(CipherCtr, UsageEncrypt), UsageEncrypt, 9, status.PsaErrorInvalidArgument},
	}
	for _, tt := range tests {
		err := CheckCipher(tt.key, tt.usage, tt.alg)
		if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
	if CipherCbcPkcs7.String() != "CbcPkcs7" || Cipher(0).String() != "Cipher(0)" || CipherStream.String() != "StreamCipher" {
		t.Error("Cipher.String")
	}
}
