// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package soft

//lint:file-ignore SA1019 crypto/ecdsa serves curves other than NIST P-224/256/384/521 only through its generic path: such keys exist only as big.Int coordinates and elliptic.Curve methods, which are deprecated for the NIST curves, not replaced for the others.

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"math/big"

	"github.com/ProtonMail/go-crypto/brainpool"
	"github.com/cloudflare/circl/dh/x448"
	"github.com/decred/dcrd/dcrec/secp256k1/v4"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

// The curve table: every elliptic curve the provider implements, with the
// code that implements it. Key generation, import, export, storage, ECDSA
// and ECDH all find their curve here, so that a curve is added in one place
// (and in the capability table of caps.go, which a test holds equal to this
// one).
//
// Two kinds of implementation sit behind the table:
//
//   - native curves (NIST P-256/384/521 and X25519): crypto/ecdsa and
//     crypto/ecdh implement them with constant-time code; their keys are
//     stored as PKCS#8 (pairs) or PKIX (public keys);
//   - the other curves: secp256k1 (github.com/decred/dcrd/dcrec/secp256k1),
//     brainpoolP256r1/P384r1/P512r1 (github.com/ProtonMail/go-crypto/brainpool)
//     as elliptic.Curve values, which crypto/ecdsa serves through its
//     generic math/big path, and X448 (github.com/cloudflare/circl/dh/x448).
//     x509 has no encoding for them, so their keys are stored as
//     formatECC ‖ the PSA export format of the key (the curve is in the
//     stored attributes).
//
// Timing: the secp256k1 and brainpool scalar multiplications and the
// math/big arithmetic of ECDSA on them are not constant-time (decred's
// ScalarMultNonConst, ProtonMail's "naive, non-constant time" CurveParams
// arithmetic, math/big inversion), so private-key operations on these
// curves may leak information about the key or the nonce through their
// timing to a client that can measure it. X448 (circl) is constant-time.
// docs/software-provider.md says so to operators.
const formatECC byte = 0x04

// eccCurve is one curve of the table.
type eccCurve struct {
	family psa.EccFamily
	bits   uint32
	name   string
	// weierstrass gives the curve of a short Weierstrass curve; nil for
	// Montgomery curves.
	weierstrass func() elliptic.Curve
	// native: crypto/ecdsa or crypto/ecdh implements the curve itself (see above).
	native bool
	// montgomery is the RFC 7748 function of a Montgomery curve: the
	// u-coordinate of scalar·u, or of scalar·base point when u is nil.
	montgomery func(scalar, u []byte) ([]byte, error)
}

var eccCurves = []*eccCurve{
	{family: psa.EccSecpR1, bits: 256, name: "secp256r1", weierstrass: elliptic.P256, native: true},
	{family: psa.EccSecpR1, bits: 384, name: "secp384r1", weierstrass: elliptic.P384, native: true},
	{family: psa.EccSecpR1, bits: 521, name: "secp521r1", weierstrass: elliptic.P521, native: true},
	{family: psa.EccSecpK1, bits: 256, name: "secp256k1", weierstrass: func() elliptic.Curve { return secp256k1.S256() }},
	{family: psa.EccBrainpoolPR1, bits: 256, name: "brainpoolP256r1", weierstrass: brainpool.P256r1},
	{family: psa.EccBrainpoolPR1, bits: 384, name: "brainpoolP384r1", weierstrass: brainpool.P384r1},
	{family: psa.EccBrainpoolPR1, bits: 512, name: "brainpoolP512r1", weierstrass: brainpool.P512r1},
	{family: psa.EccMontgomery, bits: 255, name: "Curve25519", native: true, montgomery: x25519Func},
	{family: psa.EccMontgomery, bits: 448, name: "Curve448", montgomery: x448Func},
}

// findCurve returns the curve of a family and size, or nil.
func findCurve(f psa.EccFamily, bits uint32) *eccCurve {
	for _, c := range eccCurves {
		if c.family == f && c.bits == bits {
			return c
		}
	}
	return nil
}

// ecdsaFamily reports whether ECDSA is implemented on some curve of family f.
func ecdsaFamily(f psa.EccFamily) bool {
	for _, c := range eccCurves {
		if c.family == f && c.weierstrass != nil {
			return true
		}
	}
	return false
}

