// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

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
	"io/fs"
	"os"
	"regexp"
	"sort"
	"strconv"
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
	// SocketMode is the socket's mode: 0 for Parsec's 0666 (a system
	// daemon: access is controlled by the socket's directory); 0600 for a
	// per-user daemon (Default as another user than root).
	SocketMode fs.FileMode
	// PrivateDirs are directories parsecd makes for itself alone, in order:
	// created 0700, and refused when another uid owns them or group or
	// others may write them (a per-user daemon's runtime and state
	// directories).
	PrivateDirs []string
	// MaxConnections and MaxConnectionsPerUID are 0 when not set: the
	// front end's defaults apply.
	MaxConnections       int
	MaxConnectionsPerUID int

	// Authenticators are the [authenticator] table or the
	// [[authenticator]] entries in file order; the first is the default.
	Authenticators []Authenticator

	KeyManagers []KeyManager
	Providers   []Provider

	// Notes are keys accepted for compatibility but not acted on.
	Notes []string
}

// KeyManager is one [[key_manager]] entry.
type KeyManager struct {
	Name string
	Type string // "Bbolt", or Parsec's "OnDisk" or "SQLite" (migrated into Path)
	Path string // the bbolt store
	// Parsec is set for Parsec's own key info managers: parsecd migrates
	// the store once into the bbolt store at Path and serves from that
	// (docs/migration.md).
	Parsec *ParsecStore
}

// ParsecStore is a Parsec key info manager to migrate.
type ParsecStore struct {
	Type string // "OnDisk" or "SQLite"
	Path string // store_path or sqlite_db_path
	// WorkingDir is Parsec's working directory, where its Mbed Crypto
	// provider keeps the key files (parsec_working_dir).
	WorkingDir string
}

// Parsec's defaults for its key info managers and working directory.
const (
	DefaultOnDiskPath       = "/var/lib/parsec/mappings"
	DefaultSQLitePath       = "/var/lib/parsec/kim-mappings/sqlite/sqlite-key-info-manager.sqlite3"
	DefaultParsecWorkingDir = "/var/lib/parsec"
	// MigratedStoreName is the bbolt store made next to a Parsec store
	// when the configuration names no other.
	MigratedStoreName = "parsecd-keys.db"
)

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
	return Parse(path, data)
}

