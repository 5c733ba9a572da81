// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package tpm

import (
	"context"

	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"

	"github.com/parsecd/parsecd/providers/internal/pubkey"
	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
)

// Key attestation with TPM2_ActivateCredential, as Parsec does it: the
// attesting key is the endorsement key (EK) made from the TCG default RSA
// EK template, whose certificate a verifier can check. The verifier makes
// a credential for the attested key's name with the EK's public key
// (TPM2_MakeCredential, or tpm2.CreateCredential in Go); the TPM releases
// it only if it holds both the EK and a key of that name. The EK is
// created (CreatePrimary in the endorsement hierarchy, deterministic) for
// each operation and flushed after.

var _ provider.KeyAttestation = (*Provider)(nil)

// checkAttesting refuses an explicit attesting key: only the EK attests.
func checkAttesting(attestingKey string) error {
	if attestingKey != "" {
		return status.Errorf(status.PsaErrorNotSupported, "only the endorsement key attests (leave the attesting key name empty)")
	}
	return nil
}

// loadAttested loads a key that can be attested: a key pair in the TPM.
func (p *Provider) loadAttested(ctx context.Context, c storage.Client, name string) (*key, error) {
	k, err := p.load(ctx, c, name)
	if err != nil {
		return nil, err
	}
	if !k.rec.isPair() {
		return nil, status.Errorf(status.PsaErrorInvalidArgument, "a %v is not in the TPM and cannot be attested", k.attrs.Type)
	}
	return k, nil
}

// createEK creates the RSA endorsement key. The caller flushes it.
func (p *Provider) createEK(t transport.TPM) (*primary, error) {
	if !p.caps.algs[tpm2.TPMAlgRSA] {
		return nil, status.Errorf(status.PsaErrorNotSupported, "the TPM has no RSA for the default endorsement key")
	}
	return createPrimary(t, tpm2.TPMRHEndorsement, p.opts.EndorsementAuth, tpm2.RSAEKTemplate)
}

// PrepareKeyAttestation implements provider.KeyAttestation. The name and
// public area come from the stored record; only the EK needs the TPM.
func (p *Provider) PrepareKeyAttestation(ctx context.Context, c storage.Client, attestedKey, attestingKey string) (provider.MakeCredentialParams, error) {
	var out provider.MakeCredentialParams
	if err := checkAttesting(attestingKey); err != nil {
		return out, err
	}
	k, err := p.loadAttested(ctx, c, attestedKey)
	if err != nil {
		return out, err
	}
	name, err := tpm2.ObjectName(&k.rec.public)
	if err != nil {
		return out, status.Errorf(status.PsaErrorDataCorrupt, "computing the key's name: %w", err)
	}
	out.Name, out.Public = name.Buffer, tpm2.Marshal(k.rec.public)
	err = p.do(ctx, func(t transport.TPM) error {
		ek, err := p.createEK(t)
		if err != nil {
			return err
		}
		defer flush(t, ek.handle)
		pub, err := publicKey(ek.public)
		if err != nil {
			return status.Errorf(status.PsaErrorGenericError, "the endorsement key's public area: %w", err)
		}
		out.AttestingKeyPub, err = pubkey.Export(pub)
		return err
	})
	return out, err
}

// AttestKey implements provider.KeyAttestation: TPM2_ActivateCredential
// with the attested key (its auth in the salted session, which also
// encrypts the returned credential) and the EK (authorised by its policy,
// PolicySecret of the endorsement hierarchy).
func (p *Provider) AttestKey(ctx context.Context, c storage.Client, attestedKey, attestingKey string, credentialBlob, secret []byte) ([]byte, error) {
	if err := checkAttesting(attestingKey); err != nil {
		return nil, err
	}
	k, err := p.loadAttested(ctx, c, attestedKey)
	if err != nil {
		return nil, err
	}
	var cred []byte
	err = p.withKey(ctx, k, sessEncryptOut, func(t transport.TPM, h tpm2.AuthHandle) error {
		ek, err := p.createEK(t)
		if err != nil {
			return err
		}
		defer flush(t, ek.handle)
		rsp, err := tpm2.ActivateCredential{
			ActivateHandle: h,
			KeyHandle:      tpm2.AuthHandle{Handle: ek.handle, Name: ek.name, Auth: tpm2.Policy(tpm2.TPMAlgSHA256, 16, p.endorsementPolicy)},
			CredentialBlob: tpm2.TPM2BIDObject{Buffer: credentialBlob},
			Secret:         tpm2.TPM2BEncryptedSecret{Buffer: secret},
		}.Execute(t)
		if err != nil {
			return tpmErr("ActivateCredential", err)
		}
		cred = rsp.CertInfo.Buffer
		return nil
	})
	return cred, err
}

// endorsementPolicy satisfies the default EK's policy: PolicySecret of the
// endorsement hierarchy.
func (p *Provider) endorsementPolicy(t transport.TPM, session tpm2.TPMISHPolicy, nonceTPM tpm2.TPM2BNonce) error {
	_, err := tpm2.PolicySecret{
		AuthHandle:    tpm2.AuthHandle{Handle: tpm2.TPMRHEndorsement, Auth: hierarchySession(p.opts.EndorsementAuth)},
		PolicySession: session,
		NonceTPM:      nonceTPM,
	}.Execute(t)
	return err
}
