// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package soft

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"math/big"
	"testing"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

// checkSignature verifies sig independently of the provider, with crypto/rsa
// and crypto/ecdsa. PSS is checked with salt length = hash length exactly.
func checkSignature(t *testing.T, pub crypto.PublicKey, alg psa.AsymSign, digest, sig []byte) {
	t.Helper()
	var ch crypto.Hash
	if alg.HasHash() {
		ch = must(cryptoHash(alg.Hash))
	}
	var err error
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if len(sig) != k.Size() {
			t.Fatalf("RSA signature is %d bytes, want %d", len(sig), k.Size())
		}
		switch alg.Kind {
		case psa.SignRsaPkcs1v15, psa.SignRsaPkcs1v15Raw:
			err = rsa.VerifyPKCS1v15(k, ch, digest, sig)
		case psa.SignRsaPss:
			err = rsa.VerifyPSS(k, ch, digest, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		default:
			t.Fatalf("%v with an RSA key", alg)
		}
	case *ecdsa.PublicKey:
		n := byteLen(k.Curve.Params().BitSize)
		if len(sig) != 2*n {
			t.Fatalf("ECDSA signature is %d bytes, want %d", len(sig), 2*n)
		}
		if !ecdsa.Verify(k, digest, new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:])) {
			err = fmt.Errorf("crypto/ecdsa: verification failed")
		}
	}
	if err != nil {
		t.Fatalf("%v signature does not verify with the Go standard library: %v", alg, err)
	}
}

func digestFor(t *testing.T, alg psa.AsymSign, msg string) []byte {
	t.Helper()
	if !alg.HasHash() {
		return bytes.Repeat([]byte{0xab}, 36) // any length fits the raw variants
	}
	return must(digestOf(alg.Hash, []byte(msg)))
}

type signCase struct {
	name string
	bits uint32 // 0 = the shared RSA 2048 test key, else a secp R1 curve
	alg  psa.AsymSign
}

func signCases() []signCase {
	var cs []signCase
	for _, h := range []psa.Hash{psa.HashMD5, psa.HashSHA1, psa.HashSHA224, psa.HashSHA256, psa.HashSHA384, psa.HashSHA512,
		psa.HashSHA512224, psa.HashSHA512256, psa.HashSHA3_224, psa.HashSHA3_256, psa.HashSHA3_384, psa.HashSHA3_512} {
		cs = append(cs, signCase{"rsa-pkcs1-" + h.String(), 0, signAlg(psa.SignRsaPkcs1v15, h)})
	}
	for _, h := range []psa.Hash{psa.HashSHA1, psa.HashSHA256, psa.HashSHA384, psa.HashSHA512, psa.HashSHA3_256} {
		cs = append(cs, signCase{"rsa-pss-" + h.String(), 0, signAlg(psa.SignRsaPss, h)})
	}
	cs = append(cs, signCase{"rsa-pkcs1-raw", 0, psa.AsymSign{Kind: psa.SignRsaPkcs1v15Raw}})
	for _, c := range []struct {
		bits uint32
		h    psa.Hash
	}{{256, psa.HashSHA256}, {384, psa.HashSHA384}, {521, psa.HashSHA512}, {256, psa.HashSHA512}, {521, psa.HashSHA256}, {256, psa.HashSHA3_256}, {256, psa.HashSHA1}} {
		cs = append(cs, signCase{fmt.Sprintf("ecdsa-p%d-%v", c.bits, c.h), c.bits, signAlg(psa.SignEcdsa, c.h)})
		cs = append(cs, signCase{fmt.Sprintf("det-ecdsa-p%d-%v", c.bits, c.h), c.bits, signAlg(psa.SignDetEcdsa, c.h)})
	}
	for _, bits := range []uint32{256, 384, 521} {
		cs = append(cs, signCase{fmt.Sprintf("ecdsa-any-p%d", bits), bits, psa.AsymSign{Kind: psa.SignEcdsaAny}})
	}
	return cs
}

