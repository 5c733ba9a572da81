// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package memtrim is the daemon's memory policy: the garbage collector's
// defaults, and giving the memory of a burst of requests back to the
// operating system once the daemon is idle again.
//
// Left alone, the Go runtime keeps what a burst made it take: the heap goal
// stays where the burst left it (no allocation, no collection) and the
// background scavenger returns freed pages slowly, so a daemon that served
// 16 clients for a few seconds stays at twice its idle size for minutes. A
// daemon that mostly waits should instead look like it did before the
// burst soon after it.
package memtrim

import (
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// GCPercent and MemoryLimit are the collector's settings unless the
// environment sets GOGC or GOMEMLIMIT (which the runtime reads itself: a
// service manager can change them without a rebuild). GCPercent 50 lets
// the heap grow to 1.5× what is live instead of 2×: a daemon's live heap
// is small, and collections of a small heap are cheap. MemoryLimit is a
// soft ceiling that makes the collector work harder before the heap
// passes it; it is far above the daemon's normal use (a few MB) so that it
// only bounds the growth under floods and very large requests, where
// collecting more often is the right trade.
const (
	GCPercent   = 50
	MemoryLimit = 64 << 20
)

// Defaults applies GCPercent and MemoryLimit where the environment does
// not set them.
func Defaults() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(GCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(MemoryLimit)
	}
}

// DefaultIdle is how long the daemon must have been idle after a request
// before its free memory is returned.
const DefaultIdle = 2 * time.Second

// Trimmer collects garbage and returns free memory to the operating system
// (debug.FreeOSMemory) once no request has ended for its idle time, once
// per burst: an idle daemon never wakes up for it, and a busy one does not
// pay a forced collection per request.
type Trimmer struct {
	idle  time.Duration
	free  func()
	last  atomic.Int64 // when the last request ended, in Unix nanoseconds
	armed atomic.Bool  // the timer is set
	once  sync.Once
	timer *time.Timer
	trims atomic.Int64
}

// New returns a Trimmer that calls free (debug.FreeOSMemory when nil)
// after idle (DefaultIdle when zero or less) without a request.
func New(idle time.Duration, free func()) *Trimmer {
	if idle <= 0 {
		idle = DefaultIdle
	}
	if free == nil {
		free = freeOSMemory
	}
	return &Trimmer{idle: idle, free: free}
}

// Done records the end of a request. It is cheap (two atomic operations)
// unless it has to set the timer, which it does once per burst.
func (t *Trimmer) Done() {
	t.last.Store(time.Now().UnixNano())
	if t.armed.Load() || !t.armed.CompareAndSwap(false, true) {
		return
	}
	t.once.Do(func() { t.timer = time.AfterFunc(t.idle, t.fire) })
	t.timer.Reset(t.idle)
}

// fire runs when the timer expires: if a request ended meanwhile, it waits
// for the rest of the idle time after that one, else it trims.
func (t *Trimmer) fire() {
	last := t.last.Load()
	if rest := t.idle - time.Since(time.Unix(0, last)); rest > 0 {
		t.timer.Reset(rest)
		return
	}
	t.free()
	t.trims.Add(1)
	t.armed.Store(false)
	// A request that ended after the check above saw the timer set and
	// did not set it again: set it for that one.
	if t.last.Load() != last && t.armed.CompareAndSwap(false, true) {
		t.timer.Reset(t.idle)
	}
}

// freeOSMemory collects twice before returning free memory: objects in a
// sync.Pool survive one collection (in its victim cache), and the buffers
// a burst left in the pools of bbolt, protobuf and the standard library are
// the bulk of what it left behind.
func freeOSMemory() {
	runtime.GC()
	debug.FreeOSMemory()
}

// Trims says how many times the Trimmer has returned memory.
func (t *Trimmer) Trims() int64 { return t.trims.Load() }

// Stop stops the timer; a trim already running finishes.
func (t *Trimmer) Stop() {
	t.armed.Store(true)  // no Done sets it again
	t.once.Do(func() {}) // a Done making the timer has made it
	if t.timer != nil {
		t.timer.Stop()
	}
}
