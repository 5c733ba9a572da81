// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package tpm

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"
)

// needTPM fails the test: the TPM tests must run wherever the tests run
// (make test installs swtpm), so a missing swtpm is a failure, not a skip.
func needTPM(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Fatalf(format+" (install swtpm: test/scripts/deps.sh)", args...)
}

// launchSwtpm starts a swtpm with test/scripts/swtpm.sh (extra arguments
// passed to start). It returns the script's settings (PARSEC_TEST_TCTI,
// SWTPM_DIR, ...) and a stop function (stop(true) keeps the state dir).
func launchSwtpm(args ...string) (map[string]string, func(keep bool) error, error) {
	script, err := filepath.Abs("../../test/scripts/swtpm.sh")
	if err != nil {
		return nil, nil, err
	}
	var stderr bytes.Buffer
	cmd := exec.Command(script, append([]string{"start"}, args...)...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, nil, fmt.Errorf("starting swtpm: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	env := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			env[k] = v
		}
	}
	if env["SWTPM_DIR"] == "" || env["PARSEC_TEST_TCTI"] == "" {
		return nil, nil, fmt.Errorf("swtpm.sh start printed %q", out)
	}
	return env, func(keep bool) error { return stopSwtpm(env["SWTPM_DIR"], keep) }, nil
}

// stopSwtpm stops the swtpm that launchSwtpm started on dir; keep keeps
// its state for a restart on the same dir.
func stopSwtpm(dir string, keep bool) error {
	script, err := filepath.Abs("../../test/scripts/swtpm.sh")
	if err != nil {
		return err
	}
	a := []string{"stop", dir}
	if keep {
		a = append(a, "--keep")
	}
	if out, err := exec.Command(script, a...).CombinedOutput(); err != nil {
		return fmt.Errorf("swtpm.sh stop: %v: %s", err, out)
	}
	return nil
}

// startSwtpm starts a fresh swtpm (launchSwtpm) and stops it when the
// test ends.
func startSwtpm(t *testing.T, args ...string) map[string]string {
	t.Helper()
	env, stop, err := launchSwtpm(args...)
	if err != nil {
		needTPM(t, "%v", err)
	}
	t.Cleanup(func() {
		if err := stop(false); err != nil {
			t.Error(err)
		}
	})
	return env
}

