// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package pkcs11module

import (
	"crypto"
	"crypto/x509/pkix"
	"encoding/asn1"

	// The hashes the module computes itself (the *_RSA_PKCS, ECDSA_SHA*
	// and digest mechanisms).
	_ "crypto/sha1"
	_ "crypto/sha256"
	_ "crypto/sha512"

	"github.com/parsecd/parsecd/src/client"
	"github.com/parsecd/parsecd/src/psa"
)

// Mechanism is a CK_MECHANISM with its parameters decoded by the C layer.
type Mechanism struct {
	Type uint
	PSS  *PSSParams  // CKM_*RSA_PKCS_PSS
	OAEP *OAEPParams // CKM_RSA_PKCS_OAEP
	// BadParam: the parameter block has the wrong size for Type.
	BadParam bool
}

// PSSParams is CK_RSA_PKCS_PSS_PARAMS.
type PSSParams struct{ Hash, MGF, SaltLen uint }

// OAEPParams is CK_RSA_PKCS_OAEP_PARAMS with the label copied out.
type OAEPParams struct {
	Hash, MGF, Source uint
	Label             []byte
}

// family is what a mechanism does and with which key kind.
type family uint8

const (
	famECDSA  family = iota + 1 // CKM_ECDSA*: sign/verify with an EC key
	famPKCS1                    // CKM_*RSA_PKCS: sign/verify, CKM_RSA_PKCS also decrypt
	famPSS                      // CKM_*RSA_PKCS_PSS
	famOAEP                     // CKM_RSA_PKCS_OAEP: decrypt
	famDigest                   // CKM_SHA*
	famKeyGen                   // key pair generation
)

// mechInfo describes one served mechanism: its family, the hash it
// computes over the input (0: the input is already a digest or the
// mechanism is raw), its key size range and CKF_ flags.
type mechInfo struct {
	fam      family
	hash     crypto.Hash
	min, max uint
	flags    uint
}

const (
	rsaMin, rsaMax = 1024, 8192
	ecMin, ecMax   = 256, 521
	sv             = CKF_SIGN | CKF_VERIFY
	ecFlags        = CKF_EC_F_P | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS
)

// mechanisms are the mechanisms every slot serves, in the order
// C_GetMechanismList reports them.
var mechanisms = []uint{
	CKM_RSA_PKCS_KEY_PAIR_GEN, CKM_RSA_PKCS, CKM_RSA_PKCS_OAEP, CKM_RSA_PKCS_PSS,
	CKM_SHA1_RSA_PKCS, CKM_SHA224_RSA_PKCS, CKM_SHA256_RSA_PKCS, CKM_SHA384_RSA_PKCS, CKM_SHA512_RSA_PKCS,
	CKM_SHA1_RSA_PKCS_PSS, CKM_SHA224_RSA_PKCS_PSS, CKM_SHA256_RSA_PKCS_PSS, CKM_SHA384_RSA_PKCS_PSS, CKM_SHA512_RSA_PKCS_PSS,
	CKM_EC_KEY_PAIR_GEN, CKM_ECDSA, CKM_ECDSA_SHA1, CKM_ECDSA_SHA224, CKM_ECDSA_SHA256, CKM_ECDSA_SHA384, CKM_ECDSA_SHA512,
	CKM_SHA_1, CKM_SHA224, CKM_SHA256, CKM_SHA384, CKM_SHA512,
}

var mechTable = map[uint]mechInfo{
	CKM_RSA_PKCS_KEY_PAIR_GEN: {famKeyGen, 0, rsaMin, rsaMax, CKF_HW | CKF_GENERATE_KEY_PAIR},
	CKM_EC_KEY_PAIR_GEN:       {famKeyGen, 0, ecMin, ecMax, CKF_HW | CKF_GENERATE_KEY_PAIR | ecFlags},

	CKM_RSA_PKCS:        {famPKCS1, 0, rsaMin, rsaMax, CKF_HW | sv | CKF_DECRYPT},
	CKM_SHA1_RSA_PKCS:   {famPKCS1, crypto.SHA1, rsaMin, rsaMax, CKF_HW | sv},
	CKM_SHA224_RSA_PKCS: {famPKCS1, crypto.SHA224, rsaMin, rsaMax, CKF_HW | sv},
	CKM_SHA256_RSA_PKCS: {famPKCS1, crypto.SHA256, rsaMin, rsaMax, CKF_HW | sv},
	CKM_SHA384_RSA_PKCS: {famPKCS1, crypto.SHA384, rsaMin, rsaMax, CKF_HW | sv},
	CKM_SHA512_RSA_PKCS: {famPKCS1, crypto.SHA512, rsaMin, rsaMax, CKF_HW | sv},

	CKM_RSA_PKCS_PSS:        {famPSS, 0, rsaMin, rsaMax, CKF_HW | sv},
	CKM_SHA1_RSA_PKCS_PSS:   {famPSS, crypto.SHA1, rsaMin, rsaMax, CKF_HW | sv},
	CKM_SHA224_RSA_PKCS_PSS: {famPSS, crypto.SHA224, rsaMin, rsaMax, CKF_HW | sv},
	CKM_SHA256_RSA_PKCS_PSS: {famPSS, crypto.SHA256, rsaMin, rsaMax, CKF_HW | sv},
	CKM_SHA384_RSA_PKCS_PSS: {famPSS, crypto.SHA384, rsaMin, rsaMax, CKF_HW | sv},
	CKM_SHA512_RSA_PKCS_PSS: {famPSS, crypto.SHA512, rsaMin, rsaMax, CKF_HW | sv},

	CKM_RSA_PKCS_OAEP: {famOAEP, 0, rsaMin, rsaMax, CKF_HW | CKF_DECRYPT},

	CKM_ECDSA:        {famECDSA, 0, ecMin, ecMax, CKF_HW | sv | ecFlags},
	CKM_ECDSA_SHA1:   {famECDSA, crypto.SHA1, ecMin, ecMax, CKF_HW | sv | ecFlags},
	CKM_ECDSA_SHA224: {famECDSA, crypto.SHA224, ecMin, ecMax, CKF_HW | sv | ecFlags},
	CKM_ECDSA_SHA256: {famECDSA, crypto.SHA256, ecMin, ecMax, CKF_HW | sv | ecFlags},
	CKM_ECDSA_SHA384: {famECDSA, crypto.SHA384, ecMin, ecMax, CKF_HW | sv | ecFlags},
	CKM_ECDSA_SHA512: {famECDSA, crypto.SHA512, ecMin, ecMax, CKF_HW | sv | ecFlags},

	// Digests are computed in the calling process: parsecd's HashCompute
	// would cost a round trip for what every consumer could do itself.
	CKM_SHA_1:  {famDigest, crypto.SHA1, 0, 0, CKF_DIGEST},
	CKM_SHA224: {famDigest, crypto.SHA224, 0, 0, CKF_DIGEST},
	CKM_SHA256: {famDigest, crypto.SHA256, 0, 0, CKF_DIGEST},
	CKM_SHA384: {famDigest, crypto.SHA384, 0, 0, CKF_DIGEST},
	CKM_SHA512: {famDigest, crypto.SHA512, 0, 0, CKF_DIGEST},
}

