// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package e2e

// Process lifecycle of the real parsecd: signals, restart, reload,
// sd_notify, socket activation, root refusal, command-line flags, file
// modes and the store lock.

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/parsecd/parsecd/src/client"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/test/tool"
)

// lcWaitLog waits until the daemon's log holds substr at least n times.
func lcWaitLog(t testing.TB, d *Daemon, substr string, n int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for strings.Count(d.Logs(), substr) < n {
		if time.Now().After(deadline) {
			t.Fatalf("parsecd never logged %q %d times; logs:\n%s", substr, n, d.Logs())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// lcSocketGone requires that path no longer exists.
func lcSocketGone(t testing.TB, path string) {
	t.Helper()
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s still exists after the daemon left it (%v)", path, err)
	}
}

// lcRunBin runs parsecd to completion with args and returns its output
// (stdout and stderr together) and exit code.
func lcRunBin(t testing.TB, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, parsecdBin, args...).CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &ee):
		return string(out), ee.ExitCode()
	}
	t.Fatalf("running parsecd %v: %v", args, err)
	return "", 0
}

func lcDigest(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func TestLifecycleStopSignals(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			d := NewDaemon(t, Options{}).Start()
			if _, _, err := d.Client().Ping(context.Background()); err != nil {
				t.Fatal(err)
			}
			d.Signal(sig)
			if err := d.Wait(10 * time.Second); err != nil {
				t.Fatalf("exit after %v: %v", sig, err)
			}
			lcSocketGone(t, d.Socket)
			if !strings.Contains(d.Logs(), "stopped") {
				t.Errorf("no \"stopped\" log line")
			}
		})
	}
}

// Requests being served when SIGTERM arrives are completed before exit.
// Whether a request is still being served when the signal lands depends on
// how fast this machine generates an RSA-4096 key, so the test repeats the
// round (on a restarted daemon) until one was, and fails if none was: it
// must not pass without having watched a request cross the SIGTERM.
func TestLifecycleInFlightDuringStop(t *testing.T) {
	t.Parallel()
	const n, rounds = 2, 4
	d := NewDaemon(t, Options{}).Start()
	ctx := context.Background()
	generated := 0
	for round := 1; ; round++ {
		crossed := inFlightRound(t, d, round, n)
		generated += n
		if crossed {
			break
		}
		if round == rounds {
			t.Fatalf("in %d rounds every RSA-4096 generation finished before SIGTERM: the in-flight case was not exercised", rounds)
		}
		d.Start()
	}
	// The keys were stored: they are there after a restart.
	d.Start()
	keys, err := d.Direct("inflight").ListKeys(ctx)
	if err != nil || len(keys) != generated {
		t.Fatalf("after restart: %d keys, want %d, %v", len(keys), generated, err)
	}
}

// inFlightRound starts n RSA-4096 generations on the running daemon d,
// sends SIGTERM while they run, and checks that each succeeded and the
// daemon exited cleanly. It reports whether a generation finished after
// the signal, i.e. was in flight when it arrived.
func inFlightRound(t *testing.T, d *Daemon, round, n int) bool {
	t.Helper()
	c := d.Direct("inflight")
	ctx := context.Background()
	if _, err := c.Provider(ctx); err != nil { // discovery before the signal
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	done := make([]time.Time, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.GenerateKey(ctx, fmt.Sprintf("rsa4096-%d-%d", round, i), rsaSignAttrs(4096))
			done[i] = time.Now()
		}()
	}
	time.Sleep(200 * time.Millisecond) // let the daemon accept both
	signalled := time.Now()
	d.Signal(syscall.SIGTERM)
	wg.Wait()
	if err := d.Wait(60 * time.Second); err != nil {
		t.Fatalf("round %d: exit after SIGTERM with requests in flight: %v", round, err)
	}
	for i, err := range errs {
		if err != nil {
			t.Errorf("round %d: GenerateKey %d in flight during SIGTERM failed: %v", round, i, err)
		}
	}
	return slices.ContainsFunc(done, func(tm time.Time) bool { return tm.After(signalled) })
}

