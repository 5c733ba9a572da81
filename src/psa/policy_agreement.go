// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package psa

import "github.com/parsecd/parsecd/src/status"

// rawAgreementName names a raw key agreement in messages.
func rawAgreementName(r KeyAgreementRaw) string {
	switch r {
	case KeyAgreementFfdh:
		return "Ffdh"
	case KeyAgreementEcdh:
		return "Ecdh"
	}
	return "?"
}

// CheckKeyAgreement decides whether key a may be used for the raw key
// agreement alg: the key needs the derive usage flag and a policy naming
// the same raw agreement. A policy of a key agreement followed by a key
// derivation does not permit the raw agreement (PSA: the raw secret is
// then never to leave the implementation). Whether the key is a key pair
// of a type alg applies to is the provider's check.
func CheckKeyAgreement(a KeyAttributes, alg KeyAgreementRaw) error {
	if alg != KeyAgreementFfdh && alg != KeyAgreementEcdh {
		return status.Errorf(status.PsaErrorInvalidArgument, "not a raw key agreement algorithm")
	}
	if !a.Policy.Usage.Has(UsageDerive) {
		return status.Errorf(status.PsaErrorNotPermitted, "key usage flags do not allow key agreement (derive)")
	}
	p := a.Policy.Alg
	if p.Kind != AlgKeyAgreement || p.KeyAgreement.HasKdf || p.KeyAgreement.Raw != alg {
		return status.Errorf(status.PsaErrorNotPermitted, "key policy %v does not permit raw %s", p, rawAgreementName(alg))
	}
	return nil
}
