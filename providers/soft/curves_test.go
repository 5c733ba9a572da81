// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package soft

//lint:file-ignore SA1019 the tests check the generic curves through the elliptic.Curve methods and big.Int coordinates crypto/ecdsa uses for them (see curves.go).

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/sha512"
	"math/big"
	"slices"
	"strconv"
	"testing"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
)

// curveByName finds a curve of the table by its SEC 2 / RFC 5639 name.
func curveByName(t testing.TB, name string) *eccCurve {
	t.Helper()
	for _, c := range eccCurves {
		if c.name == name {
			return c
		}
	}
	t.Fatalf("no curve %q in the curve table", name)
	return nil
}

func bigHex(t testing.TB, s string) *big.Int {
	t.Helper()
	n, ok := new(big.Int).SetString(s, 16)
	if !ok {
		t.Fatalf("bad hex number %q", s)
	}
	return n
}

// The curve table and the capability table name the same ECC curves: every
// size the capability table accepts has an implementation, and every curve
// implemented can be generated, imported and used.
func TestCurveTableMatchesCapabilities(t *testing.T) {
	for _, s := range keySpecs {
		if s.kind != psa.KeyEccPair && s.kind != psa.KeyEccPublic {
			continue
		}
		for _, bits := range s.sizes {
			if findCurve(s.family, bits) == nil {
				t.Errorf("%v %v %d bits is in the capability table but not in the curve table", s.kind, s.family, bits)
			}
		}
	}
	names := map[string]bool{}
	for _, c := range eccCurves {
		if (c.weierstrass == nil) == (c.montgomery == nil) {
			t.Errorf("%s: exactly one of weierstrass and montgomery must be set", c.name)
		}
		if names[c.name] {
			t.Errorf("%s is in the curve table twice", c.name)
		}
		names[c.name] = true
		for _, kind := range []psa.KeyKind{psa.KeyEccPair, psa.KeyEccPublic} {
			s, ok := findKeySpec(psa.KeyType{Kind: kind, EccFamily: c.family})
			if !ok || !slices.Contains(s.sizes, c.bits) || !slices.Contains(s.valid, c.bits) {
				t.Errorf("%s: %v %v %d bits is not in the capability table", c.name, kind, c.family, c.bits)
			}
		}
		if c.weierstrass != nil && c.weierstrass().Params().BitSize != int(c.bits) {
			t.Errorf("%s: curve of %d bits in a %d-bit entry", c.name, c.weierstrass().Params().BitSize, c.bits)
		}
	}
}

// SEC 2 §2.4.1 and RFC 5639 §3.4/3.6/3.7: the libraries' curves have the
// published domain parameters; G satisfies the published equation (checked
// here with math/big, independently of the libraries) and has order q.
func TestCurveDomainParameters(t *testing.T) {
	vs := tdBlocks(t, "curves_params.txt")
	if len(vs) != 4 {
		t.Fatalf("%d parameter blocks, want 4", len(vs))
	}
	for _, v := range vs {
		c := curveByName(t, v["Curve"])
		curve := c.weierstrass()
		params := curve.Params()
		p, a, b := bigHex(t, v["P"]), bigHex(t, v["A"]), bigHex(t, v["B"])
		x, y, q := bigHex(t, v["X"]), bigHex(t, v["Y"]), bigHex(t, v["Q"])
		for _, f := range []struct {
			name      string
			got, want *big.Int
		}{{"p", params.P, p}, {"b", params.B, b}, {"Gx", params.Gx, x}, {"Gy", params.Gy, y}, {"n", params.N, q}} {
			if f.got == nil && f.name == "b" {
				continue // ProtonMail's r1 curves work on the isomorphic t1 curve and leave B unset
			}
			if f.got == nil || f.got.Cmp(f.want) != 0 {
				t.Errorf("%s: %s = %X, want %X", c.name, f.name, f.got, f.want)
			}
		}
		// y² = x³ + a·x + b (mod p)
		lhs := new(big.Int).Exp(y, big.NewInt(2), p)
		rhs := new(big.Int).Exp(x, big.NewInt(3), p)
		rhs.Add(rhs, new(big.Int).Mul(a, x))
		rhs.Add(rhs, b)
		rhs.Mod(rhs, p)
		if lhs.Cmp(rhs) != 0 {
			t.Errorf("%s: G is not on y^2 = x^3 + A*x + B with the published numbers", c.name)
		}
		if !curve.IsOnCurve(x, y) {
			t.Errorf("%s: the library says G is not on its curve", c.name)
		}
		// (q-1)·G = -G = (x, p-y), and 2·G = G+G.
		mx, my := curve.ScalarBaseMult(new(big.Int).Sub(q, big.NewInt(1)).Bytes())
		if mx.Cmp(x) != 0 || my.Cmp(new(big.Int).Sub(p, y)) != 0 {
			t.Errorf("%s: (q-1)*G is not -G", c.name)
		}
		dx, dy := curve.Double(x, y)
		sx, sy := curve.ScalarBaseMult([]byte{2})
		if dx.Cmp(sx) != 0 || dy.Cmp(sy) != 0 {
			t.Errorf("%s: 2*G differs from G+G", c.name)
		}
	}
}

