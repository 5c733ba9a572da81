// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package e2e

// meta-parsec ships parsec-cli-tests.sh in the parsec-tool package and its
// oeqa case runs it for every provider of an image: here it runs against the
// real daemon with the software and TPM providers, as the image would.

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

var cliTestsSummary = regexp.MustCompile(`(?m)^(\d+) passed, (\d+) failed$`)

// runCliTestsScript runs parsec-cli-tests.sh with args against d and fails
// t unless it exits 0 with at least minPassed checks passed and none failed.
func runCliTestsScript(t *testing.T, d *Daemon, minPassed int, args ...string) {
	t.Helper()
	script := filepath.Join(repoRoot, "meta-parsec", "recipes-parsec", "parsec-tool", "files", "parsec-cli-tests.sh")
	cmd := exec.Command("sh", append([]string{script}, args...)...)
	cmd.Env = append(os.Environ(), "PARSEC_TOOL="+toolBin, "OPENSSL="+cliOpenSSL(t),
		"PARSEC_SERVICE_ENDPOINT="+d.Endpoint())
	cmd.Env = append(cmd.Env, d.Env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("parsec-cli-tests.sh %v: %v\n%s", args, err, out)
	}
	t.Logf("parsec-cli-tests.sh %v:\n%s", args, out)
	m := cliTestsSummary.FindSubmatch(out)
	if m == nil {
		t.Fatalf("parsec-cli-tests.sh %v printed no summary line:\n%s", args, out)
	}
	passed, _ := strconv.Atoi(string(m[1]))
	if passed < minPassed || string(m[2]) != "0" {
		t.Errorf("parsec-cli-tests.sh %v: %s passed, %s failed (want >= %d passed, 0 failed):\n%s", args, m[1], m[2], minPassed, out)
	}
}

// Per provider: random, RSA PKCS#1 and OAEP round trips (with openssl
// encrypting), ECDSA sign, CSR, list-keys, delete-key.
const cliTestsPerProvider = 7

func TestCliTestsScriptSoftwareAndTpm(t *testing.T) {
	d, _ := tpmDaemon(t, tpmSoftEntry)
	d.Start()
	// What the oeqa case runs for the TPM provider, then for the software
	// provider with OAEP left out, then every provider at once.
	runCliTestsScript(t, d, 2+cliTestsPerProvider, "-N", "-p", "3", "--rsa-key-size", "2048")
	runCliTestsScript(t, d, 2+cliTestsPerProvider-1, "-N", "-p", "1", "--no-oaep")
	runCliTestsScript(t, d, 2+2*cliTestsPerProvider)
}
