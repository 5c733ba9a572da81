// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build cgo && pkcs11

package pkcs11

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"math/big"
	"sync"

	"github.com/miekg/pkcs11"

	"github.com/parsecd/parsecd/providers/internal/pubkey"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
)

// The key store keeps, for each key, KeyInfo.ID = idVersion ‖ CKA_ID ‖
// token serial number: a fresh random 16-byte CKA_ID shared by the key's
// token objects (private and public key), and the token that holds them.
// The serial keeps a provider pointed at another token from taking its
// keys for deleted ones and dropping their mappings. Objects are found by CKA_CLASS and CKA_ID; CKA_LABEL is
// the key name, which lets Reconcile find the objects of a creation that a
// crash interrupted.
const idVersion byte = 0x01

// ckaIDLen is the length of the CKA_IDs the provider makes.
const ckaIDLen = 16

// keyRef is a key loaded from the store.
type keyRef struct {
	triple storage.KeyTriple
	attrs  psa.KeyAttributes
	id     []byte // CKA_ID
	stored []byte // KeyInfo.ID as stored
}

func byteLen(bits uint32) int { return int(bits+7) / 8 }

// load fetches a caller's key from the store.
func (p *Provider) load(ctx context.Context, c storage.Client, name string) (*keyRef, error) {
	t := c.Key(p.name, name)
	info, err := p.keys.Get(ctx, t)
	if err != nil {
		return nil, storage.StatusError(err)
	}
	id, serial, ok := decodeKeyID(info.ID)
	if !ok {
		return nil, status.Errorf(status.PsaErrorDataInvalid, "the stored key id has an unknown format (%d bytes)", len(info.ID))
	}
	if serial != p.tok.serial && (serial != "" || info.ID[0] != idVersionParsec) {
		// Not "deleted": the key lives on a token this provider is not
		// configured for. Keep the mapping for when it is again.
		return nil, status.Errorf(status.PsaErrorDoesNotExist, "the key is on the token with serial number %q, not on the configured token %q", serial, p.tok.serial)
	}
	return &keyRef{triple: t, attrs: info.Attributes, id: id, stored: info.ID}, nil
}

// encodeKeyID builds the stored key id of a key on the token with serial.
func encodeKeyID(id []byte, serial string) []byte {
	out := append([]byte{idVersion}, id...)
	return append(out, serial...)
}

// idVersionParsec marks a key Parsec's PKCS#11 provider made, taken over
// by the migration (src/migrate): idVersionParsec ‖ the 4-byte CKA_ID
// Parsec gave it (its u32 key id, big endian) ‖ the token serial, empty
// when Parsec's configuration named none (then the key is on whichever
// token the provider is configured for, as it was for Parsec).
const idVersionParsec byte = 0x02

// parsecIDLen is the length of Parsec's CKA_IDs.
const parsecIDLen = 4

// decodeKeyID splits a stored key id into the CKA_ID and the token serial.
func decodeKeyID(b []byte) (id []byte, serial string, ok bool) {
	switch {
	case len(b) >= 1+ckaIDLen && b[0] == idVersion:
		return b[1 : 1+ckaIDLen], string(b[1+ckaIDLen:]), true
	case len(b) >= 1+parsecIDLen && b[0] == idVersionParsec:
		return b[1 : 1+parsecIDLen], string(b[1+parsecIDLen:]), true
	}
	return nil, "", false
}

// findAll returns the objects matching tmpl (at most max when max > 0).
func (p *Provider) findAll(h pkcs11.SessionHandle, tmpl []*pkcs11.Attribute, max int) ([]pkcs11.ObjectHandle, error) {
	c := p.mod.ctx
	if err := c.FindObjectsInit(h, tmpl); err != nil {
		return nil, p11("C_FindObjectsInit", err)
	}
	var out []pkcs11.ObjectHandle
	for {
		objs, _, err := c.FindObjects(h, 32)
		if err != nil {
			_ = c.FindObjectsFinal(h)
			return nil, p11("C_FindObjects", err)
		}
		out = append(out, objs...)
		if len(objs) == 0 || (max > 0 && len(out) >= max) {
			break
		}
	}
	if err := c.FindObjectsFinal(h); err != nil {
		return nil, p11("C_FindObjectsFinal", err)
	}
	return out, nil
}

