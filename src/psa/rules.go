// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

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
// tables, following the rules of Parsec's CanDoCrypto: key derivation is
// never answered (NotSupported); a Use check, and a Generate or Import
// check that names a permitted algorithm, needs an algorithm other than
// None, at least one usage flag of an operation, and an algorithm that fits
// the key type; a Use check needs a key size; a generation with deprecated
// primitives is refused unless allowed. Every refusal is NotSupported:
// CanDoCrypto answers only Success, NotPermitted or NotSupported (values
// outside the contract are InvalidEncoding, a malformed request).
func CheckCanDo(check CheckType, a KeyAttributes, allowDeprecated bool) error {
	switch check {
	case CheckDerive:
		return status.Errorf(status.PsaErrorNotSupported, "key derivation is not supported")
	case CheckGenerate, CheckImport, CheckUse:
	default:
		return status.Errorf(status.InvalidEncoding, "unknown check type %v", check)
	}
	if check == CheckGenerate && a.Deprecated() && !allowDeprecated {
		return status.Errorf(status.PsaErrorNotSupported, "key attributes use a deprecated primitive (allow_deprecated is off)")
	}
	if check == CheckUse || !permitsNothing(a.Policy.Alg) {
		if err := checkUsePolicy(a); err != nil {
			return err
		}
	}
	if check == CheckUse && a.Bits == 0 {
		return status.Errorf(status.PsaErrorNotSupported, "a key size is required")
	}
	return nil
}

// permitsNothing reports a policy without an algorithm (None on the wire;
// unset in a template built in Go).
func permitsNothing(alg Algorithm) bool { return alg.Kind == AlgNone || alg.Kind == AlgUnset }

// operationUsages are the usage flags that let a key take part in an
// operation; export, copy and cache alone do not. Derive is among them
// (PSA's key agreement needs it), where Parsec's rule forgets it and
// answers NotSupported for a key that can only agree (docs/compatibility.md).
const operationUsages = UsageEncrypt | UsageDecrypt | UsageSignMessage | UsageVerifyMessage | UsageSignHash | UsageVerifyHash | UsageDerive

func checkUsePolicy(a KeyAttributes) error {
	switch {
	case permitsNothing(a.Policy.Alg):
		return status.Errorf(status.PsaErrorNotSupported, "the key permits no algorithm")
	case a.Policy.Usage&operationUsages == 0:
		return status.Errorf(status.PsaErrorNotSupported, "the key permits no operation (no encrypt, decrypt, sign, verify or derive usage)")
	case !Fits(a.Type, a.Policy.Alg):
		return status.Errorf(status.PsaErrorNotSupported, "%v does not apply to a %v key", a.Policy.Alg, a.Type)
	}
	return nil
}

// Fits reports whether alg can be used with a key of type t at all, as PSA
// pairs key types with algorithm families (a hash or a raw-data key fits
// nothing).
func Fits(t KeyType, alg Algorithm) bool {
	switch t.Kind {
	case KeyHmac:
		return alg.Kind == AlgMac && alg.Mac.Kind == MacHmac
	case KeyDerive:
		return alg.Kind == AlgKeyDerivation
	case KeyAes, KeyCamellia, KeyDes:
		switch alg.Kind {
		case AlgMac:
			return alg.Mac.Kind == MacCbcMac || alg.Mac.Kind == MacCmac
		case AlgCipher:
			return alg.Cipher != CipherStream
		case AlgAead:
			return t.Kind != KeyDes && (alg.Aead.Alg == AeadCcm || alg.Aead.Alg == AeadGcm)
		}
		return false
	case KeyArc4:
		return alg.Kind == AlgCipher && alg.Cipher == CipherStream
	case KeyChacha20:
		return (alg.Kind == AlgCipher && alg.Cipher == CipherStream) ||
			(alg.Kind == AlgAead && alg.Aead.Alg == AeadChacha20Poly1305)
	case KeyRsaPair, KeyRsaPublic:
		return (alg.Kind == AlgAsymSign && alg.Sign.IsRSA()) || alg.Kind == AlgAsymEncrypt
	case KeyEccPair, KeyEccPublic:
		return (alg.Kind == AlgAsymSign && alg.Sign.IsECDSA()) ||
			(alg.Kind == AlgKeyAgreement && alg.KeyAgreement.Raw == KeyAgreementEcdh)
	case KeyDhPair, KeyDhPublic:
		return alg.Kind == AlgKeyAgreement && alg.KeyAgreement.Raw == KeyAgreementFfdh
	}
	return false
}

// CanDoAnswer turns a provider's verdict on a key template into what
// CanDoCrypto may answer: Success, NotPermitted or NotSupported. A template
// the provider finds invalid (InvalidArgument), or deprecated, is one it
// does not support; failures of the service itself (a TPM gone, a full
// store) stay what they are.
func CanDoAnswer(err error) error {
	switch status.CodeOf(err) {
	case status.PsaErrorInvalidArgument, status.DeprecatedPrimitive:
		return status.Errorf(status.PsaErrorNotSupported, "%v", err)
	}
	return err
}
