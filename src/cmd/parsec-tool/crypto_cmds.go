// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package main

import (
	"crypto/sha256"
	"crypto/sha512"

	"github.com/parsecd/parsecd/src/client"
	"github.com/parsecd/parsecd/src/psa"
)

// Data subcommands: sign, encrypt, decrypt. Each follows the policy the key
// was created with, looked up with ListKeys.

func cryptoCommands() []*command {
	return []*command{
		{
			name:    "decrypt",
			about:   "Decrypt data using the algorithm of the key",
			args:    []string{"INPUT_DATA"},
			argHelp: []string{"Ciphertext base64 encoded"},
			auth:    true,
			define: func(o *options) func(*app, []string) error {
				var name string
				keyNameFlag(o, &name)
				return func(a *app, pos []string) error {
					ct, err := decodeBase64(pos[0])
					if err != nil {
						return err
					}
					attrs, err := a.keyAttributes(name)
					if err != nil {
						return err
					}
					alg, err := a.encryptionAlg(attrs.Policy.Alg, "decryption", "can not")
					if err != nil {
						return err
					}
					a.info("Decrypting data with %s...", debugAsymEncrypt(alg))
					if err := a.crypto(); err != nil {
						return err
					}
					return a.printText(a.c.AsymmetricDecrypt(a.ctx, name, alg, ct, nil))
				}
			},
		},
		{
			name:    "sign",
			about:   "Sign data using the algorithm of the key (base64 signature)",
			args:    []string{"INPUT_DATA"},
			argHelp: []string{"String of UTF-8 text"},
			auth:    true,
			define: func(o *options) func(*app, []string) error {
				var name string
				keyNameFlag(o, &name)
				return func(a *app, pos []string) error {
					return a.printBase64(a.signWithPolicy(name, []byte(pos[0]), nil))
				}
			},
		},
		{
			name:    "encrypt",
			about:   "Encrypt data using the algorithm of the key",
			args:    []string{"INPUT_DATA"},
			argHelp: []string{"Plaintext input string"},
			auth:    true,
			define: func(o *options) func(*app, []string) error {
				var name string
				keyNameFlag(o, &name)
				return func(a *app, pos []string) error {
					attrs, err := a.keyAttributes(name)
					if err != nil {
						return err
					}
					alg, err := a.encryptionAlg(attrs.Policy.Alg, "encryption", "cannot")
					if err != nil {
						return err
					}
					a.info("Encrypting data with %s...", debugAsymEncrypt(alg))
					if err := a.crypto(); err != nil {
						return err
					}
					return a.printBase64(a.c.AsymmetricEncrypt(a.ctx, name, alg, []byte(pos[0]), nil))
				}
			},
		},
	}
}

// encryptionAlg is the asymmetric encryption algorithm of a key policy;
// parsec-tool's wording of the refusals differs between encrypt ("cannot")
// and decrypt ("can not").
func (a *app) encryptionAlg(alg psa.Algorithm, use, cannot string) (psa.AsymEncrypt, error) {
	switch alg.Kind {
	case psa.AlgAsymEncrypt:
		return alg.Encrypt, nil
	case psa.AlgCipher, psa.AlgAead:
		a.errorf("Key's algorithm is %s which is not currently supported for %s.", debugAlg(alg), use)
		return psa.AsymEncrypt{}, &toolError{kind: "NotSupported"}
	}
	a.errorf("Key's algorithm is %s which %s be used for %s.", debugAlg(alg), cannot, use)
	return psa.AsymEncrypt{}, &toolError{kind: "WrongKeyAlgorithm"}
}

// hashData hashes like parsec-tool: SHA-224/256/384/512 only.
func (a *app) hashData(data []byte, h psa.Hash) ([]byte, error) {
	var d []byte
	switch h {
	case psa.HashSHA224:
		s := sha256.Sum224(data)
		d = s[:]
	case psa.HashSHA256:
		s := sha256.Sum256(data)
		d = s[:]
	case psa.HashSHA384:
		s := sha512.Sum384(data)
		d = s[:]
	case psa.HashSHA512:
		s := sha512.Sum512(data)
		d = s[:]
	default:
		a.log.log(levelError, targetUtil, "Hashing algorithm (%v) not supported", h)
		return nil, &toolError{kind: "NotSupported"}
	}
	a.log.log(levelInfo, targetUtil, "Hashing data with %v...", h)
	return d, nil
}

// signWithPolicy signs msg as parsec-tool's sign_message_with_policy: the
// key's policy gives the algorithm; msg is hashed locally with its hash
// (defaultHash when the policy permits any hash, e.g. for create-csr) and
// the digest signed with PsaSignHash. ECDSA signatures come back in DER.
func (a *app) signWithPolicy(name string, msg []byte, defaultHash *psa.Hash) ([]byte, error) {
	return a.signDigest(name, func(h psa.Hash) ([]byte, error) { return a.hashData(msg, h) }, defaultHash)
}

// signDigest is signWithPolicy with the hashing done by hash.
func (a *app) signDigest(name string, hash func(psa.Hash) ([]byte, error), defaultHash *psa.Hash) ([]byte, error) {
	attrs, err := a.keyAttributes(name)
	if err != nil {
		return nil, err
	}
	if attrs.Policy.Alg.Kind != psa.AlgAsymSign {
		a.log.log(levelError, targetUtil, "Key's algorithm is %s which can not be used for signing.", debugAlg(attrs.Policy.Alg))
		return nil, &toolError{kind: "WrongKeyAlgorithm"}
	}
	alg := attrs.Policy.Alg.Sign
	var digest []byte
	switch {
	case alg.HasHash() && !alg.AnyHash:
		if digest, err = hash(alg.Hash); err != nil {
			return nil, err
		}
	case alg.HasHash() && defaultHash != nil:
		if digest, err = hash(*defaultHash); err != nil {
			return nil, err
		}
	case alg.HasHash():
		a.log.log(levelError, targetUtil, "Signing key allows any hashing algorithm, but no default was specified.")
		return nil, &toolError{kind: "NotSupported"}
	default:
		a.log.log(levelError, targetUtil, "Asymmetric signing algorithm (%s) is not supported", debugAsymSign(alg))
		return nil, &toolError{kind: "NotSupported"}
	}
	a.log.log(levelInfo, targetUtil, "Signing data with %s...", debugAsymSign(alg))
	if err := a.crypto(); err != nil {
		return nil, err
	}
	sig, err := a.c.SignHash(a.ctx, name, alg, digest)
	if err != nil {
		return nil, err
	}
	if alg.IsECDSA() {
		return client.ECDSASignatureToASN1(sig)
	}
	return sig, nil
}
