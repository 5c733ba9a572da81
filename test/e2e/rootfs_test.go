// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// The device configuration shipped in rootfs/ (installed as
// /etc/parsec/config.toml) runs as it is: only its socket and store paths
// are moved into a temporary directory.
func TestRootfsConfig(t *testing.T) {
	shipped, err := os.ReadFile(filepath.Join(repoRoot, "rootfs", "etc", "parsec", "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	d := NewDaemon(t, Options{})
	text := string(shipped)
	for from, to := range map[string]string{
		`socket_path = "/run/parsec/parsec.sock"`: `socket_path = "` + d.Socket + `"`,
		`path = "/var/lib/parsec/parsec-keys.db"`: `path = "` + d.Opts.Store + `"`,
	} {
		if n := strings.Count(text, from); n != 1 {
			t.Fatalf("rootfs config.toml has %d lines %q, want 1", n, from)
		}
		text = strings.Replace(text, from, to, 1)
	}
	// No other setting may name a system path (comments may).
	for _, line := range strings.Split(string(shipped), "\n") {
		l := strings.TrimSpace(line)
		if l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, "socket_path =") || strings.HasPrefix(l, "path =") {
			continue
		}
		if strings.Contains(l, "/run/") || strings.Contains(l, "/var/") {
			t.Fatalf("rootfs config.toml has another system path: %q", l)
		}
	}
	if err := os.WriteFile(d.Config, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	var args []string
	if os.Geteuid() == 0 {
		// The shipped config does not allow root (parsecd runs as parsec).
		args = append(args, "--allow-root")
	}
	d.Start(args...)

	check := func() {
		t.Helper()
		c := d.Client()
		if maj, min, err := c.Ping(context.Background()); err != nil || maj != 1 || min != 0 {
			t.Fatalf("ping: %d.%d %v", maj, min, err)
		}
		provs, err := c.ListProviders(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		// The TPM provider (id 3) comes first where the machine has a TPM;
		// elsewhere skip_if_no_tpm leaves the software provider (id 1) as
		// the clients' default.
		i := 0
		if len(provs) > 0 && provs[0].ID == 3 {
			i = 1
		}
		if len(provs) <= i || provs[i].ID != 1 {
			t.Fatalf("providers: %+v, want the software provider first, after the TPM when there is one", provs)
		}
	}
	check()
	// Unix peer credentials: parsec-tool authenticates with its uid.
	if out := d.MustTool("ping"); strings.TrimSpace(out) != "1.0" {
		t.Fatalf("parsec-tool ping printed %q", out)
	}
	d.MustTool("create-ecc-key", "-k", "rootfs-key")
	if _, err := os.Stat(d.Opts.Store); err != nil {
		t.Fatalf("store not at the rewritten path: %v", err)
	}
	// reload (ExecReload / init script reload) keeps serving the same keys.
	d.Signal(syscall.SIGHUP)
	check()
	if out := d.MustTool("list-keys"); !strings.Contains(out, "* rootfs-key (") {
		t.Fatalf("list-keys after reload: %q", out)
	}
	d.MustTool("delete-key", "-k", "rootfs-key")
}
