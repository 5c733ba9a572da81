// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package soft

import (
	"context"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
)

// Stored key material (storage.KeyInfo.ID) is one format byte followed by
// the key:
//
//	0x01 ‖ PKCS#8 PrivateKeyInfo       key pairs (RSA, NIST P curves, X25519)
//	0x02 ‖ PKIX SubjectPublicKeyInfo   public keys (RSA, NIST P curves, X25519)
//	0x03 ‖ raw key bytes               symmetric keys: AES, ChaCha20, HMAC,
//	                                   raw data, derivation (keys_sym.go)
//	0x04 ‖ PSA export format           ECC keys x509 cannot encode: secp256k1,
//	                                   brainpool, X448 (curves.go)
//
// The format byte versions the encoding; unknown values are refused with
// PsaErrorDataInvalid. The stored key must agree with the stored
// attributes (type, family, bits).
const (
	formatPKCS8 byte = 0x01
	formatPKIX  byte = 0x02
)

// key is a parsed stored key. Exactly one of the key fields is set.
type key struct {
	attrs   psa.KeyAttributes
	rsa     *rsa.PrivateKey
	rsaPub  *rsa.PublicKey
	ec      *ecdsa.PrivateKey // Weierstrass pairs (secp R1 and K1, brainpool)
	ecPub   *ecdsa.PublicKey
	mont    []byte // Montgomery pairs (X25519, X448): the RFC 7748 scalar
	montPub []byte // Montgomery public keys: the u-coordinate
	sym     []byte // AES, ChaCha20, HMAC, raw data and derivation keys
}

func (k *key) rsaPublic() *rsa.PublicKey {
	if k.rsa != nil {
		return &k.rsa.PublicKey
	}
	return k.rsaPub
}

func (k *key) ecPublic() *ecdsa.PublicKey {
	if k.ec != nil {
		return &k.ec.PublicKey
	}
	return k.ecPub
}

// curve returns the curve of an ECC key from the table (nil for other
// keys and unimplemented curves).
func (k *key) curve() *eccCurve {
	if !k.attrs.Type.IsECC() {
		return nil
	}
	return findCurve(k.attrs.Type.EccFamily, k.attrs.Bits)
}

func byteLen(bits int) int { return (bits + 7) / 8 }

// encodePrivate builds the stored form of a key pair. The caller clears it.
func encodePrivate(priv any) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, status.Errorf(status.PsaErrorGenericError, "encoding private key: %w", err)
	}
	id := make([]byte, 1+len(der))
	id[0] = formatPKCS8
	copy(id[1:], der)
	clear(der)
	return id, nil
}

// encodePublic builds the stored form of a public key.
func encodePublic(pub any) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, status.Errorf(status.PsaErrorGenericError, "encoding public key: %w", err)
	}
	return append([]byte{formatPKIX}, der...), nil
}

