// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package client_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parsecd/parsecd/src/client"
	"github.com/parsecd/parsecd/src/client/clienttest"
	"github.com/parsecd/parsecd/src/interface/ops/listauthenticators"
	"github.com/parsecd/parsecd/src/interface/ops/listopcodes"
	"github.com/parsecd/parsecd/src/interface/ops/ping"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/src/wire"
	"github.com/parsecd/parsecd/test/testvectors"
)

var ctx = context.Background()

func newClient(t *testing.T, srv *clienttest.Server, opts ...client.Option) *client.Client {
	t.Helper()
	c, err := client.New(append([]client.Option{client.WithEndpoint(srv.Endpoint)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestParseEndpoint(t *testing.T) {
	good := map[string]string{
		"unix:/run/parsec/parsec.sock":   "/run/parsec/parsec.sock",
		"unix:///run/parsec/parsec.sock": "/run/parsec/parsec.sock",
		"unix:/tmp/parsec.sock":          "/tmp/parsec.sock",
		"/tmp/parsec.sock":               "/tmp/parsec.sock",
	}
	for uri, want := range good {
		got, err := client.ParseEndpoint(uri)
		if err != nil || got != want {
			t.Errorf("ParseEndpoint(%q) = %q, %v; want %q", uri, got, err, want)
		}
	}
	for _, uri := range []string{"", "unix:", "unix:/", "unix:relative.sock", "unix://host/tmp/s", "tcp://127.0.0.1:1", "relative.sock", "unix://"} {
		if got, err := client.ParseEndpoint(uri); err == nil {
			t.Errorf("ParseEndpoint(%q) = %q, want an error", uri, got)
		}
	}
}

func TestEndpointSources(t *testing.T) {
	t.Setenv(client.EndpointEnv, "")
	c, err := client.New()
	if err != nil || c.SocketPath() != "/run/parsec/parsec.sock" {
		t.Fatalf("default endpoint: %v, %v", c, err)
	}
	t.Setenv(client.EndpointEnv, "unix:///tmp/from-env.sock")
	if c, err = client.New(); err != nil || c.SocketPath() != "/tmp/from-env.sock" {
		t.Fatalf("env endpoint: %v", err)
	}
	if c, err = client.New(client.WithEndpoint("unix:/tmp/opt.sock")); err != nil || c.SocketPath() != "/tmp/opt.sock" {
		t.Fatalf("option endpoint: %v", err)
	}
	t.Setenv(client.EndpointEnv, "tcp://x")
	_, err = client.New()
	if err == nil {
		t.Fatal("bad env endpoint accepted")
	}
	if status.CodeOf(err) != status.ConnectionError || !strings.Contains(err.Error(), `service endpoint "tcp://x": only Unix sockets are supported (PARSEC_SERVICE_ENDPOINT=unix:/path/to/parsec.sock)`) {
		t.Errorf("bad endpoint error: %v", err)
	}
}

// A failed connection names the socket tried and how to choose another.
func TestConnectErrorNamesPathAndEnv(t *testing.T) {
	path := filepath.Join(t.TempDir(), "none.sock")
	c, err := client.New(client.WithEndpoint("unix:" + path))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Ping(context.Background())
	if status.CodeOf(err) != status.ConnectionError || !errors.Is(err, syscall.ENOENT) ||
		!strings.Contains(err.Error(), "cannot connect to the Parsec service at "+path+" (is parsecd running? PARSEC_SERVICE_ENDPOINT=unix:/path/to/parsec.sock selects another socket)") {
		t.Errorf("error %v", err)
	}
}

// ---- golden vectors ----

func vectorsDir(t *testing.T) string {
	t.Helper()
	return testvectors.Dir(t)
}

func readVector(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(vectorsDir(t), name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var eccP256Sign = psa.KeyAttributes{
	Type: psa.KeyType{Kind: psa.KeyEccPair, EccFamily: psa.EccSecpR1}, Bits: 256,
	Policy: psa.KeyPolicy{
		Usage: psa.UsageSignHash | psa.UsageVerifyHash | psa.UsageSignMessage | psa.UsageVerifyMessage,
		Alg:   psa.Algorithm{Kind: psa.AlgAsymSign, Sign: psa.AsymSign{Kind: psa.SignEcdsa, Hash: psa.HashSHA256}},
	},
}

// The client must put on the wire exactly the frames the Rust client does.
func TestRequestFramesMatchVectors(t *testing.T) {
	srv := clienttest.NewServer(t, func(req *wire.Request) *wire.Response {
		return clienttest.Fail(req, status.PsaErrorNotSupported)
	})
	direct := client.DirectAuth("parsec-go-vectors")
	c := newClient(t, srv, client.WithAuth(direct), client.WithProvider(parsec.ProviderMbedCrypto))
	hash := unhex(t, "4a517b66d550ca920c7f2cbcb8a528ac670063749e84ec100a1058aa7dc38af4")
	rsaSign := psa.KeyAttributes{Type: psa.KeyType{Kind: psa.KeyRsaPair}, Bits: 2048, Policy: psa.KeyPolicy{
		Usage: psa.UsageSignHash | psa.UsageVerifyHash | psa.UsageSignMessage | psa.UsageVerifyMessage,
		Alg:   psa.Algorithm{Kind: psa.AlgAsymSign, Sign: psa.AsymSign{Kind: psa.SignRsaPkcs1v15, Hash: psa.HashSHA256}}}}
	oaep := psa.AsymEncrypt{Kind: psa.EncRsaOaep, Hash: psa.HashSHA256}
	rsaOaep := psa.KeyAttributes{Type: psa.KeyType{Kind: psa.KeyRsaPair}, Bits: 2048, Policy: psa.KeyPolicy{
		Usage: psa.UsageEncrypt | psa.UsageDecrypt, Alg: psa.Algorithm{Kind: psa.AlgAsymEncrypt, Encrypt: oaep}}}

	cases := []struct {
		file string
		call func() error
	}{
		{"01_ping_noauth.req.bin", func() error { _, _, err := c.Ping(ctx); return err }},
		{"02_ping_direct.req.bin", func() error {
			return c.Call(ctx, parsec.OpPing, parsec.ProviderCore, direct, &ping.Operation{}, nil)
		}},
		{"03_ping_unix.req.bin", func() error {
			return c.Call(ctx, parsec.OpPing, parsec.ProviderCore, client.Auth{Type: parsec.AuthUnixPeerCredentials, UID: 1000}, &ping.Operation{}, nil)
		}},
		{"06_list_opcodes_mbed.req.bin", func() error {
			return c.Call(ctx, parsec.OpListOpcodes, parsec.ProviderCore, direct, &listopcodes.Operation{ProviderId: 1}, nil)
		}},
		{"09_list_keys.req.bin", func() error { _, err := c.ListKeys(ctx); return err }},
		{"11_list_clients.req.bin", func() error { _, err := c.ListClients(ctx); return err }},
		{"12_generate_key_ecc_p256.req.bin", func() error { return c.GenerateKey(ctx, "vec-ecc-p256", eccP256Sign) }},
		{"13_generate_key_rsa2048_sign.req.bin", func() error { return c.GenerateKey(ctx, "vec-rsa-sign", rsaSign) }},
		{"14_generate_key_rsa2048_oaep.req.bin", func() error { return c.GenerateKey(ctx, "vec-rsa-oaep", rsaOaep) }},
		{"16_export_public_key_ecc.req.bin", func() error { _, err := c.ExportPublicKey(ctx, "vec-ecc-p256"); return err }},
		{"17_destroy_key_ecc.req.bin", func() error { return c.DestroyKey(ctx, "vec-ecc-p256") }},
		{"18_sign_hash_ecdsa.req.bin", func() error {
			_, err := c.SignHash(ctx, "vec-ecc-p256", eccP256Sign.Policy.Alg.Sign, hash)
			return err
		}},
		{"19_sign_hash_rsa_pkcs1v15.req.bin", func() error {
			_, err := c.SignHash(ctx, "vec-rsa-sign", rsaSign.Policy.Alg.Sign, hash)
			return err
		}},
		{"21_asymmetric_encrypt_oaep.req.bin", func() error {
			_, err := c.AsymmetricEncrypt(ctx, "vec-rsa-oaep", oaep, []byte("hello parsec"), nil)
			return err
		}},
		{"22_asymmetric_encrypt_oaep_salt.req.bin", func() error {
			_, err := c.AsymmetricEncrypt(ctx, "vec-rsa-oaep", oaep, []byte("hello parsec"), []byte("label"))
			return err
		}},
		{"24_hash_compute_sha256.req.bin", func() error { _, err := c.HashCompute(ctx, psa.HashSHA256, []byte("abc")); return err }},
		{"25_generate_random_32.req.bin", func() error { _, err := c.GenerateRandom(ctx, 32); return err }},
	}
	for i, tc := range cases {
		if err := tc.call(); !errors.Is(err, status.PsaErrorNotSupported) {
			t.Errorf("%s: err = %v, want the canned PsaErrorNotSupported", tc.file, err)
			continue
		}
		reqs := srv.Requests()
		if len(reqs) != i+1 {
			t.Fatalf("%s: server saw %d requests, want %d", tc.file, len(reqs), i+1)
		}
		got, err := wire.EncodeRequest(reqs[i])
		if err != nil {
			t.Fatal(err)
		}
		if want := readVector(t, tc.file); !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %x\nwant %x", tc.file, got, want)
		}
	}
}

// replay answers every request with a recorded response frame.
func replay(t *testing.T, file string) *clienttest.Server {
	t.Helper()
	resp, err := wire.ReadResponse(bytes.NewReader(readVector(t, file)), 0)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return clienttest.NewServer(t, func(*wire.Request) *wire.Response { return resp })
}

func TestResponseVectors(t *testing.T) {
	opts := []client.Option{client.WithAuth(client.DirectAuth("app")), client.WithProvider(parsec.ProviderMbedCrypto)}

	provs, err := newClient(t, replay(t, "29_list_providers_ok.resp.bin"), opts...).ListProviders(ctx)
	if err != nil || len(provs) != 2 || provs[0].ID != parsec.ProviderMbedCrypto || provs[1].ID != parsec.ProviderCore ||
		provs[0].UUID != "1c1139dc-ad7c-47dc-ad6b-db6fdb466552" || provs[0].Vendor != "Arm" || provs[0].Version() != "0.1.0" {
		t.Errorf("ListProviders = %+v, %v", provs, err)
	}
	auths, err := newClient(t, replay(t, "31_list_authenticators_ok.resp.bin"), opts...).ListAuthenticators(ctx)
	if err != nil || len(auths) != 1 || auths[0].ID != parsec.AuthDirect {
		t.Errorf("ListAuthenticators = %+v, %v", auths, err)
	}
	keys, err := newClient(t, replay(t, "32_list_keys_ok.resp.bin"), opts...).ListKeys(ctx)
	if err != nil || len(keys) != 1 || keys[0].Name != "vec-ecc-p256" || keys[0].Provider != parsec.ProviderMbedCrypto ||
		keys[0].Attributes != eccP256Sign {
		t.Errorf("ListKeys = %+v, %v", keys, err)
	}
	keys, err = newClient(t, replay(t, "33_list_keys_empty_ok.resp.bin"), opts...).ListKeys(ctx)
	if err != nil || len(keys) != 0 {
		t.Errorf("empty ListKeys = %+v, %v", keys, err)
	}
	pub, err := newClient(t, replay(t, "37_export_public_key_ecc_ok.resp.bin"), opts...).ExportPublicKey(ctx, "vec-ecc-p256")
	if err != nil || hex.EncodeToString(pub) != "04b15f2e6d324d3e69503b33a6768169195992fc3c4dc815e5d1b53cd94a381981f8397dc35fb4cb2e4dcac84ed22803d92f25b1b8f35d9f799363066b27c4db35" {
		t.Errorf("ExportPublicKey = %x, %v", pub, err)
	}
	if _, err := client.ParsePublicKey(eccP256Sign, pub); err != nil {
		t.Errorf("ParsePublicKey(vector point): %v", err)
	}
	h, err := newClient(t, replay(t, "43_hash_compute_ok.resp.bin"), opts...).HashCompute(ctx, psa.HashSHA256, []byte("abc"))
	if err != nil || hex.EncodeToString(h) != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("HashCompute = %x, %v", h, err)
	}
	r, err := newClient(t, replay(t, "44_generate_random_ok.resp.bin"), opts...).GenerateRandom(ctx, 32)
	if err != nil || len(r) != 32 {
		t.Errorf("GenerateRandom = %x, %v", r, err)
	}
	if err := newClient(t, replay(t, "40_verify_hash_ok.resp.bin"), opts...).VerifyHash(ctx, "k", eccP256Sign.Policy.Alg.Sign, make([]byte, 32), make([]byte, 64)); err != nil {
		t.Errorf("VerifyHash: %v", err)
	}
}

func TestStatusErrors(t *testing.T) {
	opts := []client.Option{client.WithAuth(client.DirectAuth("app")), client.WithProvider(parsec.ProviderMbedCrypto)}
	cases := []struct {
		file string
		want status.Code
		call func(c *client.Client) error
	}{
		{"45_error_generate_already_exists.resp.bin", status.PsaErrorAlreadyExists, func(c *client.Client) error { return c.GenerateKey(ctx, "k", eccP256Sign) }},
		{"46_error_sign_does_not_exist.resp.bin", status.PsaErrorDoesNotExist, func(c *client.Client) error {
			_, err := c.SignHash(ctx, "k", eccP256Sign.Policy.Alg.Sign, make([]byte, 32))
			return err
		}},
		{"47_error_sign_not_permitted.resp.bin", status.PsaErrorNotPermitted, func(c *client.Client) error {
			_, err := c.SignHash(ctx, "k", eccP256Sign.Policy.Alg.Sign, make([]byte, 32))
			return err
		}},
		{"48_error_verify_invalid_signature.resp.bin", status.PsaErrorInvalidSignature, func(c *client.Client) error {
			return c.VerifyHash(ctx, "k", eccP256Sign.Policy.Alg.Sign, make([]byte, 32), make([]byte, 64))
		}},
		{"50_error_admin_operation.resp.bin", status.AdminOperation, func(c *client.Client) error { _, err := c.ListClients(ctx); return err }},
		{"51_error_authentication_error.resp.bin", status.AuthenticationError, func(c *client.Client) error { _, err := c.ListKeys(ctx); return err }},
		// Early errors come back with opcode Ping whatever was asked: the
		// status must win over the opcode mismatch.
		{"54_error_invalidheader.resp.bin", status.InvalidHeader, func(c *client.Client) error { return c.GenerateKey(ctx, "k", eccP256Sign) }},
		{"55_error_bodysizeexceedslimit.resp.bin", status.BodySizeExceedsLimit, func(c *client.Client) error { _, err := c.ListKeys(ctx); return err }},
		{"57_error_opcodedoesnotexist.resp.bin", status.OpcodeDoesNotExist, func(c *client.Client) error { return c.MacVerify(ctx, "k", psa.Mac{Kind: psa.MacCmac}, nil, nil) }},
	}
	for _, tc := range cases {
		err := tc.call(newClient(t, replay(t, tc.file), opts...))
		var se *status.Error
		if !errors.Is(err, tc.want) || !errors.As(err, &se) || se.Code != tc.want {
			t.Errorf("%s: err = %v, want %v", tc.file, err, tc.want)
		}
	}
}

func TestOpcodeEcho(t *testing.T) {
	srv := clienttest.NewServer(t, func(req *wire.Request) *wire.Response {
		resp := clienttest.Reply(req, &ping.Result{WireProtocolVersionMaj: 1})
		resp.Header.Opcode = parsec.OpListKeys
		return resp
	})
	_, _, err := newClient(t, srv).Ping(ctx)
	if !errors.Is(err, status.InvalidEncoding) || !strings.Contains(err.Error(), "ListKeys") {
		t.Fatalf("opcode mismatch: err = %v", err)
	}
}

func TestTransportErrors(t *testing.T) {
	dir, err := os.MkdirTemp("", "pct")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	c, err := client.New(client.WithEndpoint("unix:" + filepath.Join(dir, "none.sock")))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Ping(ctx)
	var se *status.Error
	if !errors.Is(err, status.ConnectionError) || !errors.As(err, &se) {
		t.Fatalf("no socket: err = %v", err)
	}

	// The service hangs up without answering.
	srv := clienttest.NewServer(t, func(*wire.Request) *wire.Response { return nil })
	if _, _, err := newClient(t, srv).Ping(ctx); !errors.Is(err, status.ConnectionError) {
		t.Fatalf("hang-up: err = %v", err)
	}

	// The service never answers: the per-request timeout fires.
	path := filepath.Join(dir, "mute.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
		}
	}()
	c, err = client.New(client.WithEndpoint("unix://"+path), client.WithTimeout(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, _, err := c.Ping(ctx); !errors.Is(err, status.ConnectionError) {
		t.Fatalf("timeout: err = %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("timeout took %v", d)
	}
	// Context cancellation interrupts too.
	c, _ = client.New(client.WithEndpoint("unix://"+path), client.WithTimeout(0))
	cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, _, err := c.Ping(cctx); !errors.Is(err, status.ConnectionError) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("context: err = %v", err)
	}
}

// A response body longer than the limit is refused before being read.
func TestResponseTooLarge(t *testing.T) {
	srv := clienttest.NewServer(t, func(req *wire.Request) *wire.Response {
		return wire.ReplyTo(req, status.Success, make([]byte, 2048))
	})
	_, err := newClient(t, srv, client.WithMaxResponseBody(1024)).GenerateRandom(ctx, 2048)
	if !errors.Is(err, status.ResponseTooLarge) {
		t.Fatalf("err = %v", err)
	}
}

func authOf(req *wire.Request) client.Auth {
	a := client.Auth{Type: req.Header.AuthType}
	switch a.Type {
	case parsec.AuthDirect:
		a.AppName = string(req.Auth)
	case parsec.AuthUnixPeerCredentials:
		a.UID = uint32(req.Auth[0]) | uint32(req.Auth[1])<<8 | uint32(req.Auth[2])<<16 | uint32(req.Auth[3])<<24
	}
	return a
}

func TestAuthSelection(t *testing.T) {
	// Direct: the default application name, or WithAppName's.
	svc := clienttest.NewService()
	srv := svc.Start(t)
	c := newClient(t, srv)
	if _, err := c.ListKeys(ctx); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 || reqs[0].Header.Opcode != parsec.OpListAuthenticators || reqs[0].Header.AuthType != parsec.AuthNone {
		t.Fatalf("requests: %+v", reqs)
	}
	if a := authOf(reqs[1]); a != client.DirectAuth("parsec-go-client") {
		t.Fatalf("ListKeys auth = %v", a)
	}
	c = newClient(t, srv, client.WithAppName("parsec-tool"))
	a, err := c.Auth(ctx)
	if err != nil || a != client.DirectAuth("parsec-tool") {
		t.Fatalf("Auth = %v, %v", a, err)
	}

	// UnixPeerCredentials: the caller's UID, 4 bytes little-endian.
	svc = clienttest.NewService()
	svc.Authenticator = parsec.AuthUnixPeerCredentials
	srv = svc.Start(t)
	c = newClient(t, srv)
	if err := c.GenerateKey(ctx, "k", eccP256Sign); err != nil {
		t.Fatal(err)
	}
	last := srv.Requests()[len(srv.Requests())-1]
	if last.Header.AuthType != parsec.AuthUnixPeerCredentials || !bytes.Equal(last.Auth, client.UnixPeerCredentialsAuth().Bytes()) || len(last.Auth) != 4 {
		t.Fatalf("GenerateKey auth = %v %x", last.Header.AuthType, last.Auth)
	}
	// The authenticator is asked once.
	if _, err := c.ListKeys(ctx); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range srv.Requests() {
		if r.Header.Opcode == parsec.OpListAuthenticators {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("ListAuthenticators sent %d times", n)
	}

	// Only an authenticator the client cannot use by itself.
	srv = clienttest.NewServer(t, clienttest.Mux{
		parsec.OpListAuthenticators: func(req *wire.Request) *wire.Response {
			return clienttest.Reply(req, &listauthenticators.Result{Authenticators: []*listauthenticators.AuthenticatorInfo{{Id: uint32(parsec.AuthJwtSvid)}}})
		},
	}.Handle)
	if _, err := newClient(t, srv).ListKeys(ctx); !errors.Is(err, status.AuthenticatorNotRegistered) {
		t.Fatalf("JwtSvid only: err = %v", err)
	}

	// WithAuth: no discovery; the unauthenticated core ops still send NoAuth.
	svc = clienttest.NewService()
	srv = svc.Start(t)
	c = newClient(t, srv, client.WithAuth(client.DirectAuth("fixed")))
	if _, _, err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListKeys(ctx); err != nil {
		t.Fatal(err)
	}
	reqs = srv.Requests()
	if len(reqs) != 2 || reqs[0].Header.AuthType != parsec.AuthNone || authOf(reqs[1]) != client.DirectAuth("fixed") {
		t.Fatalf("requests with WithAuth: %+v", reqs)
	}
	if _, err := client.New(client.WithAuth(client.Auth{Type: parsec.AuthJwt})); err == nil {
		t.Fatal("Jwt accepted")
	}
	if _, err := client.New(client.WithAuth(client.DirectAuth(""))); err == nil {
		t.Fatal("empty Direct name accepted")
	}
}

func TestProviderRouting(t *testing.T) {
	svc := clienttest.NewService()
	svc.ExtraFirst = []parsec.ProviderID{parsec.ProviderTpm}
	srv := svc.Start(t)
	c := newClient(t, srv)
	for i := 0; i < 2; i++ {
		if _, err := c.GenerateRandom(ctx, 8); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.ListKeys(ctx); err != nil {
		t.Fatal(err)
	}
	var providers []parsec.ProviderID
	nList := 0
	for _, r := range srv.Requests() {
		if r.Header.Opcode == parsec.OpListProviders {
			nList++
		}
		if r.Header.Opcode == parsec.OpPsaGenerateRandom || r.Header.Opcode == parsec.OpListKeys {
			providers = append(providers, r.Header.Provider)
		}
	}
	if nList != 1 || len(providers) != 3 || providers[0] != parsec.ProviderTpm || providers[1] != parsec.ProviderTpm || providers[2] != parsec.ProviderCore {
		t.Fatalf("ListProviders sent %d times, providers %v", nList, providers)
	}
	p, err := c.UsingProvider(parsec.ProviderMbedCrypto).Provider(ctx)
	if err != nil || p != parsec.ProviderMbedCrypto {
		t.Fatalf("UsingProvider: %v %v", p, err)
	}
	// WithProvider: no discovery at all.
	c = newClient(t, srv, client.WithProvider(parsec.ProviderMbedCrypto), client.WithAuth(client.DirectAuth("a")))
	before := len(srv.Requests())
	if _, err := c.GenerateRandom(ctx, 8); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()[before:]
	if len(reqs) != 1 || reqs[0].Header.Provider != parsec.ProviderMbedCrypto {
		t.Fatalf("WithProvider requests: %+v", reqs)
	}
	// An unconfigured provider: the service's status comes back.
	_, err = newClient(t, srv, client.WithProvider(parsec.ProviderPkcs11)).GenerateRandom(ctx, 8)
	if !errors.Is(err, status.ProviderNotRegistered) {
		t.Fatalf("unregistered provider: %v", err)
	}
	ops, err := c.ListOpcodes(ctx, parsec.ProviderCore)
	if err != nil || len(ops) != 5 || ops[0] != parsec.OpPing {
		t.Fatalf("ListOpcodes = %v, %v", ops, err)
	}
}

func TestCoreOps(t *testing.T) {
	svc := clienttest.NewService()
	svc.Admins = []string{"admin"}
	srv := svc.Start(t)
	admin := newClient(t, srv, client.WithAppName("admin"))
	user := newClient(t, srv, client.WithAppName("user"))
	if maj, min, err := user.Ping(ctx); err != nil || maj != 1 || min != 0 {
		t.Fatalf("Ping = %d.%d, %v", maj, min, err)
	}
	if err := user.GenerateKey(ctx, "k1", eccP256Sign); err != nil {
		t.Fatal(err)
	}
	if err := user.GenerateKey(ctx, "k1", eccP256Sign); !errors.Is(err, status.PsaErrorAlreadyExists) {
		t.Fatalf("second generate: %v", err)
	}
	if _, err := user.ListClients(ctx); !errors.Is(err, status.AdminOperation) {
		t.Fatalf("ListClients as user: %v", err)
	}
	clients, err := admin.ListClients(ctx)
	if err != nil || len(clients) != 1 || clients[0] != "user" {
		t.Fatalf("ListClients = %v, %v", clients, err)
	}
	if err := admin.DeleteClient(ctx, "user"); err != nil {
		t.Fatal(err)
	}
	if _, err := user.KeyAttributes(ctx, "k1"); !errors.Is(err, status.PsaErrorDoesNotExist) {
		t.Fatalf("KeyAttributes after DeleteClient: %v", err)
	}
	if err := user.DestroyKey(ctx, "k1"); !errors.Is(err, status.PsaErrorDoesNotExist) {
		t.Fatalf("DestroyKey: %v", err)
	}
}
