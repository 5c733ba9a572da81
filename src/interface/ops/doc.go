// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package ops holds the Go bindings of the PARSEC operation bodies, one
// sub-package per .proto file in src/interface/proto (package name = proto
// package without underscores, e.g. psa_sign_hash -> psasignhash).
//
// The code is generated and committed; run `make generate` (or `go generate
// ./src/interface/ops`) after editing a .proto file, and `make generate-check`
// to verify the committed code is current.
package ops

//go:generate ./gen.sh