// SEC 2 secp256k1 through the provider: the private keys 1, 2, 3 and n-1
// give G (SEC 2 §2.4.1), 2G, 3G (widely published, recomputed by the
// domain parameter test's arithmetic) and -G; 0 and n are not keys; ECDH
// with the private key 1 returns the peer's x-coordinate, and 2·(3G) =
// 3·(2G).
func TestSecp256k1KnownKeys(t *testing.T) {
	p, _ := newTestProvider(t)
	gx := "79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798"
	gy := "483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8"
	n := "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141"
	prime := bigHex(t, "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F")
	negGy := new(big.Int).Sub(prime, bigHex(t, gy)).FillBytes(make([]byte, 32))
	nMinus1 := new(big.Int).Sub(bigHex(t, n), big.NewInt(1)).FillBytes(make([]byte, 32))
	pad := func(s string) []byte { return bigHex(t, s).FillBytes(make([]byte, 32)) }
	k1 := psa.KeyType{Kind: psa.KeyEccPair, EccFamily: psa.EccSecpK1}
	a := psa.KeyAttributes{Type: k1, Policy: psa.KeyPolicy{Usage: psa.UsageDerive | psa.UsageExport, Alg: ecdhPolicy}}
	for i, v := range []struct {
		d    []byte
		x, y []byte
	}{
		{pad("1"), unhex(gx), unhex(gy)},
		{pad("2"), unhex("C6047F9441ED7D6D3045406E95C07CD85C778E4B8CEF3CA7ABAC09B95C709EE5"), unhex("1AE168FEA63DC339A3C58419466CEAEEF7F632653266D0E1236431A950CFE52A")},
		{pad("3"), unhex("F9308A019258C31049344F85F89D5229B531C845836F99B08601F113BCE036F9"), unhex("388F7B0F632DE8140FE337E62A37F3566500A99934C2231B6CB9FD7584B8E672")},
		{nMinus1, unhex(gx), negGy},
	} {
		name := "k" + strconv.Itoa(i)
		wantCode(t, p.ImportKey(bg, alice, name, a, v.d), status.Success, "ImportKey secp256k1 "+name)
		if got := must(p.ExportPublicKey(bg, alice, name)); !bytes.Equal(got, point(v.x, v.y)) {
			t.Fatalf("%s: public key %X, want %X", name, got, point(v.x, v.y))
		}
		if got := must(p.ExportKey(bg, alice, name)); !bytes.Equal(got, v.d) {
			t.Fatalf("%s: exported private key %X", name, got)
		}
	}
	for _, bad := range [][]byte{make([]byte, 32), pad(n), pad("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"), pad("1")[1:]} {
		wantCode(t, p.ImportKey(bg, alice, "bad", a, bad), status.PsaErrorInvalidArgument, "ImportKey secp256k1 private key out of range")
	}
	peer2G := must(p.ExportPublicKey(bg, alice, "k1"))
	peer3G := must(p.ExportPublicKey(bg, alice, "k2"))
	if got := must(p.RawKeyAgreement(bg, alice, psa.KeyAgreementEcdh, "k0", peer3G)); !bytes.Equal(got, peer3G[1:33]) {
		t.Fatalf("1 * 3G: secret %X, want the x-coordinate of 3G", got)
	}
	s6a := must(p.RawKeyAgreement(bg, alice, psa.KeyAgreementEcdh, "k1", peer3G))
	s6b := must(p.RawKeyAgreement(bg, alice, psa.KeyAgreementEcdh, "k2", peer2G))
	if !bytes.Equal(s6a, s6b) || len(s6a) != 32 {
		t.Fatalf("2 * 3G = %X, 3 * 2G = %X", s6a, s6b)
	}
	// A P-256 point is not on secp256k1; a secp256k1 point is not on P-256.
	_, err := p.RawKeyAgreement(bg, alice, psa.KeyAgreementEcdh, "k1", must(importECCKey(t, 256).PublicKey.Bytes()))
	wantCode(t, err, status.PsaErrorInvalidArgument, "secp256k1 ECDH with a P-256 point")
	pubA := attrs(psa.KeyEccPublic, psa.EccSecpR1, 256, 0, noAlg)
	wantCode(t, p.ImportKey(bg, alice, "p256", pubA, peer2G), status.PsaErrorInvalidArgument, "ImportKey of a secp256k1 point as P-256")
}

