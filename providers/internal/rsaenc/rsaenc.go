// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package rsaenc is the RSA encryption with a public key that providers run
// in Go (the software provider always, the PKCS#11 provider for
// software_public_operations and for OAEP parameters a token refuses), with
// the PSA status codes for its failures.
package rsaenc

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"errors"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

// Encrypt encrypts plaintext for pub with alg; h is the OAEP hash (unused
// for PKCS#1 v1.5) and label the OAEP label.
func Encrypt(pub *rsa.PublicKey, alg psa.AsymEncrypt, h crypto.Hash, plaintext, label []byte) ([]byte, error) {
	var out []byte
	var err error
	if alg.Kind == psa.EncRsaOaep {
		out, err = rsa.EncryptOAEP(h.New(), rand.Reader, pub, plaintext, label)
	} else {
		//lint:ignore SA1019 PKCS#1 v1.5 encryption is part of the Parsec/PSA contract (RsaPkcs1v15Crypt)
		out, err = rsa.EncryptPKCS1v15(rand.Reader, pub, plaintext)
	}
	if errors.Is(err, rsa.ErrMessageTooLong) {
		return nil, status.Errorf(status.PsaErrorInvalidArgument, "plaintext too long for the RSA key and algorithm")
	}
	if err != nil {
		return nil, status.Errorf(status.PsaErrorGenericError, "RSA encryption failed: %w", err)
	}
	return out, nil
}
