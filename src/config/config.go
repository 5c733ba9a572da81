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

// in names the position in file: "FILE:LINE:COL", or FILE alone for the
// zero Position.
func (pos Position) in(file string) string {
	if pos.Line > 0 {
		return fmt.Sprintf("%s:%d:%d", file, pos.Line, pos.Col)
	}
	return file
}

// Where names the entry in messages: "FILE:LINE:COL: [[provider]] #N (TYPE)".
func (p Provider) Where(file string) string { return p.at(file, p.Pos) }

func (p Provider) at(file string, pos Position) string {
	return fmt.Sprintf("%s: [[provider]] #%d (%s)", pos.in(file), p.Index, p.Type)
}

// keyError is err as a problem with key of the entry ("" for the entry as
// a whole): a *KeyError at the key's line (the header's when the key is
// not written in the file), in an error naming the file and the entry.
func (p Provider) keyError(file, key string, err error) error {
	pos, ok := p.keys[key]
	if !ok {
		pos = p.Pos
	}
	full := key
	if p.Index > 0 {
		full = strings.TrimSuffix("provider."+strconv.Itoa(p.Index-1)+"."+key, ".")
	}
	return fmt.Errorf("%s: %w", p.at(file, pos), &KeyError{Key: full, Line: pos.Line, Err: err})
}

// Wrap prefixes each of err's errors (errors.Join) with the entry, one per
// line, so that every reported problem names the file and the entry. An
// error that is or wraps a *KeyError (config.KeyErr, from a provider's
// Options) points at its key's line and becomes a *KeyError with the full
// key and the line; any other error points at the entry's header.
func (p Provider) Wrap(file string, err error) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var errs []error
		for _, e := range j.Unwrap() {
			errs = append(errs, p.Wrap(file, e))
		}
		return errors.Join(errs...)
	}
	var ke *KeyError
	if !errors.As(err, &ke) {
		return p.keyError(file, "", err)
	}
	if err == error(ke) {
		err = ke.Err // not a KeyError in a KeyError
	}
	return p.keyError(file, ke.Key, err)
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
// of the file (a TOML syntax error stops it at the first); each is a
// *KeyError for errors.As. With problems, the Config is nil unless the text
// is valid TOML: then it holds what could be read, so that --check-config
// can check the [[provider]] entries too.
//
// The file is decoded into plain TOML values and each section is checked
// by its own function, rather than decoded into structs, because a struct
// decoder stops at the first mistyped key: an operator fixing a config
// would see one problem per run.
func Parse(name string, data []byte) (*Config, error) {
	var root map[string]any
	if err := toml.Unmarshal(data, &root); err != nil {
		return nil, describe(name, err)
	}
	r := &reader{name: name, pos: keyPositions(data)}
	c := &Config{Path: name}
	unknownSections(r, root)
	parseCoreSettings(r, root, c)
	parseListener(r, root, c)
	c.Authenticators = readAuthenticators(r, root, c.note)
	kms := parseKeyManagers(r, root, c)
	// The migration placement is checked after every [[key_manager]] is
	// read: a Parsec store is migrated into the Bbolt store beside it, which
	// may be declared later in the file.
	if err := placeMigrated(c.KeyManagers); err != "" {
		r.bad("key_manager", "%s", err)
	}
	c.Notes = append(c.Notes, migrationNotes(c.KeyManagers)...)
	parseProviders(r, root, providerPositions(data), kms, c)
	return c, errors.Join(r.errs...)
}

// unknownSections refuses top-level keys parsecd does not know: a
// misspelt section would otherwise be ignored and its settings silently
// left at their defaults.
func unknownSections(r *reader, root map[string]any) {
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
}

// requiredSection returns the section key as a table; nil when it is
// absent (an error: Parsec requires these sections too, and a config
// parsecd accepts should stay one Parsec accepts) or not a table (reported
// by section).
func requiredSection(r *reader, root map[string]any, key string) *table {
	t := r.section(root, key)
	if _, ok := root[key]; !ok {
		r.bad("", "missing section [%s]", key)
	}
	return t
}

