// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build !spiffe

package daemon

import (
	"context"
	"errors"
	"log/slog"

	"github.com/parsecd/parsecd/src/auth"
	"github.com/parsecd/parsecd/src/config"
)

// newJwtSvid: a build without the spiffe tag has no JwtSvid authenticator.
// config.Parse already refuses the entry at its line; this is for a Config
// built by hand.
func newJwtSvid(context.Context, config.Authenticator, *slog.Logger) (auth.Authenticator, error) {
	return nil, errors.New("JwtSvid authenticator: " + config.NoSpiffe)
}
