// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package migrate

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/psa"
)

// Parsec's provider ids (ProviderId) and UUIDs.
const (
	parsecMbedCrypto = 1
	parsecPkcs11     = 2
	parsecTpm        = 3
)

var providerUUIDs = map[string]int{
	"1c1139dc-ad7c-47dc-ad6b-db6fdb466552": parsecMbedCrypto,
	"30e39502-eba6-4d60-a4af-c518b7f5e38f": parsecPkcs11,
	"1e4954a4-ff21-46d3-ab0c-661eeb667e1d": parsecTpm,
}

var providerNames = map[int]string{
	parsecMbedCrypto: "Mbed Crypto",
	parsecPkcs11:     "PKCS#11",
	parsecTpm:        "TPM",
	4:                "CryptoAuthLib",
	5:                "Trusted Service",
}

// mapping is one key of a Parsec key info manager.
type mapping struct {
	Auth       parsec.AuthType
	App        string
	Key        string
	ProviderID int    // Parsec's provider id (1 Mbed Crypto, 2 PKCS#11, 3 TPM, ...)
	Provider   string // the SQLite KIM's provider_name ("" for OnDisk)
	KeyID      []byte // bincode of the provider's key id
	Attrs      psa.KeyAttributes
	Lifetime   uint32
	Where      string // the file or row it came from
	Err        error  // set when the record cannot be read
}

func (m mapping) String() string {
	return fmt.Sprintf("%s application %q key %q", m.Auth, m.App, m.Key)
}

// source is what a Parsec key info manager holds.
type source struct {
	Type     string // "OnDisk" or "SQLite"
	Path     string
	Hash     string // SHA-256 of the mapping files (OnDisk: names and contents in order)
	Mappings []mapping
}

var b64 = base64.URLEncoding

// readOnDisk reads an OnDisk KIM. It records no authenticator: every
// mapping belongs to auth, the configured one. Nothing is written.
func readOnDisk(dir string, auth parsec.AuthType) (*source, error) {
	src := &source{Type: "OnDisk", Path: dir}
	h := sha256.New()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	for _, path := range files {
		rel, _ := filepath.Rel(dir, path)
		parts := splitPath(rel)
		content, rerr := os.ReadFile(path)
		if rerr != nil {
			return nil, rerr
		}
		fmt.Fprintf(h, "%d:%s%d:", len(rel), rel, len(content))
		h.Write(content)
		m := mapping{Auth: auth, Where: path}
		if len(parts) != 3 {
			m.Err = fmt.Errorf("not a mapping file (expected <app>/<provider id>/<key name>)")
			m.App, m.Key = rel, ""
			src.Mappings = append(src.Mappings, m)
			continue
		}
		app, aerr := decodeName(parts[0])
		if parts[0] == "parsec" {
			// Parsec's own keys (application "parsec", authenticator 255)
			// are kept under a plain "parsec" directory.
			app, aerr, m.Auth = "parsec", nil, 255
		}
		key, kerr := decodeName(parts[2])
		pid, perr := strconv.Atoi(parts[1])
		m.App, m.Key, m.ProviderID = app, key, pid
		switch {
		case aerr != nil:
			m.Err, m.App = fmt.Errorf("application directory %q: %w", parts[0], aerr), parts[0]
		case kerr != nil:
			m.Err, m.Key = fmt.Errorf("key file name %q: %w", parts[2], kerr), parts[2]
		case perr != nil:
			m.Err = fmt.Errorf("provider directory %q is not a provider id", parts[1])
		default:
			id, rest, err := decodeKeyIDVec(content)
			if err == nil {
				m.KeyID = append([]byte(nil), id...)
				m.Attrs, m.Lifetime, err = decodeAttributes(rest)
			}
			if err != nil {
				m.Err = fmt.Errorf("mapping does not decode: %w", err)
			}
		}
		src.Mappings = append(src.Mappings, m)
	}
	src.Hash = hex.EncodeToString(h.Sum(nil))
	return src, nil
}

func splitPath(rel string) []string {
	var parts []string
	for rel != "." && rel != "" {
		d, f := filepath.Split(rel)
		parts = append([]string{f}, parts...)
		rel = filepath.Clean(d)
		if d == "" {
			break
		}
	}
	return parts
}

func decodeName(s string) (string, error) {
	b, err := b64.DecodeString(s)
	if err != nil {
		return "", errors.New("not URL-safe base64")
	}
	if !utf8.Valid(b) {
		return "", errors.New("not UTF-8")
	}
	return string(b), nil
}

// readSQLite reads an SQLite KIM (schema version 1), without writing to
// it. The authenticator of each mapping is recorded in the row.
func readSQLite(path string) (*source, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	db, err := openSQLite(path)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	src := &source{Type: "SQLite", Path: path, Hash: hex.EncodeToString(sum[:])}
	meta, err := db.table("kim_metadata")
	if err != nil {
		return nil, err
	}
	version := int64(-1)
	for _, r := range meta {
		if r.Values["id"] == "schema_version" {
			version, _ = r.Values["int_value"].(int64)
		}
	}
	if version != 1 {
		return nil, fmt.Errorf("schema version %d: only version 1 (Parsec 1.x) is known", version)
	}
	rows, err := db.table("key_mapping")
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		v := r.Values
		m := mapping{Where: fmt.Sprintf("%s row %d", path, r.RowID)}
		auth, _ := v["authenticator_id"].(int64)
		m.Auth = parsec.AuthType(auth)
		m.App, _ = v["application_name"].(string)
		m.Key, _ = v["key_name"].(string)
		m.Provider, _ = v["provider_name"].(string)
		uuid, _ := v["provider_uuid"].(string)
		m.ProviderID = providerUUIDs[uuid]
		m.KeyID, _ = v["key_id"].([]byte)
		attrs, _ := v["key_attributes"].([]byte)
		idv, _ := v["key_id_version"].(int64)
		av, _ := v["key_attributes_version"].(int64)
		switch {
		case auth < 0 || auth > 255:
			m.Err = fmt.Errorf("authenticator_id %d", auth)
		case m.ProviderID == 0:
			m.Err = fmt.Errorf("unknown provider_uuid %q (provider %q)", uuid, m.Provider)
		case idv != 1 || av != 1:
			m.Err = fmt.Errorf("key_id_version %d, key_attributes_version %d: only version 1 is known", idv, av)
		default:
			m.Attrs, m.Lifetime, err = decodeAttributes(attrs)
			if err != nil {
				m.Err = fmt.Errorf("key_attributes do not decode: %w", err)
			}
		}
		src.Mappings = append(src.Mappings, m)
	}
	return src, nil
}