// RFC 7027 Appendix A through the provider: each imported private key
// exports its published public key, and both sides' RawKeyAgreement give
// the published x-coordinate of Z (Parsec's e2e suite does this with the
// brainpoolP256r1 pair). The stored form is 0x04 ‖ the scalar.
func TestBrainpoolRFC7027(t *testing.T) {
	p, store := newTestProvider(t)
	vs := tdBlocks(t, "ecdh_brainpool_rfc7027.txt")
	if len(vs) != 3 {
		t.Fatalf("%d vectors, want 3", len(vs))
	}
	for _, v := range vs {
		bits := uint32(must(strconv.Atoi(v["Bits"])))
		c := curveByName(t, v["Curve"])
		if c.family != psa.EccBrainpoolPR1 || c.bits != bits {
			t.Fatalf("%s is not the %d-bit brainpool entry", c.name, bits)
		}
		qa, qb := point(unhex(v["xQA"]), unhex(v["yQA"])), point(unhex(v["xQB"]), unhex(v["yQB"]))
		for _, side := range []struct {
			name      string
			d, q, bPb []byte
			impBits   uint32
		}{
			{c.name + "-A", unhex(v["dA"]), qa, qb, 0},
			{c.name + "-B", unhex(v["dB"]), qb, qa, bits},
		} {
			a := attrs(psa.KeyEccPair, psa.EccBrainpoolPR1, side.impBits, psa.UsageDerive|psa.UsageExport, ecdhPolicy)
			wantCode(t, p.ImportKey(bg, alice, side.name, a, side.d), status.Success, "ImportKey "+side.name)
			info := storedKey(t, store, p, side.name)
			if info.Attributes.Bits != bits || info.ID[0] != formatECC || !bytes.Equal(info.ID[1:], side.d) {
				t.Fatalf("%s: stored %d bits, format %#x", side.name, info.Attributes.Bits, info.ID[0])
			}
			if got := must(p.ExportPublicKey(bg, alice, side.name)); !bytes.Equal(got, side.q) {
				t.Fatalf("%s: public key %X, want %X", side.name, got, side.q)
			}
			if got := must(p.ExportKey(bg, alice, side.name)); !bytes.Equal(got, side.d) {
				t.Fatalf("%s: exported private key %X", side.name, got)
			}
			z := must(p.RawKeyAgreement(bg, alice, psa.KeyAgreementEcdh, side.name, side.bPb))
			if want := unhex(v["xZ"]); !bytes.Equal(z, want) {
				t.Fatalf("%s: secret %X, want %X", side.name, z, want)
			}
		}
		// The full shared point, through the library directly.
		curve := c.weierstrass()
		_, zy := curve.ScalarMult(bigHex(t, v["xQB"]), bigHex(t, v["yQB"]), unhex(v["dA"]))
		if zy.Cmp(bigHex(t, v["yZ"])) != 0 {
			t.Fatalf("%s: y of Z = %X", c.name, zy)
		}
		// The public key alone imports and exports unchanged.
		pubName := c.name + "-QB"
		wantCode(t, p.ImportKey(bg, alice, pubName, attrs(psa.KeyEccPublic, psa.EccBrainpoolPR1, 0, 0, noAlg), qb), status.Success, "ImportKey "+pubName)
		if got := must(p.ExportKey(bg, alice, pubName)); !bytes.Equal(got, qb) {
			t.Fatalf("%s: exported %X", pubName, got)
		}
		_, err := p.RawKeyAgreement(bg, alice, psa.KeyAgreementEcdh, c.name+"-A", flipBit(qb, len(qb)-1))
		wantCode(t, err, status.PsaErrorInvalidArgument, c.name+" ECDH with a point off the curve")
		wantCode(t, p.ImportKey(bg, alice, "off", attrs(psa.KeyEccPublic, psa.EccBrainpoolPR1, 0, 0, noAlg), flipBit(qb, len(qb)-1)),
			status.PsaErrorInvalidArgument, "ImportKey of a point off "+c.name)
	}
}

