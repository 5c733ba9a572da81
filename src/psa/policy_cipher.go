// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package psa

import (
	"strconv"

	"github.com/parsecd/parsecd/src/status"
)

var cipherNames = [...]string{"?", "StreamCipher", "Ctr", "Cfb", "Ofb", "Xts", "EcbNoPadding", "CbcNoPadding", "CbcPkcs7"}

// Valid reports whether c names a cipher mode.
func (c Cipher) Valid() bool { return c >= CipherStream && c <= lastCipher }

func (c Cipher) String() string {
	if c.Valid() {
		return cipherNames[c]
	}
	return "Cipher(" + strconv.Itoa(int(c)) + ")"
}

// CheckCipher decides whether key a may encrypt or decrypt (usage says
// which: UsageEncrypt or UsageDecrypt) with the unauthenticated cipher alg:
// the policy must name exactly that cipher. Whether alg suits the key type
// is the provider's capability check, not policy.
func CheckCipher(a KeyAttributes, usage UsageFlags, alg Cipher) error {
	if !alg.Valid() {
		return status.Errorf(status.PsaErrorInvalidArgument, "not a cipher algorithm")
	}
	if !a.Policy.Usage.Has(usage) {
		return status.Errorf(status.PsaErrorNotPermitted, "key usage flags do not allow this operation")
	}
	if a.Policy.Alg.Kind != AlgCipher || a.Policy.Alg.Cipher != alg {
		return status.Errorf(status.PsaErrorNotPermitted, "key policy %v does not permit %v", a.Policy.Alg, alg)
	}
	return nil
}
