// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package tpm

import (
	"context"
	"strings"
	"testing"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

func TestCapsFromTPM(t *testing.T) {
	p := newTestProvider(t, "", nil)
	if len(p.caps.rsaBits) == 0 || p.caps.rsaBits[0] != 2048 {
		t.Fatalf("RSA sizes %v: swtpm supports 2048", p.caps.rsaBits)
	}
	if got := p.caps.curveBits(); len(got) < 2 || got[0] != 256 || got[1] != 384 {
		t.Fatalf("curves %v: swtpm supports P-256 and P-384", got)
	}
	if p.caps.maxDigest < 32 {
		t.Fatalf("TPM_PT_MAX_DIGEST %d", p.caps.maxDigest)
	}
	t.Logf("swtpm: %v", p.caps)
}

func TestCanDoCrypto(t *testing.T) {
	p := newTestProvider(t, "", nil)
	ctx := context.Background()
	aes := psa.KeyAttributes{Type: psa.KeyType{Kind: psa.KeyAes}, Bits: 128}
	cases := []struct {
		check psa.CheckType
		a     psa.KeyAttributes
		want  status.Code
	}{
		{psa.CheckGenerate, signAttrs(psa.KeyRsaPair, 2048, allUsage, rsaPKCS1), status.Success},
		{psa.CheckGenerate, signAttrs(psa.KeyEccPair, 384, allUsage, ecdsa256), status.Success},
		{psa.CheckGenerate, signAttrs(psa.KeyRsaPair, 1024, allUsage, rsaPKCS1), status.PsaErrorNotSupported},
		{psa.CheckGenerate, signAttrs(psa.KeyEccPublic, 256, allUsage, ecdsa256), status.PsaErrorInvalidArgument},
		{psa.CheckGenerate, aes, status.PsaErrorNotSupported},
		{psa.CheckImport, signAttrs(psa.KeyRsaPublic, 0, allUsage, rsaPKCS1), status.Success},
		{psa.CheckImport, signAttrs(psa.KeyEccPair, 256, allUsage, ecdsa256), status.Success},
		{psa.CheckUse, signAttrs(psa.KeyRsaPair, 2048, allUsage, signAlg(psa.SignRsaPss, psa.HashSHA384)), status.Success},
		{psa.CheckUse, signAttrs(psa.KeyEccPair, 256, allUsage, psa.AsymSign{Kind: psa.SignEcdsaAny}), status.Success},
		{psa.CheckUse, cryptAttrs(psa.KeyRsaPair, 2048, allUsage, oaep(psa.HashSHA256)), status.Success},
		{psa.CheckUse, cryptAttrs(psa.KeyRsaPair, 2048, allUsage, pkcs1Crypt), status.Success},
		// An algorithm of another family, no size: NotSupported, as Parsec answers (psa.CheckCanDo).
		{psa.CheckUse, signAttrs(psa.KeyEccPair, 256, allUsage, rsaPKCS1), status.PsaErrorNotSupported},
		{psa.CheckUse, cryptAttrs(psa.KeyEccPair, 256, allUsage, pkcs1Crypt), status.PsaErrorNotSupported},
		{psa.CheckUse, signAttrs(psa.KeyRsaPair, 2048, allUsage, psa.AsymSign{Kind: psa.SignRsaPkcs1v15Raw}), status.PsaErrorNotSupported},
		{psa.CheckUse, signAttrs(psa.KeyEccPair, 256, allUsage, signAlg(psa.SignDetEcdsa, psa.HashSHA256)), status.PsaErrorNotSupported},
		{psa.CheckUse, signAttrs(psa.KeyEccPair, 256, allUsage, signAlg(psa.SignEcdsa, psa.HashSHA3_256)), status.PsaErrorNotSupported},
		{psa.CheckUse, signAttrs(psa.KeyRsaPair, 0, allUsage, rsaPKCS1), status.PsaErrorNotSupported},
		{psa.CheckDerive, signAttrs(psa.KeyRsaPair, 2048, allUsage, rsaPKCS1), status.PsaErrorNotSupported},
		{psa.CheckType(9), signAttrs(psa.KeyRsaPair, 2048, allUsage, rsaPKCS1), status.InvalidEncoding},
	}
	for _, tc := range cases {
		wantCode(t, p.CanDoCrypto(ctx, appA, tc.check, tc.a), tc.want, "CanDoCrypto "+tc.check.String()+" "+tc.a.Type.String()+" "+tc.a.Policy.Alg.String())
	}
	// What CanDoCrypto says is what GenerateKey does.
	for i, tc := range cases {
		if tc.check != psa.CheckGenerate {
			continue
		}
		err := p.GenerateKey(ctx, appA, strings.Repeat("k", i+1), tc.a)
		wantCode(t, err, tc.want, "GenerateKey matching CanDoCrypto "+tc.a.Type.String())
	}
}

func TestConfigOptions(t *testing.T) {
	o, err := Config{Tcti: "swtpm:port=2321", OwnerHierarchyAuth: "hex:0102", EndorsementHierarchyAuth: "str:e", SkipIfNoTpm: true}.Options()
	if err != nil {
		t.Fatal(err)
	}
	if o.Name != DefaultName || o.TCTI.Kind != KindSwtpm || o.TCTI.Port != 2321 || string(o.OwnerAuth) != "\x01\x02" || string(o.EndorsementAuth) != "e" || !o.SkipIfNoTPM {
		t.Fatalf("Options = %v", o)
	}
	if s := o.String(); strings.Contains(s, "\x01") || !strings.Contains(s, "[redacted]") {
		t.Fatalf("Options.String leaks the auth: %q", s)
	}
	for _, c := range []Config{{}, {Tcti: "tabrmd"}, {Tcti: "device", OwnerHierarchyAuth: "hex:zz"}} {
		if _, err := c.Options(); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
}
