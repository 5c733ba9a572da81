// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package front_test

// Issue 13: connections that send nothing, or trickle, must not stall the
// service; one uid's connections are bounded; what clients can provoke at
// will is logged within a bound.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/parsecd/parsecd/src/auth"
	"github.com/parsecd/parsecd/src/front"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/src/wire"
)

// startWith is start with a logger and log rate.
func startWith(t *testing.T, g *front.Generation, pool int, log *slog.Logger, burst int) *server {
	t.Helper()
	path := filepath.Join(t.TempDir(), "p.sock")
	ln, _, err := front.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := front.NewServer(g, pool, log)
	if burst > 0 {
		srv.SetLogRate(burst, time.Hour)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		ln.Close()
		<-done
		srv.Wait()
	})
	return &server{path: path, srv: srv}
}

// dialSend connects and writes b, leaving the connection open.
func dialSend(t *testing.T, path string, b []byte) net.Conn {
	t.Helper()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if len(b) > 0 {
		if _, err := c.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// silent reports whether nothing (not even EOF) arrives on any of cs for a
// while, all watched at once. It can only fail a test that expects silence
// by seeing data or EOF.
func silent(cs ...net.Conn) bool {
	var wg sync.WaitGroup
	quiet := make([]bool, len(cs))
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.SetReadDeadline(time.Now().Add(150 * time.Millisecond))
			var b [1]byte
			_, err := c.Read(b[:])
			_ = c.SetReadDeadline(time.Time{})
			ne, ok := err.(net.Error)
			quiet[i] = ok && ne.Timeout()
		}()
	}
	wg.Wait()
	for _, q := range quiet {
		if !q {
			return false
		}
	}
	return true
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncBuf) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncBuf) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

func (w *syncBuf) count(s string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Count(w.b.String(), s)
}

// Connections that sent one byte, or a header and part of a body, hold no
// execution slot: with a pool of one, a complete request is answered while
// they all still wait for their timeout, and they get their answers after.
func TestIdleConnectionsHoldNoSlot(t *testing.T) {
	s := start(t, gen(pong("served"), 10*time.Second, wire.DefaultBodyLimit), 1)
	partial := ping(1)
	binary.LittleEndian.PutUint32(partial[22:], 1000)
	var idle []net.Conn
	for i := range 40 {
		b := []byte{0x10}
		if i%2 == 1 {
			b = append(partial, 1, 2, 3)
		}
		idle = append(idle, dialSend(t, s.path, b))
	}
	for i := range 5 {
		b, err := exchange(t, s.path, ping(uint64(100+i)))
		if err != nil {
			t.Fatalf("ping %d behind 40 idle connections: %v", i, err)
		}
		if got := string(reply(t, b).Body); got != "served" {
			t.Fatalf("ping answered %q", got)
		}
	}
	// The idle connections are still being read (their timeout is 10 s):
	// none has been answered or closed.
	if !silent(idle...) {
		t.Fatal("an idle connection was answered or closed before its timeout")
	}
}

func TestMalformedRequestLogIsBounded(t *testing.T) {
	var logs syncBuf
	log := slog.New(slog.NewTextHandler(&logs, nil))
	s := startWith(t, gen(pong(""), time.Second, 64), 2, log, 3)
	bad := ping(1)
	bad[0] = 0
	for range 30 {
		if _, err := exchange(t, s.path, bad); err != nil {
			t.Fatal(err)
		}
	}
	tooBig := ping(2)
	binary.LittleEndian.PutUint32(tooBig[22:], 65)
	for range 10 {
		b, err := exchange(t, s.path, tooBig)
		if err != nil {
			t.Fatal(err)
		}
		if reply(t, b).Header.Status != status.BodySizeExceedsLimit {
			t.Fatal("over-limit body not refused")
		}
	}
	if n := logs.count("status=" + status.InvalidHeader.String()); n != 3 {
		t.Errorf("%d log lines for 30 bad magic numbers, want the burst of 3", n)
	}
	if n := logs.count("status=" + status.BodySizeExceedsLimit.String()); n != 3 {
		t.Errorf("%d log lines for 10 over-limit bodies, want 3 (counted apart from bad magic)", n)
	}
}