func TestSignHashAlgorithms(t *testing.T) {
	for _, tc := range signCases() {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := newTestProvider(t)
			var pub crypto.PublicKey
			if tc.bits == 0 {
				pub = &importRSA(t, p, alice, "k", allSign, signPolicy(tc.alg)).PublicKey
			} else {
				pub = &importECC(t, p, alice, "k", tc.bits, allSign, tc.alg).PublicKey
			}
			h := digestFor(t, tc.alg, "message")
			sig, err := p.SignHash(bg, alice, "k", tc.alg, h)
			wantCode(t, err, status.Success, "SignHash")
			checkSignature(t, pub, tc.alg, h, sig)
			wantCode(t, p.VerifyHash(bg, alice, "k", tc.alg, h, sig), status.Success, "VerifyHash")
			wantCode(t, p.VerifyHash(bg, alice, "k", tc.alg, h, flipBit(sig, len(sig)-1)), status.PsaErrorInvalidSignature, "VerifyHash tampered signature")
			wantCode(t, p.VerifyHash(bg, alice, "k", tc.alg, flipBit(h, 0), sig), status.PsaErrorInvalidSignature, "VerifyHash tampered hash")

			again := must(p.SignHash(bg, alice, "k", tc.alg, h))
			deterministic := tc.alg.Kind == psa.SignRsaPkcs1v15 || tc.alg.Kind == psa.SignRsaPkcs1v15Raw || tc.alg.Kind == psa.SignDetEcdsa
			if deterministic != bytes.Equal(sig, again) {
				t.Fatalf("two signatures equal: %v, want %v", bytes.Equal(sig, again), deterministic)
			}
		})
	}
}

