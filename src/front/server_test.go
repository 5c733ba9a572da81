// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package front_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/parsecd/parsecd/src/auth"
	"github.com/parsecd/parsecd/src/front"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/src/wire"
	"github.com/parsecd/parsecd/test/tool"
)

// handlerFunc adapts a function to front.Handler.
type handlerFunc func(ctx context.Context, req *wire.Request, peer *auth.PeerCred) *wire.Response

func (f handlerFunc) Handle(ctx context.Context, req *wire.Request, peer *auth.PeerCred) *wire.Response {
	return f(ctx, req, peer)
}

// pong answers every request with Success and body.
func pong(body string) front.Handler {
	return handlerFunc(func(_ context.Context, req *wire.Request, _ *auth.PeerCred) *wire.Response {
		return wire.ReplyTo(req, status.Success, []byte(body))
	})
}

type server struct {
	path string
	srv  *front.Server
}

func gen(h front.Handler, timeout time.Duration, bodyLimit uint32) *front.Generation {
	return &front.Generation{Handler: h, Settings: front.Settings{Timeout: timeout, Limits: wire.Limits{BodyLen: bodyLimit}}}
}

// start serves g on a new socket in a temporary directory until the test ends.
func start(t *testing.T, g *front.Generation, pool int) *server {
	t.Helper()
	path := filepath.Join(t.TempDir(), "p.sock")
	ln, activated, err := front.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	if activated {
		t.Fatal("activated without LISTEN_FDS")
	}
	srv := front.NewServer(g, pool, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		ln.Close()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		srv.Wait()
	})
	return &server{path: path, srv: srv}
}

func ping(session uint64) []byte {
	b, err := wire.EncodeRequest(&wire.Request{Header: wire.Header{Opcode: parsec.OpPing, Session: session}})
	if err != nil {
		panic(err)
	}
	return b
}

// exchange connects, writes req (from a goroutine, so that a server that
// stops reading cannot block the test) and reads everything up to EOF.
func exchange(t *testing.T, path string, req []byte) ([]byte, error) {
	t.Helper()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	go func() { _, _ = c.Write(req) }()
	return io.ReadAll(c)
}

// reply parses exactly one response frame and nothing after it.
func reply(t *testing.T, b []byte) *wire.Response {
	t.Helper()
	r := bytes.NewReader(b)
	resp, err := wire.ReadResponse(r, 0)
	if err != nil {
		t.Fatalf("reply %x: %v", b, err)
	}
	if r.Len() != 0 {
		t.Fatalf("%d bytes after the response", r.Len())
	}
	return resp
}