// findKey finds the object of class (CKO_PRIVATE_KEY or CKO_PUBLIC_KEY) with CKA_ID id.
func (p *Provider) findKey(h pkcs11.SessionHandle, id []byte, class uint) (pkcs11.ObjectHandle, bool, error) {
	objs, err := p.findAll(h, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, class),
		pkcs11.NewAttribute(pkcs11.CKA_ID, id),
	}, 1)
	if err != nil || len(objs) == 0 {
		return 0, false, err
	}
	return objs[0], true, nil
}

// destroyObjects destroys every object with CKA_ID id and says how many
// there were. Private objects must be visible, or they would be missed.
func (p *Provider) destroyObjects(h pkcs11.SessionHandle, id []byte) (int, error) {
	p.mod.objMu.Lock()
	defer p.mod.objMu.Unlock()
	return p.destroyAll(h, id)
}

// destroyAll is destroyObjects for callers holding objMu for writing.
func (p *Provider) destroyAll(h pkcs11.SessionHandle, id []byte) (int, error) {
	if err := p.pool.canSeePrivate(h); err != nil {
		return 0, err
	}
	objs, err := p.findAll(h, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_ID, id)}, 0)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, o := range objs {
		err := p.mod.ctx.DestroyObject(h, o)
		if isCKR(err, pkcs11.CKR_OBJECT_HANDLE_INVALID) {
			continue // destroyed meanwhile
		}
		if err != nil {
			return n, p11("C_DestroyObject", err)
		}
		n++
	}
	return n, nil
}

// use runs fn in a session with the key's object of the given class. An
// object that is not there (while private objects are visible) means the key
// was deleted on the token behind parsecd's back: its mapping is removed
// and the answer is PsaErrorDoesNotExist.
func (p *Provider) use(ctx context.Context, k *keyRef, class uint, fn func(h pkcs11.SessionHandle, obj pkcs11.ObjectHandle) error) error {
	missing := false
	err := p.pool.do(ctx, func(h pkcs11.SessionHandle) error {
		p.mod.objMu.RLock()
		defer p.mod.objMu.RUnlock()
		missing = false
		obj, ok, err := p.findKey(h, k.id, class)
		if err != nil {
			return err
		}
		if !ok {
			if err := p.pool.canSeePrivate(h); err != nil {
				return err
			}
			missing = true
			return nil
		}
		return fn(h, obj)
	})
	if err != nil {
		return err
	}
	if missing {
		return p.forget(ctx, k)
	}
	return nil
}

// forget handles a key whose objects are gone from the token: what is left
// of it there is destroyed and its mapping removed.
func (p *Provider) forget(ctx context.Context, k *keyRef) error {
	_ = p.pool.do(ctx, func(h pkcs11.SessionHandle) error {
		_, err := p.destroyObjects(h, k.id)
		return err
	})
	if err := p.removeMapping(ctx, k); err == nil {
		p.log.WarnContext(ctx, "a key no longer exists on the token (deleted outside parsecd): its mapping was removed",
			"key_type", k.attrs.Type.String())
	}
	return status.Errorf(status.PsaErrorDoesNotExist, "the key no longer exists on the token")
}

// removeMapping removes the key's mapping if it still names this key (not
// one created again under the same name meanwhile).
func (p *Provider) removeMapping(ctx context.Context, k *keyRef) error {
	p.mapMu.Lock()
	defer p.mapMu.Unlock()
	cur, err := p.keys.Get(ctx, k.triple)
	if err != nil {
		return storage.StatusError(err)
	}
	if !bytes.Equal(cur.ID, k.stored) {
		return storage.ErrNotFound
	}
	return storage.StatusError(p.keys.Remove(ctx, k.triple))
}

// commitLocked is the key store with Commit ordered by mapMu (see removeMapping).
type commitLocked struct {
	storage.KeyStore
	mu *sync.Mutex
}

func (s commitLocked) Commit(ctx context.Context, k storage.KeyTriple, v storage.KeyInfo) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.KeyStore.Commit(ctx, k, v)
}

