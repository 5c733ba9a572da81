// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package soft

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

// A declared size that the data does not have is InvalidArgument, even
// when the provider lacks keys of the declared size; a declared size that
// the data has but the provider lacks stays NotSupported.
func TestImportDeclaredSizeMismatch(t *testing.T) {
	p, _ := newTestProvider(t)
	k := must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	point := must(k.PublicKey.Bytes())
	scalar := must(k.Bytes())
	sign := signPolicy(psa.AsymSign{Kind: psa.SignEcdsa, Hash: psa.HashSHA256})
	for _, tc := range []struct {
		what string
		a    psa.KeyAttributes
		data []byte
		want status.Code
	}{
		{"P-256 point declared as 224 bits", attrs(psa.KeyEccPublic, psa.EccSecpR1, 224, psa.UsageVerifyHash, sign), point, status.PsaErrorInvalidArgument},
		{"P-256 point declared as 192 bits", attrs(psa.KeyEccPublic, psa.EccSecpR1, 192, psa.UsageVerifyHash, sign), point, status.PsaErrorInvalidArgument},
		{"P-256 scalar declared as 224 bits", attrs(psa.KeyEccPair, psa.EccSecpR1, 224, psa.UsageSignHash, sign), scalar, status.PsaErrorInvalidArgument},
		{"P-256 point declared as 384 bits", attrs(psa.KeyEccPublic, psa.EccSecpR1, 384, psa.UsageVerifyHash, sign), point, status.PsaErrorInvalidArgument},
		{"a 224-bit point declared as 224 bits", attrs(psa.KeyEccPublic, psa.EccSecpR1, 224, psa.UsageVerifyHash, sign), make([]byte, 57), status.PsaErrorNotSupported},
		{"a 16-byte AES key declared as 512 bits", attrs(psa.KeyAes, 0, 512, psa.UsageEncrypt, psa.Algorithm{Kind: psa.AlgNone}), make([]byte, 16), status.PsaErrorInvalidArgument},
		{"P-256 point declared as 256 bits", attrs(psa.KeyEccPublic, psa.EccSecpR1, 256, psa.UsageVerifyHash, sign), point, status.Success},
	} {
		wantCode(t, p.ImportKey(bg, alice, "k-"+tc.what, tc.a, tc.data), tc.want, tc.what)
	}
}
