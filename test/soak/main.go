// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Command soak measures how a well-behaved client fares while other local
// clients try to stall parsecd with connections that never complete a
// request (issue 13). It starts the real parsecd (software provider, bbolt
// store, Direct authentication, default thread_pool_size and timeout) and,
// in rounds of three phases, measures a single client's ping and ECDSA P-256
// SignHash (one connection per request, as every Parsec client does):
//
//   - quiet: nothing else runs;
//   - one-byte flood: N connections each send one byte and then nothing,
//     reconnecting as soon as the daemon closes them;
//   - trickle flood: N connections each send a valid header announcing a
//     body and then the body one byte every 100 ms, reconnecting when closed.
//
// The flood runs in a child process (this program with -flood). Run as
// root, the child runs as another uid (-attacker-uid, default 65534): the
// per-uid connection cap is what protects one uid from another. -same-uid
// keeps the flood in the good client's uid: with -cap 64 (the default cap)
// that measures the within-uid rules (a process's share of its uid's
// slots, freed slots to the process with the fewest); without -cap it lifts
// the cap above the flood, to show what reading every flood connection
// costs when nothing is parked.
//
// It prints p50/p99 and failures per phase (pooled over the rounds), the
// CPU the daemon and the flood used, the daemon's resident memory, open
// descriptors and log growth, and whether each flood phase kept the good
// client's p99 within 5x of quiet with no failure. It asserts nothing.
package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/parsecd/parsecd/src/interface/ops/psageneratekey"
	"github.com/parsecd/parsecd/src/interface/ops/psasignhash"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/wire"
	"github.com/parsecd/parsecd/test/loadclient"
)

