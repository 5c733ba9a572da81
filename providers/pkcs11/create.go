// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build cgo && pkcs11

package pkcs11

// GenerateKey and ImportKey of key pairs and public keys (secret keys: aes.go).

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"math/big"

	"github.com/miekg/pkcs11"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
)

// GenerateKey implements provider.KeyManagement: RSA and secp R1 key pairs
// generated on the token as token objects, and secret keys (aes.go).
func (p *Provider) GenerateKey(ctx context.Context, c storage.Client, name string, a psa.KeyAttributes) error {
	if a.Deprecated() && !p.allowDeprecated {
		return status.Errorf(status.DeprecatedPrimitive, "key attributes use a deprecated primitive")
	}
	if err := p.checkKeyType(psa.CheckGenerate, a.Type, a.Bits); err != nil {
		return err
	}
	if err := p.checkExport(a); err != nil {
		return err
	}
	if isSecret(a.Type) {
		return p.generateSecret(ctx, c, name, a)
	}
	var mech []*pkcs11.Mechanism
	var extra []*pkcs11.Attribute
	if a.Type.IsRSA() {
		mech = []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS_KEY_PAIR_GEN, nil)}
		extra = []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_MODULUS_BITS, uint(a.Bits)),
			pkcs11.NewAttribute(pkcs11.CKA_PUBLIC_EXPONENT, []byte{1, 0, 1}),
		}
	} else {
		mech = []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_EC_KEY_PAIR_GEN, nil)}
	}
	err := p.create(ctx, c, name, a, func(h pkcs11.SessionHandle, id []byte) error {
		pub := append(publicTemplate(a, id, name), extra...)
		priv := privateTemplate(a, id, name)
		_, _, err := p.mod.ctx.GenerateKeyPair(h, mech, pub, priv)
		return p11("C_GenerateKeyPair", err)
	})
	if err != nil {
		return err
	}
	p.log.DebugContext(ctx, "generated key on the token", "type", a.Type.String(), "bits", a.Bits)
	return nil
}

// importBits checks the size of imported key data against the attributes
// and the capability table.
func (p *Provider) importBits(a psa.KeyAttributes, got uint32) (uint32, error) {
	if a.Bits != 0 && a.Bits != got {
		return 0, status.Errorf(status.PsaErrorInvalidArgument, "key_bits %d does not match the %d-bit key", a.Bits, got)
	}
	if err := p.checkKeyType(psa.CheckImport, a.Type, got); err != nil {
		return 0, err
	}
	return got, nil
}