// parse decodes stored key material and checks it against the attributes.
// It clears info.ID, which belongs to the caller (KeyStore.Get returns a copy).
func parse(info storage.KeyInfo) (*key, error) {
	id := info.ID
	defer clear(id)
	a := info.Attributes
	if len(id) < 2 {
		return nil, status.Errorf(status.PsaErrorDataInvalid, "stored key material is empty")
	}
	k := &key{attrs: a}
	var parsed any
	var err error
	switch id[0] {
	case formatPKCS8:
		if !a.Type.IsPair() {
			return nil, status.Errorf(status.PsaErrorDataInvalid, "private key stored for a %v", a.Type)
		}
		parsed, err = x509.ParsePKCS8PrivateKey(id[1:])
	case formatPKIX:
		if !a.Type.IsPublic() {
			return nil, status.Errorf(status.PsaErrorDataInvalid, "public key stored for a %v", a.Type)
		}
		parsed, err = x509.ParsePKIXPublicKey(id[1:])
	case formatRaw:
		if err := parseRaw(k, id[1:]); err != nil {
			return nil, err
		}
		return k, nil
	case formatECC:
		c := k.curve()
		if c == nil || c.native || len(id)-1 != eccEncodedLen(c.family, c.bits, a.Type.IsPublic()) {
			return nil, errKeyMismatch(k)
		}
		if err := c.decode(k, a.Type.IsPublic(), id[1:]); err != nil {
			return nil, status.Errorf(status.PsaErrorDataCorrupt, "stored key material is not a %s key", c.name)
		}
		return k, nil
	default:
		return nil, status.Errorf(status.PsaErrorDataInvalid, "unknown stored key format %d", id[0])
	}
	if err != nil {
		// The parser's message may quote the data: keep it out of the error.
		return nil, status.Errorf(status.PsaErrorDataCorrupt, "stored key material does not parse")
	}
	var bits int
	switch v := parsed.(type) {
	case *rsa.PrivateKey:
		k.rsa, bits = v, v.N.BitLen()
	case *rsa.PublicKey:
		k.rsaPub, bits = v, v.N.BitLen()
	case *ecdsa.PrivateKey:
		k.ec, bits = v, v.Curve.Params().BitSize
	case *ecdsa.PublicKey:
		k.ecPub, bits = v, v.Curve.Params().BitSize
	case *ecdh.PrivateKey:
		if v.Curve() == ecdh.X25519() {
			k.mont, bits = v.Bytes(), 255
		}
	case *ecdh.PublicKey:
		if v.Curve() == ecdh.X25519() {
			k.montPub, bits = v.Bytes(), 255
		}
	}
	// PKCS#8 and PKIX hold RSA keys and the keys of the native curves only.
	okType := a.Type.IsRSA() && (k.rsa != nil || k.rsaPub != nil)
	if c := k.curve(); c != nil && c.native {
		if c.weierstrass != nil {
			okType = (k.ec != nil && k.ec.Curve == c.weierstrass()) || (k.ecPub != nil && k.ecPub.Curve == c.weierstrass())
		} else {
			okType = k.mont != nil || k.montPub != nil
		}
	}
	if !okType || uint32(bits) != a.Bits {
		return nil, errKeyMismatch(k)
	}
	return k, nil
}

// load fetches and parses a caller's key.
func (p *Provider) load(ctx context.Context, c storage.Client, name string) (*key, error) {
	t := c.Key(p.name, name)
	k, epoch := p.cache.get(t)
	if k != nil {
		return k, nil
	}
	info, err := p.get(ctx, c, name)
	if err != nil {
		return nil, err
	}
	if k, err = parse(info); err != nil {
		return nil, err
	}
	p.cache.put(t, k, epoch)
	return k, nil
}

// insert stores a new key atomically and clears id.
func (p *Provider) insert(ctx context.Context, c storage.Client, name string, a psa.KeyAttributes, id []byte) error {
	defer clear(id)
	return storage.StatusError(p.keys.Insert(ctx, c.Key(p.name, name), storage.KeyInfo{ID: id, Attributes: a}))
}

// GenerateKey implements provider.KeyManagement for the types and sizes of
// the capability table (caps.go): RSA key pairs (e = 65537), ECC key pairs
// on the curves of the curve table (curves.go), and random symmetric keys.
func (p *Provider) GenerateKey(ctx context.Context, c storage.Client, name string, a psa.KeyAttributes) error {
	if a.Deprecated() && !p.allowDeprecated {
		return status.Errorf(status.DeprecatedPrimitive, "key attributes use a deprecated primitive")
	}
	if err := checkKeyType(psa.CheckGenerate, a.Type, a.Bits); err != nil {
		return err
	}
	if err := p.free(ctx, c, name); err != nil {
		return err
	}
	id, err := generate(a)
	if err != nil {
		return err
	}
	if err := p.insert(ctx, c, name, a, id); err != nil {
		return err
	}
	p.log.DebugContext(ctx, "generated key", "type", a.Type.String(), "bits", a.Bits)
	return nil
}

// generate makes the stored form of a new key; checkKeyType has accepted
// the type and size.
func generate(a psa.KeyAttributes) ([]byte, error) {
	switch {
	case a.Type.Kind == psa.KeyRsaPair:
		k, err := rsa.GenerateKey(rand.Reader, int(a.Bits))
		if err != nil {
			return nil, status.Errorf(status.PsaErrorGenericError, "generating RSA key: %w", err)
		}
		return encodePrivate(k)
	case a.Type.Kind == psa.KeyEccPair && findCurve(a.Type.EccFamily, a.Bits) != nil:
		c := findCurve(a.Type.EccFamily, a.Bits)
		priv, err := c.newPrivate()
		if err != nil {
			return nil, err
		}
		defer clear(priv)
		k := &key{attrs: a}
		if err := c.decode(k, false, priv); err != nil {
			return nil, status.Errorf(status.PsaErrorGenericError, "generating %s key: %w", c.name, err)
		}
		return c.store(k)
	case isSymmetric(a.Type):
		return generateSymmetric(a.Bits), nil
	}
	return nil, status.Errorf(status.PsaErrorNotSupported, "generating %d-bit %v keys is not supported", a.Bits, a.Type)
}

