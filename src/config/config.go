// Package config reads parsecd's config.toml. The schema is Parsec's
// (core_settings, listener, authenticator, key_manager, provider), decoded
// strictly: an existing Parsec config loads, keys parsecd does not act on are
// reported as notes, and anything unknown or mistyped is an error that names
// the file, the line and the key.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// Defaults of core_settings and listener.
const (
	DefaultSocketPath      = "/run/parsec/parsec.sock"
	DefaultBodyLenLimit    = 1 << 20
	DefaultBufferSizeLimit = 1 << 20
	DefaultThreadPoolSize  = 8
	DefaultTimeout         = 200 * time.Millisecond
	DefaultStorePath       = "/var/lib/parsec/parsec-keys.db"
	// The connection limits are parsecd's own [listener] keys (Parsec has
	// none): see front.Settings. 0 in Config means "the front end's default".
	MaxConnectionsLimit = 1 << 20
)

// file mirrors config.toml as written; pointers tell "absent" from zero.
type file struct {
	CoreSettings  *coreSettings    `toml:"core_settings"`
	Listener      *listener        `toml:"listener"`
	Authenticator *authenticator   `toml:"authenticator"`
	KeyManager    []keyManager     `toml:"key_manager"`
	Provider      []map[string]any `toml:"provider"`
}

type coreSettings struct {
	AllowRoot                 *bool   `toml:"allow_root"`
	ThreadPoolSize            *int64  `toml:"thread_pool_size"`
	IdleListenerSleepDuration *int64  `toml:"idle_listener_sleep_duration"`
	LogLevel                  *string `toml:"log_level"`
	LogTimestamp              *bool   `toml:"log_timestamp"`
	BodyLenLimit              *int64  `toml:"body_len_limit"`
	LogErrorDetails           *bool   `toml:"log_error_details"`
	BufferSizeLimit           *int64  `toml:"buffer_size_limit"`
	AllowDeprecated           *bool   `toml:"allow_deprecated"`
}

type listener struct {
	ListenerType         string  `toml:"listener_type"`
	Timeout              *int64  `toml:"timeout"`
	SocketPath           *string `toml:"socket_path"`
	MaxConnections       *int64  `toml:"max_connections"`
	MaxConnectionsPerUID *int64  `toml:"max_connections_per_uid"`
}

type admin struct {
	Name string `toml:"name"`
}

type authenticator struct {
	AuthType         string  `toml:"auth_type"`
	Admins           []admin `toml:"admins"`
	WorkloadEndpoint *string `toml:"workload_endpoint"`
}

type keyManager struct {
	Name         string  `toml:"name"`
	ManagerType  string  `toml:"manager_type"`
	Path         *string `toml:"path"`
	StorePath    *string `toml:"store_path"`
	SqliteDBPath *string `toml:"sqlite_db_path"`
}

// Config is the validated configuration the daemon runs on.
type Config struct {
	Path string // where it was read from ("" for the embedded default)

	AllowRoot       bool
	ThreadPoolSize  int
	LogLevel        string // "" = info
	LogErrorDetails bool
	BodyLenLimit    uint32
	BufferSizeLimit uint64
	AllowDeprecated bool

	SocketPath string
	Timeout    time.Duration
	// MaxConnections and MaxConnectionsPerUID are 0 when not set: the
	// front end's defaults apply.
	MaxConnections       int
	MaxConnectionsPerUID int

	AuthType string // "Direct" or "UnixPeerCredentials"
	Admins   []string

	KeyManagers []KeyManager
	Providers   []Provider

	// Notes are keys accepted for compatibility but not acted on.
	Notes []string
}

// KeyManager is one [[key_manager]] entry.
type KeyManager struct {
	Name string
	Type string // "Bbolt"
	Path string
}

// Provider is one [[provider]] entry. Its type-specific keys are kept as
// TOML (Raw) so that the provider's own package can decode them strictly.
type Provider struct {
	Type       string
	Name       string // "" = the provider's default name
	KeyManager string
	Raw        []byte
	Index      int // position in the file, from 1
	// Pos is where the entry's [[provider]] header is (zero when unknown,
	// e.g. an inline array of tables); keys says where each key is, so
	// that errors about one can point at its line.
	Pos  Position
	keys map[string]Position
}

