// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build pkcs11

package e2e

import (
	"fmt"
	"testing"

	"github.com/parsecd/parsecd/src/parsec"
)

// TestPkcs11MultiProvider: two PKCS#11 providers on two SoftHSM2 tokens of
// one token directory (one SOFTHSM2_CONF for the daemon, one module loaded
// once), each selecting its token by label (mpRun).
func TestPkcs11MultiProvider(t *testing.T) {
	t.Parallel()
	s := mpSetup{typ: "Pkcs11", fixed: parsec.ProviderPkcs11, names: [2]string{"p11-a", "p11-b"}, keys: map[string]string{}}
	conf := p11Token(t, "token-a", "token-b")
	for i, n := range s.names {
		s.keys[n] = fmt.Sprintf("library_path = %q\ntoken_label = %q\nuser_pin = %q\n", p11Lib, []string{"token-a", "token-b"}[i], "str:"+p11PIN)
	}
	d := NewDaemon(t, s.options(s.names[:]...))
	d.Env = append(d.Env, "SOFTHSM2_CONF="+conf)
	d.Start()
	mpRun(t, s, d)
}