func TestOneRequestPerConnection(t *testing.T) {
	var peers []auth.PeerCred
	var mu sync.Mutex
	h := handlerFunc(func(_ context.Context, req *wire.Request, peer *auth.PeerCred) *wire.Response {
		mu.Lock()
		peers = append(peers, *peer)
		mu.Unlock()
		return wire.ReplyTo(req, status.Success, []byte{8, 1})
	})
	s := start(t, gen(h, time.Second, wire.DefaultBodyLimit), 4)
	for i := range 3 {
		b, err := exchange(t, s.path, ping(uint64(i+7)))
		if err != nil {
			t.Fatalf("reading to EOF: %v", err)
		}
		resp := reply(t, b)
		if resp.Header.Status != status.Success || resp.Header.Session != uint64(i+7) || !bytes.Equal(resp.Body, []byte{8, 1}) {
			t.Errorf("response %+v %x", resp.Header, resp.Body)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(peers) != 3 {
		t.Fatalf("handler called %d times", len(peers))
	}
	for _, p := range peers {
		if p.UID != uint32(os.Getuid()) || p.GID != uint32(os.Getgid()) || p.PID != int32(os.Getpid()) {
			t.Errorf("peer %+v, want uid %d gid %d pid %d", p, os.Getuid(), os.Getgid(), os.Getpid())
		}
	}
}

// Malformed requests get the default header and the client reads the reply
// and then a clean EOF, however much it sent that the server never read.
func TestMalformedRequestsGetDefaultReply(t *testing.T) {
	var called atomic.Int32
	h := handlerFunc(func(_ context.Context, req *wire.Request, _ *auth.PeerCred) *wire.Response {
		called.Add(1)
		return wire.ReplyTo(req, status.Success, nil)
	})
	s := start(t, gen(h, 200*time.Millisecond, 64), 4)
	edit := func(f func([]byte), tail []byte) []byte {
		b := ping(5)
		f(b)
		return append(b, tail...)
	}
	tests := []struct {
		name string
		req  []byte
		want status.Code
	}{
		{"bad magic then 1000 bytes", edit(func(b []byte) { b[0] = 0 }, bytes.Repeat([]byte{0xAA}, 1000)), status.InvalidHeader},
		{"body too large then partial body", edit(func(b []byte) { binary.LittleEndian.PutUint32(b[22:], 65) }, make([]byte, 40)), status.BodySizeExceedsLimit},
		{"body too large then 30000 bytes", edit(func(b []byte) { binary.LittleEndian.PutUint32(b[22:], 1<<20) }, make([]byte, 30000)), status.BodySizeExceedsLimit},
		{"version 2.0 then junk", edit(func(b []byte) { b[6] = 2 }, []byte("junk")), status.WireProtocolVersionNotSupported},
		{"reserved", edit(func(b []byte) { b[35] = 1 }, nil), status.InvalidHeader},
		{"unknown opcode", edit(func(b []byte) { b[28] = 0x1D }, nil), status.OpcodeDoesNotExist},
		{"unknown provider", edit(func(b []byte) { b[10] = 9 }, nil), status.ProviderDoesNotExist},
		{"content type", edit(func(b []byte) { b[19] = 1 }, nil), status.ContentTypeNotSupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := exchange(t, s.path, tt.req)
			if err != nil {
				t.Fatalf("reading to EOF: %v (got %x)", err, b)
			}
			want := wire.EncodeResponse(wire.DefaultResponse(tt.want))
			if !bytes.Equal(b, want) {
				t.Errorf("reply %x\nwant  %x", b, want)
			}
		})
	}
	if n := called.Load(); n != 0 {
		t.Errorf("handler called %d times for malformed requests", n)
	}
}

// facts §1.4 step 6 (e2e invalid_body_len / invalid_auth_len): a header that
// announces bytes which never come is answered with 15 after the timeout.
func TestAnnouncedBytesNeverSent(t *testing.T) {
	s := start(t, gen(pong(""), 100*time.Millisecond, wire.DefaultBodyLimit), 4)
	body := ping(1)
	binary.LittleEndian.PutUint32(body[22:], 0xFFFF)
	authReq := ping(1)
	authReq[21] = 1
	binary.LittleEndian.PutUint16(authReq[26:], 0xFFFF)
	for name, req := range map[string][]byte{"body": body, "auth": authReq} {
		t.Run(name, func(t *testing.T) {
			c, err := net.Dial("unix", s.path)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := c.Write(req); err != nil {
				t.Fatal(err)
			}
			// Keep the connection open without sending: the server's read timeout fires.
			b, err := io.ReadAll(c)
			if err != nil {
				t.Fatalf("reading to EOF: %v", err)
			}
			if want := wire.EncodeResponse(wire.DefaultResponse(status.ConnectionError)); !bytes.Equal(b, want) {
				t.Errorf("reply %x\nwant  %x", b, want)
			}
		})
	}
}

// event records the order in which things happened.
type eventLog struct {
	mu sync.Mutex
	ev []string
}

func (l *eventLog) add(e string) {
	l.mu.Lock()
	l.ev = append(l.ev, e)
	l.mu.Unlock()
}

func (l *eventLog) events() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.ev)
}

