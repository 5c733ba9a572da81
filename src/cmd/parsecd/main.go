// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Command parsecd is the Parsec security service: it owns the platform's
// crypto back ends and lends them to client applications over a Unix
// socket, speaking the Parsec wire protocol.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/parsecd/parsecd/src/config"
	"github.com/parsecd/parsecd/src/daemon"
	"github.com/parsecd/parsecd/src/internal/memtrim"
	"github.com/parsecd/parsecd/src/internal/sigs/atinit"
	"github.com/parsecd/parsecd/src/internal/version"
	"github.com/parsecd/parsecd/src/provider"
)

// defaultConfigPath is Parsec's own: an existing Parsec installation's
// configuration is found without a flag.
const defaultConfigPath = "/etc/parsec/config.toml"

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// run is main without the exit, for the tests: it returns the process's
// exit status (0 served and stopped, or a command succeeded; 1 a failure;
// 2 a usage error, as flag's convention), which service managers and
// scripts act on.
func run(args []string, stderr io.Writer) int {
	// Subcommands are words, not flags, so that the daemon's own flags
	// stay Parsec's and a subcommand's flags cannot be mistaken for them.
	if len(args) > 0 && (args[0] == "check-store" || args[0] == "commit-update" || args[0] == "migrate") {
		// Commands, not the daemon: Ctrl-C and SIGTERM stop them as usual.
		atinit.Signals.Release()
		switch args[0] {
		case "check-store":
			return checkStore(args[1:], os.Stdout, stderr)
		case "migrate":
			return migrateCmd(args[1:], os.Stdout, stderr)
		}
		return commitUpdate(args[1:], os.Stdout, stderr)
	}
	fl := flag.NewFlagSet("parsecd", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var path string
	var showVersion, checkOnly, allowRoot bool
	fl.StringVar(&path, "c", "", "path of config.toml (default "+defaultConfigPath+", or the embedded default if that file does not exist)")
	fl.StringVar(&path, "config", "", "same as -c")
	fl.BoolVar(&showVersion, "version", false, "print the version and exit")
	fl.BoolVar(&checkOnly, "check-config", false, "check the configuration and exit")
	fl.BoolVar(&allowRoot, "allow-root", false, "allow running as root (same as core_settings.allow_root = true)")
	fl.Usage = func() {
		fmt.Fprintf(stderr, "Usage: parsecd [-c|--config PATH] [--check-config] [--allow-root] [--version]\n       parsecd check-store [-c|--config PATH] [--repair]\n       parsecd commit-update [-c|--config PATH]\n       parsecd migrate [-c|--config PATH] [--dry-run]\n\n")
		fl.PrintDefaults()
	}
	// Every early return gives the held signals back first: a process that
	// is only printing usage or its version must die on Ctrl-C like any
	// other.
	if err := fl.Parse(args); err != nil {
		atinit.Signals.Release()
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if showVersion {
		atinit.Signals.Release()
		fmt.Println(version.String("parsecd"))
		return 0
	}
	// The daemon has held its signals since package init (atinit), and
	// holds them to its exit: none can kill it half-started. Other runs
	// give them back.
	sigs := atinit.Signals
	if checkOnly {
		sigs.Release()
		sigs = nil
	}
	// The configuration is read here once for the checks and the logger,
	// and again by daemon.Start through load: load is also what a reload
	// calls, and Start must not depend on main having read it.
	load := loader(path, allowRoot)
	cfg, err := load()
	if checkOnly {
		return check(cfg, err, stderr)
	}
	if err != nil {
		report(stderr, err)
		return 1
	}
	// Logs go to stderr: under systemd the journal takes them with their
	// priority and time, and a foreground run shows them; parsecd keeps no
	// log file to rotate.
	log := newLogger(cfg.LogLevel, stderr)
	files := raiseFileLimit()
	memtrim.Defaults()
	d, err := daemon.Start(context.Background(), load, log, sigs)
	if errors.Is(err, daemon.ErrStopped) {
		return 0
	}
	if err != nil {
		// Once, in plain words: the log line would only repeat it.
		report(stderr, err)
		return 1
	}
	files(log)
	if err := d.Run(context.Background()); err != nil {
		return 1
	}
	return 0
}

// check is --check-config: the generic schema's problems (parseErr), then
// each [[provider]] entry's own keys and values, as this build of parsecd
// would decode them, without opening a TPM or loading a PKCS#11 module (a
// user_pin file is read, as the daemon reads it at start). Every problem
// found is reported, one per line; the entries are checked even when the
// rest of the file has problems (cfg then holds what could be read).
func check(cfg *config.Config, parseErr error, stderr io.Writer) int {
	errs := []error{parseErr}
	if cfg != nil {
		for _, n := range cfg.Notes {
			fmt.Fprintf(stderr, "note: %s\n", n)
		}
		for _, pc := range cfg.Providers {
			notes, err := provider.Validate(describe(cfg), pc)
			if errors.Is(err, provider.ErrNoValidator) {
				// A provider type from outside this tree: its keys wait for the start.
				notes, err = []string{err.Error()}, nil
			}
			for _, n := range notes {
				fmt.Fprintf(stderr, "note: %s\n", n)
			}
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		report(stderr, err)
		return 1
	}
	fmt.Fprintf(stderr, "%s: configuration is valid\n", describe(cfg))
	return 0
}

// report prints an error once: one line, "parsecd: PROBLEM"; several
// problems (a config file's), one per line as they are (each starts with
// FILE:LINE:COL), then "parsecd: N problems".
func report(w io.Writer, err error) {
	lines := strings.Split(strings.TrimRight(err.Error(), "\n"), "\n")
	if len(lines) == 1 {
		fmt.Fprintf(w, "parsecd: %s\n", lines[0])
		return
	}
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	fmt.Fprintf(w, "parsecd: %d problems\n", len(lines))
}

// describe names the configuration in messages: its file, or the embedded
// default, which has no file an operator could open.
func describe(c *config.Config) string {
	if c.Path == "" {
		return "embedded default"
	}
	return c.Path
}

// loader reads the given file, or the system file, or the embedded default
// when no file was named and the system one is absent.
func loader(path string, allowRoot bool) daemon.Loader {
	return func() (*config.Config, error) {
		var cfg *config.Config
		var err error
		switch {
		case path != "":
			cfg, err = config.Load(path)
		default:
			cfg, err = config.Load(defaultConfigPath)
			if errors.Is(err, fs.ErrNotExist) {
				cfg, err = config.Default(os.Geteuid(), os.Getenv)
				if cfg != nil {
					cfg.Notes = append(cfg.Notes, defaultConfigPath+" does not exist: using the embedded default configuration")
				}
			}
		}
		// --allow-root is applied to every load, reloads included: a SIGHUP
		// must not turn a running root daemon into one that refuses itself.
		if cfg != nil && allowRoot {
			cfg.AllowRoot = true
		}
		return cfg, err
	}
}

// newLogger maps Parsec's log levels onto slog's. slog has no trace level;
// parsecd has nothing to log below debug, so trace is debug.
func newLogger(level string, w io.Writer) *slog.Logger {
	var l slog.Level
	switch level {
	case "off":
		return slog.New(slog.DiscardHandler)
	case "error":
		l = slog.LevelError
	case "warn":
		l = slog.LevelWarn
	case "debug", "trace":
		l = slog.LevelDebug
	default:
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// raiseFileLimit lifts the soft open-file limit to the hard one, before the
// front end sizes its connection cap on it, and returns what to log once
// the daemon has started (a refused start prints its reason alone): every
// client connection is a descriptor, and the soft limit (often 1024) would
// otherwise be the real cap on connections, hit by accept with EMFILE
// instead of by listener.max_connections with a clear log line. The Go
// runtime does the same at start since Go 1.19; doing it here does not
// depend on that, and the log line says what the daemon got.
func raiseFileLimit() func(*slog.Logger) {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return func(log *slog.Logger) { log.Warn("cannot read the open-file limit", "error", err) }
	}
	if rl.Cur < rl.Max {
		old := rl.Cur
		rl.Cur = rl.Max
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
			return func(log *slog.Logger) {
				log.Warn("cannot raise the open-file limit", "soft", old, "hard", rl.Max, "error", err)
			}
		}
	}
	return func(log *slog.Logger) { log.Info("open-file limit", "soft", rl.Cur, "hard", rl.Max) }
}
