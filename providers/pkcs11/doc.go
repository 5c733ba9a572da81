// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package pkcs11 is parsecd's PKCS#11 provider (Parsec provider id 2): it
// brokers keys held by any PKCS#11 token or HSM through
// github.com/miekg/pkcs11, which loads the vendor's module with dlopen.
//
// Loading a module needs cgo, so the provider itself is only in builds made
// with CGO_ENABLED=1 and the pkcs11 build tag (make build-pkcs11). Every
// other build registers a stub for provider_type "Pkcs11" that refuses the
// configuration with "built without PKCS#11 support", and links neither cgo
// nor miekg/pkcs11: the default parsecd stays a static binary.
//
// Keys are token objects. RSA (2048, 3072, 4096 bits) and ECC secp R1 (P-256,
// P-384, P-521) key pairs are generated on the token; public keys and key
// pairs can be imported. AES (128/192/256) and HMAC keys are secret key
// objects (CKK_AES, CKK_GENERIC_SECRET) generated on the token or imported
// (aes.go). Each key's objects carry a fresh random 16-byte
// CKA_ID, which the key store keeps (KeyInfo.ID = a version byte followed by
// the CKA_ID), and CKA_LABEL = the key name. Private keys are sensitive and
// not extractable unless the key has the export usage flag and the provider
// allows export (allow_export); so are secret keys.
//
// Operations and token mechanisms:
//
//	GenerateKey        CKM_RSA_PKCS_KEY_PAIR_GEN, CKM_EC_KEY_PAIR_GEN, CKM_AES_KEY_GEN,
//	                   CKM_GENERIC_SECRET_KEY_GEN (token objects)
//	ImportKey          C_CreateObject: RSA/secp R1 public keys and key pairs, AES/HMAC keys
//	ExportPublicKey    CKA_MODULUS + CKA_PUBLIC_EXPONENT, or CKA_EC_POINT (DER or raw)
//	ExportKey          public keys; key pairs and secret keys (CKA_VALUE) created
//	                   with the export flag
//	DestroyKey         C_DestroyObject, then the mapping
//	SignHash           CKM_RSA_PKCS (DigestInfo added, or raw), CKM_RSA_PKCS_PSS
//	                   (salt = hash length, MGF1 with the same hash), CKM_ECDSA (r‖s)
//	VerifyHash         the same on the public object, or Go (software_public_operations)
//	AsymmetricEncrypt  CKM_RSA_PKCS, CKM_RSA_PKCS_OAEP (label = salt), or Go
//	AsymmetricDecrypt  CKM_RSA_PKCS, CKM_RSA_PKCS_OAEP; OAEP parameters the token
//	                   refuses, and any label, go through CKM_RSA_X_509 with
//	                   OAEP decoding in Go (SoftHSM: SHA-1 only, labels ignored)
//	AeadEncrypt/Decrypt    CKM_AES_GCM (12-byte nonce, tags 4, 8, 12-16 bytes)
//	CipherEncrypt/Decrypt  CKM_AES_CTR, CKM_AES_ECB, CKM_AES_CBC, CKM_AES_CBC_PAD
//	                   (padding checked in Go), CKM_AES_CFB128, CKM_AES_OFB
//	MacCompute/Verify  CKM_AES_CMAC, CKM_<hash>_HMAC, truncated in Go; verified
//	                   by computing and comparing in constant time
//	GenerateRandom     C_GenerateRandom
//	CanDoCrypto        the capability table (caps.go) and C_GetMechanismList
//
// Every symmetric algorithm needs its mechanism in the token's list, else
// PsaErrorNotSupported (SoftHSM 2.6: no CFB, OFB, or HMAC with SHA-512/t or
// SHA-3). Deterministic ECDSA, other curves, RSA sizes other than
// 2048/3072/4096, AES-CCM (no CK_CCM_PARAMS in miekg/pkcs11), CBC-MAC, XTS,
// ChaCha20 keys, key agreement and derivation answer PsaErrorNotSupported.
package pkcs11

// ProviderType is the provider_type of a [[provider]] entry for this provider.
const ProviderType = "Pkcs11"

// DefaultName is the provider's name when the configuration gives none.
const DefaultName = "pkcs11-provider"

// UUID is the Parsec UUID of the PKCS#11 provider (ListProviders).
const UUID = "30e39502-eba6-4d60-a4af-c518b7f5e38f"
