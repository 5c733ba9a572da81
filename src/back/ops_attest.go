// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package back

import (
	"context"

	"github.com/parsecd/parsecd/src/interface/pbwire"

	"github.com/parsecd/parsecd/src/interface/ops/attestkey"
	"github.com/parsecd/parsecd/src/interface/ops/preparekeyattestation"
	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/src/status"
)

// Key attestation (experimental opcodes): only the ActivateCredential
// mechanism exists; parameters without it are InvalidEncoding. The
// missing-mechanism error goes through resolve, as a conversion error
// would, so that it keeps its place before the caller and family checks.

func prepareKeyAttestation(ctx context.Context, c *call, in *preparekeyattestation.Operation) (pbwire.Message, error) {
	var err error
	ac := in.GetParameters().GetActivateCredential()
	if ac == nil {
		err = status.Errorf(status.InvalidEncoding, "PrepareKeyAttestation needs the ActivateCredential mechanism")
	}
	f, who, err := resolve[provider.KeyAttestation](c, err)
	if err != nil {
		return nil, err
	}
	out, err := f.PrepareKeyAttestation(ctx, who, ac.AttestedKeyName, ac.AttestingKeyName)
	if err != nil {
		return nil, err
	}
	return &preparekeyattestation.Result{Output: &preparekeyattestation.PrepareKeyAttestationOutput{
		Mechanism: &preparekeyattestation.PrepareKeyAttestationOutput_ActivateCredential_{
			ActivateCredential: &preparekeyattestation.PrepareKeyAttestationOutput_ActivateCredential{
				Name: out.Name, Public: out.Public, AttestingKeyPub: out.AttestingKeyPub}}}}, nil
}

func attestKey(ctx context.Context, c *call, in *attestkey.Operation) (pbwire.Message, error) {
	var err error
	ac := in.GetParameters().GetActivateCredential()
	if ac == nil {
		err = status.Errorf(status.InvalidEncoding, "AttestKey needs the ActivateCredential mechanism")
	}
	f, who, err := resolve[provider.KeyAttestation](c, err)
	if err != nil {
		return nil, err
	}
	cred, err := f.AttestKey(ctx, who, in.AttestedKeyName, in.AttestingKeyName, ac.CredentialBlob, ac.Secret)
	if err != nil {
		return nil, err
	}
	return &attestkey.Result{Output: &attestkey.AttestationOutput{
		Mechanism: &attestkey.AttestationOutput_ActivateCredential_{
			ActivateCredential: &attestkey.AttestationOutput_ActivateCredential{Credential: cred}}}}, nil
}
