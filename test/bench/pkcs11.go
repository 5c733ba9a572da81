// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build cgo && pkcs11

package main

// ECDSA P-256 sign through parsecd's PKCS#11 provider vs the same
// miekg/pkcs11 C_SignInit + C_Sign made directly, with the same key (the
// token object parsecd created, found by its CKA_LABEL once parsecd has
// stopped) on the same SoftHSM2 token (a fresh one from
// test/scripts/init-softhsm.sh). The ratio is the price of going through
// the daemon (socket, framing, authentication, key lookup, session pool) on
// top of the token's own work.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/miekg/pkcs11"

	"github.com/parsecd/parsecd/src/parsec"
)

const (
	p11Lib   = "/usr/lib/softhsm/libsofthsm2.so"
	p11Label = "parsec-test"
	p11PIN   = "1234"
)

func runPkcs11(daemon string, d time.Duration) error {
	dir, err := os.MkdirTemp("", "parsecd-bench-pkcs11-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	out, err := exec.Command("test/scripts/init-softhsm.sh", "-d", filepath.Join(dir, "softhsm")).Output()
	if err != nil {
		return fmt.Errorf("test/scripts/init-softhsm.sh (run from the repository root): %w", err)
	}
	// This process and parsecd (which inherits the environment) use the same token.
	if err := os.Setenv("SOFTHSM2_CONF", strings.TrimSpace(string(out))); err != nil {
		return err
	}
	sock, cfg, err := writeConfig(dir, fmt.Sprintf("provider_type = \"Pkcs11\"\nlibrary_path = %q\ntoken_label = %q\nuser_pin = \"str:%s\"\n", p11Lib, p11Label, p11PIN))
	if err != nil {
		return err
	}
	pd, err := start(dir, sock, daemon, "-c", cfg)
	if err != nil {
		return err
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			_ = pd.Process.Signal(os.Interrupt)
			_ = pd.Wait()
		}
	}
	defer stop()
	sign, err := signP256(sock, parsec.ProviderPkcs11)
	if err != nil {
		return fmt.Errorf("creating the benchmark key on the token through parsecd: %w", err)
	}
	via := loadEach(sock, sign, d)
	// Direct: the same key, this process alone on the token.
	stop()
	direct := map[int]result{}
	for _, c := range []int{1, 4} {
		r, err := directSign(benchKey, benchDigest[:], c, d)
		if err != nil {
			return fmt.Errorf("direct C_Sign: %w", err)
		}
		direct[c] = r
	}

	fmt.Printf("PKCS#11 benchmark: ECDSA P-256 sign on SoftHSM2 %s (%s per phase, %d CPUs)\n\n", p11Lib, d, runtime.NumCPU())
	fmt.Printf("%-32s %10s %10s %10s %6s\n", "phase", "ops/s", "p50", "p99", "errors")
	for _, c := range []int{1, 4} {
		for _, row := range []struct {
			name string
			r    result
		}{{"direct C_Sign", direct[c]}, {"parsecd PKCS#11 sign", via[c]}} {
			fmt.Printf("%-32s %10.0f %10s %10s %6d\n", fmt.Sprintf("%s x%d", row.name, c), row.r.rate(),
				row.r.p50.Round(time.Microsecond), row.r.p99.Round(time.Microsecond), row.r.errs)
		}
	}
	fmt.Println("\nparsecd / direct:")
	for _, c := range []int{1, 4} {
		fmt.Printf("  x%d: throughput %.2f, p50 %.2f (%s per signature)\n", c,
			via[c].rate()/direct[c].rate(), float64(via[c].p50)/float64(direct[c].p50), delta(via[c].p50, direct[c].p50))
	}
	fmt.Println("\ntargets:")
	for _, c := range []int{1, 4} {
		r := via[c].rate() / direct[c].rate()
		verdict(fmt.Sprintf("PKCS#11 sign throughput x%d = %.2f x direct C_Sign (target >= 0.8)", c, r), r >= 0.8)
	}
	return nil
}

// directSign signs with clients sessions of one process (logged in once:
// the login is per token) looping C_SignInit + C_Sign with CKM_ECDSA on
// the private key object labelled label.
func directSign(label string, digest []byte, clients int, d time.Duration) (result, error) {
	p := pkcs11.New(p11Lib)
	if p == nil {
		return result{}, fmt.Errorf("cannot load %s", p11Lib)
	}
	defer p.Destroy()
	if err := p.Initialize(); err != nil {
		return result{}, fmt.Errorf("C_Initialize: %w", err)
	}
	defer func() { _ = p.Finalize() }()
	slots, err := p.GetSlotList(true)
	if err != nil {
		return result{}, fmt.Errorf("C_GetSlotList: %w", err)
	}
	slot, found := uint(0), false
	for _, s := range slots {
		if ti, err := p.GetTokenInfo(s); err == nil && strings.TrimSpace(ti.Label) == p11Label {
			slot, found = s, true
			break
		}
	}
	if !found {
		return result{}, fmt.Errorf("no token labelled %q", p11Label)
	}
	var sessions []pkcs11.SessionHandle
	defer func() {
		for _, s := range sessions {
			_ = p.CloseSession(s)
		}
	}()
	for range clients {
		s, err := p.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
		if err != nil {
			return result{}, fmt.Errorf("C_OpenSession: %w", err)
		}
		sessions = append(sessions, s)
	}
	if err := p.Login(sessions[0], pkcs11.CKU_USER, p11PIN); err != nil {
		return result{}, fmt.Errorf("C_Login: %w", err)
	}
	defer func() { _ = p.Logout(sessions[0]) }()
	if err := p.FindObjectsInit(sessions[0], []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_EC),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
	}); err != nil {
		return result{}, fmt.Errorf("C_FindObjectsInit: %w", err)
	}
	objs, _, err := p.FindObjects(sessions[0], 2)
	_ = p.FindObjectsFinal(sessions[0])
	if err != nil {
		return result{}, fmt.Errorf("C_FindObjects: %w", err)
	}
	if len(objs) != 1 {
		return result{}, fmt.Errorf("%d EC private keys labelled %q on the token, want the one parsecd created", len(objs), label)
	}
	priv := objs[0]
	mech := []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_ECDSA, nil)}
	ops := make([]func() error, len(sessions))
	for i, s := range sessions {
		ops[i] = func() error {
			if err := p.SignInit(s, mech, priv); err != nil {
				return err
			}
			sig, err := p.Sign(s, digest)
			if err == nil && len(sig) != 64 {
				err = fmt.Errorf("signature of %d bytes", len(sig))
			}
			return err
		}
	}
	return measure(ops, d), nil
}
