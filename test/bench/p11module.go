// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build cgo && pkcs11

package main

// libparsec-pkcs11.so (issue 18) against parsecd's own client, with the
// same ECDSA P-256 key of the software provider: SignHash through the Go
// client, C_SignInit + C_Sign through the module loaded in this process
// (miekg/pkcs11), and a whole `pkcs11-tool --sign` process (start, module
// load and Go runtime start, C_Initialize, find, sign, exit) next to
// `pkcs11-tool --show-info` (start, load, C_Initialize, no parsecd request)
// with this module and with SoftHSM2's C module, which prices the Go
// runtime's start in every process that loads the module.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	"github.com/miekg/pkcs11"

	"github.com/parsecd/parsecd/src/client"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/psa"
)

const p11ModKey = "bench-p11module"

func runP11Module(daemon, module string, d time.Duration) error {
	st, err := os.Stat(module)
	if err != nil {
		return err
	}
	dir, sock, _, stop, err := startSoftware(daemon, "parsecd-bench-p11module-")
	if err != nil {
		return err
	}
	defer stop()
	// The module and pkcs11-tool find parsecd here; under the Direct
	// authenticator the module is the application "parsec-tool".
	if err := os.Setenv(client.EndpointEnv, "unix:"+sock); err != nil {
		return err
	}
	c, err := client.New(client.WithAuth(client.DirectAuth("parsec-tool")), client.WithProvider(parsec.ProviderMbedCrypto))
	if err != nil {
		return err
	}
	ctx := context.Background()
	if err := c.GenerateKey(ctx, p11ModKey, psa.KeyAttributes{
		Type: psa.KeyType{Kind: psa.KeyEccPair, EccFamily: psa.EccSecpR1}, Bits: 256,
		Policy: psa.KeyPolicy{Usage: psa.UsageSignHash | psa.UsageVerifyHash,
			Alg: psa.Algorithm{Kind: psa.AlgAsymSign, Sign: psa.AsymSign{Kind: psa.SignEcdsa, AnyHash: true}}},
	}); err != nil {
		return fmt.Errorf("creating the benchmark key: %w", err)
	}
	alg := psa.AsymSign{Kind: psa.SignEcdsa, Hash: psa.HashSHA256}
	viaClient := measure([]func() error{func() error {
		_, err := c.SignHash(ctx, p11ModKey, alg, benchDigest[:])
		return err
	}}, d)
	viaModule, err := moduleSign(module, d)
	if err != nil {
		return err
	}
	digestFile := filepath.Join(dir, "digest")
	if err := os.WriteFile(digestFile, benchDigest[:], 0o600); err != nil {
		return err
	}
	id := sha256.Sum256([]byte(p11ModKey))
	tool := func(args ...string) func() error {
		return func() error { return exec.Command("pkcs11-tool", args...).Run() }
	}
	toolSign := measure([]func() error{tool("--module", module, "--sign", "--id", hex.EncodeToString(id[:16]), "-m", "ECDSA",
		"-i", digestFile, "-o", filepath.Join(dir, "sig"))}, d)
	toolInfo := measure([]func() error{tool("--module", module, "--show-info")}, d)
	softInfo := measure([]func() error{tool("--module", p11Lib, "--show-info")}, d)

	fmt.Printf("PKCS#11 module benchmark: %s, %d bytes stripped; ECDSA P-256 sign, software provider (%s per phase, %d CPUs)\n\n",
		module, st.Size(), d, runtime.NumCPU())
	fmt.Printf("%-44s %10s %10s %10s %6s\n", "phase", "ops/s", "p50", "p99", "errors")
	for _, row := range []struct {
		name string
		r    result
	}{
		{"parsecd client SignHash", viaClient},
		{"module C_SignInit+C_Sign (in process)", viaModule},
		{"pkcs11-tool --sign (whole process)", toolSign},
		{"pkcs11-tool --show-info, this module", toolInfo},
		{"pkcs11-tool --show-info, SoftHSM2 (C)", softInfo},
	} {
		fmt.Printf("%-44s %10.0f %10s %10s %6d\n", row.name, row.r.rate(), row.r.p50.Round(time.Microsecond), row.r.p99.Round(time.Microsecond), row.r.errs)
	}
	fmt.Printf("\nmodule / client per signature: p50 %.2f (%s)\n", float64(viaModule.p50)/float64(viaClient.p50), delta(viaModule.p50, viaClient.p50))
	fmt.Printf("loading this module vs SoftHSM2 per process: %s\n", delta(toolInfo.p50, softInfo.p50))
	return nil
}

// moduleSign loads the module in this process and loops C_SignInit +
// C_Sign (CKM_ECDSA over the SHA-256 digest) on the benchmark key.
func moduleSign(module string, d time.Duration) (result, error) {
	p := pkcs11.New(module)
	if p == nil {
		return result{}, fmt.Errorf("cannot load %s", module)
	}
	defer p.Destroy()
	if err := p.Initialize(); err != nil {
		return result{}, fmt.Errorf("C_Initialize: %w", err)
	}
	defer func() { _ = p.Finalize() }()
	slots, err := p.GetSlotList(true)
	if err != nil || len(slots) == 0 {
		return result{}, fmt.Errorf("C_GetSlotList: %d slots, %v", len(slots), err)
	}
	s, err := p.OpenSession(slots[0], pkcs11.CKF_SERIAL_SESSION)
	if err != nil {
		return result{}, fmt.Errorf("C_OpenSession: %w", err)
	}
	defer func() { _ = p.CloseSession(s) }()
	if err := p.FindObjectsInit(s, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, p11ModKey),
	}); err != nil {
		return result{}, fmt.Errorf("C_FindObjectsInit: %w", err)
	}
	objs, _, err := p.FindObjects(s, 2)
	_ = p.FindObjectsFinal(s)
	if err != nil || len(objs) != 1 {
		return result{}, fmt.Errorf("C_FindObjects: %d objects, %v", len(objs), err)
	}
	mech := []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_ECDSA, nil)}
	return measure([]func() error{func() error {
		if err := p.SignInit(s, mech, objs[0]); err != nil {
			return err
		}
		sig, err := p.Sign(s, benchDigest[:])
		if err == nil && len(sig) != 64 {
			err = fmt.Errorf("signature of %d bytes", len(sig))
		}
		return err
	}}, d), nil
}
