// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build spiffe

package main

import (
	"github.com/parsecd/parsecd/src/client"
	"github.com/parsecd/parsecd/src/client/spiffe"
)

// jwtSvidUnusable ends the warning when JwtSvid is listed but the
// Workload API is not named.
const jwtSvidUnusable = "needs " + spiffe.EndpointEnv + " (the SPIFFE Workload API)"

// jwtSvidAuth is the JwtSvid authentication when the service's first
// usable authenticator is JwtSvid: a JWT-SVID for the audience "parsec"
// from the Workload API named by SPIFFE_ENDPOINT_SOCKET, as Parsec's Rust
// client takes it. Without that variable the tool cannot use JwtSvid and
// goes on to the next authenticator listed (ok false), as parsec-tool built
// without its spiffe-auth feature does; the command line stays parsec-tool
// 0.7's. One token serves the whole (short) run.
func (a *app) jwtSvidAuth() (au client.Auth, ok bool, err error) {
	ep := a.getenv(spiffe.EndpointEnv)
	if ep == "" {
		return client.Auth{}, false, nil
	}
	src := spiffe.NewSource(ep)
	defer src.Close()
	tok, err := src.Token(a.ctx)
	if err != nil {
		return client.Auth{}, true, err
	}
	return client.JwtSvidAuth(tok), true, nil
}
