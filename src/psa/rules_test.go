// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package psa

import (
	"errors"
	"testing"

	"github.com/parsecd/parsecd/src/status"
)

func TestParameterRules(t *testing.T) {
	bad := func(err error) bool { return errors.Is(err, status.PsaErrorInvalidArgument) }
	for _, c := range []struct {
		a    Aead
		fail bool
	}{
		{Aead{Alg: AeadGcm}, false},
		{Aead{Alg: AeadGcm, Shortened: true, TagLength: 8}, false},
		{Aead{Alg: AeadGcm, Shortened: true, TagLength: 10}, true},
		{Aead{Alg: AeadCcm, Shortened: true, TagLength: 6}, false},
		{Aead{Alg: AeadCcm, Shortened: true, TagLength: 7}, true},
		{Aead{Alg: AeadChacha20Poly1305, Shortened: true, TagLength: 12}, true},
	} {
		if got := bad(c.a.CheckTagLength()); got != c.fail {
			t.Errorf("%+v: refused = %v", c.a, got)
		}
	}
	hmac := Mac{Kind: MacHmac, Hash: HashSHA256}
	if hmac.FullLength() != 32 || (Mac{Kind: MacCmac}).FullLength() != 16 {
		t.Error("full MAC lengths")
	}
	for n, fail := range map[uint32]bool{3: true, 4: false, 32: false, 33: true} {
		m := hmac
		m.Truncated, m.Length = true, n
		if got := bad(m.CheckTruncation()); got != fail {
			t.Errorf("HMAC truncated to %d: refused = %v", n, got)
		}
	}
	if !bad(CheckEncryptSalt(AsymEncrypt{Kind: EncRsaPkcs1v15}, []byte("x"))) ||
		CheckEncryptSalt(AsymEncrypt{Kind: EncRsaOaep, Hash: HashSHA256}, []byte("label")) != nil ||
		!errors.Is(CheckEncryptSalt(AsymEncrypt{}, nil), status.PsaErrorNotSupported) {
		t.Error("asymmetric encryption salt rules")
	}
}
