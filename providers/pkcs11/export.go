// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build cgo && pkcs11

package pkcs11

// Reading keys back from the token: ExportPublicKey and ExportKey.

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"math/big"

	"github.com/miekg/pkcs11"

	"github.com/parsecd/parsecd/providers/internal/pubkey"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
)

// readPublic reads the public key of a public key object.
func (p *Provider) readPublic(h pkcs11.SessionHandle, obj pkcs11.ObjectHandle, a psa.KeyAttributes) (crypto.PublicKey, error) {
	if a.Type.IsRSA() {
		at, err := p.mod.ctx.GetAttributeValue(h, obj, []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_MODULUS, nil),
			pkcs11.NewAttribute(pkcs11.CKA_PUBLIC_EXPONENT, nil),
		})
		if err != nil {
			return nil, p11("C_GetAttributeValue", err)
		}
		n := new(big.Int).SetBytes(at[0].Value)
		e := new(big.Int).SetBytes(at[1].Value)
		if uint32(n.BitLen()) != a.Bits || !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 {
			return nil, status.Errorf(status.PsaErrorDataInvalid, "the token's RSA public key does not match the stored attributes (%d bits)", a.Bits)
		}
		return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
	}
	at, err := p.mod.ctx.GetAttributeValue(h, obj, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_EC_POINT, nil)})
	if err != nil {
		return nil, p11("C_GetAttributeValue", err)
	}
	curve, ok := curveOf(a.Bits)
	if !ok {
		return nil, status.Errorf(status.PsaErrorDataInvalid, "stored attributes name an unsupported curve size %d", a.Bits)
	}
	point := ecPoint(at[0].Value, 1+2*byteLen(a.Bits))
	pub, err := ecdsa.ParseUncompressedPublicKey(curve, point)
	if err != nil {
		return nil, status.Errorf(status.PsaErrorDataInvalid, "the token's CKA_EC_POINT is not an uncompressed point on secp%dr1", a.Bits)
	}
	return pub, nil
}

// ecPoint takes the uncompressed point out of CKA_EC_POINT: PKCS#11 says
// a DER OCTET STRING, but some tokens return the raw point (Parsec#599).
// The length decides (the DER form is 2 or 3 bytes longer), as a raw point
// starts with 0x04 like an OCTET STRING.
func ecPoint(v []byte, size int) []byte {
	if len(v) == size {
		return v
	}
	var inner []byte
	if rest, err := asn1.Unmarshal(v, &inner); err == nil && len(rest) == 0 {
		return inner
	}
	return v
}

// publicKey reads the key's public key from its public object.
func (p *Provider) publicKey(ctx context.Context, k *keyRef) (crypto.PublicKey, error) {
	var pub crypto.PublicKey
	err := p.use(ctx, k, pkcs11.CKO_PUBLIC_KEY, func(h pkcs11.SessionHandle, obj pkcs11.ObjectHandle) error {
		var err error
		pub, err = p.readPublic(h, obj, k.attrs)
		return err
	})
	return pub, err
}

// ExportPublicKey implements provider.KeyManagement: DER RSAPublicKey for
// RSA keys (from CKA_MODULUS and CKA_PUBLIC_EXPONENT), the uncompressed
// point for secp R1 keys (from CKA_EC_POINT). It needs no usage flag.
func (p *Provider) ExportPublicKey(ctx context.Context, c storage.Client, name string) ([]byte, error) {
	k, err := p.load(ctx, c, name)
	if err != nil {
		return nil, err
	}
	if isSecret(k.attrs.Type) {
		return nil, status.Errorf(status.PsaErrorInvalidArgument, "a %v key has no public key to export", k.attrs.Type)
	}
	pub, err := p.publicKey(ctx, k)
	if err != nil {
		return nil, err
	}
	return pubkey.Export(pub)
}

// ExportKey implements provider.KeyExport. Public keys export their public
// format; key pairs need the export usage flag (then they were created
// extractable and not sensitive) and export DER RSAPrivateKey or the
// big-endian secp R1 scalar. A token that keeps the key sensitive anyway
// answers PsaErrorNotPermitted.
func (p *Provider) ExportKey(ctx context.Context, c storage.Client, name string) ([]byte, error) {
	k, err := p.load(ctx, c, name)
	if err != nil {
		return nil, err
	}
	if k.attrs.Type.IsPublic() {
		pub, err := p.publicKey(ctx, k)
		if err != nil {
			return nil, err
		}
		return pubkey.Export(pub)
	}
	if err := psa.CheckExport(k.attrs); err != nil {
		return nil, err
	}
	if isSecret(k.attrs.Type) {
		return p.exportSecret(ctx, k)
	}
	var out []byte
	err = p.use(ctx, k, pkcs11.CKO_PRIVATE_KEY, func(h pkcs11.SessionHandle, obj pkcs11.ObjectHandle) error {
		var err error
		if k.attrs.Type.IsRSA() {
			out, err = p.readRSAPrivate(h, obj, k.attrs)
		} else {
			out, err = p.readECPrivate(h, obj, k.attrs)
		}
		return err
	})
	return out, err
}

func (p *Provider) readRSAPrivate(h pkcs11.SessionHandle, obj pkcs11.ObjectHandle, a psa.KeyAttributes) ([]byte, error) {
	at, err := p.mod.ctx.GetAttributeValue(h, obj, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_MODULUS, nil),
		pkcs11.NewAttribute(pkcs11.CKA_PUBLIC_EXPONENT, nil),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE_EXPONENT, nil),
		pkcs11.NewAttribute(pkcs11.CKA_PRIME_1, nil),
		pkcs11.NewAttribute(pkcs11.CKA_PRIME_2, nil),
	})
	if err != nil {
		return nil, p11("C_GetAttributeValue", err)
	}
	defer func() {
		for _, v := range at {
			clear(v.Value)
		}
	}()
	e := new(big.Int).SetBytes(at[1].Value)
	k := &rsa.PrivateKey{
		PublicKey: rsa.PublicKey{N: new(big.Int).SetBytes(at[0].Value)},
		D:         new(big.Int).SetBytes(at[2].Value),
		Primes:    []*big.Int{new(big.Int).SetBytes(at[3].Value), new(big.Int).SetBytes(at[4].Value)},
	}
	if !e.IsInt64() || e.Int64() > 1<<31-1 {
		return nil, status.Errorf(status.PsaErrorDataInvalid, "the token's RSA key has an unusable public exponent")
	}
	k.E = int(e.Int64())
	if k.Validate() != nil || uint32(k.N.BitLen()) != a.Bits {
		return nil, status.Errorf(status.PsaErrorDataInvalid, "the token returned an invalid RSA private key")
	}
	k.Precompute()
	return x509.MarshalPKCS1PrivateKey(k), nil
}

func (p *Provider) readECPrivate(h pkcs11.SessionHandle, obj pkcs11.ObjectHandle, a psa.KeyAttributes) ([]byte, error) {
	at, err := p.mod.ctx.GetAttributeValue(h, obj, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_VALUE, nil)})
	if err != nil {
		return nil, p11("C_GetAttributeValue", err)
	}
	v := at[0].Value
	defer clear(v)
	n := byteLen(a.Bits)
	if len(v) > n {
		return nil, status.Errorf(status.PsaErrorDataInvalid, "the token returned a %d-byte scalar for secp%dr1", len(v), a.Bits)
	}
	out := make([]byte, n)
	copy(out[n-len(v):], v)
	return out, nil
}