// RFC 7748 §5.2 (the X448 function) and §6.2 (Alice and Bob, through the
// provider), low-order and malformed peer keys.
func TestX448RFC7748(t *testing.T) {
	vs := tdBlocks(t, "ecdh_x448_rfc7748.txt")
	if len(vs) != 3 {
		t.Fatalf("%d vectors, want 3", len(vs))
	}
	for _, v := range vs[:2] {
		k := curveKey(t, psa.EccMontgomery, 448, unhex(v["Scalar"]), psa.UsageDerive, ecdhPolicy)
		got, err := rawAgreement(k, psa.KeyAgreementEcdh, unhex(v["U"]))
		wantCode(t, err, status.Success, v["Source"])
		if want := unhex(v["Output"]); !bytes.Equal(got, want) {
			t.Fatalf("%s: %x, want %x", v["Source"], got, want)
		}
	}

	p, store := newTestProvider(t)
	v := vs[2]
	for _, side := range []struct {
		name             string
		priv, pub, other []byte
		bits             uint32
	}{
		{"alice", unhex(v["AlicePrivate"]), unhex(v["AlicePublic"]), unhex(v["BobPublic"]), 0},
		{"bob", unhex(v["BobPrivate"]), unhex(v["BobPublic"]), unhex(v["AlicePublic"]), 448},
	} {
		a := attrs(psa.KeyEccPair, psa.EccMontgomery, side.bits, psa.UsageDerive|psa.UsageExport, ecdhPolicy)
		wantCode(t, p.ImportKey(bg, alice, side.name, a, side.priv), status.Success, "ImportKey X448 "+side.name)
		info := storedKey(t, store, p, side.name)
		if info.Attributes.Bits != 448 || info.ID[0] != formatECC || !bytes.Equal(info.ID[1:], side.priv) {
			t.Fatalf("%s: stored %d bits, format %#x", side.name, info.Attributes.Bits, info.ID[0])
		}
		if got := must(p.ExportPublicKey(bg, alice, side.name)); !bytes.Equal(got, side.pub) {
			t.Fatalf("%s: public key %x, want %x", side.name, got, side.pub)
		}
		if got := must(p.ExportKey(bg, alice, side.name)); !bytes.Equal(got, side.priv) {
			t.Fatalf("%s: exported private key %x", side.name, got)
		}
		if got := must(p.RawKeyAgreement(bg, alice, psa.KeyAgreementEcdh, side.name, side.other)); !bytes.Equal(got, unhex(v["Shared"])) {
			t.Fatalf("%s: K = %x, want %s", side.name, got, v["Shared"])
		}
	}
	pubA := attrs(psa.KeyEccPublic, psa.EccMontgomery, 0, psa.UsageDerive, ecdhPolicy)
	wantCode(t, p.ImportKey(bg, alice, "bobpub", pubA, unhex(v["BobPublic"])), status.Success, "ImportKey X448 public key")
	if got := must(p.ExportPublicKey(bg, alice, "bobpub")); !bytes.Equal(got, unhex(v["BobPublic"])) {
		t.Fatalf("public key %x", got)
	}
	if info := storedKey(t, store, p, "bobpub"); info.Attributes.Bits != 448 || info.ID[0] != formatECC {
		t.Fatalf("stored public key: %d bits, format %#x", info.Attributes.Bits, info.ID[0])
	}
	_, err := p.RawKeyAgreement(bg, alice, psa.KeyAgreementEcdh, "bobpub", unhex(v["AlicePublic"]))
	wantCode(t, err, status.PsaErrorInvalidArgument, "X448 agreement with a public key")

	// p = 2^448 - 2^224 - 1, little-endian.
	prime := bytes.Repeat([]byte{0xff}, 56)
	prime[0], prime[28] = 0xff, 0xfe
	pMinus1 := bytes.Clone(prime)
	pMinus1[0] = 0xfe
	one := append([]byte{1}, make([]byte, 55)...)
	for name, bad := range map[string][]byte{
		// The points of order 2 and 4 (u = 0, 1, -1), and 0 written as p:
		// the secret would be all zeros (RFC 7748 §6.2).
		"zero": make([]byte, 56), "one": one, "p - 1": pMinus1, "p": prime,
		"empty": nil, "55 bytes": make([]byte, 55), "57 bytes": make([]byte, 57), "X25519 size": unhex(v["BobPublic"])[:32],
	} {
		_, err := p.RawKeyAgreement(bg, alice, psa.KeyAgreementEcdh, "alice", bad)
		wantCode(t, err, status.PsaErrorInvalidArgument, "X448 peer key "+name)
	}
}

