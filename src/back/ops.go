// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package back

import (
	"context"

	"github.com/parsecd/parsecd/src/interface/pbwire"

	"github.com/parsecd/parsecd/src/interface/ops/psaalgorithm"
	"github.com/parsecd/parsecd/src/interface/ops/psaasymmetricdecrypt"
	"github.com/parsecd/parsecd/src/interface/ops/psaasymmetricencrypt"
	"github.com/parsecd/parsecd/src/interface/ops/psadestroykey"
	"github.com/parsecd/parsecd/src/interface/ops/psaexportkey"
	"github.com/parsecd/parsecd/src/interface/ops/psaexportpublickey"
	"github.com/parsecd/parsecd/src/interface/ops/psageneratekey"
	"github.com/parsecd/parsecd/src/interface/ops/psageneraterandom"
	"github.com/parsecd/parsecd/src/interface/ops/psahashcompare"
	"github.com/parsecd/parsecd/src/interface/ops/psahashcompute"
	"github.com/parsecd/parsecd/src/interface/ops/psaimportkey"
	"github.com/parsecd/parsecd/src/interface/ops/psasignhash"
	"github.com/parsecd/parsecd/src/interface/ops/psasignmessage"
	"github.com/parsecd/parsecd/src/interface/ops/psaverifyhash"
	"github.com/parsecd/parsecd/src/interface/ops/psaverifymessage"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/storage"
)

// operation decodes, runs and encodes one opcode.
type operation struct {
	newOp func() pbwire.Message
	// run returns a nil message for the operations whose result has no
	// fields (DestroyKey, VerifyHash, ...): their reply body is empty.
	run func(ctx context.Context, c *call, in pbwire.Message) (pbwire.Message, error)
	// supported says whether a provider implements the operation: what
	// ListOpcodes reports is derived from it, so the list cannot claim an
	// opcode that would answer PsaErrorNotSupported. nil for core operations.
	supported func(p provider.Provider) bool
}

// op builds an operation from a typed handler: the handler's Operation
// type In (a pointer to T) is what the request body decodes into.
func op[T any, In interface {
	*T
	pbwire.Message
}](run func(context.Context, *call, In) (pbwire.Message, error), supported func(provider.Provider) bool) operation {
	return operation{
		newOp: func() pbwire.Message { return In(new(T)) },
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

// operations binds every opcode of parsec's table to its handler and, for
// provider operations, to the family a provider must implement to serve it
// (nil for core operations). A test keeps it in step with the table.
var operations map[parsec.Opcode]operation

func init() { // not a literal: listOpcodes reads operations (initialization cycle)
	operations = map[parsec.Opcode]operation{
		parsec.OpPing:               op(corePing, nil),
		parsec.OpListProviders:      op(listProviders, nil),
		parsec.OpListOpcodes:        op(listOpcodes, nil),
		parsec.OpListAuthenticators: op(listAuthenticators, nil),
		parsec.OpListKeys:           op(listKeys, nil),
		parsec.OpListClients:        op(listClients, nil),
		parsec.OpDeleteClient:       op(deleteClient, nil),

		parsec.OpPsaGenerateKey:        op(generateKey, implements[provider.KeyManagement]),
		parsec.OpPsaImportKey:          op(importKey, implements[provider.KeyManagement]),
		parsec.OpPsaDestroyKey:         op(destroyKey, implements[provider.KeyManagement]),
		parsec.OpPsaExportPublicKey:    op(exportPublicKey, implements[provider.KeyManagement]),
		parsec.OpPsaExportKey:          op(exportKey, implements[provider.KeyExport]),
		parsec.OpPsaSignHash:           op(signHash, implements[provider.AsymSign]),
		parsec.OpPsaVerifyHash:         op(verifyHash, implements[provider.AsymSign]),
		parsec.OpPsaSignMessage:        op(signMessage, implements[provider.MessageSign]),
		parsec.OpPsaVerifyMessage:      op(verifyMessage, implements[provider.MessageSign]),
		parsec.OpPsaAsymmetricEncrypt:  op(asymmetricEncrypt, implements[provider.AsymEncryption]),
		parsec.OpPsaAsymmetricDecrypt:  op(asymmetricDecrypt, implements[provider.AsymEncryption]),
		parsec.OpPsaGenerateRandom:     op(generateRandom, implements[provider.Random]),
		parsec.OpPsaHashCompute:        op(hashCompute, implements[provider.Hasher]),
		parsec.OpPsaHashCompare:        op(hashCompare, implements[provider.Hasher]),
		parsec.OpPsaAeadEncrypt:        op(aeadEncrypt, implements[provider.Aead]),
		parsec.OpPsaAeadDecrypt:        op(aeadDecrypt, implements[provider.Aead]),
		parsec.OpPsaCipherEncrypt:      op(cipherEncrypt, implements[provider.Cipher]),
		parsec.OpPsaCipherDecrypt:      op(cipherDecrypt, implements[provider.Cipher]),
		parsec.OpPsaMacCompute:         op(macCompute, implements[provider.Mac]),
		parsec.OpPsaMacVerify:          op(macVerify, implements[provider.Mac]),
		parsec.OpPsaRawKeyAgreement:    op(rawKeyAgreement, implements[provider.KeyAgreement]),
		parsec.OpCanDoCrypto:           op(canDoCrypto, implements[provider.CapabilityCheck]),
		parsec.OpAttestKey:             op(attestKey, implements[provider.KeyAttestation]),
		parsec.OpPrepareKeyAttestation: op(prepareKeyAttestation, implements[provider.KeyAttestation]),
	}
}

// The handlers below check in one order: the body's fields (InvalidEncoding
// or a PSA argument error), then the caller (NotAuthenticated), then the
// provider's family (PsaErrorNotSupported). The first two are in the
// reference service's order: its decoding of the body, which rejects bad
// fields, comes before it asks for the application.

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
	// allow_deprecated governs generating keys (the providers' check);
	// importing one is allowed, as in Parsec, and only warned about. The
	// warning names no key or application, which are the client's data.
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

// signer resolves what every signature operation needs: the algorithm, the
// caller and the provider family, in the handlers' order.
func signer[F any](c *call, m *psaSignAlg) (F, storage.Client, psa.AsymSign, error) {
	var zero F
	alg, err := psa.AsymSignFromProto(m)
	if err != nil {
		return zero, storage.Client{}, alg, err
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

// encrypter is signer for asymmetric encryption.
func encrypter(c *call, m *psaEncAlg) (provider.AsymEncryption, storage.Client, psa.AsymEncrypt, error) {
	alg, err := psa.AsymEncryptFromProto(m)
	if err != nil {
		return nil, storage.Client{}, alg, err
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

// generateRandom and the hash operations use no key, so they need no
// application: an unauthenticated client may call them, as in Parsec.
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
