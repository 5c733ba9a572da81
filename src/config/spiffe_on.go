// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build spiffe

package config

// spiffeBuilt: this build has the JwtSvid authenticator (the spiffe tag,
// which brings go-spiffe's Workload API client and gRPC).
const spiffeBuilt = true
