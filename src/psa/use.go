// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package psa

import "github.com/parsecd/parsecd/src/status"

// Use is what one operation asks of a key: a usage flag, an algorithm, and
// the inputs its policy check looks at. Every provider runs the same steps
// before an operation (load the key, Check the Use against the key's
// attributes, then its own capability table for Alg), so a provider
// operation states only its Use; the constructors below make each kind.
type Use struct {
	Usage UsageFlags
	Alg   Algorithm
	// hashLen is the digest length of a hash signature, -1 when the
	// provider hashes the message itself.
	hashLen int
	// salt is asymmetric encryption's salt (OAEP label); input is the
	// plaintext of an asymmetric encryption (which must not be empty) or
	// the ciphertext of a decryption (whose length the key fixes).
	salt, input []byte
}

// UseSign is a signature or its verification (usage says which: one of the
// sign or verify hash or message flags) over a digest of hashLen bytes; -1
// for a message, which the provider hashes.
func UseSign(usage UsageFlags, alg AsymSign, hashLen int) Use {
	return Use{Usage: usage, Alg: Algorithm{Kind: AlgAsymSign, Sign: alg}, hashLen: hashLen}
}

// UseEncrypt is an asymmetric encryption of plaintext with salt.
func UseEncrypt(alg AsymEncrypt, salt, plaintext []byte) Use {
	return Use{Usage: UsageEncrypt, Alg: Algorithm{Kind: AlgAsymEncrypt, Encrypt: alg}, salt: salt, input: plaintext}
}

// UseDecrypt is an asymmetric decryption of ciphertext with salt.
func UseDecrypt(alg AsymEncrypt, salt, ciphertext []byte) Use {
	return Use{Usage: UsageDecrypt, Alg: Algorithm{Kind: AlgAsymEncrypt, Encrypt: alg}, salt: salt, input: ciphertext}
}

// UseCipher is an unauthenticated cipher operation (UsageEncrypt or
// UsageDecrypt).
func UseCipher(usage UsageFlags, alg Cipher) Use {
	return Use{Usage: usage, Alg: Algorithm{Kind: AlgCipher, Cipher: alg}}
}

// UseAead is an AEAD encryption or decryption (UsageEncrypt or UsageDecrypt).
func UseAead(usage UsageFlags, alg Aead) Use {
	return Use{Usage: usage, Alg: Algorithm{Kind: AlgAead, Aead: alg}}
}

// UseMac is a MAC computation or verification (UsageSignMessage or
// UsageVerifyMessage, as PSA defines for MACs).
func UseMac(usage UsageFlags, alg Mac) Use {
	return Use{Usage: usage, Alg: Algorithm{Kind: AlgMac, Mac: alg}}
}

// UseAgreement is a raw key agreement with the key as the private key.
func UseAgreement(alg KeyAgreementRaw) Use {
	return Use{Usage: UsageDerive, Alg: Algorithm{Kind: AlgKeyAgreement, KeyAgreement: KeyAgreement{Raw: alg}}}
}

// Check decides whether key a may be used so: the policy check of the
// algorithm's kind (CheckSign, CheckEncrypt, CheckCipher, CheckAead,
// CheckMac, CheckKeyAgreement), then, for what needs the private key
// (signing, decrypting, agreeing), that a is a key pair. A public key is
// PsaErrorInvalidArgument there, after the policy check: PSA answers a
// permitted use of the wrong kind of key so, and an operation a public
// key's policy does not permit stays PsaErrorNotPermitted. Whether the
// provider implements Alg for a's type is the provider's check, after this.
func (u Use) Check(a KeyAttributes) error {
	switch u.Alg.Kind {
	case AlgAsymSign:
		if err := CheckSign(a, u.Usage, u.Alg.Sign, u.hashLen); err != nil {
			return err
		}
		if u.Usage.Has(UsageSignHash) || u.Usage.Has(UsageSignMessage) {
			if !a.Type.IsPair() {
				return status.Errorf(status.PsaErrorInvalidArgument, "a %v cannot sign", a.Type)
			}
		}
		return nil
	case AlgAsymEncrypt:
		if err := CheckEncrypt(a, u.Usage, u.Alg.Encrypt, u.salt); err != nil {
			return err
		}
		if u.Usage == UsageDecrypt {
			return CheckCiphertext(a, u.input)
		}
		if len(u.input) == 0 {
			return status.Errorf(status.PsaErrorInvalidArgument, "plaintext is empty")
		}
		return nil
	case AlgCipher:
		return CheckCipher(a, u.Usage, u.Alg.Cipher)
	case AlgAead:
		return CheckAead(a, u.Usage, u.Alg.Aead)
	case AlgMac:
		return CheckMac(a, u.Usage, u.Alg.Mac)
	case AlgKeyAgreement:
		if err := CheckKeyAgreement(a, u.Alg.KeyAgreement.Raw); err != nil {
			return err
		}
		if !a.Type.IsPair() {
			return status.Errorf(status.PsaErrorInvalidArgument, "a %v cannot be the private key of a key agreement", a.Type)
		}
		return nil
	}
	return status.Errorf(status.PsaErrorInvalidArgument, "%v is not an operation on a key", u.Alg)
}

// Public reports whether the use needs only the public part of the key
// (verifying, encrypting with an asymmetric key).
func (u Use) Public() bool {
	switch u.Alg.Kind {
	case AlgAsymSign:
		return u.Usage.Has(UsageVerifyHash) || u.Usage.Has(UsageVerifyMessage)
	case AlgAsymEncrypt:
		return u.Usage == UsageEncrypt
	}
	return false
}
