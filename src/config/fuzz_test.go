// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package config_test

import (
	"os"
	"strings"
	"testing"

	"github.com/parsecd/parsecd/src/config"
)

// FuzzParse: any bytes as config.toml give a config or problems, never a
// panic; every problem line names the file, and a config without problems
// has what the daemon relies on.
func FuzzParse(f *testing.F) {
	f.Add([]byte(config.DefaultText(1000, func(string) string { return "" })))
	f.Add([]byte(config.DefaultText(0, func(string) string { return "" })))
	if b, err := os.ReadFile("../../rootfs/etc/parsec/config.toml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("[core_settings]\nthread_pool_size = \"8\"\n"))
	f.Add([]byte("[[provider]]\nprovider_type = \"Tpm\"\nkey_info_manager = \"x\"\ntcti = \"swtpm:port=2321\"\n"))
	f.Add([]byte("[listener]\ntimeout = -1\n[authenticator]\nauth_type = \"JwtSvid\"\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		cfg, err := config.Parse("fuzz.toml", in)
		if err != nil {
			// With problems the config is only what could be read (for
			// --check-config); every problem line names the file.
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "fuzz.toml") {
					t.Fatalf("a problem line does not name the file: %q", line)
				}
			}
			return
		}
		if len(cfg.Providers) == 0 || len(cfg.KeyManagers) == 0 || cfg.SocketPath == "" {
			t.Fatalf("a config without a provider, a key store or a socket parsed: %+v", cfg)
		}
	})
}
