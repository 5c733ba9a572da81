// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package main

import (
	"fmt"
	"sort"
	"strings"
)

// The command line of parsec-tool 0.7.0 is parsed by clap 2 (through
// structopt), which also writes its help texts and usage errors. This file
// reproduces what clap 2.34 does for the kinds of arguments parsec-tool has:
// flags, options (single or multiple values), required positionals and one
// level of subcommands; help texts are laid out for a 120-column width and
// wrapped the way parsec-tool's build wraps them (optimal fit, see wrap.go).

// carg is one argument of a command line level.
type carg struct {
	name       string // clap's name: the kebab-case field name ("key-name")
	short      byte
	long       string
	help       string // first paragraph of the doc, no final period
	longHelp   string // whole doc when it has several paragraphs
	takesValue bool
	multiple   bool // several values and occurrences ("--san a b")
	minZero    bool // may have no value at all (Option<Vec<_>>)
	required   bool
	hidden     bool // a parsecd addition: parsed, never shown
	positional bool
	builtin    bool // -h/--help, -V/--version
	// validate checks one value; it returns the message of the parse error.
	validate func(string) string
	// store receives each validated value ("true" for a flag).
	store func(string) error

	occurs int
	vals   []string
}

func (a *carg) isFlag() bool { return !a.takesValue && !a.positional }

// display is clap's Display of an argument: "--key-name <key-name>",
// "--for-signing", "-x", "<input-data>", "--san <subject-alternative-name>...".
func (a *carg) display() string {
	if a.positional {
		s := "<" + a.name + ">"
		if a.multiple {
			s += "..."
		}
		return s
	}
	s := "-" + string(a.short)
	if a.long != "" {
		s = "--" + a.long
	}
	if a.takesValue {
		s += " <" + a.name + ">"
		if a.multiple {
			s += "..."
		}
	}
	return s
}

// capp is one level of the command line: the tool or a subcommand.
type capp struct {
	name      string
	bin       string // "parsec-tool" or "parsec-tool sign"
	version   string
	author    string
	about     string
	longAbout string
	args      []*carg
	subs      []*capp
	hidden    bool
	cmd       *command // the subcommand it runs
	// matched lists the arguments in the order they first appeared.
	matched []*carg
}

// clapError is what clap prints instead of running the command: help or
// version on standard output (exit 0), usage errors on standard error
// (exit 1). The message has no final newline.
type clapError struct {
	msg    string
	stdout bool
}

func (e *clapError) Error() string { return e.msg }

func (c *capp) addBuiltins() {
	c.args = append(c.args, &carg{name: "hclap_help", short: 'h', long: "help", help: "Prints help information", builtin: true})
	if c.version != "" {
		c.args = append(c.args, &carg{name: "vclap_version", short: 'V', long: "version", help: "Prints version information", builtin: true})
	}
}

func (c *capp) findLong(l string) *carg {
	for _, a := range c.args {
		if !a.positional && a.long == l {
			return a
		}
	}
	return nil
}

func (c *capp) findShort(s byte) *carg {
	for _, a := range c.args {
		if !a.positional && a.short == s {
			return a
		}
	}
	return nil
}

func (c *capp) positionals() []*carg {
	var ps []*carg
	for _, a := range c.args {
		if a.positional {
			ps = append(ps, a)
		}
	}
	return ps
}

func (c *capp) findSub(name string) *capp {
	for _, s := range c.subs {
		if s.name == name {
			return s
		}
	}
	return nil
}

func (c *capp) usageName() string {
	if c.bin != "" {
		return c.bin
	}
	return c.name
}

// ---- parsing ----

// parse reads the arguments of this level. When a subcommand is named, it
// returns it with the arguments that follow it; the caller parses those,
// then calls validate on this level (clap's order).
func (c *capp) parse(args []string) (sub *capp, rest []string, pending *carg, err error) {
	trailing := false
	posIdx := 0
	pos := c.positionals()
	for i := 0; i < len(args); i++ {
		a := args[i]
		isNew := strings.HasPrefix(a, "--") || (strings.HasPrefix(a, "-") && len(a) != 1)
		if !trailing && a == "--" {
			trailing = true
			continue
		}
		if !trailing {
			if pending == nil {
				if s := c.findSub(a); s != nil {
					if s.name == "help" && s.cmd == nil {
						return nil, nil, nil, c.helpSubcommand(args[i+1:])
					}
					return s, args[i+1:], nil, nil
				}
			}
			if isNew {
				pending = nil
				var err error
				if strings.HasPrefix(a, "--") {
					pending, err = c.parseLong(a)
				} else {
					pending, err = c.parseShort(a)
				}
				if err != nil {
					return nil, nil, nil, err
				}
				continue
			}
			if pending != nil {
				if err := c.addValue(pending, a); err != nil {
					return nil, nil, nil, err
				}
				if !pending.multiple {
					pending = nil
				}
				continue
			}
		}
		if posIdx < len(pos) {
			p := pos[posIdx]
			if err := c.addValue(p, a); err != nil {
				return nil, nil, nil, err
			}
			p.occurs++
			c.match(p)
			if !p.multiple {
				posIdx++
			}
			continue
		}
		return nil, nil, nil, c.unknownArgument(a)
	}
	if len(c.subs) > 0 {
		return nil, nil, nil, &clapError{msg: c.help(false)}
	}
	return nil, nil, pending, nil
}

