// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package client

import (
	"context"
	"errors"

	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/status"
)

// TokenSource supplies the JWT-SVID sent with each request under the
// JwtSvid authenticator. A JWT-SVID expires (minutes, with SPIRE's
// defaults), so the client asks for one per request and the source hands
// out a cached token until it is close to its expiry;
// github.com/parsecd/parsecd/src/client/spiffe fetches them from the SPIFFE
// Workload API. The audience must be "parsec".
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// WithJwtSvidSource lets the client authenticate with JWT-SVIDs from src:
// it can then pick the JwtSvid authenticator when the service lists it
// first, and WithAuth(JwtSvidAuth("")) uses src's tokens.
func WithJwtSvidSource(src TokenSource) Option {
	return func(c *config) error {
		if src == nil {
			return errors.New("client: WithJwtSvidSource needs a source")
		}
		c.svids = src
		return nil
	}
}

// fresh returns a with a current token when a is JwtSvid authentication
// and the client has a source.
func (s *shared) fresh(ctx context.Context, a Auth) (Auth, error) {
	if a.Type != parsec.AuthJwtSvid || s.svids == nil {
		return a, nil
	}
	tok, err := s.svids.Token(ctx)
	if err != nil {
		return Auth{}, &status.Error{Code: status.AuthenticationError, Msg: "fetching a JWT-SVID", Err: err}
	}
	a.Token = tok
	return a, nil
}
