// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package main

import (
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"math"

	"github.com/parsecd/parsecd/src/psa"
)

// Key management subcommands: create-rsa-key, create-ecc-key, delete-key,
// export-public-key.

const signUsage = psa.UsageSignHash | psa.UsageVerifyHash | psa.UsageSignMessage | psa.UsageVerifyMessage

func keyNameFlag(o *options, p *string) *carg {
	return o.String(p, 'k', "key-name", "", "", true)
}

// extraKeyNameFlag is --key-name of a parsecd subcommand, with a help text.
func extraKeyNameFlag(o *options, p *string) {
	keyNameFlag(o, p).help = "Name of the key"
}

// keyAttributes looks a key up as parsec-client's key_attributes does: the
// first key of that name that ListKeys returns, whatever its provider.
func (a *app) keyAttributes(name string) (psa.KeyAttributes, error) {
	keys, err := a.c.ListKeys(a.ctx)
	if err != nil {
		return psa.KeyAttributes{}, err
	}
	for _, k := range keys {
		if k.Name == name {
			return k.Attributes, nil
		}
	}
	return psa.KeyAttributes{}, clientError("NotFound")
}

// rsaKeyAttributes is the template of create-rsa-key: an encryption key
// (PKCS#1 v1.5, or OAEP SHA-256) unless a signing flag is given; -s
// (PKCS#1 v1.5 SHA-256) wins over -r (PSS SHA-256).
func rsaKeyAttributes(bits uint32, forSigning, forSigningPSS, oaep bool) psa.KeyAttributes {
	a := psa.KeyAttributes{Type: psa.KeyType{Kind: psa.KeyRsaPair}, Bits: bits}
	switch {
	case forSigning:
		a.Policy = psa.KeyPolicy{Usage: signUsage, Alg: psa.Algorithm{Kind: psa.AlgAsymSign,
			Sign: psa.AsymSign{Kind: psa.SignRsaPkcs1v15, Hash: psa.HashSHA256}}}
	case forSigningPSS:
		a.Policy = psa.KeyPolicy{Usage: signUsage, Alg: psa.Algorithm{Kind: psa.AlgAsymSign,
			Sign: psa.AsymSign{Kind: psa.SignRsaPss, Hash: psa.HashSHA256}}}
	case oaep:
		a.Policy = psa.KeyPolicy{Usage: psa.UsageEncrypt | psa.UsageDecrypt, Alg: psa.Algorithm{Kind: psa.AlgAsymEncrypt,
			Encrypt: psa.AsymEncrypt{Kind: psa.EncRsaOaep, Hash: psa.HashSHA256}}}
	default:
		a.Policy = psa.KeyPolicy{Usage: psa.UsageEncrypt | psa.UsageDecrypt, Alg: psa.Algorithm{Kind: psa.AlgAsymEncrypt,
			Encrypt: psa.AsymEncrypt{Kind: psa.EncRsaPkcs1v15}}}
	}
	return a
}

// eccKeyAttributes is the template of create-ecc-key.
var eccKeyAttributes = psa.KeyAttributes{
	Type: psa.KeyType{Kind: psa.KeyEccPair, EccFamily: psa.EccSecpR1}, Bits: 256,
	Policy: psa.KeyPolicy{Usage: signUsage, Alg: psa.Algorithm{Kind: psa.AlgAsymSign,
		Sign: psa.AsymSign{Kind: psa.SignEcdsa, Hash: psa.HashSHA256}}},
}

func keyCommands() []*command {
	return []*command{
		{
			name:  "export-public-key",
			about: "Export the public part of the key pair in PEM format",
			auth:  true,
			define: func(o *options) func(*app, []string) error {
				var name string
				var pkcs1 bool
				keyNameFlag(o, &name)
				o.Bool(&pkcs1, 0, "pkcs1", "Export RSA Public Key in PKCS#1 format")
				return func(a *app, _ []string) error {
					if err := a.crypto(); err != nil {
						return err
					}
					data, err := a.c.ExportPublicKey(a.ctx, name)
					if err != nil {
						return err
					}
					attrs, err := a.keyAttributes(name)
					if err != nil {
						return err
					}
					text, err := publicKeyText(attrs, data, pkcs1)
					if err != nil {
						return err
					}
					_, err = fmt.Fprint(a.stdout, text)
					return err
				}
			},
		},
		{
			name:  "create-rsa-key",
			about: "Create a RSA key pair (2048 bits). Used by default for asymmetric encryption with RSA PKCS#1 v1.5",
			auth:  true,
			define: func(o *options) func(*app, []string) error {
				var name string
				var forSigning, forSigningPSS, oaep bool
				bits := uint64(2048)
				keyNameFlag(o, &name)
				o.Bool(&forSigning, 's', "for-signing", "This command creates RSA encryption keys by default. Supply this flag to create a signing key instead. Signing keys, by default, will specify the SHA-256 hash algorithm and use PKCS#1 v1.5").name = "is-for-signing"
				o.Uint(&bits, 'b', "bits", "", "Specifies the size (strength) of the key in bits. The default size for RSA keys is 2048 bits", math.MaxUint64, false)
				o.Bool(&oaep, 'o', "oaep", "Specifies if the RSA key should be created with permitted RSA OAEP (SHA256) encryption algorithm instead of the default RSA PKCS#1 v1.5 one")
				// parsecd addition (parsec-tool 0.8's flag): an RSA-PSS signing key.
				o.Bool(&forSigningPSS, 'r', "for-signing-pss", "").hidden = true
				return func(a *app, _ []string) error {
					what := "RSA encryption key"
					if forSigning || forSigningPSS {
						what = "RSA signing key"
					}
					return a.makeKey(name, rsaKeyAttributes(uint32(min(bits, math.MaxUint32)), forSigning, forSigningPSS, oaep), nil, what)
				}
			},
		},
		{
			name:  "create-ecc-key",
			about: "Create a ECC key pair (curve secp256r1). Used by default for asymmetric signing with ECDSA (SHA-256)",
			auth:  true,
			define: func(o *options) func(*app, []string) error {
				var name string
				keyNameFlag(o, &name)
				return func(a *app, _ []string) error {
					return a.makeKey(name, eccKeyAttributes, nil, "ECC signing key")
				}
			},
		},
		{
			name:  "delete-key",
			about: "Delete a key",
			auth:  true,
			define: func(o *options) func(*app, []string) error {
				var name string
				keyNameFlag(o, &name)
				return func(a *app, _ []string) error {
					a.info("Deleting a key...")
					if err := a.crypto(); err != nil {
						return err
					}
					if err := a.c.DestroyKey(a.ctx, name); err != nil {
						return err
					}
					a.info("Key %q deleted.", name)
					return nil
				}
			},
		},
	}
}

