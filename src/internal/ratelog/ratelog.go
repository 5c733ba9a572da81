// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package ratelog bounds how many lines a cause may write to the log. Lines
// that any local user can trigger at will (a malformed request, a failed
// authentication, a refused connection) go through a Limiter: the first
// Burst lines of each cause in a window are written as usual, the rest are
// counted, and when the window ends one summary line says how many were
// left out. The log then grows by at most Burst+1 lines per cause and
// window, however hard someone tries.
package ratelog

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Defaults: enough to see what is going on, little enough that a flood of
// bad requests costs a few kilobytes of log a minute.
const (
	DefaultBurst  = 10
	DefaultWindow = time.Minute
)

// Limiter writes at most Burst lines per cause and window to its logger.
type Limiter struct {
	log    *slog.Logger
	burst  int
	window time.Duration

	mu     sync.Mutex
	causes map[string]*bucket
}

// bucket is one cause's current window.
type bucket struct {
	written    int
	suppressed int
	level      slog.Level
	msg        string
}

// New returns a limiter writing to log. burst < 1 or window <= 0 take the defaults.
func New(log *slog.Logger, burst int, window time.Duration) *Limiter {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if burst < 1 {
		burst = DefaultBurst
	}
	if window <= 0 {
		window = DefaultWindow
	}
	return &Limiter{log: log, burst: burst, window: window, causes: map[string]*bucket{}}
}

// Log writes msg with args at level, unless cause already had Burst lines
// in the current window. Causes should come from a small fixed set (a
// status name, not a uid): each one costs a map entry for one window.
func (l *Limiter) Log(level slog.Level, cause, msg string, args ...any) {
	if !l.log.Enabled(context.Background(), level) {
		return
	}
	l.mu.Lock()
	b := l.causes[cause]
	if b == nil {
		// The window starts with the cause's first line; a timer closes
		// it, so that the summary comes even if the cause stops for good.
		b = &bucket{}
		l.causes[cause] = b
		time.AfterFunc(l.window, func() { l.flush(cause) })
	}
	if b.written >= l.burst {
		b.suppressed++
		b.level, b.msg = level, msg
		l.mu.Unlock()
		return
	}
	b.written++
	l.mu.Unlock()
	l.log.Log(context.Background(), level, msg, args...)
}

// flush ends cause's window and writes its summary line, if any line was left out.
func (l *Limiter) flush(cause string) {
	l.mu.Lock()
	b := l.causes[cause]
	delete(l.causes, cause)
	l.mu.Unlock()
	if b != nil && b.suppressed > 0 {
		l.log.Log(context.Background(), b.level, "log lines suppressed: too many of one cause",
			"cause", cause, "message", b.msg, "suppressed", b.suppressed, "written", b.written, "window", l.window.String())
	}
}
