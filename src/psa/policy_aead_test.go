// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package psa

import (
	"errors"
	"testing"

	"github.com/parsecd/parsecd/src/status"
)

func aeadKey(policy Aead, usage UsageFlags) KeyAttributes {
	return KeyAttributes{
		Type:   KeyType{Kind: KeyAes},
		Bits:   128,
		Policy: KeyPolicy{Usage: usage, Alg: Algorithm{Kind: AlgAead, Aead: policy}},
	}
}

func TestCheckAead(t *testing.T) {
	gcm := Aead{Alg: AeadGcm}
	ccm := Aead{Alg: AeadCcm}
	short := func(a AeadAlg, n uint32) Aead { return Aead{Alg: a, Shortened: true, TagLength: n} }
	both := UsageEncrypt | UsageDecrypt
	tests := []struct {
		name   string
		key    KeyAttributes
		usage  UsageFlags
		alg    Aead
		want   error
		wantOK bool
	}{
		{"default tag", aeadKey(gcm, both), UsageEncrypt, gcm, nil, true},
		{"decrypt", aeadKey(gcm, UsageDecrypt), UsageDecrypt, gcm, nil, true},
		{"shortened tag exact", aeadKey(short(AeadCcm, 8), both), UsageDecrypt, short(AeadCcm, 8), nil, true},
		{"shortened 16 is the default", aeadKey(gcm, both), UsageEncrypt, short(AeadGcm, 16), nil, true},
		{"default is shortened 16", aeadKey(short(AeadGcm, 16), both), UsageEncrypt, gcm, nil, true},
		{"full policy refuses a short tag", aeadKey(gcm, both), UsageEncrypt, short(AeadGcm, 12), status.PsaErrorNotPermitted, false},
		{"short policy refuses the full tag", aeadKey(short(AeadGcm, 12), both), UsageEncrypt, gcm, status.PsaErrorNotPermitted, false},
		{"short policy refuses another length", aeadKey(short(AeadCcm, 8), both), UsageEncrypt, short(AeadCcm, 10), status.PsaErrorNotPermitted, false},
		{"other base algorithm", aeadKey(gcm, both), UsageEncrypt, ccm, status.PsaErrorNotPermitted, false},
		{"no encrypt usage", aeadKey(gcm, UsageDecrypt), UsageEncrypt, gcm, status.PsaErrorNotPermitted, false},
		{"no decrypt usage", aeadKey(gcm, UsageEncrypt), UsageDecrypt, gcm, status.PsaErrorNotPermitted, false},
		{"cipher policy", KeyAttributes{Type: KeyType{Kind: KeyAes}, Bits: 128,
			Policy: KeyPolicy{Usage: both, Alg: Algorithm{Kind: AlgCipher, Cipher: CipherCtr}}}, UsageEncrypt, gcm, status.PsaErrorNotPermitted, false},
		{"not an AEAD", aeadKey(gcm, both), UsageEncrypt, Aead{}, status.PsaErrorInvalidArgument, false},
		{"unknown AEAD", aeadKey(gcm, both), UsageEncrypt, Aead{Alg: 4}, status.PsaErrorInvalidArgument, false},
	}
	for _, tt := range tests {
		err := CheckAead(tt.key, tt.usage, tt.alg)
		if tt.wantOK != (err == nil) || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestAeadStrings(t *testing.T) {
	for a, want := range map[Aead]string{
		{Alg: AeadGcm}: "Gcm",
		{Alg: AeadCcm, Shortened: true, TagLength: 8}: "AeadWithShortenedTag{ aead_alg: Ccm, tag_length: 8 }",
		{Alg: AeadChacha20Poly1305}:                   "Chacha20Poly1305",
		{Alg: 9}:                                      "AeadAlg(9)",
	} {
		if got := a.String(); got != want {
			t.Errorf("%#v.String() = %q, want %q", a, got, want)
		}
	}
	if (Aead{Alg: AeadCcm}).TagLen() != 16 || (Aead{Alg: AeadCcm, Shortened: true, TagLength: 4}).TagLen() != 4 {
		t.Error("TagLen")
	}
}
