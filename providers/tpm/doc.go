// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package tpm is parsecd's TPM 2.0 provider (Parsec provider id 3), built
// on the pure-Go github.com/google/go-tpm library so the static
// CGO_ENABLED=0 binary keeps TPM support. docs/tpm-provider.md describes
// it for users; the files each do one job:
//
//   - tcti.go, auth.go, config.go: the [[provider]] entry (Parsec's `tcti`
//     syntax, hierarchy auths with str:/hex:, skip_if_no_tpm).
//   - transport.go, swtpm.go, mssim.go: Open for a TCTI (go-tpm's linuxtpm
//     for devices, swtpm's socket server, the TPM simulator protocol),
//     Startup, Probe.
//   - provider.go: New, Info, Close, registration as "Tpm".
//   - link.go: the one connection per TPM, shared by the providers naming
//     it (a reload builds the new one while the old one serves), its mutex,
//     reconnection after a transport failure, the cached storage key.
//   - srk.go: the storage primary key, recreated with CreatePrimary at each
//     start, which is what makes keys survive restarts and TPM resets.
//   - record.go: the versioned key record kept in the key store (public
//     area, wrapped private area, per-key auth value).
//   - keys.go, import.go: generation, import (public keys; key pairs with
//     the duplication/Import flow), export, destroy, the salted sessions.
//   - cache.go, loaded.go: the keys a link keeps loaded with their sessions
//     between operations, and the eviction when the TPM runs out of room.
//   - records.go: each key's last decoded record, reused for the same bytes.
//   - sign.go, crypt.go, random.go, attest.go: the operations.
//   - caps.go: what the TPM reports (algorithms, curves, RSA sizes) and the
//     checks GenerateKey, ImportKey, every operation and CanDoCrypto share.
//   - errors.go: TPM response codes to PSA statuses, once.
//
// The tests run against swtpm: PARSEC_TEST_TCTI (make test-tpm) or a swtpm
// they start through test/scripts/swtpm.sh; a swtpm that cannot start is a
// failure.
package tpm