func TestSignPolicy(t *testing.T) {
	p, _ := newTestProvider(t)
	ecdsa256 := signAlg(psa.SignEcdsa, psa.HashSHA256)
	ecdsa384 := signAlg(psa.SignEcdsa, psa.HashSHA384)
	h256 := digestFor(t, ecdsa256, "m")
	h384 := digestFor(t, ecdsa384, "m")

	// A wildcard policy permits any specific hash.
	anyHash := psa.AsymSign{Kind: psa.SignEcdsa, AnyHash: true}
	e := importECC(t, p, alice, "any", 256, allSign, anyHash)
	for _, tc := range []struct {
		alg psa.AsymSign
		h   []byte
	}{{ecdsa256, h256}, {ecdsa384, h384}} {
		sig, err := p.SignHash(bg, alice, "any", tc.alg, tc.h)
		wantCode(t, err, status.Success, "SignHash under AnyHash policy "+tc.alg.String())
		checkSignature(t, &e.PublicKey, tc.alg, tc.h, sig)
		wantCode(t, p.VerifyHash(bg, alice, "any", tc.alg, tc.h, sig), status.Success, "VerifyHash under AnyHash policy")
	}
	_, err := p.SignHash(bg, alice, "any", anyHash, h256)
	wantCode(t, err, status.PsaErrorInvalidArgument, "SignHash with the wildcard as algorithm")
	_, err = p.SignHash(bg, alice, "any", signAlg(psa.SignDetEcdsa, psa.HashSHA256), h256)
	wantCode(t, err, status.PsaErrorNotPermitted, "wildcard ECDSA policy used for deterministic ECDSA")

	importECC(t, p, alice, "verify-only", 256, psa.UsageVerifyHash, ecdsa256)
	_, err = p.SignHash(bg, alice, "verify-only", ecdsa256, h256)
	wantCode(t, err, status.PsaErrorNotPermitted, "SignHash without sign_hash")
	importECC(t, p, alice, "sign-only", 256, psa.UsageSignHash, ecdsa256)
	sig := must(p.SignHash(bg, alice, "sign-only", ecdsa256, h256))
	wantCode(t, p.VerifyHash(bg, alice, "sign-only", ecdsa256, h256, sig), status.PsaErrorNotPermitted, "VerifyHash without verify_hash")

	importECC(t, p, alice, "p256", 256, allSign, ecdsa256)
	_, err = p.SignHash(bg, alice, "p256", ecdsa384, h384)
	wantCode(t, err, status.PsaErrorNotPermitted, "SignHash with another hash")
	_, err = p.SignHash(bg, alice, "p256", signAlg(psa.SignDetEcdsa, psa.HashSHA256), h256)
	wantCode(t, err, status.PsaErrorNotPermitted, "SignHash with another variant")
	_, err = p.SignHash(bg, alice, "p256", ecdsa256, h384)
	wantCode(t, err, status.PsaErrorInvalidArgument, "SignHash with a hash of the wrong length")
	_, err = p.SignHash(bg, alice, "p256", signAlg(psa.SignEcdsa, psa.HashNone), h256)
	wantCode(t, err, status.PsaErrorInvalidArgument, "SignHash without a hash")

	// An ECC key whose policy names an RSA algorithm.
	rsaAlg := signAlg(psa.SignRsaPkcs1v15, psa.HashSHA256)
	importECC(t, p, alice, "mismatch", 256, allSign, rsaAlg)
	_, err = p.SignHash(bg, alice, "mismatch", rsaAlg, h256)
	wantCode(t, err, status.PsaErrorNotPermitted, "RSA algorithm with an ECC key")

	// A policy allowing no algorithm.
	wantCode(t, p.ImportKey(bg, alice, "none", attrs(psa.KeyEccPair, psa.EccSecpR1, 256, allSign, psa.Algorithm{Kind: psa.AlgNone}),
		must(importECCKey(t, 256).Bytes())), status.Success, "ImportKey")
	_, err = p.SignHash(bg, alice, "none", ecdsa256, h256)
	wantCode(t, err, status.PsaErrorNotPermitted, "SignHash under policy None")

	// Public keys cannot sign, even with the usage flag.
	point := must(e.PublicKey.Bytes())
	wantCode(t, p.ImportKey(bg, alice, "pub", attrs(psa.KeyEccPublic, psa.EccSecpR1, 256, allSign, signPolicy(ecdsa256)), point), status.Success, "ImportKey public")
	_, err = p.SignHash(bg, alice, "pub", ecdsa256, h256)
	wantCode(t, err, status.PsaErrorInvalidArgument, "SignHash with a public key")

	// MD2 is not implemented.
	md2 := signAlg(psa.SignRsaPkcs1v15, psa.HashMD2)
	importRSA(t, p, alice, "md2", allSign, signPolicy(md2))
	_, err = p.SignHash(bg, alice, "md2", md2, make([]byte, 16))
	wantCode(t, err, status.PsaErrorNotSupported, "SignHash with MD2")
	wantCode(t, p.VerifyHash(bg, alice, "md2", md2, make([]byte, 16), make([]byte, 256)), status.PsaErrorNotSupported, "VerifyHash with MD2")

	// Raw PKCS#1 v1.5 input must leave room for the padding.
	raw := psa.AsymSign{Kind: psa.SignRsaPkcs1v15Raw}
	importRSA(t, p, alice, "raw", allSign, signPolicy(raw))
	must(p.SignHash(bg, alice, "raw", raw, make([]byte, 256-11)))
	_, err = p.SignHash(bg, alice, "raw", raw, make([]byte, 256-10))
	wantCode(t, err, status.PsaErrorInvalidArgument, "SignHash raw input too long")

	_, err = p.SignHash(bg, alice, "missing", ecdsa256, h256)
	wantCode(t, err, status.PsaErrorDoesNotExist, "SignHash missing key")
	wantCode(t, p.VerifyHash(bg, alice, "missing", ecdsa256, h256, sig), status.PsaErrorDoesNotExist, "VerifyHash missing key")
}

