// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package tpm

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"testing"

	"github.com/google/go-tpm/tpm2"

	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

// makeCredential is the verifier's side: check that the public area hashes
// to the name, rebuild the EK's public area from the default template and
// the exported modulus, and make a credential for the name.
func makeCredential(t *testing.T, params provider.MakeCredentialParams, credential []byte) (blob, secret []byte) {
	t.Helper()
	pub, err := tpm2.Unmarshal[tpm2.TPMTPublic](params.Public)
	if err != nil {
		t.Fatalf("the public area does not unmarshal: %v", err)
	}
	name, err := tpm2.ObjectName(pub)
	if err != nil || !bytes.Equal(name.Buffer, params.Name) {
		t.Fatalf("the public area does not hash to the name: %v", err)
	}
	ekPub, err := x509.ParsePKCS1PublicKey(params.AttestingKeyPub)
	if err != nil {
		t.Fatalf("attesting_key_pub is not a DER RSAPublicKey: %v", err)
	}
	ek := tpm2.RSAEKTemplate
	ek.Unique = tpm2.NewTPMUPublicID(tpm2.TPMAlgRSA, &tpm2.TPM2BPublicKeyRSA{Buffer: ekPub.N.Bytes()})
	encap, err := tpm2.ImportEncapsulationKey(&ek)
	if err != nil {
		t.Fatal(err)
	}
	blob, secret, err = tpm2.CreateCredential(rand.Reader, encap, params.Name, credential)
	if err != nil {
		t.Fatal(err)
	}
	return blob, secret
}

func TestKeyAttestation(t *testing.T) {
	p := newTestProvider(t, "", nil)
	ctx := context.Background()
	_, ec := goKeys(t)
	scalar, _ := ec[256].Bytes()
	wantCode(t, p.GenerateKey(ctx, appA, "rsa", signAttrs(psa.KeyRsaPair, 2048, allUsage, rsaPKCS1)), status.Success, "GenerateKey RSA")
	wantCode(t, p.GenerateKey(ctx, appA, "ecc", signAttrs(psa.KeyEccPair, 256, allUsage, ecdsa256)), status.Success, "GenerateKey ECC")
	wantCode(t, p.ImportKey(ctx, appA, "imported", signAttrs(psa.KeyEccPair, 256, allUsage, ecdsa256), scalar), status.Success, "ImportKey")
	credential := []byte("a credential of 16")
	for _, name := range []string{"rsa", "ecc", "imported"} {
		params, err := p.PrepareKeyAttestation(ctx, appA, name, "")
		wantCode(t, err, status.Success, "PrepareKeyAttestation "+name)
		blob, secret := makeCredential(t, params, credential)
		got, err := p.AttestKey(ctx, appA, name, "", blob, secret)
		wantCode(t, err, status.Success, "AttestKey "+name)
		if !bytes.Equal(got, credential) {
			t.Fatalf("%s: AttestKey released %q, want %q", name, got, credential)
		}
		// A credential made for another key's name is refused.
		other, _ := p.PrepareKeyAttestation(ctx, appA, map[string]string{"rsa": "ecc", "ecc": "rsa", "imported": "rsa"}[name], "")
		blob, secret = makeCredential(t, other, credential)
		_, err = p.AttestKey(ctx, appA, name, "", blob, secret)
		if err == nil {
			t.Fatalf("%s: AttestKey released a credential made for another key", name)
		}
		blob[len(blob)-1] ^= 1
		_, err = p.AttestKey(ctx, appA, name, "", blob, secret)
		if code := status.CodeOf(err); code == status.Success || code == status.PsaErrorCommunicationFailure {
			t.Fatalf("%s: AttestKey of a corrupted blob: %v", name, err)
		}
	}
	_, err := p.PrepareKeyAttestation(ctx, appA, "rsa", "some-key")
	wantCode(t, err, status.PsaErrorNotSupported, "PrepareKeyAttestation with an explicit attesting key")
	_, err = p.AttestKey(ctx, appA, "rsa", "some-key", nil, nil)
	wantCode(t, err, status.PsaErrorNotSupported, "AttestKey with an explicit attesting key")
	_, err = p.PrepareKeyAttestation(ctx, appA, "missing", "")
	wantCode(t, err, status.PsaErrorDoesNotExist, "PrepareKeyAttestation of a missing key")
	point, _ := ec[256].PublicKey.Bytes()
	wantCode(t, p.ImportKey(ctx, appA, "public", signAttrs(psa.KeyEccPublic, 256, psa.UsageVerifyHash, ecdsa256), point), status.Success, "ImportKey public")
	_, err = p.PrepareKeyAttestation(ctx, appA, "public", "")
	wantCode(t, err, status.PsaErrorInvalidArgument, "PrepareKeyAttestation of a public key")
}
