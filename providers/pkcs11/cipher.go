// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build cgo && pkcs11

package pkcs11

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"unsafe"

	"github.com/miekg/pkcs11"

	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
)

var _ provider.Cipher = (*Provider)(nil)

// Unauthenticated ciphers (PsaCipherEncrypt/Decrypt) on the token, with
// the software provider's rules. Encryption generates a random IV
// (crypto/rand) and returns IV ‖ ciphertext; decryption takes IV ‖
// ciphertext:
//
//   - AES, 16-byte IV: CTR (CKM_AES_CTR, the whole 16-byte counter block
//     counts: ulCounterBits 128), CBC_NO_PADDING (CKM_AES_CBC), CBC_PKCS7
//     (CKM_AES_CBC_PAD), CFB (CKM_AES_CFB128) and OFB (CKM_AES_OFB);
//     ECB_NO_PADDING (CKM_AES_ECB) has no IV. CBC_PKCS7 decrypts with
//     CKM_AES_CBC and checks the padding in Go, in constant time: tokens
//     report bad padding inconsistently (SoftHSM 2.6 as
//     CKR_GENERAL_ERROR), and the check should not leak where it fails. Each needs its mechanism in
//     the token's list, else PsaErrorNotSupported (SoftHSM 2.6 has no CFB
//     or OFB). XTS is not supported (1134).
//   - STREAM_CIPHER (ChaCha20): not supported (no ChaCha20 keys).
//
// Lengths: ECB and CBC without padding take a non-empty multiple of 16
// bytes; CBC_PKCS7 encrypts any length and decrypts a non-empty multiple
// of 16 bytes; the stream modes take any length, empty included. A wrong
// length, or a decryption input shorter than the IV, is
// PsaErrorInvalidArgument (1135); bad PKCS#7 padding is
// PsaErrorInvalidPadding (1150).

const aesBlock = 16

// cipherMechs are the mechanisms of the AES modes.
var cipherMechs = map[psa.Cipher]uint{
	psa.CipherCtr:          pkcs11.CKM_AES_CTR,
	psa.CipherCfb:          pkcs11.CKM_AES_CFB128,
	psa.CipherOfb:          pkcs11.CKM_AES_OFB,
	psa.CipherEcbNoPadding: pkcs11.CKM_AES_ECB,
	psa.CipherCbcNoPadding: pkcs11.CKM_AES_CBC,
	psa.CipherCbcPkcs7:     pkcs11.CKM_AES_CBC_PAD,
}

// checkCipher is checkAlgorithm for ciphers.
func (p *Provider) checkCipher(c psa.Cipher, t psa.KeyType, mismatch func() error, unsupported func(string) error) error {
	switch c {
	case psa.CipherStream:
		if t.Kind != psa.KeyChacha20 {
			return mismatch()
		}
		return unsupported("")
	case psa.CipherXts:
		if t.Kind != psa.KeyAes {
			return mismatch()
		}
		return unsupported("")
	}
	m, ok := cipherMechs[c]
	if !ok {
		return unsupported("")
	}
	if t.Kind != psa.KeyAes {
		return mismatch()
	}
	if !p.mech(m, pkcs11.CKF_ENCRYPT|pkcs11.CKF_DECRYPT) {
		return unsupported(": the token has no " + mechName(m))
	}
	if c == psa.CipherCbcPkcs7 && !p.mech(pkcs11.CKM_AES_CBC, pkcs11.CKF_DECRYPT) {
		return unsupported(": the token has no " + mechName(pkcs11.CKM_AES_CBC))
	}
	return nil
}

// ivSize is the IV length of a mode: none for ECB, the AES block otherwise.
func ivSize(alg psa.Cipher) int {
	if alg == psa.CipherEcbNoPadding {
		return 0
	}
	return aesBlock
}

// checkLength applies the length rules above to the input of an
// encryption (decrypt false) or to the ciphertext after the IV.
func checkLength(alg psa.Cipher, n int, decrypt bool) error {
	switch alg {
	case psa.CipherEcbNoPadding, psa.CipherCbcNoPadding, psa.CipherCbcPkcs7:
		if alg == psa.CipherCbcPkcs7 && !decrypt {
			return nil
		}
		if n == 0 || n%aesBlock != 0 {
			return status.Errorf(status.PsaErrorInvalidArgument, "%v needs a non-empty multiple of %d bytes, not %d", alg, aesBlock, n)
		}
	}
	return nil
}

// ctrParams encodes CK_AES_CTR_PARAMS {CK_ULONG ulCounterBits; CK_BYTE cb[16]}:
// CK_ULONG is a C unsigned long, the size of a Go uint on the LP64 and
// ILP32 platforms cgo builds for (not on Windows, where it is 4 bytes).
func ctrParams(iv []byte) []byte {
	n := int(unsafe.Sizeof(uint(0)))
	b := make([]byte, n+aesBlock)
	if n == 8 {
		binary.NativeEndian.PutUint64(b, 128)
	} else {
		binary.NativeEndian.PutUint32(b, 128)
	}
	copy(b[n:], iv)
	return b
}