// free fails with PsaErrorAlreadyExists when the name is taken, before an
// expensive generation. Insert remains the authority (it is atomic).
func (p *Provider) free(ctx context.Context, c storage.Client, name string) error {
	info, err := p.keys.Get(ctx, c.Key(p.name, name))
	switch {
	case err == nil:
		clear(info.ID)
		return storage.ErrExists
	case storage.IsNotFound(err):
		return nil
	}
	return storage.StatusError(err)
}

// ImportKey implements provider.KeyManagement for the types and sizes of the
// capability table. Formats (PSA): RSA public key = DER RSAPublicKey, RSA key
// pair = DER RSAPrivateKey, Weierstrass (secp R1/K1, brainpool) public key =
// uncompressed point 0x04‖X‖Y, Weierstrass private key = big-endian scalar
// of ceil(bits/8) bytes, Montgomery public key = u-coordinate (32 bytes for
// X25519, 56 for X448), Montgomery private key = the RFC 7748 scalar (32 or
// 56 bytes), symmetric keys = the key bytes. A.Bits 0 takes the size from the data;
// otherwise it must match (PsaErrorInvalidArgument). Importing deprecated
// primitives is allowed.
func (p *Provider) ImportKey(ctx context.Context, c storage.Client, name string, a psa.KeyAttributes, data []byte) error {
	id, a, err := importForm(a, data)
	if err != nil {
		return err
	}
	if err := p.insert(ctx, c, name, a, id); err != nil {
		return err
	}
	p.log.DebugContext(ctx, "imported key", "type", a.Type.String(), "bits", a.Bits)
	return nil
}

// importForm checks key material in PSA format against the attributes and
// returns its stored form and the attributes with the size filled in.
func importForm(a psa.KeyAttributes, data []byte) ([]byte, psa.KeyAttributes, error) {
	if err := checkKeyType(psa.CheckImport, a.Type, a.Bits); err != nil {
		if status.CodeOf(err) == status.PsaErrorNotSupported {
			if serr := checkDeclaredSize(a, data); serr != nil {
				return nil, a, serr
			}
		}
		return nil, a, err
	}
	var id []byte
	var err error
	switch a.Type.Kind {
	case psa.KeyRsaPublic:
		pub, perr := x509.ParsePKCS1PublicKey(data)
		if perr != nil {
			return nil, a, status.Errorf(status.PsaErrorInvalidArgument, "data is not a DER RSAPublicKey")
		}
		if a.Bits, err = rsaImportBits(a, pub.N.BitLen()); err != nil {
			return nil, a, err
		}
		id, err = encodePublic(pub)
	case psa.KeyRsaPair:
		priv, perr := x509.ParsePKCS1PrivateKey(data)
		if perr != nil {
			return nil, a, status.Errorf(status.PsaErrorInvalidArgument, "data is not a valid DER RSAPrivateKey")
		}
		if a.Bits, err = rsaImportBits(a, priv.N.BitLen()); err != nil {
			return nil, a, err
		}
		id, err = encodePrivate(priv)
	case psa.KeyEccPublic, psa.KeyEccPair:
		id, a.Bits, err = importCurveKey(a, data)
	case psa.KeyAes, psa.KeyChacha20, psa.KeyHmac, psa.KeyRawData, psa.KeyDerive:
		id, a.Bits, err = importSymmetric(a, data)
	default:
		return nil, a, status.Errorf(status.PsaErrorNotSupported, "%v keys are not supported", a.Type)
	}
	return id, a, err
}

// rsaImportBits checks the size of an imported RSA key against the
// attributes and the capability table.
func rsaImportBits(a psa.KeyAttributes, got int) (uint32, error) {
	if a.Bits != 0 && int(a.Bits) != got {
		return 0, status.Errorf(status.PsaErrorInvalidArgument, "key_bits %d does not match the %d-bit key", a.Bits, got)
	}
	if err := checkKeyType(psa.CheckImport, a.Type, uint32(got)); err != nil {
		return 0, err
	}
	return uint32(got), nil
}

