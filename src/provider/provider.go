// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package provider is the contract between the daemon core and the crypto
// providers: a small base interface plus one optional interface per family
// of operations. The core finds a provider's families by type assertion and
// derives ListOpcodes from them, so what is advertised is what is served.
package provider

import (
	"context"
	"log/slog"

	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/storage"
)

// Info is what ListProviders says about a provider.
type Info struct {
	ID          parsec.ProviderID
	UUID        string
	Description string
	Vendor      string
	Version     [3]uint32
}

// Provider is what every provider implements.
type Provider interface {
	Info() Info
	// Name is the provider's configured name; it is part of every stored key identity.
	Name() string
	Close() error
}

// KeyManagement creates, imports, exports and destroys keys.
type KeyManagement interface {
	GenerateKey(ctx context.Context, c storage.Client, name string, a psa.KeyAttributes) error
	ImportKey(ctx context.Context, c storage.Client, name string, a psa.KeyAttributes, data []byte) error
	ExportPublicKey(ctx context.Context, c storage.Client, name string) ([]byte, error)
	DestroyKey(ctx context.Context, c storage.Client, name string) error
}

// KeyExport exports key material of keys created with the export flag.
type KeyExport interface {
	ExportKey(ctx context.Context, c storage.Client, name string) ([]byte, error)
}

// AsymSign signs and verifies digests.
type AsymSign interface {
	SignHash(ctx context.Context, c storage.Client, name string, alg psa.AsymSign, hash []byte) ([]byte, error)
	VerifyHash(ctx context.Context, c storage.Client, name string, alg psa.AsymSign, hash, sig []byte) error
}

// MessageSign signs and verifies whole messages.
type MessageSign interface {
	SignMessage(ctx context.Context, c storage.Client, name string, alg psa.AsymSign, msg []byte) ([]byte, error)
	VerifyMessage(ctx context.Context, c storage.Client, name string, alg psa.AsymSign, msg, sig []byte) error
}

// AsymEncryption encrypts and decrypts with asymmetric keys. An empty salt means none.
type AsymEncryption interface {
	AsymmetricEncrypt(ctx context.Context, c storage.Client, name string, alg psa.AsymEncrypt, plaintext, salt []byte) ([]byte, error)
	AsymmetricDecrypt(ctx context.Context, c storage.Client, name string, alg psa.AsymEncrypt, ciphertext, salt []byte) ([]byte, error)
}

// Random generates random bytes.
type Random interface {
	GenerateRandom(ctx context.Context, size uint64) ([]byte, error)
}

// Hasher computes and compares digests.
type Hasher interface {
	HashCompute(ctx context.Context, alg psa.Hash, input []byte) ([]byte, error)
	HashCompare(ctx context.Context, alg psa.Hash, input, hash []byte) error
}

// Deps are what the core hands to a provider it builds.
type Deps struct {
	Keys storage.KeyStore
	Log  *slog.Logger
	// BufferSizeLimit bounds response buffers (core_settings.buffer_size_limit).
	BufferSizeLimit uint64
	// AllowDeprecated lets GenerateKey use deprecated primitives.
	AllowDeprecated bool
}

// KeyChecker is implemented by providers that can tell, without using it,
// whether a committed key is still whole in their back end: nil when it
// is, PsaErrorDoesNotExist when its back-end object is gone (a PKCS#11
// object deleted on the token), PsaErrorDataCorrupt when its record or
// blob no longer loads. parsecd check-store asks it; it changes nothing.
type KeyChecker interface {
	CheckKey(ctx context.Context, c storage.Client, name string) error
}

// Reconciler is implemented by providers that check the key store against
// their back end at start-up, e.g. to settle reservations a crash left
// between creating a key and committing its mapping (KeyStore.Pending).
type Reconciler interface {
	Reconcile(ctx context.Context) error
}

// Aead encrypts and decrypts with authenticated encryption. The ciphertext
// carries the tag at its end (PSA convention).
type Aead interface {
	AeadEncrypt(ctx context.Context, c storage.Client, name string, alg psa.Aead, nonce, additionalData, plaintext []byte) ([]byte, error)
	AeadDecrypt(ctx context.Context, c storage.Client, name string, alg psa.Aead, nonce, additionalData, ciphertext []byte) ([]byte, error)
}

// Cipher encrypts and decrypts with an unauthenticated cipher; the IV is
// generated on encryption and prepended to the ciphertext (PSA convention).
type Cipher interface {
	CipherEncrypt(ctx context.Context, c storage.Client, name string, alg psa.Cipher, plaintext []byte) ([]byte, error)
	CipherDecrypt(ctx context.Context, c storage.Client, name string, alg psa.Cipher, ciphertext []byte) ([]byte, error)
}

// Mac computes and verifies message authentication codes.
type Mac interface {
	MacCompute(ctx context.Context, c storage.Client, name string, alg psa.Mac, input []byte) ([]byte, error)
	MacVerify(ctx context.Context, c storage.Client, name string, alg psa.Mac, input, mac []byte) error
}

// KeyAgreement computes a raw shared secret from a private key and a peer's
// public key in the PSA export format.
type KeyAgreement interface {
	RawKeyAgreement(ctx context.Context, c storage.Client, alg psa.KeyAgreementRaw, privateKeyName string, peerKey []byte) ([]byte, error)
}

// CapabilityCheck answers CanDoCrypto: nil means supported,
// PsaErrorNotPermitted a policy that does not fit the key type, and
// PsaErrorNotSupported anything else the provider cannot do.
type CapabilityCheck interface {
	CanDoCrypto(ctx context.Context, c storage.Client, check psa.CheckType, a psa.KeyAttributes) error
}

// MakeCredentialParams are what a verifier needs to make a credential for
// the TPM2_ActivateCredential key attestation (PrepareKeyAttestation):
// the attested key's TPM name (the contents of its TPM2B_NAME), its public
// area (the contents of its TPM2B_PUBLIC, which hashes to the name) and
// the attesting key's public key in the PsaExportPublicKey format.
type MakeCredentialParams struct {
	Name            []byte
	Public          []byte
	AttestingKeyPub []byte
}

// KeyAttestation attests that a key lives in the provider's hardware with
// the ActivateCredential mechanism (AttestKey, PrepareKeyAttestation; both
// experimental). An empty attestingKey names the provider's default
// attesting key (for a TPM, its endorsement key).
type KeyAttestation interface {
	PrepareKeyAttestation(ctx context.Context, c storage.Client, attestedKey, attestingKey string) (MakeCredentialParams, error)
	// AttestKey runs TPM2_ActivateCredential on credentialBlob and secret
	// (the contents of a TPM2B_ID_OBJECT and a TPM2B_ENCRYPTED_SECRET) and
	// returns the credential.
	AttestKey(ctx context.Context, c storage.Client, attestedKey, attestingKey string, credentialBlob, secret []byte) ([]byte, error)
}