// digestMechHash maps the hash mechanisms named in PSS/OAEP parameters.
var digestMechHash = map[uint]crypto.Hash{
	CKM_SHA_1: crypto.SHA1, CKM_SHA224: crypto.SHA224, CKM_SHA256: crypto.SHA256,
	CKM_SHA384: crypto.SHA384, CKM_SHA512: crypto.SHA512,
}

// mgfHash maps the MGF1 generators.
var mgfHash = map[uint]crypto.Hash{
	CKG_MGF1_SHA1: crypto.SHA1, CKG_MGF1_SHA224: crypto.SHA224, CKG_MGF1_SHA256: crypto.SHA256,
	CKG_MGF1_SHA384: crypto.SHA384, CKG_MGF1_SHA512: crypto.SHA512,
}

// psaHash is the PSA form of h (HashNone when there is none).
func psaHash(h crypto.Hash) psa.Hash {
	p, err := client.HashFromCrypto(h)
	if err != nil {
		return psa.HashNone
	}
	return p
}

// hashOfDigestLen is the hash whose digests are n bytes long; prefer is
// taken when its size fits (the key policy's own hash), SHA-2 otherwise.
func hashOfDigestLen(n int, prefer psa.Hash) psa.Hash {
	if prefer.Valid() && prefer.Size() == n {
		return prefer
	}
	switch n {
	case 20:
		return psa.HashSHA1
	case 28:
		return psa.HashSHA224
	case 32:
		return psa.HashSHA256
	case 48:
		return psa.HashSHA384
	case 64:
		return psa.HashSHA512
	}
	return psa.HashNone
}

var hashOIDs = map[crypto.Hash]asn1.ObjectIdentifier{
	crypto.MD5:    {1, 2, 840, 113549, 2, 5},
	crypto.SHA1:   {1, 3, 14, 3, 2, 26},
	crypto.SHA224: {2, 16, 840, 1, 101, 3, 4, 2, 4},
	crypto.SHA256: {2, 16, 840, 1, 101, 3, 4, 2, 1},
	crypto.SHA384: {2, 16, 840, 1, 101, 3, 4, 2, 2},
	crypto.SHA512: {2, 16, 840, 1, 101, 3, 4, 2, 3},
}

type digestInfo struct {
	Alg    pkix.AlgorithmIdentifier
	Digest []byte
}

// parseDigestInfo reads the DER DigestInfo that CKM_RSA_PKCS signers
// (OpenSSL, OpenSSH) pass: the hash it names and the digest. ok is false
// for anything else (raw PKCS#1 v1.5 input).
func parseDigestInfo(b []byte) (crypto.Hash, []byte, bool) {
	var di digestInfo
	rest, err := asn1.Unmarshal(b, &di)
	if err != nil || len(rest) != 0 {
		return 0, nil, false
	}
	for h, oid := range hashOIDs {
		if di.Alg.Algorithm.Equal(oid) && len(di.Digest) == h.Size() {
			return h, di.Digest, true
		}
	}
	return 0, nil, false
}

// encodeDigestInfo is the DigestInfo for a digest of h (for keys whose
// policy is raw PKCS#1 v1.5 signing).
func encodeDigestInfo(h crypto.Hash, digest []byte) ([]byte, error) {
	return asn1.Marshal(digestInfo{Alg: pkix.AlgorithmIdentifier{Algorithm: hashOIDs[h], Parameters: asn1.NullRawValue}, Digest: digest})
}