func TestPoolBound(t *testing.T) {
	var log eventLog
	entered := make(chan uint64, 3)
	release := make(chan struct{})
	var active, maxActive atomic.Int32
	h := handlerFunc(func(_ context.Context, req *wire.Request, _ *auth.PeerCred) *wire.Response {
		n := active.Add(1)
		for {
			m := maxActive.Load()
			if n <= m || maxActive.CompareAndSwap(m, n) {
				break
			}
		}
		log.add("enter " + strconv.FormatUint(req.Header.Session, 10))
		entered <- req.Header.Session
		<-release
		log.add("exit " + strconv.FormatUint(req.Header.Session, 10))
		active.Add(-1)
		return wire.ReplyTo(req, status.Success, nil)
	})
	s := start(t, gen(h, 10*time.Second, wire.DefaultBodyLimit), 2)
	results := make(chan error, 3)
	for i := uint64(1); i <= 3; i++ {
		go func() {
			b, err := exchange(t, s.path, ping(i))
			if err == nil {
				if resp := reply(t, b); resp.Header.Session != i {
					err = errors.New("wrong session in reply")
				}
			}
			results <- err
		}()
	}
	first := []uint64{<-entered, <-entered}
	// The third request is connected (or about to be) but must not be
	// handled while two are in flight. Give it every chance to slip in.
	time.Sleep(100 * time.Millisecond)
	select {
	case s := <-entered:
		t.Fatalf("request %d handled while %v were in flight with a pool of 2", s, first)
	default:
	}
	log.add("release")
	close(release)
	third := <-entered
	for range 3 {
		if err := <-results; err != nil {
			t.Error(err)
		}
	}
	if m := maxActive.Load(); m != 2 {
		t.Errorf("max concurrent handlers %d, want 2", m)
	}
	ev := log.events()
	thirdEnter := slices.Index(ev, "enter "+strconv.FormatUint(third, 10))
	firstExit := slices.IndexFunc(ev, func(e string) bool { return strings.HasPrefix(e, "exit ") })
	if thirdEnter < 0 || firstExit < 0 || thirdEnter < firstExit || slices.Index(ev, "release") > firstExit {
		t.Errorf("events out of order: %v", ev)
	}
}

func TestSwapWaitsForInflight(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	old := handlerFunc(func(_ context.Context, req *wire.Request, _ *auth.PeerCred) *wire.Response {
		if req.Header.Session == 1 {
			close(entered)
			<-release
		}
		return wire.ReplyTo(req, status.Success, []byte("gen1"))
	})
	s := start(t, gen(old, 10*time.Second, wire.DefaultBodyLimit), 4)
	inflight := make(chan []byte, 1)
	go func() {
		b, err := exchange(t, s.path, ping(1))
		if err != nil {
			t.Errorf("in-flight request: %v", err)
		}
		inflight <- b
	}()
	<-entered

	var log eventLog
	swapped := make(chan *front.Generation)
	g2 := gen(pong("gen2"), 10*time.Second, wire.DefaultBodyLimit)
	go func() {
		o := s.srv.Swap(g2, 4)
		log.add("swapped")
		swapped <- o
	}()
	// New connections go to the new generation as soon as it is installed…
	for {
		b, err := exchange(t, s.path, ping(2))
		if err != nil {
			t.Fatal(err)
		}
		if string(reply(t, b).Body) == "gen2" {
			break
		}
	}
	// …while Swap still waits for the old generation's request.
	select {
	case <-swapped:
		t.Fatal("Swap returned while a request of the old generation was in flight")
	default:
	}
	log.add("released")
	close(release)
	o := <-swapped
	if o.Handler == nil || o == g2 {
		t.Error("Swap did not return the old generation")
	}
	if got := string(reply(t, <-inflight).Body); got != "gen1" {
		t.Errorf("in-flight request answered by %q", got)
	}
	if ev := log.events(); !slices.Equal(ev, []string{"released", "swapped"}) {
		t.Errorf("events %v", ev)
	}
}