func TestVerifyEdgeCases(t *testing.T) {
	p, _ := newTestProvider(t)
	ecdsa256 := signAlg(psa.SignEcdsa, psa.HashSHA256)
	h := digestFor(t, ecdsa256, "m")
	e := importECC(t, p, alice, "ecc", 256, allSign, ecdsa256)
	sig := must(p.SignHash(bg, alice, "ecc", ecdsa256, h))
	n := curveOf(256).Params().N
	nBytes := n.FillBytes(make([]byte, 32))
	for name, bad := range map[string][]byte{
		"empty":       nil,
		"short":       sig[:63],
		"long":        append(bytes.Clone(sig), 0),
		"r-zero":      append(make([]byte, 32), sig[32:]...),
		"s-zero":      append(bytes.Clone(sig[:32]), make([]byte, 32)...),
		"r-order":     append(bytes.Clone(nBytes), sig[32:]...),
		"s-order":     append(bytes.Clone(sig[:32]), nBytes...),
		"all-ones":    bytes.Repeat([]byte{0xff}, 64),
		"der-encoded": must(ecdsa.SignASN1(randReader, e, h)),
	} {
		wantCode(t, p.VerifyHash(bg, alice, "ecc", ecdsa256, h, bad), status.PsaErrorInvalidSignature, "ECDSA "+name)
	}

	pkcs1 := signAlg(psa.SignRsaPkcs1v15, psa.HashSHA256)
	k := importRSA(t, p, alice, "rsa", allSign, signPolicy(pkcs1))
	rsig := must(p.SignHash(bg, alice, "rsa", pkcs1, h))
	for name, bad := range map[string][]byte{
		"empty":   nil,
		"short":   rsig[1:],
		"long":    append([]byte{0}, rsig...),
		"modulus": k.N.FillBytes(make([]byte, 256)),
		"above":   bytes.Repeat([]byte{0xff}, 256),
		"zero":    make([]byte, 256),
	} {
		wantCode(t, p.VerifyHash(bg, alice, "rsa", pkcs1, h, bad), status.PsaErrorInvalidSignature, "RSA "+name)
	}

	// Public-only keys verify.
	wantCode(t, p.ImportKey(bg, alice, "rsa-pub", attrs(psa.KeyRsaPublic, 0, 2048, psa.UsageVerifyHash, signPolicy(pkcs1)), x509.MarshalPKCS1PublicKey(&k.PublicKey)), status.Success, "ImportKey RSA public")
	wantCode(t, p.VerifyHash(bg, alice, "rsa-pub", pkcs1, h, rsig), status.Success, "VerifyHash RSA public key")
	wantCode(t, p.VerifyHash(bg, alice, "rsa-pub", pkcs1, h, flipBit(rsig, 5)), status.PsaErrorInvalidSignature, "VerifyHash RSA public key, bad signature")
	wantCode(t, p.ImportKey(bg, alice, "ecc-pub", attrs(psa.KeyEccPublic, psa.EccSecpR1, 256, psa.UsageVerifyHash, signPolicy(ecdsa256)), must(e.PublicKey.Bytes())), status.Success, "ImportKey ECC public")
	wantCode(t, p.VerifyHash(bg, alice, "ecc-pub", ecdsa256, h, sig), status.Success, "VerifyHash ECC public key")
}

