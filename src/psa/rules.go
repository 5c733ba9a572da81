package psa

import "github.com/parsecd/parsecd/src/status"

// Rules on algorithm parameters that hold for every provider.

// CheckTagLength checks a shortened AEAD tag: CCM takes 4–16 even bytes,
// GCM 4, 8 or 12–16 bytes, ChaCha20-Poly1305 only its full 16 bytes.
func (a Aead) CheckTagLength() error {
	if !a.Shortened {
		return nil
	}
	n := a.TagLength
	ok := false
	switch a.Alg {
	case AeadCcm:
		ok = n >= 4 && n <= 16 && n%2 == 0
	case AeadGcm:
		ok = n == 4 || n == 8 || (n >= 12 && n <= 16)
	case AeadChacha20Poly1305:
		ok = n == 16
	}
	if !ok {
		return status.Errorf(status.PsaErrorInvalidArgument, "a %d-byte tag is not valid for this AEAD", n)
	}
	return nil
}

// FullLength is the untruncated length of a MAC in bytes: the hash size
// for HMAC, the AES block for CMAC and CBC-MAC.
func (m Mac) FullLength() uint32 {
	if m.Kind == MacHmac {
		return uint32(m.Hash.Size())
	}
	return 16
}

// CheckTruncation checks a truncated MAC: at least 4 bytes (PSA's minimum)
// and at most the full length.
func (m Mac) CheckTruncation() error {
	if m.Truncated && (m.Length < 4 || m.Length > m.FullLength()) {
		return status.Errorf(status.PsaErrorInvalidArgument, "a MAC truncated to %d bytes is not valid", m.Length)
	}
	return nil
}

// CheckEncryptSalt checks the salt of an asymmetric encryption: OAEP takes
// it as its label, PKCS#1 v1.5 takes none.
func CheckEncryptSalt(alg AsymEncrypt, salt []byte) error {
	switch alg.Kind {
	case EncRsaPkcs1v15:
		if len(salt) > 0 {
			return status.Errorf(status.PsaErrorInvalidArgument, "RSA PKCS#1 v1.5 encryption takes no salt")
		}
	case EncRsaOaep:
	default:
		return status.Errorf(status.PsaErrorNotSupported, "%v is not supported", alg)
	}
	return nil
}

// CheckCanDo is what every provider's CanDoCrypto checks before its own
// tables: the check types no provider answers (key derivation:
// PsaErrorNotSupported; values outside the contract: InvalidEncoding), a
// generation with deprecated primitives unless allowed (as GenerateKey
// refuses it), and a use check without a key size.
func CheckCanDo(check CheckType, a KeyAttributes, allowDeprecated bool) error {
	switch check {
	case CheckDerive:
		return status.Errorf(status.PsaErrorNotSupported, "key derivation is not supported")
	case CheckGenerate, CheckImport, CheckUse:
	default:
		return status.Errorf(status.InvalidEncoding, "unknown check type %v", check)
	}
	if check == CheckGenerate && a.Deprecated() && !allowDeprecated {
		return status.Errorf(status.DeprecatedPrimitive, "key attributes use a deprecated primitive")
	}
	if check == CheckUse && a.Bits == 0 {
		return status.Errorf(status.PsaErrorInvalidArgument, "a key size is required")
	}
	return nil
}
