// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package client

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/parsecd/parsecd/src/interface/ops/listkeys"
	"github.com/parsecd/parsecd/src/interface/ops/listproviders"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/status"
)

// ListAllProviders is ListProviders with parsecd's providers of the extra
// id range and every provider's configured name (ProviderInfo.Name): a
// parsecd extension of the request (docs/config.md, "Provider ids and
// names") that Parsec's service ignores, answering as ListProviders.
func (c *Client) ListAllProviders(ctx context.Context) ([]ProviderInfo, error) {
	return c.listProviders(ctx, &listproviders.Operation{ParsecdAllProviders: true})
}

// ListAllKeys is ListKeys with the keys of parsecd's providers of the
// extra id range (the same extension).
func (c *Client) ListAllKeys(ctx context.Context) ([]KeyInfo, error) {
	return c.listKeys(ctx, &listkeys.Operation{ParsecdAllProviders: true})
}

// FindProvider returns the provider that sel names: its configured name
// (as ListProviders reports it), or its id in decimal. Several providers
// of one type differ only by name and id (docs/config.md, "Provider ids
// and names"). A name no provider has is status.ProviderDoesNotExist,
// with the names there are.
func (c *Client) FindProvider(ctx context.Context, sel string) (ProviderInfo, error) {
	ps, err := c.ListAllProviders(ctx)
	if err != nil {
		return ProviderInfo{}, err
	}
	id, numErr := strconv.ParseUint(sel, 10, 8)
	var names []string
	for _, p := range ps {
		if (numErr == nil && p.ID == parsec.ProviderID(id)) || (p.Name != "" && p.Name == sel) {
			return p, nil
		}
		if p.Name != "" && p.ID != parsec.ProviderCore {
			names = append(names, fmt.Sprintf("%s (%d)", p.Name, p.ID))
		}
	}
	have := "the service reports no provider names"
	if len(names) > 0 {
		have = "the service has " + strings.Join(names, ", ")
	}
	return ProviderInfo{}, &status.Error{Code: status.ProviderDoesNotExist, Msg: fmt.Sprintf("no provider %q: %s", sel, have)}
}
