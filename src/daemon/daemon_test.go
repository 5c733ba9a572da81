// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package daemon_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/parsecd/parsecd/src/interface/pbwire"

	// The software provider registers itself, as in parsecd.
	_ "github.com/parsecd/parsecd/providers/soft"
	"github.com/parsecd/parsecd/src/config"
	"github.com/parsecd/parsecd/src/daemon"
	"github.com/parsecd/parsecd/src/interface/ops/listauthenticators"
	"github.com/parsecd/parsecd/src/interface/ops/listkeys"
	"github.com/parsecd/parsecd/src/interface/ops/psageneratekey"
	"github.com/parsecd/parsecd/src/internal/sigs"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/src/wire"
)

// env is one test's directory: a config file, sockets and a key store.
type env struct {
	t    *testing.T
	dir  string
	cfg  string
	logs *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newEnv(t *testing.T) *env {
	// Unix socket paths are limited to 108 bytes: keep the directory short.
	dir, err := os.MkdirTemp("", "pd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return &env{t: t, dir: dir, cfg: filepath.Join(dir, "config.toml"), logs: &syncBuffer{}}
}

func (e *env) socket(name string) string { return filepath.Join(e.dir, name) }

// write writes a config with the given socket, auth type and provider type.
func (e *env) write(socket, authType, providerType string) {
	e.t.Helper()
	text := fmt.Sprintf(`[core_settings]
allow_root = true
thread_pool_size = 2

[listener]
listener_type = "DomainSocket"
timeout = 500
socket_path = %q

[authenticator]
auth_type = %q

[[key_manager]]
name = "store"
manager_type = "Bbolt"
path = %q

[[provider]]
provider_type = %q
key_info_manager = "store"
`, socket, authType, filepath.Join(e.dir, "keys.db"), providerType)
	e.writeRaw(text)
}

func (e *env) writeRaw(text string) {
	e.t.Helper()
	if err := os.WriteFile(e.cfg, []byte(text), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) loader() daemon.Loader {
	return func() (*config.Config, error) { return config.Load(e.cfg) }
}

// start runs Start and Run until the test ends; the returned channel
// delivers Run's result once.
func (e *env) start() (*daemon.Daemon, context.CancelFunc, <-chan error) {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.NewTextHandler(e.logs, nil))
	d, err := daemon.Start(ctx, e.loader(), log, nil)
	if err != nil {
		cancel()
		e.t.Fatal(err)
	}
	done := make(chan error, 1)
	finished := make(chan struct{})
	go func() {
		done <- d.Run(ctx)
		close(finished)
	}()
	e.t.Cleanup(func() {
		cancel()
		<-finished
	})
	return d, cancel, done
}

type request struct {
	provider parsec.ProviderID
	opcode   parsec.Opcode
	authType parsec.AuthType
	auth     []byte
	body     pbwire.Message
}

func uidAuth() []byte { return binary.LittleEndian.AppendUint32(nil, uint32(os.Getuid())) }

func call(t *testing.T, socket string, r request) *wire.Response {
	t.Helper()
	var body []byte
	if r.body != nil {
		var err error
		if body, err = pbwire.Marshal(r.body); err != nil {
			t.Fatal(err)
		}
	}
	frame, err := wire.EncodeRequest(&wire.Request{Header: wire.Header{Provider: r.provider, Opcode: r.opcode, AuthType: r.authType},
		Body: body, Auth: r.auth})
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("unix", socket)
	if err != nil {
		t.Fatalf("dial %s: %v", socket, err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(frame); err != nil {
		t.Fatal(err)
	}
	all, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("reading to EOF: %v", err)
	}
	resp, err := wire.ReadResponse(bytes.NewReader(all), 0)
	if err != nil {
		t.Fatalf("response %x: %v", all, err)
	}
	if resp.Header.Opcode != r.opcode {
		t.Fatalf("response opcode %v to %v", resp.Header.Opcode, r.opcode)
	}
	return resp
}

func wantStatus(t *testing.T, resp *wire.Response, want status.Code) {
	t.Helper()
	if resp.Header.Status != want {
		t.Fatalf("%v: status %v, want %v", resp.Header.Opcode, resp.Header.Status, want)
	}
}

func ping(t *testing.T, socket string, at parsec.AuthType, a []byte) {
	t.Helper()
	resp := call(t, socket, request{opcode: parsec.OpPing, authType: at, auth: a})
	wantStatus(t, resp, status.Success)
	if !bytes.Equal(resp.Body, []byte{8, 1}) {
		t.Errorf("ping body %x", resp.Body)
	}
}

func authenticatorID(t *testing.T, socket string) uint32 {
	t.Helper()
	resp := call(t, socket, request{opcode: parsec.OpListAuthenticators})
	wantStatus(t, resp, status.Success)
	var res listauthenticators.Result
	if err := pbwire.Unmarshal(resp.Body, &res); err != nil || len(res.Authenticators) != 1 {
		t.Fatalf("ListAuthenticators %v, %v", &res, err)
	}
	return res.Authenticators[0].Id
}

func keyNames(t *testing.T, socket string, at parsec.AuthType, a []byte) []string {
	t.Helper()
	resp := call(t, socket, request{opcode: parsec.OpListKeys, authType: at, auth: a})
	wantStatus(t, resp, status.Success)
	var res listkeys.Result
	if err := pbwire.Unmarshal(resp.Body, &res); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, k := range res.Keys {
		out = append(out, k.Name)
	}
	return out
}

func gone(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("%s still exists (%v)", path, err)
	}
}

func TestStartReloadStop(t *testing.T) {
	e := newEnv(t)
	sock1, sock2 := e.socket("one.sock"), e.socket("two.sock")
	e.write(sock1, "Direct", "Software")
	d, cancel, done := e.start()

	app := []byte("app")
	ping(t, sock1, parsec.AuthNone, nil)
	ping(t, sock1, parsec.AuthDirect, app)
	if id := authenticatorID(t, sock1); id != uint32(parsec.AuthDirect) {
		t.Errorf("authenticator %d, want Direct", id)
	}
	attrs := psa.KeyAttributes{
		Type: psa.KeyType{Kind: psa.KeyEccPair, EccFamily: psa.EccSecpR1}, Bits: 256,
		Policy: psa.KeyPolicy{Usage: psa.UsageSignHash | psa.UsageVerifyHash,
			Alg: psa.Algorithm{Kind: psa.AlgAsymSign, Sign: psa.AsymSign{Kind: psa.SignEcdsa, Hash: psa.HashSHA256}}},
	}
	wantStatus(t, call(t, sock1, request{provider: parsec.ProviderMbedCrypto, opcode: parsec.OpPsaGenerateKey, authType: parsec.AuthDirect, auth: app,
		body: &psageneratekey.Operation{KeyName: "k1", Attributes: psa.AttributesToProto(attrs)}}), status.Success)
	if got := keyNames(t, sock1, parsec.AuthDirect, app); len(got) != 1 || got[0] != "k1" {
		t.Fatalf("keys %v", got)
	}

	// Reload: new socket path, Direct -> UnixPeerCredentials.
	e.write(sock2, "UnixPeerCredentials", "Software")
	d.Reload(context.Background())
	ping(t, sock2, parsec.AuthUnixPeerCredentials, uidAuth())
	if id := authenticatorID(t, sock2); id != uint32(parsec.AuthUnixPeerCredentials) {
		t.Errorf("authenticator %d after reload, want UnixPeerCredentials", id)
	}
	wantStatus(t, call(t, sock2, request{opcode: parsec.OpPing, authType: parsec.AuthDirect, auth: app}), status.AuthenticatorNotRegistered)
	wantStatus(t, call(t, sock2, request{opcode: parsec.OpPing, authType: parsec.AuthUnixPeerCredentials, auth: []byte{1, 2, 3, 4}}), status.AuthenticationError)
	// Keys are namespaced by authenticator: the uid sees none of Direct's.
	if got := keyNames(t, sock2, parsec.AuthUnixPeerCredentials, uidAuth()); len(got) != 0 {
		t.Errorf("uid sees keys %v", got)
	}
	gone(t, sock1)
	if c, err := net.Dial("unix", sock1); err == nil {
		c.Close()
		t.Error("old socket still accepts")
	}

	// Invalid configurations keep the running service.
	// A socket path held by a regular file: Listen refuses it.
	blocker := e.socket("file.sock")
	if err := os.WriteFile(blocker, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	invalid := []struct {
		name    string
		breakIt func()
	}{
		{"syntax", func() { e.writeRaw("[core_settings\n") }},
		{"unknown key", func() {
			e.write(e.socket("three.sock"), "Direct", "Software")
			e.writeRaw(strings.Replace(readFile(t, e.cfg), "[listener]", "[listener]\nbogus = 1", 1))
		}},
		{"JwtSvid", func() { e.write(e.socket("three.sock"), "JwtSvid", "Software") }},
		{"unknown provider", func() { e.write(e.socket("three.sock"), "Direct", "Pkcs11") }},
		{"socket path is a regular file", func() { e.write(blocker, "Direct", "Software") }},
		{"missing file", func() { os.Remove(e.cfg) }},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			tt.breakIt()
			d.Reload(context.Background())
			ping(t, sock2, parsec.AuthUnixPeerCredentials, uidAuth())
			if id := authenticatorID(t, sock2); id != uint32(parsec.AuthUnixPeerCredentials) {
				t.Errorf("authenticator %d, want the old UnixPeerCredentials", id)
			}
			gone(t, e.socket("three.sock"))
		})
	}
	if n := strings.Count(e.logs.String(), "reload failed"); n != len(invalid) {
		t.Errorf("%d reload failures logged, want %d:\n%s", n, len(invalid), e.logs.String())
	}
	if b := readFile(t, blocker); b != "keep" {
		t.Errorf("regular file at the socket path changed: %q", b)
	}

	// Back to Direct on the same socket: the key store was kept across
	// reloads (a bbolt file can be opened only once) and still has k1.
	e.write(sock2, "Direct", "MbedCrypto")
	d.Reload(context.Background())
	if id := authenticatorID(t, sock2); id != uint32(parsec.AuthDirect) {
		t.Errorf("authenticator %d, want Direct", id)
	}
	if got := keyNames(t, sock2, parsec.AuthDirect, app); len(got) != 1 || got[0] != "k1" {
		t.Errorf("keys after reloads %v, want [k1]", got)
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	gone(t, sock2)
	gone(t, sock1)
	if strings.Contains(e.logs.String(), "panic") {
		t.Errorf("logs mention a panic:\n%s", e.logs.String())
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestStartRefusesRootWithoutAllowRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only meaningful as root")
	}
	e := newEnv(t)
	sock := e.socket("p.sock")
	e.write(sock, "Direct", "Software")
	e.writeRaw(strings.Replace(readFile(t, e.cfg), "allow_root = true", "allow_root = false", 1))
	d, err := daemon.Start(context.Background(), e.loader(), slog.New(slog.DiscardHandler), nil)
	if err == nil {
		d.Stop()
		t.Fatal("started as root without allow_root")
	}
	if !strings.Contains(err.Error(), "allow_root") {
		t.Errorf("error %q does not name allow_root", err)
	}
	gone(t, sock)
}

func TestStartFailures(t *testing.T) {
	e := newEnv(t)
	sock := e.socket("p.sock")
	log := slog.New(slog.DiscardHandler)

	e.write(sock, "Direct", "Pkcs11")
	if d, err := daemon.Start(context.Background(), e.loader(), log, nil); err == nil {
		d.Stop()
		t.Error("started with an unavailable provider type")
	}
	gone(t, sock)

	if err := os.WriteFile(sock, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.write(sock, "Direct", "Software")
	if d, err := daemon.Start(context.Background(), e.loader(), log, nil); err == nil {
		d.Stop()
		t.Error("started on a regular file")
	}
	// The key store of the failed start was released: a new start can open it.
	os.Remove(sock)
	d, err := daemon.Start(context.Background(), e.loader(), log, nil)
	if err != nil {
		t.Fatal(err)
	}
	ping(t, sock, parsec.AuthDirect, []byte("a"))
	if err := d.Stop(); err != nil {
		t.Fatal(err)
	}
	gone(t, sock)
}

// A stop signal held before start-up makes Start stop before opening
// anything (ErrStopped, a clean stop); a SIGHUP held during start-up is a
// reload once Run starts.
func TestStartHeldSignals(t *testing.T) {
	e := newEnv(t)
	sock := e.socket("s.sock")
	e.write(sock, "Direct", "Software")
	s := sigs.Catch() // this test process holds its signals from here on
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(s.Reload()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("SIGHUP never held")
		}
		time.Sleep(time.Millisecond)
	}
	log := slog.New(slog.NewTextHandler(e.logs, nil))
	d, err := daemon.Start(context.Background(), e.loader(), log, s)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Run(context.Background()) }()
	for !strings.Contains(e.logs.String(), "configuration reloaded") {
		if time.Now().After(deadline) {
			t.Fatalf("the SIGHUP held during start-up did not reload:\n%s", e.logs)
		}
		time.Sleep(time.Millisecond)
	}
	ping(t, sock, parsec.AuthDirect, []byte("a"))
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	gone(t, sock)
	// The stop signal is still held: a new start stops before anything.
	if _, err := daemon.Start(context.Background(), e.loader(), log, s); !errors.Is(err, daemon.ErrStopped) {
		t.Fatalf("Start with a stop signal held: %v, want ErrStopped", err)
	}
	gone(t, sock)
}