// ImportKey implements provider.KeyManagement. Formats (PSA): RSA public
// key = DER RSAPublicKey, RSA key pair = DER RSAPrivateKey (two primes),
// secp R1 public key = uncompressed point, secp R1 key pair = big-endian
// scalar of ceil(bits/8) bytes. Key pairs become a private and a public
// token object. A.Bits 0 takes the size from the data.
func (p *Provider) ImportKey(ctx context.Context, c storage.Client, name string, a psa.KeyAttributes, data []byte) error {
	if err := p.checkKeyType(psa.CheckImport, a.Type, a.Bits); err != nil {
		return err
	}
	if err := p.checkExport(a); err != nil {
		return err
	}
	if isSecret(a.Type) {
		return p.importSecret(ctx, c, name, a, data)
	}
	// extra attributes of the private and the public object
	var priv, pub []*pkcs11.Attribute
	switch a.Type.Kind {
	case psa.KeyRsaPublic:
		k, err := x509.ParsePKCS1PublicKey(data)
		if err != nil {
			return status.Errorf(status.PsaErrorInvalidArgument, "data is not a DER RSAPublicKey")
		}
		if a.Bits, err = p.importBits(a, uint32(k.N.BitLen())); err != nil {
			return err
		}
		pub = rsaPublicAttrs(k)
	case psa.KeyRsaPair:
		k, err := x509.ParsePKCS1PrivateKey(data)
		if err != nil {
			return status.Errorf(status.PsaErrorInvalidArgument, "data is not a valid DER RSAPrivateKey")
		}
		if len(k.Primes) != 2 {
			return status.Errorf(status.PsaErrorNotSupported, "multi-prime RSA keys are not supported")
		}
		if a.Bits, err = p.importBits(a, uint32(k.N.BitLen())); err != nil {
			return err
		}
		pk, q := k.Primes[0], k.Primes[1]
		one := big.NewInt(1)
		dp := new(big.Int).Mod(k.D, new(big.Int).Sub(pk, one))
		dq := new(big.Int).Mod(k.D, new(big.Int).Sub(q, one))
		qinv := new(big.Int).ModInverse(q, pk)
		if qinv == nil {
			return status.Errorf(status.PsaErrorInvalidArgument, "data is not a valid RSA private key")
		}
		pub = rsaPublicAttrs(&k.PublicKey)
		priv = append(rsaPublicAttrs(&k.PublicKey),
			pkcs11.NewAttribute(pkcs11.CKA_PRIVATE_EXPONENT, k.D.Bytes()),
			pkcs11.NewAttribute(pkcs11.CKA_PRIME_1, pk.Bytes()),
			pkcs11.NewAttribute(pkcs11.CKA_PRIME_2, q.Bytes()),
			pkcs11.NewAttribute(pkcs11.CKA_EXPONENT_1, dp.Bytes()),
			pkcs11.NewAttribute(pkcs11.CKA_EXPONENT_2, dq.Bytes()),
			pkcs11.NewAttribute(pkcs11.CKA_COEFFICIENT, qinv.Bytes()))
	case psa.KeyEccPublic, psa.KeyEccPair:
		bits, point, scalar, err := parseECC(a, data)
		if err != nil {
			return err
		}
		if a.Bits, err = p.importBits(a, bits); err != nil {
			return err
		}
		pub = []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_EC_POINT, derOctets(point))}
		if scalar != nil {
			priv = []*pkcs11.Attribute{
				pkcs11.NewAttribute(pkcs11.CKA_EC_PARAMS, ecParams(bits)),
				pkcs11.NewAttribute(pkcs11.CKA_VALUE, scalar),
			}
		}
	default:
		return status.Errorf(status.PsaErrorNotSupported, "%v keys are not supported", a.Type)
	}
	defer func() {
		for _, at := range priv {
			clear(at.Value)
		}
	}()
	pair := a.Type.IsPair()
	err := p.create(ctx, c, name, a, func(h pkcs11.SessionHandle, id []byte) error {
		if pair {
			if _, err := p.mod.ctx.CreateObject(h, append(privateTemplate(a, id, name), priv...)); err != nil {
				return p11("C_CreateObject", err)
			}
		}
		_, err := p.mod.ctx.CreateObject(h, append(publicTemplate(a, id, name), pub...))
		return p11("C_CreateObject", err)
	})
	if err != nil {
		return err
	}
	p.log.DebugContext(ctx, "imported key to the token", "type", a.Type.String(), "bits", a.Bits)
	return nil
}

// parseECC parses a secp R1 public point or private scalar: the size, the
// uncompressed point, and the scalar for a key pair.
func parseECC(a psa.KeyAttributes, data []byte) (bits uint32, point, scalar []byte, err error) {
	public := a.Type.Kind == psa.KeyEccPublic
	size := func(n uint32) int {
		if public {
			return 1 + 2*byteLen(n)
		}
		return byteLen(n)
	}
	bits = a.Bits
	if bits == 0 {
		for _, n := range []uint32{192, 224, 256, 384, 521} {
			if len(data) == size(n) {
				bits = n
			}
		}
		if bits == 0 {
			return 0, nil, nil, status.Errorf(status.PsaErrorInvalidArgument, "%d bytes is not a secp R1 key", len(data))
		}
	}
	curve, ok := curveOf(bits)
	if !ok {
		return 0, nil, nil, status.Errorf(status.PsaErrorNotSupported, "secp%dr1 is not supported", bits)
	}
	if len(data) != size(bits) {
		return 0, nil, nil, status.Errorf(status.PsaErrorInvalidArgument, "%d bytes is not a secp%dr1 key", len(data), bits)
	}
	if public {
		if _, err := ecdsa.ParseUncompressedPublicKey(curve, data); err != nil {
			return 0, nil, nil, status.Errorf(status.PsaErrorInvalidArgument, "data is not a point on secp%dr1", bits)
		}
		return bits, bytes.Clone(data), nil, nil
	}
	k, err := ecdsa.ParseRawPrivateKey(curve, data)
	if err != nil {
		return 0, nil, nil, status.Errorf(status.PsaErrorInvalidArgument, "data is not a secp%dr1 private key", bits)
	}
	point, err = k.PublicKey.Bytes()
	if err != nil {
		return 0, nil, nil, status.Errorf(status.PsaErrorInvalidArgument, "data is not a secp%dr1 private key", bits)
	}
	return bits, point, bytes.Clone(data), nil
}
