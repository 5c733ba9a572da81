// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package soft

import (
	"context"

	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/storage"
)

var _ provider.KeyChecker = (*Provider)(nil)

// CheckKey implements provider.KeyChecker: the key material lives in the
// record, so a key is whole when its record parses.
func (p *Provider) CheckKey(ctx context.Context, c storage.Client, name string) error {
	_, err := p.load(ctx, c, name)
	return err
}
