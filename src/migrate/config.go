// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package migrate

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"time"

	"github.com/parsecd/parsecd/providers/soft"
	"github.com/parsecd/parsecd/src/config"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/storage"
	"github.com/parsecd/parsecd/storage/bolt"
)

// Parsec's default provider names (what its SQLite manager records when
// the configuration names none), and parsecd's.
var (
	parsecDefaultNames  = map[int]string{parsecMbedCrypto: "mbed-crypto-provider", parsecPkcs11: "pkcs11-provider", parsecTpm: "tpm-provider"}
	parsecdDefaultNames = map[int]string{parsecMbedCrypto: soft.DefaultName, parsecPkcs11: "pkcs11-provider", parsecTpm: "tpm-provider"}
	providerTypes       = map[string]int{"MbedCrypto": parsecMbedCrypto, "Software": parsecMbedCrypto, "Pkcs11": parsecPkcs11, "Tpm": parsecTpm}
)

// Converters turn the mappings of Parsec's PKCS#11 and TPM providers into
// parsecd records; they are registered by the packages that can (nil:
// refused, with the reason in docs/migration.md).
var Converters = map[int]func(cfg config.Provider) (func([]byte, psa.KeyAttributes) (storage.KeyInfo, string, error), error){}

// SourceOf returns the Parsec store a key manager migrates.
func SourceOf(cfg *config.Config, km config.KeyManager) Source {
	// Parsec's OnDisk store does not record the authenticator: its keys
	// belong to the one Parsec ran with, parsecd's default.
	auth := parsec.AuthUnixPeerCredentials
	if d := cfg.Default(); d != nil {
		switch d.Type {
		case "Direct":
			auth = parsec.AuthDirect
		case "JwtSvid":
			auth = parsec.AuthJwtSvid
		}
	}
	return Source{Type: km.Parsec.Type, Path: km.Parsec.Path, ITSDir: km.Parsec.WorkingDir, Auth: auth}
}

// TargetsOf returns the parsecd providers that take the keys of a key
// manager: the [[provider]] entries that name it.
func TargetsOf(cfg *config.Config, km config.KeyManager) ([]Target, error) {
	var out []Target
	for _, p := range cfg.Providers {
		if p.KeyManager != km.Name {
			continue
		}
		id, ok := providerTypes[p.Type]
		if !ok {
			continue
		}
		t := Target{ParsecID: id, ParsecName: p.Name, Name: p.Name}
		if p.Name == "" {
			t.ParsecName, t.Name = parsecDefaultNames[id], parsecdDefaultNames[id]
		}
		if conv := Converters[id]; conv != nil {
			f, err := conv(p)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", p.Where(cfg.Path), err)
			}
			t.Convert = f
		}
		out = append(out, t)
	}
	return out, nil
}

// Run migrates a key manager's Parsec store into store once, at
// start-up: nothing happens when the store's record says it was done, or
// when the Parsec store does not exist (a new device). Every refused key
// is logged by name.
func Run(store *bolt.Store, cfg *config.Config, km config.KeyManager, log *slog.Logger) error {
	src := SourceOf(cfg, km)
	rec, err := Done(store, src)
	if err != nil {
		return err
	}
	if rec != nil {
		log.Debug("Parsec store migrated already", "source", src.Path, "at", rec.Time)
		return nil
	}
	if _, err := os.Stat(src.Path); errors.Is(err, fs.ErrNotExist) {
		log.Info("no Parsec key store to migrate", "key_manager", km.Name, "type", src.Type, "path", src.Path)
		return nil
	}
	targets, err := TargetsOf(cfg, km)
	if err != nil {
		return err
	}
	plan, err := Prepare(src, targets)
	if err != nil {
		return err
	}
	defer plan.Wipe()
	rec, err = Apply(store, plan, time.Now())
	if errors.Is(err, ErrDone) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("migrating Parsec's %s store %s: %w", src.Type, src.Path, err)
	}
	for _, r := range rec.Refused {
		log.Warn("Parsec key not migrated", "key", r)
	}
	log.Info("migrated Parsec's key store", "type", src.Type, "source", src.Path, "sha256", rec.SHA256, "keys", rec.Migrated, "refused", len(rec.Refused), "into", km.Path)
	return nil
}
