// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
	"time"

	"github.com/parsecd/parsecd/src/migrate"
	"github.com/parsecd/parsecd/storage/bolt"
)

// migrateCmd is `parsecd migrate`: the migration parsecd runs at start-up
// (docs/migration.md), explicitly and with the daemon stopped, printing
// what moves key by key. --dry-run reads the Parsec store and prints the
// plan without opening or writing the bbolt store. Exit status: 0 when
// every key migrated (or would), 1 when a key is refused or the migration
// failed, 2 for a usage error.
func migrateCmd(args []string, stdout, stderr io.Writer) int {
	var dry bool
	cfg, code := subcommand{name: "migrate", synopsis: "[-c|--config PATH] [--dry-run]",
		about:      "Migrates the keys of Parsec's OnDisk or SQLite key info managers into parsecd's store, once.",
		configHelp: "path of Parsec's config.toml (default " + defaultConfigPath + ")",
		flags: func(fl *flag.FlagSet) {
			fl.BoolVar(&dry, "dry-run", false, "print what would be migrated, write nothing")
		}}.load(args, stderr)
	if cfg == nil {
		return code
	}
	found, bad := false, false
	for _, km := range cfg.KeyManagers {
		if km.Parsec == nil {
			continue
		}
		found = true
		src := migrate.SourceOf(cfg, km)
		if _, err := os.Stat(src.Path); errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(stdout, "key manager %q: Parsec's %s store %s does not exist: nothing to migrate\n", km.Name, src.Type, src.Path)
			continue
		}
		var store *bolt.Store
		if !dry {
			var err error
			if store, err = bolt.Open(km.Path, bolt.Options{}); err != nil {
				fmt.Fprintf(stderr, "parsecd migrate: key store %q (%s): %v (a running parsecd holds the store: stop it first)\n", km.Name, km.Path, err)
				return 1
			}
			defer store.Close()
			rec, err := migrate.Done(store, src)
			if err != nil {
				fmt.Fprintf(stderr, "parsecd migrate: %v\n", err)
				return 1
			}
			if rec != nil {
				fmt.Fprintf(stdout, "key manager %q: Parsec's %s store %s was migrated into %s on %s (sha256 %s, %d keys, %d refused): nothing to do\n",
					km.Name, rec.Type, rec.Source, km.Path, rec.Time.Format(time.RFC3339), rec.SHA256, rec.Migrated, len(rec.Refused))
				continue
			}
		}
		targets, err := migrate.TargetsOf(cfg, km)
		if err != nil {
			fmt.Fprintf(stderr, "parsecd migrate: %v\n", err)
			return 1
		}
		plan, err := migrate.Prepare(src, targets)
		if err != nil {
			fmt.Fprintf(stderr, "parsecd migrate: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "key manager %q -> %s\n", km.Name, km.Path)
		migrate.Describe(stdout, plan)
		if len(plan.Refused) > 0 {
			bad = true
		}
		if dry {
			plan.Wipe()
			fmt.Fprintln(stdout, "dry run: nothing written")
			continue
		}
		rec, err := migrate.Apply(store, plan, time.Now())
		plan.Wipe()
		if err != nil {
			fmt.Fprintf(stderr, "parsecd migrate: %v\n", err)
			return 1
		}
		if len(rec.Refused) > len(plan.Refused) {
			bad = true
			for _, r := range rec.Refused[len(plan.Refused):] {
				fmt.Fprintf(stdout, "  REFUSED  %s\n", r)
			}
		}
		fmt.Fprintf(stdout, "migrated %d keys into %s; Parsec's files were not modified\n", rec.Migrated, km.Path)
		if err := ownLikeSource(km.Path, src.Path); err != nil {
			fmt.Fprintf(stderr, "parsecd migrate: %v\n", err)
			return 1
		}
	}
	if !found {
		fmt.Fprintln(stdout, "the configuration has no Parsec key manager (manager_type OnDisk or SQLite): nothing to migrate")
	}
	if bad {
		return 1
	}
	return 0
}

// ownLikeSource gives the bbolt store made by root the owner of Parsec's
// store: the daemon runs as that user (parsec) and must open it.
func ownLikeSource(store, source string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	fi, err := os.Stat(source)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || st.Uid == 0 {
		return nil
	}
	if err := os.Chown(store, int(st.Uid), int(st.Gid)); err != nil {
		return fmt.Errorf("giving %s to the owner of %s: %w", store, source, err)
	}
	return nil
}