// importCurveKey parses an ECC key in its PSA format and returns its stored form
// and size. With a.Bits 0 the size is the one of the family's PSA sizes
// whose format has the data's length.
func importCurveKey(a psa.KeyAttributes, data []byte) ([]byte, uint32, error) {
	public := a.Type.IsPublic()
	family := a.Type.EccFamily
	bits := a.Bits
	if bits == 0 {
		spec, _ := findKeySpec(a.Type)
		for _, n := range spec.valid {
			if len(data) == eccEncodedLen(family, n, public) {
				bits = n
			}
		}
		if bits == 0 {
			return nil, 0, status.Errorf(status.PsaErrorInvalidArgument, "%d bytes is not a %v key", len(data), a.Type)
		}
		if err := checkKeyType(psa.CheckImport, a.Type, bits); err != nil {
			return nil, 0, err
		}
	}
	c := findCurve(family, bits)
	if c == nil {
		return nil, 0, status.Errorf(status.PsaErrorNotSupported, "%d-bit %v keys are not supported", bits, a.Type)
	}
	if len(data) != eccEncodedLen(family, bits, public) {
		return nil, 0, status.Errorf(status.PsaErrorInvalidArgument, "%d bytes is not a %s key", len(data), c.name)
	}
	a.Bits = bits
	k := &key{attrs: a}
	if err := c.decode(k, public, data); err != nil {
		return nil, 0, err
	}
	defer clear(k.mont)
	id, err := c.store(k)
	return id, bits, err
}

// ExportPublicKey implements provider.KeyManagement: DER RSAPublicKey for RSA,
// the uncompressed point for Weierstrass curves, the u-coordinate for
// Montgomery curves.
// It needs no usage flag. Symmetric keys have no public part: 1135.
func (p *Provider) ExportPublicKey(ctx context.Context, c storage.Client, name string) ([]byte, error) {
	k, err := p.load(ctx, c, name)
	if err != nil {
		return nil, err
	}
	return exportPublic(k)
}

func exportPublic(k *key) ([]byte, error) {
	switch {
	case k.rsaPublic() != nil:
		return x509.MarshalPKCS1PublicKey(k.rsaPublic()), nil
	case k.curve() != nil && (k.ecPublic() != nil || k.mont != nil || k.montPub != nil):
		return k.curve().exportPublic(k)
	}
	return nil, status.Errorf(status.PsaErrorInvalidArgument, "a %v key has no public key to export", k.attrs.Type)
}

// ExportKey implements provider.KeyExport for keys with the export usage
// flag: DER RSAPrivateKey for RSA, the big-endian scalar (ceil(bits/8) bytes)
// for Weierstrass curves, the RFC 7748 scalar for Montgomery curves, the key
// bytes for symmetric keys.
// Public keys export their public format whatever their flags, as the PSA
// spec says of PSA_KEY_USAGE_EXPORT ("a public key ... can always be
// exported regardless of the value of this permission flag").
func (p *Provider) ExportKey(ctx context.Context, c storage.Client, name string) ([]byte, error) {
	info, err := p.get(ctx, c, name)
	if err != nil {
		return nil, err
	}
	if info.Attributes.Type.IsPublic() {
		k, err := parse(info)
		if err != nil {
			return nil, err
		}
		return exportPublic(k)
	}
	if err := psa.CheckExport(info.Attributes); err != nil {
		clear(info.ID)
		return nil, err
	}
	k, err := parse(info)
	if err != nil {
		return nil, err
	}
	switch {
	case k.rsa != nil:
		return x509.MarshalPKCS1PrivateKey(k.rsa), nil
	case k.curve() != nil:
		return k.curve().exportPrivate(k)
	}
	// A fresh copy from parse, not shared with the cache: the caller owns it.
	return k.sym, nil
}

// DestroyKey implements provider.KeyManagement.
func (p *Provider) DestroyKey(ctx context.Context, c storage.Client, name string) error {
	t := c.Key(p.name, name)
	p.cache.forget(t)
	defer p.cache.forget(t)
	if err := p.keys.Remove(ctx, t); err != nil {
		return storage.StatusError(err)
	}
	p.log.DebugContext(ctx, "destroyed key")
	return nil
}
