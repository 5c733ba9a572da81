// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package config_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parsecd/parsecd/src/config"
)

// parsecConfig is an existing Parsec config.toml, shaped like the one Parsec
// ships (commented keys included), with the key manager switched to Bbolt.
const parsecConfig = `# Parsec Configuration File

# (Required) Core settings apply to the service as a whole rather than to individual components within it.
[core_settings]
# Whether or not to allow the service to run as the root user. If this is false, the service will refuse to
# start if it is run as root. If this is true, then the check is disabled.
allow_root = false

# Size of the thread pool used for processing requests. Defaults to the number of processors on
# the machine.
#thread_pool_size = 8

# Duration of sleep between polling for incoming connections when there are no pending connections
idle_listener_sleep_duration = 10 # in milliseconds

# Log level to be applied across the service.
log_level = "warn"

# Control whether log entries contain a timestamp.
log_timestamp = false

# Decide how large (in bytes) request bodies can be before they get rejected automatically.
#body_len_limit = 1048576

# Decide whether detailed information about errors occuring should be included in log messages.
#log_error_details = false

# Decide how large (in bytes) buffers inside responses from this provider can be.
#buffer_size_limit = 1048576

# Allow deprecated primitives.
#allow_deprecated = false

# (Required) Configuration for the service IPC listener component.
[listener]
# Type of IPC that the service will support.
listener_type = "DomainSocket"

# Timeout of the read and write operations on the IPC channel. After the
# timeout expires, the connection is dropped.
timeout = 200 # in milliseconds

# Specify the Unix Domain Socket path.
socket_path = "/run/parsec/parsec.sock"

# (Required) Authenticator configuration.
[authenticator]
# Type of authenticator that will be used to authenticate clients' authentication
# payloads.
auth_type = "UnixPeerCredentials"

# List of admins to be identified by the authenticator.
admins = [ { name = "0" }, { name = "1000" } ]

# (Required only for JwtSvid) Location of the Workload API endpoint.
#workload_endpoint="unix:///run/spire/sockets/agent.sock"

# (Required) Configuration for the components managing key info for providers.
[[key_manager]]
# (Required) Name of the key info manager. Used to tie providers to the manager supporting them.
name = "bbolt-manager"

# (Required) Type of key info manager to be used.
manager_type = "Bbolt"

# Path to the store.
path = "/var/lib/parsec/parsec-keys.db"

# (Required) Provider configurations
[[provider]]
# (Required) Type of provider.
provider_type = "MbedCrypto"

# (Required) Name of key info manager that will support this provider.
key_info_manager = "bbolt-manager"
`

