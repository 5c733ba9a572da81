// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package back_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/parsecd/parsecd/src/interface/pbwire"

	"github.com/parsecd/parsecd/src/auth"
	"github.com/parsecd/parsecd/src/back"
	"github.com/parsecd/parsecd/src/interface/ops/deleteclient"
	"github.com/parsecd/parsecd/src/interface/ops/listopcodes"
	"github.com/parsecd/parsecd/src/interface/ops/listproviders"
	"github.com/parsecd/parsecd/src/interface/ops/psasignhash"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage/memory"
)

// twoOfAType is a service with two software providers sharing one store:
// soft-a on the fixed id 1, soft-b on the extra id 128.
func twoOfAType(t *testing.T) *back.Service {
	t.Helper()
	st := memory.New()
	a := &fakeKeys{base: base{info: mbedInfo, name: "soft-a"}, keys: st}
	b := &fakeKeys{base: base{info: mbedInfo, name: "soft-b"}, keys: st}
	svc, err := back.New(back.Options{Auth: auth.NewSet([]string{"admin"}, auth.Direct{}),
		Providers: []back.Mount{{Provider: a, Store: st, ID: 1}, {Provider: b, Store: st, ID: 128}}})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func listProvidersAll(t *testing.T, svc *back.Service, all bool) (ids []uint32, names []string) {
	t.Helper()
	resp := do(t, svc, rq{opcode: parsec.OpListProviders, body: marshal(t, &listproviders.Operation{ParsecdAllProviders: all})})
	wantStatus(t, resp, status.Success)
	var res listproviders.Result
	if err := pbwire.Unmarshal(resp.Body, &res); err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Providers {
		ids = append(ids, p.Id)
		names = append(names, p.ParsecdName)
	}
	return ids, names
}

// The extra provider is served on its id; it is listed only to a client
// that asks (the names too), so what Parsec's clients see is unchanged.
func TestTwoProvidersOfOneType(t *testing.T) {
	svc := twoOfAType(t)
	if ids, names := listProvidersAll(t, svc, false); !reflect.DeepEqual(ids, []uint32{1, 0}) || !reflect.DeepEqual(names, []string{"", ""}) {
		t.Errorf("ListProviders for Parsec's clients: ids %v names %q, want [1 0] without names", ids, names)
	}
	if ids, names := listProvidersAll(t, svc, true); !reflect.DeepEqual(ids, []uint32{1, 128, 0}) || !reflect.DeepEqual(names, []string{"soft-a", "soft-b", "core"}) {
		t.Errorf("ListProviders with every provider: ids %v names %q", ids, names)
	}
	if got := listOpcodes(t, svc, 128); !reflect.DeepEqual(got, listOpcodes(t, svc, 1)) {
		t.Errorf("ListOpcodes(128) = %v, want soft-a's", got)
	}
	wantStatus(t, do(t, svc, rq{opcode: parsec.OpListOpcodes, body: marshal(t, &listopcodes.Operation{ProviderId: 129})}), status.ProviderNotRegistered)
	wantStatus(t, do(t, svc, rq{opcode: parsec.OpListOpcodes, body: marshal(t, &listopcodes.Operation{ProviderId: 255})}), status.ProviderDoesNotExist)

	// One key name in both providers: two keys.
	generate(t, svc, 1, "alice", "k")
	generate(t, svc, 128, "alice", "k")
	generate(t, svc, 128, "alice", "only-b")
	at, a := direct("alice")
	sign := func(p parsec.ProviderID, key string) status.Code {
		body := marshal(t, &psasignhash.Operation{KeyName: key, Alg: psa.AsymSignToProto(psa.AsymSign{Kind: psa.SignEcdsa, Hash: psa.HashSHA256}), Hash: make([]byte, 32)})
		return status.Code(do(t, svc, rq{provider: p, opcode: parsec.OpPsaSignHash, authType: at, auth: a, body: body}).Header.Status)
	}
	if got := sign(128, "only-b"); got != status.Success {
		t.Errorf("signing with soft-b's key on id 128: %v", got)
	}
	if got := sign(1, "only-b"); got != status.PsaErrorDoesNotExist {
		t.Errorf("soft-b's key asked on id 1: %v, want PsaErrorDoesNotExist", got)
	}
	if got := listKeysAll(t, svc, "alice", false); !reflect.DeepEqual(got, []listed{{1, "k"}}) {
		t.Errorf("ListKeys for Parsec's clients: %v, want soft-a's only", got)
	}
	if got := listKeysAll(t, svc, "alice", true); !reflect.DeepEqual(got, []listed{{1, "k"}, {128, "k"}, {128, "only-b"}}) {
		t.Errorf("ListKeys with every provider: %v", got)
	}

	// DeleteClient destroys the client's keys in both.
	at, adm := direct("admin")
	wantStatus(t, do(t, svc, rq{opcode: parsec.OpDeleteClient, authType: at, auth: adm, body: marshal(t, &deleteclient.Operation{Client: "alice"})}), status.Success)
	if got := listKeysAll(t, svc, "alice", true); len(got) != 0 {
		t.Errorf("after DeleteClient: %v", got)
	}
}

func TestNewRefusesOneIDTwice(t *testing.T) {
	st := memory.New()
	a := &fakeKeys{base: base{info: mbedInfo, name: "a"}, keys: st}
	b := &fakeKeys{base: base{info: tpmInfo, name: "b"}, keys: st}
	_, err := back.New(back.Options{Auth: auth.NewSet(nil, auth.Direct{}), Providers: []back.Mount{{Provider: a, Store: st, ID: 130}, {Provider: b, Store: st, ID: 130}}})
	if err == nil || !strings.Contains(err.Error(), `providers "a" and "b" both have provider id 130`) {
		t.Errorf("two providers on id 130: %v", err)
	}
	// ID 0 is the type's fixed id: two of one type without ids collide.
	_, err = back.New(back.Options{Auth: auth.NewSet(nil, auth.Direct{}), Providers: []back.Mount{{Provider: a, Store: st}, {Provider: b, Store: st, ID: 1}}})
	if err == nil {
		t.Error("a fixed id and the same id given explicitly accepted")
	}
}
