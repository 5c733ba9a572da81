// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package migrate

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/parsecd/parsecd/src/psa"
)

// An Mbed Crypto persistent key (Mbed TLS 2.28, PSA ITS file backend) is
// the file <working dir>/<uid as 16 lowercase hex digits>.psa_its, uid =
// the PSA key id Parsec recorded. Layout (little endian):
//
//	0  "PSA\0ITS\0"  8  u32 data length  12 u32 ITS flags
//	16 "PSA\0KEY\0"  24 u32 version (0)  28 u32 lifetime
//	32 u16 type      34 u16 bits         36 u32 usage  40 u32 alg  44 u32 alg2
//	48 u32 key data length, then the key data in PSA export format.
var (
	itsMagic = []byte("PSA\x00ITS\x00")
	keyMagic = []byte("PSA\x00KEY\x00")
)

// itsKey is a parsed Mbed Crypto key file.
type itsKey struct {
	file     string
	lifetime uint32
	psaType  uint16
	bits     uint16
	usage    uint32
	alg      uint32
	alg2     uint32
	data     []byte
}

// itsFileName is the file of an Mbed Crypto key id.
func itsFileName(dir string, id uint32) string {
	return filepath.Join(dir, fmt.Sprintf("%016x.psa_its", uint64(id)))
}

func readITS(dir string, id uint32) (*itsKey, error) {
	file := itsFileName(dir, id)
	b, err := os.ReadFile(file)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("its key file %s does not exist", file)
		}
		return nil, err
	}
	k, err := parseITS(b)
	if err != nil {
		clear(b)
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	k.file = file
	return k, nil
}

// parseITS parses the file's bytes; the key data aliases b.
func parseITS(b []byte) (*itsKey, error) {
	le := binary.LittleEndian
	if len(b) < 52 || !bytes.Equal(b[:8], itsMagic) || !bytes.Equal(b[16:24], keyMagic) {
		return nil, errors.New("not an Mbed Crypto key file (bad magic)")
	}
	if n := le.Uint32(b[8:]); uint64(n) != uint64(len(b)-16) {
		return nil, fmt.Errorf("stored length %d, file holds %d bytes", n, len(b)-16)
	}
	if v := le.Uint32(b[24:]); v != 0 {
		return nil, fmt.Errorf("key format version %d (only 0 is known)", v)
	}
	k := &itsKey{
		lifetime: le.Uint32(b[28:]),
		psaType:  le.Uint16(b[32:]),
		bits:     le.Uint16(b[34:]),
		usage:    le.Uint32(b[36:]),
		alg:      le.Uint32(b[40:]),
		alg2:     le.Uint32(b[44:]),
	}
	n := le.Uint32(b[48:])
	if uint64(n) != uint64(len(b)-52) {
		return nil, fmt.Errorf("key data length %d, file holds %d bytes", n, len(b)-52)
	}
	k.data = b[52:]
	return k, nil
}

// PSA usage bits (psa_key_usage_t) in the order of psa.UsageFlags.
var psaUsageBits = [...]uint32{
	0x0001, // export
	0x0002, // copy
	0x0004, // cache
	0x0100, // encrypt
	0x0200, // decrypt
	0x0400, // sign message
	0x0800, // verify message
	0x1000, // sign hash
	0x2000, // verify hash
	0x4000, // derive
}

func usageFromPSA(u uint32) psa.UsageFlags {
	var f psa.UsageFlags
	for i, bit := range psaUsageBits {
		if u&bit != 0 {
			f |= 1 << i
		}
	}
	return f
}

// psaKeyType is the PSA Crypto numeric key type (psa_key_type_t) of t, or
// 0 if it has none parsecd knows.
func psaKeyType(t psa.KeyType) uint16 {
	// ECC family numbers (psa_ecc_family_t), indexed by psa.EccFamily.
	ecc := [...]uint16{0, 0x17, 0x12, 0x1b, 0x27, 0x22, 0x2b, 0x30, 0x33, 0x41}
	switch t.Kind {
	case psa.KeyRawData:
		return 0x1001
	case psa.KeyHmac:
		return 0x1100
	case psa.KeyDerive:
		return 0x1200
	case psa.KeyAes:
		return 0x2400
	case psa.KeyDes:
		return 0x2301
	case psa.KeyCamellia:
		return 0x2403
	case psa.KeyArc4:
		return 0x2002
	case psa.KeyChacha20:
		return 0x2004
	case psa.KeyRsaPublic:
		return 0x4001
	case psa.KeyRsaPair:
		return 0x7001
	case psa.KeyEccPair, psa.KeyEccPublic:
		if int(t.EccFamily) >= len(ecc) || ecc[t.EccFamily] == 0 {
			return 0
		}
		if t.Kind == psa.KeyEccPair {
			return 0x7100 | ecc[t.EccFamily]
		}
		return 0x4100 | ecc[t.EccFamily]
	case psa.KeyDhPair:
		return 0x7203
	case psa.KeyDhPublic:
		return 0x4203
	}
	return 0
}
