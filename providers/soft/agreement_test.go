// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package soft

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/x509"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

func agreePolicy(r psa.KeyAgreementRaw) psa.Algorithm {
	return psa.Algorithm{Kind: psa.AlgKeyAgreement, KeyAgreement: psa.KeyAgreement{Raw: r}}
}

var ecdhPolicy = agreePolicy(psa.KeyAgreementEcdh)

// secpAgreeKey builds a parsed secp R1 key pair as load returns it.
func secpAgreeKey(t testing.TB, bits uint32, scalar []byte, usage psa.UsageFlags, policy psa.Algorithm) *key {
	t.Helper()
	priv, err := ecdsa.ParseRawPrivateKey(curveOf(bits), scalar)
	if err != nil {
		t.Fatalf("secp%dr1 scalar: %v", bits, err)
	}
	return &key{attrs: attrs(psa.KeyEccPair, psa.EccSecpR1, bits, usage, policy), ec: priv}
}

// x25519AgreeKey builds a parsed X25519 key pair as load returns it.
func x25519AgreeKey(t testing.TB, scalar []byte, usage psa.UsageFlags, policy psa.Algorithm) *key {
	t.Helper()
	return curveKey(t, psa.EccMontgomery, 255, scalar, usage, policy)
}

func point(x, y []byte) []byte { return append(append([]byte{4}, x...), y...) }

// NIST CAVP ECC CDH primitive, COUNT = 0 of P-256, P-384 and P-521.
func TestAgreementCAVP(t *testing.T) {
	bitsOf := map[string]uint32{"P-256": 256, "P-384": 384, "P-521": 521}
	vs := tdBlocks(t, "ecdh_nist_cavp_cdh.txt")
	if len(vs) != 3 {
		t.Fatalf("%d vectors, want 3", len(vs))
	}
	for _, v := range vs {
		bits := bitsOf[v["Curve"]]
		k := secpAgreeKey(t, bits, unhex(v["dIUT"]), psa.UsageDerive, ecdhPolicy)
		if pub := must(k.ec.PublicKey.Bytes()); !bytes.Equal(pub, point(unhex(v["QIUTx"]), unhex(v["QIUTy"]))) {
			t.Fatalf("%s: dIUT does not give QIUT", v["Curve"])
		}
		got, err := rawAgreement(k, psa.KeyAgreementEcdh, point(unhex(v["QCAVSx"]), unhex(v["QCAVSy"])))
		wantCode(t, err, status.Success, v["Curve"])
		if want := unhex(v["ZIUT"]); !bytes.Equal(got, want) || len(got) != byteLen(int(bits)) {
			t.Fatalf("%s: Z = %x, want %x", v["Curve"], got, want)
		}
	}
}

// RFC 7748 §5.2 (the X25519 function) and §6.1 (Alice and Bob).
func TestAgreementX25519RFC7748(t *testing.T) {
	vs := tdBlocks(t, "ecdh_x25519_rfc7748.txt")
	if len(vs) != 3 {
		t.Fatalf("%d vectors, want 3", len(vs))
	}
	for _, v := range vs[:2] {
		k := x25519AgreeKey(t, unhex(v["Scalar"]), psa.UsageDerive, ecdhPolicy)
		got, err := rawAgreement(k, psa.KeyAgreementEcdh, unhex(v["U"]))
		wantCode(t, err, status.Success, v["Source"])
		if want := unhex(v["Output"]); !bytes.Equal(got, want) {
			t.Fatalf("%s: %x, want %x", v["Source"], got, want)
		}
	}
	v := vs[2]
	a := x25519AgreeKey(t, unhex(v["AlicePrivate"]), psa.UsageDerive, ecdhPolicy)
	b := x25519AgreeKey(t, unhex(v["BobPrivate"]), psa.UsageDerive, ecdhPolicy)
	if !bytes.Equal(must(exportPublic(a)), unhex(v["AlicePublic"])) || !bytes.Equal(must(exportPublic(b)), unhex(v["BobPublic"])) {
		t.Fatal("RFC 7748 §6.1 public keys")
	}
	want := unhex(v["Shared"])
	if got := must(rawAgreement(a, psa.KeyAgreementEcdh, unhex(v["BobPublic"]))); !bytes.Equal(got, want) {
		t.Fatalf("Alice's K = %x, want %x", got, want)
	}
	if got := must(rawAgreement(b, psa.KeyAgreementEcdh, unhex(v["AlicePublic"]))); !bytes.Equal(got, want) {
		t.Fatalf("Bob's K = %x, want %x", got, want)
	}
}

