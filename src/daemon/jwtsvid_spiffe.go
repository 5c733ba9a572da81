// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build spiffe

package daemon

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/parsecd/parsecd/src/auth"
	"github.com/parsecd/parsecd/src/auth/jwtsvid"
	"github.com/parsecd/parsecd/src/config"
)

// newJwtSvid is the JwtSvid authenticator on the configured Workload API.
// Only builds with the spiffe tag link it (and with it gRPC).
func newJwtSvid(ctx context.Context, ac config.Authenticator, log *slog.Logger) (auth.Authenticator, error) {
	j, err := jwtsvid.New(ctx, ac.WorkloadEndpoint, log)
	if err != nil {
		return nil, fmt.Errorf("JwtSvid authenticator: the SPIFFE Workload API client for %q: %w", ac.WorkloadEndpoint, err)
	}
	return j, nil
}
