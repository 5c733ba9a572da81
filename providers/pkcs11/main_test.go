// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build cgo && pkcs11

package pkcs11

// The tests run against SoftHSM2. TestMain gives them private token
// directories made by test/scripts/init-softhsm.sh (which installs
// softhsm2 when missing and running as root, and fails loudly otherwise):
// one with the token "parsec-test" (SOFTHSM2_CONF for every test), one
// with two tokens for the token selection tests. The module is
// PARSEC_TEST_PKCS11_LIB, by default SoftHSM's.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/pkcs11"

	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/storage"
	"github.com/parsecd/parsecd/storage/memory"
)

const (
	defaultTestLib = "/usr/lib/softhsm/libsofthsm2.so"
	testLabel      = "parsec-test"
	testPIN        = "1234"
)

var (
	testLib   string // the PKCS#11 module under test
	mainConf  string // SOFTHSM2_CONF with one token, testLabel
	multiConf string // SOFTHSM2_CONF with two tokens, parsec-a and parsec-b
)

var (
	appA = storage.Client{App: "app-a", Auth: parsec.AuthDirect}
	appB = storage.Client{App: "app-b", Auth: parsec.AuthDirect}
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	testLib = os.Getenv("PARSEC_TEST_PKCS11_LIB")
	if testLib == "" {
		testLib = defaultTestLib
	}
	dir, err := os.MkdirTemp("", "parsecd-pkcs11-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "pkcs11 tests:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if mainConf, err = initTokens(filepath.Join(dir, "main"), testLabel); err != nil {
		fmt.Fprintln(os.Stderr, "pkcs11 tests: FATAL:", err)
		return 1
	}
	if multiConf, err = initTokens(filepath.Join(dir, "multi"), "parsec-a", "parsec-b"); err != nil {
		fmt.Fprintln(os.Stderr, "pkcs11 tests: FATAL:", err)
		return 1
	}
	if _, err := os.Stat(testLib); err != nil {
		fmt.Fprintf(os.Stderr, "pkcs11 tests: FATAL: the PKCS#11 module %s: %v (set PARSEC_TEST_PKCS11_LIB)\n", testLib, err)
		return 1
	}
	os.Setenv("SOFTHSM2_CONF", mainConf)
	return m.Run()
}

// initTokens runs init-softhsm.sh: a token directory in dir with one token
// per label; it returns the SOFTHSM2_CONF path.
func initTokens(dir string, labels ...string) (string, error) {
	script, err := filepath.Abs("../../test/scripts/init-softhsm.sh")
	if err != nil {
		return "", err
	}
	var stderr bytes.Buffer
	cmd := exec.Command(script, append([]string{"-d", dir}, labels...)...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s: %v\n%s", script, err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	conf := strings.TrimSpace(lines[len(lines)-1])
	if _, err := os.Stat(conf); err != nil {
		return "", fmt.Errorf("%s printed %q, not a config file: %v", script, conf, err)
	}
	return conf, nil
}

// useConf switches SOFTHSM2_CONF for one test. SoftHSM reads it in
// C_Initialize, so no provider may be open.
func useConf(t *testing.T, conf string) {
	t.Helper()
	if n := moduleUsers(testLib); n != 0 {
		t.Fatalf("%d providers still use the module: SOFTHSM2_CONF cannot change", n)
	}
	t.Setenv("SOFTHSM2_CONF", conf)
}

// testOptions are the options of a provider on the test token.
func testOptions() Options {
	return Options{
		Name:            "pkcs11-test",
		LibraryPath:     testLib,
		TokenLabel:      testLabel,
		PIN:             testPIN,
		HasPIN:          true,
		AllowExport:     true,
		SessionPoolSize: DefaultSessionPoolSize,
	}
}

// newTestProvider builds a provider on store (a fresh memory store if nil),
// closed when the test ends.
func newTestProvider(t testing.TB, o Options, store storage.KeyStore) *Provider {
	t.Helper()
	if store == nil {
		store = memory.New()
	}
	p, err := New(context.Background(), o, provider.Deps{Keys: store})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return p
}

// rawSession opens a logged-in session of its own on the provider's token,
// to act behind the provider's back.
func rawSession(t testing.TB, p *Provider) pkcs11.SessionHandle {
	t.Helper()
	h, err := p.mod.ctx.OpenSession(p.tok.slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
	if err != nil {
		t.Fatalf("C_OpenSession: %v", err)
	}
	if err := p.mod.ctx.Login(h, pkcs11.CKU_USER, testPIN); err != nil && !isCKR(err, pkcs11.CKR_USER_ALREADY_LOGGED_IN) {
		t.Fatalf("C_Login: %v", err)
	}
	t.Cleanup(func() { _ = p.mod.ctx.CloseSession(h) })
	return h
}

// objectsWith returns the token objects matching tmpl, seen from session h.
func objectsWith(t testing.TB, p *Provider, h pkcs11.SessionHandle, tmpl ...*pkcs11.Attribute) []pkcs11.ObjectHandle {
	t.Helper()
	objs, err := p.findAll(h, tmpl, 0)
	if err != nil {
		t.Fatalf("finding objects: %v", err)
	}
	return objs
}

func depsOn(store storage.KeyStore) provider.Deps { return provider.Deps{Keys: store} }
