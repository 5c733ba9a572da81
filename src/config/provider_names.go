// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package config

import (
	"fmt"
	"strings"
)

// sameType maps a provider_type alias to the type it names, so that
// "Software" and "MbedCrypto" count as one type.
var sameType = map[string]string{"MbedCrypto": "Software"}

// requireNames refuses a [[provider]] without a name when its type appears
// more than once: its default name would be its type's, shared with the
// other entries, and the name is what keeps a provider's keys and wire id
// (docs/config.md, "Provider ids and names"). paths[i] is the table path of
// ps[i], for the error's file:line.
func requireNames(r *reader, ps []Provider, paths []string) {
	byType := map[string][]int{}
	for i, p := range ps {
		t := p.Type
		if canon, ok := sameType[t]; ok {
			t = canon
		}
		byType[t] = append(byType[t], i)
	}
	for _, idx := range byType {
		if len(idx) < 2 {
			continue
		}
		var entries []string
		for _, i := range idx {
			entries = append(entries, fmt.Sprintf("#%d", ps[i].Index))
		}
		for _, i := range idx {
			if ps[i].Name == "" {
				r.bad(paths[i], "[[provider]] #%d (%s) has no name: %d [[provider]] entries (%s) have this provider_type, so each needs a name = \"...\" of its own",
					ps[i].Index, ps[i].Type, len(idx), strings.Join(entries, ", "))
			}
		}
	}
}
