package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// options holds the flags of one command line level (global or a
// subcommand). Values live in a standard flag.FlagSet under their long
// name; the tokenizer below reproduces clap's syntax, which parsec-tool
// uses: "-k v", "-kv", "-k=v", "--key-name v", "--key-name=v", clustered
// short booleans ("-so"), flags and positionals in any order, "--" to end
// the options, and repeatable flags that also take the following values
// ("--san a --san b" or "--san a b").
type options struct {
	fs     *flag.FlagSet
	short  map[byte]string // short letter -> long name
	order  []*optInfo
	byLong map[string]*optInfo
}

type optInfo struct {
	short    byte
	long     string
	metavar  string // "" for booleans
	usage    string
	required bool
	multi    bool
	set      bool
}

func newOptions(name string) *options {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return &options{fs: fs, short: map[byte]string{}, byLong: map[string]*optInfo{}}
}

func (o *options) add(short byte, long, metavar, usage string, v flag.Value) *optInfo {
	o.fs.Var(v, long, usage)
	if short != 0 {
		o.short[short] = long
	}
	oi := &optInfo{short: short, long: long, metavar: metavar, usage: usage}
	o.order = append(o.order, oi)
	o.byLong[long] = oi
	return oi
}

// Bool defines a boolean flag.
func (o *options) Bool(p *bool, short byte, long, usage string) {
	o.add(short, long, "", usage, (*boolValue)(p))
}

// String defines a string flag.
func (o *options) String(p *string, short byte, long, metavar, usage string, required bool) {
	o.add(short, long, metavar, usage, (*stringValue)(p)).required = required
}

// Uint defines an unsigned integer flag with a maximum value.
func (o *options) Uint(p *uint64, short byte, long, metavar, usage string, max uint64, required bool) {
	o.add(short, long, metavar, usage, &uintValue{p: p, max: max}).required = required
}

// Strings defines a repeatable string flag.
func (o *options) Strings(p *[]string, short byte, long, metavar, usage string) {
	o.add(short, long, metavar, usage, (*stringsValue)(p)).multi = true
}

// IsSet reports whether the flag appeared on the command line.
func (o *options) IsSet(long string) bool { return o.byLong[long].set }

type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

func isBool(v flag.Value) bool {
	b, ok := v.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

func (o *options) set(long, display, value string) error {
	if err := o.fs.Set(long, value); err != nil {
		return usagef("invalid value %q for '%s': %v", value, display, err)
	}
	o.byLong[long].set = true
	return nil
}

// parse reads args. With stopAtPositional it stops at the first positional
// argument and returns it with everything after it (global options before a
// subcommand); otherwise it returns all positional arguments.
func (o *options) parse(args []string, stopAtPositional bool) ([]string, error) {
	var pos []string
	multi := "" // repeatable flag that may take the next values
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return append(pos, args[i+1:]...), nil
		case strings.HasPrefix(a, "--"):
			name, val, hasVal := strings.Cut(a[2:], "=")
			oi, ok := o.byLong[name]
			if !ok {
				return nil, usagef("unexpected argument '--%s'", name)
			}
			multi = ""
			if isBool(o.fs.Lookup(name).Value) {
				if !hasVal {
					val = "true"
				}
			} else if !hasVal {
				if i+1 >= len(args) {
					return nil, usagef("a value is required for '--%s <%s>'", name, oi.metavar)
				}
				i++
				val = args[i]
				if oi.multi {
					multi = name
				}
			}
			if err := o.set(name, "--"+name, val); err != nil {
				return nil, err
			}
		case len(a) > 1 && a[0] == '-':
			multi = ""
			for j := 1; j < len(a); j++ {
				long, ok := o.short[a[j]]
				if !ok {
					return nil, usagef("unexpected argument '-%c'", a[j])
				}
				if isBool(o.fs.Lookup(long).Value) {
					if err := o.set(long, "-"+string(a[j]), "true"); err != nil {
						return nil, err
					}
					continue
				}
				val := strings.TrimPrefix(a[j+1:], "=")
				if j+1 == len(a) {
					if i+1 >= len(args) {
						return nil, usagef("a value is required for '-%c <%s>'", a[j], o.byLong[long].metavar)
					}
					i++
					val = args[i]
					if o.byLong[long].multi {
						multi = long
					}
				}
				if err := o.set(long, "-"+string(a[j]), val); err != nil {
					return nil, err
				}
				break
			}
		default:
			if stopAtPositional {
				return args[i:], nil
			}
			if multi != "" {
				if err := o.set(multi, "--"+multi, a); err != nil {
					return nil, err
				}
				continue
			}
			pos = append(pos, a)
		}
	}
	return pos, nil
}

// missing returns the first required flag that was not given.
func (o *options) missing() *optInfo {
	for _, oi := range o.order {
		if oi.required && !oi.set {
			return oi
		}
	}
	return nil
}

func (oi *optInfo) synopsis() string {
	s := "--" + oi.long
	if oi.short != 0 {
		s = "-" + string(oi.short) + ", " + s
	} else {
		s = "    " + s
	}
	if oi.metavar != "" {
		s += " <" + oi.metavar + ">"
		if oi.multi {
			s += "..."
		}
	}
	return s
}

// writeOptions prints the OPTIONS section of a help text.
func (o *options) writeOptions(w io.Writer) {
	width := 0
	for _, oi := range o.order {
		width = max(width, len(oi.synopsis()))
	}
	for _, oi := range o.order {
		fmt.Fprintf(w, "    %-*s    %s\n", width, oi.synopsis(), oi.usage)
	}
}

// ---- flag.Value implementations ----

type boolValue bool

func (b *boolValue) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	*b = boolValue(v)
	return nil
}
func (b *boolValue) String() string   { return strconv.FormatBool(bool(*b)) }
func (b *boolValue) IsBoolFlag() bool { return true }

type stringValue string

func (s *stringValue) Set(v string) error { *s = stringValue(v); return nil }
func (s *stringValue) String() string     { return string(*s) }

type stringsValue []string

func (s *stringsValue) Set(v string) error { *s = append(*s, v); return nil }
func (s *stringsValue) String() string     { return strings.Join(*s, ",") }

type uintValue struct {
	p   *uint64
	max uint64
}

func (u *uintValue) Set(s string) error {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || v > u.max {
		return fmt.Errorf("expected an integer from 0 to %d", u.max)
	}
	*u.p = v
	return nil
}

func (u *uintValue) String() string {
	if u.p == nil {
		return "0"
	}
	return strconv.FormatUint(*u.p, 10)
}
