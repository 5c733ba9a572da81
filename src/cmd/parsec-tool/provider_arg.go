// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package main

import (
	"errors"
	"slices"
	"strings"

	"github.com/parsecd/parsecd/src/client"
	"github.com/parsecd/parsecd/src/status"

	"github.com/parsecd/parsecd/src/parsec"
)

// providerArg reads -p/--provider: an id in decimal as parsec-tool reads
// it (with its error texts), or else the name of a provider, which
// parsecd reports in ListProviders (several providers of one type differ
// only by name and id: docs/config.md, "Provider ids and names").
func providerArg(v string) (byName bool, msg string) {
	digits := strings.TrimPrefix(v, "+")
	if v == "" || strings.HasPrefix(v, "-") || (digits != "" && strings.Trim(digits, "0123456789") == "") {
		_, msg = parseRustUint(v, 0xff)
		return false, msg
	}
	return true, ""
}

// selectProvider turns -p/--provider into a provider id. An id of
// Parsec's range is taken as parsec-tool takes it (1–5 without asking the
// service; a larger one is refused with parsec-tool's words unless the
// service lists it, as parsecd lists its extra providers); a name is
// looked up in ListProviders.
func (a *app) selectProvider(v string) (parsec.ProviderID, error) {
	if byName, _ := providerArg(v); byName {
		p, err := a.c.FindProvider(a.ctx, v)
		if err != nil {
			var se *status.Error
			if errors.As(err, &se) && se.Code == status.ProviderDoesNotExist {
				a.log.log(levelError, targetMain, "The provider name entered does not map with an existing provider: %s", se.Msg)
				return 0, errReported
			}
			return 0, a.spinUpFailed(err)
		}
		return p.ID, nil
	}
	n, _ := parseRustUint(v, 0xff)
	id := parsec.ProviderID(n)
	if id.Known() {
		return id, nil
	}
	if id.IsExtra() {
		if p, err := a.c.FindProvider(a.ctx, v); err == nil {
			return p.ID, nil
		}
	}
	a.log.log(levelError, targetMain, "The provider ID entered does not map with an existing provider")
	return 0, errReported
}

// extraNames returns the names of the providers of the extra id range
// that keys use, for list-keys; none when the service cannot say.
func (a *app) extraNames(keys []client.KeyInfo) map[parsec.ProviderID]string {
	out := map[parsec.ProviderID]string{}
	if !slices.ContainsFunc(keys, func(k client.KeyInfo) bool { return k.Provider.IsExtra() }) {
		return out
	}
	ps, err := a.c.ListAllProviders(a.ctx)
	if err != nil {
		return out
	}
	for _, p := range ps {
		out[p.ID] = p.Name
	}
	return out
}
