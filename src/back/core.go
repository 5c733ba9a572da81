// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package back

import (
	"context"
	"sort"

	"google.golang.org/protobuf/proto"

	"github.com/parsecd/parsecd/src/interface/ops/deleteclient"
	"github.com/parsecd/parsecd/src/interface/ops/listauthenticators"
	"github.com/parsecd/parsecd/src/interface/ops/listclients"
	"github.com/parsecd/parsecd/src/interface/ops/listkeys"
	"github.com/parsecd/parsecd/src/interface/ops/listopcodes"
	"github.com/parsecd/parsecd/src/interface/ops/listproviders"
	"github.com/parsecd/parsecd/src/interface/ops/ping"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/src/wire"
	"github.com/parsecd/parsecd/storage"
)

// The core provider (id 0) serves discovery and administration.

// CoreInfo describes the core provider; Version is filled in by the Service.
var CoreInfo = provider.Info{
	ID:          parsec.ProviderCore,
	UUID:        "47049873-2a43-4845-9d72-831eab668784",
	Description: "Software provider that implements only administrative (i.e. no cryptographic) operations",
}

// coreOpcodes is what ListOpcodes reports for provider 0: the core
// operations but administration (ListClients and DeleteClient work but are
// not listed, as in the reference service).
func coreOpcodes() []parsec.Opcode {
	var out []parsec.Opcode
	for _, o := range parsec.AllOpcodes() {
		if o.IsCore() && o.Listable() && !o.IsAdmin() {
			out = append(out, o)
		}
	}
	return out
}

func corePing(context.Context, *call, *ping.Operation) (proto.Message, error) {
	return &ping.Result{WireProtocolVersionMaj: uint32(wire.VersionMajor), WireProtocolVersionMin: uint32(wire.VersionMinor)}, nil
}

func providerInfo(i provider.Info) *listproviders.ProviderInfo {
	return &listproviders.ProviderInfo{
		Uuid: i.UUID, Description: i.Description, Vendor: i.Vendor,
		VersionMaj: i.Version[0], VersionMin: i.Version[1], VersionRev: i.Version[2], Id: uint32(i.ID),
	}
}

func listProviders(_ context.Context, c *call, _ *listproviders.Operation) (proto.Message, error) {
	out := &listproviders.Result{}
	for _, m := range c.s.mounts {
		out.Providers = append(out.Providers, providerInfo(m.Provider.Info()))
	}
	core := CoreInfo
	core.Version = c.s.version
	out.Providers = append(out.Providers, providerInfo(core))
	return out, nil
}

func listOpcodes(_ context.Context, c *call, in *listopcodes.Operation) (proto.Message, error) {
	id := parsec.ProviderID(in.ProviderId)
	if in.ProviderId > 255 || !id.Known() {
		return nil, status.Errorf(status.ProviderDoesNotExist, "provider id %d does not exist", in.ProviderId)
	}
	var ops []parsec.Opcode
	if id == parsec.ProviderCore {
		ops = coreOpcodes()
	} else if m := c.s.byID[id]; m != nil {
		ops = Opcodes(m.Provider)
	} else {
		return nil, status.Errorf(status.ProviderNotRegistered, "%v is not configured", id)
	}
	out := &listopcodes.Result{}
	for _, o := range ops {
		out.Opcodes = append(out.Opcodes, uint32(o))
	}
	return out, nil
}

func listAuthenticators(_ context.Context, c *call, _ *listauthenticators.Operation) (proto.Message, error) {
	out := &listauthenticators.Result{}
	for _, a := range c.s.auths.Infos() {
		out.Authenticators = append(out.Authenticators, &listauthenticators.AuthenticatorInfo{
			Description: a.Description, VersionMaj: a.Version[0], VersionMin: a.Version[1], VersionRev: a.Version[2], Id: uint32(a.ID),
		})
	}
	return out, nil
}

func listKeys(ctx context.Context, c *call, _ *listkeys.Operation) (proto.Message, error) {
	who, err := c.caller()
	if err != nil {
		return nil, err
	}
	out := &listkeys.Result{}
	for _, m := range c.s.mounts {
		entries, err := m.Store.List(ctx, m.Name, who)
		if err != nil {
			// One failing provider must not hide the keys of the others.
			c.s.log.Warn("listing keys failed", "provider", m.Name, "status", status.CodeOf(err).String())
			continue
		}
		for _, e := range entries {
			if e.Err != nil {
				c.s.reportDamaged(e)
				continue
			}
			out.Keys = append(out.Keys, &listkeys.KeyInfo{
				ProviderId: uint32(m.ID), Name: e.Key, Attributes: psa.AttributesToProto(e.Attributes),
			})
		}
	}
	return out, nil
}

func listClients(ctx context.Context, c *call, _ *listclients.Operation) (proto.Message, error) {
	seen := map[string]bool{}
	asked := map[storage.KeyStore]bool{}
	var names []string
	for _, m := range c.s.mounts {
		store := m.Store
		if asked[store] {
			continue
		}
		asked[store] = true
		clients, err := store.Clients(ctx)
		if err != nil {
			return nil, err
		}
		for _, cl := range clients {
			// Identities are namespaced by authenticator: list those the
			// administrator's authenticator can name.
			if cl.Auth == c.app.Auth && !seen[cl.App] {
				seen[cl.App] = true
				names = append(names, cl.App)
			}
		}
	}
	sort.Strings(names)
	return &listclients.Result{Clients: names}, nil
}

func deleteClient(ctx context.Context, c *call, in *deleteclient.Operation) (proto.Message, error) {
	target := storage.Client{Auth: c.app.Auth, App: in.Client}
	for _, m := range c.s.mounts {
		km, ok := m.Provider.(provider.KeyManagement)
		if !ok {
			continue
		}
		entries, err := m.Store.List(ctx, m.Name, target)
		if err != nil {
			c.s.log.Warn("listing keys of a deleted client failed", "provider", m.Name, "status", status.CodeOf(err).String())
			continue
		}
		for _, e := range entries {
			if e.Err != nil {
				// Its provider key cannot be found from a record that cannot
				// be read: kept for check-store, never dropped blind.
				c.s.reportDamaged(e)
				continue
			}
			if err := km.DestroyKey(ctx, target, e.Key); err != nil {
				c.s.log.Warn("destroying a key of a deleted client failed", "provider", m.Name, "status", status.CodeOf(err).String())
			}
		}
	}
	return nil, nil
}
