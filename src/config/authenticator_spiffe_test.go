// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build spiffe

package config_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/parsecd/parsecd/src/config"
)

// JwtSvid among several (spiffe builds): [[authenticator]] entries in file order, each
// with its own admins and options; the first is the default.
func TestSeveralWithJwtSvid(t *testing.T) {
	text := strings.Replace(base, "[authenticator]\nauth_type = \"Direct\"\n", `[[authenticator]]
auth_type = "UnixPeerCredentials"
admins = [ { name = "0" } ]
[[authenticator]]
auth_type = "JwtSvid"
workload_endpoint = "unix:///run/spire/sockets/agent.sock"
admins = [ { name = "spiffe://example.org/admin" } ]
[[authenticator]]
auth_type = "Direct"
`, 1)
	c, err := config.Parse("cfg.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	want := []config.Authenticator{
		{Type: "UnixPeerCredentials", Admins: []string{"0"}},
		{Type: "JwtSvid", Admins: []string{"spiffe://example.org/admin"}, WorkloadEndpoint: "unix:///run/spire/sockets/agent.sock"},
		{Type: "Direct"},
	}
	if !reflect.DeepEqual(c.Authenticators, want) {
		t.Errorf("authenticators %+v, want %+v", c.Authenticators, want)
	}
	if c.Default().Type != "UnixPeerCredentials" || len(c.Notes) != 0 {
		t.Errorf("default %+v, notes %q", c.Default(), c.Notes)
	}
}

// Parsec's own JwtSvid table is accepted unchanged.
func TestParsecJwtSvid(t *testing.T) {
	c, err := config.Parse("cfg.toml", []byte(strings.Replace(base, `auth_type = "Direct"`,
		`auth_type = "JwtSvid"`+"\nworkload_endpoint = \"tcp://127.0.0.1:8082\"", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if d := c.Default(); len(c.Authenticators) != 1 || d.Type != "JwtSvid" || d.WorkloadEndpoint != "tcp://127.0.0.1:8082" {
		t.Errorf("authenticators %+v", c.Authenticators)
	}
}
