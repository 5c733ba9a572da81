// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package config

import (
	"fmt"
	"path/filepath"
)

// parsecManager is a [[key_manager]] of Parsec's own types. Parsec's keys
// (store_path for OnDisk, sqlite_db_path for SQLite, with Parsec's
// defaults) name the store to migrate; "path", when given, the bbolt
// store it migrates into (else placeMigrated decides).
func parsecManager(name, typ string, path, storePath, sqlitePath, workDir *string) KeyManager {
	src := &ParsecStore{Type: typ, WorkingDir: deref(workDir, DefaultParsecWorkingDir)}
	if typ == "OnDisk" {
		src.Path = deref(storePath, DefaultOnDiskPath)
	} else {
		// Parsec's SQLite manager reads sqlite_db_path only (its shipped
		// example's store_path is ignored by Parsec too).
		src.Path = deref(sqlitePath, DefaultSQLitePath)
	}
	return KeyManager{Name: name, Type: typ, Path: deref(path, ""), Parsec: src}
}

// placeMigrated gives each Parsec store without a "path" its bbolt store:
// the configuration's only Bbolt manager if it has exactly one, else
// parsecd-keys.db in the Parsec store's directory. It returns a problem
// to report, or "".
func placeMigrated(kms []KeyManager) string {
	var bbolt []string
	for _, km := range kms {
		if km.Parsec == nil {
			bbolt = append(bbolt, km.Path)
		}
	}
	for i := range kms {
		km := &kms[i]
		if km.Parsec == nil || km.Path != "" {
			continue
		}
		switch len(bbolt) {
		case 0:
			km.Path = filepath.Join(filepath.Dir(filepath.Clean(km.Parsec.Path)), MigratedStoreName)
		case 1:
			km.Path = bbolt[0]
		default:
			return fmt.Sprintf("key manager %q (%s): several Bbolt key managers could take its keys: say which with path = \"...\"", km.Name, km.Type)
		}
	}
	return ""
}

// migrationNotes say where each Parsec store goes.
func migrationNotes(kms []KeyManager) []string {
	var out []string
	for _, km := range kms {
		if km.Parsec != nil && km.Path != "" {
			out = append(out, fmt.Sprintf("key manager %q: Parsec's %s store %s (Mbed Crypto key files in %s) is migrated once into %s, then served from there (docs/migration.md)",
				km.Name, km.Type, km.Parsec.Path, km.Parsec.WorkingDir, km.Path))
		}
	}
	return out
}
