// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package psa

import (
	"strconv"

	"github.com/parsecd/parsecd/src/status"
)

// macBlockSize is the block size, in bytes, of the cipher behind a CMAC or
// CBC-MAC key: 8 for DES, 16 for AES and the other 128-bit block ciphers.
func macBlockSize(t KeyType) uint32 {
	if t.Kind == KeyDes {
		return 8
	}
	return 16
}

// MacLength is the length in bytes of the MAC that alg produces with a key
// of type t: the truncation length of a truncated MAC, otherwise the hash
// size (HMAC) or the cipher block size (CMAC, CBC-MAC).
func MacLength(t KeyType, alg Mac) uint32 {
	switch {
	case alg.Truncated:
		return alg.Length
	case alg.Kind == MacHmac:
		return uint32(alg.Hash.Size())
	}
	return macBlockSize(t)
}

// permitsMac reports whether a policy MAC algorithm allows the requested one
// for a key of type t: the same MAC (kind and, for HMAC, hash) producing
// the same number of bytes. A full-length policy therefore permits only the
// full-length MAC (or a "truncation" to the full length, which is the same
// algorithm, as in PSA's PSA_ALG_TRUNCATED_MAC), and a truncated policy only
// that truncation.
func permitsMac(policy Algorithm, t KeyType, req Mac) bool {
	p := policy.Mac
	if policy.Kind != AlgMac || p.Kind != req.Kind {
		return false
	}
	if req.Kind == MacHmac && p.Hash != req.Hash {
		return false
	}
	return MacLength(t, p) == MacLength(t, req)
}

// CheckMac decides whether key a may compute or verify (usage says which:
// UsageSignMessage or UsageVerifyMessage, as PSA defines for MACs) a MAC
// with alg. Whether alg suits the key type, is supported and has a valid
// truncation length is the provider's capability check, not policy.
func CheckMac(a KeyAttributes, usage UsageFlags, alg Mac) error {
	switch alg.Kind {
	case MacHmac:
		if !alg.Hash.Valid() {
			return status.Errorf(status.PsaErrorInvalidArgument, "HMAC needs a hash algorithm")
		}
	case MacCbcMac, MacCmac:
	default:
		return status.Errorf(status.PsaErrorInvalidArgument, "not a MAC algorithm")
	}
	if !a.Policy.Usage.Has(usage) {
		return status.Errorf(status.PsaErrorNotPermitted, "key usage flags do not allow this operation")
	}
	if !permitsMac(a.Policy.Alg, a.Type, alg) {
		return status.Errorf(status.PsaErrorNotPermitted, "key policy %v does not permit %s", a.Policy.Alg, macName(alg))
	}
	return nil
}

// macName names a MAC algorithm in messages, in the Rust client's notation.
func macName(m Mac) string {
	var s string
	switch m.Kind {
	case MacHmac:
		s = "Hmac{ hash_alg: " + m.Hash.String() + " }"
	case MacCbcMac:
		s = "CbcMac"
	case MacCmac:
		s = "Cmac"
	default:
		s = "?"
	}
	if m.Truncated {
		return "Truncated{ mac_alg: " + s + ", mac_length: " + strconv.FormatUint(uint64(m.Length), 10) + " }"
	}
	return s
}