func main() {
	daemon := flag.String("parsecd", "bin/parsecd", "parsecd binary to measure")
	dur := flag.Duration("duration", 2*time.Second, "length of each measured operation in each phase of each round")
	rounds := flag.Int("rounds", 4, "rounds of quiet, one-byte and trickle phases")
	conns := flag.Int("conns", 1000, "connections of each flood")
	attackerUID := flag.Int("attacker-uid", 65534, "uid (and gid) the flood runs as when this program runs as root")
	sameUID := flag.Bool("same-uid", false, "run the flood in this program's uid and raise listener.max_connections_per_uid above it (unless -cap is given)")
	perUIDCap := flag.Int("cap", 0, "listener.max_connections_per_uid to configure (0: the default, or above the flood with -same-uid)")
	flood := flag.String("flood", "", "internal: run a flood (one-byte or trickle) against -socket")
	sock := flag.String("socket", "", "internal: the flood's target")
	flag.Parse()
	if *flood != "" {
		if err := runFlood(*flood, *sock, *conns); err != nil {
			fmt.Fprintln(os.Stderr, "soak flood:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*daemon, *dur, *rounds, *conns, *attackerUID, *perUIDCap, *sameUID); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

// ---------------------------------------------------------------------------
// The well-behaved client.

// clientTimeout is what a client gives one request: 10 s, the figure the
// issue's measurements timed out at.
const clientTimeout = 10 * time.Second

// sample is what one client saw: latencies of the requests that succeeded,
// and the failures.
type sample struct {
	lat      []time.Duration
	errs     int
	firstErr error
}

func (a *sample) add(b sample) {
	a.lat = append(a.lat, b.lat...)
	a.errs += b.errs
	if a.firstErr == nil {
		a.firstErr = b.firstErr
	}
}

type result struct {
	ops           int
	p50, p99, max time.Duration
	errs          int
	firstErr      error
}

func (a sample) result() result {
	lat := append([]time.Duration(nil), a.lat...)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	r := result{ops: len(lat), errs: a.errs, firstErr: a.firstErr}
	if len(lat) > 0 {
		r.p50, r.p99, r.max = lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1]
	}
	return r
}

// measure runs req back to back from one client for d.
func measure(sock string, req []byte, d time.Duration) sample {
	var s sample
	for end := time.Now().Add(d); time.Now().Before(end); {
		t := time.Now()
		if err := loadclient.RoundTrip(sock, req, clientTimeout); err != nil {
			s.errs++
			if s.firstErr == nil {
				s.firstErr = err
			}
			continue
		}
		s.lat = append(s.lat, time.Since(t))
	}
	return s
}

// ---------------------------------------------------------------------------
// The flood (child process).

// runFlood keeps n connections of the given kind open against sock until
// its stdin closes. It prints READY once every connection was made once.
func runFlood(kind, sock string, n int) error {
	var body func(c net.Conn) error
	switch kind {
	case "one-byte":
		body = oneByte
	case "trickle":
		body = trickle
	default:
		return fmt.Errorf("unknown flood %q", kind)
	}
	var stop atomic.Bool
	var connected, cycles, dialErrs atomic.Int64
	var once sync.Once
	ready := make(chan struct{})
	for range n {
		go func() {
			first := true
			for !stop.Load() {
				c, err := net.Dial("unix", sock)
				if err != nil {
					dialErrs.Add(1)
					time.Sleep(time.Millisecond)
					continue
				}
				if first {
					first = false
					if connected.Add(1) == int64(n) {
						once.Do(func() { close(ready) })
					}
				}
				_ = body(c)
				c.Close()
				cycles.Add(1)
			}
		}()
	}
	select {
	case <-ready:
		fmt.Println("READY")
	case <-time.After(30 * time.Second):
		fmt.Printf("READY (only %d of %d connected)\n", connected.Load(), n)
	}
	_, _ = io.Copy(io.Discard, os.Stdin)
	stop.Store(true)
	fmt.Printf("cycles %d dial-errors %d\n", cycles.Load(), dialErrs.Load())
	return nil
}

// oneByte sends the first byte of a magic number and waits for the daemon
// to give up (its answer and EOF, or an error).
func oneByte(c net.Conn) error {
	if _, err := c.Write([]byte{0x10}); err != nil {
		return err
	}
	_, err := io.Copy(io.Discard, c)
	return err
}

// trickleHeader is a valid Ping header announcing a 1000-byte body.
var trickleHeader = func() []byte {
	h := wire.AppendHeader(nil, wire.Header{Opcode: parsec.OpPing})
	binary.LittleEndian.PutUint32(h[22:], 1000)
	return h
}()

// trickle sends a valid header, then the body one byte per 100 ms until
// the daemon answers or closes.
func trickle(c net.Conn) error {
	if _, err := c.Write(trickleHeader); err != nil {
		return err
	}
	var b [512]byte
	for {
		_ = c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		_, err := c.Read(b[:])
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			_, _ = io.Copy(io.Discard, c)
			return err // answered, closed or reset
		}
		if _, err := c.Write([]byte{0}); err != nil {
			return err
		}
	}
}

// ---------------------------------------------------------------------------
// The run.

type floodProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
}

func startFlood(exe, kind, sock string, n, uid int, setUID bool) (*floodProc, error) {
	cmd := exec.Command(exe, "-flood", kind, "-socket", sock, "-conns", strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	if setUID {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	f := &floodProc{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}
	line, err := f.out.ReadString('\n')
	if err != nil {
		f.stop()
		return nil, fmt.Errorf("flood did not start: %v", err)
	}
	if line != "READY\n" {
		fmt.Printf("  flood %s: %s", kind, line)
	}
	return f, nil
}

// stop ends the flood; it returns the flood's own report and the CPU it used.
func (f *floodProc) stop() (string, time.Duration) {
	f.stdin.Close()
	rest, _ := io.ReadAll(f.out)
	done := make(chan struct{})
	go func() { _ = f.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = f.cmd.Process.Kill()
		<-done
	}
	ps := f.cmd.ProcessState
	return strings.TrimSpace(string(rest)), ps.UserTime() + ps.SystemTime()
}

func procStatus(pid int, field string) string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, field+":") {
			return strings.TrimSpace(strings.TrimPrefix(line, field+":"))
		}
	}
	return "?"
}

func openFDs(pid int) int {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return -1
	}
	return len(ents)
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return -1
	}
	return fi.Size()
}