// create makes a key with storage.Create: reserve the name, make the token
// objects (build, given a fresh CKA_ID), commit the mapping; on a failure,
// destroy the objects and drop the reservation. build may run twice (the
// pool retries on a stale session): objects of a failed attempt are
// destroyed first.
func (p *Provider) create(ctx context.Context, c storage.Client, name string, a psa.KeyAttributes,
	build func(h pkcs11.SessionHandle, id []byte) error) error {
	id := newCKAID()
	t := c.Key(p.name, name)
	err := storage.Create(ctx, commitLocked{p.keys, &p.mapMu}, t, func(ctx context.Context) (storage.KeyInfo, func(context.Context) error, error) {
		attempt := 0
		err := p.pool.do(ctx, func(h pkcs11.SessionHandle) error {
			p.mod.objMu.Lock()
			defer p.mod.objMu.Unlock()
			attempt++
			if attempt > 1 {
				if _, err := p.destroyAll(h, id); err != nil {
					return err
				}
			}
			if err := build(h, id); err != nil {
				_, _ = p.destroyAll(h, id)
				return err
			}
			return nil
		})
		if err != nil {
			return storage.KeyInfo{}, nil, err
		}
		undo := func(ctx context.Context) error {
			return p.pool.do(ctx, func(h pkcs11.SessionHandle) error {
				_, err := p.destroyObjects(h, id)
				return err
			})
		}
		return storage.KeyInfo{ID: encodeKeyID(id, p.tok.serial), Attributes: a}, undo, nil
	})
	return storage.StatusError(err)
}

// newCKAID returns a fresh random CKA_ID.
func newCKAID() []byte {
	id := make([]byte, ckaIDLen)
	rand.Read(id)
	return id
}

// Curves: secp R1 sizes and their DER-encoded OIDs (CKA_EC_PARAMS).
var curveOIDs = map[uint32]asn1.ObjectIdentifier{
	256: {1, 2, 840, 10045, 3, 1, 7},
	384: {1, 3, 132, 0, 34},
	521: {1, 3, 132, 0, 35},
}

func curveOf(bits uint32) (elliptic.Curve, bool) {
	switch bits {
	case 256:
		return elliptic.P256(), true
	case 384:
		return elliptic.P384(), true
	case 521:
		return elliptic.P521(), true
	}
	return nil, false
}

func ecParams(bits uint32) []byte {
	der, _ := asn1.Marshal(curveOIDs[bits])
	return der
}

// usage bits of a policy as PKCS#11 attributes.
func canSign(u psa.UsageFlags) bool   { return u&(psa.UsageSignHash|psa.UsageSignMessage) != 0 }
func canVerify(u psa.UsageFlags) bool { return u&(psa.UsageVerifyHash|psa.UsageVerifyMessage) != 0 }

// publicTemplate is the common part of a public key object.
func publicTemplate(a psa.KeyAttributes, id []byte, label string) []*pkcs11.Attribute {
	u := a.Policy.Usage
	t := []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PUBLIC_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, false),
		pkcs11.NewAttribute(pkcs11.CKA_ID, id),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
		pkcs11.NewAttribute(pkcs11.CKA_VERIFY, canVerify(u)),
	}
	if a.Type.IsRSA() {
		return append(t,
			pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_RSA),
			pkcs11.NewAttribute(pkcs11.CKA_ENCRYPT, u.Has(psa.UsageEncrypt)))
	}
	return append(t,
		pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_EC),
		pkcs11.NewAttribute(pkcs11.CKA_EC_PARAMS, ecParams(a.Bits)))
}

// privateTemplate is the common part of a private key object: sensitive
// and not extractable unless the key has the export flag (which
// checkExport allows only with allow_export).
func privateTemplate(a psa.KeyAttributes, id []byte, label string) []*pkcs11.Attribute {
	u := a.Policy.Usage
	export := u.Has(psa.UsageExport)
	t := []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
		pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, !export),
		pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, export),
		pkcs11.NewAttribute(pkcs11.CKA_ID, id),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
		pkcs11.NewAttribute(pkcs11.CKA_SIGN, canSign(u)),
	}
	if a.Type.IsRSA() {
		return append(t,
			pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_RSA),
			pkcs11.NewAttribute(pkcs11.CKA_DECRYPT, u.Has(psa.UsageDecrypt)))
	}
	return append(t, pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_EC))
}