// Malformed, off-curve, other-curve and low-order peer keys are 1135.
func TestAgreementBadPeerKeys(t *testing.T) {
	for _, bits := range []uint32{256, 384, 521} {
		curve := curveOf(bits)
		mine := must(ecdsa.GenerateKey(curve, randReader))
		k := &key{attrs: attrs(psa.KeyEccPair, psa.EccSecpR1, bits, psa.UsageDerive, ecdhPolicy), ec: mine}
		peer := must(must(ecdsa.GenerateKey(curve, randReader)).PublicKey.Bytes())
		n := byteLen(int(bits))
		offCurve := bytes.Clone(peer)
		offCurve[len(offCurve)-1] ^= 1
		compressed := append([]byte{2 + peer[len(peer)-1]&1}, peer[1:1+n]...)
		hybrid := bytes.Clone(peer)
		hybrid[0] = 6 + peer[len(peer)-1]&1
		other := map[uint32]uint32{256: 384, 384: 521, 521: 256}[bits]
		otherCurve := must(must(ecdsa.GenerateKey(curveOf(other), randReader)).PublicKey.Bytes())
		for name, bad := range map[string][]byte{
			"empty": nil, "infinity": {0}, "0x04 only": {4}, "truncated": peer[:len(peer)-1], "long": append(bytes.Clone(peer), 0),
			"off the curve": offCurve, "compressed": compressed, "hybrid": hybrid, "x only": peer[1 : 1+n],
			"other curve": otherCurve, "x25519 key": make([]byte, 32), "zero point": append([]byte{4}, make([]byte, 2*n)...),
		} {
			_, err := rawAgreement(k, psa.KeyAgreementEcdh, bad)
			wantCode(t, err, status.PsaErrorInvalidArgument, "secp"+strconv.Itoa(int(bits))+"r1 peer key "+name)
		}
		if _, err := rawAgreement(k, psa.KeyAgreementEcdh, peer); err != nil {
			t.Fatalf("good peer key refused: %v", err)
		}
	}

	k := x25519AgreeKey(t, bytes.Repeat([]byte{7}, 32), psa.UsageDerive, ecdhPolicy)
	p256 := must(must(ecdsa.GenerateKey(curveOf(256), randReader)).PublicKey.Bytes())
	for name, bad := range map[string][]byte{
		"empty": nil, "31 bytes": make([]byte, 31), "33 bytes": make([]byte, 33), "Curve448 size": make([]byte, 56), "P-256 point": p256,
		// Points of small order give the all-zero secret (RFC 7748 §6.1).
		"zero":      make([]byte, 32),
		"one":       append([]byte{1}, make([]byte, 31)...),
		"order 8":   unhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
		"order 8 b": unhex("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"),
		"p - 1":     unhex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
		"p":         unhex("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
		"p + 1":     unhex("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
	} {
		_, err := rawAgreement(k, psa.KeyAgreementEcdh, bad)
		wantCode(t, err, status.PsaErrorInvalidArgument, "X25519 peer key "+name)
	}
}

// Usage flag, policy, key type and algorithm checks, in that order.
func TestAgreementPolicy(t *testing.T) {
	scalar := unhex(tdBlocks(t, "ecdh_nist_cavp_cdh.txt")[0]["dIUT"])
	peer := must(must(ecdsa.GenerateKey(curveOf(256), randReader)).PublicKey.Bytes())
	hkdf := psa.Algorithm{Kind: psa.AlgKeyAgreement, KeyAgreement: psa.KeyAgreement{Raw: psa.KeyAgreementEcdh, HasKdf: true,
		Kdf: psa.KeyDerivation{Kind: psa.KdfHkdf, Hash: psa.HashSHA256}}}
	ec := must(ecdsa.ParseRawPrivateKey(curveOf(256), scalar))
	cases := []struct {
		name string
		k    *key
		alg  psa.KeyAgreementRaw
		want status.Code
	}{
		{"ECDH", secpAgreeKey(t, 256, scalar, psa.UsageDerive, ecdhPolicy), psa.KeyAgreementEcdh, status.Success},
		{"every flag but derive", secpAgreeKey(t, 256, scalar, allSign|psa.UsageExport|psa.UsageEncrypt|psa.UsageDecrypt|psa.UsageCopy|psa.UsageCache, ecdhPolicy), psa.KeyAgreementEcdh, status.PsaErrorNotPermitted},
		{"policy with key derivation", secpAgreeKey(t, 256, scalar, psa.UsageDerive, hkdf), psa.KeyAgreementEcdh, status.PsaErrorNotPermitted},
		{"policy FFDH", secpAgreeKey(t, 256, scalar, psa.UsageDerive, agreePolicy(psa.KeyAgreementFfdh)), psa.KeyAgreementEcdh, status.PsaErrorNotPermitted},
		{"FFDH request, ECDH policy", secpAgreeKey(t, 256, scalar, psa.UsageDerive, ecdhPolicy), psa.KeyAgreementFfdh, status.PsaErrorNotPermitted},
		{"policy none", secpAgreeKey(t, 256, scalar, psa.UsageDerive, psa.Algorithm{Kind: psa.AlgNone}), psa.KeyAgreementEcdh, status.PsaErrorNotPermitted},
		{"policy ECDSA", secpAgreeKey(t, 256, scalar, psa.UsageDerive|allSign, signPolicy(signAlg(psa.SignEcdsa, psa.HashSHA256))), psa.KeyAgreementEcdh, status.PsaErrorNotPermitted},
		{"policy HKDF", secpAgreeKey(t, 256, scalar, psa.UsageDerive, psa.Algorithm{Kind: psa.AlgKeyDerivation, Kdf: psa.KeyDerivation{Kind: psa.KdfHkdf, Hash: psa.HashSHA256}}), psa.KeyAgreementEcdh, status.PsaErrorNotPermitted},
		{"unset algorithm", secpAgreeKey(t, 256, scalar, psa.UsageDerive, ecdhPolicy), 0, status.PsaErrorInvalidArgument},
		{"unknown algorithm", secpAgreeKey(t, 256, scalar, psa.UsageDerive, agreePolicy(3)), 3, status.PsaErrorInvalidArgument},
		// A public key is not a private key (PSA: INVALID_ARGUMENT).
		{"secp public key", &key{attrs: attrs(psa.KeyEccPublic, psa.EccSecpR1, 256, psa.UsageDerive, ecdhPolicy), ecPub: &ec.PublicKey}, psa.KeyAgreementEcdh, status.PsaErrorInvalidArgument},
		{"X25519 public key", &key{attrs: attrs(psa.KeyEccPublic, psa.EccMontgomery, 255, psa.UsageDerive, ecdhPolicy), montPub: make([]byte, 32)}, psa.KeyAgreementEcdh, status.PsaErrorInvalidArgument},
		{"RSA public key", &key{attrs: attrs(psa.KeyRsaPublic, 0, 2048, psa.UsageDerive, ecdhPolicy), rsaPub: &testRSAKey().PublicKey}, psa.KeyAgreementEcdh, status.PsaErrorInvalidArgument},
		// Key pairs ECDH does not apply to (checkAlgorithm: 1133).
		{"RSA key pair", &key{attrs: attrs(psa.KeyRsaPair, 0, 2048, psa.UsageDerive, ecdhPolicy), rsa: testRSAKey()}, psa.KeyAgreementEcdh, status.PsaErrorNotPermitted},
		{"DH key pair, ECDH", &key{attrs: psa.KeyAttributes{Type: psa.KeyType{Kind: psa.KeyDhPair}, Bits: 2048, Policy: psa.KeyPolicy{Usage: psa.UsageDerive, Alg: ecdhPolicy}}}, psa.KeyAgreementEcdh, status.PsaErrorNotPermitted},
		// FFDH is not implemented (checkAlgorithm: 1134).
		{"FFDH", &key{attrs: psa.KeyAttributes{Type: psa.KeyType{Kind: psa.KeyDhPair}, Bits: 2048, Policy: psa.KeyPolicy{Usage: psa.UsageDerive, Alg: agreePolicy(psa.KeyAgreementFfdh)}}}, psa.KeyAgreementFfdh, status.PsaErrorNotSupported},
		// Curves without an implementation.
		{"secp192k1", &key{attrs: attrs(psa.KeyEccPair, psa.EccSecpK1, 192, psa.UsageDerive, ecdhPolicy)}, psa.KeyAgreementEcdh, status.PsaErrorNotSupported},
		{"brainpoolP320r1", &key{attrs: attrs(psa.KeyEccPair, psa.EccBrainpoolPR1, 320, psa.UsageDerive, ecdhPolicy)}, psa.KeyAgreementEcdh, status.PsaErrorNotSupported},
		{"sect409k1", &key{attrs: attrs(psa.KeyEccPair, psa.EccSectK1, 409, psa.UsageDerive, ecdhPolicy)}, psa.KeyAgreementEcdh, status.PsaErrorNotSupported},
		// A key whose material does not match its attributes.
		{"secp pair without its key", &key{attrs: attrs(psa.KeyEccPair, psa.EccSecpR1, 256, psa.UsageDerive, ecdhPolicy)}, psa.KeyAgreementEcdh, status.PsaErrorDataInvalid},
		{"X25519 pair without its key", &key{attrs: attrs(psa.KeyEccPair, psa.EccMontgomery, 255, psa.UsageDerive, ecdhPolicy)}, psa.KeyAgreementEcdh, status.PsaErrorDataInvalid},
		{"X448 pair without its key", &key{attrs: attrs(psa.KeyEccPair, psa.EccMontgomery, 448, psa.UsageDerive, ecdhPolicy)}, psa.KeyAgreementEcdh, status.PsaErrorDataInvalid},
		{"brainpool pair without its key", &key{attrs: attrs(psa.KeyEccPair, psa.EccBrainpoolPR1, 256, psa.UsageDerive, ecdhPolicy)}, psa.KeyAgreementEcdh, status.PsaErrorDataInvalid},
	}
	for _, c := range cases {
		_, err := rawAgreement(c.k, c.alg, peer)
		wantCode(t, err, c.want, c.name)
	}
}

// For a key pair whose policy is the raw agreement, RawKeyAgreement answers
// what CanDoCrypto(Use) answers, for every stored key type.
func TestAgreementAgreesWithCanDoCrypto(t *testing.T) {
	p, _ := newTestProvider(t)
	families := map[psa.EccFamily]bool{}
	for _, spec := range keySpecs {
		if spec.kind != psa.KeyEccPair {
			continue
		}
		for _, bits := range spec.sizes {
			k := randomCurveKey(t, spec.family, bits, psa.UsageDerive, ecdhPolicy)
			peer := must(exportPublic(randomCurveKey(t, spec.family, bits, 0, noAlg)))
			families[spec.family] = true
			_, err := rawAgreement(k, psa.KeyAgreementEcdh, peer)
			if got, want := codeOf(err), codeOf(p.CanDoCrypto(bg, alice, psa.CheckUse, k.attrs)); got != want || got != status.Success {
				t.Errorf("%v %d: RawKeyAgreement %v, CanDoCrypto %v", k.attrs.Type, bits, got, want)
			}
		}
	}
	if len(families) != 4 {
		t.Fatalf("key pair families in the capability table: %d, want secp R1, secp K1, brainpool and Montgomery", len(families))
	}
	// FFDH with a DH key pair: both say not supported.
	dh := &key{attrs: psa.KeyAttributes{Type: psa.KeyType{Kind: psa.KeyDhPair}, Bits: 2048, Policy: psa.KeyPolicy{Usage: psa.UsageDerive, Alg: agreePolicy(psa.KeyAgreementFfdh)}}}
	_, err := rawAgreement(dh, psa.KeyAgreementFfdh, make([]byte, 256))
	if got := codeOf(err); got != status.PsaErrorNotSupported || codeOf(p.CanDoCrypto(bg, alice, psa.CheckUse, dh.attrs)) != status.PsaErrorNotSupported {
		t.Errorf("FFDH: RawKeyAgreement %v, CanDoCrypto %v", got, codeOf(p.CanDoCrypto(bg, alice, psa.CheckUse, dh.attrs)))
	}
}

// opensslKey generates a key with `openssl genpkey` and returns its PEM
// path and the parsed key.
func opensslKey(t *testing.T, dir, name string, args ...string) (string, any) {
	t.Helper()
	path := filepath.Join(dir, name)
	if out, err := openssl(t, append(append([]string{"genpkey"}, args...), "-out", path)...); err != nil {
		t.Fatalf("openssl genpkey %v: %v\n%s", args, err, out)
	}
	return path, must(x509.ParsePKCS8PrivateKey(readPEM(t, path).Bytes))
}

// opensslDerive runs `openssl pkeyutl -derive`.
func opensslDerive(t *testing.T, dir, priv, peer string) []byte {
	t.Helper()
	out := filepath.Join(dir, "secret")
	if msg, err := openssl(t, "pkeyutl", "-derive", "-inkey", priv, "-peerkey", peer, "-out", out); err != nil {
		t.Fatalf("openssl pkeyutl -derive: %v\n%s", err, msg)
	}
	return must(os.ReadFile(out))
}

// Function level against openssl: for P-256/384/521 and X25519, the secret
// parsecd computes from its private key and openssl's public key equals the
// one openssl computes from its private key and parsecd's public key.
func TestAgreementOpenSSL(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		bits   uint32
		family psa.EccFamily
		args   []string
	}{
		{256, psa.EccSecpR1, []string{"-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"}},
		{384, psa.EccSecpR1, []string{"-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"}},
		{521, psa.EccSecpR1, []string{"-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"}},
		{255, psa.EccMontgomery, []string{"-algorithm", "X25519"}},
	} {
		theirPath, theirKey := opensslKey(t, dir, "their.pem", c.args...)
		var k *key
		var ourPub any
		var theirPSA []byte
		if c.family == psa.EccSecpR1 {
			ours := must(ecdsa.GenerateKey(curveOf(c.bits), randReader))
			k = &key{attrs: attrs(psa.KeyEccPair, c.family, c.bits, psa.UsageDerive, ecdhPolicy), ec: ours}
			ourPub = &ours.PublicKey
			theirPSA = must(theirKey.(*ecdsa.PrivateKey).PublicKey.Bytes())
		} else {
			ours := must(ecdh.X25519().GenerateKey(randReader))
			k = &key{attrs: attrs(psa.KeyEccPair, c.family, c.bits, psa.UsageDerive, ecdhPolicy), mont: ours.Bytes()}
			ourPub = ours.PublicKey()
			theirPSA = theirKey.(*ecdh.PrivateKey).PublicKey().Bytes()
		}
		ourPubPath := writePEM(t, dir, "ourpub.pem", "PUBLIC KEY", must(x509.MarshalPKIXPublicKey(ourPub)))
		theirs := opensslDerive(t, dir, theirPath, ourPubPath)
		ours := must(rawAgreement(k, psa.KeyAgreementEcdh, theirPSA))
		if !bytes.Equal(ours, theirs) || len(ours) != byteLen(int(c.bits)) {
			t.Fatalf("%v %d: parsecd %x, openssl %x", c.family, c.bits, ours, theirs)
		}
	}
}

// Provider level: keys from the store (imported or generated), both
// directions against openssl, and the store's errors.
func TestAgreementProvider(t *testing.T) {
	p, _ := newTestProvider(t)
	_, err := p.RawKeyAgreement(bg, alice, psa.KeyAgreementEcdh, "missing", make([]byte, 65))
	wantCode(t, err, status.PsaErrorDoesNotExist, "RawKeyAgreement with a missing key")

	// The CAVP P-256 vector through ImportKey (secp R1 import exists today).
	v := tdBlocks(t, "ecdh_nist_cavp_cdh.txt")[0]
	a := attrs(psa.KeyEccPair, psa.EccSecpR1, 256, psa.UsageDerive, ecdhPolicy)
	wantCode(t, p.ImportKey(bg, alice, "cavp", a, unhex(v["dIUT"])), status.Success, "ImportKey P-256")
	got := must(p.RawKeyAgreement(bg, alice, psa.KeyAgreementEcdh, "cavp", point(unhex(v["QCAVSx"]), unhex(v["QCAVSy"]))))
	if !bytes.Equal(got, unhex(v["ZIUT"])) {
		t.Fatalf("Z = %x, want %s", got, v["ZIUT"])
	}
	_, err = p.RawKeyAgreement(bg, bob, psa.KeyAgreementEcdh, "cavp", point(unhex(v["QCAVSx"]), unhex(v["QCAVSy"])))
	wantCode(t, err, status.PsaErrorDoesNotExist, "RawKeyAgreement by another application")
	_, err = p.RawKeyAgreement(bg, alice, psa.KeyAgreementEcdh, "cavp", unhex(v["QCAVSx"]))
	wantCode(t, err, status.PsaErrorInvalidArgument, "RawKeyAgreement with a bare x-coordinate")
	_, err = p.RawKeyAgreement(bg, alice, psa.KeyAgreementFfdh, "cavp", make([]byte, 256))
	wantCode(t, err, status.PsaErrorNotPermitted, "FFDH with an ECDH key")
	_, err = p.RawKeyAgreement(bg, alice, 0, "cavp", nil)
	wantCode(t, err, status.PsaErrorInvalidArgument, "no algorithm")

	// An ECDSA key may not agree; a public key is not a private key.
	importECC(t, p, alice, "ecdsa", 256, allSign|psa.UsageDerive, signAlg(psa.SignEcdsa, psa.HashSHA256))
	_, err = p.RawKeyAgreement(bg, alice, psa.KeyAgreementEcdh, "ecdsa", point(unhex(v["QCAVSx"]), unhex(v["QCAVSy"])))
	wantCode(t, err, status.PsaErrorNotPermitted, "ECDH with an ECDSA key")
	pubAttrs := attrs(psa.KeyEccPublic, psa.EccSecpR1, 256, psa.UsageDerive, ecdhPolicy)
	wantCode(t, p.ImportKey(bg, alice, "pub", pubAttrs, point(unhex(v["QIUTx"]), unhex(v["QIUTy"]))), status.Success, "ImportKey P-256 public")
	_, err = p.RawKeyAgreement(bg, alice, psa.KeyAgreementEcdh, "pub", point(unhex(v["QCAVSx"]), unhex(v["QCAVSy"])))
	wantCode(t, err, status.PsaErrorInvalidArgument, "ECDH with a public key")

	// Generated keys against openssl, both directions: parsecd's private key
	// with openssl's public key, openssl's private key with parsecd's public
	// key, and openssl with parsecd's exported private key.
	dir := t.TempDir()
	for _, c := range []struct {
		name   string
		bits   uint32
		family psa.EccFamily
		args   []string
	}{
		{"p256", 256, psa.EccSecpR1, []string{"-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"}},
		{"p384", 384, psa.EccSecpR1, []string{"-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"}},
		{"p521", 521, psa.EccSecpR1, []string{"-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"}},
		{"x25519", 255, psa.EccMontgomery, []string{"-algorithm", "X25519"}},
	} {
		a := attrs(psa.KeyEccPair, c.family, c.bits, psa.UsageDerive|psa.UsageExport, ecdhPolicy)
		if err := p.GenerateKey(bg, alice, c.name, a); err != nil {
			t.Fatalf("PENDING keys.go: GenerateKey of a %v %d-bit key failed (%v)", a.Type, c.bits, err)
		}
		pubPSA := must(p.ExportPublicKey(bg, alice, c.name))
		privPSA := must(p.ExportKey(bg, alice, c.name))
		var ourPub, ourPriv any
		var err error
		if c.family == psa.EccSecpR1 {
			ourPub, err = ecdsa.ParseUncompressedPublicKey(curveOf(c.bits), pubPSA)
			if err == nil {
				ourPriv, err = ecdsa.ParseRawPrivateKey(curveOf(c.bits), privPSA)
			}
		} else {
			ourPub, err = ecdh.X25519().NewPublicKey(pubPSA)
			if err == nil {
				ourPriv, err = ecdh.X25519().NewPrivateKey(privPSA)
			}
		}
		if err != nil {
			t.Fatalf("%s: exported key does not parse: %v", c.name, err)
		}
		ourPubPath := writePEM(t, dir, "ourpub.pem", "PUBLIC KEY", must(x509.MarshalPKIXPublicKey(ourPub)))
		ourPrivPath := writePEM(t, dir, "ourpriv.pem", "PRIVATE KEY", must(x509.MarshalPKCS8PrivateKey(ourPriv)))

		theirPath, theirKey := opensslKey(t, dir, "their.pem", c.args...)
		var theirPub any
		var theirPSA []byte
		switch tk := theirKey.(type) {
		case *ecdsa.PrivateKey:
			theirPub, theirPSA = &tk.PublicKey, must(tk.PublicKey.Bytes())
		case *ecdh.PrivateKey:
			theirPub, theirPSA = tk.PublicKey(), tk.PublicKey().Bytes()
		}
		theirPubPath := writePEM(t, dir, "theirpub.pem", "PUBLIC KEY", must(x509.MarshalPKIXPublicKey(theirPub)))

		ours := must(p.RawKeyAgreement(bg, alice, psa.KeyAgreementEcdh, c.name, theirPSA))
		theirs := opensslDerive(t, dir, theirPath, ourPubPath)
		viaExport := opensslDerive(t, dir, ourPrivPath, theirPubPath)
		if !bytes.Equal(ours, theirs) || !bytes.Equal(ours, viaExport) || len(ours) != byteLen(int(c.bits)) {
			t.Fatalf("%s: parsecd %x, openssl (their key) %x, openssl (our exported key) %x", c.name, ours, theirs, viaExport)
		}
	}

	// RFC 7748 §6.1 through ImportKey of X25519 key pairs.
	x := tdBlocks(t, "ecdh_x25519_rfc7748.txt")[2]
	xa := attrs(psa.KeyEccPair, psa.EccMontgomery, 255, psa.UsageDerive, ecdhPolicy)
	if err := p.ImportKey(bg, alice, "rfc7748-alice", xa, unhex(x["AlicePrivate"])); err != nil {
		t.Fatalf("PENDING keys.go: ImportKey of an X25519 key pair failed (%v)", err)
	}
	if got := must(p.RawKeyAgreement(bg, alice, psa.KeyAgreementEcdh, "rfc7748-alice", unhex(x["BobPublic"]))); !bytes.Equal(got, unhex(x["Shared"])) {
		t.Fatalf("RFC 7748 §6.1 K = %x", got)
	}
	_, err = p.RawKeyAgreement(bg, alice, psa.KeyAgreementEcdh, "rfc7748-alice", make([]byte, 32))
	wantCode(t, err, status.PsaErrorInvalidArgument, "X25519 with the zero point")
}

// psa.CheckKeyAgreement on its own.
func TestCheckKeyAgreementDirect(t *testing.T) {
	pair := func(usage psa.UsageFlags, policy psa.Algorithm) psa.KeyAttributes {
		return attrs(psa.KeyEccPair, psa.EccSecpR1, 256, usage, policy)
	}
	withKdf := psa.Algorithm{Kind: psa.AlgKeyAgreement, KeyAgreement: psa.KeyAgreement{Raw: psa.KeyAgreementEcdh, HasKdf: true,
		Kdf: psa.KeyDerivation{Kind: psa.KdfTls12Prf, Hash: psa.HashSHA256}}}
	for _, c := range []struct {
		name string
		a    psa.KeyAttributes
		alg  psa.KeyAgreementRaw
		want status.Code
	}{
		{"ECDH", pair(psa.UsageDerive, ecdhPolicy), psa.KeyAgreementEcdh, status.Success},
		{"FFDH", pair(psa.UsageDerive, agreePolicy(psa.KeyAgreementFfdh)), psa.KeyAgreementFfdh, status.Success},
		{"no derive flag", pair(psa.UsageExport, ecdhPolicy), psa.KeyAgreementEcdh, status.PsaErrorNotPermitted},
		{"other raw agreement", pair(psa.UsageDerive, ecdhPolicy), psa.KeyAgreementFfdh, status.PsaErrorNotPermitted},
		{"with key derivation", pair(psa.UsageDerive, withKdf), psa.KeyAgreementEcdh, status.PsaErrorNotPermitted},
		{"not a key agreement policy", pair(psa.UsageDerive, macPolicy(cmacAlg)), psa.KeyAgreementEcdh, status.PsaErrorNotPermitted},
		{"no algorithm", pair(psa.UsageDerive, ecdhPolicy), 0, status.PsaErrorInvalidArgument},
		{"unknown algorithm", pair(psa.UsageDerive, ecdhPolicy), 7, status.PsaErrorInvalidArgument},
	} {
		wantCode(t, psa.CheckKeyAgreement(c.a, c.alg), c.want, c.name)
	}
}
