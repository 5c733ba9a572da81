// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/parsecd/parsecd/src/config"
)

// subcommand is what the parsecd commands that work on a configuration
// (check-store, commit-update, migrate) share: -c/--config, their own
// flags, no positional argument, the configuration loaded.
type subcommand struct {
	name       string // "check-store"
	synopsis   string // the usage line after "parsecd NAME"
	about      string // one sentence for the usage text
	configHelp string // the -c flag's help; "" for the daemon's wording
	flags      func(*flag.FlagSet)
}

// load parses args and loads the configuration. With a nil config, code
// is the exit status to return at once: 0 after --help, 2 for a usage
// error, 1 for a configuration that does not load.
func (s subcommand) load(args []string, stderr io.Writer) (cfg *config.Config, code int) {
	fl := flag.NewFlagSet("parsecd "+s.name, flag.ContinueOnError)
	fl.SetOutput(stderr)
	help := s.configHelp
	if help == "" {
		help = "path of config.toml (default " + defaultConfigPath + ", or the embedded default if that file does not exist)"
	}
	var path string
	fl.StringVar(&path, "c", "", help)
	fl.StringVar(&path, "config", "", "same as -c")
	if s.flags != nil {
		s.flags(fl)
	}
	fl.Usage = func() {
		fmt.Fprintf(stderr, "Usage: parsecd %s %s\n\n%s\n\n", s.name, s.synopsis, s.about)
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, 0
		}
		return nil, 2
	}
	if fl.NArg() > 0 {
		fmt.Fprintf(stderr, "parsecd %s: unexpected argument %q\n", s.name, fl.Arg(0))
		return nil, 2
	}
	cfg, err := loader(path, true)()
	if err != nil {
		fmt.Fprintf(stderr, "parsecd %s: %v\n", s.name, err)
		return nil, 1
	}
	return cfg, 0
}