// The generic deterministic ECDSA (signDeterministic, used for the curves
// crypto/ecdsa does not sign deterministically) reproduces RFC 6979's
// published signatures when run on the NIST curves: A.2.5 (P-256, SHA-256)
// and the A.2.6/A.2.7 vectors of sign_ecdsa_rfc6979.txt.
func TestSignDeterministicRFC6979(t *testing.T) {
	type vector struct {
		bits             uint32
		x, r, s          string
		h                crypto.Hash
		msg              string
		curveName, hname string
	}
	vs := []vector{{bits: 256, h: crypto.SHA256, msg: "sample",
		x: "C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721",
		r: "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716",
		s: "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8"}}
	for _, v := range tdBlocks(t, "sign_ecdsa_rfc6979.txt") {
		vs = append(vs, vector{bits: katCurveBits[v["Curve"]], x: v["X"], r: v["R"], s: v["S"], h: katHashes[v["Hash"]].crypto, msg: v["Message"], curveName: v["Curve"], hname: v["Hash"]})
	}
	if len(vs) < 7 {
		t.Fatalf("%d RFC 6979 vectors", len(vs))
	}
	for _, v := range vs {
		curve := curveOf(v.bits)
		priv := &ecdsa.PrivateKey{D: bigHex(t, v.x), PublicKey: ecdsa.PublicKey{Curve: curve}}
		hh := v.h.New()
		hh.Write([]byte(v.msg))
		r, s := signDeterministic(priv, v.h, hh.Sum(nil))
		if r.Cmp(bigHex(t, v.r)) != 0 || s.Cmp(bigHex(t, v.s)) != 0 {
			t.Fatalf("P-%d %v %q: (r, s) = (%X, %X), want (%s, %s)", v.bits, v.h, v.msg, r, s, v.r, v.s)
		}
	}
}

// ecdsaAlgs are the ECDSA variants the new curves are tested with.
var ecdsaAlgs = []psa.AsymSign{
	signAlg(psa.SignEcdsa, psa.HashSHA256), signAlg(psa.SignEcdsa, psa.HashSHA384), signAlg(psa.SignEcdsa, psa.HashSHA512),
	signAlg(psa.SignEcdsa, psa.HashSHA3_256),
	signAlg(psa.SignDetEcdsa, psa.HashSHA256), signAlg(psa.SignDetEcdsa, psa.HashSHA384), signAlg(psa.SignDetEcdsa, psa.HashSHA512),
	{Kind: psa.SignEcdsaAny},
}

