// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package parsec

// The extra provider id range: parsecd gives these ids to the second and
// further providers of one type (src/provider/ids; docs/config.md,
// "Provider ids and names"). The header's provider field is one byte;
// the range stays far from Parsec's ids (0–5), which Parsec may extend
// with new provider types, and leaves 255 unused.
const (
	ProviderExtraFirst ProviderID = 128
	ProviderExtraLast  ProviderID = 254
)

// IsExtra reports whether the id is in the extra range.
func (p ProviderID) IsExtra() bool { return p >= ProviderExtraFirst && p <= ProviderExtraLast }
