// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package main

import (
	"errors"
	"flag"
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
	fl := flag.NewFlagSet("parsecd commit-update", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var path string
	fl.StringVar(&path, "c", "", "path of config.toml (default "+defaultConfigPath+", or the embedded default if that file does not exist)")
	fl.StringVar(&path, "config", "", "same as -c")
	fl.Usage = func() {
		fmt.Fprintf(stderr, "Usage: parsecd commit-update [-c|--config PATH]\n\nEnds the rollback window of an update: older releases can no longer use the key stores.\n\n")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fl.NArg() > 0 {
		fmt.Fprintf(stderr, "parsecd commit-update: unexpected argument %q\n", fl.Arg(0))
		return 2
	}
	cfg, err := loader(path, true)()
	if err != nil {
		fmt.Fprintf(stderr, "parsecd commit-update: %v\n", err)
		return 1
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
