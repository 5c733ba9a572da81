// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Command parsec-tool is a command-line client of the Parsec service, a
// drop-in for the Rust parsec-tool 0.7.0: same subcommands, flags, help and
// usage texts (clap 2's), log lines (env_logger's), error lines
// ("[ERROR parsec_tool] Subcommand failed: <Display> (<Debug>)") and exit
// statuses. The parsecd additions (import-key, create-key, export-key, hash,
// MAC, AEAD, cipher, key agreement and CanDoCrypto subcommands, and
// create-rsa-key -r) only exist on command lines parsec-tool 0.7.0 refuses;
// docs/cli.md describes them.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}
