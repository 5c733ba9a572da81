// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package config

import (
	"strings"
	"testing"
)

const parsecHead = `[core_settings]
[listener]
listener_type = "DomainSocket"
timeout = 200
[authenticator]
auth_type = "UnixPeerCredentials"
`

// Parsec's own key info managers load unchanged: each names the Parsec
// store to migrate and the bbolt store that takes its keys.
func TestParsecKeyManagers(t *testing.T) {
	for _, tc := range []struct {
		name, kms                 string
		wantType, wantSrc, wantDB string
		wantWork                  string
	}{
		{"OnDisk defaults", `[[key_manager]]
name = "on-disk-manager"
manager_type = "OnDisk"
`, "OnDisk", DefaultOnDiskPath, "/var/lib/parsec/parsecd-keys.db", DefaultParsecWorkingDir},
		{"SQLite as shipped", `[[key_manager]]
name = "sqlite-manager"
manager_type = "SQLite"
sqlite_db_path = "/data/parsec/kim.sqlite3"
parsec_working_dir = "/data/parsec"
`, "SQLite", "/data/parsec/kim.sqlite3", "/data/parsec/parsecd-keys.db", "/data/parsec"},
		{"SQLite default path, the example's store_path ignored as Parsec does", `[[key_manager]]
name = "sqlite-manager"
manager_type = "SQLite"
store_path = "/somewhere"
`, "SQLite", DefaultSQLitePath, "/var/lib/parsec/kim-mappings/sqlite/parsecd-keys.db", DefaultParsecWorkingDir},
		{"explicit path", `[[key_manager]]
name = "m"
manager_type = "OnDisk"
store_path = "/p/mappings"
path = "/q/keys.db"
`, "OnDisk", "/p/mappings", "/q/keys.db", DefaultParsecWorkingDir},
		{"into the configured Bbolt store", `[[key_manager]]
name = "m"
manager_type = "OnDisk"
[[key_manager]]
name = "b"
manager_type = "Bbolt"
path = "/b/keys.db"
`, "OnDisk", DefaultOnDiskPath, "/b/keys.db", DefaultParsecWorkingDir},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := "on-disk-manager"
			if strings.Contains(tc.kms, `name = "sqlite-manager"`) {
				name = "sqlite-manager"
			} else if strings.Contains(tc.kms, `name = "m"`) {
				name = "m"
			}
			text := parsecHead + tc.kms + "[[provider]]\nprovider_type = \"MbedCrypto\"\nkey_info_manager = \"" + name + "\"\n"
			c, err := Parse("config.toml", []byte(text))
			if err != nil {
				t.Fatal(err)
			}
			km := c.KeyManagers[0]
			if km.Parsec == nil || km.Type != tc.wantType || km.Parsec.Type != tc.wantType || km.Parsec.Path != tc.wantSrc ||
				km.Path != tc.wantDB || km.Parsec.WorkingDir != tc.wantWork {
				t.Errorf("got %+v %+v", km, km.Parsec)
			}
			if len(c.Notes) != 1 || !strings.Contains(c.Notes[0], "migrated once into "+tc.wantDB) {
				t.Errorf("notes %q", c.Notes)
			}
		})
	}
	text := parsecHead + `[[key_manager]]
name = "m"
manager_type = "OnDisk"
[[key_manager]]
name = "a"
manager_type = "Bbolt"
path = "/a.db"
[[key_manager]]
name = "b"
manager_type = "Bbolt"
path = "/b.db"
[[provider]]
provider_type = "MbedCrypto"
key_info_manager = "m"
`
	if _, err := Parse("config.toml", []byte(text)); err == nil || !strings.Contains(err.Error(), "several Bbolt") {
		t.Errorf("two Bbolt candidates: %v", err)
	}
}
