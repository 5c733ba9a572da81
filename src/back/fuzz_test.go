// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package back_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"testing"

	"github.com/parsecd/parsecd/src/interface/pbwire"

	"github.com/parsecd/parsecd/providers/soft"
	"github.com/parsecd/parsecd/src/auth"
	"github.com/parsecd/parsecd/src/back"
	"github.com/parsecd/parsecd/src/interface/ops/candocrypto"
	"github.com/parsecd/parsecd/src/interface/ops/listkeys"
	"github.com/parsecd/parsecd/src/interface/ops/listopcodes"
	"github.com/parsecd/parsecd/src/interface/ops/psaaeadencrypt"
	"github.com/parsecd/parsecd/src/interface/ops/psadestroykey"
	"github.com/parsecd/parsecd/src/interface/ops/psageneratekey"
	"github.com/parsecd/parsecd/src/interface/ops/psahashcompute"
	"github.com/parsecd/parsecd/src/interface/ops/psaimportkey"
	"github.com/parsecd/parsecd/src/interface/ops/psamaccompute"
	"github.com/parsecd/parsecd/src/interface/ops/psasignhash"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/src/wire"
	"github.com/parsecd/parsecd/storage/memory"
)

// fuzzService is the service as the daemon runs it, with the software
// provider, Direct authentication and an administrator.
func fuzzService(f *testing.F) *back.Service {
	store := memory.New()
	p, err := soft.New("", provider.Deps{Keys: store, BufferSizeLimit: 1 << 16})
	if err != nil {
		f.Fatal(err)
	}
	svc, err := back.New(back.Options{Auth: auth.NewSet([]string{"admin"}, auth.Direct{}),
		Providers: []back.Mount{{Provider: p, Store: store}}})
	if err != nil {
		f.Fatal(err)
	}
	return svc
}

// fuzzSeed frames one request of app for the software provider.
func fuzzSeed(f *testing.F, op parsec.Opcode, prov parsec.ProviderID, app string, body pbwire.Message) []byte {
	b, err := pbwire.Marshal(body)
	if err != nil {
		f.Fatal(err)
	}
	req := &wire.Request{Header: wire.Header{Provider: prov, Opcode: op, AuthType: parsec.AuthDirect}, Body: b, Auth: []byte(app)}
	out, err := wire.EncodeRequest(req)
	if err != nil {
		f.Fatal(err)
	}
	return out
}

