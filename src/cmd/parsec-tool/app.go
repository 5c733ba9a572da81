// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parsecd/parsecd/src/client"
	"github.com/parsecd/parsecd/src/parsec"
)

const (
	toolName    = "parsec-tool"
	toolVersion = "0.7.0"
	toolAuthor  = "Contributors to the Parsec project"
	toolAbout   = "Command-line interface to Parsec operations"
	// appName is what the tool authenticates as with the Direct authenticator.
	appName = "parsec-tool"
)

// command is one subcommand. define registers its arguments and returns
// the function that runs it with the positional arguments.
type command struct {
	name      string
	about     string // one line, as listed in the tool's help
	longAbout string // the help text of the subcommand itself, when longer
	args      []string
	argHelp   []string // help of each positional argument
	auth      bool     // needs an authenticated client
	extra     bool     // a parsecd addition, not in parsec-tool 0.7.0: hidden from the help
	define    func(o *options) func(a *app, pos []string) error
}

// module is the Rust module of the subcommand, the target of its log lines.
func (c *command) module() string { return strings.ReplaceAll(c.name, "-", "_") }

// commands in parsec-tool's order.
var commands []*command

func init() {
	all := slices.Concat(coreCommands(), keyCommands(), cryptoCommands(), []*command{csrCommand()},
		importCommands(), symCommands())
	for _, name := range []string{"ping", "list-providers", "list-authenticators", "list-opcodes", "list-keys",
		"generate-random", "export-public-key", "create-rsa-key", "create-ecc-key", "decrypt", "sign",
		"delete-key", "list-clients", "delete-client", "create-csr", "encrypt",
		// parsecd additions
		"import-key", "create-key", "export-key", "hash", "hash-compare", "mac", "mac-verify",
		"aead-encrypt", "aead-decrypt", "cipher-encrypt", "cipher-decrypt", "key-agreement", "can-do-crypto"} {
		for _, c := range all {
			if c.name == name {
				commands = append(commands, c)
			}
		}
	}
	if len(commands) != len(all) {
		panic("parsec-tool: command table out of sync")
	}
}

// app is one invocation of the tool.
type app struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	log            *logger
	target         string // log target of the running subcommand

	provider *parsec.ProviderID // implicit provider (global -p, else the first listed)
	auth     client.Auth        // the authentication found by connect
	authSet  bool
	c        *client.Client
	ctx      context.Context
}

// run executes the command line and returns the exit status.
func run(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	a := &app{stdout: stdout, stderr: stderr, getenv: getenv, ctx: context.Background()}
	a.log = newLogger(stderr, getenv("RUST_LOG"))
	a.log.color = logStyle(stderr, getenv("RUST_LOG_STYLE"))
	err := a.main(args)
	var ce *clapError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ce):
		if ce.stdout {
			fmt.Fprintln(stdout, ce.msg)
			return 0
		}
		fmt.Fprintln(stderr, ce.msg)
	case errors.Is(err, errAnswered):
	case errors.Is(err, errReported):
	default:
		var ue *usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "error: %s\n\nFor more information try --help\n", ue.msg)
			return 1
		}
		var te *toolError
		if errors.As(err, &te) && te.msg != "" {
			a.errorf("%s", te.msg)
		}
		display, debug := a.rustError(err)
		a.log.log(levelError, targetMain, "Subcommand failed: %s (%s)", display, debug)
	}
	return 1
}

// errReported ends the tool after an error that was already logged.
var errReported = errors.New("error reported")

// options collects the arguments of a subcommand.
type options struct {
	app    *capp
	byLong map[string]*carg
}

func (o *options) add(a *carg) *carg {
	o.app.args = append(o.app.args, a)
	if a.long != "" {
		o.byLong[a.long] = a
	}
	return a
}

// Bool defines a flag; its clap name is its long name.
func (o *options) Bool(p *bool, short byte, long, help string) *carg {
	return o.add(&carg{name: long, short: short, long: long, help: help,
		store: func(string) error { *p = true; return nil }})
}

// String defines an option taking one value.
func (o *options) String(p *string, short byte, long, _, help string, required bool) *carg {
	return o.add(&carg{name: long, short: short, long: long, help: help, takesValue: true, required: required,
		store: func(v string) error { *p = v; return nil }})
}

// Uint defines an option taking an unsigned integer up to max.
func (o *options) Uint(p *uint64, short byte, long, _, help string, max uint64, required bool) *carg {
	return o.add(&carg{name: long, short: short, long: long, help: help, takesValue: true, required: required,
		validate: func(v string) string { _, msg := parseRustUint(v, max); return msg },
		store:    func(v string) error { *p, _ = parseRustUint(v, max); return nil }})
}

