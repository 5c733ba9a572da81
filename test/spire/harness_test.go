// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package spire tests parsecd's JwtSvid authenticator, and several
// authenticators at once, against a real SPIRE server and agent. It is a
// module of its own (go.mod here) so that SPIRE, a test tool, stays out of
// parsecd's go.mod; make test-spiffe builds SPIRE from this module's tool
// directives into build/spire/bin and names it in PARSEC_SPIRE_BIN.
package spire

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/parsecd/parsecd/src/client"
	"github.com/parsecd/parsecd/src/client/spiffe"
)

// Two real Unix users, two workloads (numeric ids: SPIRE's unix attestor
// selects on unix:uid, and the user need not exist in /etc/passwd).
const (
	uidA = 4301
	uidB = 4302
	td   = "example.org"
)

var (
	repoRoot, parsecdBin, toolBin, spireServer, spireAgent string
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "test/spire: must run as root (workloads run as other users); make test-spiffe runs it")
		return 1
	}
	_, file, _, _ := runtime.Caller(0)
	repoRoot = filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
	bin := os.Getenv("PARSEC_SPIRE_BIN")
	if bin == "" {
		fmt.Fprintln(os.Stderr, "test/spire: PARSEC_SPIRE_BIN must name the directory of spire-server and spire-agent (make test-spiffe builds them)")
		return 1
	}
	spireServer, spireAgent = filepath.Join(bin, "spire-server"), filepath.Join(bin, "spire-agent")
	for _, b := range []string{spireServer, spireAgent} {
		if _, err := os.Stat(b); err != nil {
			fmt.Fprintf(os.Stderr, "test/spire: %v (make test-spiffe builds SPIRE)\n", err)
			return 1
		}
	}
	dir, err := os.MkdirTemp("", "i15-spiffe-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	_ = os.Chmod(dir, 0o755) // the workloads run parsec-tool as other users
	// The spiffe-tagged binaries (make build-spiffe), copied where the
	// workloads' users can run them.
	parsecdBin, toolBin = filepath.Join(dir, "parsecd"), filepath.Join(dir, "parsec-tool")
	for b, env := range map[string]string{parsecdBin: "PARSEC_SPIFFE_PARSECD", toolBin: "PARSEC_SPIFFE_TOOL"} {
		src := os.Getenv(env)
		if src == "" {
			fmt.Fprintf(os.Stderr, "test/spire: %s must name the spiffe-tagged binary (make build-spiffe; make test-spiffe sets it)\n", env)
			return 1
		}
		data, err := os.ReadFile(src)
		if err == nil {
			err = os.WriteFile(b, data, 0o755)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "test/spire: %s: %v\n", env, err)
			return 1
		}
	}
	return m.Run()
}

// proc is a background process whose output is kept for failure messages.
type proc struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
}

