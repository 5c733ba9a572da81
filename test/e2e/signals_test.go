// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package e2e

// Signal races of the real parsecd: SIGTERM, SIGINT and SIGHUP sent at many
// points of start-up, of a reload and of the shutdown. The points are
// events the test observes (sd_notify messages, the socket file
// appearing, the socket answering) and evenly spread delays after them,
// not sleeps that hope. Whatever the point, TERM and INT must end parsecd
// with exit status 0 and no socket left behind, and HUP must leave it
// alive and serving, having reloaded its configuration.
//
// Start-up is raced from exec on. Until parsecd's first code runs (the
// Go runtime's start and the init of the packages before package atinit,
// which holds the signals and then sends STATUS=starting) a signal gets the
// kernel's default action, as for any program: at the points after exec, a
// death by the signal is accepted only for a signal sent before
// STATUS=starting arrived, and the deaths are counted and logged. From
// STATUS=starting on, every signal must do what it says.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/parsecd/parsecd/src/client"
)

// srProc is one parsecd launched for a signal race.
type srProc struct {
	t      *testing.T
	d      *Daemon
	cmd    *exec.Cmd
	mu     sync.Mutex
	logs   bytes.Buffer
	done   chan error
	notes  chan srNote
	exited atomic.Bool
	err    error    // exit error, once exited
	seen   []srNote // sd_notify messages await has read
}

type srNote struct {
	msg string
	at  time.Time
}

func (p *srProc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.Write(b)
}

func (p *srProc) Logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

var srSeq atomic.Int64

// srLaunch starts parsecd on d's config with its own sd_notify socket.
func srLaunch(t *testing.T, d *Daemon) (*srProc, time.Time) {
	t.Helper()
	path := filepath.Join(d.Dir, fmt.Sprintf("notify-%d.sock", srSeq.Add(1)))
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	p := &srProc{t: t, d: d, done: make(chan error, 1), notes: make(chan srNote, 64)}
	go func() {
		buf := make([]byte, 256)
		for {
			n, _, err := ln.ReadFromUnix(buf)
			if err != nil {
				close(p.notes)
				ln.Close()
				return
			}
			p.notes <- srNote{string(buf[:n]), time.Now()}
		}
	}()
	p.cmd = exec.Command(parsecdBin, "-c", d.Config)
	p.cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+path)
	p.cmd.Stdout, p.cmd.Stderr = p, p
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	go func() {
		err := p.cmd.Wait()
		p.err = err
		p.exited.Store(true)
		p.done <- err
		// Not Close: what parsecd sent before it exited (STOPPING=1 just
		// before a quick exit) is still queued; the reader takes it, then
		// stops at the deadline.
		_ = ln.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	}()
	t.Cleanup(func() {
		if !p.exited.Load() {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p, started
}

// await waits for the sd_notify message msg and returns when it came.
func (p *srProc) await(msg string) time.Time {
	p.t.Helper()
	timeout := time.After(15 * time.Second)
	for {
		select {
		case n, ok := <-p.notes:
			if !ok {
				p.t.Fatalf("parsecd exited (%v) before sd_notify %q; logs:\n%s", p.err, msg, p.Logs())
			}
			p.seen = append(p.seen, n)
			if n.msg == msg {
				return n.at
			}
		case <-timeout:
			p.t.Fatalf("no sd_notify %q within 15s; logs:\n%s", msg, p.Logs())
		}
	}
}

// diedBy tells whether sig killed parsecd (the kernel's default action).
// After TERM or INT parsecd exits either way: it waits for that. After HUP
// a death comes at once: it waits 200ms. A parsecd still running, or
// exited otherwise, is left for srCheck.
func (p *srProc) diedBy(sig syscall.Signal) bool {
	wait := 15 * time.Second
	if sig == syscall.SIGHUP {
		wait = 200 * time.Millisecond
	}
	select {
	case err := <-p.done:
		p.done <- err
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == sig {
				return true
			}
		}
	case <-time.After(wait):
	}
	return false
}

// noted returns when parsecd's sd_notify msg arrived, reading what
// parsecd sent before it exited.
func (p *srProc) noted(msg string) (time.Time, bool) {
	for n := range p.notes { // closed once parsecd has exited
		p.seen = append(p.seen, n)
	}
	for _, n := range p.seen {
		if n.msg == msg {
			return n.at, true
		}
	}
	return time.Time{}, false
}

func (p *srProc) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("sending %v: %v (parsecd exited: %v); logs:\n%s", sig, err, p.err, p.Logs())
	}
}

// exitsCleanly requires exit status 0 within 15s and no socket left.
func (p *srProc) exitsCleanly(what string) {
	p.t.Helper()
	select {
	case err := <-p.done:
		p.done <- err
		if err != nil {
			p.t.Fatalf("%s: parsecd ended with %v, want exit status 0; logs:\n%s", what, err, p.Logs())
		}
	case <-time.After(15 * time.Second):
		p.t.Fatalf("%s: parsecd still running 15s later; logs:\n%s", what, p.Logs())
	}
	if _, err := os.Lstat(p.d.Socket); !errors.Is(err, fs.ErrNotExist) {
		p.t.Fatalf("%s: socket %s left behind (%v); logs:\n%s", what, p.d.Socket, err, p.Logs())
	}
}

