// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package main

// ECDSA P-256 sign through parsecd's TPM provider vs go-tpm calls made
// directly on the same swtpm (a fresh one from test/scripts/swtpm.sh, on a
// Unix socket). Two direct phases bracket the daemon: "TPM2_Sign" signs
// with a key kept loaded, in a password session (the TPM's own floor);
// "Load+Sign+Flush" sends the commands parsecd sends for a key it does not
// hold loaded (load the wrapped key under the storage key, sign in an HMAC
// session salted with the storage key, flush), as it did for every
// signature before its loaded-key cache. The benchmark signs with one key,
// which stays cached: parsecd / TPM2_Sign is the price of the daemon
// (socket, framing, authentication, key store, the HMAC session).

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/google/go-tpm/tpm2"

	"github.com/parsecd/parsecd/providers/tpm"
	"github.com/parsecd/parsecd/src/parsec"
)

func runTPM(daemon string, d time.Duration) error {
	dir, err := os.MkdirTemp("", "parsecd-bench-tpm-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	tcti, err := startBenchSwtpm(filepath.Join(dir, "swtpm"))
	if err != nil {
		return err
	}
	defer exec.Command("test/scripts/swtpm.sh", "stop", filepath.Join(dir, "swtpm")).Run()
	sock, cfg, err := writeConfig(dir, fmt.Sprintf("provider_type = \"Tpm\"\ntcti = %q\nowner_hierarchy_auth = \"\"\n", tcti))
	if err != nil {
		return err
	}
	pd, err := start(dir, sock, daemon, "-c", cfg)
	if err != nil {
		return err
	}
	sign, err := signP256(sock, parsec.ProviderTpm)
	if err != nil {
		_ = pd.Process.Signal(os.Interrupt)
		_ = pd.Wait()
		return fmt.Errorf("creating the benchmark key in the TPM through parsecd: %w", err)
	}
	via := loadEach(sock, sign, d)
	// swtpm serves one connection at a time: parsecd must let go of it.
	_ = pd.Process.Signal(os.Interrupt)
	_ = pd.Wait()

	floor, same, err := directTPM(tcti, benchDigest[:], d)
	if err != nil {
		return fmt.Errorf("direct go-tpm: %w", err)
	}
	fmt.Printf("TPM benchmark: ECDSA P-256 sign on swtpm (%s, %s per phase, %d CPUs)\n\n", tcti, d, runtime.NumCPU())
	fmt.Printf("%-40s %10s %10s %10s %6s\n", "phase", "ops/s", "p50", "p99", "errors")
	for _, row := range []struct {
		name string
		r    result
	}{{"direct TPM2_Sign (key loaded) x1", floor}, {"direct Load+Sign+Flush (salted) x1", same},
		{"parsecd TPM sign x1", via[1]}, {"parsecd TPM sign x4", via[4]}} {
		fmt.Printf("%-40s %10.0f %10s %10s %6d\n", row.name, row.r.rate(),
			row.r.p50.Round(time.Microsecond), row.r.p99.Round(time.Microsecond), row.r.errs)
	}
	fmt.Println("\nparsecd x1 / direct:")
	for _, row := range []struct {
		name string
		r    result
	}{{"Load+Sign+Flush", same}, {"TPM2_Sign", floor}} {
		fmt.Printf("  vs %-16s throughput %.2f, p50 %.2f (%s per signature)\n", row.name,
			via[1].rate()/row.r.rate(), float64(via[1].p50)/float64(row.r.p50), delta(via[1].p50, row.r.p50))
	}
	fmt.Println("\ntargets:")
	r := via[1].rate() / floor.rate()
	verdict(fmt.Sprintf("TPM sign throughput x1 = %.2f x bare TPM2_Sign on a loaded key (target >= 0.85)", r), r >= 0.85)
	return nil
}

// startBenchSwtpm starts a swtpm on dir and returns its TCTI.
func startBenchSwtpm(dir string) (string, error) {
	var stderr bytes.Buffer
	cmd := exec.Command("test/scripts/swtpm.sh", "start", "--unix", "--dir", dir)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("test/scripts/swtpm.sh start (run from the repository root): %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "PARSEC_TEST_TCTI="); ok {
			return v, nil
		}
	}
	return "", fmt.Errorf("swtpm.sh start printed no PARSEC_TEST_TCTI: %q", out)
}

