package soft

import (
	"crypto/ecdh"
	"crypto/rand"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

// Montgomery (X25519) keys. PSA formats (RFC 7748): a key pair imports and
// exports as its 32-byte little-endian scalar, a public key as its 32-byte
// u-coordinate. They are stored like the other ECC keys, as PKCS#8 (pair)
// or PKIX (public key), which crypto/x509 encodes for X25519 (RFC 8410).

// montgomeryBits gives the curve size of a Montgomery key of n bytes:
// 255 (Curve25519) or 448 (Curve448, which PSA defines and this provider
// does not implement).
func montgomeryBits(n int) uint32 {
	switch n {
	case 32:
		return 255
	case 56:
		return 448
	}
	return 0
}

// generateX25519 returns the stored form of a fresh X25519 key pair.
func generateX25519() ([]byte, error) {
	k, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, status.Errorf(status.PsaErrorGenericError, "generating X25519 key: %w", err)
	}
	return encodePrivate(k)
}

// importMontgomery parses an X25519 scalar or u-coordinate and returns its
// stored form and size in bits.
func importMontgomery(a psa.KeyAttributes, data []byte) ([]byte, uint32, error) {
	bits := montgomeryBits(len(data))
	if bits == 0 || (a.Bits != 0 && a.Bits != bits) {
		return nil, 0, status.Errorf(status.PsaErrorInvalidArgument, "%d bytes is not a %d-bit Montgomery key", len(data), a.Bits)
	}
	if err := checkKeyType(psa.CheckImport, a.Type, bits); err != nil {
		return nil, 0, err
	}
	if a.Type.Kind == psa.KeyEccPublic {
		pub, err := ecdh.X25519().NewPublicKey(data)
		if err != nil {
			return nil, 0, status.Errorf(status.PsaErrorInvalidArgument, "data is not an X25519 public key")
		}
		id, err := encodePublic(pub)
		return id, bits, err
	}
	priv, err := ecdh.X25519().NewPrivateKey(data)
	if err != nil {
		return nil, 0, status.Errorf(status.PsaErrorInvalidArgument, "data is not an X25519 private key")
	}
	id, err := encodePrivate(priv)
	return id, bits, err
}
