// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// parsec-tool logs through env_logger set up with the Info level, no
// timestamp and no module path: each record is "[LEVEL target] message" on
// standard error, the level padded to five characters ("[INFO  parsec_tool::
// subcommands::ping] ..."). RUST_LOG overrides the filter as env_logger
// reads it: a comma-separated list of "level", "target" or "target=level",
// the longest matching target prefix deciding.

type level int

const (
	levelOff level = iota
	levelError
	levelWarn
	levelInfo
	levelDebug
	levelTrace
)

var levelNames = map[string]level{"off": levelOff, "error": levelError, "warn": levelWarn, "info": levelInfo, "debug": levelDebug, "trace": levelTrace}

func (l level) String() string {
	return [...]string{"OFF", "ERROR", "WARN", "INFO", "DEBUG", "TRACE"}[l]
}

// Targets of the log records, the Rust module paths of parsec-tool 0.7.0.
const (
	targetMain        = "parsec_tool"
	targetUtil        = "parsec_tool::util"
	targetBasicClient = "parsec_client::core::basic_client"
)

func subcommandTarget(module string) string { return "parsec_tool::subcommands::" + module }

type directive struct {
	name  string // "" for every target
	level level
}

type logger struct {
	w          io.Writer
	directives []directive // sorted by name length
	color      bool        // env_logger's styles (on a terminal, or RUST_LOG_STYLE=always)
}

// newLogger builds the filter: Info for every target, then the RUST_LOG
// directives (spec; a directive for the same target replaces the earlier
// one).
func newLogger(w io.Writer, spec string) *logger {
	l := &logger{w: w}
	l.insert(directive{level: levelInfo})
	spec, _, _ = strings.Cut(spec, "/") // the regex part is not supported
	for _, d := range strings.Split(spec, ",") {
		d = strings.TrimSpace(d)
		if d == "" {
			continue
		}
		name, lv, hasLevel := strings.Cut(d, "=")
		switch {
		case !hasLevel:
			if v, ok := levelNames[strings.ToLower(name)]; ok {
				l.insert(directive{level: v})
			} else {
				l.insert(directive{name: name, level: levelTrace})
			}
		default:
			v, ok := levelNames[strings.ToLower(lv)]
			if !ok {
				if lv != "" {
					fmt.Fprintf(w, "warning: invalid logging spec '%s', ignoring it\n", lv)
					continue
				}
				v = levelTrace
			}
			l.insert(directive{name: name, level: v})
		}
	}
	return l
}

func (l *logger) insert(d directive) {
	for i := range l.directives {
		if l.directives[i].name == d.name {
			l.directives[i] = d
			return
		}
	}
	l.directives = append(l.directives, d)
	sort.SliceStable(l.directives, func(i, j int) bool { return len(l.directives[i].name) < len(l.directives[j].name) })
}

func (l *logger) enabled(lv level, target string) bool {
	for i := len(l.directives) - 1; i >= 0; i-- {
		d := l.directives[i]
		if d.name == "" || strings.HasPrefix(target, d.name) {
			return lv <= d.level
		}
	}
	return false
}

func (l *logger) log(lv level, target, format string, args ...any) {
	if !l.enabled(lv, target) {
		return
	}
	msg := fmt.Sprintf(format, args...)
	if !l.color {
		fmt.Fprintf(l.w, "[%-5s %s] %s\n", lv, target, msg)
		return
	}
	// termcolor's ANSI sequences as env_logger 0.10 uses them: each styled
	// piece starts with a reset and ends with one; the brackets are bright
	// black, the level coloured (errors also bold).
	const reset = "\x1b[0m"
	subtle := func(s string) string { return reset + "\x1b[38;5;8m" + s + reset }
	style := map[level]string{levelError: "\x1b[1m\x1b[31m", levelWarn: "\x1b[33m", levelInfo: "\x1b[32m",
		levelDebug: "\x1b[34m", levelTrace: "\x1b[36m"}[lv]
	fmt.Fprintf(l.w, "%s%s%-5s%s %s%s %s\n", subtle("["), reset+style, lv, reset, target, subtle("]"), msg)
}

// logStyle says whether log lines are coloured: RUST_LOG_STYLE "always" or
// "never", else ("auto") when w is a terminal.
func logStyle(w io.Writer, style string) bool {
	switch style {
	case "always":
		return true
	case "never":
		return false
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
