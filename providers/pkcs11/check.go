// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build cgo && pkcs11

package pkcs11

import (
	"context"

	"github.com/miekg/pkcs11"

	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
)

var _ provider.KeyChecker = (*Provider)(nil)

// CheckKey implements provider.KeyChecker: the key's object (the private
// key of a pair, the public key, or the secret key) is on the token. Unlike
// an operation on a vanished key, it removes nothing.
func (p *Provider) CheckKey(ctx context.Context, c storage.Client, name string) error {
	k, err := p.load(ctx, c, name)
	if err != nil {
		return err
	}
	class := uint(pkcs11.CKO_PRIVATE_KEY)
	switch {
	case isSecret(k.attrs.Type):
		class = pkcs11.CKO_SECRET_KEY
	case k.attrs.Type.IsPublic():
		class = pkcs11.CKO_PUBLIC_KEY
	}
	found := false
	err = p.pool.do(ctx, func(h pkcs11.SessionHandle) error {
		p.mod.objMu.RLock()
		defer p.mod.objMu.RUnlock()
		_, ok, err := p.findKey(h, k.id, class)
		if err == nil && !ok {
			err = p.pool.canSeePrivate(h)
		}
		found = ok
		return err
	})
	if err != nil {
		return err
	}
	if !found {
		return status.Errorf(status.PsaErrorDoesNotExist, "the key's object is not on the token (deleted outside parsecd)")
	}
	return nil
}