// genericWeierstrass lists the Weierstrass curves crypto/ecdsa serves
// through its generic path.
func genericWeierstrass() []*eccCurve {
	var out []*eccCurve
	for _, c := range eccCurves {
		if c.weierstrass != nil && !c.native {
			out = append(out, c)
		}
	}
	return out
}

// ECDSA on secp256k1 and brainpool through the provider: every variant signs
// r‖s of 2·ceil(bits/8) bytes that verifies, deterministic signatures repeat,
// a changed signature or digest is refused, SignMessage/VerifyMessage agree.
func TestNewCurvesECDSA(t *testing.T) {
	p, _ := newTestProvider(t)
	for _, c := range genericWeierstrass() {
		n := byteLen(int(c.bits))
		for _, alg := range ecdsaAlgs {
			name := c.name + "-" + alg.String()
			wantCode(t, p.GenerateKey(bg, alice, name, attrs(psa.KeyEccPair, c.family, c.bits, allSign, signPolicy(alg))), status.Success, "GenerateKey "+name)
			digest := sha512.Sum512([]byte(name))
			h := digest[:20] // ECDSA-any signs any input
			if alg.HasHash() {
				h = digest[:alg.Hash.Size()]
			}
			sig := must(p.SignHash(bg, alice, name, alg, h))
			if len(sig) != 2*n {
				t.Fatalf("%s: %d-byte signature", name, len(sig))
			}
			wantCode(t, p.VerifyHash(bg, alice, name, alg, h, sig), status.Success, "VerifyHash "+name)
			wantCode(t, p.VerifyHash(bg, alice, name, alg, h, flipBit(sig, 2*n-1)), status.PsaErrorInvalidSignature, "VerifyHash of a changed signature "+name)
			wantCode(t, p.VerifyHash(bg, alice, name, alg, flipBit(h, 0), sig), status.PsaErrorInvalidSignature, "VerifyHash of another digest "+name)
			wantCode(t, p.VerifyHash(bg, alice, name, alg, h, sig[:2*n-1]), status.PsaErrorInvalidSignature, "VerifyHash of a short signature "+name)
			again := must(p.SignHash(bg, alice, name, alg, h))
			if deterministic := alg.Kind == psa.SignDetEcdsa; deterministic != bytes.Equal(sig, again) {
				t.Fatalf("%s: two signatures equal: %v", name, bytes.Equal(sig, again))
			}
			// The public key alone verifies.
			pub := attrs(psa.KeyEccPublic, c.family, 0, psa.UsageVerifyHash|psa.UsageVerifyMessage, signPolicy(alg))
			wantCode(t, p.ImportKey(bg, alice, name+"-pub", pub, must(p.ExportPublicKey(bg, alice, name))), status.Success, "ImportKey public "+name)
			wantCode(t, p.VerifyHash(bg, alice, name+"-pub", alg, h, sig), status.Success, "VerifyHash with the public key "+name)
			_, err := p.SignHash(bg, alice, name+"-pub", alg, h)
			wantCode(t, err, status.PsaErrorNotPermitted, "SignHash with a public key "+name)
			if alg.HasHash() {
				msg := []byte("message for " + name)
				msig := must(p.SignMessage(bg, alice, name, alg, msg))
				wantCode(t, p.VerifyMessage(bg, alice, name+"-pub", alg, msg, msig), status.Success, "VerifyMessage "+name)
				wantCode(t, p.VerifyMessage(bg, alice, name+"-pub", alg, append(msg, '!'), msig), status.PsaErrorInvalidSignature, "VerifyMessage of another message "+name)
			}
		}
	}
}

