// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package back

import (
	"context"

	"github.com/parsecd/parsecd/src/interface/pbwire"

	"github.com/parsecd/parsecd/src/interface/ops/attestkey"
	"github.com/parsecd/parsecd/src/interface/ops/candocrypto"
	"github.com/parsecd/parsecd/src/interface/ops/preparekeyattestation"
	"github.com/parsecd/parsecd/src/interface/ops/psaaeaddecrypt"
	"github.com/parsecd/parsecd/src/interface/ops/psaaeadencrypt"
	"github.com/parsecd/parsecd/src/interface/ops/psaalgorithm"
	"github.com/parsecd/parsecd/src/interface/ops/psaasymmetricdecrypt"
	"github.com/parsecd/parsecd/src/interface/ops/psaasymmetricencrypt"
	"github.com/parsecd/parsecd/src/interface/ops/psacipherdecrypt"
	"github.com/parsecd/parsecd/src/interface/ops/psacipherencrypt"
	"github.com/parsecd/parsecd/src/interface/ops/psadestroykey"
	"github.com/parsecd/parsecd/src/interface/ops/psaexportkey"
	"github.com/parsecd/parsecd/src/interface/ops/psaexportpublickey"
	"github.com/parsecd/parsecd/src/interface/ops/psageneratekey"
	"github.com/parsecd/parsecd/src/interface/ops/psageneraterandom"
	"github.com/parsecd/parsecd/src/interface/ops/psahashcompare"
	"github.com/parsecd/parsecd/src/interface/ops/psahashcompute"
	"github.com/parsecd/parsecd/src/interface/ops/psaimportkey"
	"github.com/parsecd/parsecd/src/interface/ops/psamaccompute"
	"github.com/parsecd/parsecd/src/interface/ops/psamacverify"
	"github.com/parsecd/parsecd/src/interface/ops/psarawkeyagreement"
	"github.com/parsecd/parsecd/src/interface/ops/psasignhash"
	"github.com/parsecd/parsecd/src/interface/ops/psasignmessage"
	"github.com/parsecd/parsecd/src/interface/ops/psaverifyhash"
	"github.com/parsecd/parsecd/src/interface/ops/psaverifymessage"
	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/wire"
)

// operation decodes, runs and encodes one opcode.
type operation struct {
	newOp     func() pbwire.Message
	run       func(ctx context.Context, c *call, in pbwire.Message) (pbwire.Message, error)
	supported func(p provider.Provider) bool // nil for core operations
}

// op builds an operation from a typed function, so each handler below
// sees its own Operation type.
func op[In pbwire.Message](newIn func() In, run func(context.Context, *call, In) (pbwire.Message, error), supported func(provider.Provider) bool) operation {
	return operation{
		newOp: func() pbwire.Message { return newIn() },
		run: func(ctx context.Context, c *call, in pbwire.Message) (pbwire.Message, error) {
			return run(ctx, c, in.(In))
		},
		supported: supported,
	}
}

func implements[F any](p provider.Provider) bool { _, ok := p.(F); return ok }

type (
	psaSignAlg = psaalgorithm.Algorithm_AsymmetricSignature
	psaEncAlg  = psaalgorithm.Algorithm_AsymmetricEncryption
)

var operations map[wire.Opcode]operation

