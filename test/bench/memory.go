// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package main

// The memory phase: parsecd with the software and the TPM provider (on a
// fresh swtpm), its resident memory idle, under 16 concurrent clients of
// mixed key operations, and in the 10 s of idle that follow.

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/parsecd/parsecd/src/interface/ops/listkeys"
	"github.com/parsecd/parsecd/src/interface/ops/psadestroykey"
	"github.com/parsecd/parsecd/src/interface/ops/psageneratekey"
	"github.com/parsecd/parsecd/src/interface/ops/psaimportkey"
	"github.com/parsecd/parsecd/src/interface/ops/psaverifyhash"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/test/loadclient"
)

// rss is a process's resident memory from /proc/<pid>/status, in KiB
// (the kernel's "kB"): the total and its anonymous (heap, stacks) and
// file-backed (the binary's pages, the key store's mapping) parts.
type rss struct{ total, anon, file, threads int }

func rssOf(pid int) rss {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return rss{-1, -1, -1, -1}
	}
	var r rss
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		n, _ := strconv.Atoi(f[1])
		switch f[0] {
		case "VmRSS:":
			r.total = n
		case "RssAnon:":
			r.anon = n
		case "RssFile:":
			r.file = n
		case "Threads:":
			r.threads = n
		}
	}
	return r
}

// mb formats KiB as the MB (1,000 kB of VmRSS, as the Parsec
// figure it compares with was read).
func mb(kib int) string { return fmt.Sprintf("%.2f MB", float64(kib)/1000) }

func (r rss) String() string {
	return fmt.Sprintf("%s (anon %s + file %s), %d threads", mb(r.total), mb(r.anon), mb(r.file), r.threads)
}

// Memory targets (issue 14), in kB of VmRSS.
const (
	idleBudget     = 5200 // the Rust service idle
	loadBudget     = 8000 // after 16 clients of mixed operations
	settledBudget  = 6000 // within settleWindow of idle after them
	settleWindow   = 10 * time.Second
	memoryClients  = 16
	verifyKeyName  = "bench-verify"
	softAndTPMConf = "provider_type = \"Software\"\n\n[[provider]]\nkey_info_manager = \"store\"\nprovider_type = \"Tpm\"\ntcti = %q\nowner_hierarchy_auth = \"\"\n"
)

// runMemory measures parsecd's memory with the software and TPM providers.
func runMemory(daemon string, d time.Duration) error {
	dir, err := os.MkdirTemp("", "parsecd-bench-mem-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	tcti, err := startBenchSwtpm(filepath.Join(dir, "swtpm"))
	if err != nil {
		return err
	}
	defer exec.Command("test/scripts/swtpm.sh", "stop", filepath.Join(dir, "swtpm")).Run()
	sock, cfg, err := writeConfig(dir, fmt.Sprintf(softAndTPMConf, tcti))
	if err != nil {
		return err
	}
	pd, err := start(dir, sock, daemon, "-c", cfg)
	if err != nil {
		return err
	}
	defer func() { _ = pd.Process.Signal(os.Interrupt); _ = pd.Wait() }()
	pid := pd.Process.Pid
	time.Sleep(time.Second)
	idle := rssOf(pid)

	mix, err := mixedOps(sock)
	if err != nil {
		return err
	}
	stop := make(chan struct{})
	var peak rss
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if r := rssOf(pid); r.total > peak.total {
					peak = r
				}
			}
		}
	}()
	ops := make([]func() error, memoryClients)
	for i := range ops {
		ops[i] = mix(i)
	}
	res := measure(ops, d)
	close(stop)
	wg.Wait()
	after := rssOf(pid)
	settled, at := after, time.Duration(-1)
	begin := time.Now()
	for time.Since(begin) < settleWindow {
		time.Sleep(100 * time.Millisecond)
		settled = rssOf(pid)
		if at < 0 && settled.total <= settledBudget {
			at = time.Since(begin)
		}
	}

	fmt.Printf("memory: parsecd with the software and TPM (swtpm) providers; %d clients of mixed operations (sign, verify, generate, list, destroy) for %s\n\n", memoryClients, d)
	fmt.Printf("  %-34s %s\n", "idle (1 s after start)", idle)
	fmt.Printf("  %-34s %s\n", "peak under load", peak)
	fmt.Printf("  %-34s %s\n", "at the end of the load", after)
	fmt.Printf("  %-34s %s\n", "after 10 s idle", settled)
	fmt.Printf("  %-34s %.0f rounds of 5 requests/s, %d errors\n\n", "load", res.rate(), res.errs)
	back := "not within 10 s"
	if at >= 0 {
		back = "after " + at.Round(100*time.Millisecond).String()
	}
	fmt.Println("targets:")
	verdict(fmt.Sprintf("idle VmRSS = %s (target <= 5.2 MB)", mb(idle.total)), idle.total <= idleBudget)
	verdict(fmt.Sprintf("VmRSS after %d mixed clients = %s (target <= 8 MB)", memoryClients, mb(after.total)), after.total <= loadBudget)
	verdict(fmt.Sprintf("back to <= 6 MB within 10 s of idle: %s (%s at 10 s)", back, mb(settled.total)), at >= 0)
	return nil
}

// mixedOps prepares the mixed workload on the software provider: each
// round signs with the benchmark key, verifies a signature made here with
// an imported key, generates a key of the client's own, lists the
// application's keys and destroys the new key again.
func mixedOps(sock string) (func(i int) func() error, error) {
	sign, err := signP256(sock, parsec.ProviderMbedCrypto)
	if err != nil {
		return nil, fmt.Errorf("creating the benchmark key: %w", err)
	}
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	scalar, err := priv.Bytes()
	if err != nil {
		return nil, err
	}
	attrs := p256Sign
	imp := loadclient.Frame(parsec.ProviderMbedCrypto, parsec.OpPsaImportKey, &psaimportkey.Operation{KeyName: verifyKeyName, Attributes: psa.AttributesToProto(attrs), Data: scalar}, appName)
	if err := loadclient.RoundTrip(sock, imp, 0); err != nil {
		return nil, fmt.Errorf("importing the verification key: %w", err)
	}
	r, s, err := ecdsa.Sign(rand.Reader, priv, benchDigest[:])
	if err != nil {
		return nil, err
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	verify := loadclient.Frame(parsec.ProviderMbedCrypto, parsec.OpPsaVerifyHash, &psaverifyhash.Operation{KeyName: verifyKeyName,
		Alg: psa.AsymSignToProto(attrs.Policy.Alg.Sign), Hash: benchDigest[:], Signature: sig}, appName)
	list := loadclient.Frame(parsec.ProviderCore, parsec.OpListKeys, &listkeys.Operation{}, appName)
	return func(i int) func() error {
		name := fmt.Sprintf("mix-%d", i)
		gen := loadclient.Frame(parsec.ProviderMbedCrypto, parsec.OpPsaGenerateKey, &psageneratekey.Operation{KeyName: name, Attributes: psa.AttributesToProto(attrs)}, appName)
		destroy := loadclient.Frame(parsec.ProviderMbedCrypto, parsec.OpPsaDestroyKey, &psadestroykey.Operation{KeyName: name}, appName)
		return func() error {
			for _, req := range [][]byte{sign, verify, gen, list, destroy} {
				if err := loadclient.RoundTrip(sock, req, 0); err != nil {
					return err
				}
			}
			return nil
		}
	}, nil
}