// eccEncodedLen is the length of the PSA format of a key of a family and
// size: the scalar (pair) or uncompressed point (public key) of a
// Weierstrass curve, the scalar or u-coordinate of a Montgomery curve.
func eccEncodedLen(f psa.EccFamily, bits uint32, public bool) int {
	n := byteLen(int(bits))
	if public && f != psa.EccMontgomery {
		return 1 + 2*n
	}
	return n
}

func (c *eccCurve) errData(public bool) error {
	if public {
		return status.Errorf(status.PsaErrorInvalidArgument, "data is not a public key on %s", c.name)
	}
	return status.Errorf(status.PsaErrorInvalidArgument, "data is not a %s private key", c.name)
}

// decode parses a key in its PSA format (of the curve's length, checked by
// the caller) into k: a scalar in [1, n-1] or a point on the curve for
// Weierstrass curves, any string of the right length for Montgomery curves
// (RFC 7748 clamps the scalar and masks the u-coordinate when they are used).
func (c *eccCurve) decode(k *key, public bool, data []byte) error {
	if c.montgomery != nil {
		if len(data) != byteLen(int(c.bits)) {
			return c.errData(public)
		}
		if public {
			k.montPub = append([]byte(nil), data...)
		} else {
			k.mont = append([]byte(nil), data...)
		}
		return nil
	}
	curve := c.weierstrass()
	if c.native {
		var err error
		if public {
			k.ecPub, err = ecdsa.ParseUncompressedPublicKey(curve, data)
		} else {
			k.ec, err = ecdsa.ParseRawPrivateKey(curve, data)
		}
		if err != nil {
			return c.errData(public)
		}
		return nil
	}
	if public {
		if k.ecPub = decodePoint(curve, data); k.ecPub == nil {
			return c.errData(public)
		}
		return nil
	}
	params := curve.Params()
	d := new(big.Int).SetBytes(data)
	if len(data) != byteLen(params.N.BitLen()) || d.Sign() == 0 || d.Cmp(params.N) >= 0 {
		return c.errData(public)
	}
	k.ec = &ecdsa.PrivateKey{D: d, PublicKey: ecdsa.PublicKey{Curve: curve}}
	k.ec.X, k.ec.Y = curve.ScalarBaseMult(data)
	return nil
}

// decodePoint parses an uncompressed point 0x04‖X‖Y of a generic curve and
// checks that it lies on the curve (the curves of the table have cofactor
// 1, so that is also membership of the prime-order group; the point at
// infinity has no such encoding). It returns nil for anything else.
func decodePoint(curve elliptic.Curve, data []byte) *ecdsa.PublicKey {
	params := curve.Params()
	n := byteLen(params.BitSize)
	if len(data) != 1+2*n || data[0] != 4 {
		return nil
	}
	x := new(big.Int).SetBytes(data[1 : 1+n])
	y := new(big.Int).SetBytes(data[1+n:])
	if x.Cmp(params.P) >= 0 || y.Cmp(params.P) >= 0 || !curve.IsOnCurve(x, y) {
		return nil
	}
	return &ecdsa.PublicKey{Curve: curve, X: x, Y: y}
}

// newPrivate returns the PSA format of a fresh private key of the curve.
func (c *eccCurve) newPrivate() ([]byte, error) {
	if c.montgomery != nil {
		b := make([]byte, byteLen(int(c.bits)))
		rand.Read(b)
		return b, nil
	}
	curve := c.weierstrass()
	if c.native {
		k, err := ecdsa.GenerateKey(curve, rand.Reader)
		if err != nil {
			return nil, status.Errorf(status.PsaErrorGenericError, "generating %s key: %w", c.name, err)
		}
		return k.Bytes()
	}
	// A uniform scalar in [1, n-1] by rejection sampling (FIPS 186-5 A.2.2).
	n := curve.Params().N
	b := make([]byte, byteLen(n.BitLen()))
	excess := uint(len(b)*8 - n.BitLen())
	for {
		rand.Read(b)
		b[0] &= 0xff >> excess
		if d := new(big.Int).SetBytes(b); d.Sign() != 0 && d.Cmp(n) < 0 {
			return b, nil
		}
	}
}