// For every ECC key pair of the capability table and every ECDSA variant,
// SignHash answers what CanDoCrypto(Use) answers (Montgomery keys: both
// not supported).
func TestSignAgreesWithCanDoCrypto(t *testing.T) {
	p, _ := newTestProvider(t)
	for _, spec := range keySpecs {
		if spec.kind != psa.KeyEccPair {
			continue
		}
		for _, bits := range spec.sizes {
			for _, alg := range ecdsaAlgs {
				k := randomCurveKey(t, spec.family, bits, allSign, signPolicy(alg))
				h := make([]byte, 32)
				if alg.HasHash() {
					h = make([]byte, alg.Hash.Size())
				}
				err := k.use(psa.UseSign(psa.UsageSignHash, alg, len(h)))
				if err == nil {
					_, err = sign(k, alg, h)
				}
				got, want := codeOf(err), codeOf(p.CanDoCrypto(bg, alice, psa.CheckUse, k.attrs))
				if got != want {
					t.Errorf("%v %d %v: SignHash %v, CanDoCrypto %v", spec.family, bits, alg, got, want)
				}
				if wantOK := spec.family != psa.EccMontgomery; (got == status.Success) != wantOK {
					t.Errorf("%v %d %v: SignHash %v", spec.family, bits, alg, got)
				}
			}
		}
	}
}

// CanDoCrypto on the curves the reference (Mbed Crypto) provider answers
// Success for (facts §11), and on sizes no implementation has.
func TestCanDoCryptoCurves(t *testing.T) {
	p, _ := newTestProvider(t)
	ecdsa256 := signPolicy(signAlg(psa.SignEcdsa, psa.HashSHA256))
	for _, c := range []struct {
		fam    psa.EccFamily
		bits   uint32
		policy psa.Algorithm
	}{
		{psa.EccSecpK1, 256, ecdsa256}, {psa.EccBrainpoolPR1, 256, ecdsa256}, {psa.EccBrainpoolPR1, 384, ecdsa256},
		{psa.EccBrainpoolPR1, 512, ecdsa256}, {psa.EccSecpK1, 256, ecdhPolicy}, {psa.EccBrainpoolPR1, 512, ecdhPolicy},
		{psa.EccMontgomery, 448, ecdhPolicy}, {psa.EccMontgomery, 448, noAlg},
	} {
		a := attrs(psa.KeyEccPair, c.fam, c.bits, allSign|psa.UsageDerive, c.policy)
		for _, check := range []psa.CheckType{psa.CheckGenerate, psa.CheckImport, psa.CheckUse} {
			want := status.Success
			if check == psa.CheckUse && c.policy == noAlg {
				want = status.PsaErrorNotSupported // a key that permits no algorithm has no use
			}
			wantCode(t, p.CanDoCrypto(bg, alice, check, a), want, "CanDoCrypto "+check.String()+" "+a.Type.String()+" "+strconv.Itoa(int(c.bits)))
		}
		pub := a
		pub.Type = pub.Type.PublicOf()
		wantCode(t, p.CanDoCrypto(bg, alice, psa.CheckImport, pub), status.Success, "CanDoCrypto import public "+a.Type.String())
	}
	// The reference answers NotSupported for sizes no curve has; the
	// provider refuses them as not supported or as invalid, and the back end
	// answers NotSupported for both (psa.CanDoAnswer).
	for _, c := range []struct {
		fam  psa.EccFamily
		bits uint32
	}{{psa.EccSecpK1, 512}, {psa.EccBrainpoolPR1, 560}, {psa.EccMontgomery, 512}, {psa.EccSecpR1, 512}} {
		a := attrs(psa.KeyEccPair, c.fam, c.bits, allSign, ecdsa256)
		if got := codeOf(psa.CanDoAnswer(p.CanDoCrypto(bg, alice, psa.CheckGenerate, a))); got != status.PsaErrorNotSupported {
			t.Errorf("CanDoCrypto generate %v %d: %v", a.Type, c.bits, got)
		}
	}
	// Sizes PSA defines that have no implementation here, and the binary
	// (SECT) curves, which stay unimplemented: NotSupported.
	for _, c := range []struct {
		fam  psa.EccFamily
		bits uint32
	}{{psa.EccSecpK1, 192}, {psa.EccSecpK1, 225}, {psa.EccBrainpoolPR1, 224}, {psa.EccBrainpoolPR1, 320},
		{psa.EccSectK1, 409}, {psa.EccSectR1, 409}, {psa.EccFrp, 256}} {
		a := attrs(psa.KeyEccPair, c.fam, c.bits, allSign, ecdsa256)
		for _, check := range []psa.CheckType{psa.CheckGenerate, psa.CheckUse} {
			wantCode(t, p.CanDoCrypto(bg, alice, check, a), status.PsaErrorNotSupported, "CanDoCrypto "+check.String()+" "+a.Type.String()+" "+strconv.Itoa(int(c.bits)))
		}
	}
	// ECDSA does not apply to Montgomery keys (as for X25519).
	a := attrs(psa.KeyEccPair, psa.EccMontgomery, 448, allSign, ecdsa256)
	wantCode(t, p.CanDoCrypto(bg, alice, psa.CheckUse, a), status.PsaErrorNotSupported, "CanDoCrypto ECDSA with X448")
}

