package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/parsecd/parsecd/src/client"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/src/wire"
)

const (
	toolName    = "parsec-tool"
	toolVersion = "0.7.0"
	// appName is what the tool authenticates as with the Direct authenticator.
	appName = "parsec-tool"
)

// command is one subcommand. define registers its flags and returns the
// function that runs it with the positional arguments.
type command struct {
	name  string
	about string
	args  []string // positional arguments (all required), for help and arity
	auth  bool     // needs an authenticated client
	extra bool     // a parsecd addition, not in parsec-tool 0.7
	// define registers the flags and returns the action.
	define func(o *options) func(a *app, pos []string) error
}

// commands in parsec-tool's help order.
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

func findCommand(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// app is one invocation of the tool.
type app struct {
	stdout, stderr io.Writer
	getenv         func(string) string

	provider *wire.ProviderID // global -p
	timeout  time.Duration
	endpoint string
	keyName  string // the key the command works on, for error messages
	creating bool   // the command creates keyName (import-key, create-key)
	c        *client.Client
	ctx      context.Context
}

// run executes the command line and returns the exit status.
func run(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	a := &app{stdout: stdout, stderr: stderr, getenv: getenv, ctx: context.Background()}
	if err := a.main(args); err != nil {
		if !errors.Is(err, errAnswered) {
			fmt.Fprintln(stderr, "Error: "+a.describe(err))
		}
		return 1
	}
	return 0
}

func (a *app) main(args []string) error {
	var provider, timeout uint64
	var help, version bool
	g := newOptions(toolName)
	g.Uint(&provider, 'p', "provider", "PROVIDER", "Provider ID of the provider to use for the operation (default: the first one the service lists)", 255, false)
	g.Uint(&timeout, 't', "timeout", "TIMEOUT", "Timeout in seconds for the requests to the service (0 = no timeout, default 60)", 1<<32-1, false)
	g.Bool(&help, 'h', "help", "Print help information")
	g.Bool(&version, 'V', "version", "Print version information")
	rest, err := g.parse(args, true)
	if err != nil {
		return seeHelp(err, "")
	}
	switch {
	case help:
		a.globalHelp(g)
		return nil
	case version:
		fmt.Fprintf(a.stdout, "%s %s\n", toolName, toolVersion)
		return nil
	case len(rest) == 0:
		return usagef("a subcommand is required (see '%s --help')", toolName)
	}
	if g.IsSet("provider") {
		p := wire.ProviderID(provider)
		a.provider = &p
	}
	a.timeout = client.DefaultTimeout
	if g.IsSet("timeout") {
		a.timeout = time.Duration(timeout) * time.Second
	}
	a.endpoint = a.getenv(client.EndpointEnv)

	name, subArgs := rest[0], rest[1:]
	if name == "help" {
		if len(subArgs) == 0 {
			a.globalHelp(g)
			return nil
		}
		name, subArgs = subArgs[0], []string{"--help"}
	}
	cmd := findCommand(name)
	if cmd == nil {
		return usagef("unrecognized subcommand '%s' (see '%s --help')", name, toolName)
	}
	o := newOptions(toolName + " " + cmd.name)
	action := cmd.define(o)
	var subHelp bool
	o.Bool(&subHelp, 'h', "help", "Print help information")
	pos, err := o.parse(subArgs, false)
	if err != nil {
		return seeHelp(err, cmd.name)
	}
	if subHelp {
		a.commandHelp(cmd, o)
		return nil
	}
	if oi := o.missing(); oi != nil {
		return usagef("the following required argument was not provided: --%s <%s> (see '%s %s --help')", oi.long, oi.metavar, toolName, cmd.name)
	}
	if len(pos) < len(cmd.args) {
		return usagef("the following required argument was not provided: <%s> (see '%s %s --help')", cmd.args[len(pos)], toolName, cmd.name)
	}
	if len(pos) > len(cmd.args) {
		return usagef("unexpected argument '%s' (see '%s %s --help')", pos[len(cmd.args)], toolName, cmd.name)
	}
	c, err := a.newClient(cmd.auth)
	if err != nil {
		return err
	}
	a.c = c
	return action(a, pos)
}

// seeHelp points a usage error to the help of the command concerned.
func seeHelp(err error, cmd string) error {
	if ue, ok := err.(*usageError); ok {
		if cmd != "" {
			cmd = " " + cmd
		}
		return usagef("%s (see '%s%s --help')", ue.msg, toolName, cmd)
	}
	return err
}

// newClient builds the client: unauthenticated subcommands use NoAuth and
// the core provider unless -p is given; the others let the client pick the
// first provider and the first supported authenticator ("parsec-tool" as
// the Direct application name).
func (a *app) newClient(auth bool) (*client.Client, error) {
	opts := []client.Option{client.WithTimeout(a.timeout)}
	if a.endpoint != "" {
		opts = append(opts, client.WithEndpoint(a.endpoint))
	} else {
		opts = append(opts, client.WithEndpoint(client.DefaultEndpoint))
	}
	switch {
	case a.provider != nil:
		opts = append(opts, client.WithProvider(*a.provider))
	case !auth:
		opts = append(opts, client.WithProvider(wire.ProviderCore))
	}
	if auth {
		opts = append(opts, client.WithAppName(appName))
	} else {
		opts = append(opts, client.WithAuth(client.NoAuth()))
	}
	return client.New(opts...)
}

// info logs like parsec-tool's env_logger set-up: "[INFO ] ..." on stderr,
// silenced when RUST_LOG asks for warnings or errors only.
func (a *app) info(format string, args ...any) {
	switch strings.ToLower(strings.TrimSpace(a.getenv("RUST_LOG"))) {
	case "off", "error", "warn":
		return
	}
	fmt.Fprintf(a.stderr, "[INFO ] "+format+"\n", args...)
}

// errAnswered ends a command that printed a negative answer as its result
// (can-do-crypto): exit status 1, no error line.
var errAnswered = errors.New("negative answer printed")

// toolError is a failure found by the tool itself; kind follows parsec-tool's
// ToolErrorKind names.
type toolError struct {
	kind string
	msg  string
}

func (e *toolError) Error() string { return e.msg + " (" + e.kind + ")" }

func notSupported(format string, args ...any) error {
	return &toolError{"NotSupported", fmt.Sprintf(format, args...)}
}

func wrongKeyAlgorithm(format string, args ...any) error {
	return &toolError{"WrongKeyAlgorithm", fmt.Sprintf(format, args...)}
}

func incorrectData(format string, args ...any) error {
	return &toolError{"IncorrectData", fmt.Sprintf(format, args...)}
}

// describe renders an error as one line of plain words.
func (a *app) describe(err error) string {
	var ue *usageError
	var te *toolError
	var se *status.Error
	switch {
	case errors.As(err, &ue):
		return ue.msg
	case errors.As(err, &te):
		return te.Error()
	case errors.As(err, &se):
		return a.describeStatus(se) + " (" + se.Code.String() + ")"
	}
	var c status.Code
	if errors.As(err, &c) {
		return c.Description() + " (" + c.String() + ")"
	}
	return oneLine(err.Error())
}

func (a *app) describeStatus(se *status.Error) string {
	key := a.keyName
	switch se.Code {
	case status.PsaErrorDoesNotExist:
		if key != "" {
			return fmt.Sprintf("key %q does not exist", key)
		}
	case status.PsaErrorAlreadyExists:
		if key != "" {
			return fmt.Sprintf("key %q already exists", key)
		}
	case status.PsaErrorNotPermitted:
		if key != "" && a.creating {
			return fmt.Sprintf("the service does not permit key %q with this type, policy or usage", key)
		}
		if key != "" {
			return fmt.Sprintf("the policy of key %q does not permit this operation", key)
		}
	case status.AdminOperation:
		return "this operation needs administrator rights (the application is not in the service's admins list)"
	case status.NotAuthenticated:
		return "this operation needs an authenticated application"
	case status.ProviderNotRegistered, status.ProviderDoesNotExist:
		if a.provider != nil {
			return fmt.Sprintf("the service has no provider with ID %d", uint8(*a.provider))
		}
	case status.ConnectionError:
		path := "the Parsec service"
		if a.c != nil {
			path = "the Parsec service at " + a.c.SocketPath()
		}
		cause := rootCause(se)
		if errors.Is(se, context.DeadlineExceeded) {
			cause = "no response within the timeout"
		} else if a.c != nil {
			cause += "; " + client.EndpointHint
		}
		return "cannot talk to " + path + ": " + cause
	}
	return se.Code.Description()
}

// rootCause is the innermost error's text (e.g. "connection refused").
func rootCause(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return oneLine(err.Error())
		}
		err = next
	}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// ---- help ----

