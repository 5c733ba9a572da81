// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package soft

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"testing"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

func TestAsymmetricEncryption(t *testing.T) {
	p, _ := newTestProvider(t)
	crypt := psa.UsageEncrypt | psa.UsageDecrypt
	oaep256 := psa.AsymEncrypt{Kind: psa.EncRsaOaep, Hash: psa.HashSHA256}
	oaep1 := psa.AsymEncrypt{Kind: psa.EncRsaOaep, Hash: psa.HashSHA1}
	pkcs1 := psa.AsymEncrypt{Kind: psa.EncRsaPkcs1v15}
	msg := []byte("hello parsec")

	k := importRSA(t, p, alice, "oaep", crypt, cryptPolicy(oaep256))
	for _, label := range [][]byte{nil, []byte("label")} {
		ct := must(p.AsymmetricEncrypt(bg, alice, "oaep", oaep256, msg, label))
		if len(ct) != 256 {
			t.Fatalf("ciphertext is %d bytes", len(ct))
		}
		// crypto/rsa decrypts it with the salt as OAEP label.
		if pt, err := rsa.DecryptOAEP(sha256.New(), nil, k, ct, label); err != nil || !bytes.Equal(pt, msg) {
			t.Fatalf("crypto/rsa DecryptOAEP: %q, %v", pt, err)
		}
		pt := must(p.AsymmetricDecrypt(bg, alice, "oaep", oaep256, ct, label))
		if !bytes.Equal(pt, msg) {
			t.Fatalf("decrypted %q", pt)
		}
		// And decrypts what crypto/rsa encrypts.
		ct = must(rsa.EncryptOAEP(sha256.New(), randReader, &k.PublicKey, msg, label))
		if pt := must(p.AsymmetricDecrypt(bg, alice, "oaep", oaep256, ct, label)); !bytes.Equal(pt, msg) {
			t.Fatalf("decrypted %q", pt)
		}
	}
	ct := must(p.AsymmetricEncrypt(bg, alice, "oaep", oaep256, msg, []byte("label")))
	_, err := p.AsymmetricDecrypt(bg, alice, "oaep", oaep256, ct, []byte("other"))
	wantCode(t, err, status.PsaErrorInvalidPadding, "AsymmetricDecrypt with another label")
	_, err = p.AsymmetricDecrypt(bg, alice, "oaep", oaep256, ct, nil)
	wantCode(t, err, status.PsaErrorInvalidPadding, "AsymmetricDecrypt without the label")
	_, err = p.AsymmetricDecrypt(bg, alice, "oaep", oaep256, flipBit(ct, 10), []byte("label"))
	wantCode(t, err, status.PsaErrorInvalidPadding, "AsymmetricDecrypt corrupted")
	// A ciphertext that is not as long as the modulus is an invalid
	// argument, as in the reference (Mbed TLS); one that is, but does not
	// decrypt, a bad padding.
	_, err = p.AsymmetricDecrypt(bg, alice, "oaep", oaep256, nil, nil)
	wantCode(t, err, status.PsaErrorInvalidArgument, "AsymmetricDecrypt empty ciphertext")
	_, err = p.AsymmetricDecrypt(bg, alice, "oaep", oaep256, ct[:3], nil)
	wantCode(t, err, status.PsaErrorInvalidArgument, "AsymmetricDecrypt 3-byte ciphertext")
	_, err = p.AsymmetricDecrypt(bg, alice, "oaep", oaep256, ct[1:], nil)
	wantCode(t, err, status.PsaErrorInvalidArgument, "AsymmetricDecrypt short ciphertext")
	_, err = p.AsymmetricDecrypt(bg, alice, "oaep", oaep256, append(ct, 0), nil)
	wantCode(t, err, status.PsaErrorInvalidArgument, "AsymmetricDecrypt long ciphertext")
	_, err = p.AsymmetricEncrypt(bg, alice, "oaep", oaep256, nil, nil)
	wantCode(t, err, status.PsaErrorInvalidArgument, "AsymmetricEncrypt empty plaintext")
	_, err = p.AsymmetricEncrypt(bg, alice, "oaep", oaep256, make([]byte, 256-2*32-1), nil)
	wantCode(t, err, status.PsaErrorInvalidArgument, "AsymmetricEncrypt plaintext too long")
	must(p.AsymmetricEncrypt(bg, alice, "oaep", oaep256, make([]byte, 256-2*32-2), nil))
	_, err = p.AsymmetricEncrypt(bg, alice, "oaep", oaep1, msg, nil)
	wantCode(t, err, status.PsaErrorNotPermitted, "AsymmetricEncrypt with another OAEP hash")
	_, err = p.AsymmetricEncrypt(bg, alice, "oaep", pkcs1, msg, nil)
	wantCode(t, err, status.PsaErrorNotPermitted, "AsymmetricEncrypt with PKCS#1 v1.5")
	_, err = p.AsymmetricEncrypt(bg, alice, "oaep", psa.AsymEncrypt{Kind: psa.EncRsaOaep}, msg, nil)
	wantCode(t, err, status.PsaErrorInvalidArgument, "OAEP without a hash")

	// OAEP with SHA-1 (a deprecated hash; the key is imported, so allowed).
	importRSA(t, p, alice, "oaep1", crypt, cryptPolicy(oaep1))
	ct = must(p.AsymmetricEncrypt(bg, alice, "oaep1", oaep1, msg, nil))
	if pt, err := rsa.DecryptOAEP(sha1.New(), nil, k, ct, nil); err != nil || !bytes.Equal(pt, msg) {
		t.Fatalf("crypto/rsa DecryptOAEP SHA-1: %q, %v", pt, err)
	}

	// PKCS#1 v1.5.
	importRSA(t, p, alice, "pkcs1", crypt, cryptPolicy(pkcs1))
	ct = must(p.AsymmetricEncrypt(bg, alice, "pkcs1", pkcs1, msg, nil))
	//lint:ignore SA1019 PKCS#1 v1.5 encryption is part of the Parsec/PSA contract (RsaPkcs1v15Crypt)
	if pt, err := rsa.DecryptPKCS1v15(nil, k, ct); err != nil || !bytes.Equal(pt, msg) {
		t.Fatalf("crypto/rsa DecryptPKCS1v15: %q, %v", pt, err)
	}
	if pt := must(p.AsymmetricDecrypt(bg, alice, "pkcs1", pkcs1, ct, nil)); !bytes.Equal(pt, msg) {
		t.Fatalf("decrypted %q", pt)
	}
	//lint:ignore SA1019 PKCS#1 v1.5 encryption is part of the Parsec/PSA contract (RsaPkcs1v15Crypt)
	ct = must(rsa.EncryptPKCS1v15(randReader, &k.PublicKey, msg))
	if pt := must(p.AsymmetricDecrypt(bg, alice, "pkcs1", pkcs1, ct, nil)); !bytes.Equal(pt, msg) {
		t.Fatalf("decrypted %q", pt)
	}
	_, err = p.AsymmetricEncrypt(bg, alice, "pkcs1", pkcs1, msg, []byte("salt"))
	wantCode(t, err, status.PsaErrorInvalidArgument, "PKCS#1 v1.5 encryption with a salt")
	_, err = p.AsymmetricDecrypt(bg, alice, "pkcs1", pkcs1, ct, []byte("salt"))
	wantCode(t, err, status.PsaErrorInvalidArgument, "PKCS#1 v1.5 decryption with a salt")
	_, err = p.AsymmetricEncrypt(bg, alice, "pkcs1", pkcs1, make([]byte, 256-10), nil)
	wantCode(t, err, status.PsaErrorInvalidArgument, "PKCS#1 v1.5 plaintext too long")
	_, err = p.AsymmetricDecrypt(bg, alice, "pkcs1", pkcs1, flipBit(ct, 0), nil)
	wantCode(t, err, status.PsaErrorInvalidPadding, "PKCS#1 v1.5 corrupted")

	// Usage flags.
	importRSA(t, p, alice, "enc-only", psa.UsageEncrypt, cryptPolicy(oaep256))
	ct = must(p.AsymmetricEncrypt(bg, alice, "enc-only", oaep256, msg, nil))
	_, err = p.AsymmetricDecrypt(bg, alice, "enc-only", oaep256, ct, nil)
	wantCode(t, err, status.PsaErrorNotPermitted, "AsymmetricDecrypt without decrypt usage")
	importRSA(t, p, alice, "dec-only", psa.UsageDecrypt, cryptPolicy(oaep256))
	_, err = p.AsymmetricEncrypt(bg, alice, "dec-only", oaep256, msg, nil)
	wantCode(t, err, status.PsaErrorNotPermitted, "AsymmetricEncrypt without encrypt usage")
	must(p.AsymmetricDecrypt(bg, alice, "dec-only", oaep256, ct, nil))

	// A signing key cannot encrypt.
	importRSA(t, p, alice, "signer", allSign|crypt, signPolicy(signAlg(psa.SignRsaPkcs1v15, psa.HashSHA256)))
	_, err = p.AsymmetricEncrypt(bg, alice, "signer", oaep256, msg, nil)
	wantCode(t, err, status.PsaErrorNotPermitted, "AsymmetricEncrypt with a signing policy")

	// ECC keys cannot encrypt.
	e := importECCKey(t, 256)
	wantCode(t, p.ImportKey(bg, alice, "ecc", attrs(psa.KeyEccPair, psa.EccSecpR1, 256, crypt, cryptPolicy(oaep256)), must(e.Bytes())), status.Success, "ImportKey ECC")
	_, err = p.AsymmetricEncrypt(bg, alice, "ecc", oaep256, msg, nil)
	wantCode(t, err, status.PsaErrorNotPermitted, "AsymmetricEncrypt with an ECC key")

	// Public keys encrypt but cannot decrypt.
	wantCode(t, p.ImportKey(bg, alice, "pub", attrs(psa.KeyRsaPublic, 0, 0, crypt, cryptPolicy(oaep256)), x509.MarshalPKCS1PublicKey(&k.PublicKey)), status.Success, "ImportKey RSA public")
	ct = must(p.AsymmetricEncrypt(bg, alice, "pub", oaep256, msg, nil))
	if pt := must(p.AsymmetricDecrypt(bg, alice, "oaep", oaep256, ct, nil)); !bytes.Equal(pt, msg) {
		t.Fatalf("decrypted %q", pt)
	}
	_, err = p.AsymmetricDecrypt(bg, alice, "pub", oaep256, ct, nil)
	wantCode(t, err, status.PsaErrorInvalidArgument, "AsymmetricDecrypt with a public key")

	_, err = p.AsymmetricEncrypt(bg, alice, "missing", oaep256, msg, nil)
	wantCode(t, err, status.PsaErrorDoesNotExist, "AsymmetricEncrypt missing")
	_, err = p.AsymmetricDecrypt(bg, alice, "missing", oaep256, ct, nil)
	wantCode(t, err, status.PsaErrorDoesNotExist, "AsymmetricDecrypt missing")
	_, err = p.AsymmetricDecrypt(bg, bob, "oaep", oaep256, ct, nil)
	wantCode(t, err, status.PsaErrorDoesNotExist, "AsymmetricDecrypt with another app's key")
}