// servesAfterReloads requires parsecd alive, answering a request that
// touches its key store, and to have logged "configuration reloaded" at
// least n times; then stops it with SIGTERM (exit status 0).
func (p *srProc) servesAfterReloads(what string, n int) {
	p.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for strings.Count(p.Logs(), "configuration reloaded") < n {
		if p.exited.Load() {
			p.t.Fatalf("%s: parsecd died (%v); logs:\n%s", what, p.err, p.Logs())
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: parsecd logged \"configuration reloaded\" fewer than %d times; logs:\n%s", what, n, p.Logs())
		}
		time.Sleep(5 * time.Millisecond)
	}
	c, err := client.New(client.WithEndpoint("unix:"+p.d.Socket), client.WithTimeout(10*time.Second), client.WithAuth(client.DirectAuth("sr")))
	if err != nil {
		p.t.Fatal(err)
	}
	if _, err := c.ListKeys(context.Background()); err != nil {
		p.t.Fatalf("%s: parsecd does not serve: %v; logs:\n%s", what, err, p.Logs())
	}
	if p.exited.Load() {
		p.t.Fatalf("%s: parsecd died (%v); logs:\n%s", what, p.err, p.Logs())
	}
	p.signal(syscall.SIGTERM)
	p.exitsCleanly(what + ", then SIGTERM")
}

// srSpin waits until t without sleeping (sub-millisecond points).
func srSpin(until time.Time) {
	for time.Now().Before(until) {
		runtime.Gosched()
	}
}

// srSpinFor polls cond as fast as it can, for up to 15s.
func srSpinFor(t *testing.T, p *srProc, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if p.exited.Load() || time.Now().After(deadline) {
			t.Fatalf("waiting for %s: parsecd exited (%v) or 15s passed; logs:\n%s", what, p.err, p.Logs())
		}
		runtime.Gosched()
	}
}

type srPoint struct {
	name string
	wait func(t *testing.T, p *srProc) // returns at the point
}

// srStartupPoints are the points of start-up: n evenly spread delays from
// STATUS=starting over the measured start-up time, then the socket file
// appearing, the socket answering, and READY=1.
func srStartupPoints(startup time.Duration, n int) []srPoint {
	var pts []srPoint
	for k := range n {
		delay := startup * time.Duration(k) / time.Duration(n)
		pts = append(pts, srPoint{fmt.Sprintf("starting+%v", delay.Round(time.Microsecond)), func(t *testing.T, p *srProc) {
			srSpin(p.await("STATUS=starting").Add(delay))
		}})
	}
	return append(pts,
		srPoint{"socket file appears", func(t *testing.T, p *srProc) {
			srSpinFor(t, p, "the socket file", func() bool { _, err := os.Lstat(p.d.Socket); return err == nil })
		}},
		srPoint{"socket answers", func(t *testing.T, p *srProc) {
			srSpinFor(t, p, "the socket to answer", func() bool {
				c, err := net.Dial("unix", p.d.Socket)
				if err == nil {
					c.Close()
				}
				return err == nil
			})
		}},
		srPoint{"READY=1", func(t *testing.T, p *srProc) { p.await("READY=1") }},
	)
}

// srMeasure starts parsecd once and returns how long exec to
// STATUS=starting and STATUS=starting to READY=1 took.
func srMeasure(t *testing.T, d *Daemon) (toStatus, startup time.Duration) {
	t.Helper()
	p, exec := srLaunch(t, d)
	st := p.await("STATUS=starting")
	ready := p.await("READY=1")
	p.signal(syscall.SIGTERM)
	p.exitsCleanly("measuring start-up")
	return st.Sub(exec), ready.Sub(st)
}

// srSignals are the signals raced, with what each must do.
var srSignals = []syscall.Signal{syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT}

// srCheck requires the outcome of sig: HUP keeps parsecd serving (reloads
// at least reloads times), TERM and INT stop it with status 0.
func srCheck(p *srProc, sig syscall.Signal, what string, reloads int) {
	p.t.Helper()
	if sig == syscall.SIGHUP {
		p.servesAfterReloads(what, reloads)
		return
	}
	p.exitsCleanly(what)
}

const srSpread = 16 // evenly spread delays per phase

// srMinSpan is the least span the delays of a phase are spread over.
const srMinSpan = 5 * time.Millisecond