// Keys, and the signatures they make, survive a restart on the same store.
func TestLifecycleRestartKeepsKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := NewDaemon(t, Options{}).Start()
	c := d.Direct("restart-app")
	if err := c.GenerateKey(ctx, "ecc", eccSignAttrs()); err != nil {
		t.Fatal(err)
	}
	if err := c.GenerateKey(ctx, "rsa", rsaSignAttrs(2048)); err != nil {
		t.Fatal(err)
	}
	eccPub, err := c.ExportPublicKey(ctx, "ecc")
	if err != nil {
		t.Fatal(err)
	}
	rsaPub, err := c.ExportPublicKey(ctx, "rsa")
	if err != nil {
		t.Fatal(err)
	}
	d.Stop()
	lcSocketGone(t, d.Socket)
	d.Start()
	c = d.Direct("restart-app")
	keys, err := c.ListKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, k := range keys {
		names = append(names, k.Name)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"ecc", "rsa"}) {
		t.Fatalf("keys after restart: %v", names)
	}
	digest := lcDigest("signed after a restart")
	sig, err := c.SignHash(ctx, "ecc", eccAlg, digest)
	if err != nil {
		t.Fatal(err)
	}
	if !verifyP256(parseP256(t, eccPub), digest, sig) {
		t.Errorf("ECDSA signature made after the restart does not verify with the key exported before")
	}
	sig, err = c.SignHash(ctx, "rsa", rsaAlg, digest)
	if err != nil {
		t.Fatal(err)
	}
	if err := rsa.VerifyPKCS1v15(parseRSAPub(t, rsaPub), crypto.SHA256, digest, sig); err != nil {
		t.Errorf("RSA signature made after the restart does not verify with the key exported before: %v", err)
	}
	if got, err := c.ExportPublicKey(ctx, "ecc"); err != nil || !bytes.Equal(got, eccPub) {
		t.Errorf("ECC public key changed across the restart (%v)", err)
	}
	// Another application still sees none of them.
	if keys, err := d.Direct("someone-else").ListKeys(ctx); err != nil || len(keys) != 0 {
		t.Errorf("another application sees %d keys (%v)", len(keys), err)
	}
}

