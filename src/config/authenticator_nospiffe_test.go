// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build !spiffe

package config_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/parsecd/parsecd/src/config"
)

// Without the spiffe tag, Parsec's JwtSvid table is refused at its line,
// and the error says how to get a build that has it.
func TestJwtSvidNeedsSpiffeTag(t *testing.T) {
	text := strings.Replace(base, `auth_type = "Direct"`,
		`auth_type = "JwtSvid"`+"\nworkload_endpoint = \"unix:///run/spire/sockets/agent.sock\"", 1)
	line := strings.Count(text[:strings.Index(text, `auth_type = "JwtSvid"`)], "\n") + 1
	c, err := config.Parse("cfg.toml", []byte(text))
	if err == nil {
		t.Fatalf("JwtSvid accepted in a build without the spiffe tag: %+v", c.Authenticators)
	}
	var ke *config.KeyError
	if !errors.As(err, &ke) || ke.Key != "authenticator.auth_type" {
		t.Errorf("error %v is not a KeyError about authenticator.auth_type", err)
	}
	msg := err.Error()
	for _, want := range []string{"JwtSvid", "without SPIFFE support", "-tags spiffe", "make build-spiffe"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if at := fmt.Sprintf("cfg.toml:%d:", line); !strings.HasPrefix(msg, at) {
		t.Errorf("error %q is not at the auth_type line (%s)", msg, at)
	}
}
