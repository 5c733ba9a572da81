// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package back

import (
	"context"

	"github.com/parsecd/parsecd/src/interface/pbwire"

	"github.com/parsecd/parsecd/src/interface/ops/candocrypto"
	"github.com/parsecd/parsecd/src/interface/ops/psaaeaddecrypt"
	"github.com/parsecd/parsecd/src/interface/ops/psaaeadencrypt"
	"github.com/parsecd/parsecd/src/interface/ops/psacipherdecrypt"
	"github.com/parsecd/parsecd/src/interface/ops/psacipherencrypt"
	"github.com/parsecd/parsecd/src/interface/ops/psamaccompute"
	"github.com/parsecd/parsecd/src/interface/ops/psamacverify"
	"github.com/parsecd/parsecd/src/interface/ops/psarawkeyagreement"
	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
)

// Handlers of the symmetric, MAC, key agreement and capability operations.
// Each converts its algorithm first (16 on a bad value), then needs an
// application (19), then the provider's family (1134).

// resolve returns the provider family F and the caller once the algorithm
// converted. It takes the conversion's error rather than the algorithm so
// that each handler converts in one line and the order of the three checks
// lives here alone.
func resolve[F any](c *call, convErr error) (F, storage.Client, error) {
	var zero F
	if convErr != nil {
		return zero, storage.Client{}, convErr
	}
	who, err := c.caller()
	if err != nil {
		return zero, who, err
	}
	f, err := family[F](c)
	return f, who, err
}

func aeadEncrypt(ctx context.Context, c *call, in *psaaeadencrypt.Operation) (pbwire.Message, error) {
	alg, err := psa.AeadFromProto(in.Alg)
	f, who, err := resolve[provider.Aead](c, err)
	if err != nil {
		return nil, err
	}
	out, err := f.AeadEncrypt(ctx, who, in.KeyName, alg, in.Nonce, in.AdditionalData, in.Plaintext)
	if err != nil {
		return nil, err
	}
	return &psaaeadencrypt.Result{Ciphertext: out}, nil
}

func aeadDecrypt(ctx context.Context, c *call, in *psaaeaddecrypt.Operation) (pbwire.Message, error) {
	alg, err := psa.AeadFromProto(in.Alg)
	f, who, err := resolve[provider.Aead](c, err)
	if err != nil {
		return nil, err
	}
	out, err := f.AeadDecrypt(ctx, who, in.KeyName, alg, in.Nonce, in.AdditionalData, in.Ciphertext)
	if err != nil {
		return nil, err
	}
	return &psaaeaddecrypt.Result{Plaintext: out}, nil
}

func cipherEncrypt(ctx context.Context, c *call, in *psacipherencrypt.Operation) (pbwire.Message, error) {
	alg, err := psa.CipherFromProto(in.Alg)
	f, who, err := resolve[provider.Cipher](c, err)
	if err != nil {
		return nil, err
	}
	out, err := f.CipherEncrypt(ctx, who, in.KeyName, alg, in.Plaintext)
	if err != nil {
		return nil, err
	}
	return &psacipherencrypt.Result{Ciphertext: out}, nil
}

func cipherDecrypt(ctx context.Context, c *call, in *psacipherdecrypt.Operation) (pbwire.Message, error) {
	alg, err := psa.CipherFromProto(in.Alg)
	f, who, err := resolve[provider.Cipher](c, err)
	if err != nil {
		return nil, err
	}
	out, err := f.CipherDecrypt(ctx, who, in.KeyName, alg, in.Ciphertext)
	if err != nil {
		return nil, err
	}
	return &psacipherdecrypt.Result{Plaintext: out}, nil
}

func macCompute(ctx context.Context, c *call, in *psamaccompute.Operation) (pbwire.Message, error) {
	alg, err := psa.MacFromProto(in.Alg)
	f, who, err := resolve[provider.Mac](c, err)
	if err != nil {
		return nil, err
	}
	out, err := f.MacCompute(ctx, who, in.KeyName, alg, in.Input)
	if err != nil {
		return nil, err
	}
	return &psamaccompute.Result{Mac: out}, nil
}

func macVerify(ctx context.Context, c *call, in *psamacverify.Operation) (pbwire.Message, error) {
	alg, err := psa.MacFromProto(in.Alg)
	f, who, err := resolve[provider.Mac](c, err)
	if err != nil {
		return nil, err
	}
	return nil, f.MacVerify(ctx, who, in.KeyName, alg, in.Input, in.Mac)
}

func rawKeyAgreement(ctx context.Context, c *call, in *psarawkeyagreement.Operation) (pbwire.Message, error) {
	alg, err := psa.KeyAgreementRawFromProto(in.Alg)
	f, who, err := resolve[provider.KeyAgreement](c, err)
	if err != nil {
		return nil, err
	}
	out, err := f.RawKeyAgreement(ctx, who, alg, in.PrivateKeyName, in.PeerKey)
	if err != nil {
		return nil, err
	}
	return &psarawkeyagreement.Result{SharedSecret: out}, nil
}

// canDoCrypto asks the provider whether it could create or use a key of
// the given attributes. The key need not exist, but Parsec still counts the
// operation among those that need an authenticated application.
// The provider's verdict is narrowed by psa.CanDoAnswer to the three
// answers the operation defines (Success, NotPermitted, NotSupported), so a
// client can branch on them; a failure of the service itself stays a
// failure.
func canDoCrypto(ctx context.Context, c *call, in *candocrypto.Operation) (pbwire.Message, error) {
	check := psa.CheckType(in.CheckType)
	if in.CheckType < candocrypto.CheckType_USE || in.CheckType > candocrypto.CheckType_DERIVE {
		return nil, status.Errorf(status.InvalidEncoding, "check_type %d is not a capability check", in.CheckType)
	}
	a, err := psa.AttributesFromProto(in.Attributes)
	f, who, err := resolve[provider.CapabilityCheck](c, err)
	if err != nil {
		return nil, err
	}
	return nil, psa.CanDoAnswer(f.CanDoCrypto(ctx, who, check, a))
}