// GenerateKey implements provider.KeyManagement: RSA and secp R1 key pairs
// generated on the token as token objects, and secret keys (aes.go).
func (p *Provider) GenerateKey(ctx context.Context, c storage.Client, name string, a psa.KeyAttributes) error {
	if a.Deprecated() && !p.allowDeprecated {
		return status.Errorf(status.DeprecatedPrimitive, "key attributes use a deprecated primitive")
	}
	if err := p.checkKeyType(psa.CheckGenerate, a.Type, a.Bits); err != nil {
		return err
	}
	if err := p.checkExport(a); err != nil {
		return err
	}
	if isSecret(a.Type) {
		return p.generateSecret(ctx, c, name, a)
	}
	var mech []*pkcs11.Mechanism
	var extra []*pkcs11.Attribute
	if a.Type.IsRSA() {
		mech = []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS_KEY_PAIR_GEN, nil)}
		extra = []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_MODULUS_BITS, uint(a.Bits)),
			pkcs11.NewAttribute(pkcs11.CKA_PUBLIC_EXPONENT, []byte{1, 0, 1}),
		}
	} else {
		mech = []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_EC_KEY_PAIR_GEN, nil)}
	}
	err := p.create(ctx, c, name, a, func(h pkcs11.SessionHandle, id []byte) error {
		pub := append(publicTemplate(a, id, name), extra...)
		priv := privateTemplate(a, id, name)
		_, _, err := p.mod.ctx.GenerateKeyPair(h, mech, pub, priv)
		return p11("C_GenerateKeyPair", err)
	})
	if err != nil {
		return err
	}
	p.log.DebugContext(ctx, "generated key on the token", "type", a.Type.String(), "bits", a.Bits)
	return nil
}

// importBits checks the size of imported key data against the attributes
// and the capability table.
func (p *Provider) importBits(a psa.KeyAttributes, got uint32) (uint32, error) {
	if a.Bits != 0 && a.Bits != got {
		return 0, status.Errorf(status.PsaErrorInvalidArgument, "key_bits %d does not match the %d-bit key", a.Bits, got)
	}
	if err := p.checkKeyType(psa.CheckImport, a.Type, got); err != nil {
		return 0, err
	}
	return got, nil
}

// ImportKey implements provider.KeyManagement. Formats (PSA): RSA public
// key = DER RSAPublicKey, RSA key pair = DER RSAPrivateKey (two primes),
// secp R1 public key = uncompressed point, secp R1 key pair = big-endian
// scalar of ceil(bits/8) bytes. Key pairs become a private and a public
// token object. A.Bits 0 takes the size from the data.
func (p *Provider) ImportKey(ctx context.Context, c storage.Client, name string, a psa.KeyAttributes, data []byte) error {
	if err := p.checkKeyType(psa.CheckImport, a.Type, a.Bits); err != nil {
		return err
	}
	if err := p.checkExport(a); err != nil {
		return err
	}
	if isSecret(a.Type) {
		return p.importSecret(ctx, c, name, a, data)
	}
	// extra attributes of the private and the public object
	var priv, pub []*pkcs11.Attribute
	switch a.Type.Kind {
	case psa.KeyRsaPublic:
		k, err := x509.ParsePKCS1PublicKey(data)
		if err != nil {
			return status.Errorf(status.PsaErrorInvalidArgument, "data is not a DER RSAPublicKey")
		}
		if a.Bits, err = p.importBits(a, uint32(k.N.BitLen())); err != nil {
			return err
		}
		pub = rsaPublicAttrs(k)
	case psa.KeyRsaPair:
		k, err := x509.ParsePKCS1PrivateKey(data)
		if err != nil {
			return status.Errorf(status.PsaErrorInvalidArgument, "data is not a valid DER RSAPrivateKey")
		}
		if len(k.Primes) != 2 {
			return status.Errorf(status.PsaErrorNotSupported, "multi-prime RSA keys are not supported")
		}
		if a.Bits, err = p.importBits(a, uint32(k.N.BitLen())); err != nil {
			return err
		}
		pk, q := k.Primes[0], k.Primes[1]
		one := big.NewInt(1)
		dp := new(big.Int).Mod(k.D, new(big.Int).Sub(pk, one))
		dq := new(big.Int).Mod(k.D, new(big.Int).Sub(q, one))
		qinv := new(big.Int).ModInverse(q, pk)
		if qinv == nil {
			return status.Errorf(status.PsaErrorInvalidArgument, "data is not a valid RSA private key")
		}
		pub = rsaPublicAttrs(&k.PublicKey)
		priv = append(rsaPublicAttrs(&k.PublicKey),
			pkcs11.NewAttribute(pkcs11.CKA_PRIVATE_EXPONENT, k.D.Bytes()),
			pkcs11.NewAttribute(pkcs11.CKA_PRIME_1, pk.Bytes()),
			pkcs11.NewAttribute(pkcs11.CKA_PRIME_2, q.Bytes()),
			pkcs11.NewAttribute(pkcs11.CKA_EXPONENT_1, dp.Bytes()),
			pkcs11.NewAttribute(pkcs11.CKA_EXPONENT_2, dq.Bytes()),
			pkcs11.NewAttribute(pkcs11.CKA_COEFFICIENT, qinv.Bytes()))
	case psa.KeyEccPublic, psa.KeyEccPair:
		bits, point, scalar, err := parseECC(a, data)
		if err != nil {
			return err
		}
		if a.Bits, err = p.importBits(a, bits); err != nil {
			return err
		}
		pub = []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_EC_POINT, derOctets(point))}
		if scalar != nil {
			priv = []*pkcs11.Attribute{
				pkcs11.NewAttribute(pkcs11.CKA_EC_PARAMS, ecParams(bits)),
				pkcs11.NewAttribute(pkcs11.CKA_VALUE, scalar),
			}
		}
	default:
		return status.Errorf(status.PsaErrorNotSupported, "%v keys are not supported", a.Type)
	}
	defer func() {
		for _, at := range priv {
			clear(at.Value)
		}
	}()
	pair := a.Type.IsPair()
	err := p.create(ctx, c, name, a, func(h pkcs11.SessionHandle, id []byte) error {
		if pair {
			if _, err := p.mod.ctx.CreateObject(h, append(privateTemplate(a, id, name), priv...)); err != nil {
				return p11("C_CreateObject", err)
			}
		}
		_, err := p.mod.ctx.CreateObject(h, append(publicTemplate(a, id, name), pub...))
		return p11("C_CreateObject", err)
	})
	if err != nil {
		return err
	}
	p.log.DebugContext(ctx, "imported key to the token", "type", a.Type.String(), "bits", a.Bits)
	return nil
}