func parse(t *testing.T, s string) TCTI {
	t.Helper()
	tc, err := ParseTCTI(s)
	if err != nil {
		t.Fatal(err)
	}
	return tc
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// TestProbe is the GetCapability check each TPM suite starts with, against
// PARSEC_TEST_TCTI when set (make test-tpm), else a swtpm of its own.
func TestProbe(t *testing.T) {
	s := os.Getenv("PARSEC_TEST_TCTI")
	if s == "" {
		s = startSwtpm(t)["PARSEC_TEST_TCTI"]
	}
	m, err := Probe(ctx(t), parse(t, s))
	if err != nil {
		t.Fatalf("Probe(%s): %v", s, err)
	}
	if m == "" {
		t.Fatalf("Probe(%s): empty manufacturer", s)
	}
	t.Logf("%s: manufacturer %q", s, m)
}

func TestSwtpmTCPAndUnix(t *testing.T) {
	for _, args := range [][]string{nil, {"--unix"}} {
		env := startSwtpm(t, args...)
		tc := parse(t, env["PARSEC_TEST_TCTI"])
		if m, err := Probe(ctx(t), tc); err != nil || m != "IBM" {
			t.Fatalf("Probe(%v) = %q, %v; want swtpm's IBM", tc, m, err)
		}
		// Probe twice: the connection is closed cleanly, and Startup on a
		// started TPM (TPM_RC_INITIALIZE) is not an error.
		if _, err := Probe(ctx(t), tc); err != nil {
			t.Fatalf("second Probe(%v): %v", tc, err)
		}
		tpm, err := Open(ctx(t), tc)
		if err != nil {
			t.Fatal(err)
		}
		exercise(t, tpm)
		tpm.Close()
	}
}

// exercise sends many commands on one connection, some with responses
// larger than one read, to prove the framing stays in step.
func exercise(t *testing.T, tpm transport.TPM) {
	t.Helper()
	if err := Startup(tpm); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i := 0; i < 50; i++ {
		rsp, err := tpm2.GetRandom{BytesRequested: 32}.Execute(tpm)
		if err != nil {
			t.Fatalf("GetRandom %d: %v", i, err)
		}
		if len(rsp.RandomBytes.Buffer) != 32 || seen[string(rsp.RandomBytes.Buffer)] {
			t.Fatalf("GetRandom %d: %x", i, rsp.RandomBytes.Buffer)
		}
		seen[string(rsp.RandomBytes.Buffer)] = true
	}
	cmds, err := tpm2.GetCapability{Capability: tpm2.TPMCapCommands, Property: 0x11f /* TPM_CC_FIRST */, PropertyCount: 1000}.Execute(tpm)
	if err != nil {
		t.Fatal(err)
	}
	cc, err := cmds.CapabilityData.Data.Command()
	if err != nil || len(cc.CommandAttributes) < 50 {
		t.Fatalf("TPM_CAP_COMMANDS: %d commands, %v", len(cc.CommandAttributes), err)
	}
	// A TPM error response is a response, not a transport failure.
	_, err = tpm2.ReadPublic{ObjectHandle: tpm2.TPMHandle(0x80ffffff)}.Execute(tpm)
	var rc tpm2.TPMRC
	if !errors.As(err, &rc) {
		t.Fatalf("ReadPublic of a missing handle: %v, want a TPM_RC", err)
	}
	if m, err := Manufacturer(tpm); err != nil || m != "IBM" {
		t.Fatalf("Manufacturer after an error: %q, %v", m, err)
	}
}

// fakePlatform serves the simulator's platform port: it records the
// commands and answers each with result.
func fakePlatform(t *testing.T, result uint32) (addr string, got func() []uint32) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var mu sync.Mutex
	var cmds []uint32
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				var u [4]byte
				for {
					if _, err := io.ReadFull(c, u[:]); err != nil {
						return
					}
					mu.Lock()
					cmds = append(cmds, binary.BigEndian.Uint32(u[:]))
					mu.Unlock()
					c.Write(binary.BigEndian.AppendUint32(nil, result))
				}
			}()
		}
	}()
	return l.Addr().String(), func() []uint32 { mu.Lock(); defer mu.Unlock(); return append([]uint32(nil), cmds...) }
}

// TestMssimAgainstSwtpm: swtpm's command port also speaks the simulator
// protocol (its control port does not: the platform port is faked).
func TestMssimAgainstSwtpm(t *testing.T) {
	tc := parse(t, startSwtpm(t)["PARSEC_TEST_TCTI"])
	plat, got := fakePlatform(t, 0)
	m, err := openMssim(ctx(t), tc.Addr(), plat)
	if err != nil {
		t.Fatal(err)
	}
	if g := got(); len(g) != 2 || g[0] != mssimPowerOn || g[1] != mssimNVOn {
		t.Errorf("platform commands %v, want POWER_ON NV_ON", g)
	}
	exercise(t, m)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Send([]byte{0x80, 1, 0, 0, 0, 10, 0, 0, 1, 0x7b}); !errors.Is(err, ErrTransport) {
		t.Fatalf("Send after Close: %v", err)
	}
	// The mssim TCTI against swtpm's real control port fails clearly.
	mt := tc
	mt.Kind = KindMssim
	if _, err := Probe(ctx(t), mt); err == nil || !strings.Contains(err.Error(), "use the swtpm TCTI") {
		t.Fatalf("mssim TCTI on swtpm: %v", err)
	}
}

// fakeServer accepts one connection and runs serve on it.
func fakeServer(t *testing.T, serve func(c net.Conn)) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		serve(c)
	}()
	return l.Addr().String()
}

var startupCmd = []byte{0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44, 0, 0}