// Stored keys of the new curves that do not match their attributes are
// refused when loaded.
func TestCorruptCurveStorage(t *testing.T) {
	bp := must(curveByName(t, "brainpoolP256r1").newPrivate())
	order := curveByName(t, "brainpoolP256r1").weierstrass().Params().N.FillBytes(make([]byte, 32))
	for _, c := range []struct {
		name string
		id   []byte
		a    psa.KeyAttributes
		want status.Code
	}{
		{"short scalar", append([]byte{formatECC}, bp[1:]...), attrs(psa.KeyEccPair, psa.EccBrainpoolPR1, 256, 0, noAlg), status.PsaErrorDataInvalid},
		{"scalar = n", append([]byte{formatECC}, order...), attrs(psa.KeyEccPair, psa.EccBrainpoolPR1, 256, 0, noAlg), status.PsaErrorDataCorrupt},
		{"as 384 bits", append([]byte{formatECC}, bp...), attrs(psa.KeyEccPair, psa.EccBrainpoolPR1, 384, 0, noAlg), status.PsaErrorDataInvalid},
		{"raw P-256 scalar", append([]byte{formatECC}, bp...), attrs(psa.KeyEccPair, psa.EccSecpR1, 256, 0, noAlg), status.PsaErrorDataInvalid},
		{"raw X25519 scalar", append([]byte{formatECC}, bp...), attrs(psa.KeyEccPair, psa.EccMontgomery, 255, 0, noAlg), status.PsaErrorDataInvalid},
		{"point as a pair", append([]byte{formatECC}, make([]byte, 65)...), attrs(psa.KeyEccPair, psa.EccSecpK1, 256, 0, noAlg), status.PsaErrorDataInvalid},
		{"zero point", append([]byte{formatECC}, append([]byte{4}, make([]byte, 64)...)...), attrs(psa.KeyEccPublic, psa.EccSecpK1, 256, 0, noAlg), status.PsaErrorDataCorrupt},
		{"format for an RSA key", append([]byte{formatECC}, bp...), attrs(psa.KeyRsaPair, 0, 2048, 0, noAlg), status.PsaErrorDataInvalid},
		{"PKCS#8 for brainpool", must(encodePrivate(importECCKey(t, 256))), attrs(psa.KeyEccPair, psa.EccBrainpoolPR1, 256, 0, noAlg), status.PsaErrorDataInvalid},
	} {
		_, err := parse(storage.KeyInfo{ID: c.id, Attributes: c.a})
		wantCode(t, err, c.want, c.name)
	}
}

// The e2e suite's case in short: the digest of a message, signed with an
// imported brainpool key and verified with its public key only.
func TestBrainpoolImportedPairSigns(t *testing.T) {
	p, _ := newTestProvider(t)
	v := tdBlocks(t, "ecdh_brainpool_rfc7027.txt")[0]
	alg := signAlg(psa.SignEcdsa, psa.HashSHA256)
	wantCode(t, p.ImportKey(bg, alice, "bp", attrs(psa.KeyEccPair, psa.EccBrainpoolPR1, 256, allSign, signPolicy(alg)), unhex(v["dA"])), status.Success, "ImportKey")
	h := sha256.Sum256([]byte("brainpool"))
	sig := must(p.SignHash(bg, alice, "bp", alg, h[:]))
	pub := &ecdsa.PublicKey{Curve: curveByName(t, "brainpoolP256r1").weierstrass(), X: bigHex(t, v["xQA"]), Y: bigHex(t, v["yQA"])}
	if !ecdsa.Verify(pub, h[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		t.Fatal("crypto/ecdsa does not verify the signature under the RFC 7027 public key")
	}
}
