// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build otatest

package bolt

import (
	"os"
	"path/filepath"

	bbolt "go.etcd.io/bbolt"
)

// SchemaVersion, in a build with the otatest tag, is one past the real
// layout: the qemu/ OTA scenario (make test-qemu-ota) boots such a parsecd
// as "image N+1" on the key store that image N wrote, so that the update
// runs a real schema migration, then image N again (it serves the rollback
// snapshot the migration kept), N+1 again (it merges what N changed, then
// commits) and N once more (it refuses the committed store): docs/ota.md.
// The step is not additive (additiveSteps), so that the rollback path runs.
// Never ship this tag; storage/bolt's own schema tests assume version 1 and
// fail under it.
const SchemaVersion = 2

// otatestMigratedKey is the meta key that the otatest migration writes;
// the in-guest test (test/e2e/guest_test.go) reads it to prove the step ran.
var otatestMigratedKey = []byte("otatest_migrated")

func init() {
	migrations[2] = migrateOTATest
}

// otatestPowerCut, next to the store, makes the migration stop for good
// in the middle of its transaction (the rollback snapshot written, the
// migration not committed), after saying so in otatestPowerCutReached:
// the qemu/ OTA scenario then cuts the power (kills QEMU) there.
const (
	otatestPowerCut        = "otatest-powercut"
	otatestPowerCutReached = "otatest-powercut-reached"
)

// migrateOTATest is the test step from version 1 to 2: it leaves the keys
// as they are and records that it ran.
func migrateOTATest(tx *bbolt.Tx) error {
	dir := filepath.Dir(tx.DB().Path())
	if _, err := os.Stat(filepath.Join(dir, otatestPowerCut)); err == nil {
		if err := os.WriteFile(filepath.Join(dir, otatestPowerCutReached), nil, 0o600); err != nil {
			return err
		}
		select {} // until the power goes
	}
	return tx.Bucket(bucketMeta).Put(otatestMigratedKey, []byte("1->2"))
}
