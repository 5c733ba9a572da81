// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package e2e

// A damaged key store, made by the test on the real daemon's bbolt file:
// the healthy keys stay visible and usable, the damaged one answers
// PsaErrorDataCorrupt and is logged once, and parsecd check-store reports
// every kind of damage and repairs it into quarantine without losing a byte.

import (
	"bytes"
	"crypto/sha256"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	bbolt "go.etcd.io/bbolt"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

// damageStore changes the stopped daemon's store with fn.
func damageStore(t *testing.T, path string, fn func(tx *bbolt.Tx) error) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
}

// bucketAt returns the bucket at path, creating it.
func bucketAt(tx *bbolt.Tx, path ...string) *bbolt.Bucket {
	b, err := tx.CreateBucketIfNotExists([]byte(path[0]))
	if err != nil {
		panic(err)
	}
	for _, p := range path[1:] {
		if b, err = b.CreateBucketIfNotExists([]byte(p)); err != nil {
			panic(err)
		}
	}
	return b
}

// checkStore runs parsecd check-store on d's config.
func checkStore(t *testing.T, d *Daemon, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(parsecdBin, append([]string{"check-store", "-c", d.Config}, args...)...)
	cmd.Env = append(os.Environ(), d.Env...) // e.g. SOFTHSM2_CONF, as the daemon has it
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String() + errOut.String(), code
}

func TestStoreDamage(t *testing.T) {
	t.Parallel()
	d := NewDaemon(t, Options{Admins: []string{"admin"}}).Start()
	ctx := t.Context()
	alice, bob := d.Direct("alice"), d.Direct("bob")
	ecdsa := opsSign(psa.SignEcdsa, psa.HashSHA256)
	attrs := opsSignAttrs(opsECCPair, 256, opsSignUsage, ecdsa)
	for _, k := range []string{"good", "bad"} {
		opsOK(t, alice.GenerateKey(ctx, k, attrs), "GenerateKey "+k)
	}
	opsOK(t, bob.GenerateKey(ctx, "b1", attrs), "GenerateKey b1")
	d.Stop()

	const prov = "software-provider"
	var goodValue []byte
	damageStore(t, d.Opts.Store, func(tx *bbolt.Tx) error {
		app := tx.Bucket([]byte("keys/v1")).Bucket([]byte(prov)).Bucket([]byte("1/alice"))
		goodValue = bytes.Clone(app.Get([]byte("good")))
		if err := app.Put([]byte("bad"), []byte("\x01this is not a key record")); err != nil {
			return err
		}
		// A key of a provider this configuration no longer names, and a
		// bucket that names no application.
		if err := bucketAt(tx, "keys/v1", "old-provider", "1/carol").Put([]byte("k"), goodValue); err != nil {
			return err
		}
		return bucketAt(tx, "keys/v1", prov, "nameless").Put([]byte("x"), goodValue)
	})

	d.Start()
	keys, err := alice.ListKeys(ctx)
	opsOK(t, err, "ListKeys over a damaged record")
	var names []string
	for _, k := range keys {
		names = append(names, k.Name)
	}
	if !slices.Equal(names, []string{"good"}) {
		t.Errorf("ListKeys = %v, want the healthy key only", names)
	}
	digest := sha256.Sum256([]byte("m"))
	if _, err := alice.SignHash(ctx, "good", ecdsa, digest[:]); err != nil {
		t.Errorf("SignHash with the healthy key: %v", err)
	}
	_, err = alice.SignHash(ctx, "bad", ecdsa, digest[:])
	opsExpect(t, err, status.PsaErrorDataCorrupt, "SignHash with the damaged key")
	// The name stays taken: a client must not recreate over a damaged key.
	if code := status.CodeOf(alice.GenerateKey(ctx, "bad", attrs)); code != status.PsaErrorAlreadyExists && code != status.PsaErrorDataCorrupt {
		t.Errorf("GenerateKey over the damaged key's name: %v, want AlreadyExists or DataCorrupt", code)
	}
	_, _ = alice.ListKeys(ctx)
	if n := strings.Count(d.Logs(), "a key record cannot be read"); n != 1 {
		t.Errorf("the damaged record was logged %d times, want once", n)
	}
	// carol owns a key of a provider no longer configured: still a client.
	if got, err := d.Direct("admin").ListClients(ctx); err != nil || !slices.Equal(got, []string{"alice", "bob", "carol"}) {
		t.Errorf("ListClients = %v, %v", got, err)
	}
	// check-store refuses a store the daemon holds.
	if out, code := checkStore(t, d); code != 1 || !strings.Contains(out, "stop it first") {
		t.Errorf("check-store while parsecd runs: exit %d\n%s", code, out)
	}
	d.Stop()

	damageStore(t, d.Opts.Store, func(tx *bbolt.Tx) error {
		return bucketAt(tx, "pending", prov, "1/bob").Put([]byte("half-made"), []byte{1})
	})
	out, code := checkStore(t, d)
	if code != 1 {
		t.Errorf("check-store on a damaged store: exit %d, want 1\n%s", code, out)
	}
	for _, want := range []string{
		`problem: key "bad" of application "alice" (Direct) in provider "software-provider": the record cannot be read`,
		`problem: bucket keys/v1/software-provider/"nameless" names no application`,
		`problem: 1 reservation(s) in provider "software-provider" left by an interrupted creation`,
		`note: 1 key(s) of provider "old-provider", which this configuration does not name`,
		"check-store: 4 key(s) checked, 3 problem(s) found, 0 repaired, 1 note(s)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check-store output lacks %q:\n%s", want, out)
		}
	}
	if out, code := checkStore(t, d, "--repair"); code != 0 || strings.Count(out, "repaired: ") != 3 {
		t.Errorf("check-store --repair: exit %d\n%s", code, out)
	}
	out, code = checkStore(t, d)
	if code != 0 || !strings.Contains(out, "0 problem(s) found") || !strings.Contains(out, "2 record(s) in the quarantine tree") {
		t.Errorf("check-store after the repair: exit %d\n%s", code, out)
	}
	// Nothing was deleted: the damaged bytes are in quarantine.
	damageStore(t, d.Opts.Store, func(tx *bbolt.Tx) error {
		q := tx.Bucket([]byte("quarantine")).Bucket([]byte(prov))
		if got := q.Bucket([]byte("1/alice")).Get([]byte("bad")); string(got) != "\x01this is not a key record" {
			t.Errorf("quarantined record = %q", got)
		}
		if got := q.Bucket([]byte("nameless")).Get([]byte("x")); !bytes.Equal(got, goodValue) {
			t.Error("the nameless bucket's record is not in quarantine")
		}
		return nil
	})

	d.Start()
	opsOK(t, alice.GenerateKey(ctx, "bad", attrs), "GenerateKey under the freed name")
	if _, err := bob.SignHash(ctx, "b1", ecdsa, digest[:]); err != nil {
		t.Errorf("bob's key after the repair: %v", err)
	}
}
