// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package back_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/parsecd/parsecd/src/interface/pbwire"
	"github.com/parsecd/parsecd/test/testvectors"

	"github.com/parsecd/parsecd/src/auth"
	"github.com/parsecd/parsecd/src/back"
	"github.com/parsecd/parsecd/src/interface/ops/deleteclient"
	"github.com/parsecd/parsecd/src/interface/ops/listclients"
	"github.com/parsecd/parsecd/src/interface/ops/listkeys"
	"github.com/parsecd/parsecd/src/interface/ops/listopcodes"
	"github.com/parsecd/parsecd/src/interface/ops/listproviders"
	"github.com/parsecd/parsecd/src/interface/ops/ping"
	"github.com/parsecd/parsecd/src/interface/ops/psaaeadencrypt"
	"github.com/parsecd/parsecd/src/interface/ops/psaalgorithm"
	"github.com/parsecd/parsecd/src/interface/ops/psageneratekey"
	"github.com/parsecd/parsecd/src/interface/ops/psageneraterandom"
	"github.com/parsecd/parsecd/src/interface/ops/psahashcompute"
	"github.com/parsecd/parsecd/src/interface/ops/psasignhash"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/src/wire"
	"github.com/parsecd/parsecd/storage"
	"github.com/parsecd/parsecd/storage/memory"
)

// ---------------------------------------------------------------------------
// Fake providers.

// Mbed Crypto's ListProviders entry in the reference service (vector 29).
var mbedInfo = provider.Info{
	ID:          parsec.ProviderMbedCrypto,
	UUID:        "1c1139dc-ad7c-47dc-ad6b-db6fdb466552",
	Description: "User space software provider, based on Mbed Crypto - the reference implementation of the PSA crypto API",
	Vendor:      "Arm",
	Version:     [3]uint32{0, 1, 0},
}

var tpmInfo = provider.Info{
	ID:          parsec.ProviderTpm,
	UUID:        "1e4954a4-ff21-46d3-ab0c-661eeb667e1d",
	Description: "TPM provider",
	Vendor:      "Trusted Computing Group (TCG)",
	Version:     [3]uint32{0, 1, 0},
}

// base implements only provider.Provider.
type base struct {
	info provider.Info
	name string
}

func (b *base) Info() provider.Info { return b.info }
func (b *base) Name() string        { return b.name }
func (b *base) Close() error        { return nil }

// fakeKeys is a provider with key management, signatures, random and hashing,
// whose results are deterministic.
type fakeKeys struct {
	base
	keys storage.KeyStore
	// pub is what ExportPublicKey returns for every key.
	pub []byte
}

var (
	_ provider.KeyManagement = (*fakeKeys)(nil)
	_ provider.AsymSign      = (*fakeKeys)(nil)
	_ provider.Random        = (*fakeKeys)(nil)
	_ provider.Hasher        = (*fakeKeys)(nil)
)

func (f *fakeKeys) triple(c storage.Client, name string) storage.KeyTriple {
	return storage.KeyTriple{Auth: c.Auth, App: c.App, Provider: f.name, Key: name}
}

func (f *fakeKeys) GenerateKey(ctx context.Context, c storage.Client, name string, a psa.KeyAttributes) error {
	return f.keys.Insert(ctx, f.triple(c, name), storage.KeyInfo{ID: []byte("generated"), Attributes: a})
}

func (f *fakeKeys) ImportKey(ctx context.Context, c storage.Client, name string, a psa.KeyAttributes, data []byte) error {
	return f.keys.Insert(ctx, f.triple(c, name), storage.KeyInfo{ID: data, Attributes: a})
}

func (f *fakeKeys) ExportPublicKey(ctx context.Context, c storage.Client, name string) ([]byte, error) {
	if _, err := f.keys.Get(ctx, f.triple(c, name)); err != nil {
		return nil, err
	}
	return f.pub, nil
}

func (f *fakeKeys) DestroyKey(ctx context.Context, c storage.Client, name string) error {
	return f.keys.Remove(ctx, f.triple(c, name))
}

// fakeSignature is 01 02 … 40, the signature of vector 39.
func fakeSignature() []byte {
	s := make([]byte, 64)
	for i := range s {
		s[i] = byte(i + 1)
	}
	return s
}

func (f *fakeKeys) SignHash(ctx context.Context, c storage.Client, name string, _ psa.AsymSign, _ []byte) ([]byte, error) {
	if _, err := f.keys.Get(ctx, f.triple(c, name)); err != nil {
		return nil, err
	}
	return fakeSignature(), nil
}

func (f *fakeKeys) VerifyHash(ctx context.Context, c storage.Client, name string, _ psa.AsymSign, _, sig []byte) error {
	if _, err := f.keys.Get(ctx, f.triple(c, name)); err != nil {
		return err
	}
	if !bytes.Equal(sig, fakeSignature()) {
		return status.PsaErrorInvalidSignature
	}
	return nil
}

// GenerateRandom returns 00 01 02 …, the bytes of vector 44.
func (f *fakeKeys) GenerateRandom(_ context.Context, size uint64) ([]byte, error) {
	out := make([]byte, size)
	for i := range out {
		out[i] = byte(i)
	}
	return out, nil
}