// FuzzService is the whole request path but the socket: bytes in, as a
// client sends them, through the wire reader, authentication, dispatch,
// the protobuf conversion and the software provider, to the encoded
// answer. Whatever the bytes, the answer is one well-formed response with
// a status of the protocol, that echoes the request's opcode once the
// header parsed, and the service keeps answering.
func FuzzService(f *testing.F) {
	svc := fuzzService(f)
	ctx := context.Background()
	ecdsa := psa.AsymSign{Kind: psa.SignEcdsa, Hash: psa.HashSHA256}
	eccAttrs := psa.KeyAttributes{Type: psa.KeyType{Kind: psa.KeyEccPair, EccFamily: psa.EccSecpR1}, Bits: 256,
		Policy: psa.KeyPolicy{Usage: psa.UsageSignHash | psa.UsageVerifyHash, Alg: psa.Algorithm{Kind: psa.AlgAsymSign, Sign: ecdsa}}}
	aesAttrs := psa.KeyAttributes{Type: psa.KeyType{Kind: psa.KeyAes}, Bits: 128,
		Policy: psa.KeyPolicy{Usage: psa.UsageEncrypt, Alg: psa.Algorithm{Kind: psa.AlgAead, Aead: psa.Aead{Alg: psa.AeadGcm}}}}
	hmacAlg := psa.Mac{Kind: psa.MacHmac, Hash: psa.HashSHA256}
	hmacAttrs := psa.KeyAttributes{Type: psa.KeyType{Kind: psa.KeyHmac}, Bits: 256,
		Policy: psa.KeyPolicy{Usage: psa.UsageSignMessage, Alg: psa.Algorithm{Kind: psa.AlgMac, Mac: hmacAlg}}}
	digest := sha256.Sum256([]byte("fuzz"))
	soft1 := parsec.ProviderMbedCrypto
	seeds := [][]byte{
		fuzzSeed(f, parsec.OpPing, parsec.ProviderCore, "", &listkeys.Operation{}),
		fuzzSeed(f, parsec.OpListOpcodes, parsec.ProviderCore, "", &listopcodes.Operation{ProviderId: 1}),
		fuzzSeed(f, parsec.OpListKeys, parsec.ProviderCore, "app", &listkeys.Operation{}),
		fuzzSeed(f, parsec.OpPsaGenerateKey, soft1, "app", &psageneratekey.Operation{KeyName: "k", Attributes: psa.AttributesToProto(eccAttrs)}),
		fuzzSeed(f, parsec.OpPsaSignHash, soft1, "app", &psasignhash.Operation{KeyName: "k", Alg: psa.AsymSignToProto(ecdsa), Hash: digest[:]}),
		fuzzSeed(f, parsec.OpPsaImportKey, soft1, "app", &psaimportkey.Operation{KeyName: "aes", Attributes: psa.AttributesToProto(aesAttrs), Data: make([]byte, 16)}),
		fuzzSeed(f, parsec.OpPsaAeadEncrypt, soft1, "app", &psaaeadencrypt.Operation{KeyName: "aes", Alg: psa.AeadToProto(psa.Aead{Alg: psa.AeadGcm}), Nonce: make([]byte, 13), Plaintext: []byte("p")}),
		fuzzSeed(f, parsec.OpPsaImportKey, soft1, "app", &psaimportkey.Operation{KeyName: "hmac", Attributes: psa.AttributesToProto(hmacAttrs), Data: make([]byte, 32)}),
		fuzzSeed(f, parsec.OpPsaMacCompute, soft1, "app", &psamaccompute.Operation{KeyName: "hmac", Alg: psa.MacToProto(hmacAlg), Input: []byte("i")}),
		fuzzSeed(f, parsec.OpPsaHashCompute, soft1, "", &psahashcompute.Operation{Alg: psa.HashToProto(psa.HashRipemd160), Input: []byte("abc")}),
		fuzzSeed(f, parsec.OpCanDoCrypto, soft1, "app", &candocrypto.Operation{CheckType: candocrypto.CheckType_USE, Attributes: psa.AttributesToProto(eccAttrs)}),
		fuzzSeed(f, parsec.OpPsaDestroyKey, soft1, "app", &psadestroykey.Operation{KeyName: "k"}),
		fuzzSeed(f, parsec.OpListClients, parsec.ProviderCore, "admin", &listkeys.Operation{}),
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var resp *wire.Response
		req, err := wire.ReadRequest(bytes.NewReader(in), wire.Limits{BodyLen: 1 << 16})
		if err != nil {
			if status.CodeOf(err) == status.Success {
				t.Fatalf("ReadRequest failed with status Success: %v", err)
			}
			resp = wire.DefaultResponse(status.CodeOf(err))
		} else {
			resp = svc.Handle(ctx, req, nil)
			if resp.Header.Opcode != req.Header.Opcode {
				t.Fatalf("answer opcode %v for a request of %v", resp.Header.Opcode, req.Header.Opcode)
			}
		}
		if !status.Known(resp.Header.Status) {
			t.Fatalf("status %d is not one of the protocol", resp.Header.Status)
		}
		if resp.Header.Status != status.Success && len(resp.Body) != 0 {
			t.Fatalf("an error answer (%v) carries a body", resp.Header.Status)
		}
		out := wire.EncodeResponse(resp)
		back, err := wire.ReadResponse(bytes.NewReader(out), 1<<20)
		if err != nil || back.Header.Status != resp.Header.Status || !bytes.Equal(back.Body, resp.Body) {
			t.Fatalf("the encoded answer does not read back: %v", err)
		}
		// The service still answers a well-formed request.
		ping := &wire.Request{Header: wire.Header{Opcode: parsec.OpPing}}
		if r := svc.Handle(ctx, ping, nil); r.Header.Status != status.Success {
			t.Fatalf("Ping after the input: %v", r.Header.Status)
		}
	})
}
