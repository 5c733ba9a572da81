// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package back

import (
	"context"
	"sort"

	"github.com/parsecd/parsecd/src/interface/pbwire"

	"github.com/parsecd/parsecd/src/interface/ops/deleteclient"
	"github.com/parsecd/parsecd/src/interface/ops/listauthenticators"
	"github.com/parsecd/parsecd/src/interface/ops/listclients"
	"github.com/parsecd/parsecd/src/interface/ops/listkeys"
	"github.com/parsecd/parsecd/src/interface/ops/listopcodes"
	"github.com/parsecd/parsecd/src/interface/ops/listproviders"
	"github.com/parsecd/parsecd/src/interface/ops/ping"
	"github.com/parsecd/parsecd/src/interface/ops/psakeyattributes"
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
// not listed, as in the reference service: the Parsec end-to-end tests
// compare this list exactly).
func coreOpcodes() []parsec.Opcode {
	var out []parsec.Opcode
	for _, o := range parsec.AllOpcodes() {
		if o.IsCore() && o.Listable() && !o.IsAdmin() {
			out = append(out, o)
		}
	}
	return out
}

// corePing reports the highest wire protocol version parsecd speaks (1.0,
// the only one Parsec has defined).
func corePing(context.Context, *call, *ping.Operation) (pbwire.Message, error) {
	return &ping.Result{WireProtocolVersionMaj: uint32(wire.VersionMajor), WireProtocolVersionMin: uint32(wire.VersionMinor)}, nil
}

func providerInfo(i provider.Info) *listproviders.ProviderInfo {
	return &listproviders.ProviderInfo{
		Uuid: i.UUID, Description: i.Description, Vendor: i.Vendor,
		VersionMaj: i.Version[0], VersionMin: i.Version[1], VersionRev: i.Version[2], Id: uint32(i.ID),
	}
}

// listed reports whether a provider of id appears in ListProviders and
// ListKeys answers: Parsec's clients fail a whole answer that holds an id
// they do not know (docs/config.md, "Provider ids and names"), so the
// extra range is listed only to clients that ask for it.
func listed(id parsec.ProviderID, all bool) bool { return all || !id.IsExtra() }

// listProviders lists the crypto providers in config order, then the core
// provider last: clients take the first entry as their provider, so the
// core, which does no cryptography, must never come first.
func listProviders(_ context.Context, c *call, in *listproviders.Operation) (pbwire.Message, error) {
	out := &listproviders.Result{}
	for _, m := range c.s.mounts {
		if !listed(m.ID, in.ParsecdAllProviders) {
			continue
		}
		info := m.Provider.Info()
		info.ID = m.ID
		pi := providerInfo(info)
		if in.ParsecdAllProviders {
			// Only to the clients that ask: Parsec's answer stays byte for byte.
			pi.ParsecdName = m.Name
		}
		out.Providers = append(out.Providers, pi)
	}
	core := CoreInfo
	core.Version = c.s.version
	pi := providerInfo(core)
	if in.ParsecdAllProviders {
		pi.ParsecdName = "core"
	}
	out.Providers = append(out.Providers, pi)
	return out, nil
}

// listOpcodes answers for any provider id, configured or not: an id the
// wire does not define is ProviderDoesNotExist, one it defines but this
// configuration lacks is ProviderNotRegistered, the two statuses a client
// needs to tell a typo from a missing provider.
func listOpcodes(_ context.Context, c *call, in *listopcodes.Operation) (pbwire.Message, error) {
	// ProviderId is a u32 on the wire but a u8 in the header: a larger
	// value must not wrap onto a real provider.
	id := parsec.ProviderID(in.ProviderId)
	if in.ProviderId > 255 || (!id.Known() && !id.IsExtra()) {
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

func listAuthenticators(_ context.Context, c *call, _ *listauthenticators.Operation) (pbwire.Message, error) {
	out := &listauthenticators.Result{}
	for _, a := range c.s.auths.Infos() {
		out.Authenticators = append(out.Authenticators, &listauthenticators.AuthenticatorInfo{
			Description: a.Description, VersionMaj: a.Version[0], VersionMin: a.Version[1], VersionRev: a.Version[2], Id: uint32(a.ID),
		})
	}
	return out, nil
}

// listKeys is the caller's keys in every provider, in provider order. It
// reads the key stores, not the providers: the store's record is the
// authority on which keys exist (a provider's own objects may be
// orphans of an interrupted creation), and it needs no device access.
func listKeys(ctx context.Context, c *call, in *listkeys.Operation) (pbwire.Message, error) {
	who, err := c.caller()
	if err != nil {
		return nil, err
	}
	out := &listkeys.Result{}
	// Keys made alike share one encoded-attributes message: a listing of
	// thousands of keys is mostly a few distinct attribute sets, and each
	// conversion costs about ten allocations.
	attrs := map[psa.KeyAttributes]*psakeyattributes.KeyAttributes{}
	for _, m := range c.s.mounts {
		if !listed(m.ID, in.ParsecdAllProviders) {
			continue
		}
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
			a, ok := attrs[e.Attributes]
			if !ok {
				a = psa.AttributesToProto(e.Attributes)
				attrs[e.Attributes] = a
			}
			out.Keys = append(out.Keys, &listkeys.KeyInfo{ProviderId: uint32(m.ID), Name: e.Key, Attributes: a})
		}
	}
	return out, nil
}

// listClients is the sorted union of the applications owning a key in any
// store. Several providers may share one key store (one [[key_manager]]),
// which is asked once.
func listClients(ctx context.Context, c *call, _ *listclients.Operation) (pbwire.Message, error) {
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

// deleteClient destroys every key of a client through its provider, so that
// the key material goes too, not only the record. As in Parsec, failures are
// logged and skipped and the answer is always Success: an administrator
// cleaning up must not be stopped by one broken key, and an unknown client
// simply has nothing to delete.
func deleteClient(ctx context.Context, c *call, in *deleteclient.Operation) (pbwire.Message, error) {
	// The client is named in the administrator's own authenticator: the
	// wire has no field for another one.
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
