// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build !otatest

package bolt

// SchemaVersion is the layout version of the key store that this build
// reads and writes. Open upgrades a store with an older version through
// the migration table and refuses one with a newer version. (A build with
// the otatest tag, used only by the qemu/ OTA scenario, has version 2:
// migrate_otatest.go.)
const SchemaVersion = 1
