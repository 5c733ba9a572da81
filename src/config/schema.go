// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// reader checks config.toml decoded as plain TOML values against parsecd's
// schema, so that it can report every problem, each in our words and at
// its place: "FILE:LINE:COL: KEY: expected ..., found ...".
type reader struct {
	name string
	// pos comes from a second, syntactic pass over the text (keyPositions):
	// the decoded values carry no positions.
	pos  map[string]Position
	errs []error
}

// position is where path is written (the key itself, else the nearest
// enclosing key or table written in the file); zero when nothing of it is,
// e.g. a missing section.
func (r *reader) position(path string) Position {
	// A key may be absent from the text (a missing required key) or
	// written as part of a dotted key or inline table that keyPositions
	// records only as a whole: the nearest enclosing place is still where
	// the operator has to look.
	for p := path; p != ""; {
		if pos, ok := r.pos[p]; ok {
			return pos
		}
		i := strings.LastIndexByte(p, '.')
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return Position{}
}

// bad records a problem with the key at path: a *KeyError, in an error
// whose text starts with "FILE:LINE:COL: " (FILE alone without a position).
func (r *reader) bad(path, format string, a ...any) {
	pos := r.position(path)
	ke := &KeyError{Key: path, Line: pos.Line, Err: fmt.Errorf(format, a...)}
	r.errs = append(r.errs, fmt.Errorf("%s: %w", pos.in(r.name), ke))
}

// table is one table of the file: a section ([listener]) or one entry of
// an array of tables ([[key_manager]]).
type table struct {
	r     *reader
	path  string // for positions: "listener", "key_manager.0"
	label string // for messages: "listener", "key_manager"
	m     map[string]any
	read  map[string]bool
}

// section returns root[key] as a table; nil (after an error if it is
// something else) when it is absent or not a table.
func (r *reader) section(root map[string]any, key string) *table {
	v, ok := root[key]
	if !ok {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		r.bad(key, "%s: expected a table ([%s]), found %s", key, key, describeValue(v))
		return nil
	}
	return &table{r: r, path: key, label: key, m: m, read: map[string]bool{}}
}

// entries returns root[key] as an array of tables ([[key]]).
func (r *reader) entries(root map[string]any, key string) []*table {
	v, ok := root[key]
	if !ok {
		return nil
	}
	arr, ok := v.([]any)
	if !ok {
		r.bad(key, "%s: expected an array of tables ([[%s]]), found %s", key, key, describeValue(v))
		return nil
	}
	var out []*table
	for i, e := range arr {
		path := key + "." + strconv.Itoa(i)
		m, ok := e.(map[string]any)
		if !ok {
			r.bad(path, "[[%s]] #%d: expected a table, found %s", key, i+1, describeValue(e))
			continue
		}
		out = append(out, &table{r: r, path: path, label: key, m: m, read: map[string]bool{}})
	}
	return out
}

// key is k as messages name it, "listener.timeout": by the section's
// name, without the entry index of path, which the operator does not write.
func (t *table) key(k string) string { return t.label + "." + k }

// get marks k as known and returns its value. Every accessor goes through
// it, so that done can report what no code read as unknown: the list of
// known keys is the code that reads them, and cannot drift from it.
func (t *table) get(k string) (any, bool) {
	t.read[k] = true
	v, ok := t.m[k]
	return v, ok
}

func (t *table) wrongType(k, want string, v any) {
	t.r.bad(t.path+"."+k, "%s: expected %s, found %s", t.key(k), want, describeValue(v))
}

// str returns the string k, or nil when absent or not a string (an error).
func (t *table) str(k string) *string {
	v, ok := t.get(k)
	if !ok {
		return nil
	}
	s, ok := v.(string)
	if !ok {
		t.wrongType(k, "a string (in double quotes)", v)
		return nil
	}
	return &s
}

// boolean returns the boolean k, or nil when absent or mistyped.
func (t *table) boolean(k string) *bool {
	v, ok := t.get(k)
	if !ok {
		return nil
	}
	b, ok := v.(bool)
	if !ok {
		t.wrongType(k, "true or false (without quotes)", v)
		return nil
	}
	return &b
}

// integer returns the integer k, or nil when absent or mistyped.
func (t *table) integer(k string) *int64 {
	v, ok := t.get(k)
	if !ok {
		return nil
	}
	i, ok := v.(int64)
	if !ok {
		t.wrongType(k, "an integer (without quotes)", v)
		return nil
	}
	return &i
}

// oneOf returns the string k if it is one of allowed, else records an
// error listing them (absent: "").
func (t *table) oneOf(k string, allowed ...string) string {
	s := t.str(k)
	if s == nil {
		return ""
	}
	for _, a := range allowed {
		if *s == a {
			return a
		}
	}
	t.r.bad(t.path+"."+k, "%s: %q is not one of %s", t.key(k), *s, quoteList(allowed))
	return ""
}

// done reports the keys of the table that nothing read: unknown keys.
func (t *table) done() {
	var unknown []string
	for k := range t.m {
		if !t.read[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		t.r.bad(t.path+"."+k, "unknown key %q", t.key(k))
	}
}

// describeValue says what a TOML value is, in the words of the file.
func describeValue(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("the string %q", x)
	case bool:
		return fmt.Sprintf("the boolean %t", x)
	case int64:
		return fmt.Sprintf("the integer %d", x)
	case float64:
		return fmt.Sprintf("the number %v", x)
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	case time.Time, toml.LocalDate, toml.LocalDateTime, toml.LocalTime:
		return "a date or time"
	}
	return fmt.Sprintf("a %T", v)
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// keyPositions maps every key and table header written in the file to its
// position: "core_settings", "core_settings.allow_root", and for arrays of
// tables the entry's index, "key_manager.0", "key_manager.0.name".
func keyPositions(data []byte) map[string]Position {
	var p unstable.Parser
	p.Reset(data)
	at := func(n *unstable.Node) Position {
		s := p.Shape(n.Raw)
		return Position{Line: s.Start.Line, Col: s.Start.Column}
	}
	keyOf := func(n *unstable.Node) ([]string, Position) {
		var parts []string
		var first Position
		for it := n.Key(); it.Next(); {
			if len(parts) == 0 {
				first = at(it.Node())
			}
			parts = append(parts, string(it.Node().Data))
		}
		return parts, first
	}
	out := map[string]Position{}
	add := func(path string, pos Position) {
		if _, ok := out[path]; !ok {
			out[path] = pos
		}
	}
	count := map[string]int{}
	prefix := ""
	for p.NextExpression() {
		n := p.Expression()
		switch n.Kind {
		case unstable.Table, unstable.ArrayTable:
			parts, pos := keyOf(n)
			k := strings.Join(parts, ".")
			if n.Kind == unstable.ArrayTable {
				add(k, pos)
				i := count[k]
				count[k]++
				k += "." + strconv.Itoa(i)
			}
			prefix = k
			add(k, pos)
		case unstable.KeyValue:
			parts, pos := keyOf(n)
			path := prefix
			for _, part := range parts {
				if path != "" {
					path += "."
				}
				path += part
				add(path, pos)
			}
		}
	}
	return out
}
