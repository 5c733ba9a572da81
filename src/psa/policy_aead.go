// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package psa

import (
	"strconv"

	"github.com/parsecd/parsecd/src/status"
)

// DefaultAeadTagLength is the tag length, in bytes, of every AEAD algorithm
// Parsec names (CCM, GCM, ChaCha20-Poly1305) used without a shortened tag.
const DefaultAeadTagLength = 16

// TagLen is the length in bytes of the tag alg produces: the shortened
// length, or DefaultAeadTagLength. In PSA's numeric encoding a "shortened"
// tag of the default length is the default algorithm itself
// (PSA_ALG_AEAD_WITH_SHORTENED_TAG(PSA_ALG_GCM, 16) == PSA_ALG_GCM), so two
// algorithms with the same base and TagLen are the same algorithm.
func (a Aead) TagLen() uint32 {
	if a.Shortened {
		return a.TagLength
	}
	return DefaultAeadTagLength
}

func (a AeadAlg) String() string {
	switch a {
	case AeadCcm:
		return "Ccm"
	case AeadGcm:
		return "Gcm"
	case AeadChacha20Poly1305:
		return "Chacha20Poly1305"
	}
	return "AeadAlg(" + strconv.Itoa(int(a)) + ")"
}

func (a Aead) String() string {
	if a.Shortened {
		return "AeadWithShortenedTag{ aead_alg: " + a.Alg.String() + ", tag_length: " + strconv.FormatUint(uint64(a.TagLength), 10) + " }"
	}
	return a.Alg.String()
}

// CheckAead decides whether key a may encrypt or decrypt (usage says which:
// UsageEncrypt or UsageDecrypt) with alg. The policy must name the same
// AEAD with the same tag length: a policy with a shortened tag of length L
// permits exactly that tag length, a default-tag policy only the default
// tag (Parsec has no "at least this tag length" wildcard). Whether alg suits
// the key type and has a valid tag length is the provider's capability
// check, not policy.
func CheckAead(a KeyAttributes, usage UsageFlags, alg Aead) error {
	if alg.Alg < AeadCcm || alg.Alg > AeadChacha20Poly1305 {
		return status.Errorf(status.PsaErrorInvalidArgument, "not an AEAD algorithm")
	}
	if !a.Policy.Usage.Has(usage) {
		return status.Errorf(status.PsaErrorNotPermitted, "key usage flags do not allow this operation")
	}
	p := a.Policy.Alg
	if p.Kind != AlgAead || p.Aead.Alg != alg.Alg || p.Aead.TagLen() != alg.TagLen() {
		return status.Errorf(status.PsaErrorNotPermitted, "key policy %v does not permit %v", p, alg)
	}
	return nil
}