// Position is a line and column of a config file, from 1.
type Position struct{ Line, Col int }

// Where names the entry in messages: "FILE:LINE:COL: [[provider]] #N (TYPE)".
func (p Provider) Where(file string) string { return p.at(file, p.Pos) }

func (p Provider) at(file string, pos Position) string {
	if pos.Line > 0 {
		file = fmt.Sprintf("%s:%d:%d", file, pos.Line, pos.Col)
	}
	return fmt.Sprintf("%s: [[provider]] #%d (%s)", file, p.Index, p.Type)
}

// keyAt names the entry at the line of one of its keys (the header's when
// the key is not written in the file).
func (p Provider) keyAt(file, key string) string {
	if pos, ok := p.keys[key]; ok {
		return p.at(file, pos)
	}
	return p.Where(file)
}

// Wrap prefixes each of err's errors (errors.Join) with the entry, one per
// line, so that every reported problem names the file and the entry. The
// providers' messages start with the key they are about ("tcti is
// required", "invalid tcti ...", "user_pin: ..."): when that word is a key
// of the entry, the line is the key's, else the header's.
func (p Provider) Wrap(file string, err error) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var errs []error
		for _, e := range j.Unwrap() {
			errs = append(errs, p.Wrap(file, e))
		}
		return errors.Join(errs...)
	}
	word, _, _ := strings.Cut(strings.TrimPrefix(err.Error(), "invalid "), " ")
	return fmt.Errorf("%s: %w", p.keyAt(file, strings.TrimSuffix(word, ":")), err)
}