func TestSignalRaceStartup(t *testing.T) {
	t.Parallel()
	d := NewDaemon(t, Options{})
	var toStatus, startup time.Duration
	for range 3 { // the slowest of three
		a, b := srMeasure(t, d)
		toStatus, startup = max(toStatus, a), max(startup, b)
	}
	t.Logf("exec to STATUS=starting (signals held): %v; STATUS=starting to READY=1: %v", toStatus, startup)
	pts := srStartupPoints(startup, srSpread)
	for _, sig := range srSignals {
		t.Run(sig.String(), func(t *testing.T) {
			d := NewDaemon(t, Options{})
			// From exec: evenly spread over exec to READY=1.
			early := 0
			for k := range srSpread {
				p, execAt := srLaunch(t, d)
				srSpin(execAt.Add((toStatus + startup) * time.Duration(k) / srSpread))
				sent := time.Now()
				p.signal(sig)
				what := fmt.Sprintf("%v at exec+%v", sig, sent.Sub(execAt).Round(time.Microsecond))
				if p.diedBy(sig) {
					// Only before STATUS=starting: parsecd's code had not run.
					if at, ok := p.noted("STATUS=starting"); ok && !sent.Before(at) {
						t.Fatalf("%s: killed by the signal sent after STATUS=starting (%v after it); logs:\n%s", what, sent.Sub(at), p.Logs())
					}
					early++
					continue
				}
				srCheck(p, sig, what, 1)
			}
			for _, pt := range pts {
				p, _ := srLaunch(t, d)
				pt.wait(t, p)
				p.signal(sig)
				srCheck(p, sig, fmt.Sprintf("%v at %s", sig, pt.name), 1)
			}
			t.Logf("%v at %d points of start-up: handled at %d (%d points from exec, %d from STATUS=starting and events); %d sent before parsecd's first code got the kernel's default action",
				sig, srSpread+len(pts), srSpread+len(pts)-early, srSpread, len(pts), early)
		})
	}
}

// A signal during a reload (SIGHUP, then the signal at evenly spread
// points from RELOADING=1 over the measured reload time, and at READY=1).
func TestSignalRaceReload(t *testing.T) {
	t.Parallel()
	d := NewDaemon(t, Options{})
	p, _ := srLaunch(t, d)
	p.await("READY=1")
	var reload time.Duration
	for range 3 {
		p.signal(syscall.SIGHUP)
		a := p.await("RELOADING=1")
		reload = max(reload, p.await("READY=1").Sub(a))
	}
	p.signal(syscall.SIGTERM)
	p.exitsCleanly("measuring a reload")
	// The times are those the messages were read at, which a busy machine
	// can bunch up: the points span at least srMinSpan.
	t.Logf("RELOADING=1 to READY=1: %v (points spread over %v)", reload, max(reload, srMinSpan))
	reload = max(reload, srMinSpan)
	for _, sig := range srSignals {
		t.Run(sig.String(), func(t *testing.T) {
			d := NewDaemon(t, Options{})
			n := 0
			for k := range srSpread + 1 {
				p, _ := srLaunch(t, d)
				p.await("READY=1")
				p.signal(syscall.SIGHUP)
				at := p.await("RELOADING=1")
				if k < srSpread {
					srSpin(at.Add(reload * time.Duration(k) / srSpread))
				} else {
					p.await("READY=1")
				}
				p.signal(sig)
				srCheck(p, sig, fmt.Sprintf("%v during a reload, point %d/%d", sig, k, srSpread), 1)
				n++
			}
			t.Logf("%v at %d points of a reload: handled", sig, n)
		})
	}
}

// A signal during the shutdown that SIGTERM started: at evenly spread
// points from STOPPING=1 (until parsecd exits), it changes nothing: exit
// status 0, no reload.
func TestSignalRaceShutdown(t *testing.T) {
	t.Parallel()
	d := NewDaemon(t, Options{})
	var stop time.Duration
	for range 3 {
		p, _ := srLaunch(t, d)
		p.await("READY=1")
		p.signal(syscall.SIGTERM)
		at := p.await("STOPPING=1")
		<-p.done
		p.done <- p.err
		stop = max(stop, time.Since(at))
	}
	t.Logf("STOPPING=1 to exit: at most %v (points spread over %v)", stop, max(stop, srMinSpan))
	stop = max(stop, srMinSpan)
	for _, sig := range srSignals {
		t.Run(sig.String(), func(t *testing.T) {
			d := NewDaemon(t, Options{})
			for k := range srSpread {
				p, _ := srLaunch(t, d)
				p.await("READY=1")
				p.signal(syscall.SIGTERM)
				srSpin(p.await("STOPPING=1").Add(stop * time.Duration(k) / srSpread))
				// parsecd may have exited already: ESRCH is fine then.
				if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
					t.Fatalf("sending %v: %v", sig, err)
				}
				what := fmt.Sprintf("%v during shutdown, point %d/%d", sig, k, srSpread)
				p.exitsCleanly(what)
				if strings.Contains(p.Logs(), "reloading configuration") {
					t.Fatalf("%s: parsecd reloaded while stopping; logs:\n%s", what, p.Logs())
				}
			}
			t.Logf("%v at %d points of the shutdown: handled", sig, srSpread)
		})
	}
}

// A burst of SIGHUPs cannot push out the SIGTERM behind it: parsecd stops
// with status 0.
func TestSignalHupBurstThenTerm(t *testing.T) {
	t.Parallel()
	d := NewDaemon(t, Options{})
	p, _ := srLaunch(t, d)
	p.await("STATUS=starting")
	for range 200 {
		p.signal(syscall.SIGHUP)
	}
	p.signal(syscall.SIGTERM)
	p.exitsCleanly("200 SIGHUPs then SIGTERM")
}
