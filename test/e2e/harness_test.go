// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package e2e drives the real parsecd and parsec-tool binaries, built once
// by TestMain, over a real Unix socket with a real bbolt store.
package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/parsecd/parsecd/src/client"
)

var (
	parsecdBin string // built by TestMain
	toolBin    string
	repoRoot   string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	_, file, _, _ := runtime.Caller(0)
	repoRoot = filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
	// PARSEC_E2E_BIN_DIR names prebuilt parsecd and parsec-tool binaries
	// (the qemu/ guest has no Go toolchain): use them instead of building.
	if dir := os.Getenv("PARSEC_E2E_BIN_DIR"); dir != "" {
		parsecdBin, toolBin = filepath.Join(dir, "parsecd"), filepath.Join(dir, "parsec-tool")
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "parsecd-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	// Other users (the multi-user tests) must be able to run the binaries.
	_ = os.Chmod(dir, 0o755)
	parsecdBin = filepath.Join(dir, "parsecd")
	toolBin = filepath.Join(dir, "parsec-tool")
	for bin, pkg := range map[string]string{parsecdBin: "./src/cmd/parsecd", toolBin: "./src/cmd/parsec-tool"} {
		args, cgo := []string{"build", "-trimpath"}, "CGO_ENABLED=0"
		if bin == parsecdBin {
			// parsecdBuild (harness_pkcs11_test.go / harness_nopkcs11_test.go):
			// with the pkcs11 tag, the daemon under test is the tagged cgo build.
			args, cgo = append(args, parsecdBuild.flags...), parsecdBuild.env
		}
		cmd := exec.Command("go", append(args, "-o", bin, pkg)...)
		cmd.Dir = repoRoot
		cmd.Env = append(os.Environ(), cgo)
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n%s", pkg, err, out)
			return 1
		}
	}
	return m.Run()
}

// DefaultTimeout is the listener timeout of the tests' daemons, in ms. The
// daemon bounds each read of a request and each write of an answer by it;
// Parsec's 200 ms is too short on a machine loaded by parallel tests
// (TestPsaSymmetricKeys once failed on a write that missed it), and no test
// that leaves Timeout unset relies on the timeout expiring.
const DefaultTimeout = 5000

// RawTimeout is the listener timeout of the tests that send incomplete
// frames on purpose: the daemon ends each such connection when it expires,
// and hundreds of them at DefaultTimeout would make a slow test.
const RawTimeout = 1000

// Options shape the config of one daemon.
type Options struct {
	Auth       string   // "Direct" (default) or "UnixPeerCredentials"
	Admins     []string // application names
	Core       string   // extra [core_settings] lines
	Timeout    int      // listener timeout in ms (default DefaultTimeout)
	Socket     string   // default <dir>/parsec.sock
	Store      string   // default <dir>/keys.db
	ProvType   string   // default "Software"
	ExtraConf  string   // appended verbatim
	NoAllowRot bool     // leave allow_root out
}

// Config renders a config.toml for o.
func Config(o Options) string {
	auth := o.Auth
	if auth == "" {
		auth = "Direct"
	}
	var admins []string
	for _, a := range o.Admins {
		admins = append(admins, fmt.Sprintf("{ name = %q }", a))
	}
	timeout := o.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	provType := o.ProvType
	if provType == "" {
		provType = "Software"
	}
	allowRoot := "allow_root = true\n"
	if o.NoAllowRot {
		allowRoot = ""
	}
	return fmt.Sprintf(`[core_settings]
%slog_level = "debug"
%s
[listener]
listener_type = "DomainSocket"
timeout = %d
socket_path = %q

[authenticator]
auth_type = %q
admins = [ %s ]

[[key_manager]]
name = "store"
manager_type = "Bbolt"
path = %q

[[provider]]
provider_type = %q
key_info_manager = "store"
%s`, allowRoot, o.Core, timeout, o.Socket, auth, strings.Join(admins, ", "), o.Store, provType, o.ExtraConf)
}

// Daemon is one running parsecd.
type Daemon struct {
	t      testing.TB
	Dir    string
	Socket string
	Config string // path of config.toml
	Opts   Options
	Env    []string // extra environment

	mu   sync.Mutex
	cmd  *exec.Cmd
	logs *bytes.Buffer
	done chan error
}

// NewDaemon prepares a daemon in a fresh directory (reachable by other users).
func NewDaemon(t testing.TB, o Options) *Daemon {
	t.Helper()
	dir := t.TempDir()
	_ = os.Chmod(dir, 0o755)
	if o.Socket == "" {
		o.Socket = filepath.Join(dir, "run", "parsec.sock")
	}
	if o.Store == "" {
		o.Store = filepath.Join(dir, "lib", "keys.db")
	}
	d := &Daemon{t: t, Dir: dir, Socket: o.Socket, Config: filepath.Join(dir, "config.toml"), Opts: o}
	d.WriteConfig(o)
	t.Cleanup(func() {
		d.mu.Lock()
		running := d.cmd != nil
		d.mu.Unlock()
		if running {
			d.Stop()
		}
		if t.Failed() {
			t.Logf("parsecd logs:\n%s", d.Logs())
		}
	})
	return d
}