// Load reads and validates a config file.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	c, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Parse decodes and validates config text; name is used in messages.
func Parse(name string, data []byte) (*Config, error) {
	var f file
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, describe(name, err)
	}
	c := &Config{Path: name}
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{name}, a...)...))
	}
	note := func(format string, a ...any) { c.Notes = append(c.Notes, fmt.Sprintf(format, a...)) }

	cs := f.CoreSettings
	if cs == nil {
		bad("missing section [core_settings]")
		cs = &coreSettings{}
	}
	c.AllowRoot = deref(cs.AllowRoot, false)
	c.ThreadPoolSize = DefaultThreadPoolSize
	if cs.ThreadPoolSize != nil {
		if *cs.ThreadPoolSize < 1 || *cs.ThreadPoolSize > 4096 {
			bad("core_settings.thread_pool_size must be between 1 and 4096, not %d", *cs.ThreadPoolSize)
		}
		c.ThreadPoolSize = int(*cs.ThreadPoolSize)
	}
	if cs.IdleListenerSleepDuration != nil {
		note("core_settings.idle_listener_sleep_duration is ignored: parsecd's accept loop never sleeps")
	}
	if cs.LogTimestamp != nil {
		note("core_settings.log_timestamp is ignored: log lines always carry a timestamp")
	}
	if cs.LogLevel != nil {
		switch *cs.LogLevel {
		case "off", "error", "warn", "info", "debug", "trace":
			c.LogLevel = *cs.LogLevel
		default:
			bad("core_settings.log_level %q is not one of off, error, warn, info, debug, trace", *cs.LogLevel)
		}
	}
	c.LogErrorDetails = deref(cs.LogErrorDetails, false)
	c.AllowDeprecated = deref(cs.AllowDeprecated, false)
	c.BodyLenLimit = DefaultBodyLenLimit
	if cs.BodyLenLimit != nil {
		if *cs.BodyLenLimit < 0 || *cs.BodyLenLimit > 1<<32-1 {
			bad("core_settings.body_len_limit must be between 0 and 4294967295, not %d", *cs.BodyLenLimit)
		}
		c.BodyLenLimit = uint32(*cs.BodyLenLimit)
	}
	c.BufferSizeLimit = DefaultBufferSizeLimit
	if cs.BufferSizeLimit != nil {
		if *cs.BufferSizeLimit < 0 {
			bad("core_settings.buffer_size_limit must not be negative")
		}
		c.BufferSizeLimit = uint64(*cs.BufferSizeLimit)
	}

	if l := f.Listener; l == nil {
		bad("missing section [listener]")
	} else {
		if l.ListenerType != "DomainSocket" {
			bad("listener.listener_type must be \"DomainSocket\", not %q", l.ListenerType)
		}
		c.Timeout = DefaultTimeout
		if l.Timeout != nil {
			if *l.Timeout <= 0 {
				bad("listener.timeout must be a positive number of milliseconds")
			}
			c.Timeout = time.Duration(*l.Timeout) * time.Millisecond
		}
		for _, k := range []struct {
			name string
			v    *int64
			dst  *int
		}{{"max_connections", l.MaxConnections, &c.MaxConnections}, {"max_connections_per_uid", l.MaxConnectionsPerUID, &c.MaxConnectionsPerUID}} {
			if k.v == nil {
				continue
			}
			if *k.v < 1 || *k.v > MaxConnectionsLimit {
				bad("listener.%s must be between 1 and %d, not %d", k.name, MaxConnectionsLimit, *k.v)
				continue
			}
			*k.dst = int(*k.v)
		}
		c.SocketPath = deref(l.SocketPath, DefaultSocketPath)
		if c.SocketPath == "" {
			bad("listener.socket_path is empty")
		}
	}

	if a := f.Authenticator; a == nil {
		bad("missing section [authenticator]")
	} else {
		switch a.AuthType {
		case "Direct", "UnixPeerCredentials":
			c.AuthType = a.AuthType
		case "JwtSvid":
			bad("authenticator.auth_type \"JwtSvid\" is not supported by parsecd yet")
		default:
			bad("authenticator.auth_type %q is not one of Direct, UnixPeerCredentials", a.AuthType)
		}
		if a.WorkloadEndpoint != nil {
			note("authenticator.workload_endpoint is only used by JwtSvid and is ignored")
		}
		for i, ad := range a.Admins {
			if ad.Name == "" {
				bad("authenticator.admins[%d] has an empty name", i)
			}
			c.Admins = append(c.Admins, ad.Name)
		}
	}

	kms := map[string]bool{}
	for i, km := range f.KeyManager {
		switch {
		case km.Name == "":
			bad("[[key_manager]] #%d has no name", i+1)
		case kms[km.Name]:
			bad("[[key_manager]] name %q is used twice", km.Name)
		}
		kms[km.Name] = true
		switch km.ManagerType {
		case "Bbolt":
			if km.StorePath != nil || km.SqliteDBPath != nil {
				bad("key manager %q: a Bbolt store takes \"path\", not store_path or sqlite_db_path", km.Name)
			}
			c.KeyManagers = append(c.KeyManagers, KeyManager{Name: km.Name, Type: km.ManagerType, Path: deref(km.Path, DefaultStorePath)})
		case "OnDisk", "SQLite":
			bad("key manager %q: manager_type %q (Parsec's own mapping store) is not supported; use manager_type = \"Bbolt\" with a path (migrating existing Parsec mappings is not available yet)", km.Name, km.ManagerType)
		default:
			bad("key manager %q: unknown manager_type %q (expected \"Bbolt\")", km.Name, km.ManagerType)
		}
	}

	names := map[string]bool{}
	pos := providerPositions(data)
	for i, p := range f.Provider {
		pc, err := providerEntry(i+1, p)
		if err != nil {
			bad("%v", err)
			continue
		}
		if i < len(pos) {
			pc.Pos, pc.keys = pos[i].header, pos[i].keys
		}
		if !kms[pc.KeyManager] {
			bad("[[provider]] #%d: key_info_manager %q does not name a [[key_manager]]", pc.Index, pc.KeyManager)
		}
		if pc.Name != "" {
			if names[pc.Name] {
				bad("[[provider]] #%d: name %q is used twice", pc.Index, pc.Name)
			}
			names[pc.Name] = true
		}
		c.Providers = append(c.Providers, pc)
	}
	if len(f.Provider) == 0 {
		bad("no [[provider]] configured: parsecd needs at least one")
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

func providerEntry(index int, p map[string]any) (Provider, error) {
	pc := Provider{Index: index}
	str := func(key string) (string, error) {
		v, ok := p[key]
		if !ok {
			return "", nil
		}
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("[[provider]] #%d: %s must be a string", index, key)
		}
		return s, nil
	}
	var err error
	if pc.Type, err = str("provider_type"); err != nil {
		return pc, err
	}
	if pc.Type == "" {
		return pc, fmt.Errorf("[[provider]] #%d has no provider_type", index)
	}
	if pc.KeyManager, err = str("key_info_manager"); err != nil {
		return pc, err
	}
	if pc.KeyManager == "" {
		return pc, fmt.Errorf("[[provider]] #%d (%s) has no key_info_manager", index, pc.Type)
	}
	if pc.Name, err = str("name"); err != nil {
		return pc, err
	}
	if pc.Raw, err = toml.Marshal(p); err != nil {
		return pc, fmt.Errorf("[[provider]] #%d: %w", index, err)
	}
	return pc, nil
}