// Object identifiers of SubjectPublicKeyInfo algorithms and named curves.
var (
	oidRSAEncryption = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidECPublicKey   = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidX25519        = asn1.ObjectIdentifier{1, 3, 101, 110}
)

type algorithmIdentifier struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue `asn1:"optional"`
}

type subjectPublicKeyInfo struct {
	Algorithm algorithmIdentifier
	PublicKey asn1.BitString
}

// exportCommand completes c into export-public-key or export-key: it looks
// key --key-name up, fetches its data with export and prints what render
// makes of it. The one option, a boolean (flag, usage), goes to render.
func exportCommand(c command, flag, usage string, export func(a *app, name string) ([]byte, error),
	render func(attrs psa.KeyAttributes, data []byte, flag bool) (string, error)) *command {
	c.auth = true
	c.define = func(o *options) func(*app, []string) error {
		var name string
		var set bool
		extraKeyNameFlag(o, &name)
		o.Bool(&set, 0, flag, usage)
		return func(a *app, _ []string) error {
			attrs, err := a.keyAttributes(name)
			if err != nil {
				return err
			}
			data, err := export(a, name)
			if err != nil {
				return err
			}
			text, err := render(attrs, data, set)
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(a.stdout, text)
			return err
		}
	}
	return &c
}

// publicKeyText is publicKeyPEM encoded.
func publicKeyText(attrs psa.KeyAttributes, data []byte, pkcs1 bool) (string, error) {
	block, err := publicKeyPEM(attrs, data, pkcs1)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(block)), nil
}

// publicKeyPEM wraps an exported public key: SubjectPublicKeyInfo
// ("PUBLIC KEY"), or the raw PKCS#1 RSAPublicKey ("RSA PUBLIC KEY") with pkcs1.
func publicKeyPEM(attrs psa.KeyAttributes, data []byte, pkcs1 bool) (*pem.Block, error) {
	var alg algorithmIdentifier
	switch t := attrs.Type; {
	case t.IsRSA():
		if pkcs1 {
			return &pem.Block{Type: "RSA PUBLIC KEY", Bytes: data}, nil
		}
		alg = algorithmIdentifier{Algorithm: oidRSAEncryption, Parameters: asn1.NullRawValue}
	case t.IsECC() && pkcs1:
		return nil, wrongKeyAlgorithm("PKCS1 format doesn't support ECC keys")
	case t.EccFamily == psa.EccMontgomery && attrs.Bits == 255:
		alg = algorithmIdentifier{Algorithm: oidX25519} // RFC 8410: no parameters
	case t.IsECC():
		oid, ok := psa.CurveOID(t.EccFamily, attrs.Bits)
		if !ok {
			return nil, notSupported("Unsupported number of bits %d for Ecc family \"%v\"", attrs.Bits, t.EccFamily)
		}
		params, err := asn1.Marshal(oid)
		if err != nil {
			return nil, err
		}
		alg = algorithmIdentifier{Algorithm: oidECPublicKey, Parameters: asn1.RawValue{FullBytes: params}}
	default:
		return nil, notSupported("Unsupported type of key")
	}
	der, err := asn1.Marshal(subjectPublicKeyInfo{Algorithm: alg, PublicKey: asn1.BitString{Bytes: data, BitLength: 8 * len(data)}})
	if err != nil {
		return nil, incorrectData("could not encode the public key: %v", err)
	}
	return &pem.Block{Type: "PUBLIC KEY", Bytes: der}, nil
}

// keyAlgorithmError explains why a key's policy does not fit an operation.
func keyAlgorithmError(_ string, alg psa.Algorithm, use string) error {
	return wrongKeyAlgorithm("Key's algorithm is %s which cannot be used for %s.", debugAlg(alg), use)
}