func TestPanicDoesNotKillServer(t *testing.T) {
	h := handlerFunc(func(_ context.Context, req *wire.Request, _ *auth.PeerCred) *wire.Response {
		if req.Header.Session == 666 {
			panic("handler bug")
		}
		return wire.ReplyTo(req, status.Success, []byte{8, 1})
	})
	s := start(t, gen(h, time.Second, wire.DefaultBodyLimit), 1)
	b, err := exchange(t, s.path, ping(666))
	if err != nil {
		t.Fatalf("after a panic: %v", err)
	}
	if resp := reply(t, b); resp.Header.Status != status.PsaErrorGenericError || resp.Header.Session != 666 {
		t.Errorf("after a panic: status %v session %d, want PsaErrorGenericError echoing the request", resp.Header.Status, resp.Header.Session)
	}
	// Pool size 1: the slot of the panicking request must have been released.
	for i := range 3 {
		b, err := exchange(t, s.path, ping(uint64(i)))
		if err != nil {
			t.Fatal(err)
		}
		if resp := reply(t, b); resp.Header.Status != status.Success {
			t.Errorf("status %v", resp.Header.Status)
		}
	}
}

// ---------------------------------------------------------------------------
// Listen.

func TestListenRefusesRegularFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.sock")
	if err := os.WriteFile(path, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	if ln, _, err := front.Listen(path); err == nil {
		ln.Close()
		t.Fatal("Listen replaced a regular file")
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "precious" {
		t.Errorf("file changed: %q, %v", b, err)
	}
	front.RemoveSocket(path)
	if _, err := os.Stat(path); err != nil {
		t.Errorf("RemoveSocket removed a regular file: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "d.sock")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if ln, _, err := front.Listen(dir); err == nil {
		ln.Close()
		t.Fatal("Listen replaced a directory")
	}
}

func TestListenReplacesStaleSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "dir", "p.sock")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	stale, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	stale.SetUnlinkOnClose(false)
	stale.Close()
	if fi, err := os.Lstat(path); err != nil || fi.Mode().Type() != os.ModeSocket {
		t.Fatalf("no stale socket: %v", err)
	}
	if _, err := net.Dial("unix", path); err == nil {
		t.Fatal("stale socket still accepts")
	}
	ln, _, err := front.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o666 {
		t.Errorf("socket mode %v, want a socket with 0666", fi.Mode())
	}
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatalf("new socket does not accept: %v", err)
	}
	c.Close()
	// Closing the listener leaves the file (a newer listener may own the path)…
	ln.Close()
	if _, err := os.Lstat(path); err != nil {
		t.Errorf("socket file removed on Close: %v", err)
	}
	// …and RemoveSocket deletes it.
	front.RemoveSocket(path)
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("RemoveSocket left %s: %v", path, err)
	}
}

func TestListenCreatesDirectory(t *testing.T) {
	old := syscallUmask(0o077)
	defer syscallUmask(old)
	path := filepath.Join(t.TempDir(), "run", "parsec", "p.sock")
	ln, _, err := front.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o666 {
		t.Errorf("socket mode %v with umask 077, want 0666", fi.Mode().Perm())
	}
}

// ---------------------------------------------------------------------------
// Socket activation (systemd's LISTEN_PID / LISTEN_FDS protocol).

func TestActivationIgnoredForOtherPid(t *testing.T) {
	t.Setenv("LISTEN_PID", strconv.Itoa(os.Getpid()+1))
	t.Setenv("LISTEN_FDS", "1")
	path := filepath.Join(t.TempDir(), "p.sock")
	ln, activated, err := front.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if activated {
		t.Error("used a socket passed to another process")
	}
	if ln.Addr().String() != path {
		t.Errorf("listening on %v", ln.Addr())
	}
}

