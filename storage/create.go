// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package storage

import (
	"context"
	"errors"
)

// Creator makes the provider-side key once the name is reserved. It returns
// what to store, and an undo that deletes the key again if the mapping
// cannot be committed.
type Creator func(ctx context.Context) (v KeyInfo, undo func(context.Context) error, err error)

// Create runs the only key-creation order that never leaves an orphan key
// or a dangling mapping: reserve the name, create the key, commit the
// mapping; on a failure, undo what was done, newest first. If the undo
// itself fails, the reservation is kept so that Pending reports the name
// for reconciliation at the next start, rather than losing track of a key.
func Create(ctx context.Context, s KeyStore, k KeyTriple, create Creator) error {
	if err := s.Reserve(ctx, k); err != nil {
		return err
	}
	v, undo, err := create(ctx)
	if err != nil {
		return errors.Join(err, s.Abort(context.WithoutCancel(ctx), k))
	}
	if err := s.Commit(ctx, k, v); err != nil {
		bg := context.WithoutCancel(ctx)
		if undo != nil {
			if uerr := undo(bg); uerr != nil {
				return errors.Join(err, uerr)
			}
		}
		return errors.Join(err, s.Abort(bg, k))
	}
	return nil
}
