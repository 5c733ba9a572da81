// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package migrate

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/pelletier/go-toml/v2"

	"github.com/parsecd/parsecd/src/config"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/storage"
)

// Parsec's PKCS#11 provider names each key's token objects by CKA_ID = its
// u32 key id in big endian (4 bytes), with no label; its key info manager
// keeps the id as bincode u32 (little endian). parsecd's PKCS#11 provider
// serves such a key from KeyInfo.ID = 0x02 ‖ the 4-byte CKA_ID ‖ the token
// serial (providers/pkcs11/keyid.go), so the objects stay where they are.
const pkcs11ParsecIDVersion = 0x02

func init() {
	Converters[parsecPkcs11] = pkcs11Converter
}

// pkcs11Converter records the token's serial_number when the [[provider]]
// entry names one (the provider then refuses another token), else none:
// the keys belong to the token the entry selects, as they did in Parsec.
func pkcs11Converter(p config.Provider) (func([]byte, psa.KeyAttributes) (storage.KeyInfo, string, error), error) {
	var opts struct {
		Serial string `toml:"serial_number"`
	}
	if err := toml.Unmarshal(p.Raw, &opts); err != nil {
		return nil, fmt.Errorf("reading serial_number: %w", err)
	}
	return PKCS11Convert(strings.TrimSpace(opts.Serial)), nil
}

// PKCS11Convert converts Parsec PKCS#11 mappings for the token with serial
// ("" for the token the provider is configured with).
func PKCS11Convert(serial string) func([]byte, psa.KeyAttributes) (storage.KeyInfo, string, error) {
	return func(id []byte, a psa.KeyAttributes) (storage.KeyInfo, string, error) {
		if len(id) != 4 {
			return storage.KeyInfo{}, "", fmt.Errorf("PKCS#11 key id of %d bytes (expected a 4-byte u32)", len(id))
		}
		switch {
		case a.Type.IsRSA(), a.Type.IsECC() && a.Type.EccFamily == psa.EccSecpR1:
		default:
			return storage.KeyInfo{}, "", fmt.Errorf("%v keys are not served by parsecd's PKCS#11 provider", a.Type)
		}
		if a.Bits == 0 {
			return storage.KeyInfo{}, "", fmt.Errorf("0 bits recorded by Parsec: the size is on the token only")
		}
		out := make([]byte, 1, 5+len(serial))
		out[0] = pkcs11ParsecIDVersion
		out = binary.BigEndian.AppendUint32(out, binary.LittleEndian.Uint32(id))
		out = append(out, serial...)
		note := fmt.Sprintf("token objects with CKA_ID %x", out[1:5])
		return storage.KeyInfo{ID: out, Attributes: a}, note, nil
	}
}