// One uid gets MaxConnsPerUID connections read at once; the next ones wait
// unread and are served in turn; past HeldPerActive times more (here also
// MaxConns/HeldShare) they are closed at once, and that is logged.
func TestPerUIDCap(t *testing.T) {
	var logs syncBuf
	log := slog.New(slog.NewTextHandler(&logs, nil))
	g := gen(pong("ok"), 10*time.Second, wire.DefaultBodyLimit)
	g.Settings.MaxConnsPerUID = 2
	g.Settings.MaxConns = front.HeldPerActive * 2 * front.HeldShare
	s := startWith(t, g, 4, log, 0)
	a := dialSend(t, s.path, []byte{0x10})
	b := dialSend(t, s.path, []byte{0x10})
	// Every connection of this test is the test's own uid: the third waits.
	waiting := dialSend(t, s.path, ping(3))
	if !silent(waiting) {
		t.Fatal("a third connection of one uid was served with max_connections_per_uid = 2")
	}
	var held []net.Conn
	for range front.HeldPerActive*2 - 1 {
		held = append(held, dialSend(t, s.path, ping(4)))
	}
	refused := dialSend(t, s.path, nil)
	_, _ = refused.Write(ping(5)) // may fail: the server may have closed it already
	_ = refused.SetReadDeadline(time.Now().Add(10 * time.Second))
	if got, err := io.ReadAll(refused); err != nil && !errors.Is(err, syscall.ECONNRESET) || len(got) != 0 {
		t.Errorf("connection over the cap and the queue: read %x, %v; want a close without an answer", got, err)
	}
	if logs.count("max_connections_per_uid=2") == 0 {
		t.Errorf("refusal not logged:\n%s", logs.String())
	}
	// One of the two being read ends: the oldest waiting one is served.
	a.Close()
	_ = waiting.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(waiting)
	if err != nil {
		t.Fatalf("held connection after a slot freed: %v", err)
	}
	if resp := reply(t, got); resp.Header.Session != 3 || string(resp.Body) != "ok" {
		t.Errorf("held connection answered %+v %q", resp.Header, resp.Body)
	}
	// The rest are served in turn as connections end.
	b.Close()
	for i, c := range held {
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		got, err := io.ReadAll(c)
		if err != nil {
			t.Fatalf("held connection %d: %v", i, err)
		}
		if resp := reply(t, got); resp.Header.Session != 4 {
			t.Errorf("held connection %d answered %+v", i, resp.Header)
		}
	}
}

// A held connection whose turn does not come within its wait is closed
// without an answer.
func TestHeldConnectionExpires(t *testing.T) {
	release := make(chan struct{})
	h := handlerFunc(func(_ context.Context, req *wire.Request, _ *auth.PeerCred) *wire.Response {
		if req.Header.Session == 777 {
			<-release
		}
		return wire.ReplyTo(req, status.Success, nil)
	})
	g := gen(h, front.MinHeldWait, wire.DefaultBodyLimit)
	g.Settings.MaxConnsPerUID = 1
	s := startWith(t, g, 1, nil, 0)
	// The uid's only slot is held by a request being executed until release.
	busy := dialSend(t, s.path, ping(777))
	// Enough held connections that expiring them compacts the queue. The
	// listener accepts in connection order: busy has the slot, these wait.
	var waiting []net.Conn
	for i := range 40 {
		waiting = append(waiting, dialSend(t, s.path, ping(uint64(i))))
	}
	for i, c := range waiting {
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if got, _ := io.ReadAll(c); len(got) != 0 {
			t.Errorf("held connection %d answered %x after its wait", i, got)
		}
	}
	close(release)
	_ = busy.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(busy)
	if err != nil || reply(t, got).Header.Session != 777 {
		t.Errorf("busy connection: %x, %v", got, err)
	}
	// The server still serves this uid.
	b, err := exchange(t, s.path, ping(99))
	if err != nil || reply(t, b).Header.Session != 99 {
		t.Fatalf("after expired held connections: %v", err)
	}
}

