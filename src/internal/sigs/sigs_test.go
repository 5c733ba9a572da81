// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package sigs

import (
	"os"
	"syscall"
	"testing"
	"time"
)

// A burst of SIGHUPs makes one pending reload and cannot push out the
// SIGTERM behind it; the first stop signal is the one kept.
func TestCatchBurst(t *testing.T) {
	s := Catch()
	pid := os.Getpid()
	for range 500 {
		if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.Stop():
	case <-time.After(10 * time.Second):
		t.Fatal("SIGTERM after 500 SIGHUPs was lost")
	}
	if err := syscall.Kill(pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if got := s.Stopping(); got != syscall.SIGTERM {
		t.Errorf("Stopping() = %v, want the first stop signal, SIGTERM", got)
	}
	if !s.ReloadPending() {
		t.Error("no reload pending after 500 SIGHUPs")
	}
	if s.ReloadPending() {
		t.Error("the SIGHUPs made more than one pending reload")
	}
}

// Without Signals nothing is ever ready.
func TestNilSignals(t *testing.T) {
	var s *Signals
	if s.Stopping() != nil || s.ReloadPending() || s.Stop() != nil || s.Reload() != nil {
		t.Error("nil Signals reports something")
	}
}