func run(daemon string, d time.Duration, rounds, conns, attackerUID, perUIDCap int, sameUID bool) error {
	setUID := os.Geteuid() == 0 && !sameUID
	dir, err := os.MkdirTemp("", "parsecd-soak-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// The flood's uid must reach the socket and run the copy of this program.
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	exe := filepath.Join(dir, "soak")
	if data, err := os.ReadFile(self); err != nil {
		return err
	} else if err := os.WriteFile(exe, data, 0o755); err != nil {
		return err
	}
	sock := filepath.Join(dir, "parsec.sock")
	cfg := filepath.Join(dir, "config.toml")
	if perUIDCap == 0 && sameUID {
		perUIDCap = conns + 64
	}
	perUID := ""
	if perUIDCap > 0 {
		perUID = fmt.Sprintf("max_connections_per_uid = %d\n", perUIDCap)
	}
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`[core_settings]
allow_root = true
log_level = "info"
[listener]
listener_type = "DomainSocket"
socket_path = %q
%s[authenticator]
auth_type = "Direct"
[[key_manager]]
name = "store"
manager_type = "Bbolt"
path = %q
[[provider]]
provider_type = "Software"
key_info_manager = "store"
`, sock, perUID, filepath.Join(dir, "keys.db"))), 0o600); err != nil {
		return err
	}
	logPath := filepath.Join(dir, "parsecd.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logf.Close()
	pd := exec.Command(daemon, "-c", cfg)
	pd.Stdout, pd.Stderr = logf, logf
	if err := pd.Start(); err != nil {
		return err
	}
	defer func() { _ = pd.Process.Signal(syscall.SIGTERM); _ = pd.Wait() }()
	for i := 0; ; i++ {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			break
		}
		if i == 400 {
			return errors.New("parsecd did not come up")
		}
		time.Sleep(25 * time.Millisecond)
	}
	pid := pd.Process.Pid

	const app = "soak"
	attrs := psa.KeyAttributes{
		Type: psa.KeyType{Kind: psa.KeyEccPair, EccFamily: psa.EccSecpR1}, Bits: 256,
		Policy: psa.KeyPolicy{Usage: psa.UsageSignHash,
			Alg: psa.Algorithm{Kind: psa.AlgAsymSign, Sign: psa.AsymSign{Kind: psa.SignEcdsa, Hash: psa.HashSHA256}}},
	}
	if err := loadclient.RoundTrip(sock, loadclient.Frame(parsec.ProviderMbedCrypto, parsec.OpPsaGenerateKey,
		&psageneratekey.Operation{KeyName: "soak", Attributes: psa.AttributesToProto(attrs)}, app), clientTimeout); err != nil {
		return fmt.Errorf("creating the key: %w", err)
	}
	digest := sha256.Sum256([]byte("soak"))
	reqs := []struct {
		name string
		req  []byte
	}{
		{"ping", loadclient.Frame(parsec.ProviderCore, parsec.OpPing, nil, "")},
		{"sign P-256", loadclient.Frame(parsec.ProviderMbedCrypto, parsec.OpPsaSignHash, &psasignhash.Operation{KeyName: "soak",
			Alg: psa.AsymSignToProto(attrs.Policy.Alg.Sign), Hash: digest[:]}, app)},
	}

	who := fmt.Sprintf("uid %d", attackerUID)
	if !setUID {
		who = fmt.Sprintf("uid %d (the good client's)", os.Geteuid())
	}
	capText := "default"
	if perUIDCap > 0 {
		capText = strconv.Itoa(perUIDCap)
	}
	fmt.Printf("parsecd soak: %d flood connections as %s, max_connections_per_uid %s, %d rounds of %s per operation and phase, %d CPUs\n",
		conns, who, capText, rounds, d, runtime.NumCPU())
	fmt.Printf("daemon idle: RSS %s, %d fds; load average %s\n\n", procStatus(pid, "VmRSS"), openFDs(pid), loadavg())

	// Phases run in rounds, quiet and floods in turn, and each phase's
	// latencies are pooled over the rounds: the machine's own load (other
	// jobs on a shared 2-core VM) then weighs on every phase alike instead
	// of on whichever happened to run while it peaked.
	phases := []string{"quiet", "one-byte", "trickle"}
	samples := map[string]*sample{}
	type usage struct {
		daemonCPU, floodCPU, wall time.Duration
		logBytes                  int64
		rss                       string
		fds                       int
	}
	use := map[string]*usage{}
	for _, ph := range phases {
		use[ph] = &usage{}
		for _, q := range reqs {
			samples[ph+"/"+q.name] = &sample{}
		}
	}
	for round := 1; round <= rounds; round++ {
		for _, ph := range phases {
			var f *floodProc
			logBefore := fileSize(logPath)
			if ph != "quiet" {
				if f, err = startFlood(exe, ph, sock, conns, attackerUID, setUID); err != nil {
					return err
				}
				time.Sleep(time.Second) // let the reconnect cycle settle
			}
			cpuBefore, start := cpuTime(pid), time.Now()
			for _, q := range reqs {
				samples[ph+"/"+q.name].add(measure(sock, q.req, d))
			}
			u := use[ph]
			u.wall += time.Since(start)
			u.daemonCPU += cpuTime(pid) - cpuBefore
			u.logBytes += fileSize(logPath) - logBefore
			u.rss, u.fds = procStatus(pid, "VmRSS"), openFDs(pid)
			if f != nil {
				cycles, cpu := f.stop()
				u.floodCPU += cpu
				fmt.Printf("  round %d %s: %s, flood CPU %s\n", round, ph, cycles, cpu.Round(time.Millisecond))
				// Let the daemon close the flood's connections before the next phase.
				for i := 0; i < 100 && openFDs(pid) > 32; i++ {
					time.Sleep(20 * time.Millisecond)
				}
			}
		}
	}
	fmt.Printf("\nload average at the end: %s\n\n", loadavg())
	fmt.Printf("%-10s %-11s %8s %10s %10s %10s %6s\n", "phase", "operation", "ops", "p50", "p99", "max", "fails")
	for _, ph := range phases {
		for _, q := range reqs {
			r := samples[ph+"/"+q.name].result()
			fmt.Printf("%-10s %-11s %8d %10s %10s %10s %6d\n", ph, q.name, r.ops,
				r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond), r.max.Round(time.Microsecond), r.errs)
			if r.firstErr != nil {
				fmt.Printf("           first failure: %v\n", r.firstErr)
			}
		}
	}
	fmt.Println()
	for _, ph := range phases {
		u := use[ph]
		fmt.Printf("%-10s daemon CPU %4.0f%% of one core, flood CPU %4.0f%%, daemon RSS %s and %d fds at the end, log +%d bytes\n",
			ph, 100*u.daemonCPU.Seconds()/u.wall.Seconds(), 100*u.floodCPU.Seconds()/u.wall.Seconds(), u.rss, u.fds, u.logBytes)
	}
	logSummary(logPath)
	fmt.Println("\ntargets (flood p99 <= 5 x quiet p99, no failure):")
	for _, ph := range phases[1:] {
		for _, q := range reqs {
			r, qr := samples[ph+"/"+q.name].result(), samples["quiet/"+q.name].result()
			ratio := float64(r.p99) / float64(qr.p99)
			mark := "met"
			if ratio > 5 || r.errs != 0 {
				mark = "MISSED"
			}
			fmt.Printf("  %-10s %-11s p99 %s = %.2f x quiet %s, %d failures  %s\n", ph, q.name,
				r.p99.Round(time.Microsecond), ratio, qr.p99.Round(time.Microsecond), r.errs, mark)
		}
	}
	return nil
}

// cpuTime is the user+system time pid has used so far (/proc/pid/stat).
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces) start at ")".
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / clockTicks
}

// clockTicks is USER_HZ, 100 on every Linux architecture Go supports.
const clockTicks = 100

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// logSummary prints how many lines of each message the daemon logged over
// the whole run: the rate limits keep the malformed-request and refusal
// lines to a burst and a summary per minute.
func logSummary(path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		return
	}
	counts := map[string]int{}
	lines := 0
	for _, l := range strings.Split(string(data), "\n") {
		if l == "" {
			continue
		}
		lines++
		msg := l
		if i := strings.Index(l, "msg="); i >= 0 {
			msg = l[i+4:]
			if strings.HasPrefix(msg, `"`) {
				if j := strings.Index(msg[1:], `"`); j >= 0 {
					msg = msg[1 : j+1]
				}
			} else if j := strings.IndexByte(msg, ' '); j >= 0 {
				msg = msg[:j]
			}
		}
		counts[msg]++
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Printf("\ndaemon log: %d lines, %d bytes over the run\n", lines, len(data))
	for _, k := range keys {
		fmt.Printf("  %5d  %s\n", counts[k], k)
	}
}
