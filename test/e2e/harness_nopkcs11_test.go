// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build !pkcs11

package e2e

// parsecdBuild is how TestMain builds parsecd: the default static build.
var parsecdBuild = struct {
	env   string   // CGO_ENABLED setting
	flags []string // extra go build flags
}{env: "CGO_ENABLED=0"}