func init() {
	operations = map[wire.Opcode]operation{
		wire.OpPsaGenerateKey:     op(func() *psageneratekey.Operation { return new(psageneratekey.Operation) }, generateKey, implements[provider.KeyManagement]),
		wire.OpPsaImportKey:       op(func() *psaimportkey.Operation { return new(psaimportkey.Operation) }, importKey, implements[provider.KeyManagement]),
		wire.OpPsaDestroyKey:      op(func() *psadestroykey.Operation { return new(psadestroykey.Operation) }, destroyKey, implements[provider.KeyManagement]),
		wire.OpPsaExportPublicKey: op(func() *psaexportpublickey.Operation { return new(psaexportpublickey.Operation) }, exportPublicKey, implements[provider.KeyManagement]),
		wire.OpPsaExportKey:       op(func() *psaexportkey.Operation { return new(psaexportkey.Operation) }, exportKey, implements[provider.KeyExport]),
		wire.OpPsaSignHash:        op(func() *psasignhash.Operation { return new(psasignhash.Operation) }, signHash, implements[provider.AsymSign]),
		wire.OpPsaVerifyHash:      op(func() *psaverifyhash.Operation { return new(psaverifyhash.Operation) }, verifyHash, implements[provider.AsymSign]),
		wire.OpPsaSignMessage:     op(func() *psasignmessage.Operation { return new(psasignmessage.Operation) }, signMessage, implements[provider.MessageSign]),
		wire.OpPsaVerifyMessage:   op(func() *psaverifymessage.Operation { return new(psaverifymessage.Operation) }, verifyMessage, implements[provider.MessageSign]),
		wire.OpPsaAsymmetricEncrypt: op(func() *psaasymmetricencrypt.Operation { return new(psaasymmetricencrypt.Operation) },
			asymmetricEncrypt, implements[provider.AsymEncryption]),
		wire.OpPsaAsymmetricDecrypt: op(func() *psaasymmetricdecrypt.Operation { return new(psaasymmetricdecrypt.Operation) },
			asymmetricDecrypt, implements[provider.AsymEncryption]),
		wire.OpPsaGenerateRandom: op(func() *psageneraterandom.Operation { return new(psageneraterandom.Operation) }, generateRandom, implements[provider.Random]),
		wire.OpPsaHashCompute:    op(func() *psahashcompute.Operation { return new(psahashcompute.Operation) }, hashCompute, implements[provider.Hasher]),
		wire.OpPsaHashCompare:    op(func() *psahashcompare.Operation { return new(psahashcompare.Operation) }, hashCompare, implements[provider.Hasher]),

		wire.OpPsaAeadEncrypt:     op(func() *psaaeadencrypt.Operation { return new(psaaeadencrypt.Operation) }, aeadEncrypt, implements[provider.Aead]),
		wire.OpPsaAeadDecrypt:     op(func() *psaaeaddecrypt.Operation { return new(psaaeaddecrypt.Operation) }, aeadDecrypt, implements[provider.Aead]),
		wire.OpPsaCipherEncrypt:   op(func() *psacipherencrypt.Operation { return new(psacipherencrypt.Operation) }, cipherEncrypt, implements[provider.Cipher]),
		wire.OpPsaCipherDecrypt:   op(func() *psacipherdecrypt.Operation { return new(psacipherdecrypt.Operation) }, cipherDecrypt, implements[provider.Cipher]),
		wire.OpPsaMacCompute:      op(func() *psamaccompute.Operation { return new(psamaccompute.Operation) }, macCompute, implements[provider.Mac]),
		wire.OpPsaMacVerify:       op(func() *psamacverify.Operation { return new(psamacverify.Operation) }, macVerify, implements[provider.Mac]),
		wire.OpPsaRawKeyAgreement: op(func() *psarawkeyagreement.Operation { return new(psarawkeyagreement.Operation) }, rawKeyAgreement, implements[provider.KeyAgreement]),
		wire.OpCanDoCrypto:        op(func() *candocrypto.Operation { return new(candocrypto.Operation) }, canDoCrypto, implements[provider.CapabilityCheck]),

		wire.OpAttestKey: op(func() *attestkey.Operation { return new(attestkey.Operation) }, attestKey, implements[provider.KeyAttestation]),
		wire.OpPrepareKeyAttestation: op(func() *preparekeyattestation.Operation { return new(preparekeyattestation.Operation) },
			prepareKeyAttestation, implements[provider.KeyAttestation]),
	}
	for o, op := range coreOperations() {
		operations[o] = op
	}
}

func generateKey(ctx context.Context, c *call, in *psageneratekey.Operation) (pbwire.Message, error) {
	a, err := psa.AttributesFromProto(in.Attributes)
	if err != nil {
		return nil, err
	}
	who, err := c.caller()
	if err != nil {
		return nil, err
	}
	km, err := family[provider.KeyManagement](c)
	if err != nil {
		return nil, err
	}
	return nil, km.GenerateKey(ctx, who, in.KeyName, a)
}

func importKey(ctx context.Context, c *call, in *psaimportkey.Operation) (pbwire.Message, error) {
	a, err := psa.AttributesFromProto(in.Attributes)
	if err != nil {
		return nil, err
	}
	who, err := c.caller()
	if err != nil {
		return nil, err
	}
	km, err := family[provider.KeyManagement](c)
	if err != nil {
		return nil, err
	}
	if a.Deprecated() {
		c.s.log.Warn("importing a key that uses a deprecated primitive", "opcode", c.opcode.String())
	}
	return nil, km.ImportKey(ctx, who, in.KeyName, a, in.Data)
}

func destroyKey(ctx context.Context, c *call, in *psadestroykey.Operation) (pbwire.Message, error) {
	who, err := c.caller()
	if err != nil {
		return nil, err
	}
	km, err := family[provider.KeyManagement](c)
	if err != nil {
		return nil, err
	}
	return nil, km.DestroyKey(ctx, who, in.KeyName)
}

func exportPublicKey(ctx context.Context, c *call, in *psaexportpublickey.Operation) (pbwire.Message, error) {
	who, err := c.caller()
	if err != nil {
		return nil, err
	}
	km, err := family[provider.KeyManagement](c)
	if err != nil {
		return nil, err
	}
	data, err := km.ExportPublicKey(ctx, who, in.KeyName)
	if err != nil {
		return nil, err
	}
	return &psaexportpublickey.Result{Data: data}, nil
}

