// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parsecd/parsecd/src/client"
	"github.com/parsecd/parsecd/src/migrate/manifest"
)

// The OTA scenario's Parsec case (TestGuestOTA): image N has a store the
// real Parsec 1.1.0 wrote (the SQLite fixture, copied onto the data disk
// at Parsec's default paths); image N+1 runs parsecd with Parsec's own
// config, which migrates it, and every key of uid 0 works as the manifest
// says; a restart does not migrate again; Parsec's files stay as they were.

// Parsec's default places, on the data disk.
const (
	guestParsecDir = "/var/lib/parsec"
	guestParsecDB  = "/var/lib/parsec/kim-mappings/sqlite/sqlite-key-info-manager.sqlite3"
)

// guestParsecFiles lists the Parsec files on the data disk.
func guestParsecFiles(t *testing.T) []string {
	t.Helper()
	its, err := filepath.Glob(filepath.Join(guestParsecDir, "*.psa_its"))
	opsOK(t, err, "listing the key files")
	return append(its, guestParsecDB)
}

// guestParsecCreate puts the fixture store where Parsec keeps it.
func guestParsecCreate(t *testing.T, record func(string) string) {
	src := os.Getenv("PARSEC_GUEST_PARSEC_STORE")
	if src == "" {
		t.Fatal("PARSEC_GUEST_PARSEC_STORE is unset")
	}
	its, err := filepath.Glob(filepath.Join(src, "*.psa_its"))
	opsOK(t, err, "listing the fixture's key files")
	copyFile := func(from, to string) {
		b, err := os.ReadFile(from)
		opsOK(t, err, "reading "+from)
		opsOK(t, os.MkdirAll(filepath.Dir(to), 0o700), "mkdir")
		opsOK(t, os.WriteFile(to, b, 0o600), "writing "+to)
	}
	for _, f := range its {
		copyFile(f, filepath.Join(guestParsecDir, filepath.Base(f)))
	}
	copyFile(filepath.Join(src, "kim", "sqlite-key-info-manager.sqlite3"), guestParsecDB)
	var sums []string
	for _, f := range guestParsecFiles(t) {
		s := guestFileSum(t, f)
		sums = append(sums, f+" "+string(s[:]))
	}
	opsOK(t, os.WriteFile(record("parsec-files"), []byte(strings.Join(sums, "\n")), 0o600), "recording Parsec's files")
}

// guestParsecVerify runs parsecd N+1 with Parsec's config on the store:
// the first time (first) it migrates, then and on every later boot it
// serves Parsec's keys from bbolt without migrating again.
func guestParsecVerify(t *testing.T, record func(string) string, first bool) {
	src := os.Getenv("PARSEC_GUEST_PARSEC_STORE")
	m, err := manifest.Load(filepath.Join(src, "manifest.json"))
	opsOK(t, err, "loading the manifest")
	// Parsec's config of the fixture run, with Parsec's default store path
	// (its sqlite_db_path line left out) and a socket of this test's.
	raw, err := os.ReadFile(filepath.Join(src, "config-unix-peer.toml"))
	opsOK(t, err, "reading Parsec's config")
	d := NewDaemon(t, Options{})
	var lines []string
	for _, l := range strings.Split(string(raw), "\n") {
		switch {
		case strings.HasPrefix(l, "sqlite_db_path"):
			continue
		case strings.HasPrefix(l, "socket_path"):
			l = `socket_path = "` + d.Socket + `"`
		}
		lines = append(lines, l)
	}
	opsOK(t, os.WriteFile(d.Config, []byte(strings.Join(lines, "\n")), 0o644), "writing the config")

	d.Start()
	if migrated := strings.Contains(d.Logs(), "migrated Parsec's key store"); migrated != first {
		t.Errorf("migration logged: %v, want %v:\n%s", migrated, first, d.Logs())
	}
	uid0 := d.Client(client.WithAuth(client.UnixPeerCredentialsAuth()))
	if n := checkManifest(t, m, "UnixPeerCredentials", "0", uid0); n != 11 {
		t.Errorf("uid 0: %d keys checked, want 11", n)
	}
	for _, l := range strings.Split(d.Logs(), "\n") {
		if strings.Contains(l, "migrated Parsec's key store") {
			t.Logf("image N+1: %s", l)
		}
	}
	d.Stop()
	// A restart does not migrate again, and the keys are served from bbolt.
	d.Start()
	if strings.Contains(d.Logs(), "migrated Parsec's key store") {
		t.Errorf("migrated a second time:\n%s", d.Logs())
	}
	checkManifest(t, m, "UnixPeerCredentials", "0", d.Client(client.WithAuth(client.UnixPeerCredentialsAuth())))
	d.Stop()

	want, err := os.ReadFile(record("parsec-files"))
	opsOK(t, err, "reading the recorded Parsec files")
	var sums []string
	for _, f := range guestParsecFiles(t) {
		s := guestFileSum(t, f)
		sums = append(sums, f+" "+string(s[:]))
	}
	if strings.Join(sums, "\n") != string(want) {
		t.Error("Parsec's files changed")
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(guestParsecDB), "parsecd-keys.db")); err != nil {
		t.Errorf("the migrated store is not next to Parsec's: %v", err)
	}
}