func TestMssimFramingErrors(t *testing.T) {
	plat, _ := fakePlatform(t, 0)
	okRsp := []byte{0x80, 0x01, 0, 0, 0, 10, 0, 0, 0, 0}
	for name, reply := range map[string][]byte{
		"nonzero ack":  append(append(binary.BigEndian.AppendUint32(nil, 10), okRsp...), 0, 0, 0, 1),
		"zero length":  binary.BigEndian.AppendUint32(nil, 0),
		"huge length":  binary.BigEndian.AppendUint32(nil, 1<<30),
		"short":        append(binary.BigEndian.AppendUint32(nil, 10), okRsp[:4]...),
		"missing ack":  append(binary.BigEndian.AppendUint32(nil, 10), okRsp...),
		"disconnected": nil,
	} {
		addr := fakeServer(t, func(c net.Conn) {
			hdr := make([]byte, 9+len(startupCmd))
			if _, err := io.ReadFull(c, hdr); err != nil {
				return
			}
			if binary.BigEndian.Uint32(hdr) != mssimSendCommand || hdr[4] != 0 || binary.BigEndian.Uint32(hdr[5:]) != uint32(len(startupCmd)) || !bytes.Equal(hdr[9:], startupCmd) {
				t.Errorf("%s: bad framing %x", name, hdr)
				return
			}
			c.Write(reply)
		})
		m, err := openMssim(ctx(t), addr, plat)
		if err != nil {
			t.Fatal(err)
		}
		m.timeout = 2 * time.Second
		if _, err := m.Send(startupCmd); !errors.Is(err, ErrTransport) {
			t.Errorf("%s: %v, want ErrTransport", name, err)
		}
		// Out of step after a failure: every later command fails too.
		if _, err := m.Send(startupCmd); !errors.Is(err, ErrTransport) {
			t.Errorf("%s: second Send: %v", name, err)
		}
		m.Close()
	}
	bad, _ := fakePlatform(t, 1)
	addr := fakeServer(t, func(net.Conn) {})
	if _, err := openMssim(ctx(t), addr, bad); err == nil || !strings.Contains(err.Error(), "platform command 1 returned 1") {
		t.Errorf("failing POWER_ON: %v", err)
	}
	// A platform port that never answers: ctx bounds the power-on.
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	silent := fakeServer(t, func(net.Conn) { <-done })
	c, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := openMssim(c, fakeServer(t, func(net.Conn) {}), silent); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("silent platform port: %v", err)
	}
}

func TestStreamFramingErrors(t *testing.T) {
	for name, reply := range map[string][]byte{
		"size below header": {0x80, 0x01, 0, 0, 0, 9, 0, 0, 0, 0},
		"size too large":    {0x80, 0x01, 0, 1, 0, 1, 0, 0, 0, 0},
		"short body":        {0x80, 0x01, 0, 0, 0, 20, 0, 0, 0, 0, 1, 2},
		"short header":      {0x80, 0x01, 0},
	} {
		addr := fakeServer(t, func(c net.Conn) {
			io.ReadFull(c, make([]byte, len(startupCmd)))
			c.Write(reply)
		})
		host, port, _ := net.SplitHostPort(addr)
		tpm, err := Open(ctx(t), parse(t, "swtpm:host="+host+",port="+port))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tpm.Send(startupCmd); !errors.Is(err, ErrTransport) {
			t.Errorf("%s: %v, want ErrTransport", name, err)
		}
		tpm.Close()
	}
}

func TestProbeHonoursContext(t *testing.T) {
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	addr := fakeServer(t, func(net.Conn) { <-done }) // never answers
	host, port, _ := net.SplitHostPort(addr)
	c, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Probe(c, parse(t, "swtpm:host="+host+",port="+port))
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("Probe on a silent TPM: %v after %v", err, time.Since(start))
	}
}

func TestOpenErrors(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	l.Close() // nothing listens on port now
	missing := filepath.Join(t.TempDir(), "missing")
	// The transports keep the cause (%w): what went wrong underneath is
	// matched as itself, and a failure to reach the TPM is ErrTransport.
	for _, tc := range []struct {
		tcti string
		is   []error
		want string // what the message says, for the operator
	}{
		{"swtpm:host=127.0.0.1,port=" + port, []error{ErrTransport, syscall.ECONNREFUSED}, "connecting to swtpm"},
		{"mssim:host=127.0.0.1,port=" + port, []error{ErrTransport, syscall.ECONNREFUSED}, "command port"},
		{"swtpm:path=" + missing, []error{ErrTransport, fs.ErrNotExist}, "connecting to swtpm"},
		{"device:" + missing, []error{fs.ErrNotExist}, "opening " + missing},
		{"device:" + os.DevNull, nil, "tpm: Startup"}, // a device, but no TPM
	} {
		_, err := Probe(ctx(t), parse(t, tc.tcti))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Probe(%s) = %v, want %q", tc.tcti, err, tc.want)
		}
		for _, target := range tc.is {
			if !errors.Is(err, target) {
				t.Errorf("Probe(%s) = %v, not errors.Is %v", tc.tcti, err, target)
			}
		}
	}
}