// parseCoreSettings reads [core_settings]. Its defaults apply even when
// the section is missing or broken, so that the partial Config that
// --check-config goes on with is usable.
func parseCoreSettings(r *reader, root map[string]any, c *Config) {
	c.ThreadPoolSize = DefaultThreadPoolSize
	c.BodyLenLimit = DefaultBodyLenLimit
	c.BufferSizeLimit = DefaultBufferSizeLimit
	cs := requiredSection(r, root, "core_settings")
	if cs == nil {
		return
	}
	c.AllowRoot = deref(cs.boolean("allow_root"), false)
	if v := cs.integer("thread_pool_size"); v != nil {
		if *v < 1 || *v > 4096 {
			r.bad(cs.path+".thread_pool_size", "core_settings.thread_pool_size: expected an integer from 1 to 4096, found %d", *v)
		}
		c.ThreadPoolSize = int(*v)
	}
	if cs.integer("idle_listener_sleep_duration") != nil {
		c.note("core_settings.idle_listener_sleep_duration is ignored: parsecd's accept loop never sleeps")
	}
	if cs.boolean("log_timestamp") != nil {
		c.note("core_settings.log_timestamp is ignored: log lines always carry a timestamp")
	}
	c.LogLevel = cs.oneOf("log_level", "off", "error", "warn", "info", "debug", "trace")
	c.LogErrorDetails = deref(cs.boolean("log_error_details"), false)
	c.AllowDeprecated = deref(cs.boolean("allow_deprecated"), false)
	if v := cs.integer("body_len_limit"); v != nil {
		// The wire header's body length is a u32: a larger limit could
		// never be reached.
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

// parseListener reads [listener]. Parsec has only the DomainSocket
// listener, and so has parsecd; the key is still required, as in Parsec,
// so that a config written for a future listener type fails here rather
// than serving on a socket the operator did not ask for.
func parseListener(r *reader, root map[string]any, c *Config) {
	l := requiredSection(r, root, "listener")
	if l == nil {
		return
	}
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

// parseKeyManagers reads the [[key_manager]] entries and returns the set
// of their names, which the providers' key_info_manager must name.
func parseKeyManagers(r *reader, root map[string]any, c *Config) map[string]bool {
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
			// n != nil here is name = "": present but empty. A mistyped
			// name (n == nil, present) was reported by str.
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
	return kms
}

// parseProviders reads the keys every [[provider]] entry has; the rest of
// each entry is kept as TOML (Provider.Raw) for its provider's package to
// decode, since only that package knows its schema (and a build may lack
// it: --check-config then says so for that entry alone). pos are the
// entries' positions in the file, in order (providerPositions).
func parseProviders(r *reader, root map[string]any, pos []entryPositions, kms map[string]bool, c *Config) {
	names := map[string]bool{}
	var paths []string // of each entry of c.Providers
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
			r.bad(t.path+".key_info_manager", "[[provider]] #%d: key_info_manager %q does not name a [[key_manager]] (%s)", pc.Index, pc.KeyManager, keyManagerHint(kms))
		}
		if pc.Name != "" {
			if names[pc.Name] {
				r.bad(t.path+".name", "[[provider]] #%d: name %q is used twice", pc.Index, pc.Name)
			}
			names[pc.Name] = true
		}
		c.Providers = append(c.Providers, pc)
		paths = append(paths, t.path)
	}
	requireNames(r, c.Providers, paths)
	if provs, _ := root["provider"].([]any); len(provs) == 0 {
		if _, ok := root["provider"]; !ok {
			r.bad("", "no [[provider]] configured: parsecd needs at least one")
		}
	}
}

// keyManagerHint lists the key managers a key_info_manager may name.
func keyManagerHint(kms map[string]bool) string {
	if len(kms) == 0 {
		return "there is no [[key_manager]]"
	}
	have := make([]string, 0, len(kms))
	for k := range kms {
		have = append(have, k)
	}
	sort.Strings(have)
	return "expected " + quoteList(have)
}

// note records a key accepted for compatibility with Parsec but not acted on.
func (c *Config) note(format string, a ...any) { c.Notes = append(c.Notes, fmt.Sprintf(format, a...)) }

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
			errs = append(errs, p.keyError(file, k, fmt.Errorf("unknown key %q", k)))
		}
		return errors.Join(errs...)
	case errors.As(err, &de) && len(de.Key()) > 0:
		k := strings.Join(de.Key(), ".")
		return p.keyError(file, k, fmt.Errorf("key %q: %s", k, humanize(de)))
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
			k := strings.Join(e.Key(), ".")
			errs = append(errs, placed(name, row, col, k, fmt.Errorf("unknown key %q", k)))
		}
		return errors.Join(errs...)
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, col := de.Position()
		if k := strings.Join(de.Key(), "."); k != "" {
			return placed(name, row, col, k, fmt.Errorf("key %q: %s", k, humanize(de)))
		}
		return placed(name, row, col, "", fmt.Errorf("invalid TOML: %s", strings.TrimPrefix(de.Error(), "toml: ")))
	}
	return fmt.Errorf("%s: %w", name, err)
}

// placed is err as a *KeyError about key, in an error starting with
// "FILE:LINE:COL: ".
func placed(name string, row, col int, key string, err error) error {
	return fmt.Errorf("%s:%d:%d: %w", name, row, col, &KeyError{Key: key, Line: row, Err: err})
}

// mistyped picks the TOML kind found and the Go type wanted out of
// go-toml's type mismatch: "cannot decode TOML <kind> into struct field
// <name> of type <type>" or "... into a Go value of type <type>". Plain
// string cutting rather than a regular expression keeps package regexp
// (about 150 KB) out of the daemon (issue 14).
func mistyped(msg string) (found, goType string, ok bool) {
	_, rest, ok := strings.Cut(msg, "cannot decode TOML ")
	if !ok {
		return "", "", false
	}
	found, rest, ok = strings.Cut(rest, " into ")
	if !ok || found == "" || strings.Trim(found, "abcdefghijklmnopqrstuvwxyz ") != "" {
		return "", "", false
	}
	if field, ok := strings.CutPrefix(rest, "struct field "); ok {
		name, typ, ok := strings.Cut(field, " of type ")
		if !ok || name == "" || strings.ContainsAny(name, " \t\n") {
			return "", "", false
		}
		rest = typ
	} else if rest, ok = strings.CutPrefix(rest, "a Go value of type "); !ok {
		return "", "", false
	}
	goType, _, _ = strings.Cut(rest, " ")
	goType, _, _ = strings.Cut(goType, "\n")
	return found, goType, goType != ""
}

// humanize turns go-toml's decoding error into what the file should say,
// without Go type names: "expected an integer (without quotes), found a
// string".
func humanize(de *toml.DecodeError) string {
	msg := strings.TrimPrefix(de.Error(), "toml: ")
	found, goType, ok := mistyped(msg)
	if !ok {
		return msg
	}
	switch found {
	case "integer", "array", "inline table":
		found = "an " + found
	default:
		found = "a " + found
	}
	goType = strings.TrimLeft(goType, "*")
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