// store returns the stored form of k (stored key formats: keys.go).
func (c *eccCurve) store(k *key) ([]byte, error) {
	switch {
	case !c.native:
		var b []byte
		var err error
		if k.ec != nil || k.mont != nil {
			b, err = c.exportPrivate(k)
		} else {
			b, err = c.exportPublic(k)
		}
		if err != nil {
			return nil, err
		}
		defer clear(b)
		return append([]byte{formatECC}, b...), nil
	case k.ec != nil:
		return encodePrivate(k.ec)
	case k.ecPub != nil:
		return encodePublic(k.ecPub)
	case k.mont != nil:
		priv, err := ecdh.X25519().NewPrivateKey(k.mont)
		if err != nil {
			return nil, status.Errorf(status.PsaErrorGenericError, "encoding X25519 key: %w", err)
		}
		return encodePrivate(priv)
	default:
		pub, err := ecdh.X25519().NewPublicKey(k.montPub)
		if err != nil {
			return nil, status.Errorf(status.PsaErrorGenericError, "encoding X25519 key: %w", err)
		}
		return encodePublic(pub)
	}
}

// exportPublic returns the PSA format of k's public key.
func (c *eccCurve) exportPublic(k *key) ([]byte, error) {
	if c.montgomery != nil {
		if k.mont != nil {
			return c.montgomery(k.mont, nil)
		}
		return append([]byte(nil), k.montPub...), nil
	}
	pub := k.ecPublic()
	if c.native {
		out, err := pub.Bytes()
		if err != nil {
			return nil, status.Errorf(status.PsaErrorGenericError, "encoding public key: %w", err)
		}
		return out, nil
	}
	n := byteLen(pub.Curve.Params().BitSize)
	out := make([]byte, 1+2*n)
	out[0] = 4
	pub.X.FillBytes(out[1 : 1+n])
	pub.Y.FillBytes(out[1+n:])
	return out, nil
}

// exportPrivate returns the PSA format of k's private key (a pair).
func (c *eccCurve) exportPrivate(k *key) ([]byte, error) {
	switch {
	case k.mont != nil:
		return append([]byte(nil), k.mont...), nil
	case k.ec == nil:
		return nil, errKeyMismatch(k)
	case c.native:
		out, err := k.ec.Bytes()
		if err != nil {
			return nil, status.Errorf(status.PsaErrorGenericError, "encoding private key")
		}
		return out, nil
	}
	return k.ec.D.FillBytes(make([]byte, byteLen(k.ec.Params().N.BitLen()))), nil
}

// agree computes the ECDH shared secret of key pair k with the peer's
// public key in its PSA format: the x-coordinate of the shared point,
// ceil(bits/8) bytes (SEC 1 §3.3.1), or the RFC 7748 function's output.
// A malformed peer key, one not on the curve, or a low-order Montgomery
// u-coordinate (all-zero secret, RFC 7748 §6) is PsaErrorInvalidArgument.
func (c *eccCurve) agree(k *key, peerKey []byte) ([]byte, error) {
	errPeer := func() error {
		return status.Errorf(status.PsaErrorInvalidArgument, "peer key is not a public key on %s (%d bytes)", c.name, len(peerKey))
	}
	switch {
	case c.montgomery != nil:
		if k.mont == nil {
			return nil, errKeyMismatch(k)
		}
		if len(peerKey) != byteLen(int(c.bits)) {
			return nil, errPeer()
		}
		return c.montgomery(k.mont, peerKey)
	case k.ec == nil:
		return nil, errKeyMismatch(k)
	case c.native:
		priv, err := k.ec.ECDH()
		if err != nil {
			return nil, status.Errorf(status.PsaErrorNotSupported, "ECDH on %s is not supported", c.name)
		}
		// NewPublicKey takes exactly the uncompressed point, checked to be on the curve.
		peer, err := priv.Curve().NewPublicKey(peerKey)
		if err != nil {
			return nil, errPeer()
		}
		secret, err := priv.ECDH(peer)
		if err != nil {
			return nil, errPeer()
		}
		return secret, nil
	}
	curve := k.ec.Curve
	peer := decodePoint(curve, peerKey)
	if peer == nil {
		return nil, errPeer()
	}
	params := curve.Params()
	d := k.ec.D.FillBytes(make([]byte, byteLen(params.N.BitLen())))
	defer clear(d)
	x, y := curve.ScalarMult(peer.X, peer.Y, d)
	if x.Sign() == 0 && y.Sign() == 0 {
		// The point at infinity: impossible for d in [1, n-1] and a point of
		// the prime-order group, refused all the same.
		return nil, errPeer()
	}
	return x.FillBytes(make([]byte, byteLen(params.BitSize))), nil
}

