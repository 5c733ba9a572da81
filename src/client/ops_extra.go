// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package client

import (
	"context"

	"github.com/parsecd/parsecd/src/interface/ops/attestkey"
	"github.com/parsecd/parsecd/src/interface/ops/candocrypto"
	"github.com/parsecd/parsecd/src/interface/ops/preparekeyattestation"
	"github.com/parsecd/parsecd/src/interface/ops/psaaeaddecrypt"
	"github.com/parsecd/parsecd/src/interface/ops/psaaeadencrypt"
	"github.com/parsecd/parsecd/src/interface/ops/psaalgorithm"
	"github.com/parsecd/parsecd/src/interface/ops/psacipherdecrypt"
	"github.com/parsecd/parsecd/src/interface/ops/psacipherencrypt"
	"github.com/parsecd/parsecd/src/interface/ops/psamaccompute"
	"github.com/parsecd/parsecd/src/interface/ops/psamacverify"
	"github.com/parsecd/parsecd/src/interface/ops/psarawkeyagreement"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

// Typed wrappers over the symmetric, MAC, key agreement and capability
// operations. Algorithms are the native psa types; failures are
// *status.Error (a provider without the operation answers
// status.PsaErrorNotSupported; the reference Parsec service answers
// status.OpcodeDoesNotExist to the MAC opcodes, which it never implemented).

// AeadEncrypt encrypts and authenticates plaintext with an AES or ChaCha20
// key (PsaAeadEncrypt). alg must be permitted by the key policy; nonce is
// the caller's (12 bytes for GCM and ChaCha20-Poly1305, 7 to 13 for CCM)
// and must never be reused with the same key. The result is ciphertext ‖ tag.
func (c *Client) AeadEncrypt(ctx context.Context, name string, alg psa.Aead, nonce, additionalData, plaintext []byte) ([]byte, error) {
	var res psaaeadencrypt.Result
	op := &psaaeadencrypt.Operation{KeyName: name, Alg: psa.AeadToProto(alg), Nonce: nonce, AdditionalData: additionalData, Plaintext: plaintext}
	if err := c.invoke(ctx, parsec.OpPsaAeadEncrypt, op, &res); err != nil {
		return nil, err
	}
	return res.Ciphertext, nil
}

// AeadDecrypt checks and decrypts ciphertext ‖ tag (PsaAeadDecrypt) with the
// nonce and additional data used to encrypt; a wrong tag (tampered data,
// wrong nonce or additional data) is status.PsaErrorInvalidSignature.
func (c *Client) AeadDecrypt(ctx context.Context, name string, alg psa.Aead, nonce, additionalData, ciphertext []byte) ([]byte, error) {
	var res psaaeaddecrypt.Result
	op := &psaaeaddecrypt.Operation{KeyName: name, Alg: psa.AeadToProto(alg), Nonce: nonce, AdditionalData: additionalData, Ciphertext: ciphertext}
	if err := c.invoke(ctx, parsec.OpPsaAeadDecrypt, op, &res); err != nil {
		return nil, err
	}
	return res.Plaintext, nil
}

// CipherEncrypt encrypts with an unauthenticated cipher mode
// (PsaCipherEncrypt). The service generates the IV and returns IV ‖
// ciphertext (no IV for ECB). Modes without padding need whole blocks,
// else status.PsaErrorInvalidArgument.
func (c *Client) CipherEncrypt(ctx context.Context, name string, alg psa.Cipher, plaintext []byte) ([]byte, error) {
	var res psacipherencrypt.Result
	op := &psacipherencrypt.Operation{KeyName: name, Alg: psaalgorithm.Algorithm_Cipher(alg), Plaintext: plaintext}
	if err := c.invoke(ctx, parsec.OpPsaCipherEncrypt, op, &res); err != nil {
		return nil, err
	}
	return res.Ciphertext, nil
}

// CipherDecrypt decrypts IV ‖ ciphertext as CipherEncrypt returns it
// (PsaCipherDecrypt); bad PKCS#7 padding is status.PsaErrorInvalidPadding.
func (c *Client) CipherDecrypt(ctx context.Context, name string, alg psa.Cipher, ciphertext []byte) ([]byte, error) {
	var res psacipherdecrypt.Result
	op := &psacipherdecrypt.Operation{KeyName: name, Alg: psaalgorithm.Algorithm_Cipher(alg), Ciphertext: ciphertext}
	if err := c.invoke(ctx, parsec.OpPsaCipherDecrypt, op, &res); err != nil {
		return nil, err
	}
	return res.Plaintext, nil
}

// MacCompute computes the MAC of input (PsaMacCompute) with an HMAC key
// (HMAC) or an AES key (CMAC, CBC-MAC); a truncated alg gives a MAC of
// alg.Length bytes.
func (c *Client) MacCompute(ctx context.Context, name string, alg psa.Mac, input []byte) ([]byte, error) {
	var res psamaccompute.Result
	op := &psamaccompute.Operation{KeyName: name, Alg: psa.MacToProto(alg), Input: input}
	if err := c.invoke(ctx, parsec.OpPsaMacCompute, op, &res); err != nil {
		return nil, err
	}
	return res.Mac, nil
}

// MacVerify checks the MAC of input (PsaMacVerify); a mismatch is
// status.PsaErrorInvalidSignature.
func (c *Client) MacVerify(ctx context.Context, name string, alg psa.Mac, input, mac []byte) error {
	op := &psamacverify.Operation{KeyName: name, Alg: psa.MacToProto(alg), Input: input, Mac: mac}
	return c.invoke(ctx, parsec.OpPsaMacVerify, op, nil)
}

// RawKeyAgreement computes the shared secret of a private key of the service
// and a peer's public key in the PSA export format (PsaRawKeyAgreement): an
// uncompressed point 0x04 ‖ X ‖ Y for SECP-R1 ECDH, 32 little-endian bytes
// for X25519. The secret is the x coordinate (ECDH) or the X25519 output.
func (c *Client) RawKeyAgreement(ctx context.Context, alg psa.KeyAgreementRaw, privateKeyName string, peerKey []byte) ([]byte, error) {
	var res psarawkeyagreement.Result
	op := &psarawkeyagreement.Operation{Alg: psaalgorithm.Algorithm_KeyAgreement_Raw(alg), PrivateKeyName: privateKeyName, PeerKey: peerKey}
	if err := c.invoke(ctx, parsec.OpPsaRawKeyAgreement, op, &res); err != nil {
		return nil, err
	}
	return res.SharedSecret, nil
}

// CanDoCrypto asks the provider whether it supports keys with these
// attributes for check (CanDoCrypto, experimental): nil means yes;
// status.PsaErrorNotPermitted means the policy algorithm does not fit the
// key type; status.PsaErrorNotSupported (or another status) means no.
func (c *Client) CanDoCrypto(ctx context.Context, check psa.CheckType, attrs psa.KeyAttributes) error {
	op := &candocrypto.Operation{CheckType: candocrypto.CheckType(check), Attributes: psa.AttributesToProto(attrs)}
	return c.invoke(ctx, parsec.OpCanDoCrypto, op, nil)
}

// PrepareKeyAttestation returns the ActivateCredential parameters for
// attesting a key (attestingKey "" = the provider's default key).
func (c *Client) PrepareKeyAttestation(ctx context.Context, attestedKey, attestingKey string) (ActivateCredentialParams, error) {
	var res preparekeyattestation.Result
	op := &preparekeyattestation.Operation{Parameters: &preparekeyattestation.PrepareKeyAttestationParams{
		Mechanism: &preparekeyattestation.PrepareKeyAttestationParams_ActivateCredential_{
			ActivateCredential: &preparekeyattestation.PrepareKeyAttestationParams_ActivateCredential{
				AttestedKeyName: attestedKey, AttestingKeyName: attestingKey}}}}
	if err := c.invoke(ctx, parsec.OpPrepareKeyAttestation, op, &res); err != nil {
		return ActivateCredentialParams{}, err
	}
	ac := res.GetOutput().GetActivateCredential()
	if ac == nil {
		return ActivateCredentialParams{}, &status.Error{Code: status.InvalidEncoding, Msg: "PrepareKeyAttestation result has no ActivateCredential output"}
	}
	return ActivateCredentialParams{Name: ac.Name, Public: ac.Public, AttestingKeyPub: ac.AttestingKeyPub}, nil
}

// AttestKey runs the ActivateCredential mechanism and returns the credential.
func (c *Client) AttestKey(ctx context.Context, attestedKey, attestingKey string, credentialBlob, secret []byte) ([]byte, error) {
	var res attestkey.Result
	op := &attestkey.Operation{
		AttestedKeyName:  attestedKey,
		AttestingKeyName: attestingKey,
		Parameters: &attestkey.AttestationMechanismParams{Mechanism: &attestkey.AttestationMechanismParams_ActivateCredential_{
			ActivateCredential: &attestkey.AttestationMechanismParams_ActivateCredential{CredentialBlob: credentialBlob, Secret: secret}}},
	}
	if err := c.invoke(ctx, parsec.OpAttestKey, op, &res); err != nil {
		return nil, err
	}
	ac := res.GetOutput().GetActivateCredential()
	if ac == nil {
		return nil, &status.Error{Code: status.InvalidEncoding, Msg: "AttestKey result has no ActivateCredential output"}
	}
	return ac.Credential, nil
}
