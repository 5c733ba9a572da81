// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package bolt

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A store locked by another process names that process and asks the
// question once.
func TestOpenLockedNamesHolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	// flock(1) holds the same kind of lock bbolt takes, in another process.
	cmd := exec.Command("flock", "--exclusive", path, "sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatalf("flock(1) (util-linux) is needed: %v", err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	deadline := time.Now().Add(5 * time.Second)
	for lockHolder(path) == 0 {
		if time.Now().After(deadline) {
			b, _ := os.ReadFile("/proc/locks")
			t.Fatalf("lockHolder never saw the lock of pid %d; /proc/locks:\n%s", cmd.Process.Pid, b)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := lockHolder(path); got != cmd.Process.Pid {
		t.Errorf("lockHolder = %d, want %d", got, cmd.Process.Pid)
	}
	_, err = Open(path, Options{Timeout: 50 * time.Millisecond})
	if err == nil {
		t.Fatal("Open succeeded on a store another process holds")
	}
	msg := err.Error()
	want := "is locked by process " + strconv.Itoa(cmd.Process.Pid) + ": is another parsecd running with this store?"
	if !strings.Contains(msg, want) || strings.Count(msg, "another parsecd") != 1 || strings.Contains(msg, "timeout") {
		t.Errorf("error %q, want it to contain %q once and no bbolt internals", msg, want)
	}
}