// x25519Func is X25519 (RFC 7748 §5) through crypto/ecdh.
func x25519Func(scalar, u []byte) ([]byte, error) {
	priv, err := ecdh.X25519().NewPrivateKey(scalar)
	if err != nil {
		return nil, status.Errorf(status.PsaErrorDataInvalid, "stored X25519 key is malformed")
	}
	if u == nil {
		return priv.PublicKey().Bytes(), nil
	}
	pub, err := ecdh.X25519().NewPublicKey(u)
	if err != nil {
		return nil, status.Errorf(status.PsaErrorInvalidArgument, "peer key is not an X25519 public key")
	}
	secret, err := priv.ECDH(pub)
	if err != nil {
		return nil, status.Errorf(status.PsaErrorInvalidArgument, "peer key is a low-order point")
	}
	return secret, nil
}

// x448Func is X448 (RFC 7748 §5) through circl, which refuses the
// low-order u-coordinates (all-zero output) in constant time.
func x448Func(scalar, u []byte) ([]byte, error) {
	var s, p, out x448.Key
	defer clear(s[:])
	if len(scalar) != x448.Size || (u != nil && len(u) != x448.Size) {
		return nil, status.Errorf(status.PsaErrorInvalidArgument, "X448 keys are %d bytes", x448.Size)
	}
	copy(s[:], scalar)
	if u == nil {
		x448.KeyGen(&out, &s)
		return out[:], nil
	}
	copy(p[:], u)
	if !x448.Shared(&out, &s, &p) {
		clear(out[:])
		return nil, status.Errorf(status.PsaErrorInvalidArgument, "peer key is a low-order point")
	}
	return out[:], nil
}

// signDeterministic is deterministic ECDSA (RFC 6979 §3.2, HMAC with the
// signature's hash h) for the curves crypto/ecdsa does not sign
// deterministically. digest is the message hash h1; the signature is
// (r, s) with s = k⁻¹(e + r·d) mod n, e the leftmost bits of the digest
// (SEC 1 §4.1.3). Not constant-time (math/big, and the curve's own
// arithmetic): see the timing note at the top of this file.
func signDeterministic(priv *ecdsa.PrivateKey, h crypto.Hash, digest []byte) (r, s *big.Int) {
	curve := priv.Curve
	n := curve.Params().N
	qlen := n.BitLen()
	rlen := (qlen + 7) / 8
	bits2int := func(b []byte) *big.Int {
		v := new(big.Int).SetBytes(b)
		if excess := len(b)*8 - qlen; excess > 0 {
			v.Rsh(v, uint(excess))
		}
		return v
	}
	int2octets := func(v *big.Int) []byte { return v.FillBytes(make([]byte, rlen)) }
	mac := func(key []byte, parts ...[]byte) []byte {
		m := hmac.New(h.New, key)
		for _, p := range parts {
			m.Write(p)
		}
		return m.Sum(nil)
	}

	x := int2octets(priv.D)
	defer clear(x)
	e := bits2int(digest)
	h1 := new(big.Int).Set(e)
	if h1.Cmp(n) >= 0 {
		h1.Sub(h1, n) // bits2octets: one subtraction reduces qlen bits mod n
	}
	hb := int2octets(h1)
	v := bytes.Repeat([]byte{1}, h.Size())
	k := make([]byte, h.Size())
	defer clear(k)
	k = mac(k, v, []byte{0}, x, hb)
	v = mac(k, v)
	k = mac(k, v, []byte{1}, x, hb)
	v = mac(k, v)
	for {
		var t []byte
		for len(t)*8 < qlen {
			v = mac(k, v)
			t = append(t, v...)
		}
		nonce := bits2int(t)
		clear(t)
		if nonce.Sign() > 0 && nonce.Cmp(n) < 0 {
			kb := int2octets(nonce)
			rx, _ := curve.ScalarBaseMult(kb)
			clear(kb)
			r = new(big.Int).Mod(rx, n)
			if r.Sign() != 0 {
				s = new(big.Int).Mul(priv.D, r)
				s.Add(s, e)
				s.Mul(s, new(big.Int).ModInverse(nonce, n))
				s.Mod(s, n)
				if s.Sign() != 0 {
					return r, s
				}
			}
		}
		k = mac(k, v, []byte{0})
		v = mac(k, v)
	}
}
