// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package main

import (
	"fmt"
	"io"

	"github.com/parsecd/parsecd/storage/bolt"
)

// commitUpdate is `parsecd commit-update`, for an OTA framework's "mark
// good" hook (docs/ota.md): it ends the rollback window of every key store
// of the configuration by deleting the snapshots kept for older releases.
// It runs beside the daemon (it takes no lock). Run by a rolled-back
// release it refuses, since its snapshot is then its live store.
func commitUpdate(args []string, stdout, stderr io.Writer) int {
	cfg, code := subcommand{name: "commit-update", synopsis: "[-c|--config PATH]",
		about: "Ends the rollback window of an update: older releases can no longer use the key stores."}.load(args, stderr)
	if cfg == nil {
		return code
	}
	failed := false
	for _, km := range cfg.KeyManagers {
		removed, err := bolt.CommitUpdate(km.Path, bolt.Options{})
		for _, r := range removed {
			fmt.Fprintf(stdout, "key store %q: removed the rollback snapshot %s\n", km.Name, r)
		}
		switch {
		case err != nil:
			fmt.Fprintf(stderr, "parsecd commit-update: key store %q: %v\n", km.Name, err)
			failed = true
		case len(removed) == 0:
			fmt.Fprintf(stdout, "key store %q: no rollback window open\n", km.Name)
		}
	}
	if failed {
		return 1
	}
	return 0
}
