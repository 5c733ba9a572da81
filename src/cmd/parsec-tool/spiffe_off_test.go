// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build !spiffe

package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/parsecd/parsecd/src/client/clienttest"
	"github.com/parsecd/parsecd/src/interface/ops/listauthenticators"
	"github.com/parsecd/parsecd/src/interface/ops/listkeys"
	"github.com/parsecd/parsecd/src/interface/ops/listproviders"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/wire"
)

// Without the spiffe tag a service listing JwtSvid first is served through
// the next listed authenticator, even with SPIFFE_ENDPOINT_SOCKET set, and
// the tool says why, as Parsec's client built without spiffe-auth.
func TestJwtSvidNotBuiltUsesNextAuthenticator(t *testing.T) {
	srv := clienttest.NewServer(t, clienttest.Mux{
		parsec.OpListProviders: func(req *wire.Request) *wire.Response {
			return clienttest.Reply(req, &listproviders.Result{Providers: []*listproviders.ProviderInfo{{Id: uint32(parsec.ProviderMbedCrypto)}}})
		},
		parsec.OpListAuthenticators: func(req *wire.Request) *wire.Response {
			return clienttest.Reply(req, &listauthenticators.Result{Authenticators: []*listauthenticators.AuthenticatorInfo{
				{Id: uint32(parsec.AuthJwtSvid)}, {Id: uint32(parsec.AuthDirect)}}})
		},
		parsec.OpListKeys: func(req *wire.Request) *wire.Response {
			return clienttest.Reply(req, &listkeys.Result{})
		},
	}.Handle)
	var out, errb bytes.Buffer
	env := map[string]string{"PARSEC_SERVICE_ENDPOINT": srv.Endpoint, "SPIFFE_ENDPOINT_SOCKET": "unix:///nonexistent/agent.sock"}
	if code := run([]string{"list-keys"}, &out, &errb, func(k string) string { return env[k] }); code != 0 {
		t.Fatalf("list-keys: exit %d, stderr %q", code, errb.String())
	}
	if want := `Authenticator of type "JwtSvid" not supported by this client library`; !strings.Contains(errb.String(), want) {
		t.Errorf("stderr %q lacks %q", errb.String(), want)
	}
	var sent []parsec.AuthType
	for _, r := range srv.Requests() {
		if r.Header.Opcode == parsec.OpListKeys {
			sent = append(sent, r.Header.AuthType)
		}
	}
	if len(sent) != 1 || sent[0] != parsec.AuthDirect {
		t.Errorf("ListKeys sent with auth types %v, want [Direct]", sent)
	}
}