func exportKey(ctx context.Context, c *call, in *psaexportkey.Operation) (pbwire.Message, error) {
	who, err := c.caller()
	if err != nil {
		return nil, err
	}
	ke, err := family[provider.KeyExport](c)
	if err != nil {
		return nil, err
	}
	data, err := ke.ExportKey(ctx, who, in.KeyName)
	if err != nil {
		return nil, err
	}
	return &psaexportkey.Result{Data: data}, nil
}

// signer resolves what every signature operation needs.
func signer[F any](c *call, m *psaSignAlg) (F, provider.Caller, psa.AsymSign, error) {
	var zero F
	alg, err := psa.AsymSignFromProto(m)
	if err != nil {
		return zero, provider.Caller{}, alg, err
	}
	who, err := c.caller()
	if err != nil {
		return zero, who, alg, err
	}
	f, err := family[F](c)
	return f, who, alg, err
}

func signHash(ctx context.Context, c *call, in *psasignhash.Operation) (pbwire.Message, error) {
	f, who, alg, err := signer[provider.AsymSign](c, in.Alg)
	if err != nil {
		return nil, err
	}
	sig, err := f.SignHash(ctx, who, in.KeyName, alg, in.Hash)
	if err != nil {
		return nil, err
	}
	return &psasignhash.Result{Signature: sig}, nil
}

func verifyHash(ctx context.Context, c *call, in *psaverifyhash.Operation) (pbwire.Message, error) {
	f, who, alg, err := signer[provider.AsymSign](c, in.Alg)
	if err != nil {
		return nil, err
	}
	return nil, f.VerifyHash(ctx, who, in.KeyName, alg, in.Hash, in.Signature)
}

func signMessage(ctx context.Context, c *call, in *psasignmessage.Operation) (pbwire.Message, error) {
	f, who, alg, err := signer[provider.MessageSign](c, in.Alg)
	if err != nil {
		return nil, err
	}
	sig, err := f.SignMessage(ctx, who, in.KeyName, alg, in.Message)
	if err != nil {
		return nil, err
	}
	return &psasignmessage.Result{Signature: sig}, nil
}

func verifyMessage(ctx context.Context, c *call, in *psaverifymessage.Operation) (pbwire.Message, error) {
	f, who, alg, err := signer[provider.MessageSign](c, in.Alg)
	if err != nil {
		return nil, err
	}
	return nil, f.VerifyMessage(ctx, who, in.KeyName, alg, in.Message, in.Signature)
}

func encrypter(c *call, m *psaEncAlg) (provider.AsymEncryption, provider.Caller, psa.AsymEncrypt, error) {
	alg, err := psa.AsymEncryptFromProto(m)
	if err != nil {
		return nil, provider.Caller{}, alg, err
	}
	who, err := c.caller()
	if err != nil {
		return nil, who, alg, err
	}
	f, err := family[provider.AsymEncryption](c)
	return f, who, alg, err
}

func asymmetricEncrypt(ctx context.Context, c *call, in *psaasymmetricencrypt.Operation) (pbwire.Message, error) {
	f, who, alg, err := encrypter(c, in.Alg)
	if err != nil {
		return nil, err
	}
	out, err := f.AsymmetricEncrypt(ctx, who, in.KeyName, alg, in.Plaintext, in.Salt)
	if err != nil {
		return nil, err
	}
	return &psaasymmetricencrypt.Result{Ciphertext: out}, nil
}

func asymmetricDecrypt(ctx context.Context, c *call, in *psaasymmetricdecrypt.Operation) (pbwire.Message, error) {
	f, who, alg, err := encrypter(c, in.Alg)
	if err != nil {
		return nil, err
	}
	out, err := f.AsymmetricDecrypt(ctx, who, in.KeyName, alg, in.Ciphertext, in.Salt)
	if err != nil {
		return nil, err
	}
	return &psaasymmetricdecrypt.Result{Plaintext: out}, nil
}

func generateRandom(ctx context.Context, c *call, in *psageneraterandom.Operation) (pbwire.Message, error) {
	f, err := family[provider.Random](c)
	if err != nil {
		return nil, err
	}
	out, err := f.GenerateRandom(ctx, in.Size)
	if err != nil {
		return nil, err
	}
	return &psageneraterandom.Result{RandomBytes: out}, nil
}

func hashCompute(ctx context.Context, c *call, in *psahashcompute.Operation) (pbwire.Message, error) {
	h, err := psa.HashFromProto(in.Alg)
	if err != nil {
		return nil, err
	}
	f, err := family[provider.Hasher](c)
	if err != nil {
		return nil, err
	}
	out, err := f.HashCompute(ctx, h, in.Input)
	if err != nil {
		return nil, err
	}
	return &psahashcompute.Result{Hash: out}, nil
}

func hashCompare(ctx context.Context, c *call, in *psahashcompare.Operation) (pbwire.Message, error) {
	h, err := psa.HashFromProto(in.Alg)
	if err != nil {
		return nil, err
	}
	f, err := family[provider.Hasher](c)
	if err != nil {
		return nil, err
	}
	return nil, f.HashCompare(ctx, h, in.Input, in.Hash)
}