// Parse decodes and validates config text; name is used in messages. It
// reports every problem it finds, one per line (errors.Join), each with
// the file, line and column, the key, and what is expected, in the words
// of the file (a TOML syntax error stops it at the first). With problems,
// the Config is nil unless the text is valid TOML: then it holds what could
// be read, so that --check-config can check the [[provider]] entries too.
func Parse(name string, data []byte) (*Config, error) {
	var root map[string]any
	if err := toml.Unmarshal(data, &root); err != nil {
		return nil, describe(name, err)
	}
	r := &reader{name: name, pos: keyPositions(data)}
	c := &Config{Path: name}
	note := func(format string, a ...any) { c.Notes = append(c.Notes, fmt.Sprintf(format, a...)) }

	known := map[string]bool{"core_settings": true, "listener": true, "authenticator": true, "key_manager": true, "provider": true}
	var unknown []string
	for k := range root {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		what := "key"
		if _, ok := root[k].(map[string]any); ok {
			what = "section"
		}
		r.bad(k, "unknown %s %q (parsecd knows [core_settings], [listener], [authenticator] or [[authenticator]], [[key_manager]] and [[provider]])", what, k)
	}

	c.ThreadPoolSize = DefaultThreadPoolSize
	c.BodyLenLimit = DefaultBodyLenLimit
	c.BufferSizeLimit = DefaultBufferSizeLimit
	if cs := r.section(root, "core_settings"); cs == nil {
		if _, ok := root["core_settings"]; !ok {
			r.bad("", "missing section [core_settings]")
		}
	} else {
		c.AllowRoot = deref(cs.boolean("allow_root"), false)
		if v := cs.integer("thread_pool_size"); v != nil {
			if *v < 1 || *v > 4096 {
				r.bad(cs.path+".thread_pool_size", "core_settings.thread_pool_size: expected an integer from 1 to 4096, found %d", *v)
			}
			c.ThreadPoolSize = int(*v)
		}
		if cs.integer("idle_listener_sleep_duration") != nil {
			note("core_settings.idle_listener_sleep_duration is ignored: parsecd's accept loop never sleeps")
		}
		if cs.boolean("log_timestamp") != nil {
			note("core_settings.log_timestamp is ignored: log lines always carry a timestamp")
		}
		c.LogLevel = cs.oneOf("log_level", "off", "error", "warn", "info", "debug", "trace")
		c.LogErrorDetails = deref(cs.boolean("log_error_details"), false)
		c.AllowDeprecated = deref(cs.boolean("allow_deprecated"), false)
		if v := cs.integer("body_len_limit"); v != nil {
			if *v < 0 || *v > 1<<32-1 {
				r.bad(cs.path+".body_len_limit", "core_settings.body_len_limit: expected an integer from 0 to 4294967295 (bytes), found %d", *v)
			}
			c.BodyLenLimit = uint32(*v)
		}
		if v := cs.integer("buffer_size_limit"); v != nil {
			if *v < 0 {
				r.bad(cs.path+".buffer_size_limit", "core_settings.buffer_size_limit: expected a non-negative integer (bytes), found %d", *v)
			}
			c.BufferSizeLimit = uint64(*v)
		}
		cs.done()
	}

	if l := r.section(root, "listener"); l == nil {
		if _, ok := root["listener"]; !ok {
			r.bad("", "missing section [listener]")
		}
	} else {
		if v := l.str("listener_type"); v == nil || *v != "DomainSocket" {
			if v != nil {
				r.bad(l.path+".listener_type", "listener.listener_type: %q is not supported: expected \"DomainSocket\"", *v)
			} else if _, present := l.m["listener_type"]; !present {
				r.bad(l.path, "listener.listener_type is missing: expected listener_type = \"DomainSocket\"")
			}
		}
		c.Timeout = DefaultTimeout
		if v := l.integer("timeout"); v != nil {
			if *v <= 0 {
				r.bad(l.path+".timeout", "listener.timeout: expected a positive number of milliseconds, found %d", *v)
			}
			c.Timeout = time.Duration(*v) * time.Millisecond
		}
		for _, k := range []struct {
			name string
			dst  *int
		}{{"max_connections", &c.MaxConnections}, {"max_connections_per_uid", &c.MaxConnectionsPerUID}} {
			if v := l.integer(k.name); v != nil {
				if *v < 1 || *v > MaxConnectionsLimit {
					r.bad(l.path+"."+k.name, "listener.%s: expected a number of connections from 1 to %d, found %d", k.name, MaxConnectionsLimit, *v)
					continue
				}
				*k.dst = int(*v)
			}
		}
		c.SocketPath = DefaultSocketPath
		if v := l.str("socket_path"); v != nil {
			c.SocketPath = *v
			if *v == "" {
				r.bad(l.path+".socket_path", "listener.socket_path: expected a path, found an empty string")
			}
		}
		l.done()
	}

	c.Authenticators = readAuthenticators(r, root, note)

	kms := map[string]bool{}
	for i, km := range r.entries(root, "key_manager") {
		n := km.str("name")
		mt := km.str("manager_type")
		path, storePath, sqlitePath := km.str("path"), km.str("store_path"), km.str("sqlite_db_path")
		workDir := km.str("parsec_working_dir")
		km.done()
		name := ""
		switch {
		case n == nil || *n == "":
			if _, present := km.m["name"]; !present || n != nil {
				r.bad(km.path, "[[key_manager]] #%d has no name: expected name = \"...\" (the providers' key_info_manager refers to it)", i+1)
			}
		case kms[*n]:
			r.bad(km.path+".name", "[[key_manager]] name %q is used twice", *n)
		default:
			name = *n
		}
		if name != "" {
			kms[name] = true
		}
		switch {
		case mt == nil:
			if _, present := km.m["manager_type"]; !present {
				r.bad(km.path, "key manager %q: manager_type is missing: expected manager_type = \"Bbolt\"", name)
			}
		case *mt == "Bbolt":
			if storePath != nil || sqlitePath != nil {
				r.bad(km.path+".manager_type", "key manager %q: a Bbolt store takes \"path\", not store_path or sqlite_db_path", name)
			}
			c.KeyManagers = append(c.KeyManagers, KeyManager{Name: name, Type: *mt, Path: deref(path, DefaultStorePath)})
		case *mt == "OnDisk" || *mt == "SQLite":
			c.KeyManagers = append(c.KeyManagers, parsecManager(name, *mt, path, storePath, sqlitePath, workDir))
		default:
			r.bad(km.path+".manager_type", "key manager %q: unknown manager_type %q (expected \"Bbolt\")", name, *mt)
		}
	}

	if err := placeMigrated(c.KeyManagers); err != "" {
		r.bad("key_manager", "%s", err)
	}
	c.Notes = append(c.Notes, migrationNotes(c.KeyManagers)...)

	names := map[string]bool{}
	pos := providerPositions(data)
	provs, _ := root["provider"].([]any)
	for i, t := range r.entries(root, "provider") {
		pc, err := providerEntry(i+1, t.m)
		if i < len(pos) {
			pc.Pos, pc.keys = pos[i].header, pos[i].keys
		}
		if err != nil {
			r.bad(t.path+"."+err.key, "%s", err.msg)
			continue
		}
		if !kms[pc.KeyManager] {
			var have []string
			for k := range kms {
				have = append(have, k)
			}
			sort.Strings(have)
			hint := "there is no [[key_manager]]"
			if len(have) > 0 {
				hint = "expected " + quoteList(have)
			}
			r.bad(t.path+".key_info_manager", "[[provider]] #%d: key_info_manager %q does not name a [[key_manager]] (%s)", pc.Index, pc.KeyManager, hint)
		}
		if pc.Name != "" {
			if names[pc.Name] {
				r.bad(t.path+".name", "[[provider]] #%d: name %q is used twice", pc.Index, pc.Name)
			}
			names[pc.Name] = true
		}
		c.Providers = append(c.Providers, pc)
	}
	if len(provs) == 0 {
		if _, ok := root["provider"]; !ok {
			r.bad("", "no [[provider]] configured: parsecd needs at least one")
		}
	}
	if err := errors.Join(r.errs...); err != nil {
		return c, err
	}
	return c, nil
}