func (c *capp) match(a *carg) {
	for _, m := range c.matched {
		if m == a {
			return
		}
	}
	c.matched = append(c.matched, a)
}

func (c *capp) addValue(a *carg, v string) error {
	a.vals = append(a.vals, v)
	return nil
}

func (c *capp) parseLong(full string) (*carg, error) {
	name, val, hasEq := strings.Cut(full[2:], "=")
	a := c.findLong(name)
	if a == nil {
		return nil, c.unknownArgument("--" + name)
	}
	if !a.takesValue {
		if err := c.helpOrVersion(a, true); err != nil {
			return nil, err
		}
		a.occurs++
		c.match(a)
		return nil, nil
	}
	return c.parseOpt(a, val, hasEq, hasEq)
}

func (c *capp) parseShort(full string) (*carg, error) {
	body := full[1:]
	for j := 0; j < len(body); j++ {
		ch := body[j]
		a := c.findShort(ch)
		if a == nil {
			return nil, c.unknownArgument("-" + string(ch))
		}
		if a.takesValue {
			// clap splits the cluster at the first occurrence of the letter.
			k := strings.IndexByte(body, ch)
			val := body[k+1:]
			return c.parseOpt(a, val, val != "", false)
		}
		if err := c.helpOrVersion(a, false); err != nil {
			return nil, err
		}
		a.occurs++
		c.match(a)
	}
	return nil, nil
}

// parseOpt records one occurrence of option a, with its value when given in
// the same argument. It returns a when the option waits for (more) values.
func (c *capp) parseOpt(a *carg, val string, hasVal, hadEq bool) (*carg, error) {
	hasEq := hadEq
	if hasVal {
		hasEq = hasEq || strings.HasPrefix(val, "=")
		val = strings.TrimLeft(val, "=")
		if err := c.addValue(a, val); err != nil {
			return nil, err
		}
	}
	a.occurs++
	c.match(a)
	if !hasVal || (a.multiple && !hasEq) {
		return a, nil
	}
	return nil, nil
}

func (c *capp) helpOrVersion(a *carg, long bool) error {
	switch a.name {
	case "hclap_help":
		return &clapError{msg: c.help(long && c.useLongHelp()), stdout: true}
	case "vclap_version":
		return &clapError{msg: strings.ReplaceAll(c.usageName(), " ", "-") + " " + c.version, stdout: true}
	}
	return nil
}

// helpSubcommand is "parsec-tool help [SUBCOMMAND]".
func (c *capp) helpSubcommand(cmds []string) error {
	if len(cmds) == 0 {
		return &clapError{msg: c.help(false), stdout: true}
	}
	sc := c
	for i, name := range cmds {
		next := sc.findSub(name)
		if next == nil {
			return &clapError{msg: fmt.Sprintf("error: The subcommand '%s' wasn't recognized\n\nUSAGE:\n\t%s help <subcommands>...\n\nFor more information try --help", name, c.usageName())}
		}
		sc = next
		if i == len(cmds)-1 {
			break
		}
	}
	if sc.cmd == nil && sc.name == "help" {
		return &clapError{msg: "parsec-tool-help \nPrints this message or the help of the given subcommand(s)\n\nUSAGE:\n    parsec-tool help [subcommand]...\n\nARGS:\n    <subcommand>...    The subcommand whose help message to display", stdout: true}
	}
	return &clapError{msg: sc.help(false), stdout: true}
}

