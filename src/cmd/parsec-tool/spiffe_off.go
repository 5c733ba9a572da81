// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build !spiffe

package main

import "github.com/parsecd/parsecd/src/client"

// jwtSvidUnusable: without the spiffe tag the tool cannot fetch JWT-SVIDs
// (the Workload API client would add gRPC, some 5 MB) and says so as
// Parsec's client does for an authenticator it was built without.
const jwtSvidUnusable = "not supported by this client library"

// jwtSvidAuth: never usable in this build; the tool goes on to the next
// listed authenticator, as parsec-tool built without its spiffe-auth feature.
func (a *app) jwtSvidAuth() (client.Auth, bool, error) {
	return client.Auth{}, false, nil
}