// SIGHUP rebuilds the service from the rewritten config without dropping
// a request; a broken config is refused and the running one kept.
func TestLifecycleReload(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := NewDaemon(t, Options{}).Start()
	app := d.Direct("app")
	admin := d.Direct("admin")
	if err := app.GenerateKey(ctx, "reload-k", eccSignAttrs()); err != nil {
		t.Fatal(err)
	}
	pub, err := app.ExportPublicKey(ctx, "reload-k")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.ListClients(ctx); status.CodeOf(err) != status.AdminOperation {
		t.Fatalf("ListClients before the reload: %v, want AdminOperation", err)
	}
	big := bytes.Repeat([]byte{'x'}, 2000)
	if _, err := app.HashCompute(ctx, psa.HashSHA256, big); err != nil {
		t.Fatalf("2000-byte HashCompute under the default body limit: %v", err)
	}

	// Four clients hammer the daemon during three reloads.
	var stop atomic.Bool
	var ok atomic.Int64
	var wg sync.WaitGroup
	failures := make(chan error, 100)
	digest := lcDigest("hammer")
	pubKey := parseP256(t, pub)
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := d.Direct("app")
			for j := 0; !stop.Load(); j++ {
				var err error
				if (i+j)%2 == 0 {
					_, _, err = c.Ping(ctx)
				} else {
					var sig []byte
					sig, err = c.SignHash(ctx, "reload-k", eccAlg, digest)
					if err == nil && !verifyP256(pubKey, digest, sig) {
						err = errors.New("bad signature")
					}
				}
				if err != nil {
					select {
					case failures <- fmt.Errorf("client %d request %d: %w", i, j, err):
					default:
					}
					continue
				}
				ok.Add(1)
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	d.WriteConfig(Options{Admins: []string{"admin"}, Core: "body_len_limit = 1024"})
	for i := 1; i <= 3; i++ {
		before := ok.Load()
		d.Signal(syscall.SIGHUP)
		lcWaitLog(t, d, "configuration reloaded", i)
		// Wait until the hammer made progress on the new configuration.
		for deadline := time.Now().Add(10 * time.Second); ok.Load() < before+8 && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
	}
	stop.Store(true)
	wg.Wait()
	close(failures)
	for err := range failures {
		t.Errorf("request failed during reload: %v", err)
	}
	if ok.Load() < 20 {
		t.Errorf("only %d hammer requests succeeded", ok.Load())
	}

	// The new configuration is in force.
	clients, err := admin.ListClients(ctx)
	if err != nil || !slices.Contains(clients, "app") {
		t.Errorf("ListClients by the new admin: %v %v", clients, err)
	}
	if _, err := app.HashCompute(ctx, psa.HashSHA256, big); status.CodeOf(err) != status.BodySizeExceedsLimit {
		t.Errorf("2000-byte HashCompute after body_len_limit = 1024: %v, want BodySizeExceedsLimit", err)
	}
	if _, err := app.HashCompute(ctx, psa.HashSHA256, big[:900]); err != nil {
		t.Errorf("900-byte HashCompute after the reload: %v", err)
	}

	// A new socket path: the new socket answers, the old file is gone.
	oldSock := d.Socket
	newSock := filepath.Join(d.Dir, "run2", "new.sock")
	d.WriteConfig(Options{Admins: []string{"admin"}, Core: "body_len_limit = 1024", Socket: newSock})
	d.Signal(syscall.SIGHUP)
	lcWaitLog(t, d, "configuration reloaded", 4)
	d.Socket = newSock
	lcSocketGone(t, oldSock)
	app = d.Direct("app")
	if _, _, err := app.Ping(ctx); err != nil {
		t.Fatalf("Ping on the new socket: %v", err)
	}
	keys, err := app.ListKeys(ctx)
	if err != nil || len(keys) != 1 || keys[0].Name != "reload-k" {
		t.Fatalf("keys after the reloads: %+v %v", keys, err)
	}
	sig, err := app.SignHash(ctx, "reload-k", eccAlg, digest)
	if err != nil || !verifyP256(parseP256(t, pub), digest, sig) {
		t.Fatalf("signing with the surviving key: %v", err)
	}

	// A broken config is refused; the daemon keeps the running one.
	if err := os.WriteFile(d.Config, []byte("[core_settings\nallow_root = true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d.Signal(syscall.SIGHUP)
	lcWaitLog(t, d, "reload failed", 1)
	if !regexp.MustCompile(`level=ERROR[^\n]*reload failed`).MatchString(d.Logs()) {
		t.Errorf("the failed reload is not logged as an error:\n%s", d.Logs())
	}
	if _, _, err := app.Ping(ctx); err != nil {
		t.Errorf("Ping after a failed reload: %v", err)
	}
	if _, err := d.Direct("admin").ListClients(ctx); err != nil {
		t.Errorf("admin lost after a failed reload: %v", err)
	}
	if _, err := app.HashCompute(ctx, psa.HashSHA256, big); status.CodeOf(err) != status.BodySizeExceedsLimit {
		t.Errorf("body limit lost after a failed reload: %v", err)
	}
	if _, err := os.Lstat(newSock); err != nil {
		t.Errorf("socket after a failed reload: %v", err)
	}
	d.Stop()
	lcSocketGone(t, newSock)
}

// lcNotifyListener listens on a unixgram socket for sd_notify messages.
func lcNotifyListener(t *testing.T, dir string) (*net.UnixConn, string) {
	t.Helper()
	path := filepath.Join(dir, "notify.sock")
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln, path
}

func lcExpectNotify(t *testing.T, ln *net.UnixConn, want string) {
	t.Helper()
	buf := make([]byte, 256)
	_ = ln.SetReadDeadline(time.Now().Add(15 * time.Second))
	n, _, err := ln.ReadFromUnix(buf)
	if err != nil {
		t.Fatalf("waiting for sd_notify %q: %v", want, err)
	}
	if got := string(buf[:n]); got != want {
		t.Fatalf("sd_notify: got %q, want %q", got, want)
	}
}

func TestLifecycleSdNotify(t *testing.T) {
	t.Parallel()
	d := NewDaemon(t, Options{})
	ln, path := lcNotifyListener(t, d.Dir)
	d.Env = []string{"NOTIFY_SOCKET=" + path}
	d.Start()
	lcExpectNotify(t, ln, "STATUS=starting") // signals are held from here
	lcExpectNotify(t, ln, "READY=1")
	d.Signal(syscall.SIGHUP)
	lcExpectNotify(t, ln, "RELOADING=1")
	lcExpectNotify(t, ln, "READY=1")
	if _, _, err := d.Client().Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	d.Stop()
	lcExpectNotify(t, ln, "STOPPING=1")
}

// lcStartActivated runs parsecd with ln passed as fd 3 by the systemd
// socket-activation protocol (LISTEN_FDS=1, LISTEN_PID = parsecd's pid,
// which a shell sets just before exec'ing it). The test's copy of the
// listener is closed once parsecd holds it.
func lcStartActivated(t *testing.T, d *Daemon, ln *net.UnixListener) {
	t.Helper()
	ln.SetUnlinkOnClose(false)
	f, err := ln.File()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(tool.Path(t, "sh"), "-c", `LISTEN_PID=$$ exec "$0" "$@"`, parsecdBin, "-c", d.Config)
	cmd.Env = append(append(os.Environ(), "LISTEN_FDS=1"), d.Env...)
	cmd.ExtraFiles = []*os.File{f}
	logs := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = syncWriter{&d.mu, logs}, syncWriter{&d.mu, logs}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	ln.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	d.mu.Lock()
	d.cmd, d.logs, d.done = cmd, logs, done
	d.mu.Unlock()
}

func TestLifecycleSocketActivation(t *testing.T) {
	t.Parallel()
	d := NewDaemon(t, Options{})
	passed := filepath.Join(d.Dir, "activated.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: passed, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	lcStartActivated(t, d, ln)
	c, err := client.New(client.WithEndpoint("unix:"+passed), client.WithTimeout(15*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if maj, min, err := c.Ping(ctx); err != nil || maj != 1 || min != 0 {
		t.Fatalf("Ping on the activated socket: %d.%d %v\n%s", maj, min, err, d.Logs())
	}
	dc := d.Client(client.WithEndpoint("unix:"+passed), client.WithAuth(client.DirectAuth("act")))
	if err := dc.GenerateKey(ctx, "k", eccSignAttrs()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(d.Socket); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("parsecd created its configured socket %s although it was given one (%v)", d.Socket, err)
	}
	// A reload keeps serving on the passed socket.
	d.Signal(syscall.SIGHUP)
	lcWaitLog(t, d, "configuration reloaded", 1)
	if _, err := dc.ExportPublicKey(ctx, "k"); err != nil {
		t.Errorf("after a reload: %v", err)
	}
	d.Stop()
	fi, err := os.Lstat(passed)
	if err != nil || fi.Mode().Type() != fs.ModeSocket {
		t.Errorf("the passed socket file was not left in place on exit: %v", err)
	}
}

// Root needs allow_root (or --allow-root).
func TestLifecycleRefuseRoot(t *testing.T) {
	RequireRoot(t, "refusing to run as root")
	t.Parallel()
	d := NewDaemon(t, Options{NoAllowRot: true})
	if err := d.TryStart(); err == nil {
		t.Fatal("parsecd started as root without allow_root")
	} else if !ExitedEarly(err) {
		t.Fatalf("start: %v (want a non-zero exit)", err)
	}
	want := fmt.Sprintf("parsecd: refusing to run as root: set allow_root = true in [core_settings] of %s, or pass --allow-root, if you really mean it", d.Config)
	if logs := d.Logs(); !strings.HasPrefix(logs, want) || strings.Count(logs, "\n") != 1 {
		t.Errorf("the refusal should be one line starting %q:\n%s", want, logs)
	}
	// Without a config file (the embedded default) there is no file to
	// edit: the refusal names --allow-root only. Nothing is created first.
	if _, err := os.Stat("/etc/parsec/config.toml"); err == nil {
		t.Fatal("/etc/parsec/config.toml exists: parsecd would read it instead of its embedded default, which this test checks")
	}
	out, code := lcRunBin(t)
	if wantDefault := "parsecd: refusing to run as root: start parsecd with --allow-root if you really mean it (a dedicated user such as \"parsec\" is safer)\n"; code != 1 || out != wantDefault {
		t.Errorf("root on the embedded default: exit %d, output %q; want 1 and %q", code, out, wantDefault)
	}
	d.Start("--allow-root")
	if _, _, err := d.Client().Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestLifecycleCommandLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.toml")
	text := Config(Options{Socket: filepath.Join(dir, "s.sock"), Store: filepath.Join(dir, "k.db")})
	if err := os.WriteFile(good, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, code := lcRunBin(t, "--check-config", "-c", good); code != 0 {
		t.Errorf("--check-config on a good file: exit %d\n%s", code, out)
	}
	// An unknown key on line 3 is reported with the file and the line.
	lines := strings.Split(text, "\n")
	lines = slices.Insert(lines, 2, "no_such_setting = 1")
	bad := filepath.Join(dir, "bad.toml")
	if err := os.WriteFile(bad, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code := lcRunBin(t, "--check-config", "-c", bad)
	if code == 0 || !strings.Contains(out, bad+":3:") || !strings.Contains(out, "no_such_setting") {
		t.Errorf("--check-config on a bad file: exit %d, output %q (want %s:3: and the key)", code, out, bad)
	}
	// A syntax error names its line too.
	syntax := filepath.Join(dir, "syntax.toml")
	if err := os.WriteFile(syntax, []byte("[core_settings]\nallow_root = true\nlog_level = \n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, code := lcRunBin(t, "--check-config", "-c", syntax); code == 0 || !strings.Contains(out, syntax+":3") {
		t.Errorf("--check-config on a syntax error: exit %d, output %q", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "s.sock")); err == nil {
		t.Errorf("--check-config created the socket")
	}
	out, code = lcRunBin(t, "--version")
	if code != 0 || !regexp.MustCompile(`(?m)^parsecd \S+`).MatchString(out) {
		t.Errorf("--version: exit %d, output %q", code, out)
	}
}

// A non-socket file at the socket path is never removed.
func TestLifecycleSocketPathIsAFile(t *testing.T) {
	t.Parallel()
	d := NewDaemon(t, Options{})
	if err := os.MkdirAll(filepath.Dir(d.Socket), 0o755); err != nil {
		t.Fatal(err)
	}
	content := []byte("precious data, not a socket\n")
	if err := os.WriteFile(d.Socket, content, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := d.TryStart(); err == nil || !ExitedEarly(err) {
		t.Fatalf("parsecd over a regular file: %v (want a non-zero exit)", err)
	}
	if !strings.Contains(d.Logs(), "not a socket") {
		t.Errorf("unclear message:\n%s", d.Logs())
	}
	got, err := os.ReadFile(d.Socket)
	if err != nil || !bytes.Equal(got, content) {
		t.Errorf("the file at the socket path was changed: %q %v", got, err)
	}
}

func TestLifecycleFileModes(t *testing.T) {
	t.Parallel()
	d := NewDaemon(t, Options{}).Start()
	if err := d.Direct("modes").GenerateKey(context.Background(), "k", eccSignAttrs()); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		want fs.FileMode
		typ  fs.FileMode
	}{
		{d.Opts.Store, 0o600, 0},
		{filepath.Dir(d.Opts.Store), 0o700, fs.ModeDir},
		{d.Socket, 0o666, fs.ModeSocket},
	} {
		fi, err := os.Lstat(c.path)
		if err != nil {
			t.Errorf("%s: %v", c.path, err)
			continue
		}
		if fi.Mode().Perm() != c.want || fi.Mode().Type() != c.typ {
			t.Errorf("%s: mode %v, want %v%v", c.path, fi.Mode(), c.typ, c.want)
		}
	}
}

// Two daemons cannot share a store.
func TestLifecycleStoreLocked(t *testing.T) {
	t.Parallel()
	first := NewDaemon(t, Options{}).Start()
	second := NewDaemon(t, Options{Store: first.Opts.Store})
	if second.Socket == first.Socket {
		t.Fatal("the daemons must use distinct sockets")
	}
	if err := second.TryStart(); err == nil || !ExitedEarly(err) {
		t.Fatalf("a second parsecd on a store in use: %v (want a non-zero exit)", err)
	}
	// Once, naming the store and the pid that holds it.
	want := fmt.Sprintf("parsecd: opening key store \"store\": key store %s is locked by process %d: is another parsecd running with this store?\n", first.Opts.Store, first.cmd.Process.Pid)
	if logs := second.Logs(); !strings.HasSuffix(logs, want) || strings.Count(logs, "is another parsecd running") != 1 || strings.Count(logs, "parsecd: ") != 1 {
		t.Errorf("the failure should be one line saying %q:\n%s", want, logs)
	}
	if _, err := os.Lstat(second.Socket); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the failed daemon left a socket behind: %v", err)
	}
	if _, _, err := first.Client().Ping(context.Background()); err != nil {
		t.Errorf("the first daemon stopped answering: %v", err)
	}
}

// A second parsecd on the socket of a running one, with another key store,
// refuses to start: it names the socket and the pid listening there, exits
// non-zero, leaves the socket and opens nothing; the first one serves on.
func TestLifecycleLiveSocketRefused(t *testing.T) {
	t.Parallel()
	first := NewDaemon(t, Options{}).Start()
	second := NewDaemon(t, Options{Socket: first.Socket})
	if second.Opts.Store == first.Opts.Store {
		t.Fatal("the daemons must use distinct stores")
	}
	before, err := os.Lstat(first.Socket)
	if err != nil {
		t.Fatal(err)
	}
	out, code := lcRunBin(t, "-c", second.Config)
	if code == 0 {
		t.Fatalf("a second parsecd on a live socket exited 0:\n%s", out)
	}
	want := fmt.Sprintf("another service (pid %d) is listening on %s: refusing to take over its socket (is another parsecd running?", first.cmd.Process.Pid, first.Socket)
	if !strings.Contains(out, want) || strings.Count(out, "refusing") != 1 {
		t.Errorf("the refusal should say once %q:\n%s", want, out)
	}
	if _, err := os.Stat(second.Opts.Store); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the refused daemon created its key store: %v", err)
	}
	after, err := os.Lstat(first.Socket)
	if err != nil || !os.SameFile(before, after) {
		t.Fatalf("the first daemon's socket was replaced or removed (%v)", err)
	}
	if _, _, err := first.Client().Ping(context.Background()); err != nil {
		t.Fatalf("the first daemon stopped answering: %v", err)
	}
	// Same socket and same store: the socket is what is named.
	third := NewDaemon(t, Options{Socket: first.Socket, Store: first.Opts.Store})
	if out, code := lcRunBin(t, "-c", third.Config); code == 0 || !strings.Contains(out, want) {
		t.Errorf("same socket and store: exit %d, want non-zero and %q:\n%s", code, want, out)
	}
	// A reload onto a live socket is refused and the daemon keeps its own.
	other := NewDaemon(t, Options{}).Start()
	other.WriteConfig(Options{Socket: first.Socket})
	other.Signal(syscall.SIGHUP)
	lcWaitLog(t, other, "reload failed, keeping the running configuration", 1)
	if !strings.Contains(other.Logs(), "is listening on "+first.Socket) {
		t.Errorf("the failed reload does not name the live socket:\n%s", other.Logs())
	}
	for _, d := range []*Daemon{first, other} {
		if _, _, err := d.Client().Ping(context.Background()); err != nil {
			t.Errorf("%s stopped answering: %v", d.Socket, err)
		}
	}
	first.Stop()
	lcSocketGone(t, first.Socket)
}

// A stale socket (its daemon was killed) is replaced.
func TestLifecycleStaleSocketReplaced(t *testing.T) {
	t.Parallel()
	d := NewDaemon(t, Options{}).Start()
	d.Signal(syscall.SIGKILL)
	_ = d.Wait(10 * time.Second)
	if fi, err := os.Lstat(d.Socket); err != nil || fi.Mode().Type() != fs.ModeSocket {
		t.Fatalf("SIGKILL should leave the socket behind: %v", err)
	}
	d.Start()
	if _, _, err := d.Client().Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// Two parsecd started at the same moment on one socket path (stale socket
// or none): one serves, the other refuses and exits non-zero; neither
// replaces the other's socket (the socket path's lock).
func TestLifecycleSimultaneousStarts(t *testing.T) {
	t.Parallel()
	const rounds = 12
	for round := range rounds {
		a := NewDaemon(t, Options{})
		b := NewDaemon(t, Options{Socket: a.Socket})
		if round%2 == 1 { // a stale socket left by a killed daemon
			a.Start()
			a.Signal(syscall.SIGKILL)
			_ = a.Wait(10 * time.Second)
		}
		type result struct {
			d    *Daemon
			cmd  *exec.Cmd
			out  *bytes.Buffer
			done chan error
		}
		var rs []*result
		for _, d := range []*Daemon{a, b} {
			r := &result{d: d, cmd: exec.Command(parsecdBin, "-c", d.Config), out: &bytes.Buffer{}, done: make(chan error, 1)}
			mu := &sync.Mutex{}
			r.cmd.Stdout, r.cmd.Stderr = syncWriter{mu, r.out}, syncWriter{mu, r.out}
			rs = append(rs, r)
		}
		for _, r := range rs {
			if err := r.cmd.Start(); err != nil {
				t.Fatal(err)
			}
			go func() { r.done <- r.cmd.Wait() }()
		}
		// The loser exits; the winner serves until stopped.
		var winner, loser *result
		select {
		case err := <-rs[0].done:
			winner, loser = rs[1], rs[0]
			loser.done <- err
		case err := <-rs[1].done:
			winner, loser = rs[0], rs[1]
			loser.done <- err
		case <-time.After(20 * time.Second):
			t.Fatalf("round %d: both parsecd still run on one socket", round)
		}
		if err := <-loser.done; err == nil || !strings.Contains(loser.out.String(), "refusing to take over") {
			t.Fatalf("round %d: the second parsecd ended with %v, want a refusal:\n%s", round, err, loser.out)
		}
		c, err := client.New(client.WithEndpoint("unix:"+a.Socket), client.WithTimeout(10*time.Second), client.WithAuth(client.DirectAuth("sim")))
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			if _, err := c.ListKeys(context.Background()); err == nil {
				break
			} else if time.Now().After(deadline) {
				t.Fatalf("round %d: the winner does not serve: %v\n%s", round, err, winner.out)
			}
			time.Sleep(10 * time.Millisecond)
		}
		// The socket is the winner's: its store is the one that exists.
		if _, err := os.Stat(loser.d.Opts.Store); err == nil && round%2 == 0 {
			t.Errorf("round %d: the refused parsecd created its store", round)
		}
		_ = winner.cmd.Process.Signal(syscall.SIGTERM)
		if err := <-winner.done; err != nil {
			t.Fatalf("round %d: the winner ended with %v:\n%s", round, err, winner.out)
		}
		lcSocketGone(t, a.Socket)
	}
}