func rsaPublicAttrs(k *rsa.PublicKey) []*pkcs11.Attribute {
	return []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_MODULUS, k.N.Bytes()),
		pkcs11.NewAttribute(pkcs11.CKA_PUBLIC_EXPONENT, big.NewInt(int64(k.E)).Bytes()),
	}
}

// derOctets encodes a point as the DER OCTET STRING PKCS#11 wants in CKA_EC_POINT.
func derOctets(b []byte) []byte {
	der, _ := asn1.Marshal(b)
	return der
}

// parseECC parses a secp R1 public point or private scalar: the size, the
// uncompressed point, and the scalar for a key pair.
func parseECC(a psa.KeyAttributes, data []byte) (bits uint32, point, scalar []byte, err error) {
	public := a.Type.Kind == psa.KeyEccPublic
	size := func(n uint32) int {
		if public {
			return 1 + 2*byteLen(n)
		}
		return byteLen(n)
	}
	bits = a.Bits
	if bits == 0 {
		for _, n := range []uint32{192, 224, 256, 384, 521} {
			if len(data) == size(n) {
				bits = n
			}
		}
		if bits == 0 {
			return 0, nil, nil, status.Errorf(status.PsaErrorInvalidArgument, "%d bytes is not a secp R1 key", len(data))
		}
	}
	curve, ok := curveOf(bits)
	if !ok {
		return 0, nil, nil, status.Errorf(status.PsaErrorNotSupported, "secp%dr1 is not supported", bits)
	}
	if len(data) != size(bits) {
		return 0, nil, nil, status.Errorf(status.PsaErrorInvalidArgument, "%d bytes is not a secp%dr1 key", len(data), bits)
	}
	if public {
		if _, err := ecdsa.ParseUncompressedPublicKey(curve, data); err != nil {
			return 0, nil, nil, status.Errorf(status.PsaErrorInvalidArgument, "data is not a point on secp%dr1", bits)
		}
		return bits, bytes.Clone(data), nil, nil
	}
	k, err := ecdsa.ParseRawPrivateKey(curve, data)
	if err != nil {
		return 0, nil, nil, status.Errorf(status.PsaErrorInvalidArgument, "data is not a secp%dr1 private key", bits)
	}
	point, err = k.PublicKey.Bytes()
	if err != nil {
		return 0, nil, nil, status.Errorf(status.PsaErrorInvalidArgument, "data is not a secp%dr1 private key", bits)
	}
	return bits, point, bytes.Clone(data), nil
}

