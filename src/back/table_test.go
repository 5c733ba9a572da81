// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package back

import (
	"slices"
	"testing"

	"github.com/parsecd/parsecd/src/parsec"
)

// The back end binds handlers to opcodes but decides nothing about them:
// every opcode of parsec's table has exactly one handler, core operations
// need no provider family and provider operations one.
func TestOperationsFollowTheOpcodeTable(t *testing.T) {
	for _, o := range parsec.AllOpcodes() {
		op, ok := operations[o]
		if !ok {
			t.Errorf("%v has no handler", o)
			continue
		}
		if (op.supported == nil) != o.IsCore() {
			t.Errorf("%v: provider family set = %v, core = %v", o, op.supported != nil, o.IsCore())
		}
	}
	for o := range operations {
		if !o.Known() {
			t.Errorf("handler for %v, which the table does not define", o)
		}
	}
	want := []parsec.Opcode{parsec.OpPing, parsec.OpListProviders, parsec.OpListOpcodes, parsec.OpListAuthenticators, parsec.OpListKeys}
	if got := coreOpcodes(); !slices.Equal(got, want) {
		t.Errorf("core opcodes listed %v, want %v", got, want)
	}
}
