// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package ratelog_test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parsecd/parsecd/src/internal/ratelog"
)

// lockedBuffer is a log destination that the limiter's timer goroutine and
// the test may use at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *lockedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *lockedBuffer) lines(substr string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, l := range strings.Split(w.b.String(), "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return out
}

// waitLines polls until substr appears n times (the summary is written by a timer).
func waitLines(t *testing.T, w *lockedBuffer, substr string, n int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := w.lines(substr)
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d lines with %q, want %d", len(got), substr, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestBurstThenSummary(t *testing.T) {
	var w lockedBuffer
	l := ratelog.New(slog.New(slog.NewTextHandler(&w, nil)), 3, 50*time.Millisecond)
	for i := range 50 {
		l.Log(slog.LevelInfo, "bad-magic", "rejected", "i", i)
	}
	l.Log(slog.LevelInfo, "bad-version", "other cause")
	l.Log(slog.LevelInfo, "bad-version", "other cause")
	if got := w.lines(`msg=rejected`); len(got) != 3 {
		t.Fatalf("%d lines of one cause written in its first window, want the burst of 3:\n%s", len(got), strings.Join(got, "\n"))
	}
	if got := w.lines(`msg="other cause"`); len(got) != 2 {
		t.Errorf("another cause was limited by the first: %d lines, want 2", len(got))
	}
	sum := waitLines(t, &w, "suppressed", 1)
	if len(sum) != 1 || !strings.Contains(sum[0], "cause=bad-magic") || !strings.Contains(sum[0], "suppressed=47") {
		t.Errorf("summary lines %q, want one for bad-magic counting 47", sum)
	}
	// A new window: the cause may log again, and a cause that stayed within
	// its burst never gets a summary.
	waitLines(t, &w, "suppressed", 1)
	deadline := time.Now().Add(10 * time.Second)
	for len(w.lines("msg=rejected")) < 4 && time.Now().Before(deadline) {
		l.Log(slog.LevelInfo, "bad-magic", "rejected")
		time.Sleep(10 * time.Millisecond)
	}
	if n := len(w.lines("msg=rejected")); n < 4 {
		t.Errorf("cause still silenced after its window: %d lines", n)
	}
	for _, s := range w.lines("suppressed") {
		if strings.Contains(s, "bad-version") {
			t.Errorf("summary for a cause that was never limited: %s", s)
		}
	}
}

func TestDisabledLevelCostsNothing(t *testing.T) {
	var w lockedBuffer
	l := ratelog.New(slog.New(slog.NewTextHandler(&w, &slog.HandlerOptions{Level: slog.LevelError})), 1, time.Hour)
	for range 10 {
		l.Log(slog.LevelInfo, "c", "hidden")
	}
	l.Log(slog.LevelError, "c", "shown")
	if got := w.lines("msg=shown"); len(got) != 1 {
		t.Errorf("lines below the handler's level used up the burst: %q", got)
	}
}
