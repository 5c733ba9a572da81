// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package soft

import (
	"crypto/x509"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

// checkDeclaredSize runs before the capability table refuses an import's
// declared size: data whose size is not the declared one is invalid
// (PsaErrorInvalidArgument), whether or not the provider supports the
// declared size, as Mbed TLS answers. A P-256 point declared as 224 bits is
// invalid, not a 224-bit key this provider lacks.
func checkDeclaredSize(a psa.KeyAttributes, data []byte) error {
	if a.Bits == 0 {
		return nil
	}
	if fits, known := dataFitsSize(a.Type, a.Bits, data); known && !fits {
		return status.Errorf(status.PsaErrorInvalidArgument, "key_bits %d does not match the %d-byte key data", a.Bits, len(data))
	}
	return nil
}

// dataFitsSize reports whether data has the size of a key of type t and
// bits bits in its PSA import format; known is false for types whose
// format this provider does not know.
func dataFitsSize(t psa.KeyType, bits uint32, data []byte) (fits, known bool) {
	n := byteLen(int(bits))
	switch t.Kind {
	case psa.KeyRsaPublic:
		pub, err := x509.ParsePKCS1PublicKey(data)
		return err == nil && uint32(pub.N.BitLen()) == bits, err == nil
	case psa.KeyRsaPair:
		priv, err := x509.ParsePKCS1PrivateKey(data)
		return err == nil && uint32(priv.N.BitLen()) == bits, err == nil
	case psa.KeyEccPublic:
		if t.EccFamily == psa.EccMontgomery {
			return len(data) == n, true
		}
		return len(data) == 1+2*n, true
	case psa.KeyEccPair:
		return len(data) == n, true
	case psa.KeyAes, psa.KeyChacha20, psa.KeyHmac, psa.KeyRawData, psa.KeyDerive, psa.KeyDes, psa.KeyCamellia, psa.KeyArc4:
		return uint32(len(data))*8 == bits, true
	}
	return false, false
}
