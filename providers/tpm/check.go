// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package tpm

import (
	"context"

	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"

	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/storage"
)

var _ provider.KeyChecker = (*Provider)(nil)

// CheckKey implements provider.KeyChecker: the record decodes and, for a
// key pair, the TPM loads its blob under today's storage key (a blob the
// TPM refuses, e.g. after its owner seed was cleared, is a key lost).
// Public keys live in the record alone.
func (p *Provider) CheckKey(ctx context.Context, c storage.Client, name string) error {
	k, err := p.load(ctx, c, name)
	if err != nil || !k.attrs.Type.IsPair() {
		return err
	}
	return p.withKey(ctx, k, sessPlain, func(transport.TPM, tpm2.AuthHandle) error { return nil })
}
