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
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/src/wire"
)

// Thin typed wrappers over the remaining operations. The service may answer
// status.PsaErrorNotSupported (or OpcodeDoesNotExist for MAC) for some of them.

func aeadProto(a psa.Aead) *psaalgorithm.Algorithm_Aead {
	return psa.AlgorithmToProto(psa.Algorithm{Kind: psa.AlgAead, Aead: a}).GetAead()
}

func macProto(m psa.Mac) *psaalgorithm.Algorithm_Mac {
	return psa.AlgorithmToProto(psa.Algorithm{Kind: psa.AlgMac, Mac: m}).GetMac()
}

// AeadEncrypt encrypts and authenticates; the result is ciphertext ‖ tag.
func (c *Client) AeadEncrypt(ctx context.Context, name string, alg psa.Aead, nonce, additionalData, plaintext []byte) ([]byte, error) {
	var res psaaeadencrypt.Result
	op := &psaaeadencrypt.Operation{KeyName: name, Alg: aeadProto(alg), Nonce: nonce, AdditionalData: additionalData, Plaintext: plaintext}
	if err := c.Invoke(ctx, wire.OpPsaAeadEncrypt, op, &res); err != nil {
		return nil, err
	}
	return res.Ciphertext, nil
}

// AeadDecrypt checks and decrypts ciphertext ‖ tag; a bad tag is
// status.PsaErrorInvalidSignature.
func (c *Client) AeadDecrypt(ctx context.Context, name string, alg psa.Aead, nonce, additionalData, ciphertext []byte) ([]byte, error) {
	var res psaaeaddecrypt.Result
	op := &psaaeaddecrypt.Operation{KeyName: name, Alg: aeadProto(alg), Nonce: nonce, AdditionalData: additionalData, Ciphertext: ciphertext}
	if err := c.Invoke(ctx, wire.OpPsaAeadDecrypt, op, &res); err != nil {
		return nil, err
	}
	return res.Plaintext, nil
}

// CipherEncrypt encrypts with an unauthenticated cipher; the service
// generates the IV and prepends it to the result.
func (c *Client) CipherEncrypt(ctx context.Context, name string, alg psa.Cipher, plaintext []byte) ([]byte, error) {
	var res psacipherencrypt.Result
	op := &psacipherencrypt.Operation{KeyName: name, Alg: psaalgorithm.Algorithm_Cipher(alg), Plaintext: plaintext}
	if err := c.Invoke(ctx, wire.OpPsaCipherEncrypt, op, &res); err != nil {
		return nil, err
	}
	return res.Ciphertext, nil
}

// CipherDecrypt decrypts IV ‖ ciphertext.
func (c *Client) CipherDecrypt(ctx context.Context, name string, alg psa.Cipher, ciphertext []byte) ([]byte, error) {
	var res psacipherdecrypt.Result
	op := &psacipherdecrypt.Operation{KeyName: name, Alg: psaalgorithm.Algorithm_Cipher(alg), Ciphertext: ciphertext}
	if err := c.Invoke(ctx, wire.OpPsaCipherDecrypt, op, &res); err != nil {
		return nil, err
	}
	return res.Plaintext, nil
}

// MacCompute computes a MAC.
func (c *Client) MacCompute(ctx context.Context, name string, alg psa.Mac, input []byte) ([]byte, error) {
	var res psamaccompute.Result
	op := &psamaccompute.Operation{KeyName: name, Alg: macProto(alg), Input: input}
	if err := c.Invoke(ctx, wire.OpPsaMacCompute, op, &res); err != nil {
		return nil, err
	}
	return res.Mac, nil
}

// MacVerify checks a MAC; a mismatch is status.PsaErrorInvalidSignature.
func (c *Client) MacVerify(ctx context.Context, name string, alg psa.Mac, input, mac []byte) error {
	op := &psamacverify.Operation{KeyName: name, Alg: macProto(alg), Input: input, Mac: mac}
	return c.Invoke(ctx, wire.OpPsaMacVerify, op, nil)
}

// RawKeyAgreement computes a shared secret from a private key and the peer's
// public key (an uncompressed point for ECDH).
func (c *Client) RawKeyAgreement(ctx context.Context, alg psa.KeyAgreementRaw, privateKeyName string, peerKey []byte) ([]byte, error) {
	var res psarawkeyagreement.Result
	op := &psarawkeyagreement.Operation{Alg: psaalgorithm.Algorithm_KeyAgreement_Raw(alg), PrivateKeyName: privateKeyName, PeerKey: peerKey}
	if err := c.Invoke(ctx, wire.OpPsaRawKeyAgreement, op, &res); err != nil {
		return nil, err
	}
	return res.SharedSecret, nil
}

// CanDoCrypto asks whether the provider supports a key with these
// attributes for the given check; nil means yes.
func (c *Client) CanDoCrypto(ctx context.Context, check CheckType, attrs psa.KeyAttributes) error {
	op := &candocrypto.Operation{CheckType: candocrypto.CheckType(check), Attributes: psa.AttributesToProto(attrs)}
	return c.Invoke(ctx, wire.OpCanDoCrypto, op, nil)
}

// PrepareKeyAttestation returns the ActivateCredential parameters for
// attesting a key (attestingKey "" = the provider's default key).
func (c *Client) PrepareKeyAttestation(ctx context.Context, attestedKey, attestingKey string) (ActivateCredentialParams, error) {
	var res preparekeyattestation.Result
	op := &preparekeyattestation.Operation{Parameters: &preparekeyattestation.PrepareKeyAttestationParams{
		Mechanism: &preparekeyattestation.PrepareKeyAttestationParams_ActivateCredential_{
			ActivateCredential: &preparekeyattestation.PrepareKeyAttestationParams_ActivateCredential{
				AttestedKeyName: attestedKey, AttestingKeyName: attestingKey}}}}
	if err := c.Invoke(ctx, wire.OpPrepareKeyAttestation, op, &res); err != nil {
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
	if err := c.Invoke(ctx, wire.OpAttestKey, op, &res); err != nil {
		return nil, err
	}
	ac := res.GetOutput().GetActivateCredential()
	if ac == nil {
		return nil, &status.Error{Code: status.InvalidEncoding, Msg: "AttestKey result has no ActivateCredential output"}
	}
	return ac.Credential, nil
}
