// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Command bench measures parsecd against the cost of the protocol itself:
// ping and ECDSA P-256 sign through the real daemon with 1 and 4 concurrent
// clients, the same ping against a bare "floor" server (reads one request,
// writes a fixed reply, one connection per request), the same signature
// computed in-process, and the daemon's resident memory idle and after load.
// It prints figures and how they compare with the project's targets; it
// asserts nothing. With -pkcs11 (pkcs11.go) it measures ECDSA P-256 sign
// through parsecd's PKCS#11 provider against the same C_Sign made directly;
// with -tpm (tpm.go), through the TPM provider against go-tpm on swtpm;
// with -memory (memory.go), the daemon's resident memory idle and around a
// burst of mixed operations; with -scale (scale.go), start-up, ListKeys and
// memory on a store of 100,000 keys; with -p11module (p11module.go), the
// PKCS#11 module of issue 18 against parsecd's own client.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
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
	dur := flag.Duration("duration", 3*time.Second, "length of each measured phase")
	floor := flag.String("floor", "", "internal: serve the floor on this socket")
	p11 := flag.Bool("pkcs11", false, "measure sign through parsecd's PKCS#11 provider (a parsecd built with -tags pkcs11) vs the same C_Sign made directly, on a fresh SoftHSM2 token; needs this program built with CGO_ENABLED=1 -tags pkcs11")
	p11mod := flag.String("p11module", "", "measure libparsec-pkcs11.so (this path) against parsecd's own client, in process and as pkcs11-tool --sign processes; needs this program built with CGO_ENABLED=1 -tags pkcs11")
	tpmFlag := flag.Bool("tpm", false, "measure sign through parsecd's TPM provider vs the same go-tpm calls made directly, on a fresh swtpm")
	memFlag := flag.Bool("memory", false, "measure parsecd's resident memory (software and TPM providers, swtpm) idle, under 16 clients of mixed operations and in the 10 s after")
	scaleFlag := flag.Bool("scale", false, "measure start-up, ListKeys and memory with 100,000 keys in the store")
	flag.Parse()
	if *floor != "" {
		serveFloor(*floor)
		return
	}
	if *memFlag {
		if err := runMemory(*daemon, *dur); err != nil {
			fmt.Fprintln(os.Stderr, "bench -memory:", err)
			os.Exit(1)
		}
		return
	}
	if *scaleFlag {
		if err := runScale(*daemon); err != nil {
			fmt.Fprintln(os.Stderr, "bench -scale:", err)
			os.Exit(1)
		}
		return
	}
	if *p11mod != "" {
		if err := runP11Module(*daemon, *p11mod, *dur); err != nil {
			fmt.Fprintln(os.Stderr, "bench -p11module:", err)
			os.Exit(1)
		}
		return
	}
	if *tpmFlag {
		if err := runTPM(*daemon, *dur); err != nil {
			fmt.Fprintln(os.Stderr, "bench -tpm:", err)
			os.Exit(1)
		}
		return
	}
	if *p11 {
		if err := runPkcs11(*daemon, *dur); err != nil {
			fmt.Fprintln(os.Stderr, "bench -pkcs11:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*daemon, *dur); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

const appName = "bench"

type result struct {
	ops      int
	elapsed  time.Duration
	p50, p99 time.Duration
	errs     int
}

func (r result) rate() float64 { return float64(r.ops) / r.elapsed.Seconds() }

// load runs one request per connection from clients concurrent clients.
func load(sock string, req []byte, clients int, d time.Duration) result {
	ops := make([]func() error, clients)
	for i := range ops {
		ops[i] = func() error { return loadclient.RoundTrip(sock, req, 0) }
	}
	return measure(ops, d)
}

// measure runs each op in its own goroutine, back to back, for d and
// gathers throughput and latency; a failed op counts as an error.
func measure(ops []func() error, d time.Duration) result {
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for _, op := range ops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			bad := 0
			for time.Now().Before(deadline) {
				t := time.Now()
				if err := op(); err != nil {
					bad++
					continue
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			lat = append(lat, mine...)
			errs += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	r := result{ops: len(lat), elapsed: elapsed, errs: errs}
	if len(lat) > 0 {
		r.p50, r.p99 = lat[len(lat)/2], lat[len(lat)*99/100]
	}
	return r
}

// serveFloor is the protocol's floor: accept, read one 36-byte header and
// its body, write a fixed Ping reply, close.
func serveFloor(sock string) {
	ln, err := net.Listen("unix", sock)
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	reply := wire.EncodeResponse(&wire.Response{Header: wire.Header{Opcode: parsec.OpPing}, Body: []byte{0x08, 0x01}})
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			var h [wire.HeaderLen]byte
			if _, err := io.ReadFull(c, h[:]); err != nil {
				return
			}
			n := int64(uint32(h[22]) | uint32(h[23])<<8 | uint32(h[24])<<16 | uint32(h[25])<<24)
			n += int64(uint16(h[26]) | uint16(h[27])<<8)
			_, _ = io.CopyN(io.Discard, c, n)
			_, _ = c.Write(reply)
		}()
	}
}

func waitSocket(sock string) error {
	for i := 0; i < 200; i++ {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(25 * time.Millisecond)
	}
	return fmt.Errorf("%s did not come up", sock)
}

func start(dir, sock string, args ...string) (*exec.Cmd, error) {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	if err := waitSocket(sock); err != nil {
		_ = cmd.Process.Kill()
		return nil, err
	}
	return cmd, nil
}

// writeConfig writes dir/config.toml for a daemon with one provider (the
// body of its [[provider]] entry) and returns its socket and config paths.
func writeConfig(dir, provider string) (sock, cfg string, err error) {
	sock = filepath.Join(dir, "parsec.sock")
	cfg = filepath.Join(dir, "config.toml")
	err = os.WriteFile(cfg, []byte(fmt.Sprintf(`[core_settings]
allow_root = true
log_level = "error"
[listener]
listener_type = "DomainSocket"
timeout = 1000
socket_path = %q
[authenticator]
auth_type = "Direct"
[[key_manager]]
name = "store"
manager_type = "Bbolt"
path = %q
[[provider]]
key_info_manager = "store"
%s`, sock, filepath.Join(dir, "keys.db"), provider)), 0o600)
	return sock, cfg, err
}

// startSoftware starts daemon with the software provider in a fresh
// directory; stop stops it and removes the directory.
func startSoftware(daemon, prefix string) (dir, sock string, pd *exec.Cmd, stop func(), err error) {
	dir, err = os.MkdirTemp("", prefix)
	if err != nil {
		return "", "", nil, nil, err
	}
	sock, cfg, err := writeConfig(dir, "provider_type = \"Software\"\n")
	if err == nil {
		pd, err = start(dir, sock, daemon, "-c", cfg)
	}
	if err != nil {
		os.RemoveAll(dir)
		return "", "", nil, nil, err
	}
	return dir, sock, pd, func() { _ = pd.Process.Signal(os.Interrupt); _ = pd.Wait(); os.RemoveAll(dir) }, nil
}

func run(daemon string, d time.Duration) error {
	dir, sock, pd, stop, err := startSoftware(daemon, "parsecd-bench-")
	if err != nil {
		return err
	}
	defer stop()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	floorSock := filepath.Join(dir, "floor.sock")
	fl, err := start(dir, floorSock, self, "-floor", floorSock)
	if err != nil {
		return err
	}
	defer func() { _ = fl.Process.Kill(); _ = fl.Wait() }()

	time.Sleep(500 * time.Millisecond)
	idle := rssOf(pd.Process.Pid)

	sign, err := signP256(sock, parsec.ProviderMbedCrypto)
	if err != nil {
		return fmt.Errorf("creating the benchmark key: %w", err)
	}
	ping := loadclient.Frame(parsec.ProviderCore, parsec.OpPing, nil, "")

	inproc := inProcessSign(benchDigest[:], d)

	fmt.Printf("parsecd benchmark (%s per phase, %d CPUs)\n\n", d, runtime.NumCPU())
	fmt.Printf("%-28s %10s %10s %10s %6s\n", "phase", "ops/s", "p50", "p99", "errors")
	rows := map[string]result{}
	for _, c := range []int{1, 4} {
		for _, ph := range []struct {
			name string
			sock string
			req  []byte
		}{{"floor ping", floorSock, ping}, {"parsecd ping", sock, ping}, {"parsecd sign P-256", sock, sign}} {
			name := fmt.Sprintf("%s x%d", ph.name, c)
			r := load(ph.sock, ph.req, c, d)
			rows[name] = r
			fmt.Printf("%-28s %10.0f %10s %10s %6d\n", name, r.rate(), r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond), r.errs)
		}
	}
	after := rssOf(pd.Process.Pid)
	fmt.Printf("%-28s %10s %10s\n", "in-process sign P-256", "", inproc.Round(time.Microsecond))
	fmt.Printf("\nparsecd RSS (software provider only; -memory measures the memory targets): idle %s, after load %s\n\n", idle, after)

	pingRatio := rows["parsecd ping x4"].rate() / rows["floor ping x4"].rate()
	signBudget := rows["floor ping x1"].p50 + inproc*3/2
	fmt.Println("targets:")
	verdict(fmt.Sprintf("ping throughput x4 = %.2f x floor (target >= 0.9)", pingRatio), pingRatio >= 0.9)
	verdict(fmt.Sprintf("sign p50 x1 = %s (target <= floor p50 + 1.5 x in-process = %s)", rows["parsecd sign P-256 x1"].p50.Round(time.Microsecond), signBudget.Round(time.Microsecond)),
		rows["parsecd sign P-256 x1"].p50 <= signBudget)
	return nil
}

// benchDigest is what every sign phase, through parsecd or direct, signs.
var benchDigest = sha256.Sum256([]byte("parsecd benchmark"))

// p256Sign are the attributes of the benchmark's keys: ECDSA P-256 with
// SHA-256, sign and verify.
var p256Sign = psa.KeyAttributes{
	Type: psa.KeyType{Kind: psa.KeyEccPair, EccFamily: psa.EccSecpR1}, Bits: 256,
	Policy: psa.KeyPolicy{Usage: psa.UsageSignHash | psa.UsageVerifyHash,
		Alg: psa.Algorithm{Kind: psa.AlgAsymSign, Sign: psa.AsymSign{Kind: psa.SignEcdsa, Hash: psa.HashSHA256}}},
}

// benchKey is the key every sign phase uses: ECDSA P-256 with SHA-256.
const benchKey = "bench-p256"

// signP256 creates benchKey on provider through the daemon at sock and
// returns the SignHash request of benchDigest that the phases repeat.
func signP256(sock string, provider parsec.ProviderID) ([]byte, error) {
	attrs := p256Sign
	gen := loadclient.Frame(provider, parsec.OpPsaGenerateKey, &psageneratekey.Operation{KeyName: benchKey, Attributes: psa.AttributesToProto(attrs)}, appName)
	if err := loadclient.RoundTrip(sock, gen, 0); err != nil {
		return nil, err
	}
	return loadclient.Frame(provider, parsec.OpPsaSignHash, &psasignhash.Operation{KeyName: benchKey,
		Alg: psa.AsymSignToProto(attrs.Policy.Alg.Sign), Hash: benchDigest[:]}, appName), nil
}

// loadEach runs req through the daemon at sock with 1 and then 4 clients.
func loadEach(sock string, req []byte, d time.Duration) map[int]result {
	out := map[int]result{}
	for _, c := range []int{1, 4} {
		out[c] = load(sock, req, c, d)
	}
	return out
}

func verdict(s string, ok bool) {
	mark := "met"
	if !ok {
		mark = "MISSED"
	}
	fmt.Printf("  %-80s %s\n", s, mark)
}

func inProcessSign(digest []byte, d time.Duration) time.Duration {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	n := 0
	start := time.Now()
	for time.Since(start) < d/2 {
		if _, err := ecdsa.SignASN1(rand.Reader, key, digest); err != nil {
			panic(err)
		}
		n++
	}
	return time.Since(start) / time.Duration(n)
}

// delta formats how much later a's p50 is than b's, with its sign
// ("+160µs", or "-374µs" when a is faster).
func delta(a, b time.Duration) string {
	d := (a - b).Round(time.Microsecond)
	if d < 0 {
		return d.String()
	}
	return "+" + d.String()
}
