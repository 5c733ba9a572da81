// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package tpm

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"

	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"

	"github.com/parsecd/parsecd/providers/internal/pubkey"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
)

// key is a key read from the store.
type key struct {
	id    cacheID
	attrs psa.KeyAttributes
	rec   record
	pub   crypto.PublicKey
}

// load fetches a caller's key from the store and checks its record.
func (p *Provider) load(ctx context.Context, c storage.Client, name string) (*key, error) {
	triple := c.Key(p.name, name)
	info, err := p.keys.Get(ctx, triple)
	if err != nil {
		return nil, storage.StatusError(err)
	}
	id := cacheID{triple, sha256.Sum256(info.ID)}
	rec, pub, err := p.records.decode(id, info.ID)
	if err != nil {
		return nil, err
	}
	if rec.isPair() != info.Attributes.Type.IsPair() {
		return nil, status.Errorf(status.PsaErrorDataCorrupt, "the stored key record does not match its %v attributes", info.Attributes.Type)
	}
	return &key{id: id, attrs: info.Attributes, rec: rec, pub: pub}, nil
}

// saltedOptions are the options of an HMAC session salted with the storage
// key, proving knowledge of auth: the session key is unknown to anyone
// watching the bus, and the auth value never crosses it. extra adds
// parameter encryption for commands that carry secrets.
func saltedOptions(srk *primary, auth []byte, extra ...tpm2.AuthOption) []tpm2.AuthOption {
	return append([]tpm2.AuthOption{tpm2.Auth(auth), tpm2.Salted(srk.handle, srk.public)}, extra...)
}

// keySession is a one-shot salted session (saltedOptions) for commands
// under the storage key: creation and import.
func keySession(srk *primary, auth []byte, opts ...tpm2.AuthOption) tpm2.Session {
	return tpm2.HMAC(tpm2.TPMAlgSHA256, 16, saltedOptions(srk, auth, opts...)...)
}

// withKey runs fn with a key pair loaded under the storage key, authorised
// by its salted session of mode (link.loadedKey, which keeps both cached).
// A command that failed may have left the session out of step with the
// TPM, so the key leaves the cache then.
func (p *Provider) withKey(ctx context.Context, k *key, mode sessMode, fn func(t transport.TPM, h tpm2.AuthHandle) error) error {
	return p.do(ctx, func(t transport.TPM) error {
		ck, err := p.link.loadedKey(t, p.caps, k, mode)
		if err != nil {
			return err
		}
		err = fn(t, tpm2.AuthHandle{Handle: ck.handle, Name: ck.name, Auth: ck.sess})
		if err != nil && !unreachable(err) {
			p.link.cache.drop(t, ck)
		}
		return err
	})
}

// keyTemplate is the public area of a new key: usable for both signing and
// decryption with the scheme chosen per operation (TPM_ALG_NULL), since PSA
// policies are enforced by the provider, not by the TPM. Generated keys are
// fixedTPM; imported ones cannot be (the TPM refuses to import such objects).
func (p *Provider) keyTemplate(a psa.KeyAttributes, generated bool) (tpm2.TPMTPublic, error) {
	pub := tpm2.TPMTPublic{
		NameAlg: tpm2.TPMAlgSHA256,
		ObjectAttributes: tpm2.TPMAObject{
			FixedTPM:            generated,
			FixedParent:         generated,
			SensitiveDataOrigin: generated,
			UserWithAuth:        true,
			// The auth value is random and kept by parsecd: a wrong one
			// means a corrupt record, which must not lock the TPM out.
			NoDA:        true,
			SignEncrypt: true,
			Decrypt:     true,
		},
	}
	noSym := tpm2.TPMTSymDefObject{Algorithm: tpm2.TPMAlgNull}
	if a.Type.IsRSA() {
		pub.Type = tpm2.TPMAlgRSA
		pub.Parameters = tpm2.NewTPMUPublicParms(tpm2.TPMAlgRSA, &tpm2.TPMSRSAParms{
			Symmetric: noSym,
			Scheme:    tpm2.TPMTRSAScheme{Scheme: tpm2.TPMAlgNull},
			KeyBits:   tpm2.TPMKeyBits(a.Bits),
		})
		pub.Unique = tpm2.NewTPMUPublicID(tpm2.TPMAlgRSA, &tpm2.TPM2BPublicKeyRSA{})
		return pub, nil
	}
	curve, _, ok := p.caps.curve(a.Bits)
	if !ok {
		return pub, status.Errorf(status.PsaErrorNotSupported, "secp%dr1 is not supported by this TPM", a.Bits)
	}
	pub.Type = tpm2.TPMAlgECC
	pub.Parameters = tpm2.NewTPMUPublicParms(tpm2.TPMAlgECC, &tpm2.TPMSECCParms{
		Symmetric: noSym,
		Scheme:    tpm2.TPMTECCScheme{Scheme: tpm2.TPMAlgNull},
		CurveID:   curve,
		KDF:       tpm2.TPMTKDFScheme{Scheme: tpm2.TPMAlgNull},
	})
	pub.Unique = tpm2.NewTPMUPublicID(tpm2.TPMAlgECC, &tpm2.TPMSECCPoint{})
	return pub, nil
}

