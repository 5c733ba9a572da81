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
			name:  "decrypt",
			about: "Decrypt data using the algorithm of the key",
			args:  []string{"INPUT_DATA"},
			auth:  true,
			define: func(o *options) func(*app, []string) error {
				var name string
				keyNameFlag(o, &name)
				return func(a *app, pos []string) error {
					a.keyName = name
					ct, err := decodeBase64("ciphertext", pos[0])
					if err != nil {
						return err
					}
					attrs, err := a.c.KeyAttributes(a.ctx, name)
					if err != nil {
						return err
					}
					alg, err := encryptionAlg(name, attrs.Policy.Alg, "decryption")
					if err != nil {
						return err
					}
					a.info("Decrypting data with %s...", debugAsymEncrypt(alg))
					return a.printText(a.c.AsymmetricDecrypt(a.ctx, name, alg, ct, nil))
				}
			},
		},
		{
			name:  "sign",
			about: "Sign data using the algorithm of the key (base64 signature)",
			args:  []string{"INPUT_DATA"},
			auth:  true,
			define: func(o *options) func(*app, []string) error {
				var name string
				keyNameFlag(o, &name)
				return func(a *app, pos []string) error {
					a.keyName = name
					return a.printBase64(a.signWithPolicy(name, []byte(pos[0])))
				}
			},
		},
		{
			name:  "encrypt",
			about: "Encrypt data using the algorithm of the key",
			args:  []string{"INPUT_DATA"},
			auth:  true,
			define: func(o *options) func(*app, []string) error {
				var name string
				keyNameFlag(o, &name)
				return func(a *app, pos []string) error {
					a.keyName = name
					attrs, err := a.c.KeyAttributes(a.ctx, name)
					if err != nil {
						return err
					}
					alg, err := encryptionAlg(name, attrs.Policy.Alg, "encryption")
					if err != nil {
						return err
					}
					a.info("Encrypting data with %s...", debugAsymEncrypt(alg))
					return a.printBase64(a.c.AsymmetricEncrypt(a.ctx, name, alg, []byte(pos[0]), nil))
				}
			},
		},
	}
}

// encryptionAlg is the asymmetric encryption algorithm of a key policy.
func encryptionAlg(name string, alg psa.Algorithm, use string) (psa.AsymEncrypt, error) {
	switch alg.Kind {
	case psa.AlgAsymEncrypt:
		return alg.Encrypt, nil
	case psa.AlgCipher, psa.AlgAead:
		return psa.AsymEncrypt{}, notSupported("key %q has the algorithm %s, which is not currently supported for %s", name, debugAlg(alg), use)
	}
	return psa.AsymEncrypt{}, keyAlgorithmError(name, alg, use)
}

// hashData hashes like parsec-tool: SHA-224/256/384/512 only.
func hashData(data []byte, h psa.Hash) ([]byte, error) {
	switch h {
	case psa.HashSHA224:
		d := sha256.Sum224(data)
		return d[:], nil
	case psa.HashSHA256:
		d := sha256.Sum256(data)
		return d[:], nil
	case psa.HashSHA384:
		d := sha512.Sum384(data)
		return d[:], nil
	case psa.HashSHA512:
		d := sha512.Sum512(data)
		return d[:], nil
	}
	return nil, notSupported("hashing algorithm %v is not supported", h)
}

// signWithPolicy hashes msg locally with the hash of the key's policy, signs
// the digest with PsaSignHash and returns the signature (ECDSA in DER).
func (a *app) signWithPolicy(name string, msg []byte) ([]byte, error) {
	attrs, err := a.c.KeyAttributes(a.ctx, name)
	if err != nil {
		return nil, err
	}
	if attrs.Policy.Alg.Kind != psa.AlgAsymSign {
		return nil, keyAlgorithmError(name, attrs.Policy.Alg, "signing")
	}
	alg := attrs.Policy.Alg.Sign
	if !alg.HasHash() || alg.AnyHash {
		return nil, notSupported("asymmetric signing algorithm %s is not supported", debugAsymSign(alg))
	}
	a.info("Hashing data with %v...", alg.Hash)
	digest, err := hashData(msg, alg.Hash)
	if err != nil {
		return nil, err
	}
	a.info("Signing data with %s...", debugAsymSign(alg))
	sig, err := a.c.SignHash(a.ctx, name, alg, digest)
	if err != nil {
		return nil, err
	}
	if alg.IsECDSA() {
		return client.ECDSASignatureToASN1(sig)
	}
	return sig, nil
}