func (p *proc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

func start(t *testing.T, name string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(name, args...), done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p, p
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(p.stop)
	return p
}

// stop ends the process (SIGTERM, then SIGKILL) and waits for it.
func (p *proc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// eventually retries f until it returns nil or the deadline passes.
func eventually(t *testing.T, what string, d time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still failing after %v: %v", what, d, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// world is one SPIRE deployment (server and agent, trust domain
// example.org) and one parsecd, all in a fresh directory.
type world struct {
	t          *testing.T
	dir        string
	server     *proc
	agent      *proc
	agentConf  string
	agentSock  string
	serverSock string
	daemon     *proc
	socket     string // parsecd's
	confPath   string
}

// newSpire starts a SPIRE server and agent (join-token attestation) and
// registers the workloads: uid 0 (this test process), uidA, uidB.
func newSpire(t *testing.T) *world {
	t.Helper()
	base := t.TempDir()
	// The workloads (other uids) must reach the agent's and parsecd's sockets.
	for _, d := range []string{filepath.Dir(base), base} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	w := &world{t: t, dir: base, agentSock: filepath.Join(base, "agent.sock"), serverSock: filepath.Join(base, "server.sock")}
	port := freePort(t)
	for _, d := range []string{"server", "agent"} {
		if err := os.Mkdir(filepath.Join(base, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	serverConf := filepath.Join(base, "server.conf")
	writeFile(t, serverConf, fmt.Sprintf(`server {
  bind_address = "127.0.0.1"
  bind_port = "%d"
  socket_path = %q
  trust_domain = %q
  data_dir = %q
  log_level = "WARN"
}
plugins {
  DataStore "sql" {
    plugin_data {
      database_type = "sqlite3"
      connection_string = %q
    }
  }
  KeyManager "memory" { plugin_data {} }
  NodeAttestor "join_token" { plugin_data {} }
}
`, port, w.serverSock, td, filepath.Join(base, "server"), filepath.Join(base, "server", "datastore.sqlite3")))
	w.server = start(t, spireServer, "run", "-config", serverConf)
	eventually(t, "spire-server healthcheck", 60*time.Second, func() error {
		_, err := w.serverCmd("healthcheck")
		return err
	})
	out, err := w.serverCmd("token", "generate", "-spiffeID", "spiffe://"+td+"/agent")
	if err != nil {
		t.Fatal(err)
	}
	token, ok := strings.CutPrefix(strings.TrimSpace(out), "Token: ")
	if !ok {
		t.Fatalf("spire-server token generate printed %q", out)
	}
	for uid, id := range map[int]string{0: "root-workload", uidA: "workload-a", uidB: "workload-b"} {
		if _, err := w.serverCmd("entry", "create", "-parentID", "spiffe://"+td+"/agent",
			"-spiffeID", "spiffe://"+td+"/"+id, "-selector", "unix:uid:"+strconv.Itoa(uid)); err != nil {
			t.Fatal(err)
		}
	}
	w.agentConf = filepath.Join(base, "agent.conf")
	writeFile(t, w.agentConf, fmt.Sprintf(`agent {
  data_dir = %q
  log_level = "WARN"
  server_address = "127.0.0.1"
  server_port = "%d"
  socket_path = %q
  trust_domain = %q
  insecure_bootstrap = true
  join_token = %q
}
plugins {
  KeyManager "disk" { plugin_data { directory = %q } }
  NodeAttestor "join_token" { plugin_data {} }
  WorkloadAttestor "unix" { plugin_data {} }
}
`, filepath.Join(base, "agent"), port, w.agentSock, td, token, filepath.Join(base, "agent")))
	w.startAgent()
	return w
}

// startAgent starts the agent and waits until it hands this process a
// JWT-SVID (its registration entries have arrived).
func (w *world) startAgent() {
	w.t.Helper()
	w.agent = start(w.t, spireAgent, "run", "-config", w.agentConf)
	eventually(w.t, "a JWT-SVID from the agent", 90*time.Second, func() error {
		select {
		case <-w.agent.done:
			w.t.Fatalf("spire-agent exited:\n%s", w.agent.output())
		default:
		}
		src := spiffe.NewSource(w.endpoint())
		defer src.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := src.Token(ctx)
		return err
	})
}

func (w *world) endpoint() string { return "unix://" + w.agentSock }

func (w *world) serverCmd(args ...string) (string, error) {
	cmd := exec.Command(spireServer, append(args, "-socketPath", w.serverSock)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("spire-server %v: %v\n%s", args, err, out)
	}
	return string(out), nil
}

// mint has the server sign a JWT-SVID for id, audience aud, lifetime ttl.
func (w *world) mint(id, aud string, ttl time.Duration) string {
	w.t.Helper()
	out, err := w.serverCmd("jwt", "mint", "-spiffeID", "spiffe://"+td+"/"+id, "-audience", aud, "-ttl", ttl.String())
	if err != nil {
		w.t.Fatal(err)
	}
	// The token is the last line; a warning may come first (the server caps
	// a ttl beyond its CA's lifetime and says so).
	ls := lines(out)
	if len(ls) == 0 || strings.Count(ls[len(ls)-1], ".") != 2 {
		w.t.Fatalf("spire-server jwt mint printed %q", out)
	}
	return ls[len(ls)-1]
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// authConf is the [[authenticator]] entries: JwtSvid first (the default),
// then UnixPeerCredentials and Direct, each with its own admins.
func (w *world) authConf(types ...string) string {
	var b strings.Builder
	for _, a := range types {
		switch a {
		case "JwtSvid":
			fmt.Fprintf(&b, "[[authenticator]]\nauth_type = \"JwtSvid\"\nworkload_endpoint = %q\nadmins = [ { name = \"spiffe://%s/workload-a\" } ]\n", w.endpoint(), td)
		case "UnixPeerCredentials":
			fmt.Fprintf(&b, "[[authenticator]]\nauth_type = \"UnixPeerCredentials\"\nadmins = [ { name = \"%d\" } ]\n", uidA)
		case "Direct":
			b.WriteString("[[authenticator]]\nauth_type = \"Direct\"\nadmins = [ { name = \"client1\" } ]\n")
		}
	}
	return b.String()
}

func (w *world) writeConfig(auths string) {
	w.t.Helper()
	w.socket = filepath.Join(w.dir, "parsec", "parsec.sock")
	w.confPath = filepath.Join(w.dir, "config.toml")
	writeFile(w.t, w.confPath, fmt.Sprintf(`[core_settings]
allow_root = true
log_level = "info"
[listener]
listener_type = "DomainSocket"
timeout = 5000
socket_path = %q
%s
[[key_manager]]
name = "keys"
manager_type = "Bbolt"
path = %q
[[provider]]
provider_type = "Software"
key_info_manager = "keys"
`, w.socket, auths, filepath.Join(w.dir, "keys.db")))
	if err := os.MkdirAll(filepath.Dir(w.socket), 0o755); err != nil {
		w.t.Fatal(err)
	}
}

// startDaemon runs parsecd on w's configuration and waits for its socket.
func (w *world) startDaemon(auths string) {
	w.t.Helper()
	w.writeConfig(auths)
	w.daemon = start(w.t, parsecdBin, "-c", w.confPath)
	eventually(w.t, "parsecd ready", 30*time.Second, func() error {
		select {
		case <-w.daemon.done:
			w.t.Fatalf("parsecd exited:\n%s", w.daemon.output())
		default:
		}
		_, _, err := w.client(client.NoAuth()).Ping(context.Background())
		return err
	})
}

// reload rewrites the configuration and sends SIGHUP.
func (w *world) reload(auths string) {
	w.t.Helper()
	w.writeConfig(auths)
	before := strings.Count(w.daemon.output(), "configuration reloaded")
	if err := w.daemon.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		w.t.Fatal(err)
	}
	eventually(w.t, "parsecd reloaded", 30*time.Second, func() error {
		if strings.Count(w.daemon.output(), "configuration reloaded") == before {
			return fmt.Errorf("no reload in the log yet")
		}
		return nil
	})
}

func (w *world) client(a client.Auth, opts ...client.Option) *client.Client {
	w.t.Helper()
	c, err := client.New(append([]client.Option{client.WithEndpoint("unix:" + w.socket),
		client.WithTimeout(30 * time.Second), client.WithAuth(a)}, opts...)...)
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

// jwtClient authenticates with JWT-SVIDs this process (uid 0, the
// root-workload) fetches from the agent.
func (w *world) jwtClient() *client.Client {
	w.t.Helper()
	src := spiffe.NewSource(w.endpoint())
	w.t.Cleanup(func() { _ = src.Close() })
	return w.client(client.JwtSvidAuth(""), client.WithJwtSvidSource(src))
}

// tool runs parsec-tool as uid; spiffeEnv adds SPIFFE_ENDPOINT_SOCKET.
func (w *world) tool(uid int, spiffeEnv bool, args ...string) (stdout, stderr string, code int) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, toolBin, args...)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "PARSEC_SERVICE_ENDPOINT=unix:" + w.socket, "RUST_LOG=info"}
	if spiffeEnv {
		cmd.Env = append(cmd.Env, "SPIFFE_ENDPOINT_SOCKET="+w.endpoint())
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			w.t.Fatalf("parsec-tool %v: %v", args, err)
		}
		code = ee.ExitCode()
	}
	return out.String(), errb.String(), code
}

// lines returns the non-empty lines of s.
func lines(s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			out = append(out, l)
		}
	}
	return out
}
