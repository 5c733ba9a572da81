// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package migrate moves the keys of a Parsec service (its OnDisk or SQLite
// key info manager and the key material of its providers) into parsecd's
// bbolt key store, once, without writing to Parsec's files: going back to
// Parsec keeps working. docs/migration.md says what moves and what cannot.
package migrate

import (
	"encoding/binary"
	"fmt"
	"sort"

	"github.com/parsecd/parsecd/providers/soft"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/storage"
)

// Source is a Parsec key info manager to migrate.
type Source struct {
	Type string // "OnDisk" or "SQLite"
	Path string // store_path or sqlite_db_path
	// ITSDir is Parsec's working directory, where Mbed Crypto keeps its
	// key files (*.psa_its).
	ITSDir string
	// Auth is the configured authenticator: the owner of every OnDisk
	// mapping (the OnDisk format records none).
	Auth parsec.AuthType
}

// Target is a parsecd provider that takes the keys of a Parsec provider.
type Target struct {
	ParsecID   int    // Parsec provider id: 1 Mbed Crypto, 2 PKCS#11, 3 TPM
	ParsecName string // the provider's name in Parsec (its SQLite provider_name)
	Name       string // the parsecd provider's name
	// Convert turns a PKCS#11 or TPM mapping into the record the parsecd
	// provider serves it from (nil: that provider's keys are refused).
	Convert func(parsecKeyID []byte, a psa.KeyAttributes) (storage.KeyInfo, string, error)
}

// Key is one key that migrates.
type Key struct {
	storage.KeyTriple
	storage.KeyInfo
	From string // the Parsec file or row
	Note string // a quirk of the source that was handled
}

// Refusal is a key that does not migrate, and why.
type Refusal struct {
	Auth     parsec.AuthType
	App, Key string
	Provider string // Parsec's provider
	From     string
	Reason   string
}

func (r Refusal) String() string {
	return fmt.Sprintf("%s application %q key %q (%s provider, %s): %s", r.Auth, r.App, r.Key, r.Provider, r.From, r.Reason)
}

// Plan is what a migration moves.
type Plan struct {
	Source  Source
	Hash    string // SHA-256 of the key info manager's files
	Keys    []Key
	Refused []Refusal
}

// Wipe clears the key material of the plan.
func (p *Plan) Wipe() {
	for i := range p.Keys {
		clear(p.Keys[i].ID)
	}
}

