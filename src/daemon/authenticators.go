// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package daemon

import (
	"context"
	"log/slog"

	"github.com/parsecd/parsecd/src/auth"
	"github.com/parsecd/parsecd/src/config"
)

// authenticators builds the configured authenticators, the default first.
// Each start and reload builds them anew: a reload may add or remove one,
// and keys stay where they are (they are namespaced by auth type, so a
// removed authenticator's applications find theirs again when it returns).
func authenticators(ctx context.Context, cfg *config.Config, log *slog.Logger) (*auth.Set, error) {
	var cs []auth.Configured
	closeAll := func() { _ = auth.NewMulti(cs...).Close() }
	for _, ac := range cfg.Authenticators {
		var a auth.Authenticator
		switch ac.Type {
		case "Direct":
			a = auth.Direct{}
			log.Warn("Direct authentication trusts every client that can reach the socket: restrict the socket directory to mutually trusted clients")
		case "JwtSvid":
			j, err := newJwtSvid(ctx, ac, log.With("authenticator", "JwtSvid"))
			if err != nil {
				closeAll()
				return nil, err
			}
			a = j
		default:
			a = auth.UnixPeer{}
		}
		cs = append(cs, auth.Configured{Authenticator: a, Admins: ac.Admins})
	}
	if len(cs) == 0 {
		// The embedded default and every parsed configuration name one;
		// a Config built by hand without one gets Parsec's default.
		cs = append(cs, auth.Configured{Authenticator: auth.UnixPeer{}})
	}
	return auth.NewMulti(cs...), nil
}

// authNames names the authenticators for the start-up line, default first.
func authNames(cfg *config.Config) []string {
	var out []string
	for _, a := range cfg.Authenticators {
		out = append(out, a.Type)
	}
	return out
}
