// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package soft

import (
	"context"

	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
)

var _ provider.KeyAgreement = (*Provider)(nil)

// RawKeyAgreement implements provider.KeyAgreement (PsaRawKeyAgreement,
// opcode 0x13):
//
//   - ECDH on the Weierstrass curves of the curve table (secp256r1,
//     secp384r1, secp521r1, secp256k1, brainpoolP256r1/P384r1/P512r1): the
//     peer key is an uncompressed point 0x04‖X‖Y on the private key's curve;
//     the secret is the x-coordinate of the shared point, ceil(bits/8)
//     bytes (SEC 1 §3.3.1);
//   - ECDH on Curve25519 and Curve448 (X25519 and X448, RFC 7748): the peer
//     key is 32 or 56 bytes, and so is the secret. A peer key of small
//     order, which gives the all-zero secret, is refused (RFC 7748 §6).
//
// FFDH is not supported (1134). The private key needs the derive usage flag
// and a policy of the same raw agreement (psa.CheckKeyAgreement); it must be
// a key pair (1135 for a public key, as PSA specifies) of a type the
// algorithm applies to (checkAlgorithm, as CanDoCrypto answers). A peer key
// that is malformed, not on the curve or on another curve is 1135.
func (p *Provider) RawKeyAgreement(ctx context.Context, c storage.Client, alg psa.KeyAgreementRaw, privateKeyName string, peerKey []byte) ([]byte, error) {
	if alg != psa.KeyAgreementFfdh && alg != psa.KeyAgreementEcdh {
		return nil, status.Errorf(status.PsaErrorInvalidArgument, "not a raw key agreement algorithm")
	}
	k, err := p.load(ctx, c, privateKeyName)
	if err != nil {
		return nil, err
	}
	return rawAgreement(k, alg, peerKey)
}

// rawAgreement computes the shared secret of private key k and peerKey.
func rawAgreement(k *key, alg psa.KeyAgreementRaw, peerKey []byte) ([]byte, error) {
	if err := k.use(psa.UseAgreement(alg)); err != nil {
		return nil, err
	}
	t := k.attrs.Type
	if alg != psa.KeyAgreementEcdh {
		return nil, status.Errorf(status.PsaErrorNotSupported, "key agreement %d is not supported", alg)
	}
	c := k.curve()
	if c == nil {
		return nil, status.Errorf(status.PsaErrorNotSupported, "ECDH with a %d-bit %v is not supported", k.attrs.Bits, t)
	}
	return c.agree(k, peerKey)
}

func errKeyMismatch(k *key) error {
	return status.Errorf(status.PsaErrorDataInvalid, "stored key does not match its attributes (%v, %d bits)", k.attrs.Type, k.attrs.Bits)
}
