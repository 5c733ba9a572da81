// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package pubkey is what providers do in Go with a public key they hold or
// read from their back end: encode it in the PSA export format and verify
// signatures with PSA semantics. The TPM provider always verifies this way,
// the PKCS#11 provider with software_public_operations.
package pubkey

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"math/big"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

// ErrBadSignature is the one answer to a signature that does not verify,
// whatever the reason.
var ErrBadSignature = &status.Error{Code: status.PsaErrorInvalidSignature, Msg: "signature does not verify"}

// Export encodes a public key in the PSA format: DER RSAPublicKey for RSA,
// the uncompressed point 04‖X‖Y for ECC.
func Export(pub crypto.PublicKey) ([]byte, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return x509.MarshalPKCS1PublicKey(k), nil
	case *ecdsa.PublicKey:
		out, err := k.Bytes()
		if err != nil {
			return nil, status.Errorf(status.PsaErrorGenericError, "encoding the public key: %w", err)
		}
		return out, nil
	}
	return nil, status.Errorf(status.PsaErrorGenericError, "unexpected public key type %T", pub)
}

// Verify checks sig over digest with alg; h is alg's hash (zero for the
// raw variants). RSA-PSS salts must be as long as the hash (PSA's
// RSA_PSS); ECDSA signatures are r‖s, each as long as the curve's order.
func Verify(pub crypto.PublicKey, alg psa.AsymSign, h crypto.Hash, digest, sig []byte) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		var err error
		switch alg.Kind {
		case psa.SignRsaPkcs1v15, psa.SignRsaPkcs1v15Raw:
			err = rsa.VerifyPKCS1v15(k, h, digest, sig)
		case psa.SignRsaPss:
			err = rsa.VerifyPSS(k, h, digest, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h})
		default:
			return status.Errorf(status.PsaErrorNotSupported, "%v is not supported", alg)
		}
		if err != nil {
			return ErrBadSignature
		}
		return nil
	case *ecdsa.PublicKey:
		if alg.Kind != psa.SignEcdsa && alg.Kind != psa.SignEcdsaAny {
			return status.Errorf(status.PsaErrorNotSupported, "%v is not supported", alg)
		}
		n := (k.Curve.Params().N.BitLen() + 7) / 8
		if len(sig) != 2*n || !ecdsa.Verify(k, digest, new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:])) {
			return ErrBadSignature
		}
		return nil
	}
	return status.Errorf(status.PsaErrorNotSupported, "%v is not supported with a %T", alg, pub)
}