func TestActivationRefusesTwoSockets(t *testing.T) {
	t.Setenv("LISTEN_PID", strconv.Itoa(os.Getpid()))
	t.Setenv("LISTEN_FDS", "2")
	if ln, _, err := front.Listen(filepath.Join(t.TempDir(), "p.sock")); err == nil {
		ln.Close()
		t.Fatal("accepted two activation sockets")
	}
	if os.Getenv("LISTEN_PID") != "" || os.Getenv("LISTEN_FDS") != "" {
		t.Error("activation variables left in the environment")
	}
}

const activationChildEnv = "PARSECD_FRONT_TEST_ACTIVATION_CHILD"

// TestActivationChild runs only inside the child process of TestActivation,
// where fd 3 is the listening socket and LISTEN_PID is the child's pid.
func TestActivationChild(t *testing.T) {
	want := os.Getenv(activationChildEnv)
	if want == "" {
		t.Skip("helper process for TestActivation")
	}
	ln, activated, err := front.Listen(filepath.Join(t.TempDir(), "unused.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if !activated {
		t.Fatal("socket passed by the parent not used")
	}
	if got := ln.Addr().String(); got != want {
		t.Fatalf("listening on %q, want %q", got, want)
	}
	if os.Getenv("LISTEN_FDS") != "" {
		t.Error("LISTEN_FDS left in the environment")
	}
	// Serve one Ping for the parent.
	srv := front.NewServer(gen(pong("activated"), time.Second, wire.DefaultBodyLimit), 1, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	if _, err := os.Stdout.WriteString("\nCHILD-READY\n"); err != nil {
		t.Fatal(err)
	}
	// The parent closes our stdin once it has its answer.
	_, _ = io.Copy(io.Discard, os.Stdin)
	cancel()
	ln.Close()
	<-done
	srv.Wait()
}

func TestActivation(t *testing.T) {
	if os.Getenv(activationChildEnv) != "" {
		t.Skip("in the helper process")
	}
	sh := tool.Path(t, "sh") // sets LISTEN_PID to the child's pid
	path := filepath.Join(t.TempDir(), "act.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	f, err := ln.File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// sh keeps its pid across exec, so $$ is the test binary's pid.
	cmd := exec.Command(sh, "-c", `LISTEN_PID=$$; LISTEN_FDS=1; export LISTEN_PID LISTEN_FDS; exec "$0" -test.run='^TestActivationChild$' -test.v`, os.Args[0])
	cmd.Env = append(os.Environ(), activationChildEnv+"="+path)
	cmd.ExtraFiles = []*os.File{f} // fd 3
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan bool, 1)
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		buf := make([]byte, 4096)
		signalled := false
		for {
			n, err := stdout.Read(buf)
			out.Write(buf[:n])
			if !signalled && strings.Contains(out.String(), "CHILD-READY") {
				signalled = true
				ready <- true
			}
			if err != nil {
				if !signalled {
					ready <- false
				}
				return
			}
		}
	}()
	ok := <-ready
	if ok {
		b, err := exchange(t, path, ping(3))
		if err != nil {
			t.Error(err)
		} else if got := string(reply(t, b).Body); got != "activated" {
			t.Errorf("answered by %q", got)
		}
	}
	stdin.Close()
	<-readDone
	werr := cmd.Wait()
	if !ok || werr != nil {
		t.Fatalf("child failed (%v):\n%s", werr, out.String())
	}
}

func syscallUmask(mask int) int { return unix.Umask(mask) }

// One socket path, one holder: a second LockSocket is refused at once and
// says which socket it is about; after Release it succeeds.
func TestLockSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.sock")
	l, err := front.LockSocket(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := front.LockSocket(path); err == nil || !strings.Contains(err.Error(), "refusing to take over socket "+path) {
		t.Fatalf("second lock: %v", err)
	}
	l.Release()
	l, err = front.LockSocket(path)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	l.Release()
	var none *front.SocketLock
	none.Release() // nil-safe
}
