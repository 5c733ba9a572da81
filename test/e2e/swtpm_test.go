// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package e2e

// A swtpm per TPM test, started with test/scripts/swtpm.sh on a Unix
// socket: swtpm serves one connection at a time, so every daemon needs its
// own. A swtpm that cannot start fails the test (make test installs it).

import (
	"bufio"
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// swtpm is one running swtpm.
type swtpm struct {
	t    testing.TB
	Dir  string // state directory (kept across restart)
	TCTI string // e.g. swtpm:path=DIR/swtpm.sock
}

func swtpmScript() string { return filepath.Join(repoRoot, "test", "scripts", "swtpm.sh") }

// startSwtpm starts a swtpm on a state directory of the test and stops it
// when the test ends.
func startSwtpm(t testing.TB) *swtpm {
	t.Helper()
	s := &swtpm{t: t, Dir: filepath.Join(t.TempDir(), "swtpm")}
	s.Start()
	t.Cleanup(func() { _ = exec.Command(swtpmScript(), "stop", s.Dir).Run() })
	return s
}

// Start starts (or restarts) the swtpm on its state directory.
func (s *swtpm) Start() {
	s.t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(swtpmScript(), "start", "--unix", "--dir", s.Dir)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		s.t.Fatalf("starting swtpm (test/scripts/deps.sh installs it): %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "PARSEC_TEST_TCTI="); ok {
			s.TCTI = v
		}
	}
	if s.TCTI == "" {
		s.t.Fatalf("swtpm.sh start printed no PARSEC_TEST_TCTI: %q", out)
	}
}

// Stop stops the swtpm and keeps its state (a TPM reset when started again).
func (s *swtpm) Stop() {
	s.t.Helper()
	if out, err := exec.Command(swtpmScript(), "stop", s.Dir, "--keep").CombinedOutput(); err != nil {
		s.t.Fatalf("swtpm.sh stop: %v: %s", err, out)
	}
}

// Entry is the body of a Tpm [[provider]] entry for this swtpm.
func (s *swtpm) Entry(extra string) string {
	return "tcti = \"" + s.TCTI + "\"\nowner_hierarchy_auth = \"\"\n" + extra
}
