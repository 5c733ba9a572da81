// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package parsec_test

import (
	"testing"

	"github.com/parsecd/parsecd/src/parsec"
)

func TestOpcodeTables(t *testing.T) {
	if n := len(parsec.AllOpcodes()); n != 31 {
		t.Errorf("%d opcodes, want 31 (0x01–0x20 without 0x1D)", n)
	}
	for _, o := range []parsec.Opcode{0, 0x1D, 0x21} {
		if o.Known() {
			t.Errorf("%v known", o)
		}
	}
	core := map[parsec.Opcode]bool{parsec.OpPing: true, parsec.OpListProviders: true, parsec.OpListOpcodes: true,
		parsec.OpListAuthenticators: true, parsec.OpListKeys: true, parsec.OpListClients: true, parsec.OpDeleteClient: true}
	noAuth := map[parsec.Opcode]bool{parsec.OpPing: true, parsec.OpListProviders: true, parsec.OpListOpcodes: true,
		parsec.OpListAuthenticators: true, parsec.OpPsaGenerateRandom: true, parsec.OpPsaHashCompute: true, parsec.OpPsaHashCompare: true}
	for _, o := range parsec.AllOpcodes() {
		if o.IsCore() != core[o] {
			t.Errorf("%v: IsCore = %v", o, o.IsCore())
		}
		if o.NeedsAuth() == noAuth[o] {
			t.Errorf("%v: NeedsAuth = %v", o, o.NeedsAuth())
		}
		if o.IsAdmin() != (o == parsec.OpListClients || o == parsec.OpDeleteClient) {
			t.Errorf("%v: IsAdmin = %v", o, o.IsAdmin())
		}
	}
}

// Parsec's interface crate decodes opcodes 0x01–0x15, 0x18–0x1C and
// 0x1E–0x20 only; one other value in a ListOpcodes answer fails the call.
func TestListableIsWhatParsecClientsDecode(t *testing.T) {
	for o := parsec.Opcode(0); o <= 0x30; o++ {
		want := (o >= 0x01 && o <= 0x15) || (o >= 0x18 && o <= 0x1C) || (o >= 0x1E && o <= 0x20)
		if got := o.Listable(); got != want {
			t.Errorf("%v.Listable() = %v, want %v", o, got, want)
		}
	}
}
