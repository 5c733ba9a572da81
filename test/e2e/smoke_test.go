// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package e2e

import (
	"context"
	"strings"
	"testing"
)

// The README's walk-through, with the Go client and with the CLI.
func TestSmoke(t *testing.T) {
	d := NewDaemon(t, Options{Auth: "UnixPeerCredentials"}).Start()
	c := d.Client()
	maj, min, err := c.Ping(context.Background())
	if err != nil || maj != 1 || min != 0 {
		t.Fatalf("ping: %d.%d %v", maj, min, err)
	}
	if out := d.MustTool("ping"); strings.TrimSpace(out) != "1.0" {
		t.Fatalf("parsec-tool ping printed %q", out)
	}
	d.MustTool("create-ecc-key", "-k", "k1")
	if out := d.MustTool("list-keys"); !strings.Contains(out, "* k1 (") {
		t.Fatalf("list-keys: %q", out)
	}
	d.MustTool("delete-key", "-k", "k1")
}
