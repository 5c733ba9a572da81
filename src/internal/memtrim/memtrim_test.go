// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package memtrim

import (
	"runtime/debug"
	"sync/atomic"
	"testing"
	"time"
)

// waitTrims waits (up to 10 s) until t has trimmed n times.
func waitTrims(t *testing.T, tr *Trimmer, n int64) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); tr.Trims() < n; {
		if time.Now().After(deadline) {
			t.Fatalf("%d trims after 10 s, want %d", tr.Trims(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestOncePerBurst: a burst of requests, however long, is followed by one
// trim once it is over, and an idle daemon is not trimmed again.
func TestOncePerBurst(t *testing.T) {
	var freed atomic.Int64
	tr := New(300*time.Millisecond, func() { freed.Add(1) })
	defer tr.Stop()
	if tr.Trims() != 0 {
		t.Fatal("trimmed before any request")
	}
	// Requests 5 ms apart for longer than the idle time: no trim meanwhile.
	for end := time.Now().Add(600 * time.Millisecond); time.Now().Before(end); {
		tr.Done()
		time.Sleep(5 * time.Millisecond)
	}
	if n := freed.Load(); n != 0 {
		t.Fatalf("trimmed %d times while requests kept coming", n)
	}
	waitTrims(t, tr, 1)
	time.Sleep(time.Second) // idle: no second trim
	if n := freed.Load(); n != 1 {
		t.Fatalf("%d trims after one burst, want 1", n)
	}
	// The next burst gets its own.
	for range 100 {
		tr.Done()
	}
	waitTrims(t, tr, 2)
	if n := freed.Load(); n != 2 {
		t.Fatalf("%d trims after two bursts, want 2", n)
	}
}

// TestConcurrentDone: requests ending in many goroutines at once set the
// timer once; exactly one trim follows.
func TestConcurrentDone(t *testing.T) {
	var freed atomic.Int64
	tr := New(100*time.Millisecond, func() { freed.Add(1) })
	defer tr.Stop()
	done := make(chan struct{})
	for range 16 {
		go func() {
			for range 1000 {
				tr.Done()
			}
			done <- struct{}{}
		}()
	}
	for range 16 {
		<-done
	}
	waitTrims(t, tr, 1)
	time.Sleep(500 * time.Millisecond)
	if n := freed.Load(); n != 1 {
		t.Fatalf("%d trims after one concurrent burst, want 1", n)
	}
}

// TestDefaults: the collector's defaults apply unless GOGC or GOMEMLIMIT
// is set in the environment.
func TestDefaults(t *testing.T) {
	oldPct := debug.SetGCPercent(100)
	oldLimit := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetGCPercent(oldPct); debug.SetMemoryLimit(oldLimit) })

	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	Defaults()
	if got := debug.SetGCPercent(100); got != GCPercent {
		t.Errorf("GC percent %d without GOGC, want %d", got, GCPercent)
	}
	if got := debug.SetMemoryLimit(-1); got != MemoryLimit {
		t.Errorf("memory limit %d without GOMEMLIMIT, want %d", got, MemoryLimit)
	}

	debug.SetGCPercent(77)
	debug.SetMemoryLimit(12345678)
	t.Setenv("GOGC", "77")
	t.Setenv("GOMEMLIMIT", "12345678")
	Defaults()
	if got := debug.SetGCPercent(100); got != 77 {
		t.Errorf("GC percent %d with GOGC=77, want it left alone", got)
	}
	if got := debug.SetMemoryLimit(-1); got != 12345678 {
		t.Errorf("memory limit %d with GOMEMLIMIT set, want it left alone", got)
	}
}