func (a *app) globalHelp(g *options) {
	w := a.stdout
	fmt.Fprintf(w, "%s %s\n", toolName, toolVersion)
	fmt.Fprintf(w, "Parsec command-line tool (parsecd edition, compatible with parsec-tool %s)\n\n", toolVersion)
	fmt.Fprintf(w, "USAGE:\n    %s [OPTIONS] <SUBCOMMAND>\n\n", toolName)
	fmt.Fprintln(w, "OPTIONS:")
	g.writeOptions(w)
	fmt.Fprintln(w, "\nSUBCOMMANDS:")
	width := 0
	for _, c := range commands {
		width = max(width, len(c.name))
	}
	for _, c := range commands {
		if !c.extra {
			fmt.Fprintf(w, "    %-*s    %s\n", width, c.name, c.about)
		}
	}
	fmt.Fprintf(w, "    %-*s    %s\n", width, "help", "Print this message or the help of the given subcommand(s)")
	fmt.Fprintln(w, "\nPARSECD SUBCOMMANDS (not in parsec-tool 0.7):")
	for _, c := range commands {
		if c.extra {
			fmt.Fprintf(w, "    %-*s    %s\n", width, c.name, c.about)
		}
	}
	fmt.Fprintf(w, "\nThe service endpoint is read from %s (default %s).\n", client.EndpointEnv, client.DefaultEndpoint)
	fmt.Fprintln(w, "Results go to standard output; log messages and errors to standard error.")
	fmt.Fprintln(w, "Exit status: 0 on success, 1 on any error, including command-line usage errors")
	fmt.Fprintln(w, "(the Rust parsec-tool exits with 2 on usage errors).")
}

func (a *app) commandHelp(cmd *command, o *options) {
	w := a.stdout
	fmt.Fprintf(w, "%s-%s\n%s\n\nUSAGE:\n    %s %s [OPTIONS]", toolName, cmd.name, cmd.about, toolName, cmd.name)
	for _, oi := range o.order {
		if oi.required {
			fmt.Fprintf(w, " --%s <%s>", oi.long, oi.metavar)
		}
	}
	for _, p := range cmd.args {
		fmt.Fprintf(w, " <%s>", p)
	}
	fmt.Fprintln(w)
	if len(cmd.args) > 0 {
		fmt.Fprintln(w, "\nARGS:")
		for _, p := range cmd.args {
			fmt.Fprintf(w, "    <%s>\n", p)
		}
	}
	fmt.Fprintln(w, "\nOPTIONS:")
	o.writeOptions(w)
}
