// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build !spiffe

package config

// spiffeBuilt: the default build leaves out the JwtSvid authenticator, whose
// Workload API client (go-spiffe, gRPC) adds some 5 MB to a static
// parsecd; as in Parsec, where it is a non-default cargo feature. A config
// naming JwtSvid is refused at its line, saying how to get it.
const spiffeBuilt = false