// validate checks this level once the whole command line was read.
func (c *capp) validate(pending *carg) error {
	if pending != nil && len(pending.vals) == 0 && !pending.minZero {
		if err := c.validateRequired(); err != nil {
			return err
		}
		return c.usageError(fmt.Sprintf("The argument '%s' requires a value but none was supplied", pending.display()))
	}
	if err := c.validateRequired(); err != nil {
		return err
	}
	for _, a := range c.matched {
		if a.takesValue && len(a.vals) == 0 && !a.minZero {
			return c.usageError(fmt.Sprintf("The argument '%s' requires a value but none was supplied", a.display()))
		}
		if a.validate != nil {
			for _, v := range a.vals {
				if msg := a.validate(v); msg != "" {
					return &clapError{msg: fmt.Sprintf("error: Invalid value for '%s': %s", a.display(), msg)}
				}
			}
		}
		if a.occurs > 1 && !a.multiple {
			return c.usageError(fmt.Sprintf("The argument '%s' was provided more than once, but cannot be used multiple times", a.display()))
		}
	}
	for _, a := range c.matched {
		if a.store == nil {
			continue
		}
		if a.isFlag() {
			if err := a.store("true"); err != nil {
				return err
			}
			continue
		}
		for _, v := range a.vals {
			if err := a.store(v); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *capp) validateRequired() error {
	var missing []*carg
	for _, a := range c.args {
		if a.required && a.occurs == 0 {
			missing = append(missing, a)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	var b strings.Builder
	for _, s := range requiredUsage(missing) {
		b.WriteString("\n    " + s)
	}
	return c.usageError("The following required arguments were not provided:" + b.String())
}

// usageError is a clap error with the usage of the arguments given so far.
func (c *capp) usageError(msg string) error {
	return &clapError{msg: "error: " + msg + "\n\n" + "USAGE:\n    " + c.errorUsage() + "\n\nFor more information try --help"}
}

func (c *capp) unknownArgument(a string) error {
	return &clapError{msg: fmt.Sprintf("error: Found argument '%s' which wasn't expected, or isn't valid in this context\n\nUSAGE:\n    %s\n\nFor more information try --help", a, c.errorUsage())}
}

// requiredUsage lists arguments as clap's usage does: positionals first,
// then the others sorted by name.
func requiredUsage(args []*carg) []string {
	var pos, others []*carg
	for _, a := range args {
		if a.positional {
			pos = append(pos, a)
		} else {
			others = append(others, a)
		}
	}
	sort.SliceStable(others, func(i, j int) bool { return others[i].name < others[j].name })
	var out []string
	for _, a := range append(pos, others...) {
		out = append(out, a.display())
	}
	return out
}

// errorUsage is clap's usage in errors: the help usage, or when optional
// arguments were given, the required arguments plus those.
func (c *capp) errorUsage() string {
	var used []*carg
	for _, a := range c.matched {
		switch {
		case a.positional:
			if !a.required && a.hidden {
				used = append(used, a)
			}
		case a.takesValue:
			if !a.required && !a.hidden {
				used = append(used, a)
			}
		default:
			used = append(used, a)
		}
	}
	if len(used) == 0 {
		return c.helpUsage()
	}
	var reqs []*carg
	for _, a := range c.args {
		if a.required {
			reqs = append(reqs, a)
		}
	}
	s := c.usageName()
	for _, r := range requiredUsage(append(reqs, used...)) {
		s += " " + r
	}
	return s
}

// helpUsage is the USAGE line of the help text.
func (c *capp) helpUsage() string {
	s := c.usageName()
	flags, opts := false, false
	var reqs, optPos []*carg
	for _, a := range c.args {
		switch {
		case a.required:
			reqs = append(reqs, a)
		case a.positional:
			if !a.hidden {
				optPos = append(optPos, a)
			}
		case a.isFlag():
			if !a.builtin && !a.hidden {
				flags = true
			}
		default:
			if !a.hidden {
				opts = true
			}
		}
	}
	if flags {
		s += " [FLAGS]"
	}
	if opts {
		s += " [OPTIONS]"
	}
	for _, r := range requiredUsage(reqs) {
		s += " " + r
	}
	switch len(optPos) {
	case 0:
	case 1:
		s += " [" + optPos[0].name + "]"
		if optPos[0].multiple {
			s += "..."
		}
	default:
		s += " [ARGS]"
	}
	for _, sub := range c.subs {
		if !sub.hidden {
			s += " <SUBCOMMAND>"
			break
		}
	}
	return s
}

// ---- help ----

const termWidth = 120

func (c *capp) useLongHelp() bool {
	if c.longAbout != "" {
		return true
	}
	for _, a := range c.args {
		if a.longHelp != "" {
			return true
		}
	}
	for _, s := range c.subs {
		if s.longAbout != "" {
			return true
		}
	}
	return false
}

// help is clap's default help template, without the final newline.
func (c *capp) help(long bool) string {
	var b strings.Builder
	b.WriteString(strings.ReplaceAll(c.usageName(), " ", "-") + " " + c.version + "\n")
	if c.author != "" {
		b.WriteString(wrapHelp(c.author, termWidth) + "\n")
	}
	if c.longAbout != "" {
		b.WriteString(wrapHelp(c.longAbout, termWidth) + "\n")
	} else if c.about != "" {
		b.WriteString(wrapHelp(c.about, termWidth) + "\n")
	}
	b.WriteString("\nUSAGE:\n    " + c.helpUsage() + "\n\n")
	var flags, opts, pos []*carg
	for _, a := range c.args {
		if a.hidden {
			continue
		}
		switch {
		case a.positional:
			pos = append(pos, a)
		case a.takesValue:
			opts = append(opts, a)
		default:
			flags = append(flags, a)
		}
	}
	byName := func(s []*carg) {
		sort.SliceStable(s, func(i, j int) bool { return s[i].name < s[j].name })
	}
	byName(flags)
	byName(opts)
	first := true
	section := func(title string, items []helpItem) {
		if len(items) == 0 {
			return
		}
		if !first {
			b.WriteString("\n\n")
		}
		first = false
		b.WriteString(title + ":\n")
		writeItems(&b, items, long)
	}
	section("FLAGS", argItems(flags))
	section("OPTIONS", argItems(opts))
	section("ARGS", argItems(pos))
	var subs []*capp
	for _, s := range c.subs {
		if !s.hidden {
			subs = append(subs, s)
		}
	}
	sort.SliceStable(subs, func(i, j int) bool { return subs[i].name < subs[j].name })
	var items []helpItem
	for _, s := range subs {
		items = append(items, helpItem{label: s.name, help: s.about})
	}
	section("SUBCOMMANDS", items)
	return b.String()
}

// helpItem is one line (or block) of a help section.
type helpItem struct {
	short, long string // "-k", "--key-name"
	value       string // " <key-name>" part, or the whole label of a positional/subcommand
	label       string // positional or subcommand
	help        string
	longHelp    string
	switched    bool
}

func argItems(args []*carg) []helpItem {
	var items []helpItem
	for _, a := range args {
		it := helpItem{help: a.help, longHelp: a.longHelp}
		if a.positional {
			it.label = a.display()
		} else {
			it.switched = true
			if a.short != 0 {
				it.short = "-" + string(a.short)
			}
			if a.long != "" {
				it.long = "--" + a.long
			}
			if a.takesValue {
				it.value = "<" + a.name + ">"
				if a.multiple {
					it.value += "..."
				}
			}
		}
		items = append(items, it)
	}
	return items
}

// width is the width of clap's Display of the item (used for alignment).
func (it helpItem) width() int {
	if !it.switched {
		return len(it.label)
	}
	w := len(it.long)
	if it.long == "" {
		w = len(it.short)
	}
	if it.value != "" {
		w += 1 + len(it.value)
	}
	return w
}

func writeItems(b *strings.Builder, items []helpItem, long bool) {
	longest := 2
	for _, it := range items {
		if !it.switched || it.long != "" {
			longest = max(longest, it.width())
		}
	}
	for i, it := range items {
		if i > 0 {
			b.WriteString("\n")
		}
		h := it.help
		isArg := it.switched || it.label != "" && strings.HasPrefix(it.label, "<")
		nlh := long && isArg
		if long && isArg && it.longHelp != "" {
			h = it.longHelp
		}
		if h == "" && it.longHelp != "" {
			h = it.longHelp
		}
		// short and long
		b.WriteString("    ")
		if it.switched {
			if it.short != "" {
				b.WriteString(it.short)
			} else {
				b.WriteString("    ")
			}
			if it.long != "" {
				if it.short != "" {
					b.WriteString(", ")
				}
				b.WriteString(it.long)
			}
			if it.value != "" {
				b.WriteString(" " + it.value)
			}
		} else {
			b.WriteString(it.label)
		}
		taken := longest + 12
		force := !nlh && termWidth >= taken && float32(taken)/float32(termWidth) > 0.40 && len(h) > termWidth-taken
		if it.switched {
			if !force {
				spcs := longest - it.width()
				if it.long != "" {
					spcs += 4
				} else {
					spcs += 8
				}
				b.WriteString(strings.Repeat(" ", spcs))
			}
		} else if !(nlh || force) {
			b.WriteString(strings.Repeat(" ", longest+4-it.width()))
		}
		// help
		spcs := longest + 12
		if nlh || force {
			spcs = 12
			b.WriteString("\n            ")
		}
		text := h
		if spcs+len(h) >= termWidth && spcs <= termWidth {
			text = wrapHelp(h, termWidth-spcs)
		}
		lines := strings.Split(text, "\n")
		b.WriteString(lines[0])
		for _, l := range lines[1:] {
			b.WriteString("\n")
			switch {
			case nlh || force:
				b.WriteString("            ")
			case it.switched:
				b.WriteString(strings.Repeat(" ", longest+12))
			default:
				b.WriteString(strings.Repeat(" ", longest+8))
			}
			b.WriteString(l)
		}
		if !strings.Contains(text, "\n") && (nlh || force) {
			b.WriteString("\n")
		}
	}
}