// MaxConns bounds every uid's connections together; past it a connection is
// closed at once.
func TestMaxConns(t *testing.T) {
	g := gen(pong("ok"), 10*time.Second, wire.DefaultBodyLimit)
	g.Settings.MaxConns = 2
	s := startWith(t, g, 1, nil, 0)
	dialSend(t, s.path, []byte{0x10})
	c := dialSend(t, s.path, []byte{0x10})
	refused := dialSend(t, s.path, nil)
	_, _ = refused.Write(ping(1))
	_ = refused.SetReadDeadline(time.Now().Add(10 * time.Second))
	if got, _ := io.ReadAll(refused); len(got) != 0 {
		t.Errorf("connection over max_connections answered %x", got)
	}
	c.Close()
	// Closing one makes room again (the server notices the close when its read fails).
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := exchange(t, s.path, ping(2))
		if len(b) > 0 {
			if reply(t, b).Header.Session != 2 {
				t.Fatal("wrong answer")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no room after a connection closed")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

const pidChildEnv = "PARSECD_FRONT_TEST_PID_CHILD"

// TestPidFairnessChild runs only inside TestPidFairness's child process: it
// opens connections that each send one byte, prints READY, and closes the
// first one when told to on stdin.
func TestPidFairnessChild(t *testing.T) {
	path := os.Getenv(pidChildEnv)
	if path == "" {
		t.Skip("helper process for TestPidFairness")
	}
	var conns []net.Conn
	for range 12 {
		c, err := net.Dial("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, _ = c.Write([]byte{0x10})
		conns = append(conns, c)
	}
	fmt.Println("\nCHILD-READY")
	in := bufio.NewReader(os.Stdin)
	if line, _ := in.ReadString('\n'); line == "close\n" {
		conns[0].Close()
	}
	_, _ = io.Copy(io.Discard, in) // until the parent is done
}

// A process that fills its uid's share and queue does not make another
// process of the same uid wait behind it: an eighth of the uid's slots is
// kept for other processes, and when a slot frees the held connection of
// the process with the fewest active connections starts first.
func TestPidFairness(t *testing.T) {
	if os.Getenv(pidChildEnv) != "" {
		t.Skip("in the helper process")
	}
	g := gen(pong("ok"), 10*time.Second, wire.DefaultBodyLimit)
	g.Settings.MaxConnsPerUID = 8 // one process may take 7
	s := startWith(t, g, 1, nil, 0)
	cmd := exec.Command(os.Args[0], "-test.run=^TestPidFairnessChild$")
	cmd.Env = append(os.Environ(), pidChildEnv+"="+s.path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); _ = cmd.Wait() }()
	out := bufio.NewReader(stdout)
	for {
		line, err := out.ReadString('\n')
		if err != nil {
			t.Fatalf("child: %v", err)
		}
		if line == "CHILD-READY\n" {
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	// The child has 7 connections being read (its share) and 5 held. Ours
	// takes the slot kept for other processes at once.
	b, err := exchange(t, s.path, ping(41))
	if err != nil || reply(t, b).Header.Session != 41 {
		t.Fatalf("a process of the uid was not served while another held its share: %v", err)
	}
	// Now fill the uid's last slot ourselves: our next request is held.
	dialSend(t, s.path, []byte{0x10})
	c := dialSend(t, s.path, ping(42))
	if !silent(c) {
		t.Fatal("served beyond max_connections_per_uid")
	}
	// One of the child's connections ends: ours (1 active in our process)
	// goes before the child's five older held ones (6 active in the child).
	if _, err := io.WriteString(stdin, "close\n"); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("our held connection was not started when a slot freed (the child's older ones went first?): %v", err)
	}
	if reply(t, got).Header.Session != 42 {
		t.Fatal("wrong answer")
	}
}