func (f *fakeKeys) HashCompute(_ context.Context, alg psa.Hash, input []byte) ([]byte, error) {
	if alg != psa.HashSHA256 {
		return nil, status.PsaErrorNotSupported
	}
	h := sha256.Sum256(input)
	return h[:], nil
}

func (f *fakeKeys) HashCompare(ctx context.Context, alg psa.Hash, input, hash []byte) error {
	h, err := f.HashCompute(ctx, alg, input)
	if err != nil {
		return err
	}
	if !bytes.Equal(h, hash) {
		return status.PsaErrorInvalidSignature
	}
	return nil
}

// signOnly implements AsymSign and nothing else.
type signOnly struct{ base }

func (signOnly) SignHash(context.Context, storage.Client, string, psa.AsymSign, []byte) ([]byte, error) {
	return []byte{1}, nil
}

func (signOnly) VerifyHash(context.Context, storage.Client, string, psa.AsymSign, []byte, []byte) error {
	return nil
}

// ---------------------------------------------------------------------------
// Helpers.

type setup struct {
	auth    *auth.Set
	mounts  []back.Mount
	version [3]uint32
}

func newService(t testing.TB, s setup) *back.Service {
	t.Helper()
	if s.auth == nil {
		s.auth = auth.NewSet([]string{"admin"}, auth.Direct{})
	}
	svc, err := back.New(back.Options{Auth: s.auth, Providers: s.mounts, Version: s.version})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// standard is a service with a fake Mbed Crypto provider (id 1) and a fake
// TPM provider (id 3), in that config order, sharing one memory store, and
// Direct authentication with "admin" as administrator.
func standard(t testing.TB) (*back.Service, *memory.Store) {
	st := memory.New()
	mbed := &fakeKeys{base: base{info: mbedInfo, name: "mbed-crypto-provider"}, keys: st, pub: []byte{4, 1, 2}}
	tpm := &fakeKeys{base: base{info: tpmInfo, name: "tpm-provider"}, keys: st, pub: []byte{4, 3, 4}}
	return newService(t, setup{mounts: []back.Mount{{Provider: mbed, Store: st}, {Provider: tpm, Store: st}}}), st
}

type rq struct {
	provider parsec.ProviderID
	session  uint64
	opcode   parsec.Opcode
	authType parsec.AuthType
	auth     []byte
	body     []byte
	accept   uint8
}

func direct(app string) (parsec.AuthType, []byte) { return parsec.AuthDirect, []byte(app) }

// aeadBody is a well-formed AES-GCM encryption request.
func aeadBody(t testing.TB) []byte {
	return marshal(t, &psaaeadencrypt.Operation{KeyName: "k", Alg: psa.AeadToProto(psa.Aead{Alg: psa.AeadGcm}), Nonce: make([]byte, 12)})
}

func marshal(t testing.TB, m pbwire.Message) []byte {
	t.Helper()
	b, err := pbwire.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var testPeer = &auth.PeerCred{UID: 1000, GID: 1000, PID: 42}

func do(t testing.TB, svc *back.Service, r rq) *wire.Response {
	t.Helper()
	req := &wire.Request{
		Header: wire.Header{Provider: r.provider, Session: r.session, AcceptType: r.accept, AuthType: r.authType,
			BodyLen: uint32(len(r.body)), AuthLen: uint16(len(r.auth)), Opcode: r.opcode},
		Body: r.body, Auth: r.auth,
	}
	resp := svc.Handle(context.Background(), req, testPeer)
	if resp == nil {
		t.Fatal("nil response")
	}
	// Replies echo provider, session and opcode; content type = accept type.
	h := resp.Header
	if h.Provider != r.provider || h.Session != r.session || h.Opcode != r.opcode || h.ContentType != r.accept ||
		h.AuthType != 0 || h.Flags != 0 {
		t.Errorf("%v: reply header %+v does not echo the request", r.opcode, h)
	}
	if h.Status != status.Success && len(resp.Body) != 0 {
		t.Errorf("%v: error reply %v has a body", r.opcode, h.Status)
	}
	return resp
}

func wantStatus(t testing.TB, resp *wire.Response, want status.Code) {
	t.Helper()
	if resp.Header.Status != want {
		t.Fatalf("%v: status %v, want %v", resp.Header.Opcode, resp.Header.Status, want)
	}
}

func eccAttributes() psa.KeyAttributes {
	return psa.KeyAttributes{
		Type: psa.KeyType{Kind: psa.KeyEccPair, EccFamily: psa.EccSecpR1}, Bits: 256,
		Policy: psa.KeyPolicy{Usage: psa.UsageSignHash | psa.UsageVerifyHash,
			Alg: psa.Algorithm{Kind: psa.AlgAsymSign, Sign: psa.AsymSign{Kind: psa.SignEcdsa, Hash: psa.HashSHA256}}},
	}
}

func generateBody(t testing.TB, name string) []byte {
	return marshal(t, &psageneratekey.Operation{KeyName: name, Attributes: psa.AttributesToProto(eccAttributes())})
}

func signBody(t testing.TB, name string) []byte {
	return marshal(t, &psasignhash.Operation{KeyName: name, Hash: make([]byte, 32),
		Alg: psa.AsymSignToProto(psa.AsymSign{Kind: psa.SignEcdsa, Hash: psa.HashSHA256})})
}

var garbage = []byte{0x11, 0x22, 0x33, 0x44, 0x55}

// ---------------------------------------------------------------------------
// Facts §1.4 steps 12–20.

func TestHandleSteps(t *testing.T) {
	svc, _ := standard(t)
	unixSvc := newService(t, setup{auth: auth.NewSet(nil, auth.UnixPeer{}),
		mounts: []back.Mount{{Provider: &fakeKeys{base: base{info: mbedInfo, name: "m"}, keys: memory.New()}, Store: memory.New()}}})
	at, app := direct("app")
	adm := []byte("admin")
	uid1000 := []byte{0xE8, 0x03, 0, 0}
	tests := []struct {
		name string
		svc  *back.Service
		r    rq
		want status.Code
	}{
		// step 12
		{"unix auth not configured", svc, rq{opcode: parsec.OpPing, authType: parsec.AuthUnixPeerCredentials, auth: uid1000}, status.AuthenticatorNotRegistered},
		{"jwt never configured", svc, rq{opcode: parsec.OpPing, authType: parsec.AuthJwt, auth: []byte("x")}, status.AuthenticatorNotRegistered},
		{"jwt-svid not configured", svc, rq{opcode: parsec.OpPing, authType: parsec.AuthJwtSvid, auth: []byte("x")}, status.AuthenticatorNotRegistered},
		{"direct not configured (unix service)", unixSvc, rq{opcode: parsec.OpPing, authType: parsec.AuthDirect, auth: []byte("a")}, status.AuthenticatorNotRegistered},
		{"auth not registered before provider not registered", svc, rq{provider: parsec.ProviderPkcs11, opcode: parsec.OpPsaGenerateRandom, authType: parsec.AuthJwt}, status.AuthenticatorNotRegistered},
		// step 13
		{"direct empty name", svc, rq{opcode: parsec.OpPing, authType: parsec.AuthDirect}, status.AuthenticationError},
		{"direct invalid utf-8", svc, rq{opcode: parsec.OpPing, authType: parsec.AuthDirect, auth: []byte{0xFF, 0xFE}}, status.AuthenticationError},
		{"unix wrong uid", unixSvc, rq{opcode: parsec.OpPing, authType: parsec.AuthUnixPeerCredentials, auth: []byte{1, 0, 0, 0}}, status.AuthenticationError},
		{"unix 3 bytes", unixSvc, rq{opcode: parsec.OpPing, authType: parsec.AuthUnixPeerCredentials, auth: []byte{0xE8, 3, 0}}, status.AuthenticationError},
		{"unix right uid", unixSvc, rq{opcode: parsec.OpPing, authType: parsec.AuthUnixPeerCredentials, auth: uid1000}, status.Success},
		{"auth rejected before provider not registered", svc, rq{provider: parsec.ProviderPkcs11, opcode: parsec.OpPing, authType: parsec.AuthDirect}, status.AuthenticationError},
		// step 14
		{"provider 2 not configured", svc, rq{provider: parsec.ProviderPkcs11, opcode: parsec.OpPsaGenerateRandom, body: marshal(t, &psageneraterandom.Operation{Size: 4})}, status.ProviderNotRegistered},
		{"provider 5 not configured, core op", svc, rq{provider: parsec.ProviderCryptoAuthLib, opcode: parsec.OpPing}, status.ProviderNotRegistered},
		// step 15
		{"core op to provider 1", svc, rq{provider: parsec.ProviderMbedCrypto, opcode: parsec.OpPing}, status.PsaErrorNotSupported},
		{"list keys to provider 1", svc, rq{provider: parsec.ProviderMbedCrypto, opcode: parsec.OpListKeys, authType: at, auth: app}, status.PsaErrorNotSupported},
		{"admin op to provider 1 without auth", svc, rq{provider: parsec.ProviderMbedCrypto, opcode: parsec.OpListClients}, status.PsaErrorNotSupported},
		{"crypto op to provider 0", svc, rq{opcode: parsec.OpPsaGenerateRandom, body: marshal(t, &psageneraterandom.Operation{Size: 4})}, status.PsaErrorNotSupported},
		{"generate key to provider 0", svc, rq{opcode: parsec.OpPsaGenerateKey, authType: at, auth: app, body: generateBody(t, "k")}, status.PsaErrorNotSupported},
		// step 16
		{"list clients without auth", svc, rq{opcode: parsec.OpListClients}, status.NotAuthenticated},
		{"delete client without auth", svc, rq{opcode: parsec.OpDeleteClient, body: marshal(t, &deleteclient.Operation{Client: "x"})}, status.NotAuthenticated},
		{"admin op without auth, garbage body", svc, rq{opcode: parsec.OpListClients, body: garbage}, status.NotAuthenticated},
		// step 17
		{"list clients by non-admin", svc, rq{opcode: parsec.OpListClients, authType: at, auth: app}, status.AdminOperation},
		{"delete client by non-admin", svc, rq{opcode: parsec.OpDeleteClient, authType: at, auth: app, body: marshal(t, &deleteclient.Operation{Client: "x"})}, status.AdminOperation},
		{"non-admin before garbage body", svc, rq{opcode: parsec.OpDeleteClient, authType: at, auth: app, body: garbage}, status.AdminOperation},
		{"list clients by admin", svc, rq{opcode: parsec.OpListClients, authType: at, auth: adm}, status.Success},
		// step 18
		{"garbage ping", svc, rq{opcode: parsec.OpPing, body: garbage}, status.DeserializingBodyFailed},
		{"garbage list providers", svc, rq{opcode: parsec.OpListProviders, body: garbage}, status.DeserializingBodyFailed},
		{"garbage generate random", svc, rq{provider: parsec.ProviderMbedCrypto, opcode: parsec.OpPsaGenerateRandom, body: garbage}, status.DeserializingBodyFailed},
		{"garbage generate key, no auth", svc, rq{provider: parsec.ProviderMbedCrypto, opcode: parsec.OpPsaGenerateKey, body: garbage}, status.DeserializingBodyFailed},
		{"garbage aead (not implemented)", svc, rq{provider: parsec.ProviderMbedCrypto, opcode: parsec.OpPsaAeadEncrypt, authType: at, auth: app, body: garbage}, status.DeserializingBodyFailed},
		{"garbage admin op by admin", svc, rq{opcode: parsec.OpDeleteClient, authType: at, auth: adm, body: garbage}, status.DeserializingBodyFailed},
		// step 19
		{"generate key without attributes", svc, rq{provider: parsec.ProviderMbedCrypto, opcode: parsec.OpPsaGenerateKey, authType: at, auth: app,
			body: marshal(t, &psageneratekey.Operation{KeyName: "k"})}, status.InvalidEncoding},
		{"generate key without attributes and without auth", svc, rq{provider: parsec.ProviderMbedCrypto, opcode: parsec.OpPsaGenerateKey,
			body: marshal(t, &psageneratekey.Operation{KeyName: "k"})}, status.InvalidEncoding},
		{"sign without algorithm", svc, rq{provider: parsec.ProviderMbedCrypto, opcode: parsec.OpPsaSignHash,
			body: marshal(t, &psasignhash.Operation{KeyName: "k"})}, status.InvalidEncoding},
		{"hash compute with hash NONE", svc, rq{provider: parsec.ProviderMbedCrypto, opcode: parsec.OpPsaHashCompute,
			body: marshal(t, &psahashcompute.Operation{Input: []byte("abc")})}, status.InvalidEncoding},
		{"list opcodes of provider 6", svc, rq{opcode: parsec.OpListOpcodes, body: marshal(t, &listopcodes.Operation{ProviderId: 6})}, status.ProviderDoesNotExist},
		{"list opcodes of provider 256", svc, rq{opcode: parsec.OpListOpcodes, body: marshal(t, &listopcodes.Operation{ProviderId: 256})}, status.ProviderDoesNotExist},
		{"list opcodes of unconfigured provider 2", svc, rq{opcode: parsec.OpListOpcodes, body: marshal(t, &listopcodes.Operation{ProviderId: 2})}, status.ProviderNotRegistered},
		// step 20
		{"generate key without auth", svc, rq{provider: parsec.ProviderMbedCrypto, opcode: parsec.OpPsaGenerateKey, body: generateBody(t, "k")}, status.NotAuthenticated},
		{"sign without auth", svc, rq{provider: parsec.ProviderMbedCrypto, opcode: parsec.OpPsaSignHash, body: signBody(t, "k")}, status.NotAuthenticated},
		{"destroy without auth", svc, rq{provider: parsec.ProviderMbedCrypto, opcode: parsec.OpPsaDestroyKey}, status.NotAuthenticated},
		{"list keys without auth", svc, rq{opcode: parsec.OpListKeys}, status.NotAuthenticated},
		{"aead with a missing algorithm", svc, rq{provider: parsec.ProviderMbedCrypto, opcode: parsec.OpPsaAeadEncrypt, authType: at, auth: app}, status.InvalidEncoding},
		{"aead without auth (not implemented)", svc, rq{provider: parsec.ProviderMbedCrypto, opcode: parsec.OpPsaAeadEncrypt, body: aeadBody(t)}, status.NotAuthenticated},
		// operations that need no application
		{"generate random without auth", svc, rq{provider: parsec.ProviderMbedCrypto, opcode: parsec.OpPsaGenerateRandom,
			body: marshal(t, &psageneraterandom.Operation{Size: 8})}, status.Success},
		{"hash compute without auth", svc, rq{provider: parsec.ProviderMbedCrypto, opcode: parsec.OpPsaHashCompute,
			body: marshal(t, &psahashcompute.Operation{Alg: psaalgorithm.Algorithm_SHA_256, Input: []byte("abc")})}, status.Success},
		{"ping without auth", svc, rq{opcode: parsec.OpPing}, status.Success},
		{"list providers without auth", svc, rq{opcode: parsec.OpListProviders}, status.Success},
		{"list authenticators without auth", svc, rq{opcode: parsec.OpListAuthenticators}, status.Success},
		{"ping with direct auth", svc, rq{opcode: parsec.OpPing, authType: at, auth: app}, status.Success},
		// step 21: provider-level failures
		{"sign a missing key", svc, rq{provider: parsec.ProviderMbedCrypto, opcode: parsec.OpPsaSignHash, authType: at, auth: app, body: signBody(t, "nope")}, status.PsaErrorDoesNotExist},
		{"aead not implemented", svc, rq{provider: parsec.ProviderMbedCrypto, opcode: parsec.OpPsaAeadEncrypt, authType: at, auth: app, body: aeadBody(t)}, status.PsaErrorNotSupported},
		{"export key not in the provider's families", svc, rq{provider: parsec.ProviderMbedCrypto, opcode: parsec.OpPsaExportKey, authType: at, auth: app}, status.PsaErrorNotSupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.r.session = 0xABCDEF
			resp := do(t, tt.svc, tt.r)
			wantStatus(t, resp, tt.want)
		})
	}
}

// An operation of a family the provider lacks is PsaErrorNotSupported, but
// only after the checks of steps 19 and 20.
func TestHandleMissingFamily(t *testing.T) {
	so := &signOnly{base{info: mbedInfo, name: "sign-only"}}
	svc := newService(t, setup{mounts: []back.Mount{{Provider: so, Store: memory.New()}}})
	at, app := direct("app")
	p := parsec.ProviderMbedCrypto
	wantStatus(t, do(t, svc, rq{provider: p, opcode: parsec.OpPsaGenerateKey, authType: at, auth: app, body: generateBody(t, "k")}), status.PsaErrorNotSupported)
	wantStatus(t, do(t, svc, rq{provider: p, opcode: parsec.OpPsaGenerateKey, authType: at, auth: app,
		body: marshal(t, &psageneratekey.Operation{KeyName: "k"})}), status.InvalidEncoding)
	wantStatus(t, do(t, svc, rq{provider: p, opcode: parsec.OpPsaGenerateKey, body: generateBody(t, "k")}), status.NotAuthenticated)
	wantStatus(t, do(t, svc, rq{provider: p, opcode: parsec.OpPsaDestroyKey}), status.NotAuthenticated)
	wantStatus(t, do(t, svc, rq{provider: p, opcode: parsec.OpPsaGenerateRandom, body: marshal(t, &psageneraterandom.Operation{Size: 1})}), status.PsaErrorNotSupported)
	wantStatus(t, do(t, svc, rq{provider: p, opcode: parsec.OpPsaSignHash, authType: at, auth: app, body: signBody(t, "k")}), status.Success)
}

func TestHandleAcceptTypeEchoed(t *testing.T) {
	svc, _ := standard(t)
	// The wire layer refuses accept type ≠ 0, but the back end still
	// derives the reply's content type from it.
	resp := do(t, svc, rq{opcode: parsec.OpPing, accept: 0, session: 99})
	wantStatus(t, resp, status.Success)
	var res ping.Result
	if err := pbwire.Unmarshal(resp.Body, &res); err != nil || res.WireProtocolVersionMaj != 1 || res.WireProtocolVersionMin != 0 {
		t.Errorf("ping result %v, %v", &res, err)
	}
	if !bytes.Equal(resp.Body, []byte{0x08, 0x01}) {
		t.Errorf("ping body %x, want 0801", resp.Body)
	}
}

func TestNewRefusesDuplicatesAndCore(t *testing.T) {
	st := memory.New()
	a := &fakeKeys{base: base{info: mbedInfo, name: "a"}, keys: st}
	b := &fakeKeys{base: base{info: mbedInfo, name: "b"}, keys: st}
	if _, err := back.New(back.Options{Auth: auth.NewSet(nil, auth.Direct{}), Providers: []back.Mount{{Provider: a, Store: st}, {Provider: b, Store: st}}}); err == nil {
		t.Error("two providers with id 1 accepted")
	}
	c := &fakeKeys{base: base{info: provider.Info{ID: parsec.ProviderCore}, name: "c"}, keys: st}
	if _, err := back.New(back.Options{Auth: auth.NewSet(nil, auth.Direct{}), Providers: []back.Mount{{Provider: c, Store: st}}}); err == nil {
		t.Error("a crypto provider with id 0 accepted")
	}
	if _, err := back.New(back.Options{Auth: auth.NewSet(nil, auth.Direct{}), Providers: []back.Mount{{Provider: a}}}); err == nil {
		t.Error("a provider without a store accepted")
	}
}

// ---------------------------------------------------------------------------
// Core operations.

func TestListProviders(t *testing.T) {
	st := memory.New()
	tpm := &fakeKeys{base: base{info: tpmInfo, name: "tpm"}, keys: st}
	mbed := &fakeKeys{base: base{info: mbedInfo, name: "mbed"}, keys: st}
	svc := newService(t, setup{mounts: []back.Mount{{Provider: tpm, Store: st}, {Provider: mbed, Store: st}}, version: [3]uint32{1, 2, 3}})
	resp := do(t, svc, rq{opcode: parsec.OpListProviders})
	wantStatus(t, resp, status.Success)
	var res listproviders.Result
	if err := pbwire.Unmarshal(resp.Body, &res); err != nil {
		t.Fatal(err)
	}
	var ids []uint32
	for _, p := range res.Providers {
		ids = append(ids, p.Id)
	}
	if !reflect.DeepEqual(ids, []uint32{3, 1, 0}) {
		t.Fatalf("provider ids %v, want config order then core: [3 1 0]", ids)
	}
	core := res.Providers[2]
	if core.Uuid != "47049873-2a43-4845-9d72-831eab668784" || core.Vendor != "" ||
		core.VersionMaj != 1 || core.VersionMin != 2 || core.VersionRev != 3 ||
		core.Description != "Software provider that implements only administrative (i.e. no cryptographic) operations" {
		t.Errorf("core entry %v", core)
	}
	if p := res.Providers[0]; p.Uuid != tpmInfo.UUID || p.Vendor != tpmInfo.Vendor || p.Description != tpmInfo.Description || p.VersionMin != 1 {
		t.Errorf("tpm entry %v", p)
	}
}

func listOpcodes(t *testing.T, svc *back.Service, id uint32) []uint32 {
	t.Helper()
	resp := do(t, svc, rq{opcode: parsec.OpListOpcodes, body: marshal(t, &listopcodes.Operation{ProviderId: id})})
	wantStatus(t, resp, status.Success)
	var res listopcodes.Result
	if err := pbwire.Unmarshal(resp.Body, &res); err != nil {
		t.Fatal(err)
	}
	got := slices.Clone(res.Opcodes)
	slices.Sort(got)
	return got
}

func TestListOpcodes(t *testing.T) {
	st := memory.New()
	so := &signOnly{base{info: tpmInfo, name: "sign-only"}}
	full := &fakeKeys{base: base{info: mbedInfo, name: "full"}, keys: st}
	svc := newService(t, setup{mounts: []back.Mount{{Provider: so, Store: st}, {Provider: full, Store: st}}})
	if got := listOpcodes(t, svc, 3); !reflect.DeepEqual(got, []uint32{4, 5}) {
		t.Errorf("sign-only provider lists %v, want [4 5]", got)
	}
	// KeyManagement (2 3 6 7), AsymSign (4 5), Random (13), Hasher (15 16).
	if got := listOpcodes(t, svc, 1); !reflect.DeepEqual(got, []uint32{2, 3, 4, 5, 6, 7, 13, 15, 16}) {
		t.Errorf("fake provider lists %v", got)
	}
	if got := listOpcodes(t, svc, 0); !reflect.DeepEqual(got, []uint32{1, 8, 9, 14, 26}) {
		t.Errorf("core lists %v, want [1 8 9 14 26]", got)
	}
	if got := back.Opcodes(so); !reflect.DeepEqual(got, []parsec.Opcode{parsec.OpPsaSignHash, parsec.OpPsaVerifyHash}) {
		t.Errorf("Opcodes(signOnly) = %v", got)
	}
	wantStatus(t, do(t, svc, rq{opcode: parsec.OpListOpcodes, body: marshal(t, &listopcodes.Operation{ProviderId: 6})}), status.ProviderDoesNotExist)
	wantStatus(t, do(t, svc, rq{opcode: parsec.OpListOpcodes, body: marshal(t, &listopcodes.Operation{ProviderId: 2})}), status.ProviderNotRegistered)
	wantStatus(t, do(t, svc, rq{opcode: parsec.OpListOpcodes, body: marshal(t, &listopcodes.Operation{ProviderId: 0x101})}), status.ProviderDoesNotExist)
}

func generate(t *testing.T, svc *back.Service, p parsec.ProviderID, app, key string) {
	t.Helper()
	at, a := direct(app)
	wantStatus(t, do(t, svc, rq{provider: p, opcode: parsec.OpPsaGenerateKey, authType: at, auth: a, body: generateBody(t, key)}), status.Success)
}

type listed struct {
	Provider uint32
	Name     string
}

func listKeys(t *testing.T, svc *back.Service, app string) []listed {
	t.Helper()
	return listKeysAll(t, svc, app, false)
}

// listKeysAll is ListKeys with parsecd's parsecd_all_providers field.
func listKeysAll(t *testing.T, svc *back.Service, app string, all bool) []listed {
	t.Helper()
	at, a := direct(app)
	resp := do(t, svc, rq{opcode: parsec.OpListKeys, authType: at, auth: a, body: marshal(t, &listkeys.Operation{ParsecdAllProviders: all})})
	wantStatus(t, resp, status.Success)
	var res listkeys.Result
	if err := pbwire.Unmarshal(resp.Body, &res); err != nil {
		t.Fatal(err)
	}
	var out []listed
	for _, k := range res.Keys {
		out = append(out, listed{k.ProviderId, k.Name})
		a, err := psa.AttributesFromProto(k.Attributes)
		if err != nil || !reflect.DeepEqual(a, eccAttributes()) {
			t.Errorf("key %s: attributes %+v, %v", k.Name, a, err)
		}
	}
	return out
}

func listClients(t *testing.T, svc *back.Service) []string {
	t.Helper()
	at, a := direct("admin")
	resp := do(t, svc, rq{opcode: parsec.OpListClients, authType: at, auth: a})
	wantStatus(t, resp, status.Success)
	var res listclients.Result
	if err := pbwire.Unmarshal(resp.Body, &res); err != nil {
		t.Fatal(err)
	}
	return res.Clients
}

func TestKeysAndClients(t *testing.T) {
	svc, st := standard(t)
	generate(t, svc, parsec.ProviderMbedCrypto, "alice", "a1")
	generate(t, svc, parsec.ProviderTpm, "alice", "a2")
	generate(t, svc, parsec.ProviderTpm, "alice", "a0")
	generate(t, svc, parsec.ProviderMbedCrypto, "bob", "b1")
	generate(t, svc, parsec.ProviderMbedCrypto, "bob", "a1") // same name, other app
	// Same key twice in one provider: the store says it exists.
	at, a := direct("alice")
	wantStatus(t, do(t, svc, rq{provider: parsec.ProviderMbedCrypto, opcode: parsec.OpPsaGenerateKey, authType: at, auth: a, body: generateBody(t, "a1")}), status.PsaErrorAlreadyExists)

	// ListKeys: only the caller's keys, across providers in config order.
	if got, want := listKeys(t, svc, "alice"), []listed{{1, "a1"}, {3, "a0"}, {3, "a2"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("alice lists %v, want %v", got, want)
	}
	if got, want := listKeys(t, svc, "bob"), []listed{{1, "a1"}, {1, "b1"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("bob lists %v, want %v", got, want)
	}
	if got := listKeys(t, svc, "carol"); len(got) != 0 {
		t.Errorf("carol lists %v", got)
	}
	// An empty ListKeys result has an empty body (vector 33).
	resp := do(t, svc, rq{opcode: parsec.OpListKeys, authType: at, auth: []byte("carol")})
	if len(resp.Body) != 0 {
		t.Errorf("empty ListKeys body %x", resp.Body)
	}

	// ListClients: every app with a key, sorted.
	if got, want := listClients(t, svc), []string{"alice", "bob"}; !reflect.DeepEqual(got, want) {
		t.Errorf("clients %v, want %v", got, want)
	}

	// DeleteClient destroys every key of the target in every provider.
	ad, adm := direct("admin")
	del := func(client string) {
		t.Helper()
		wantStatus(t, do(t, svc, rq{opcode: parsec.OpDeleteClient, authType: ad, auth: adm,
			body: marshal(t, &deleteclient.Operation{Client: client})}), status.Success)
	}
	del("alice")
	if got := listKeys(t, svc, "alice"); len(got) != 0 {
		t.Errorf("alice still has %v", got)
	}
	if got, want := listKeys(t, svc, "bob"), []listed{{1, "a1"}, {1, "b1"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("bob lists %v after deleting alice, want %v", got, want)
	}
	for _, p := range []string{"mbed-crypto-provider", "tpm-provider"} {
		if e, _ := st.List(context.Background(), p, storage.Client{Auth: parsec.AuthDirect, App: "alice"}); len(e) != 0 {
			t.Errorf("store still holds alice's keys in %s: %v", p, e)
		}
	}
	if got, want := listClients(t, svc), []string{"bob"}; !reflect.DeepEqual(got, want) {
		t.Errorf("clients %v, want %v", got, want)
	}
	// Unknown clients and repeated deletions succeed.
	del("nobody")
	del("alice")
	del("")
	del("bob")
	if got := listClients(t, svc); len(got) != 0 {
		t.Errorf("clients %v after deleting everyone", got)
	}
	// An admin listing an empty service gets an empty body.
	if resp := do(t, svc, rq{opcode: parsec.OpListClients, authType: ad, auth: adm}); len(resp.Body) != 0 {
		t.Errorf("empty ListClients body %x", resp.Body)
	}
}

// Clients are namespaced by authenticator: a UnixPeer admin does not see
// (or delete) keys stored under the Direct authenticator.
func TestClientsNamespacedByAuthenticator(t *testing.T) {
	st := memory.New()
	ctx := context.Background()
	mbed := &fakeKeys{base: base{info: mbedInfo, name: "mbed"}, keys: st}
	if err := mbed.GenerateKey(ctx, storage.Client{App: "1000", Auth: parsec.AuthDirect}, "k", eccAttributes()); err != nil {
		t.Fatal(err)
	}
	if err := mbed.GenerateKey(ctx, storage.Client{App: "2000", Auth: parsec.AuthUnixPeerCredentials}, "k", eccAttributes()); err != nil {
		t.Fatal(err)
	}
	svc := newService(t, setup{auth: auth.NewSet([]string{"1000"}, auth.UnixPeer{}), mounts: []back.Mount{{Provider: mbed, Store: st}}})
	uid := []byte{0xE8, 0x03, 0, 0}
	resp := do(t, svc, rq{opcode: parsec.OpListClients, authType: parsec.AuthUnixPeerCredentials, auth: uid})
	wantStatus(t, resp, status.Success)
	var res listclients.Result
	if err := pbwire.Unmarshal(resp.Body, &res); err != nil || !reflect.DeepEqual(res.Clients, []string{"2000"}) {
		t.Errorf("clients %v (%v), want [2000]", res.Clients, err)
	}
	wantStatus(t, do(t, svc, rq{opcode: parsec.OpDeleteClient, authType: parsec.AuthUnixPeerCredentials, auth: uid,
		body: marshal(t, &deleteclient.Operation{Client: "1000"})}), status.Success)
	if _, err := st.Get(ctx, storage.KeyTriple{Auth: parsec.AuthDirect, App: "1000", Provider: "mbed", Key: "k"}); err != nil {
		t.Errorf("Direct key of app 1000 was deleted: %v", err)
	}
}

// ---------------------------------------------------------------------------
// Golden vectors: request vectors driven through a Service whose provider 1
// is a fake with Mbed Crypto's description, compared byte for byte with the
// reference service's responses.

type vector struct {
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	File     string `json:"file"`
	BodyFile string `json:"body_file"`
}

func vectors(t *testing.T) (string, map[string]vector) {
	t.Helper()
	vdir := testvectors.Dir(t)
	data, err := os.ReadFile(filepath.Join(vdir, "manifest.json"))
	if err != nil {
		t.Fatalf("golden vectors are missing: %v", err)
	}
	var m struct {
		FixedInputs struct {
			P256 string `json:"test_p256_public_point"`
		} `json:"fixed_inputs"`
		Vectors []vector `json:"vectors"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	out := map[string]vector{}
	for _, v := range m.Vectors {
		out[v.Name] = v
	}
	out["#p256"] = vector{Name: m.FixedInputs.P256}
	return vdir, out
}

func TestGoldenExchanges(t *testing.T) {
	dir, vs := vectors(t)
	read := func(name string) []byte {
		t.Helper()
		v, ok := vs[name]
		if !ok {
			t.Fatalf("vector %s missing from the manifest", name)
		}
		b, err := os.ReadFile(filepath.Join(dir, v.File))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	pub, err := hex.DecodeString(vs["#p256"].Name)
	if err != nil || len(pub) != 65 {
		t.Fatalf("fixed P-256 point: %v", err)
	}
	st := memory.New()
	mbed := &fakeKeys{base: base{info: mbedInfo, name: "mbed-crypto-provider"}, keys: st, pub: pub}
	svc := newService(t, setup{auth: auth.NewSet(nil, auth.Direct{}), mounts: []back.Mount{{Provider: mbed, Store: st}}, version: [3]uint32{1, 1, 0}})

	exchange := func(reqName, respName string) {
		t.Helper()
		req, err := wire.ReadRequest(bytes.NewReader(read(reqName)), wire.Limits{BodyLen: wire.DefaultBodyLimit})
		if err != nil {
			t.Fatalf("%s: %v", reqName, err)
		}
		got := wire.EncodeResponse(svc.Handle(context.Background(), req, testPeer))
		if want := read(respName); !bytes.Equal(got, want) {
			t.Errorf("%s -> %s:\n got %x\nwant %x", reqName, respName, got, want)
		}
	}
	exchange("ping_noauth", "ping_ok")
	exchange("ping_direct", "ping_ok")
	exchange("list_providers", "list_providers_ok")
	exchange("list_authenticators", "list_authenticators_ok")
	exchange("list_keys", "list_keys_empty_ok")
	exchange("generate_key_ecc_p256", "generate_key_ok")
	exchange("generate_key_ecc_p256", "error_generate_already_exists")
	exchange("list_keys", "list_keys_ok")
	exchange("export_public_key_ecc", "export_public_key_ecc_ok")
	exchange("sign_hash_ecdsa", "sign_hash_ok")
	exchange("hash_compute_sha256", "hash_compute_ok")
	exchange("generate_random_32", "generate_random_ok")
	exchange("import_key_ecc_p256_public", "import_key_ok")
	exchange("list_clients", "error_admin_operation")
	exchange("destroy_key_ecc", "destroy_key_ok")
	exchange("sign_hash_ecdsa", "error_sign_does_not_exist")
	// Vectors 49–53 and 61: headers of later-stage errors.
	for _, c := range []struct {
		resp string
		r    rq
	}{
		{"error_not_authenticated", rq{provider: 1, opcode: parsec.OpPsaGenerateKey, body: read("generate_key_ecc_p256")[36 : 36+47]}},
		{"error_admin_operation", rq{opcode: parsec.OpListClients, authType: parsec.AuthDirect, auth: []byte("x")}},
		{"error_authentication_error", rq{opcode: parsec.OpListKeys, authType: parsec.AuthDirect}},
		{"error_provider_not_registered", rq{provider: 2, opcode: parsec.OpPsaGenerateRandom}},
		{"error_crypto_op_to_core", rq{opcode: parsec.OpPsaGenerateRandom}},
		{"error_deserializing_body_failed", rq{provider: 1, opcode: parsec.OpPsaGenerateRandom, body: garbage}},
	} {
		got := wire.EncodeResponse(do(t, svc, c.r))
		if want := read(c.resp); !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %x\nwant %x", c.resp, got, want)
		}
	}
}

// Vector 31 with a UnixPeer service would differ; make sure Direct's and
// UnixPeer's descriptions both reach the wire unchanged.
func TestListAuthenticatorsUnix(t *testing.T) {
	svc := newService(t, setup{auth: auth.NewSet(nil, auth.UnixPeer{})})
	resp := do(t, svc, rq{opcode: parsec.OpListAuthenticators})
	wantStatus(t, resp, status.Success)
	// field 1 (authenticators), then the entry's id field 5 = 3 at its end.
	if len(resp.Body) < 4 || !bytes.HasSuffix(resp.Body, []byte{0x18, 0x01, 0x28, 0x03}) {
		t.Errorf("body %x does not end with version 0.1.0 and id 3", resp.Body)
	}
	if !bytes.Contains(resp.Body, []byte(auth.UnixPeer{}.Info().Description)) {
		t.Error("description missing")
	}
}