// cipherMechanism is the token mechanism of alg with iv.
func cipherMechanism(alg psa.Cipher, iv []byte, decrypt bool) []*pkcs11.Mechanism {
	m := cipherMechs[alg]
	if alg == psa.CipherCbcPkcs7 && decrypt {
		m = pkcs11.CKM_AES_CBC // padding checked in Go
	}
	var param any
	switch alg {
	case psa.CipherEcbNoPadding:
	case psa.CipherCtr:
		param = ctrParams(iv)
	default:
		param = iv
	}
	return []*pkcs11.Mechanism{pkcs11.NewMechanism(m, param)}
}

// cipherKey loads a key and checks its policy (usage and algorithm) and
// the capability table.
func (p *Provider) cipherKey(ctx context.Context, c storage.Client, name string, usage psa.UsageFlags, alg psa.Cipher) (*keyRef, error) {
	return p.loadFor(ctx, c, name, psa.UseCipher(usage, alg))
}

// cipherRun runs one single-part encryption or decryption on the token.
func (p *Provider) cipherRun(ctx context.Context, k *keyRef, alg psa.Cipher, iv, in []byte, decrypt bool) ([]byte, error) {
	if len(in) == 0 && alg != psa.CipherCbcPkcs7 {
		// Stream modes: nothing to do (checkLength refused the block modes).
		return []byte{}, nil
	}
	mech := cipherMechanism(alg, iv, decrypt)
	lengths := remap{
		pkcs11.CKR_DATA_LEN_RANGE:           status.PsaErrorInvalidArgument,
		pkcs11.CKR_ENCRYPTED_DATA_LEN_RANGE: status.PsaErrorInvalidArgument,
	}
	var out []byte
	err := p.withSecret(ctx, k, func(h pkcs11.SessionHandle, obj pkcs11.ObjectHandle) error {
		var err error
		if decrypt {
			if err = p.mod.ctx.DecryptInit(h, mech, obj); err != nil {
				return p11("C_DecryptInit", err)
			}
			out, err = p.mod.ctx.Decrypt(h, in)
			return p11("C_Decrypt", err, lengths)
		}
		if err = p.mod.ctx.EncryptInit(h, mech, obj); err != nil {
			return p11("C_EncryptInit", err)
		}
		out, err = p.mod.ctx.Encrypt(h, in)
		return p11("C_Encrypt", err, lengths)
	})
	return out, err
}

// CipherEncrypt implements provider.Cipher.
func (p *Provider) CipherEncrypt(ctx context.Context, c storage.Client, name string, alg psa.Cipher, plaintext []byte) ([]byte, error) {
	k, err := p.cipherKey(ctx, c, name, psa.UsageEncrypt, alg)
	if err != nil {
		return nil, err
	}
	if err := checkLength(alg, len(plaintext), false); err != nil {
		return nil, err
	}
	iv := make([]byte, ivSize(alg))
	rand.Read(iv)
	ct, err := p.cipherRun(ctx, k, alg, iv, plaintext, false)
	if err != nil {
		return nil, err
	}
	want := len(plaintext)
	if alg == psa.CipherCbcPkcs7 {
		want += aesBlock - len(plaintext)%aesBlock
	}
	if len(ct) != want {
		return nil, status.Errorf(status.PsaErrorGenericError, "the token returned %d bytes of ciphertext, want %d", len(ct), want)
	}
	return append(iv, ct...), nil
}

// CipherDecrypt implements provider.Cipher.
func (p *Provider) CipherDecrypt(ctx context.Context, c storage.Client, name string, alg psa.Cipher, ciphertext []byte) ([]byte, error) {
	k, err := p.cipherKey(ctx, c, name, psa.UsageDecrypt, alg)
	if err != nil {
		return nil, err
	}
	n := ivSize(alg)
	if len(ciphertext) < n {
		return nil, status.Errorf(status.PsaErrorInvalidArgument, "input of %d bytes is shorter than the %d-byte IV", len(ciphertext), n)
	}
	if err := checkLength(alg, len(ciphertext)-n, true); err != nil {
		return nil, err
	}
	out, err := p.cipherRun(ctx, k, alg, ciphertext[:n], ciphertext[n:], true)
	if err != nil || alg != psa.CipherCbcPkcs7 {
		return out, err
	}
	if len(out) != len(ciphertext)-n {
		clear(out)
		return nil, status.Errorf(status.PsaErrorGenericError, "the token returned %d bytes for %d bytes of ciphertext", len(out), len(ciphertext)-n)
	}
	m, ok := pkcs7Unpad(out)
	if !ok {
		clear(out)
		return nil, status.Errorf(status.PsaErrorInvalidPadding, "invalid PKCS#7 padding")
	}
	clear(out[m:])
	return out[:m:m], nil
}

// pkcs7Unpad checks the padding of a non-empty multiple of 16 bytes and
// returns the length without it. It reads the whole last block whatever the
// padding, so that its time does not depend on where the padding is wrong.
func pkcs7Unpad(p []byte) (int, bool) {
	last := p[len(p)-aesBlock:]
	n := int(last[aesBlock-1])
	good := subtle.ConstantTimeLessOrEq(1, n) & subtle.ConstantTimeLessOrEq(n, aesBlock)
	for i := range aesBlock {
		// Byte 15-i is padding when i < n and must then equal n.
		inPad := subtle.ConstantTimeLessOrEq(i+1, n)
		good &= subtle.ConstantTimeSelect(inPad, subtle.ConstantTimeByteEq(last[aesBlock-1-i], byte(n)), 1)
	}
	if good != 1 {
		return 0, false
	}
	return len(p) - n, true
}