// directTPM creates a storage key and an ECC P-256 key with a random auth
// value as parsecd does, then measures the two direct phases.
func directTPM(tcti string, digest []byte, d time.Duration) (floor, same result, err error) {
	tc, err := tpm.ParseTCTI(tcti)
	if err != nil {
		return floor, same, err
	}
	t, err := tpm.Open(context.Background(), tc)
	if err != nil {
		return floor, same, err
	}
	defer t.Close()
	if err := tpm.Startup(t); err != nil {
		return floor, same, err
	}
	srk, err := tpm2.CreatePrimary{PrimaryHandle: tpm2.TPMRHOwner, InPublic: tpm2.New2B(tpm2.ECCSRKTemplate)}.Execute(t)
	if err != nil {
		return floor, same, fmt.Errorf("TPM2_CreatePrimary: %w", err)
	}
	defer tpm2.FlushContext{FlushHandle: srk.ObjectHandle}.Execute(t)
	srkPub, err := srk.OutPublic.Contents()
	if err != nil {
		return floor, same, err
	}
	auth := make([]byte, 32)
	for i := range auth {
		for auth[i] == 0 { // see providers/tpm newAuth: no zero byte for go-tpm's HMAC key
			_, _ = rand.Read(auth[i : i+1])
		}
	}
	tmpl := tpm2.TPMTPublic{Type: tpm2.TPMAlgECC, NameAlg: tpm2.TPMAlgSHA256,
		ObjectAttributes: tpm2.TPMAObject{FixedTPM: true, FixedParent: true, SensitiveDataOrigin: true, UserWithAuth: true, NoDA: true, SignEncrypt: true, Decrypt: true},
		Parameters: tpm2.NewTPMUPublicParms(tpm2.TPMAlgECC, &tpm2.TPMSECCParms{Symmetric: tpm2.TPMTSymDefObject{Algorithm: tpm2.TPMAlgNull},
			Scheme: tpm2.TPMTECCScheme{Scheme: tpm2.TPMAlgNull}, CurveID: tpm2.TPMECCNistP256, KDF: tpm2.TPMTKDFScheme{Scheme: tpm2.TPMAlgNull}}),
		Unique: tpm2.NewTPMUPublicID(tpm2.TPMAlgECC, &tpm2.TPMSECCPoint{})}
	parent := tpm2.AuthHandle{Handle: srk.ObjectHandle, Name: srk.Name, Auth: tpm2.PasswordAuth(nil)}
	key, err := tpm2.Create{ParentHandle: parent,
		InSensitive: tpm2.TPM2BSensitiveCreate{Sensitive: &tpm2.TPMSSensitiveCreate{UserAuth: tpm2.TPM2BAuth{Buffer: auth}}},
		InPublic:    tpm2.New2B(tmpl)}.Execute(t)
	if err != nil {
		return floor, same, fmt.Errorf("TPM2_Create: %w", err)
	}
	scheme := tpm2.TPMTSigScheme{Scheme: tpm2.TPMAlgECDSA, Details: tpm2.NewTPMUSigScheme(tpm2.TPMAlgECDSA, &tpm2.TPMSSchemeHash{HashAlg: tpm2.TPMAlgSHA256})}
	signWith := func(h tpm2.AuthHandle) error {
		_, err := tpm2.Sign{KeyHandle: h, Digest: tpm2.TPM2BDigest{Buffer: digest}, InScheme: scheme,
			Validation: tpm2.TPMTTKHashCheck{Tag: tpm2.TPMSTHashCheck, Hierarchy: tpm2.TPMRHNull}}.Execute(t)
		return err
	}
	loadKey := func() (*tpm2.LoadResponse, error) {
		return tpm2.Load{ParentHandle: parent, InPrivate: key.OutPrivate, InPublic: key.OutPublic}.Execute(t)
	}
	loaded, err := loadKey()
	if err != nil {
		return floor, same, fmt.Errorf("TPM2_Load: %w", err)
	}
	kept := tpm2.AuthHandle{Handle: loaded.ObjectHandle, Name: loaded.Name, Auth: tpm2.PasswordAuth(auth)}
	floor = measure([]func() error{func() error { return signWith(kept) }}, d)
	tpm2.FlushContext{FlushHandle: loaded.ObjectHandle}.Execute(t)
	same = measure([]func() error{func() error {
		l, err := loadKey()
		if err != nil {
			return err
		}
		defer tpm2.FlushContext{FlushHandle: l.ObjectHandle}.Execute(t)
		return signWith(tpm2.AuthHandle{Handle: l.ObjectHandle, Name: l.Name,
			Auth: tpm2.HMAC(tpm2.TPMAlgSHA256, 16, tpm2.Auth(auth), tpm2.Salted(srk.ObjectHandle, *srkPub))})
	}}, d)
	return floor, same, nil
}