// WriteConfig rewrites config.toml (for reloads).
func (d *Daemon) WriteConfig(o Options) {
	d.t.Helper()
	if o.Socket == "" {
		o.Socket = d.Socket
	}
	if o.Store == "" {
		o.Store = d.Opts.Store
	}
	d.Opts = o
	if err := os.WriteFile(d.Config, []byte(Config(o)), 0o644); err != nil {
		d.t.Fatal(err)
	}
}

// Start launches parsecd and waits until its socket answers.
func (d *Daemon) Start(extraArgs ...string) *Daemon {
	d.t.Helper()
	if err := d.TryStart(extraArgs...); err != nil {
		d.t.Fatalf("starting parsecd: %v\n%s", err, d.Logs())
	}
	return d
}

// TryStart launches parsecd and waits for its socket or its exit.
func (d *Daemon) TryStart(extraArgs ...string) error {
	cmd := exec.Command(parsecdBin, append([]string{"-c", d.Config}, extraArgs...)...)
	cmd.Env = append(os.Environ(), d.Env...)
	logs := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = syncWriter{&d.mu, logs}, syncWriter{&d.mu, logs}
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	d.mu.Lock()
	d.cmd, d.logs, d.done = cmd, logs, done
	d.mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			d.mu.Lock()
			d.cmd = nil
			d.mu.Unlock()
			if err == nil {
				return errors.New("parsecd exited early with status 0")
			}
			return fmt.Errorf("parsecd exited early: %w", err)
		default:
		}
		if c, err := net.Dial("unix", d.Socket); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("socket %s did not come up", d.Socket)
}

// ExitedEarly reports whether err, from TryStart, says that parsecd exited
// with a non-zero status before its socket came up: the refusal to start
// that tests of bad configurations and environments expect.
func ExitedEarly(err error) bool {
	var ee *exec.ExitError
	return errors.As(err, &ee) && ee.ExitCode() > 0
}

// Signal sends sig to parsecd.
func (d *Daemon) Signal(sig os.Signal) {
	d.t.Helper()
	d.mu.Lock()
	cmd := d.cmd
	d.mu.Unlock()
	if cmd == nil {
		d.t.Fatal("parsecd is not running")
	}
	if err := cmd.Process.Signal(sig); err != nil {
		d.t.Fatal(err)
	}
}

// Stop sends SIGTERM and requires a clean exit (status 0).
func (d *Daemon) Stop() {
	d.t.Helper()
	d.Signal(syscall.SIGTERM)
	if err := d.Wait(10 * time.Second); err != nil {
		d.t.Fatalf("parsecd did not exit cleanly after SIGTERM: %v\n%s", err, d.Logs())
	}
}

// Wait waits for parsecd to exit and returns its exit error.
func (d *Daemon) Wait(timeout time.Duration) error {
	d.mu.Lock()
	done := d.done
	d.mu.Unlock()
	select {
	case err := <-done:
		d.mu.Lock()
		d.cmd = nil
		d.mu.Unlock()
		return err
	case <-time.After(timeout):
		return fmt.Errorf("still running after %s", timeout)
	}
}

// Logs returns what parsecd printed so far.
func (d *Daemon) Logs() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.logs == nil {
		return ""
	}
	return d.logs.String()
}

// Endpoint is the PARSEC_SERVICE_ENDPOINT value for this daemon.
func (d *Daemon) Endpoint() string { return "unix:" + d.Socket }

// Client returns a Go client of this daemon with the given options.
func (d *Daemon) Client(opts ...client.Option) *client.Client {
	d.t.Helper()
	c, err := client.New(append([]client.Option{client.WithEndpoint(d.Endpoint()), client.WithTimeout(30 * time.Second)}, opts...)...)
	if err != nil {
		d.t.Fatal(err)
	}
	return c
}

// Direct returns a client authenticated as app with the Direct authenticator.
func (d *Daemon) Direct(app string) *client.Client {
	return d.Client(client.WithAuth(client.DirectAuth(app)))
}

// Tool runs parsec-tool against this daemon; uid/gid 0 means "as this process".
func (d *Daemon) Tool(uid uint32, args ...string) (stdout, stderr string, code int) {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, toolBin, args...)
	cmd.Env = append(os.Environ(), "PARSEC_SERVICE_ENDPOINT="+d.Endpoint())
	if uid != 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code = 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			d.t.Fatalf("running parsec-tool %v: %v", args, err)
		}
		code = ee.ExitCode()
	}
	return out.String(), errb.String(), code
}

// MustTool runs parsec-tool and fails the test unless it exits 0.
func (d *Daemon) MustTool(args ...string) string {
	d.t.Helper()
	out, errOut, code := d.Tool(0, args...)
	if code != 0 {
		d.t.Fatalf("parsec-tool %v: exit %d\nstdout: %s\nstderr: %s", args, code, out, errOut)
	}
	return out
}

// RequireRoot fails under CI (where the tests run as root) and skips elsewhere.
func RequireRoot(t testing.TB, why string) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s needs root, and CI must run it", why)
	}
	t.Skipf("%s needs root (run make test as root, as CI does)", why)
}

type syncWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}