func write(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadParsecConfig(t *testing.T) {
	path := write(t, parsecConfig)
	c, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want := &config.Config{
		Path:            path,
		AllowRoot:       false,
		ThreadPoolSize:  config.DefaultThreadPoolSize,
		LogLevel:        "warn",
		BodyLenLimit:    1 << 20,
		BufferSizeLimit: 1 << 20,
		SocketPath:      "/run/parsec/parsec.sock",
		Timeout:         200 * time.Millisecond,
		Authenticators:  []config.Authenticator{{Type: "UnixPeerCredentials", Admins: []string{"0", "1000"}}},
		KeyManagers:     []config.KeyManager{{Name: "bbolt-manager", Type: "Bbolt", Path: "/var/lib/parsec/parsec-keys.db"}},
	}
	if len(c.Providers) != 1 {
		t.Fatalf("providers %+v", c.Providers)
	}
	p := c.Providers[0]
	if p.Type != "MbedCrypto" || p.KeyManager != "bbolt-manager" || p.Name != "" || p.Index != 1 || len(p.Raw) == 0 {
		t.Errorf("provider %+v", p)
	}
	notes := c.Notes
	got := *c
	got.Providers, got.Notes = nil, nil
	if !reflect.DeepEqual(&got, want) {
		t.Errorf("config\n got %+v\nwant %+v", &got, want)
	}
	joined := strings.Join(notes, "\n")
	for _, key := range []string{"idle_listener_sleep_duration", "log_timestamp"} {
		if !strings.Contains(joined, key) {
			t.Errorf("no note about %s in %q", key, notes)
		}
	}
	if len(notes) != 2 {
		t.Errorf("notes %q, want two", notes)
	}
}

func TestDefaults(t *testing.T) {
	c, err := config.Parse("min.toml", []byte(`
[core_settings]
[listener]
listener_type = "DomainSocket"
[authenticator]
auth_type = "Direct"
[[key_manager]]
name = "k"
manager_type = "Bbolt"
[[provider]]
provider_type = "Software"
key_info_manager = "k"
name = "soft"
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.ThreadPoolSize != 8 || c.Timeout != config.DefaultTimeout || c.SocketPath != config.DefaultSocketPath ||
		c.BodyLenLimit != config.DefaultBodyLenLimit || c.BufferSizeLimit != config.DefaultBufferSizeLimit ||
		c.KeyManagers[0].Path != config.DefaultStorePath || c.AllowRoot || c.AllowDeprecated || c.LogErrorDetails ||
		c.LogLevel != "" || len(c.Authenticators) != 1 || c.Default().Type != "Direct" || c.MaxConnections != 0 || c.MaxConnectionsPerUID != 0 || len(c.Default().Admins) != 0 || len(c.Notes) != 0 || c.Providers[0].Name != "soft" {
		t.Errorf("defaults %+v", c)
	}
}

func TestAllSettings(t *testing.T) {
	c, err := config.Parse("all.toml", []byte(`
[core_settings]
allow_root = true
thread_pool_size = 2
log_level = "trace"
body_len_limit = 1024
log_error_details = true
buffer_size_limit = 2048
allow_deprecated = true
[listener]
listener_type = "DomainSocket"
timeout = 202
socket_path = "/tmp/toto.sock"
max_connections = 100
max_connections_per_uid = 10
[authenticator]
auth_type = "UnixPeerCredentials"
workload_endpoint = "unix:///run/spire/sockets/agent.sock"
[[key_manager]]
name = "a"
manager_type = "Bbolt"
path = "/tmp/a.db"
[[key_manager]]
name = "b"
manager_type = "Bbolt"
path = "/tmp/b.db"
[[provider]]
provider_type = "Software"
key_info_manager = "b"
[[provider]]
provider_type = "Tpm"
key_info_manager = "a"
tcti = "mssim"
owner_hierarchy_auth = ""
`))
	if err != nil {
		t.Fatal(err)
	}
	if !c.AllowRoot || c.ThreadPoolSize != 2 || c.LogLevel != "trace" || c.BodyLenLimit != 1024 || !c.LogErrorDetails ||
		c.BufferSizeLimit != 2048 || !c.AllowDeprecated || c.Timeout != 202*time.Millisecond || c.SocketPath != "/tmp/toto.sock" ||
		c.MaxConnections != 100 || c.MaxConnectionsPerUID != 10 {
		t.Errorf("settings %+v", c)
	}
	if len(c.Notes) != 1 || !strings.Contains(c.Notes[0], "workload_endpoint") {
		t.Errorf("notes %q", c.Notes)
	}
	if len(c.Providers) != 2 || c.Providers[0].Type != "Software" || c.Providers[1].Type != "Tpm" ||
		c.Providers[1].Index != 2 || c.Providers[1].KeyManager != "a" {
		t.Errorf("providers %+v", c.Providers)
	}
}

// base is a valid config; the tests below edit it.
const base = `[core_settings]
allow_root = false
[listener]
listener_type = "DomainSocket"
timeout = 200
[authenticator]
auth_type = "Direct"
[[key_manager]]
name = "k"
manager_type = "Bbolt"
path = "/tmp/k.db"
[[provider]]
provider_type = "Software"
key_info_manager = "k"
`

// Two providers of one type with distinct names, and one of another type
// without a name, are accepted.
func TestProvidersOfOneType(t *testing.T) {
	text := base + "name = \"soft-a\"\n[[provider]]\nprovider_type = \"MbedCrypto\"\nkey_info_manager = \"k\"\nname = \"soft-b\"\n" +
		"[[provider]]\nprovider_type = \"Tpm\"\nkey_info_manager = \"k\"\n"
	c, err := config.Parse("cfg.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Providers) != 3 || c.Providers[0].Name != "soft-a" || c.Providers[1].Name != "soft-b" || c.Providers[2].Name != "" {
		t.Fatalf("providers: %+v", c.Providers)
	}
}

func TestBaseIsValid(t *testing.T) {
	if _, err := config.Parse("base.toml", []byte(base)); err != nil {
		t.Fatal(err)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string // substrings of the error
	}{
		{"unknown key", strings.Replace(base, "timeout = 200", "timeout = 200\n  sokcet_path = \"/x\"", 1),
			[]string{"cfg.toml:6:3:", "listener.sokcet_path", "unknown key"}},
		{"unknown section", base + "[extra]\nx = 1\n", []string{"cfg.toml:15:2:", `"extra"`}},
		{"unknown key in core_settings", strings.Replace(base, "allow_root = false", "allow_root = false\nallowroot = true", 1),
			[]string{"cfg.toml:3:1:", "core_settings.allowroot"}},
		{"unknown key in key_manager", strings.Replace(base, `path = "/tmp/k.db"`, "path = \"/tmp/k.db\"\nsize = 3", 1),
			[]string{"cfg.toml:12:1:", "key_manager.size"}},
		{"allow_root mistyped", strings.Replace(base, "allow_root = false", `allow_root = "yes"`, 1),
			[]string{"cfg.toml:2:1: core_settings.allow_root: expected true or false (without quotes), found the string \"yes\""}},
		{"timeout mistyped", strings.Replace(base, "timeout = 200", `timeout = "200"`, 1),
			[]string{"cfg.toml:5:", "listener.timeout"}},
		{"syntax error", "[core_settings\n", []string{"cfg.toml:1:"}},
		{"unknown manager type", strings.Replace(base, `manager_type = "Bbolt"`, `manager_type = "Redis"`, 1), []string{"Redis", "Bbolt"}},
		{"Bbolt with store_path", strings.Replace(base, `path = "/tmp/k.db"`, `store_path = "/tmp/k.db"`, 1), []string{"store_path", "path"}},
		{"missing core_settings", strings.Replace(base, "[core_settings]\nallow_root = false\n", "", 1), []string{"missing section [core_settings]"}},
		{"missing listener", strings.Replace(base, "[listener]\nlistener_type = \"DomainSocket\"\ntimeout = 200\n", "", 1), []string{"missing section [listener]"}},
		{"missing authenticator", strings.Replace(base, "[authenticator]\nauth_type = \"Direct\"\n", "", 1), []string{"missing section [authenticator]"}},
		{"no provider", base[:strings.Index(base, "[[provider]]")], []string{"no [[provider]]"}},
		{"duplicate provider names", base + "name = \"p\"\n[[provider]]\nprovider_type = \"Software\"\nkey_info_manager = \"k\"\nname = \"p\"\n",
			[]string{"#2", `"p"`, "used twice"}},
		{"a second provider of a type: both need a name", base + "[[provider]]\nprovider_type = \"Software\"\nkey_info_manager = \"k\"\n",
			[]string{"cfg.toml:12:3: [[provider]] #1 (Software) has no name: 2 [[provider]] entries (#1, #2)", "cfg.toml:15:3: [[provider]] #2 (Software) has no name"}},
		{"a second provider of a type under its alias", base + "name = \"soft-a\"\n[[provider]]\nprovider_type = \"MbedCrypto\"\nkey_info_manager = \"k\"\n",
			[]string{"cfg.toml:16:3: [[provider]] #2 (MbedCrypto) has no name"}},
		{"duplicate key manager names", strings.Replace(base, "[[provider]]", "[[key_manager]]\nname = \"k\"\nmanager_type = \"Bbolt\"\n[[provider]]", 1),
			[]string{`"k"`, "used twice"}},
		{"unknown key manager", strings.Replace(base, `key_info_manager = "k"`, `key_info_manager = "sqlite-manager"`, 1),
			[]string{"#1", "sqlite-manager", "[[key_manager]]"}},
		{"provider without key manager", strings.Replace(base, "key_info_manager = \"k\"\n", "", 1), []string{"#1", "key_info_manager"}},
		{"provider without type", strings.Replace(base, "provider_type = \"Software\"\n", "", 1), []string{"#1", "provider_type"}},
		{"provider type not a string", strings.Replace(base, `provider_type = "Software"`, `provider_type = 1`, 1), []string{"provider_type", "string"}},
		{"JwtSvid without endpoint", strings.Replace(base, `auth_type = "Direct"`, `auth_type = "JwtSvid"`, 1),
			[]string{"cfg.toml:6:", "workload_endpoint is missing"}},
		{"JwtSvid bad endpoint", strings.Replace(base, `auth_type = "Direct"`, `auth_type = "JwtSvid"`+"\nworkload_endpoint = \"/run/spire/agent.sock\"", 1),
			[]string{"cfg.toml:8:", "unix:///path"}},
		{"authenticator twice", strings.Replace(base, "[authenticator]\nauth_type = \"Direct\"\n", "[[authenticator]]\nauth_type = \"Direct\"\n[[authenticator]]\nauth_type = \"Direct\"\n", 1),
			[]string{"cfg.toml:9:", `"Direct" is configured twice`}},
		{"authenticator empty array", "authenticator = []\n" + strings.Replace(base, "[authenticator]\nauth_type = \"Direct\"\n", "", 1),
			[]string{"at least one authenticator"}},
		{"authenticator not a table", "authenticator = \"Direct\"\n" + strings.Replace(base, "[authenticator]\nauth_type = \"Direct\"\n", "", 1),
			[]string{"[[authenticator]]"}},
		{"unknown auth type", strings.Replace(base, `auth_type = "Direct"`, `auth_type = "Jwt"`, 1), []string{`"Jwt"`}},
		{"empty admin name", strings.Replace(base, `auth_type = "Direct"`, `auth_type = "Direct"`+"\nadmins = [ { name = \"\" } ]", 1), []string{"admins"}},
		{"admin unknown key", strings.Replace(base, `auth_type = "Direct"`, `auth_type = "Direct"`+"\nadmins = [ { nam = \"x\" } ]", 1), []string{"cfg.toml:8:", "nam"}},
		{"listener type", strings.Replace(base, `listener_type = "DomainSocket"`, `listener_type = "Tcp"`, 1), []string{"listener_type"}},
		{"timeout zero", strings.Replace(base, "timeout = 200", "timeout = 0", 1), []string{"listener.timeout"}},
		{"empty socket path", strings.Replace(base, "timeout = 200", "timeout = 200\nsocket_path = \"\"", 1), []string{"socket_path"}},
		{"max connections zero", strings.Replace(base, "timeout = 200", "timeout = 200\nmax_connections = 0", 1), []string{"listener.max_connections: expected a number of connections from 1 to"}},
		{"max connections per uid negative", strings.Replace(base, "timeout = 200", "timeout = 200\nmax_connections_per_uid = -1", 1), []string{"listener.max_connections_per_uid"}},
		{"thread pool zero", strings.Replace(base, "allow_root = false", "thread_pool_size = 0", 1), []string{"thread_pool_size"}},
		{"log level", strings.Replace(base, "allow_root = false", `log_level = "verbose"`, 1), []string{"log_level", "verbose"}},
		{"negative body limit", strings.Replace(base, "allow_root = false", "body_len_limit = -1", 1), []string{"body_len_limit"}},
		{"huge body limit", strings.Replace(base, "allow_root = false", "body_len_limit = 4294967296", 1), []string{"body_len_limit"}},
		{"negative buffer limit", strings.Replace(base, "allow_root = false", "buffer_size_limit = -5", 1), []string{"buffer_size_limit"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Parse("cfg.toml", []byte(tt.text))
			if err == nil {
				t.Fatalf("accepted:\n%s\n=> %+v", tt.text, c)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), "cfg.toml") {
				t.Errorf("error %q does not start with the file name", err)
			}
			// Our words, never Go's: no Go type or package names.
			for _, goWord := range []string{"struct field", "config.", "of type", "int64", " toml: "} {
				if strings.Contains(err.Error(), goWord) {
					t.Errorf("error %q shows Go internals (%q)", err, goWord)
				}
			}
		})
	}
}

// Every problem is reported, one per line, each at its line and column
// with its key: type mismatches do not stop the check at the first.
func TestErrorsEveryProblem(t *testing.T) {
	text := `[core_settings]
allow_root = "yes"
thread_pool_size = "8"
log_level = "loud"
[listener]
listener_type = "DomainSocket"
timeout = 0
socket_path = 5
[authenticator]
auth_type = "UnixPeerCredential"
admins = [ { name = 0 } ]
[[key_manager]]
name = "k"
manager_type = "Bbolt"
path = "/tmp/k.db"
colour = "blue"
[[provider]]
provider_type = "Software"
key_info_manager = "kk"
[[provider]]
provider_type = 3
key_info_manager = "k"
`
	c, err := config.Parse("cfg.toml", []byte(text))
	if err == nil {
		t.Fatal("accepted")
	}
	want := []string{
		`cfg.toml:2:1: core_settings.allow_root: expected true or false (without quotes), found the string "yes"`,
		`cfg.toml:3:1: core_settings.thread_pool_size: expected an integer (without quotes), found the string "8"`,
		`cfg.toml:4:1: core_settings.log_level: "loud" is not one of "off", "error", "warn", "info", "debug" or "trace"`,
		`cfg.toml:7:1: listener.timeout: expected a positive number of milliseconds, found 0`,
		`cfg.toml:8:1: listener.socket_path: expected a string (in double quotes), found the integer 5`,
		`cfg.toml:10:1: authenticator.auth_type: "UnixPeerCredential" is not one of "UnixPeerCredentials", "Direct" or "JwtSvid"`,
		`cfg.toml:11:1: authenticator.admins[0].name: expected a string (in double quotes), found the integer 0`,
		`cfg.toml:16:1: unknown key "key_manager.colour"`,
		`cfg.toml:19:1: [[provider]] #1: key_info_manager "kk" does not name a [[key_manager]] (expected "k")`,
		`cfg.toml:21:1: [[provider]] #2: provider_type: expected a string (in double quotes), found the integer 3`,
	}
	got := strings.Split(err.Error(), "\n")
	if !slices.Equal(got, want) {
		t.Errorf("errors:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	wantKeys := []string{"core_settings.allow_root", "core_settings.thread_pool_size", "core_settings.log_level",
		"listener.timeout", "listener.socket_path", "authenticator.auth_type", "authenticator.admins.0.name",
		"key_manager.0.colour", "provider.0.key_info_manager", "provider.1.provider_type"}
	if keys := keysOf(t, err); !slices.Equal(keys, wantKeys) {
		t.Errorf("keys %q, want %q", keys, wantKeys)
	}
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		if line := keyErrorOf(t, e).Line; !strings.HasPrefix(e.Error(), fmt.Sprintf("cfg.toml:%d:", line)) {
			t.Errorf("%v: KeyError.Line %d", e, line)
		}
	}
	// What could be read is there, for --check-config's provider checks.
	if c == nil || len(c.Providers) != 1 || c.Providers[0].Type != "Software" {
		t.Errorf("partial config %+v", c)
	}
}

// Several mistakes are reported together.
func TestErrorsJoined(t *testing.T) {
	text := strings.Replace(base, "timeout = 200", "timeout = 0", 1)
	text = strings.Replace(text, `key_info_manager = "k"`, `key_info_manager = "nope"`, 1)
	_, err := config.Parse("cfg.toml", []byte(text))
	if got := keysOf(t, err); !slices.Equal(got, []string{"listener.timeout", "provider.0.key_info_manager"}) {
		t.Errorf("error %v about keys %q", err, got)
	}
}

// keyErrorOf is the *config.KeyError in err; the test fails without one.
func keyErrorOf(t *testing.T, err error) *config.KeyError {
	t.Helper()
	var ke *config.KeyError
	if !errors.As(err, &ke) {
		t.Fatalf("%v: not a *config.KeyError", err)
	}
	return ke
}

// keysOf lists the keys of the problems Parse reported, in order.
func keysOf(t *testing.T, err error) []string {
	t.Helper()
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("%v: not a list of problems", err)
	}
	var keys []string
	for _, e := range j.Unwrap() {
		keys = append(keys, keyErrorOf(t, e).Key)
	}
	return keys
}

func TestLoadMissingFile(t *testing.T) {
	if _, err := config.Load(filepath.Join(t.TempDir(), "absent.toml")); err == nil {
		t.Error("loaded a missing file")
	}
}

// ---------------------------------------------------------------------------
// DecodeProvider.

type softSchema struct {
	ProviderType   string `toml:"provider_type"`
	KeyInfoManager string `toml:"key_info_manager"`
	Name           string `toml:"name"`
}

type pkcs11Schema struct {
	ProviderType            string  `toml:"provider_type"`
	KeyInfoManager          string  `toml:"key_info_manager"`
	Name                    string  `toml:"name"`
	LibraryPath             string  `toml:"library_path"`
	SlotNumber              *uint64 `toml:"slot_number"`
	UserPin                 string  `toml:"user_pin"`
	SoftwarePublicOperation bool    `toml:"software_public_operations"`
	AllowExport             *bool   `toml:"allow_export"`
}

func providerOf(t *testing.T, extra string) config.Provider {
	t.Helper()
	c, err := config.Parse("cfg.toml", []byte(base+extra))
	if err != nil {
		t.Fatal(err)
	}
	return c.Providers[0]
}

func TestDecodeProvider(t *testing.T) {
	p := providerOf(t, "name = \"soft\"\n")
	var s softSchema
	if err := p.DecodeProvider("cfg.toml", &s); err != nil {
		t.Fatal(err)
	}
	if s != (softSchema{ProviderType: "Software", KeyInfoManager: "k", Name: "soft"}) {
		t.Errorf("decoded %+v", s)
	}

	p = providerOf(t, "library_path = \"/usr/lib/softhsm/libsofthsm2.so\"\n")
	err := p.DecodeProvider("cfg.toml", &s)
	if err == nil {
		t.Fatal("unknown key accepted")
	}
	for _, w := range []string{"cfg.toml", "#1", "Software", "library_path", "unknown"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}

	p = providerOf(t, "library_path = \"/lib.so\"\nslot_number = 3\nuser_pin = \"str:1234\"\nallow_export = false\n")
	var k pkcs11Schema
	if err := p.DecodeProvider("cfg.toml", &k); err != nil {
		t.Fatal(err)
	}
	if k.LibraryPath != "/lib.so" || k.SlotNumber == nil || *k.SlotNumber != 3 || k.UserPin != "str:1234" || k.AllowExport == nil || *k.AllowExport {
		t.Errorf("decoded %+v", k)
	}

	p = providerOf(t, "library_path = 12\n")
	if err := p.DecodeProvider("cfg.toml", &k); err == nil || keyErrorOf(t, err).Key != "provider.0.library_path" {
		t.Errorf("mistyped library_path: %v", err)
	}
}

// TestProviderPositions: errors about a [[provider]] entry point at the
// line of the key they are about, in the file as written (Raw is
// re-encoded, so its own lines would be wrong), else at the header.
func TestProviderPositions(t *testing.T) {
	text := strings.Join([]string{
		"[core_settings]", // 1
		"[listener]",
		`listener_type = "DomainSocket"`,
		"[authenticator]",
		`auth_type = "Direct"`, // 5
		"[[key_manager]]",
		`name = "k"`,
		`manager_type = "Bbolt"`,
		"[[provider]]",
		`provider_type = "Software"`, // 10
		`key_info_manager = "k"`,
		"",
		"  [[ provider ]]  # the second entry",
		`  provider_type = "Pkcs11"`,
		`  key_info_manager = "k"`, // 15
		`  library_path = 12`,
		`  colour = "red"`,
		`  token."label" = "x"`,
		"[[key_manager]]",
		`name = "other"`, // 20
		`manager_type = "Bbolt"`,
		"",
	}, "\n")
	c, err := config.Parse("cfg.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Providers) != 2 || c.Providers[0].Pos != (config.Position{Line: 9, Col: 3}) || c.Providers[1].Pos != (config.Position{Line: 13, Col: 6}) {
		t.Fatalf("providers %+v", c.Providers)
	}
	p := c.Providers[1]
	var k pkcs11Schema
	err = p.DecodeProvider("cfg.toml", &k)
	if want := `cfg.toml:16:3: [[provider]] #2 (Pkcs11): key "library_path": `; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("mistyped key: %v, want %q...", err, want)
	}
	var s softSchema
	err = p.DecodeProvider("cfg.toml", &s)
	want := []string{
		`cfg.toml:16:3: [[provider]] #2 (Pkcs11): unknown key "library_path"`,
		`cfg.toml:17:3: [[provider]] #2 (Pkcs11): unknown key "colour"`,
		// a dotted key is a table in Raw: the error names the table
		`cfg.toml:18:3: [[provider]] #2 (Pkcs11): unknown key "token"`,
	}
	if err == nil {
		t.Fatal("unknown keys accepted")
	}
	got := strings.Split(err.Error(), "\n")
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("unknown keys:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Wrap: one line per joined error; a *KeyError points at its key (also
	// when wrapped), any other error at the header, whatever its words.
	colour := errors.New("invalid colour \"red\"")
	err = p.Wrap("cfg.toml", errors.Join(config.KeyErr("colour", colour),
		fmt.Errorf("checking: %w", config.KeyErrorf("library_path", "library_path: bad")),
		errors.New("library_path: not a KeyError")))
	wantWrap := "cfg.toml:17:3: [[provider]] #2 (Pkcs11): invalid colour \"red\"\n" +
		"cfg.toml:16:3: [[provider]] #2 (Pkcs11): checking: library_path: bad\n" +
		"cfg.toml:13:6: [[provider]] #2 (Pkcs11): library_path: not a KeyError"
	if err.Error() != wantWrap {
		t.Errorf("Wrap:\n%v\nwant\n%s", err, wantWrap)
	}
	if !errors.Is(err, colour) {
		t.Errorf("Wrap lost the cause %v", colour)
	}
	wantKeys := []config.KeyError{{Key: "provider.1.colour", Line: 17}, {Key: "provider.1.library_path", Line: 16}, {Key: "provider.1", Line: 13}}
	for i, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		if ke := keyErrorOf(t, e); ke.Key != wantKeys[i].Key || ke.Line != wantKeys[i].Line {
			t.Errorf("Wrap #%d: key %q at line %d, want %q at %d", i, ke.Key, ke.Line, wantKeys[i].Key, wantKeys[i].Line)
		}
	}
	// An entry built in code has no position: the file alone.
	if got := (config.Provider{Type: "Tpm", Index: 3}).Where("f.toml"); got != "f.toml: [[provider]] #3 (Tpm)" {
		t.Errorf("Where without a position: %q", got)
	}
}

