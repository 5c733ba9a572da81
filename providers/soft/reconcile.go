// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package soft

import (
	"context"

	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/storage"
)

var _ provider.Reconciler = (*Provider)(nil)

// Reconcile drops reservations of this provider left by a crash. The
// software provider keeps key material only in the store, so a reservation
// never has a key behind it.
func (p *Provider) Reconcile(ctx context.Context) error {
	pending, err := p.keys.Pending(ctx, p.name)
	if err != nil {
		return storage.StatusError(err)
	}
	for _, k := range pending {
		if err := p.keys.Abort(ctx, k); err != nil {
			return storage.StatusError(err)
		}
	}
	if len(pending) > 0 {
		p.log.InfoContext(ctx, "dropped key reservations left by an interrupted creation", "count", len(pending))
	}
	return nil
}