// readPublic reads the public key of a public key object.
func (p *Provider) readPublic(h pkcs11.SessionHandle, obj pkcs11.ObjectHandle, a psa.KeyAttributes) (crypto.PublicKey, error) {
	if a.Type.IsRSA() {
		at, err := p.mod.ctx.GetAttributeValue(h, obj, []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_MODULUS, nil),
			pkcs11.NewAttribute(pkcs11.CKA_PUBLIC_EXPONENT, nil),
		})
		if err != nil {
			return nil, p11("C_GetAttributeValue", err)
		}
		n := new(big.Int).SetBytes(at[0].Value)
		e := new(big.Int).SetBytes(at[1].Value)
		if uint32(n.BitLen()) != a.Bits || !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 {
			return nil, status.Errorf(status.PsaErrorDataInvalid, "the token's RSA public key does not match the stored attributes (%d bits)", a.Bits)
		}
		return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
	}
	at, err := p.mod.ctx.GetAttributeValue(h, obj, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_EC_POINT, nil)})
	if err != nil {
		return nil, p11("C_GetAttributeValue", err)
	}
	curve, ok := curveOf(a.Bits)
	if !ok {
		return nil, status.Errorf(status.PsaErrorDataInvalid, "stored attributes name an unsupported curve size %d", a.Bits)
	}
	point := ecPoint(at[0].Value, 1+2*byteLen(a.Bits))
	pub, err := ecdsa.ParseUncompressedPublicKey(curve, point)
	if err != nil {
		return nil, status.Errorf(status.PsaErrorDataInvalid, "the token's CKA_EC_POINT is not an uncompressed point on secp%dr1", a.Bits)
	}
	return pub, nil
}

// ecPoint takes the uncompressed point out of CKA_EC_POINT: PKCS#11 says
// a DER OCTET STRING, but some tokens return the raw point (Parsec#599).
// The length decides (the DER form is 2 or 3 bytes longer), as a raw point
// starts with 0x04 like an OCTET STRING.
func ecPoint(v []byte, size int) []byte {
	if len(v) == size {
		return v
	}
	var inner []byte
	if rest, err := asn1.Unmarshal(v, &inner); err == nil && len(rest) == 0 {
		return inner
	}
	return v
}

// publicKey reads the key's public key from its public object.
func (p *Provider) publicKey(ctx context.Context, k *keyRef) (crypto.PublicKey, error) {
	var pub crypto.PublicKey
	err := p.use(ctx, k, pkcs11.CKO_PUBLIC_KEY, func(h pkcs11.SessionHandle, obj pkcs11.ObjectHandle) error {
		var err error
		pub, err = p.readPublic(h, obj, k.attrs)
		return err
	})
	return pub, err
}

// ExportPublicKey implements provider.KeyManagement: DER RSAPublicKey for
// RSA keys (from CKA_MODULUS and CKA_PUBLIC_EXPONENT), the uncompressed
// point for secp R1 keys (from CKA_EC_POINT). It needs no usage flag.
func (p *Provider) ExportPublicKey(ctx context.Context, c storage.Client, name string) ([]byte, error) {
	k, err := p.load(ctx, c, name)
	if err != nil {
		return nil, err
	}
	if isSecret(k.attrs.Type) {
		return nil, status.Errorf(status.PsaErrorInvalidArgument, "a %v key has no public key to export", k.attrs.Type)
	}
	pub, err := p.publicKey(ctx, k)
	if err != nil {
		return nil, err
	}
	return pubkey.Export(pub)
}

