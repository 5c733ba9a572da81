// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package psa

import "github.com/parsecd/parsecd/src/status"

// permitsSign reports whether a policy algorithm allows the requested one:
// the same variant, with the same hash or the policy's "any hash" wildcard.
func permitsSign(policy Algorithm, req AsymSign) bool {
	if policy.Kind != AlgAsymSign || policy.Sign.Kind != req.Kind {
		return false
	}
	return !req.HasHash() || policy.Sign.AnyHash || policy.Sign.Hash == req.Hash
}

// CheckSign decides whether key a may produce or check (usage says which)
// a signature with alg over a digest of hashLen bytes. A negative hashLen
// skips the length check (message signing hashes inside the provider).
func CheckSign(a KeyAttributes, usage UsageFlags, alg AsymSign, hashLen int) error {
	if alg.AnyHash || (alg.HasHash() && !alg.Hash.Valid()) {
		return status.Errorf(status.PsaErrorInvalidArgument, "%v is a policy wildcard, not an algorithm", alg)
	}
	if !a.Policy.Usage.Has(usage) {
		return status.Errorf(status.PsaErrorNotPermitted, "key usage flags do not allow this operation")
	}
	if !permitsSign(a.Policy.Alg, alg) {
		return status.Errorf(status.PsaErrorNotPermitted, "key policy %v does not permit %v", a.Policy.Alg, alg)
	}
	if (alg.IsRSA() && !a.Type.IsRSA()) || (alg.IsECDSA() && !a.Type.IsECC()) {
		return status.Errorf(status.PsaErrorNotPermitted, "%v cannot be used with a %v key", alg, a.Type)
	}
	if hashLen >= 0 && alg.HasHash() && hashLen != alg.Hash.Size() {
		return status.Errorf(status.PsaErrorInvalidArgument, "hash of %d bytes does not match %v", hashLen, alg.Hash)
	}
	return nil
}

// CheckEncrypt decides whether key a may encrypt or decrypt (usage says
// which) with alg, then whether alg takes salt (CheckEncryptSalt).
func CheckEncrypt(a KeyAttributes, usage UsageFlags, alg AsymEncrypt, salt []byte) error {
	if alg.Kind == EncRsaOaep && !alg.Hash.Valid() {
		return status.Errorf(status.PsaErrorInvalidArgument, "OAEP needs a hash algorithm")
	}
	if !a.Policy.Usage.Has(usage) {
		return status.Errorf(status.PsaErrorNotPermitted, "key usage flags do not allow this operation")
	}
	if a.Policy.Alg.Kind != AlgAsymEncrypt || a.Policy.Alg.Encrypt != alg {
		return status.Errorf(status.PsaErrorNotPermitted, "key policy %v does not permit %v", a.Policy.Alg, alg)
	}
	if !a.Type.IsRSA() {
		return status.Errorf(status.PsaErrorNotPermitted, "%v cannot be used with a %v key", alg, a.Type)
	}
	return CheckEncryptSalt(alg, salt)
}

// CheckCiphertext decides whether key a can decrypt ciphertext at all: it
// must be a key pair, and an RSA ciphertext is exactly as long as the
// modulus; any other length is PsaErrorInvalidArgument (as Mbed TLS
// answers), while a ciphertext of the right length that does not decrypt
// is PsaErrorInvalidPadding, for the provider to say.
func CheckCiphertext(a KeyAttributes, ciphertext []byte) error {
	if !a.Type.IsPair() {
		return status.Errorf(status.PsaErrorInvalidArgument, "a %v cannot decrypt", a.Type)
	}
	if size := (int(a.Bits) + 7) / 8; a.Type.IsRSA() && len(ciphertext) != size {
		return status.Errorf(status.PsaErrorInvalidArgument, "ciphertext is %d bytes, the key's modulus %d", len(ciphertext), size)
	}
	return nil
}

// CheckExport decides whether the key material of a may leave the service.
// Public keys can always be exported (PSA: the export flag does not apply to them).
func CheckExport(a KeyAttributes) error {
	if !a.Type.IsPublic() && !a.Policy.Usage.Has(UsageExport) {
		return status.Errorf(status.PsaErrorNotPermitted, "key was not created with the export usage flag")
	}
	return nil
}

// Deprecated reports whether generating a key with these attributes uses a
// deprecated primitive (facts §4.10): MD2/MD4/MD5/SHA-1 anywhere in the
// policy, DES or ARC4 keys, and the weak curve families.
func (a KeyAttributes) Deprecated() bool {
	for _, h := range a.Policy.Alg.Hashes() {
		if h.Deprecated() {
			return true
		}
	}
	switch a.Type.Kind {
	case KeyDes, KeyArc4:
		return true
	case KeyEccPublic, KeyEccPair:
		switch a.Type.EccFamily {
		case EccSecpR2, EccSectR2:
			return true
		case EccSectR1, EccSectK1:
			return a.Bits == 163
		case EccBrainpoolPR1:
			return a.Bits == 160
		}
	}
	return false
}
