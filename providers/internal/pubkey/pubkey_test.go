// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package pubkey

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"testing"

	"github.com/parsecd/parsecd/providers/providertest"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

func TestExport(t *testing.T) {
	rk, ec := providertest.GoKeys(t)
	der, err := Export(&rk.PublicKey)
	if got, perr := x509.ParsePKCS1PublicKey(der); err != nil || perr != nil || !got.Equal(&rk.PublicKey) {
		t.Fatalf("Export(RSA) = %x, %v", der, err)
	}
	pt, err := Export(&ec[384].PublicKey)
	if got, perr := ecdsa.ParseUncompressedPublicKey(ec[384].Curve, pt); err != nil || perr != nil || !got.Equal(&ec[384].PublicKey) {
		t.Fatalf("Export(P-384) = %x, %v", pt, err)
	}
	if _, err := Export("not a key"); !errors.Is(err, status.PsaErrorGenericError) {
		t.Fatalf("Export(string) = %v", err)
	}
}

func TestVerify(t *testing.T) {
	rk, ec := providertest.GoKeys(t)
	d := sha256.Sum256([]byte("m"))
	pkcs1, _ := rsa.SignPKCS1v15(nil, rk, crypto.SHA256, d[:])
	pss, _ := rsa.SignPSS(rand.Reader, rk, crypto.SHA256, d[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	pssMax, _ := rsa.SignPSS(rand.Reader, rk, crypto.SHA256, d[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto})
	r, s, _ := ecdsa.Sign(rand.Reader, ec[521], d[:])
	n := 66 // ⌈521/8⌉
	rs := make([]byte, 2*n)
	r.FillBytes(rs[:n])
	s.FillBytes(rs[n:])
	sign := func(k psa.SignKind) psa.AsymSign { return psa.AsymSign{Kind: k, Hash: psa.HashSHA256} }
	for _, tc := range []struct {
		what string
		pub  crypto.PublicKey
		alg  psa.AsymSign
		sig  []byte
		want status.Code
	}{
		{"PKCS#1 v1.5", &rk.PublicKey, sign(psa.SignRsaPkcs1v15), pkcs1, status.Success},
		{"PSS", &rk.PublicKey, sign(psa.SignRsaPss), pss, status.Success},
		{"PSS with the largest salt", &rk.PublicKey, sign(psa.SignRsaPss), pssMax, status.PsaErrorInvalidSignature},
		{"PKCS#1 as PSS", &rk.PublicKey, sign(psa.SignRsaPss), pkcs1, status.PsaErrorInvalidSignature},
		{"ECDSA P-521", &ec[521].PublicKey, sign(psa.SignEcdsa), rs, status.Success},
		{"ECDSA short", &ec[521].PublicKey, sign(psa.SignEcdsa), rs[1:], status.PsaErrorInvalidSignature},
		{"deterministic ECDSA", &ec[521].PublicKey, sign(psa.SignDetEcdsa), rs, status.PsaErrorNotSupported},
		{"ECDSA on RSA", &rk.PublicKey, sign(psa.SignEcdsa), pkcs1, status.PsaErrorNotSupported},
	} {
		err := Verify(tc.pub, tc.alg, crypto.SHA256, d[:], tc.sig)
		if got := status.CodeOf(err); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.what, err, tc.want)
		}
	}
}
