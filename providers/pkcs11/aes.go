// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build cgo && pkcs11

package pkcs11

import (
	"bytes"
	"context"

	"github.com/miekg/pkcs11"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
)

// Secret keys: AES (128/192/256 bits, CKK_AES) and HMAC keys (any whole
// number of bytes up to maxSecretBits, CKK_GENERIC_SECRET), each one
// CKO_SECRET_KEY token object with the key's CKA_ID and CKA_LABEL. The
// usage flags become CKA_ENCRYPT/CKA_DECRYPT (encrypt, decrypt) and
// CKA_SIGN/CKA_VERIFY (sign-message, verify-message). A MAC is verified by
// computing it on the token and comparing in Go, so a key with the
// verify-message flag has CKA_SIGN as well; parsecd's policy check keeps
// such a key from computing MACs for a client. Keys are sensitive and not
// extractable unless they have the export flag (allowed only with
// allow_export); then ExportKey reads CKA_VALUE.

// secretKeyType is the CKK_* of a secret PSA key type.
func secretKeyType(t psa.KeyType) uint {
	if t.Kind == psa.KeyAes {
		return pkcs11.CKK_AES
	}
	return pkcs11.CKK_GENERIC_SECRET
}

// secretTemplate is the template of a secret key object.
func secretTemplate(a psa.KeyAttributes, id []byte, label string) []*pkcs11.Attribute {
	u := a.Policy.Usage
	export := u.Has(psa.UsageExport)
	return []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, secretKeyType(a.Type)),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
		pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, !export),
		pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, export),
		pkcs11.NewAttribute(pkcs11.CKA_ID, id),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
		pkcs11.NewAttribute(pkcs11.CKA_ENCRYPT, u.Has(psa.UsageEncrypt)),
		pkcs11.NewAttribute(pkcs11.CKA_DECRYPT, u.Has(psa.UsageDecrypt)),
		pkcs11.NewAttribute(pkcs11.CKA_SIGN, u&(psa.UsageSignMessage|psa.UsageVerifyMessage) != 0),
		pkcs11.NewAttribute(pkcs11.CKA_VERIFY, u.Has(psa.UsageVerifyMessage)),
	}
}

// generateSecret generates a secret key on the token (checks made).
func (p *Provider) generateSecret(ctx context.Context, c storage.Client, name string, a psa.KeyAttributes) error {
	s, _ := findKeySpec(a.Type)
	mech := []*pkcs11.Mechanism{pkcs11.NewMechanism(s.gen, nil)}
	err := p.create(ctx, c, name, a, func(h pkcs11.SessionHandle, id []byte) error {
		tmpl := append(secretTemplate(a, id, name), pkcs11.NewAttribute(pkcs11.CKA_VALUE_LEN, uint(a.Bits/8)))
		_, err := p.mod.ctx.GenerateKey(h, mech, tmpl)
		return p11("C_GenerateKey", err)
	})
	if err != nil {
		return err
	}
	p.log.DebugContext(ctx, "generated key on the token", "type", a.Type.String(), "bits", a.Bits)
	return nil
}

// importSecret imports raw key bytes (the PSA format of symmetric keys)
// as a secret key object. Sizes follow the software provider: empty data
// and a key_bits that differs from the data are PsaErrorInvalidArgument.
func (p *Provider) importSecret(ctx context.Context, c storage.Client, name string, a psa.KeyAttributes, data []byte) error {
	if len(data) == 0 {
		return status.Errorf(status.PsaErrorInvalidArgument, "key data is empty")
	}
	bits := uint32(min(len(data), maxSecretBits/8+1)) * 8
	if a.Bits != 0 && (a.Bits != bits || len(data) > maxSecretBits/8) {
		return status.Errorf(status.PsaErrorInvalidArgument, "key_bits %d does not match the %d-byte key", a.Bits, len(data))
	}
	if err := p.checkKeyType(psa.CheckImport, a.Type, bits); err != nil {
		return err
	}
	a.Bits = bits
	err := p.create(ctx, c, name, a, func(h pkcs11.SessionHandle, id []byte) error {
		tmpl := append(secretTemplate(a, id, name), pkcs11.NewAttribute(pkcs11.CKA_VALUE, bytes.Clone(data)))
		defer clear(tmpl[len(tmpl)-1].Value)
		_, err := p.mod.ctx.CreateObject(h, tmpl)
		return p11("C_CreateObject", err)
	})
	if err != nil {
		return err
	}
	p.log.DebugContext(ctx, "imported key to the token", "type", a.Type.String(), "bits", a.Bits)
	return nil
}

// exportSecret reads CKA_VALUE of an exportable secret key (the export
// flag has been checked). A token that keeps it sensitive answers
// PsaErrorNotPermitted.
func (p *Provider) exportSecret(ctx context.Context, k *keyRef) ([]byte, error) {
	var out []byte
	err := p.use(ctx, k, pkcs11.CKO_SECRET_KEY, func(h pkcs11.SessionHandle, obj pkcs11.ObjectHandle) error {
		at, err := p.mod.ctx.GetAttributeValue(h, obj, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_VALUE, nil)})
		if err != nil {
			return p11("C_GetAttributeValue", err)
		}
		if uint64(len(at[0].Value))*8 != uint64(k.attrs.Bits) {
			clear(at[0].Value)
			return status.Errorf(status.PsaErrorDataInvalid, "the token returned a %d-byte key for a %d-bit %v key", len(at[0].Value), k.attrs.Bits, k.attrs.Type)
		}
		out = at[0].Value
		return nil
	})
	return out, err
}

// withSecret runs fn with the key's secret key object.
func (p *Provider) withSecret(ctx context.Context, k *keyRef, fn func(h pkcs11.SessionHandle, obj pkcs11.ObjectHandle) error) error {
	if !isSecret(k.attrs.Type) {
		// The capability checks refuse other key types first.
		return status.Errorf(status.PsaErrorNotPermitted, "a %v key is not a secret key", k.attrs.Type)
	}
	return p.use(ctx, k, pkcs11.CKO_SECRET_KEY, fn)
}

// checkSecretSize checks the key size against the mechanism's limits for
// the symmetric algorithms (AES and HMAC mechanism limits are in bytes):
// SoftHSM, for one, refuses HMAC keys shorter than the hash.
func (p *Provider) checkSecretSize(alg psa.Algorithm, t psa.KeyType, bits uint32) error {
	var m uint
	switch alg.Kind {
	case psa.AlgAead:
		m = aeadMech(alg.Aead.Alg)
	case psa.AlgCipher:
		m = cipherMechs[alg.Cipher]
	case psa.AlgMac:
		m = macMech(alg.Mac)
	}
	if m == 0 || !isSecret(t) {
		return nil
	}
	if !p.mechSize(m, (bits+7)/8) {
		info := p.mechs[m]
		return status.Errorf(status.PsaErrorNotSupported, "%v with a %d-bit key is not supported: the token's %s takes keys of %d to %d bytes",
			alg, bits, mechName(m), info.MinKeySize, info.MaxKeySize)
	}
	return nil
}