// ---------------------------------------------------------------------------
// DefaultText.

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaultText(t *testing.T) {
	tests := []struct {
		name         string
		uid          int
		env          map[string]string
		socket, path string
	}{
		{"root", 0, map[string]string{"XDG_RUNTIME_DIR": "/run/user/0", "HOME": "/root"},
			"/run/parsec/parsec.sock", "/var/lib/parsec/parsec-keys.db"},
		{"user with XDG", 1000, map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000", "XDG_STATE_HOME": "/home/u/.state", "HOME": "/home/u"},
			"/run/user/1000/parsec/parsec.sock", "/home/u/.state/parsec/parsec-keys.db"},
		{"user without XDG", 1000, map[string]string{"HOME": "/home/u"},
			"/tmp/parsecd-1000/parsec/parsec.sock", "/home/u/.local/state/parsec/parsec-keys.db"},
		{"user without XDG or HOME", 1000, map[string]string{},
			"/tmp/parsecd-1000/parsec/parsec.sock", "/tmp/parsecd-1000/state/parsec/parsec-keys.db"},
		{"path with a quote", 1000, map[string]string{"XDG_RUNTIME_DIR": `/run/a"b`, "XDG_STATE_HOME": `/s\t`},
			`/run/a"b/parsec/parsec.sock`, `/s\t/parsec/parsec-keys.db`},
		{"user with TMPDIR", 1000, map[string]string{"TMPDIR": "/var/tmp/u", "HOME": "/home/u"},
			"/var/tmp/u/parsecd-1000/parsec/parsec.sock", "/home/u/.local/state/parsec/parsec-keys.db"},
		{"user with a relative TMPDIR", 1000, map[string]string{"TMPDIR": "tmp", "HOME": "/home/u"},
			"/tmp/parsecd-1000/parsec/parsec.sock", "/home/u/.local/state/parsec/parsec-keys.db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := config.DefaultText(tt.uid, env(tt.env))
			c, err := config.Parse("", []byte(text))
			if err != nil {
				t.Fatalf("%v\n%s", err, text)
			}
			if c.SocketPath != tt.socket {
				t.Errorf("socket %q, want %q", c.SocketPath, tt.socket)
			}
			if len(c.KeyManagers) != 1 || c.KeyManagers[0].Type != "Bbolt" || c.KeyManagers[0].Path != tt.path {
				t.Errorf("key managers %+v, want one Bbolt at %q", c.KeyManagers, tt.path)
			}
			if c.Default().Type != "UnixPeerCredentials" || len(c.Providers) != 1 || c.Providers[0].Type != "Software" ||
				c.Providers[0].KeyManager != c.KeyManagers[0].Name || c.AllowRoot || c.Timeout != 200*time.Millisecond || len(c.Notes) != 0 {
				t.Errorf("config %+v", c)
			}
		})
	}
}