// Strings defines an option taking any number of values, repeatable.
func (o *options) Strings(p *[]string, short byte, long, _, help string) *carg {
	return o.add(&carg{name: long, short: short, long: long, help: help, takesValue: true, multiple: true, minZero: true,
		store: func(v string) error { *p = append(*p, v); return nil }})
}

// IsSet reports whether the option appeared on the command line.
func (o *options) IsSet(long string) bool {
	a := o.byLong[long]
	return a != nil && a.occurs > 0
}

// parseRustUint parses like Rust's FromStr for unsigned integers and
// returns its error text.
func parseRustUint(s string, max uint64) (uint64, string) {
	if s == "" {
		return 0, "cannot parse integer from empty string"
	}
	d := strings.TrimPrefix(s, "+")
	if d == "" {
		return 0, "invalid digit found in string"
	}
	for _, c := range d {
		if c < '0' || c > '9' {
			return 0, "invalid digit found in string"
		}
	}
	v, err := strconv.ParseUint(d, 10, 64)
	if err != nil || v > max {
		return 0, "number too large to fit in target type"
	}
	return v, ""
}

type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// usagef is a command-line error found when a parsecd subcommand runs.
func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// buildCLI is parsec-tool's command line; provider and timeout receive the
// global options.
func buildCLI(provider *string, timeout *uint64) (*capp, map[*capp]func(*app, []string) error) {
	top := &capp{name: toolName, bin: toolName, version: toolVersion, author: toolAuthor, about: toolAbout}
	top.args = []*carg{
		{name: "provider", short: 'p', long: "provider", takesValue: true,
			help:     "The ID of the provider to target for the command. Will use the default provider if not specified",
			validate: func(v string) string { _, m := providerArg(v); return m },
			store:    func(v string) error { *provider = v; return nil }},
		{name: "timeout", short: 't', long: "timeout", takesValue: true,
			help:     "The timeout time used for all commands in seconds. Will use the client's default if not specified. If set to 0, will not use any timeout and will block indefinitely",
			validate: func(v string) string { _, m := parseRustUint(v, 1<<32-1); return m },
			store:    func(v string) error { *timeout, _ = parseRustUint(v, 1<<32-1); return nil }},
	}
	top.addBuiltins()
	actions := map[*capp]func(*app, []string) error{}
	for _, c := range commands {
		sub := &capp{name: c.name, bin: toolName + " " + c.name, version: toolVersion, about: c.about,
			longAbout: c.longAbout, hidden: c.extra, cmd: c}
		o := &options{app: sub, byLong: map[string]*carg{}}
		action := c.define(o)
		for i, p := range c.args {
			help := ""
			switch {
			case i < len(c.argHelp):
				help = c.argHelp[i]
			case c.extra && strings.HasSuffix(c.name, "-decrypt"):
				help = "Input data, base64 encoded"
			case c.extra:
				help = "Input data (UTF-8 text)"
			}
			pos := &carg{name: strings.ReplaceAll(strings.ToLower(p), "_", "-"), positional: true, required: true, help: help}
			sub.args = append(sub.args, pos)
		}
		sub.addBuiltins()
		actions[sub] = action
		top.subs = append(top.subs, sub)
	}
	top.subs = append(top.subs, &capp{name: "help", about: "Prints this message or the help of the given subcommand(s)"})
	return top, actions
}

func (a *app) main(args []string) error {
	var provider string
	var timeout uint64
	top, actions := buildCLI(&provider, &timeout)
	sub, rest, pending, err := top.parse(args)
	if err != nil {
		return err
	}
	_, _, subPending, err := sub.parse(rest)
	if err == nil {
		err = sub.validate(subPending)
	}
	if err == nil {
		err = top.validate(pending)
	}
	if err != nil {
		return err
	}
	cmd := sub.cmd
	a.target = subcommandTarget(cmd.module())
	var pos []string
	for _, p := range sub.positionals() {
		pos = append(pos, p.vals...)
	}
	if err := a.connect(cmd.auth); err != nil {
		return err
	}
	if top.args[0].occurs > 0 {
		p, err := a.selectProvider(provider)
		if err != nil {
			return err
		}
		a.provider = &p
	}
	to := client.DefaultTimeout
	if top.args[1].occurs > 0 {
		to = time.Duration(timeout) * time.Second
	}
	if a.c, err = a.newClient(to); err != nil {
		return err
	}
	return actions[sub](a, pos)
}

// info logs at the Info level under the subcommand's target.
func (a *app) info(format string, args ...any) { a.log.log(levelInfo, a.target, format, args...) }

