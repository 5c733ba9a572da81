// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package jwtsvid is the JwtSvid authenticator (auth type 4): the
// authentication field is a JWT-SVID, which the SPIFFE Workload API (a
// SPIRE agent) validates for the audience "parsec", as Parsec does; the
// application is the SVID's SPIFFE ID. It lives apart from package auth so
// that only the daemon links the Workload API client (gRPC).
package jwtsvid

import (
	"context"
	"log/slog"
	"time"
	"unicode/utf8"

	"github.com/spiffe/go-spiffe/v2/workloadapi"
	"google.golang.org/grpc/codes"
	grpcstatus "google.golang.org/grpc/status"

	"github.com/parsecd/parsecd/src/auth"
	"github.com/parsecd/parsecd/src/internal/ratelog"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/status"
)

// Audience is what a JWT-SVID must name in its "aud" claim: Parsec's
// authenticator and clients use "parsec", so tokens minted for either
// service work with both.
const Audience = "parsec"

// validateTimeout bounds one ValidateJWTSVID call, so that a hung agent
// costs a client an AuthenticationError, not its connection slot forever.
const validateTimeout = 5 * time.Second

// Authenticator validates JWT-SVIDs through the Workload API at one endpoint.
type Authenticator struct {
	endpoint string
	client   *workloadapi.Client
	quiet    *ratelog.Limiter
}

// New connects (lazily: the agent need not be up yet) to the Workload API
// at endpoint, "unix:///path" or "tcp://ip:port". A malformed endpoint is
// an error, as in Parsec, which refuses to start then.
func New(ctx context.Context, endpoint string, log *slog.Logger) (*Authenticator, error) {
	if err := workloadapi.ValidateAddress(endpoint); err != nil {
		return nil, err
	}
	c, err := workloadapi.New(ctx, workloadapi.WithAddr(endpoint))
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Authenticator{endpoint: endpoint, client: c, quiet: ratelog.New(log, 0, 0)}, nil
}

// Info implements auth.Authenticator.
func (*Authenticator) Info() auth.Info {
	return auth.Info{ID: parsec.AuthJwtSvid, Version: [3]uint32{0, 1, 0},
		Description: "Authenticator validating a JWT SPIFFE Verifiable Identity Document"}
}

// Authenticate implements auth.Authenticator. Every refusal is an
// AuthenticationError, whether the agent refused the token (bad signature,
// expired, wrong audience, unknown trust domain) or could not be asked:
// Parsec answers 11 to both. The second is logged as an error, since no
// client can authenticate until the agent is back.
func (a *Authenticator) Authenticate(ctx context.Context, field []byte, _ *auth.PeerCred) (string, error) {
	if !utf8.Valid(field) {
		// Parsec's own status for a token that is not text.
		return "", status.Errorf(status.InvalidEncoding, "JWT-SVID authentication: the token is not valid UTF-8")
	}
	if len(field) == 0 {
		return "", status.Errorf(status.AuthenticationError, "JWT-SVID authentication: empty token")
	}
	ctx, cancel := context.WithTimeout(ctx, validateTimeout)
	defer cancel()
	svid, err := a.client.ValidateJWTSVID(ctx, string(field), Audience)
	if err == nil {
		return svid.ID.String(), nil
	}
	if code := grpcstatus.Code(err); code != codes.InvalidArgument {
		// Not a verdict on the token: the agent is down, or refuses parsecd itself.
		a.quiet.Log(slog.LevelError, "workload-api", "SPIFFE Workload API unavailable: JWT-SVID clients cannot authenticate",
			"endpoint", a.endpoint, "code", code.String(), "error", grpcstatus.Convert(err).Message())
		return "", status.Errorf(status.AuthenticationError, "JWT-SVID authentication: the Workload API at %s did not answer (%s)", a.endpoint, code)
	}
	return "", status.Errorf(status.AuthenticationError, "JWT-SVID authentication: token refused: %s", grpcstatus.Convert(err).Message())
}

// Close closes the Workload API connection.
func (a *Authenticator) Close() error { return a.client.Close() }
