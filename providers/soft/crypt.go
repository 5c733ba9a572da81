// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package soft

import (
	"context"
	"crypto"
	"crypto/rsa"

	"github.com/parsecd/parsecd/providers/internal/rsaenc"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
)

// AsymmetricEncrypt implements provider.AsymEncryption: RSA PKCS#1 v1.5, and
// RSA OAEP whose label is the salt (an empty salt means no label). Public
// keys can encrypt.
func (p *Provider) AsymmetricEncrypt(ctx context.Context, c storage.Client, name string, alg psa.AsymEncrypt, plaintext, salt []byte) ([]byte, error) {
	k, err := p.loadFor(ctx, c, name, psa.UseEncrypt(alg, salt, plaintext))
	if err != nil {
		return nil, err
	}
	var ch crypto.Hash
	if alg.Kind == psa.EncRsaOaep {
		if ch, err = cryptoHash(alg.Hash); err != nil {
			return nil, err
		}
	}
	return rsaenc.Encrypt(k.rsaPublic(), alg, ch, plaintext, salt)
}

// AsymmetricDecrypt implements provider.AsymEncryption. Any decryption
// failure is PsaErrorInvalidPadding.
func (p *Provider) AsymmetricDecrypt(ctx context.Context, c storage.Client, name string, alg psa.AsymEncrypt, ciphertext, salt []byte) ([]byte, error) {
	k, err := p.loadFor(ctx, c, name, psa.UseDecrypt(alg, salt, ciphertext))
	if err != nil {
		return nil, err
	}
	var out []byte
	if alg.Kind == psa.EncRsaOaep {
		ch, herr := cryptoHash(alg.Hash)
		if herr != nil {
			return nil, herr
		}
		out, err = rsa.DecryptOAEP(ch.New(), nil, k.rsa, ciphertext, salt)
	} else {
		//lint:ignore SA1019 PKCS#1 v1.5 encryption is part of the Parsec/PSA contract (RsaPkcs1v15Crypt)
		out, err = rsa.DecryptPKCS1v15(nil, k.rsa, ciphertext)
	}
	if err != nil {
		return nil, status.Errorf(status.PsaErrorInvalidPadding, "decryption failed")
	}
	return out, nil
}