// Default as another user than root is a per-user daemon: a 0600 socket
// and private directories (the runtime fallback first, as it holds the
// others); as root, Parsec's conventions.
func TestDefaultPerUser(t *testing.T) {
	c, err := config.Default(0, env(map[string]string{"HOME": "/root"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.SocketMode != 0 || len(c.PrivateDirs) != 0 {
		t.Errorf("root: socket mode %v, private dirs %q; want the system daemon's conventions", c.SocketMode, c.PrivateDirs)
	}
	for _, tt := range []struct {
		env  map[string]string
		dirs []string
	}{
		{map[string]string{"HOME": "/home/u"}, []string{"/tmp/parsecd-1000", "/tmp/parsecd-1000/parsec", "/home/u/.local/state/parsec"}},
		{map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000", "HOME": "/home/u"}, []string{"/run/user/1000/parsec", "/home/u/.local/state/parsec"}},
		{map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000"}, []string{"/tmp/parsecd-1000", "/run/user/1000/parsec", "/tmp/parsecd-1000/state/parsec"}},
	} {
		c, err := config.Default(1000, env(tt.env))
		if err != nil {
			t.Fatal(err)
		}
		if c.SocketMode != 0o600 || !slices.Equal(c.PrivateDirs, tt.dirs) {
			t.Errorf("%v: socket mode %v, private dirs %q; want 0600 and %q", tt.env, c.SocketMode, c.PrivateDirs, tt.dirs)
		}
	}
}
