// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package client

import (
	"context"

	"github.com/parsecd/parsecd/src/interface/pbwire"

	"github.com/parsecd/parsecd/src/parsec"
)

// Call gives the package's external tests the low-level call, to send what
// the typed methods never do (explicit provider and authentication).
func (c *Client) Call(ctx context.Context, op parsec.Opcode, provider parsec.ProviderID, auth Auth, req, res pbwire.Message) error {
	return c.call(ctx, op, provider, auth, req, res)
}