// newAuth draws a key's random auth value, with no zero byte: go-tpm
// v0.9.8 builds an HMAC session's key by cutting the auth value at its first
// zero byte (hmacKeyFromAuthValue means to trim trailing zeros only, as the
// TPM does), so an auth value with a zero inside fails with TPM_RC_BAD_AUTH
// (one key in eight). Each byte is uniform over 1..255: 255.8 bits.
func newAuth() ([]byte, error) {
	auth := make([]byte, authSize)
	var b [1]byte
	for i := range auth {
		for b[0] == 0 {
			if _, err := rand.Read(b[:]); err != nil {
				return nil, status.Errorf(status.PsaErrorInsufficientEntropy, "drawing a key auth value: %w", err)
			}
		}
		auth[i], b[0] = b[0], 0
	}
	return auth, nil
}

// store creates a key's mapping with storage.Create: reserve the name
// first (a duplicate fails before the TPM works), then make the record,
// then commit. Nothing lives in the TPM, so there is nothing to undo.
func (p *Provider) store(ctx context.Context, c storage.Client, name string, a psa.KeyAttributes, build func() (record, error)) error {
	return storage.StatusError(storage.Create(ctx, p.keys, c.Key(p.name, name), func(ctx context.Context) (storage.KeyInfo, func(context.Context) error, error) {
		rec, err := build()
		if err != nil {
			return storage.KeyInfo{}, nil, err
		}
		return storage.KeyInfo{ID: rec.encode(), Attributes: a}, nil, nil
	}))
}

// GenerateKey implements provider.KeyManagement: TPM2_Create under the
// storage key, with the new key's auth value sent in a parameter-encrypted
// session.
func (p *Provider) GenerateKey(ctx context.Context, c storage.Client, name string, a psa.KeyAttributes) error {
	if err := p.checkCreate(psa.CheckGenerate, a); err != nil {
		return err
	}
	tmpl, err := p.keyTemplate(a, true)
	if err != nil {
		return err
	}
	return p.store(ctx, c, name, a, func() (record, error) {
		auth, err := newAuth()
		if err != nil {
			return record{}, err
		}
		var rec record
		err = p.do(ctx, func(t transport.TPM) error {
			srk, err := p.storageKey(t)
			if err != nil {
				return err
			}
			rsp, err := tpm2.Create{
				ParentHandle: tpm2.AuthHandle{Handle: srk.handle, Name: srk.name,
					Auth: keySession(srk, nil, tpm2.AESEncryption(128, tpm2.EncryptIn))},
				InSensitive: tpm2.TPM2BSensitiveCreate{Sensitive: &tpm2.TPMSSensitiveCreate{UserAuth: tpm2.TPM2BAuth{Buffer: auth}}},
				InPublic:    tpm2.New2B(tmpl),
			}.Execute(t)
			if err != nil {
				return tpmErr("Create", err)
			}
			pub, err := rsp.OutPublic.Contents()
			if err != nil {
				return tpmErr("Create", err)
			}
			rec = record{public: *pub, private: rsp.OutPrivate.Buffer, auth: auth}
			return nil
		})
		if err == nil {
			p.log.DebugContext(ctx, "generated key", "type", a.Type.String(), "bits", a.Bits)
		}
		return rec, err
	})
}

// ExportPublicKey implements provider.KeyManagement from the stored public
// area: DER RSAPublicKey for RSA keys, the uncompressed point for ECC keys.
// It needs no usage flag and no TPM command.
func (p *Provider) ExportPublicKey(ctx context.Context, c storage.Client, name string) ([]byte, error) {
	k, err := p.load(ctx, c, name)
	if err != nil {
		return nil, err
	}
	return pubkey.Export(k.pub)
}

// DestroyKey implements provider.KeyManagement. The key lives only in its
// record, so removing the mapping destroys it; the copy the link keeps
// loaded is flushed too, not to hold a TPM slot and the key's session (an
// operation that read the record before the removal may still cache it
// again, where nothing can reach it: the cache answers to the record's
// digest, and the store has no such record any more).
func (p *Provider) DestroyKey(ctx context.Context, c storage.Client, name string) error {
	triple := c.Key(p.name, name)
	if err := storage.StatusError(p.keys.Remove(ctx, triple)); err != nil {
		return err
	}
	p.link.uncache(triple)
	p.records.forget(triple)
	p.log.DebugContext(ctx, "destroyed key")
	return nil
}

// Reconcile implements provider.Reconciler: a crash between reserving a
// name and committing it leaves a reservation and nothing in the TPM, so
// every pending reservation is dropped.
func (p *Provider) Reconcile(ctx context.Context) error {
	pending, err := p.keys.Pending(ctx, p.name)
	if err != nil {
		return storage.StatusError(err)
	}
	for _, t := range pending {
		if err := p.keys.Abort(ctx, t); err != nil {
			return storage.StatusError(err)
		}
	}
	if len(pending) > 0 {
		p.log.InfoContext(ctx, "dropped key reservations a crash left", "count", len(pending))
	}
	return nil
}