// ExportKey implements provider.KeyExport. Public keys export their public
// format; key pairs need the export usage flag (then they were created
// extractable and not sensitive) and export DER RSAPrivateKey or the
// big-endian secp R1 scalar. A token that keeps the key sensitive anyway
// answers PsaErrorNotPermitted.
func (p *Provider) ExportKey(ctx context.Context, c storage.Client, name string) ([]byte, error) {
	k, err := p.load(ctx, c, name)
	if err != nil {
		return nil, err
	}
	if k.attrs.Type.IsPublic() {
		pub, err := p.publicKey(ctx, k)
		if err != nil {
			return nil, err
		}
		return pubkey.Export(pub)
	}
	if err := psa.CheckExport(k.attrs); err != nil {
		return nil, err
	}
	if isSecret(k.attrs.Type) {
		return p.exportSecret(ctx, k)
	}
	var out []byte
	err = p.use(ctx, k, pkcs11.CKO_PRIVATE_KEY, func(h pkcs11.SessionHandle, obj pkcs11.ObjectHandle) error {
		var err error
		if k.attrs.Type.IsRSA() {
			out, err = p.readRSAPrivate(h, obj, k.attrs)
		} else {
			out, err = p.readECPrivate(h, obj, k.attrs)
		}
		return err
	})
	return out, err
}

func (p *Provider) readRSAPrivate(h pkcs11.SessionHandle, obj pkcs11.ObjectHandle, a psa.KeyAttributes) ([]byte, error) {
	at, err := p.mod.ctx.GetAttributeValue(h, obj, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_MODULUS, nil),
		pkcs11.NewAttribute(pkcs11.CKA_PUBLIC_EXPONENT, nil),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE_EXPONENT, nil),
		pkcs11.NewAttribute(pkcs11.CKA_PRIME_1, nil),
		pkcs11.NewAttribute(pkcs11.CKA_PRIME_2, nil),
	})
	if err != nil {
		return nil, p11("C_GetAttributeValue", err)
	}
	defer func() {
		for _, v := range at {
			clear(v.Value)
		}
	}()
	e := new(big.Int).SetBytes(at[1].Value)
	k := &rsa.PrivateKey{
		PublicKey: rsa.PublicKey{N: new(big.Int).SetBytes(at[0].Value)},
		D:         new(big.Int).SetBytes(at[2].Value),
		Primes:    []*big.Int{new(big.Int).SetBytes(at[3].Value), new(big.Int).SetBytes(at[4].Value)},
	}
	if !e.IsInt64() || e.Int64() > 1<<31-1 {
		return nil, status.Errorf(status.PsaErrorDataInvalid, "the token's RSA key has an unusable public exponent")
	}
	k.E = int(e.Int64())
	if k.Validate() != nil || uint32(k.N.BitLen()) != a.Bits {
		return nil, status.Errorf(status.PsaErrorDataInvalid, "the token returned an invalid RSA private key")
	}
	k.Precompute()
	return x509.MarshalPKCS1PrivateKey(k), nil
}

func (p *Provider) readECPrivate(h pkcs11.SessionHandle, obj pkcs11.ObjectHandle, a psa.KeyAttributes) ([]byte, error) {
	at, err := p.mod.ctx.GetAttributeValue(h, obj, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_VALUE, nil)})
	if err != nil {
		return nil, p11("C_GetAttributeValue", err)
	}
	v := at[0].Value
	defer clear(v)
	n := byteLen(a.Bits)
	if len(v) > n {
		return nil, status.Errorf(status.PsaErrorDataInvalid, "the token returned a %d-byte scalar for secp%dr1", len(v), a.Bits)
	}
	out := make([]byte, n)
	copy(out[n-len(v):], v)
	return out, nil
}

// DestroyKey implements provider.KeyManagement: the token objects go
// first, then the mapping. A key whose objects were already deleted on the
// token loses its mapping too and answers PsaErrorDoesNotExist.
func (p *Provider) DestroyKey(ctx context.Context, c storage.Client, name string) error {
	k, err := p.load(ctx, c, name)
	if err != nil {
		return err
	}
	n := 0
	err = p.pool.do(ctx, func(h pkcs11.SessionHandle) error {
		var err error
		n, err = p.destroyObjects(h, k.id)
		return err
	})
	if err != nil {
		return err
	}
	if err := p.removeMapping(ctx, k); err != nil {
		return err
	}
	if n == 0 {
		p.log.WarnContext(ctx, "a destroyed key no longer existed on the token (deleted outside parsecd): its mapping was removed")
		return status.Errorf(status.PsaErrorDoesNotExist, "the key no longer existed on the token")
	}
	p.log.DebugContext(ctx, "destroyed key")
	return nil
}
