// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package spiffe fetches JWT-SVIDs for the Go client from the SPIFFE
// Workload API (a SPIRE agent), for parsecd's and Parsec's JwtSvid
// authenticator. It is apart from package client so that programs which do
// not use SPIFFE do not link the Workload API client (gRPC).
package spiffe

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/spiffe/go-spiffe/v2/svid/jwtsvid"
	"github.com/spiffe/go-spiffe/v2/workloadapi"
)

// EndpointEnv is where the Workload API is when no endpoint is given, as
// for every SPIFFE client (and Parsec's Rust client).
const EndpointEnv = "SPIFFE_ENDPOINT_SOCKET"

// Audience is the audience parsecd and Parsec validate JWT-SVIDs for.
const Audience = "parsec"

// refreshBefore: a cached token is replaced once it expires within this
// margin, so that a request never carries a token that lapses in flight.
const refreshBefore = 30 * time.Second

// Source hands out JWT-SVIDs for the audience "parsec", fetching a new one
// when the cached one is near its expiry. It implements client.TokenSource.
type Source struct {
	endpoint string

	mu     sync.Mutex
	client *workloadapi.Client
	svid   *jwtsvid.SVID
	now    func() time.Time
}

// NewSource returns a source for the Workload API at endpoint
// ("unix:///path" or "tcp://ip:port"; "" = $SPIFFE_ENDPOINT_SOCKET). It
// does not connect: the first Token does.
func NewSource(endpoint string) *Source {
	return &Source{endpoint: endpoint, now: time.Now}
}

// Token implements client.TokenSource.
func (s *Source) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.svid != nil && s.svid.Expiry.After(s.now().Add(refreshBefore)) {
		return s.svid.Marshal(), nil
	}
	if s.client == nil {
		ep := s.endpoint
		if ep == "" {
			ep = os.Getenv(EndpointEnv)
		}
		if ep == "" {
			return "", fmt.Errorf("no SPIFFE Workload API endpoint: set %s (e.g. unix:///run/spire/sockets/agent.sock)", EndpointEnv)
		}
		if err := workloadapi.ValidateAddress(ep); err != nil {
			return "", fmt.Errorf("SPIFFE Workload API endpoint %q: %w", ep, err)
		}
		c, err := workloadapi.New(ctx, workloadapi.WithAddr(ep))
		if err != nil {
			return "", fmt.Errorf("SPIFFE Workload API at %s: %w", ep, err)
		}
		s.client, s.endpoint = c, ep
	}
	svid, err := s.client.FetchJWTSVID(ctx, jwtsvid.Params{Audience: Audience})
	if err != nil {
		return "", fmt.Errorf("fetching a JWT-SVID from the Workload API at %s: %w", s.endpoint, err)
	}
	s.svid = svid
	return svid.Marshal(), nil
}

// SPIFFEID is the identity of the last token handed out ("" before the first).
func (s *Source) SPIFFEID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.svid == nil {
		return ""
	}
	return s.svid.ID.String()
}

// Close closes the Workload API connection.
func (s *Source) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client == nil {
		return nil
	}
	err := s.client.Close()
	s.client = nil
	return err
}