func TestMessageSign(t *testing.T) {
	msg := []byte("a message signed whole, hashed inside the provider")
	cases := []signCase{
		{"rsa-pkcs1-sha256", 0, signAlg(psa.SignRsaPkcs1v15, psa.HashSHA256)},
		{"rsa-pss-sha384", 0, signAlg(psa.SignRsaPss, psa.HashSHA384)},
		{"ecdsa-p256-sha256", 256, signAlg(psa.SignEcdsa, psa.HashSHA256)},
		{"ecdsa-p384-sha3-384", 384, signAlg(psa.SignEcdsa, psa.HashSHA3_384)},
		{"det-ecdsa-p521-sha512", 521, signAlg(psa.SignDetEcdsa, psa.HashSHA512)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := newTestProvider(t)
			var pub crypto.PublicKey
			if tc.bits == 0 {
				pub = &importRSA(t, p, alice, "k", allSign, signPolicy(tc.alg)).PublicKey
			} else {
				pub = &importECC(t, p, alice, "k", tc.bits, allSign, tc.alg).PublicKey
			}
			sig, err := p.SignMessage(bg, alice, "k", tc.alg, msg)
			wantCode(t, err, status.Success, "SignMessage")
			digest := must(digestOf(tc.alg.Hash, msg))
			checkSignature(t, pub, tc.alg, digest, sig)
			wantCode(t, p.VerifyMessage(bg, alice, "k", tc.alg, msg, sig), status.Success, "VerifyMessage")
			wantCode(t, p.VerifyHash(bg, alice, "k", tc.alg, digest, sig), status.Success, "VerifyHash of the message digest")
			wantCode(t, p.VerifyMessage(bg, alice, "k", tc.alg, msg[1:], sig), status.PsaErrorInvalidSignature, "VerifyMessage other message")
			wantCode(t, p.VerifyMessage(bg, alice, "k", tc.alg, msg, flipBit(sig, 3)), status.PsaErrorInvalidSignature, "VerifyMessage tampered")
			hs := must(p.SignHash(bg, alice, "k", tc.alg, digest))
			wantCode(t, p.VerifyMessage(bg, alice, "k", tc.alg, msg, hs), status.Success, "VerifyMessage of a SignHash signature")
			empty := must(p.SignMessage(bg, alice, "k", tc.alg, nil))
			wantCode(t, p.VerifyMessage(bg, alice, "k", tc.alg, []byte{}, empty), status.Success, "empty message")
		})
	}

	p, _ := newTestProvider(t)
	ecdsa256 := signAlg(psa.SignEcdsa, psa.HashSHA256)
	importECC(t, p, alice, "hash-only", 256, psa.UsageSignHash|psa.UsageVerifyHash, ecdsa256)
	_, err := p.SignMessage(bg, alice, "hash-only", ecdsa256, msg)
	wantCode(t, err, status.PsaErrorNotPermitted, "SignMessage without sign_message")
	wantCode(t, p.VerifyMessage(bg, alice, "hash-only", ecdsa256, msg, make([]byte, 64)), status.PsaErrorNotPermitted, "VerifyMessage without verify_message")

	anyAlg := psa.AsymSign{Kind: psa.SignEcdsaAny}
	importECC(t, p, alice, "any", 256, allSign, anyAlg)
	_, err = p.SignMessage(bg, alice, "any", anyAlg, msg)
	wantCode(t, err, status.PsaErrorInvalidArgument, "SignMessage with EcdsaAny")
	wantCode(t, p.VerifyMessage(bg, alice, "any", anyAlg, msg, make([]byte, 64)), status.PsaErrorInvalidArgument, "VerifyMessage with EcdsaAny")
	raw := psa.AsymSign{Kind: psa.SignRsaPkcs1v15Raw}
	importRSA(t, p, alice, "raw", allSign, signPolicy(raw))
	_, err = p.SignMessage(bg, alice, "raw", raw, msg)
	wantCode(t, err, status.PsaErrorInvalidArgument, "SignMessage with raw PKCS#1 v1.5")

	wild := psa.AsymSign{Kind: psa.SignEcdsa, AnyHash: true}
	importECC(t, p, alice, "wild", 256, allSign, wild)
	_, err = p.SignMessage(bg, alice, "wild", wild, msg)
	wantCode(t, err, status.PsaErrorInvalidArgument, "SignMessage with the wildcard")
	sig := must(p.SignMessage(bg, alice, "wild", signAlg(psa.SignEcdsa, psa.HashSHA512), msg))
	wantCode(t, p.VerifyMessage(bg, alice, "wild", signAlg(psa.SignEcdsa, psa.HashSHA512), msg, sig), status.Success, "VerifyMessage under AnyHash")

	md4 := signAlg(psa.SignEcdsa, psa.HashMD4)
	importECC(t, p, alice, "md4", 256, allSign, md4)
	_, err = p.SignMessage(bg, alice, "md4", md4, msg)
	wantCode(t, err, status.PsaErrorNotSupported, "SignMessage with MD4")

	_, err = p.SignMessage(bg, alice, "missing", ecdsa256, msg)
	wantCode(t, err, status.PsaErrorDoesNotExist, "SignMessage missing")
	wantCode(t, p.VerifyMessage(bg, alice, "missing", ecdsa256, msg, sig), status.PsaErrorDoesNotExist, "VerifyMessage missing")
}
