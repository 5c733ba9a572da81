// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package client

import (
	"context"
	"fmt"
	"slices"

	"github.com/parsecd/parsecd/src/interface/ops/deleteclient"
	"github.com/parsecd/parsecd/src/interface/ops/listauthenticators"
	"github.com/parsecd/parsecd/src/interface/ops/listclients"
	"github.com/parsecd/parsecd/src/interface/ops/listkeys"
	"github.com/parsecd/parsecd/src/interface/ops/listopcodes"
	"github.com/parsecd/parsecd/src/interface/ops/listproviders"
	"github.com/parsecd/parsecd/src/interface/ops/ping"
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
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

// ---- core operations (provider 0) ----

// Ping returns the highest wire protocol version the service supports.
func (c *Client) Ping(ctx context.Context) (maj, min uint8, err error) {
	var res ping.Result
	if err := c.invoke(ctx, parsec.OpPing, &ping.Operation{}, &res); err != nil {
		return 0, 0, err
	}
	if res.WireProtocolVersionMaj > 0xFF || res.WireProtocolVersionMin > 0xFF {
		return 0, 0, &status.Error{Code: status.InvalidEncoding, Msg: "wire protocol version out of range"}
	}
	return uint8(res.WireProtocolVersionMaj), uint8(res.WireProtocolVersionMin), nil
}

// ListProviders lists the providers of the service, in its order (the
// first one is the default for cryptographic operations), as Parsec's
// clients see them: parsecd leaves out the providers of the extra id
// range (ListAllProviders has them).
func (c *Client) ListProviders(ctx context.Context) ([]ProviderInfo, error) {
	return c.listProviders(ctx, &listproviders.Operation{})
}

func (c *Client) listProviders(ctx context.Context, op *listproviders.Operation) ([]ProviderInfo, error) {
	var res listproviders.Result
	if err := c.invoke(ctx, parsec.OpListProviders, op, &res); err != nil {
		return nil, err
	}
	out := make([]ProviderInfo, 0, len(res.Providers))
	for _, p := range res.Providers {
		if p.Id > 0xFF {
			return nil, &status.Error{Code: status.InvalidEncoding, Msg: fmt.Sprintf("provider id %d out of range", p.Id)}
		}
		out = append(out, ProviderInfo{
			ID: parsec.ProviderID(p.Id), UUID: p.Uuid, Description: p.Description, Vendor: p.Vendor,
			VersionMaj: p.VersionMaj, VersionMin: p.VersionMin, VersionRev: p.VersionRev, Name: p.ParsecdName,
		})
	}
	return out, nil
}

// ListOpcodes lists the operations a provider supports, in ascending order.
func (c *Client) ListOpcodes(ctx context.Context, provider parsec.ProviderID) ([]parsec.Opcode, error) {
	var res listopcodes.Result
	if err := c.invoke(ctx, parsec.OpListOpcodes, &listopcodes.Operation{ProviderId: uint32(provider)}, &res); err != nil {
		return nil, err
	}
	out := make([]parsec.Opcode, 0, len(res.Opcodes))
	for _, o := range res.Opcodes {
		out = append(out, parsec.Opcode(o))
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// ListAuthenticators lists the authenticators of the service (one today).
func (c *Client) ListAuthenticators(ctx context.Context) ([]AuthenticatorInfo, error) {
	var res listauthenticators.Result
	if err := c.invoke(ctx, parsec.OpListAuthenticators, &listauthenticators.Operation{}, &res); err != nil {
		return nil, err
	}
	out := make([]AuthenticatorInfo, 0, len(res.Authenticators))
	for _, a := range res.Authenticators {
		if a.Id > 0xFF {
			return nil, &status.Error{Code: status.InvalidEncoding, Msg: fmt.Sprintf("authenticator id %d out of range", a.Id)}
		}
		out = append(out, AuthenticatorInfo{
			ID: parsec.AuthType(a.Id), Description: a.Description,
			VersionMaj: a.VersionMaj, VersionMin: a.VersionMin, VersionRev: a.VersionRev,
		})
	}
	return out, nil
}

// ListKeys lists the application's keys in every provider Parsec's
// clients see: parsecd leaves out the providers of the extra id range
// (ListAllKeys has them).
func (c *Client) ListKeys(ctx context.Context) ([]KeyInfo, error) {
	return c.listKeys(ctx, &listkeys.Operation{})
}

func (c *Client) listKeys(ctx context.Context, op *listkeys.Operation) ([]KeyInfo, error) {
	var res listkeys.Result
	if err := c.invoke(ctx, parsec.OpListKeys, op, &res); err != nil {
		return nil, err
	}
	out := make([]KeyInfo, 0, len(res.Keys))
	for _, k := range res.Keys {
		if k.ProviderId > 0xFF {
			return nil, &status.Error{Code: status.InvalidEncoding, Msg: fmt.Sprintf("key %q: provider id %d out of range", k.Name, k.ProviderId)}
		}
		attrs, err := psa.AttributesFromProto(k.Attributes)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", k.Name, err)
		}
		out = append(out, KeyInfo{Provider: parsec.ProviderID(k.ProviderId), Name: k.Name, Attributes: attrs})
	}
	return out, nil
}

// KeyAttributes looks a key of the client's provider up with ListKeys.
// A missing key is status.PsaErrorDoesNotExist.
func (c *Client) KeyAttributes(ctx context.Context, name string) (psa.KeyAttributes, error) {
	p, err := c.Provider(ctx)
	if err != nil {
		return psa.KeyAttributes{}, err
	}
	keys, err := c.ListKeys(ctx)
	if err != nil {
		return psa.KeyAttributes{}, err
	}
	for _, k := range keys {
		if k.Provider == p && k.Name == name {
			return k.Attributes, nil
		}
	}
	return psa.KeyAttributes{}, &status.Error{Code: status.PsaErrorDoesNotExist,
		Msg: fmt.Sprintf("no key %q in the %v", name, p)}
}

// ListClients lists the applications that own keys (admin operation).
func (c *Client) ListClients(ctx context.Context) ([]string, error) {
	var res listclients.Result
	if err := c.invoke(ctx, parsec.OpListClients, &listclients.Operation{}, &res); err != nil {
		return nil, err
	}
	return res.Clients, nil
}

// DeleteClient destroys every key of an application (admin operation).
func (c *Client) DeleteClient(ctx context.Context, client string) error {
	return c.invoke(ctx, parsec.OpDeleteClient, &deleteclient.Operation{Client: client}, nil)
}

// ---- key management ----

// GenerateKey creates a key from the template attrs (PsaGenerateKey). An
// existing name is status.PsaErrorAlreadyExists; an invalid size for the
// type status.PsaErrorInvalidArgument, a valid but unimplemented one
// status.PsaErrorNotSupported; a deprecated primitive may be refused with
// status.DeprecatedPrimitive.
func (c *Client) GenerateKey(ctx context.Context, name string, attrs psa.KeyAttributes) error {
	return c.invoke(ctx, parsec.OpPsaGenerateKey, &psageneratekey.Operation{KeyName: name, Attributes: psa.AttributesToProto(attrs)}, nil)
}

// ImportKey creates a key from key material in the PSA import format
// (PsaImportKey): DER RSAPublicKey / RSAPrivateKey (PKCS#1) for RSA, the
// uncompressed point 0x04 ‖ X ‖ Y or the big-endian private scalar of
// ceil(bits/8) bytes for SECP-R1, the 32 RFC 7748 bytes for X25519, and the
// raw bytes for AES, ChaCha20, HMAC, derivation and raw-data keys. attrs.Bits
// may be 0 to take the size from the data. KeyData converts Go keys.
func (c *Client) ImportKey(ctx context.Context, name string, attrs psa.KeyAttributes, data []byte) error {
	return c.invoke(ctx, parsec.OpPsaImportKey, &psaimportkey.Operation{KeyName: name, Attributes: psa.AttributesToProto(attrs), Data: data}, nil)
}

// ExportPublicKey returns the public key of a key pair or public key in the
// PSA format (PsaExportPublicKey): DER RSAPublicKey (PKCS#1) for RSA, the
// uncompressed point for Weierstrass curves, 32 bytes for X25519. No usage
// flag is needed. ParsePublicKey turns it into a Go key.
func (c *Client) ExportPublicKey(ctx context.Context, name string) ([]byte, error) {
	var res psaexportpublickey.Result
	if err := c.invoke(ctx, parsec.OpPsaExportPublicKey, &psaexportpublickey.Operation{KeyName: name}, &res); err != nil {
		return nil, err
	}
	return res.Data, nil
}

// ExportKey returns the key material in the PSA format (PsaExportKey):
// DER RSAPrivateKey for RSA key pairs, the private scalar for ECC key pairs,
// the raw bytes of symmetric keys, and the public format for public keys. A
// key pair or symmetric key needs the export usage flag, else
// status.PsaErrorNotPermitted. ParsePrivateKey turns a key pair into a Go key.
func (c *Client) ExportKey(ctx context.Context, name string) ([]byte, error) {
	var res psaexportkey.Result
	if err := c.invoke(ctx, parsec.OpPsaExportKey, &psaexportkey.Operation{KeyName: name}, &res); err != nil {
		return nil, err
	}
	return res.Data, nil
}

// DestroyKey deletes a key (PsaDestroyKey); a missing key is
// status.PsaErrorDoesNotExist.
func (c *Client) DestroyKey(ctx context.Context, name string) error {
	return c.invoke(ctx, parsec.OpPsaDestroyKey, &psadestroykey.Operation{KeyName: name}, nil)
}

// ---- asymmetric signature and encryption ----

// SignHash signs a digest. ECDSA signatures are PSA format r‖s (see
// ECDSASignatureToASN1 for the DER form).
func (c *Client) SignHash(ctx context.Context, name string, alg psa.AsymSign, hash []byte) ([]byte, error) {
	var res psasignhash.Result
	op := &psasignhash.Operation{KeyName: name, Alg: psa.AsymSignToProto(alg), Hash: hash}
	if err := c.invoke(ctx, parsec.OpPsaSignHash, op, &res); err != nil {
		return nil, err
	}
	return res.Signature, nil
}

// VerifyHash checks a signature of a digest; a bad signature is
// status.PsaErrorInvalidSignature.
func (c *Client) VerifyHash(ctx context.Context, name string, alg psa.AsymSign, hash, signature []byte) error {
	op := &psaverifyhash.Operation{KeyName: name, Alg: psa.AsymSignToProto(alg), Hash: hash, Signature: signature}
	return c.invoke(ctx, parsec.OpPsaVerifyHash, op, nil)
}

// SignMessage hashes and signs a message in the service (PsaSignMessage);
// the key needs the sign_message usage flag. ECDSA signatures are r ‖ s.
func (c *Client) SignMessage(ctx context.Context, name string, alg psa.AsymSign, message []byte) ([]byte, error) {
	var res psasignmessage.Result
	op := &psasignmessage.Operation{KeyName: name, Alg: psa.AsymSignToProto(alg), Message: message}
	if err := c.invoke(ctx, parsec.OpPsaSignMessage, op, &res); err != nil {
		return nil, err
	}
	return res.Signature, nil
}

// VerifyMessage checks a signature of a message (PsaVerifyMessage); a bad
// signature is status.PsaErrorInvalidSignature.
func (c *Client) VerifyMessage(ctx context.Context, name string, alg psa.AsymSign, message, signature []byte) error {
	op := &psaverifymessage.Operation{KeyName: name, Alg: psa.AsymSignToProto(alg), Message: message, Signature: signature}
	return c.invoke(ctx, parsec.OpPsaVerifyMessage, op, nil)
}

// AsymmetricEncrypt encrypts with the public part of a key; salt is OAEP's
// label (nil for none).
func (c *Client) AsymmetricEncrypt(ctx context.Context, name string, alg psa.AsymEncrypt, plaintext, salt []byte) ([]byte, error) {
	var res psaasymmetricencrypt.Result
	op := &psaasymmetricencrypt.Operation{KeyName: name, Alg: psa.AsymEncryptToProto(alg), Plaintext: plaintext, Salt: salt}
	if err := c.invoke(ctx, parsec.OpPsaAsymmetricEncrypt, op, &res); err != nil {
		return nil, err
	}
	return res.Ciphertext, nil
}

// AsymmetricDecrypt decrypts with a private key; salt is OAEP's label.
func (c *Client) AsymmetricDecrypt(ctx context.Context, name string, alg psa.AsymEncrypt, ciphertext, salt []byte) ([]byte, error) {
	var res psaasymmetricdecrypt.Result
	op := &psaasymmetricdecrypt.Operation{KeyName: name, Alg: psa.AsymEncryptToProto(alg), Ciphertext: ciphertext, Salt: salt}
	if err := c.invoke(ctx, parsec.OpPsaAsymmetricDecrypt, op, &res); err != nil {
		return nil, err
	}
	return res.Plaintext, nil
}

// ---- random and hashes ----

// GenerateRandom returns n random bytes.
func (c *Client) GenerateRandom(ctx context.Context, n int) ([]byte, error) {
	if n < 0 {
		return nil, &status.Error{Code: status.PsaErrorInvalidArgument, Msg: "negative size"}
	}
	var res psageneraterandom.Result
	if err := c.invoke(ctx, parsec.OpPsaGenerateRandom, &psageneraterandom.Operation{Size: uint64(n)}, &res); err != nil {
		return nil, err
	}
	if len(res.RandomBytes) != n {
		return nil, &status.Error{Code: status.InvalidEncoding, Msg: fmt.Sprintf("asked for %d random bytes, got %d", n, len(res.RandomBytes))}
	}
	return res.RandomBytes, nil
}

// HashCompute hashes input in the service (PsaHashCompute, no
// authentication needed); an unimplemented hash is status.PsaErrorNotSupported.
func (c *Client) HashCompute(ctx context.Context, alg psa.Hash, input []byte) ([]byte, error) {
	var res psahashcompute.Result
	if err := c.invoke(ctx, parsec.OpPsaHashCompute, &psahashcompute.Operation{Alg: psa.HashToProto(alg), Input: input}, &res); err != nil {
		return nil, err
	}
	return res.Hash, nil
}

// HashCompare checks that hash is the digest of input; a mismatch is
// status.PsaErrorInvalidSignature.
func (c *Client) HashCompare(ctx context.Context, alg psa.Hash, input, hash []byte) error {
	return c.invoke(ctx, parsec.OpPsaHashCompare, &psahashcompare.Operation{Alg: psa.HashToProto(alg), Input: input, Hash: hash}, nil)
}
