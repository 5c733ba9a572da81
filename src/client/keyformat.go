// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package client

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"fmt"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

// Conversions between Go keys and the PSA key formats that ImportKey takes
// and ExportKey / ExportPublicKey return.

// secpR1 maps the SECP-R1 sizes the Go standard library implements to
// their curves.
var secpR1 = map[uint32]elliptic.Curve{224: elliptic.P224(), 256: elliptic.P256(), 384: elliptic.P384(), 521: elliptic.P521()}

func secpR1Curve(bits uint32) (elliptic.Curve, error) {
	if c, ok := secpR1[bits]; ok {
		return c, nil
	}
	return nil, &status.Error{Code: status.PsaErrorNotSupported, Msg: fmt.Sprintf("SECP-R1 curve of %d bits", bits)}
}

// ecdhBits is the PSA type and size of an ECDH curve.
func ecdhBits(c ecdh.Curve) (psa.EccFamily, uint32, bool) {
	switch c {
	case ecdh.X25519():
		return psa.EccMontgomery, 255, true
	case ecdh.P256():
		return psa.EccSecpR1, 256, true
	case ecdh.P384():
		return psa.EccSecpR1, 384, true
	case ecdh.P521():
		return psa.EccSecpR1, 521, true
	}
	return psa.EccNone, 0, false
}

func isX25519(attrs psa.KeyAttributes) bool {
	return attrs.Type.EccFamily == psa.EccMontgomery && attrs.Bits == 255
}

// ParsePublicKey parses a public key in the PSA export format for the key
// type of attrs: *rsa.PublicKey from DER RSAPublicKey, *ecdsa.PublicKey from
// an uncompressed SECP-R1 point (P-224/256/384/521), *ecdh.PublicKey for
// Curve25519. Malformed data is status.InvalidEncoding, another key type
// status.PsaErrorNotSupported.
func ParsePublicKey(attrs psa.KeyAttributes, data []byte) (crypto.PublicKey, error) {
	t := attrs.Type
	switch {
	case t.IsRSA():
		return decodedAs("RSA public key")(x509.ParsePKCS1PublicKey(data))
	case t.IsECC() && t.EccFamily == psa.EccSecpR1:
		curve, err := secpR1Curve(attrs.Bits)
		if err != nil {
			return nil, err
		}
		return decodedAs("ECC public key")(ecdsa.ParseUncompressedPublicKey(curve, data))
	case t.IsECC() && isX25519(attrs):
		return decodedAs("X25519 public key")(ecdh.X25519().NewPublicKey(data))
	}
	return nil, unsupportedKey("public keys", attrs)
}

// ParsePrivateKey parses a key pair in the PSA export format for the key
// type of attrs: *rsa.PrivateKey from DER RSAPrivateKey, *ecdsa.PrivateKey
// from a SECP-R1 scalar, *ecdh.PrivateKey from the 32 bytes of an X25519
// key. Errors as for ParsePublicKey.
func ParsePrivateKey(attrs psa.KeyAttributes, data []byte) (crypto.PrivateKey, error) {
	t := attrs.Type
	switch {
	case t.Kind == psa.KeyRsaPair:
		return decodedAs("RSA private key")(x509.ParsePKCS1PrivateKey(data))
	case t.Kind == psa.KeyEccPair && t.EccFamily == psa.EccSecpR1:
		curve, err := secpR1Curve(attrs.Bits)
		if err != nil {
			return nil, err
		}
		return decodedAs("ECC private key")(ecdsa.ParseRawPrivateKey(curve, data))
	case t.Kind == psa.KeyEccPair && isX25519(attrs):
		return decodedAs("X25519 private key")(ecdh.X25519().NewPrivateKey(data))
	}
	return nil, unsupportedKey("key pairs", attrs)
}

// decodedAs returns a function that passes a parsed key on, or turns the
// parser's error into status.InvalidEncoding naming what was parsed (and
// never returns a typed nil key).
func decodedAs(what string) func(key any, err error) (any, error) {
	return func(key any, err error) (any, error) {
		if err != nil {
			return nil, &status.Error{Code: status.InvalidEncoding, Msg: what, Err: err}
		}
		return key, nil
	}
}

func unsupportedKey(what string, attrs psa.KeyAttributes) error {
	return &status.Error{Code: status.PsaErrorNotSupported,
		Msg: fmt.Sprintf("%s of type %v (%d bits) are not supported by the Go standard library", what, attrs.Type, attrs.Bits)}
}

// KeyData converts a Go key to its PSA type, size in bits and import format
// (see ImportKey): *rsa.PrivateKey, *rsa.PublicKey, *ecdsa.PrivateKey and
// *ecdsa.PublicKey on P-224/256/384/521, *ecdh.PrivateKey and
// *ecdh.PublicKey on X25519 or a NIST curve. Other keys (Ed25519 among
// them) are status.PsaErrorNotSupported.
func KeyData(key any) (psa.KeyType, uint32, []byte, error) {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return psa.KeyType{Kind: psa.KeyRsaPair}, uint32(k.N.BitLen()), x509.MarshalPKCS1PrivateKey(k), nil
	case *rsa.PublicKey:
		return psa.KeyType{Kind: psa.KeyRsaPublic}, uint32(k.N.BitLen()), x509.MarshalPKCS1PublicKey(k), nil
	case *ecdsa.PrivateKey:
		data, err := k.Bytes()
		return ecdsaData(psa.KeyEccPair, k.Curve, data, err)
	case *ecdsa.PublicKey:
		data, err := k.Bytes()
		return ecdsaData(psa.KeyEccPublic, k.Curve, data, err)
	case *ecdh.PrivateKey:
		fam, bits, ok := ecdhBits(k.Curve())
		if !ok {
			break
		}
		return psa.KeyType{Kind: psa.KeyEccPair, EccFamily: fam}, bits, k.Bytes(), nil
	case *ecdh.PublicKey:
		fam, bits, ok := ecdhBits(k.Curve())
		if !ok {
			break
		}
		return psa.KeyType{Kind: psa.KeyEccPublic, EccFamily: fam}, bits, k.Bytes(), nil
	case ed25519.PrivateKey, ed25519.PublicKey:
		return psa.KeyType{}, 0, nil, &status.Error{Code: status.PsaErrorNotSupported, Msg: "Ed25519 keys have no PSA key type in the Parsec interface"}
	}
	return psa.KeyType{}, 0, nil, &status.Error{Code: status.PsaErrorNotSupported, Msg: fmt.Sprintf("keys of Go type %T are not supported", key)}
}

// ecdsaData is KeyData's answer for an ECDSA key whose Bytes gave data, err.
func ecdsaData(kind psa.KeyKind, c elliptic.Curve, data []byte, err error) (psa.KeyType, uint32, []byte, error) {
	bits := uint32(c.Params().BitSize)
	if secpR1[bits] != c || err != nil {
		return psa.KeyType{}, 0, nil, &status.Error{Code: status.PsaErrorNotSupported, Msg: "ECDSA key on curve " + c.Params().Name, Err: err}
	}
	return psa.KeyType{Kind: kind, EccFamily: psa.EccSecpR1}, bits, data, nil
}
