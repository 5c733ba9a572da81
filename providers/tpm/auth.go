// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package tpm

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// MaxAuthSize is the largest hierarchy auth value accepted: a TPM2B_AUTH
// holds at most sizeof(TPMU_HA), the SHA-512 digest size.
const MaxAuthSize = 64

// Auth is a hierarchy auth value. It formats as "[redacted]" so it cannot
// leak through a log line or an error.
type Auth []byte

func (Auth) String() string   { return "[redacted]" }
func (Auth) GoString() string { return "tpm.Auth([redacted])" }

// ParseHierarchyAuth parses an owner_hierarchy_auth or
// endorsement_hierarchy_auth value: "str:VALUE" (the bytes of VALUE),
// "hex:HEX" (the decoded bytes) or a value without prefix (as str:). The
// empty value is the empty auth. field names the setting in errors; the
// value never appears in them.
func ParseHierarchyAuth(field, value string) (Auth, error) {
	var b []byte
	switch {
	case strings.HasPrefix(value, "hex:"):
		h := value[len("hex:"):]
		if len(h)%2 != 0 {
			return nil, fmt.Errorf("%s: hex: value has an odd number of digits", field)
		}
		d, err := hex.DecodeString(h)
		if err != nil {
			return nil, fmt.Errorf("%s: hex: value has a character that is not a hex digit", field)
		}
		b = d
	case strings.HasPrefix(value, "str:"):
		b = []byte(value[len("str:"):])
	default:
		b = []byte(value)
	}
	if len(b) > MaxAuthSize {
		return nil, fmt.Errorf("%s: auth value is %d bytes, at most %d allowed", field, len(b), MaxAuthSize)
	}
	if len(b) == 0 {
		return nil, nil
	}
	return Auth(b), nil
}