type entryPositions struct {
	header Position
	keys   map[string]Position
}

// providerPositions finds, in the text of a config that decoded, each
// [[provider]] header and the keys under it, in file order. Raw is
// re-encoded TOML, so errors about it would otherwise have no line.
func providerPositions(data []byte) []entryPositions {
	var p unstable.Parser
	p.Reset(data)
	at := func(n *unstable.Node) Position {
		s := p.Shape(n.Raw)
		return Position{Line: s.Start.Line, Col: s.Start.Column}
	}
	// key returns a node's key, dotted, its prefixes ("a.b.c": a, a.b) and
	// the position of its first part. Raw holds a.b = 1 as a table a, so an
	// error may name a prefix.
	key := func(n *unstable.Node) (string, []string, Position) {
		var parts, prefixes []string
		var first Position
		for it := n.Key(); it.Next(); {
			if len(parts) == 0 {
				first = at(it.Node())
			} else {
				prefixes = append(prefixes, strings.Join(parts, "."))
			}
			parts = append(parts, string(it.Node().Data))
		}
		return strings.Join(parts, "."), prefixes, first
	}
	var out []entryPositions
	in := false
	for p.NextExpression() {
		n := p.Expression()
		switch n.Kind {
		case unstable.Table, unstable.ArrayTable:
			k, _, pos := key(n)
			in = n.Kind == unstable.ArrayTable && k == "provider"
			if in {
				out = append(out, entryPositions{header: pos, keys: map[string]Position{}})
			}
		case unstable.KeyValue:
			if !in {
				continue
			}
			k, prefixes, pos := key(n)
			keys := out[len(out)-1].keys
			keys[k] = pos
			for _, pre := range prefixes {
				if _, ok := keys[pre]; !ok {
					keys[pre] = pos
				}
			}
		}
	}
	return out
}

// DecodeProvider decodes the keys of a [[provider]] entry strictly into v,
// which must declare provider_type, key_info_manager and name as well.
// Errors point at the key's line when the entry came from a file.
func (p Provider) DecodeProvider(file string, v any) error {
	dec := toml.NewDecoder(bytes.NewReader(p.Raw)).DisallowUnknownFields()
	err := dec.Decode(v)
	var sm *toml.StrictMissingError
	var de *toml.DecodeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &sm):
		var errs []error
		for _, e := range sm.Errors {
			k := strings.Join(e.Key(), ".")
			errs = append(errs, fmt.Errorf("%s: unknown key %q", p.keyAt(file, k), k))
		}
		return errors.Join(errs...)
	case errors.As(err, &de) && len(de.Key()) > 0:
		k := strings.Join(de.Key(), ".")
		return fmt.Errorf("%s: key %q: %w", p.keyAt(file, k), k, err)
	}
	return p.Wrap(file, err)
}

// describe turns a go-toml error into one naming file, line and key.
func describe(name string, err error) error {
	var sm *toml.StrictMissingError
	if errors.As(err, &sm) {
		var errs []error
		for _, e := range sm.Errors {
			row, col := e.Position()
			errs = append(errs, fmt.Errorf("%s:%d:%d: unknown key %q", name, row, col, strings.Join(e.Key(), ".")))
		}
		return errors.Join(errs...)
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, col := de.Position()
		if k := de.Key(); len(k) > 0 {
			return fmt.Errorf("%s:%d:%d: key %q: %s", name, row, col, strings.Join(k, "."), de.Error())
		}
		return fmt.Errorf("%s:%d:%d: %s", name, row, col, de.Error())
	}
	return fmt.Errorf("%s: %w", name, err)
}

func deref[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}