// Prepare reads the source, read-only, and converts every mapping it can.
func Prepare(src Source, targets []Target) (*Plan, error) {
	var s *source
	var err error
	switch src.Type {
	case "OnDisk":
		s, err = readOnDisk(src.Path, src.Auth)
	case "SQLite":
		s, err = readSQLite(src.Path)
	default:
		return nil, fmt.Errorf("unknown Parsec key info manager type %q", src.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("reading Parsec's %s key info manager %s: %w", src.Type, src.Path, err)
	}
	plan := &Plan{Source: src, Hash: s.Hash}
	// Two mappings of one Mbed Crypto key id would share one key: Parsec
	// never makes that, and neither is trusted if it is there.
	ids := map[uint32]int{}
	for _, m := range s.Mappings {
		if m.Err == nil && m.ProviderID == parsecMbedCrypto && len(m.KeyID) == 4 {
			ids[binary.LittleEndian.Uint32(m.KeyID)]++
		}
	}
	for _, m := range s.Mappings {
		k, reason := convert(src, m, targets, ids)
		if reason != "" {
			pname := providerNames[m.ProviderID]
			if pname == "" {
				pname = fmt.Sprintf("id %d", m.ProviderID)
			}
			plan.Refused = append(plan.Refused, Refusal{Auth: m.Auth, App: m.App, Key: m.Key, Provider: pname, From: m.Where, Reason: reason})
			continue
		}
		plan.Keys = append(plan.Keys, k)
	}
	sort.SliceStable(plan.Keys, func(i, j int) bool { return less(plan.Keys[i].KeyTriple, plan.Keys[j].KeyTriple) })
	return plan, nil
}

func less(a, b storage.KeyTriple) bool {
	if a.Provider != b.Provider {
		return a.Provider < b.Provider
	}
	if a.Auth != b.Auth {
		return a.Auth < b.Auth
	}
	if a.App != b.App {
		return a.App < b.App
	}
	return a.Key < b.Key
}

// findTarget returns the parsecd provider for a mapping's Parsec provider:
// by id, and by name when the SQLite KIM recorded one and several
// providers of the type are configured.
func findTarget(m mapping, targets []Target) (Target, bool) {
	var found []Target
	for _, t := range targets {
		if t.ParsecID == m.ProviderID {
			found = append(found, t)
		}
	}
	if len(found) > 1 && m.Provider != "" {
		for _, t := range found {
			if t.ParsecName == m.Provider {
				return t, true
			}
		}
		return Target{}, false
	}
	if len(found) == 1 {
		return found[0], true
	}
	return Target{}, false
}

func convert(src Source, m mapping, targets []Target, ids map[uint32]int) (Key, string) {
	if m.Auth == 255 {
		return Key{}, "a key of the Parsec service itself (application \"parsec\", internal authenticator): parsecd has no use for it"
	}
	if m.Err != nil {
		return Key{}, m.Err.Error()
	}
	switch m.Auth {
	case parsec.AuthDirect, parsec.AuthUnixPeerCredentials, parsec.AuthJwtSvid:
	default:
		return Key{}, fmt.Sprintf("unknown authenticator id %d", m.Auth)
	}
	if m.Lifetime != 1 {
		return Key{}, fmt.Sprintf("lifetime %d: only persistent keys (1) are kept by Parsec", m.Lifetime)
	}
	t, ok := findTarget(m, targets)
	if !ok && m.ProviderID == parsecTpm {
		t, ok = Target{ParsecID: parsecTpm}, true
	}
	if !ok {
		name := providerNames[m.ProviderID]
		if name == "" {
			return Key{}, fmt.Sprintf("Parsec provider id %d is not one parsecd knows", m.ProviderID)
		}
		return Key{}, fmt.Sprintf("no [[provider]] of the configuration takes Parsec's %s keys (provider %q)", name, m.Provider)
	}
	k := Key{KeyTriple: storage.KeyTriple{Auth: m.Auth, App: m.App, Provider: t.Name, Key: m.Key}, From: m.Where}
	switch m.ProviderID {
	case parsecMbedCrypto:
		if len(m.KeyID) != 4 {
			return Key{}, fmt.Sprintf("Mbed Crypto key id of %d bytes (expected a 4-byte u32)", len(m.KeyID))
		}
		id := binary.LittleEndian.Uint32(m.KeyID)
		if ids[id] > 1 {
			return Key{}, fmt.Sprintf("Mbed Crypto key id %d is mapped by %d keys", id, ids[id])
		}
		info, note, err := mbedKey(src.ITSDir, id, m.Attrs)
		if err != nil {
			return Key{}, err.Error()
		}
		k.KeyInfo, k.Note = info, note
	case parsecTpm:
		return Key{}, "Parsec's TPM keys are blobs (tss-esapi key material and auth value) that only a TPM primary key made from tss-esapi's own template, and a public area rebuilt the way tss-esapi rebuilds it, can load: parsecd's TPM provider does neither, so the key stays with Parsec (docs/migration.md, TPM)"
	default:
		if t.Convert == nil {
			return Key{}, fmt.Sprintf("parsecd cannot take over Parsec's %s keys (see docs/migration.md)", providerNames[m.ProviderID])
		}
		info, note, err := t.Convert(m.KeyID, m.Attrs)
		if err != nil {
			return Key{}, err.Error()
		}
		k.KeyInfo, k.Note = info, note
	}
	return k, ""
}

// mbedKey reads an Mbed Crypto key file and converts it into a software
// provider record with the attributes Parsec recorded. The file is the
// authority on the size: Parsec records the size a client asked for,
// which is 0 when an import let the data decide.
func mbedKey(dir string, id uint32, a psa.KeyAttributes) (storage.KeyInfo, string, error) {
	its, err := readITS(dir, id)
	if err != nil {
		return storage.KeyInfo{}, "", err
	}
	defer clear(its.data)
	if its.lifetime != 1 {
		return storage.KeyInfo{}, "", fmt.Errorf("%s: lifetime %#x is not persistent", its.file, its.lifetime)
	}
	if want := psaKeyType(a.Type); want == 0 || want != its.psaType {
		return storage.KeyInfo{}, "", fmt.Errorf("%s holds key type %#04x, the mapping says %v", its.file, its.psaType, a.Type)
	}
	if u := usageFromPSA(its.usage); u != a.Policy.Usage {
		return storage.KeyInfo{}, "", fmt.Errorf("%s has usage %#x, which differs from the mapping's", its.file, its.usage)
	}
	note := ""
	switch {
	case a.Bits == 0:
		a.Bits = uint32(its.bits)
		note = fmt.Sprintf("Parsec recorded 0 bits (an import that let the data decide); the key file says %d", its.bits)
	case a.Bits != uint32(its.bits):
		return storage.KeyInfo{}, "", fmt.Errorf("%s holds a %d-bit key, the mapping says %d bits", its.file, its.bits, a.Bits)
	}
	info, err := soft.StoredForm(a, its.data)
	if err != nil {
		return storage.KeyInfo{}, "", fmt.Errorf("%s: the software provider cannot hold this key: %w", its.file, err)
	}
	return info, note, nil
}
