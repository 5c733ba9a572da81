// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build pkcs11

package e2e

// parsecdBuild is how TestMain builds parsecd: with the pkcs11 tag the tests
// run against the cgo build that has the real PKCS#11 provider.
var parsecdBuild = struct {
	env   string   // CGO_ENABLED setting
	flags []string // extra go build flags
}{env: "CGO_ENABLED=1", flags: []string{"-tags", "pkcs11"}}
