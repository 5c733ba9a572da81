// Package tpm is the foundation of parsecd's TPM 2.0 provider (issue 4),
// built on the pure-Go github.com/google/go-tpm library so the static
// CGO_ENABLED=0 binary keeps TPM support.
//
// What exists:
//
//   - ParseTCTI: Parsec's `tcti` syntax (device[:/dev/tpmrm0], mssim:host=..,port=..,
//     swtpm:host=..,port=.., swtpm:path=/run/swtpm.sock) into a TCTI value.
//   - ParseHierarchyAuth: `owner_hierarchy_auth` / `endorsement_hierarchy_auth`
//     values with str:/hex: prefixes; the value never appears in an error and
//     an Auth formats as "[redacted]".
//   - Open: the transport for a TCTI: go-tpm's linuxtpm for devices, and small
//     transports of this package for swtpm's socket server (raw TPM commands over
//     TCP or a Unix socket, swtpm.go) and the TPM simulator protocol (mssim.go).
//   - Probe: Startup (TPM_RC_INITIALIZE ignored) and a GetCapability of
//     TPM_PT_MANUFACTURER, the check each TPM test suite starts with.
//
// The tests start their own swtpm on a temporary state directory through
// test/scripts/swtpm.sh (or use PARSEC_TEST_TCTI when it is set).
//
// What issue 4 still needs: the provider itself (it is not registered, so the
// daemon still refuses provider_type = "Tpm" as not available), the primary
// storage key, key generation/import/destroy with wrapped blobs in the key
// store, the twelve operations, attestation, parameter-encryption sessions,
// PSA status mapping, skip_if_no_tpm, restart and TPM-reset persistence, the
// end-to-end and cross-provider tests and the benchmark.
package tpm
