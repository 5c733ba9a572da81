// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package config_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/parsecd/parsecd/src/config"
)

// Several authenticators, in every build: [[authenticator]] entries in file order, each
// with its own admins and options; the first is the default.
func TestSeveralAuthenticators(t *testing.T) {
	text := strings.Replace(base, "[authenticator]\nauth_type = \"Direct\"\n", `[[authenticator]]
auth_type = "UnixPeerCredentials"
admins = [ { name = "0" } ]
[[authenticator]]
auth_type = "Direct"
`, 1)
	c, err := config.Parse("cfg.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	want := []config.Authenticator{
		{Type: "UnixPeerCredentials", Admins: []string{"0"}},
		{Type: "Direct"},
	}
	if !reflect.DeepEqual(c.Authenticators, want) {
		t.Errorf("authenticators %+v, want %+v", c.Authenticators, want)
	}
	if c.Default().Type != "UnixPeerCredentials" || len(c.Notes) != 0 {
		t.Errorf("default %+v, notes %q", c.Default(), c.Notes)
	}
}