// readAdmins reads authenticator.admins, an array of tables { name = "..." }.
func readAdmins(r *reader, path string, v any) []string {
	arr, ok := v.([]any)
	if !ok {
		r.bad(path, "authenticator.admins: expected an array of tables such as [ { name = \"0\" } ], found %s", describeValue(v))
		return nil
	}
	var out []string
	for i, e := range arr {
		t, ok := e.(map[string]any)
		if !ok {
			r.bad(path, "authenticator.admins[%d]: expected a table such as { name = \"0\" }, found %s", i, describeValue(e))
			continue
		}
		tb := &table{r: r, path: path + "." + strconv.Itoa(i), label: fmt.Sprintf("authenticator.admins[%d]", i), m: t, read: map[string]bool{}}
		n := tb.str("name")
		tb.done()
		if n == nil || *n == "" {
			if _, present := t["name"]; !present || n != nil {
				r.bad(tb.path, "authenticator.admins[%d] has an empty name: expected { name = \"...\" } (an application name; a uid in decimal for UnixPeerCredentials)", i)
			}
			continue
		}
		out = append(out, *n)
	}
	return out
}

// entryError is a problem with one of the keys every [[provider]] has.
type entryError struct{ key, msg string }

func providerEntry(index int, p map[string]any) (Provider, *entryError) {
	pc := Provider{Index: index}
	str := func(key string) (string, *entryError) {
		v, ok := p[key]
		if !ok {
			return "", nil
		}
		s, ok := v.(string)
		if !ok {
			return "", &entryError{key, fmt.Sprintf("[[provider]] #%d: %s: expected a string (in double quotes), found %s", index, key, describeValue(v))}
		}
		return s, nil
	}
	var err *entryError
	if pc.Type, err = str("provider_type"); err != nil {
		return pc, err
	}
	if pc.Type == "" {
		return pc, &entryError{"", fmt.Sprintf("[[provider]] #%d has no provider_type: expected provider_type = \"Software\" (or another provider type of this build)", index)}
	}
	if pc.KeyManager, err = str("key_info_manager"); err != nil {
		return pc, err
	}
	if pc.KeyManager == "" {
		return pc, &entryError{"", fmt.Sprintf("[[provider]] #%d (%s) has no key_info_manager: expected the name of a [[key_manager]]", index, pc.Type)}
	}
	if pc.Name, err = str("name"); err != nil {
		return pc, err
	}
	raw, merr := toml.Marshal(p)
	if merr != nil {
		return pc, &entryError{"", fmt.Sprintf("[[provider]] #%d: %v", index, merr)}
	}
	pc.Raw = raw
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
		return fmt.Errorf("%s: key %q: %s", p.keyAt(file, k), k, humanize(de))
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
			return fmt.Errorf("%s:%d:%d: key %q: %s", name, row, col, strings.Join(k, "."), humanize(de))
		}
		return fmt.Errorf("%s:%d:%d: invalid TOML: %s", name, row, col, strings.TrimPrefix(de.Error(), "toml: "))
	}
	return fmt.Errorf("%s: %w", name, err)
}

// mistyped matches go-toml's type mismatch, which names Go types.
var mistyped = regexp.MustCompile(`cannot decode TOML ([a-z ]+) into (?:struct field \S+ of type|a Go value of type) (\S+)`)

// humanize turns go-toml's decoding error into what the file should say,
// without Go type names: "expected an integer (without quotes), found a
// string".
func humanize(de *toml.DecodeError) string {
	msg := strings.TrimPrefix(de.Error(), "toml: ")
	m := mistyped.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	found := m[1]
	switch found {
	case "integer", "array", "inline table":
		found = "an " + found
	default:
		found = "a " + found
	}
	goType := strings.TrimLeft(m[2], "*")
	want := "a value of another type"
	switch {
	case goType == "string":
		want = "a string (in double quotes)"
	case goType == "bool":
		want = "true or false (without quotes)"
	case strings.HasPrefix(goType, "int") || strings.HasPrefix(goType, "uint"):
		want = "an integer (without quotes)"
	case strings.HasPrefix(goType, "float"):
		want = "a number"
	case strings.HasPrefix(goType, "[]"):
		want = "an array"
	case strings.HasPrefix(goType, "map["):
		want = "a table"
	}
	return fmt.Sprintf("expected %s, found %s", want, found)
}

func deref[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}
