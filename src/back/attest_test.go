// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package back_test

import (
	"bytes"
	"context"
	"reflect"
	"testing"

	"github.com/parsecd/parsecd/src/interface/pbwire"

	"github.com/parsecd/parsecd/src/back"
	"github.com/parsecd/parsecd/src/interface/ops/attestkey"
	"github.com/parsecd/parsecd/src/interface/ops/preparekeyattestation"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
	"github.com/parsecd/parsecd/storage/memory"
)

// attester is a provider with only key attestation; it echoes what it got.
type attester struct {
	base
	got []string
}

var _ provider.KeyAttestation = (*attester)(nil)

func (a *attester) PrepareKeyAttestation(_ context.Context, c storage.Client, attested, attesting string) (provider.MakeCredentialParams, error) {
	a.got = []string{c.App, attested, attesting}
	return provider.MakeCredentialParams{Name: []byte("name"), Public: []byte("public"), AttestingKeyPub: []byte("ek")}, nil
}

func (a *attester) AttestKey(_ context.Context, c storage.Client, attested, attesting string, blob, secret []byte) ([]byte, error) {
	a.got = []string{c.App, attested, attesting, string(blob), string(secret)}
	return []byte("credential"), nil
}

func TestKeyAttestationOpcodes(t *testing.T) {
	at := &attester{base: base{info: tpmInfo, name: "attester"}}
	svc := newService(t, setup{mounts: []back.Mount{{Provider: at, Store: memory.New()}}})
	if got := listOpcodes(t, svc, 3); !reflect.DeepEqual(got, []uint32{uint32(parsec.OpAttestKey), uint32(parsec.OpPrepareKeyAttestation)}) {
		t.Errorf("attester lists %v", got)
	}
	authType, app := direct("app")
	p := parsec.ProviderTpm

	prep := &preparekeyattestation.Operation{Parameters: &preparekeyattestation.PrepareKeyAttestationParams{
		Mechanism: &preparekeyattestation.PrepareKeyAttestationParams_ActivateCredential_{
			ActivateCredential: &preparekeyattestation.PrepareKeyAttestationParams_ActivateCredential{AttestedKeyName: "k"}}}}
	resp := do(t, svc, rq{provider: p, opcode: parsec.OpPrepareKeyAttestation, authType: authType, auth: app, body: marshal(t, prep)})
	wantStatus(t, resp, status.Success)
	var pr preparekeyattestation.Result
	if err := pbwire.Unmarshal(resp.Body, &pr); err != nil {
		t.Fatal(err)
	}
	ac := pr.GetOutput().GetActivateCredential()
	if ac == nil || string(ac.Name) != "name" || string(ac.Public) != "public" || string(ac.AttestingKeyPub) != "ek" {
		t.Errorf("PrepareKeyAttestation result %v", &pr)
	}
	if !reflect.DeepEqual(at.got, []string{"app", "k", ""}) {
		t.Errorf("provider got %q", at.got)
	}

	att := &attestkey.Operation{AttestedKeyName: "k", AttestingKeyName: "ek-name", Parameters: &attestkey.AttestationMechanismParams{
		Mechanism: &attestkey.AttestationMechanismParams_ActivateCredential_{
			ActivateCredential: &attestkey.AttestationMechanismParams_ActivateCredential{CredentialBlob: []byte("blob"), Secret: []byte("secret")}}}}
	resp = do(t, svc, rq{provider: p, opcode: parsec.OpAttestKey, authType: authType, auth: app, body: marshal(t, att)})
	wantStatus(t, resp, status.Success)
	var ar attestkey.Result
	if err := pbwire.Unmarshal(resp.Body, &ar); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ar.GetOutput().GetActivateCredential().GetCredential(), []byte("credential")) {
		t.Errorf("AttestKey result %v", &ar)
	}
	if !reflect.DeepEqual(at.got, []string{"app", "k", "ek-name", "blob", "secret"}) {
		t.Errorf("provider got %q", at.got)
	}

	// No mechanism: InvalidEncoding; no application: NotAuthenticated.
	wantStatus(t, do(t, svc, rq{provider: p, opcode: parsec.OpAttestKey, authType: authType, auth: app,
		body: marshal(t, &attestkey.Operation{AttestedKeyName: "k"})}), status.InvalidEncoding)
	wantStatus(t, do(t, svc, rq{provider: p, opcode: parsec.OpPrepareKeyAttestation, authType: authType, auth: app,
		body: marshal(t, &preparekeyattestation.Operation{})}), status.InvalidEncoding)
	wantStatus(t, do(t, svc, rq{provider: p, opcode: parsec.OpAttestKey, body: marshal(t, att)}), status.NotAuthenticated)

	// A provider without the family answers PsaErrorNotSupported.
	so := &signOnly{base{info: mbedInfo, name: "sign-only"}}
	svc = newService(t, setup{mounts: []back.Mount{{Provider: so, Store: memory.New()}}})
	wantStatus(t, do(t, svc, rq{provider: parsec.ProviderMbedCrypto, opcode: parsec.OpAttestKey, authType: authType, auth: app, body: marshal(t, att)}), status.PsaErrorNotSupported)
}
