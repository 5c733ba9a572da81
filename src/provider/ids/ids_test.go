// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package ids_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/provider/ids"
)

func TestAssign(t *testing.T) {
	tpm, soft := parsec.ProviderTpm, parsec.ProviderMbedCrypto
	for _, c := range []struct {
		what     string
		entries  []ids.Entry
		recorded map[string]parsec.ProviderID
		want     []parsec.ProviderID
		err      string
	}{
		{what: "fresh: the first of a type takes the fixed id, the next ones the extra range",
			entries: []ids.Entry{{"tpm-a", tpm}, {"soft", soft}, {"tpm-b", tpm}, {"tpm-c", tpm}},
			want:    []parsec.ProviderID{3, 1, 128, 129}},
		{what: "recorded ids win over the order of the configuration",
			entries:  []ids.Entry{{"tpm-b", tpm}, {"tpm-a", tpm}},
			recorded: map[string]parsec.ProviderID{"tpm-a": 3, "tpm-b": 128},
			want:     []parsec.ProviderID{128, 3}},
		{what: "a removed provider keeps its id: a new one of its type does not take it",
			entries:  []ids.Entry{{"tpm-b", tpm}, {"tpm-c", tpm}},
			recorded: map[string]parsec.ProviderID{"tpm-a": 3, "tpm-b": 128},
			want:     []parsec.ProviderID{128, 129}},
		{what: "a removed extra's id is not reused either",
			entries:  []ids.Entry{{"tpm-a", tpm}, {"tpm-c", tpm}},
			recorded: map[string]parsec.ProviderID{"tpm-a": 3, "tpm-b": 128},
			want:     []parsec.ProviderID{3, 129}},
		{what: "an existing store from before ids were recorded: its provider keeps the fixed id",
			entries: []ids.Entry{{"software-provider", soft}},
			want:    []parsec.ProviderID{1}},
		{what: "a name recorded with another type's fixed id is refused",
			entries:  []ids.Entry{{"x", soft}},
			recorded: map[string]parsec.ProviderID{"x": 3},
			err:      `provider "x" is recorded with id 3`},
		{what: "two names with one id across stores are refused",
			entries:  []ids.Entry{{"a", soft}},
			recorded: map[string]parsec.ProviderID{"a": 130, "b": 130},
			err:      `record provider id 130 for both "a" and "b"`},
	} {
		got, err := ids.Assign(c.entries, c.recorded)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: err = %v, want %q", c.what, err, c.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s: got %v, %v; want %v", c.what, got, err, c.want)
		}
	}
}

func TestAssignRunsOutOfExtraIDs(t *testing.T) {
	var entries []ids.Entry
	for i := 0; i <= int(ids.ExtraLast-ids.ExtraFirst)+1; i++ {
		entries = append(entries, ids.Entry{Name: "soft-" + string(rune('A'+i/26)) + string(rune('a'+i%26)), Fixed: parsec.ProviderMbedCrypto})
	}
	got, err := ids.Assign(entries, nil)
	if err != nil || got[len(got)-1] != ids.ExtraLast {
		t.Fatalf("%d entries: last id %v, %v", len(entries), got[len(got)-1], err)
	}
	entries = append(entries, ids.Entry{Name: "one-too-many", Fixed: parsec.ProviderMbedCrypto})
	if _, err := ids.Assign(entries, nil); err == nil || !strings.Contains(err.Error(), "one-too-many") {
		t.Fatalf("one more than the range holds: %v", err)
	}
}