// errorf logs at the Error level under the subcommand's target.
func (a *app) errorf(format string, args ...any) { a.log.log(levelError, a.target, format, args...) }

// errAnswered ends a command that printed a negative answer as its result
// (can-do-crypto): exit status 1, no error line.
var errAnswered = errors.New("negative answer printed")

// ---- the client ----

// socketPath is the socket of the endpoint, checked as parsec-client
// checks it before the first request.
func (a *app) socketPath() (string, error) {
	uri := a.getenv(client.EndpointEnv)
	if uri == "" {
		uri = client.DefaultEndpoint
	}
	scheme, path, ok := strings.Cut(uri, ":")
	if !ok || scheme == "" || strings.ContainsAny(scheme, "/ ") {
		return "", clientError("InvalidSocketUrl")
	}
	if scheme != "unix" {
		return "", clientError("InvalidSocketUrl")
	}
	if after, ok := strings.CutPrefix(path, "//"); ok {
		_, path, _ = strings.Cut(after, "/")
		path = "/" + path
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode()&os.ModeSocket == 0 {
		return "", clientError("InvalidSocketAddress")
	}
	return path, nil
}

// connect does what parsec-tool does before running a subcommand: check
// the socket, and for the authenticated subcommands learn the default
// provider (the first listed) and the authenticator (the first listed that
// the client supports). Failures end the tool as "Error spinning up the
// BasicClient".
func (a *app) connect(auth bool) error {
	path, err := a.socketPath()
	if err != nil {
		return a.spinUpFailed(err)
	}
	c, err := client.New(client.WithEndpoint("unix:"+path), client.WithProvider(parsec.ProviderCore), client.WithAuth(client.NoAuth()))
	if err != nil {
		return a.spinUpFailed(err)
	}
	a.c = c
	if !auth {
		return nil
	}
	providers, err := c.ListProviders(a.ctx)
	if err != nil {
		return a.spinUpFailed(err)
	}
	if len(providers) == 0 {
		return a.spinUpFailed(clientError("NoProvider"))
	}
	p := providers[0].ID
	a.provider = &p
	auths, err := c.ListAuthenticators(a.ctx)
	if err != nil {
		return a.spinUpFailed(err)
	}
	for _, ai := range auths {
		switch ai.ID {
		case parsec.AuthDirect:
			a.auth = client.DirectAuth(appName)
		case parsec.AuthUnixPeerCredentials:
			a.auth = client.UnixPeerCredentialsAuth()
		case parsec.AuthJwtSvid:
			au, ok, err := a.jwtSvidAuth()
			if err != nil {
				return a.spinUpFailed(err)
			}
			if !ok {
				a.log.log(levelWarn, targetBasicClient, "Authenticator of type \"%v\" %s", ai.ID, jwtSvidUnusable)
				continue
			}
			a.auth = au
		default:
			a.log.log(levelWarn, targetBasicClient, "Authenticator of type \"%v\" not supported by this client library", ai.ID)
			continue
		}
		a.authSet = true
		a.log.log(levelDebug, targetBasicClient, "Parsec BasicClient created with implicit provider \"%v\" and authentication data \"%s\"", p, authDebug(a.auth))
		return nil
	}
	return a.spinUpFailed(clientError("NoAuthenticator"))
}

func authDebug(au client.Auth) string {
	if au.Type == parsec.AuthDirect {
		return fmt.Sprintf("Direct(%q)", au.AppName)
	}
	return au.Type.String()
}

func (a *app) spinUpFailed(err error) error {
	display, _ := a.rustError(err)
	a.log.log(levelError, targetMain, "Error spinning up the BasicClient: %s", display)
	return errReported
}

// newClient is the client the subcommand uses: the implicit provider, the
// authentication found by connect (none for the core subcommands) and the
// timeout.
func (a *app) newClient(timeout time.Duration) (*client.Client, error) {
	p := parsec.ProviderCore
	if a.provider != nil {
		p = *a.provider
	}
	auth := client.NoAuth()
	if a.authSet {
		auth = a.auth
	}
	return client.New(client.WithEndpoint("unix:"+a.c.SocketPath()), client.WithTimeout(timeout),
		client.WithProvider(p), client.WithAuth(auth), client.WithAppName(appName))
}

// implicitProvider is the provider cryptographic operations go to.
func (a *app) implicitProvider() parsec.ProviderID {
	if a.provider != nil {
		return *a.provider
	}
	return parsec.ProviderCore
}

// crypto fails as parsec-client does when a cryptographic operation would
// go to the core provider.
func (a *app) crypto() error {
	if a.implicitProvider() == parsec.ProviderCore {
		return clientError("InvalidProvider")
	}
	return nil
}
