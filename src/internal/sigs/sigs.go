// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package sigs holds parsecd's stop and reload signals (SIGTERM, SIGINT,
// SIGHUP) for the daemon package. Catch starts holding them; parsecd calls
// it from the init of package atinit, before any code of its own runs.
package sigs

import (
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// Signals holds SIGTERM, SIGINT and SIGHUP from the moment Catch is
// called until the process exits: parsecd calls it in a package init,
// before main, so no signal that arrives during start-up, a reload or the
// shutdown falls back on the kernel's default action (which kills).
//
// What each signal does, whenever it arrives:
//   - SIGTERM, SIGINT: stop. During start-up, start-up is abandoned at its
//     next step (nothing is left behind: no socket, the store closed) and
//     parsecd exits 0; once serving, in-flight requests are drained first.
//     Later stop signals change nothing: the first one is in hand.
//   - SIGHUP: reload. One that arrives during start-up is kept and the
//     configuration is re-read as soon as parsecd is ready (it may have
//     changed after start-up read it); several pending ones make one reload.
//     During a reload, another reload follows it. During shutdown it is
//     ignored.
//
// Stop signals and SIGHUP arrive on channels of their own, drained at all
// times by one goroutine: a burst of SIGHUPs can never fill the channel a
// SIGTERM needs (os/signal drops what a full channel cannot take).
type Signals struct {
	stops   chan os.Signal
	hups    chan os.Signal
	stop    chan struct{} // closed by the first SIGTERM/SIGINT
	reload  chan struct{} // holds one pending SIGHUP
	mu      sync.Mutex
	stopSig os.Signal
}

// Catch starts holding SIGTERM, SIGINT and SIGHUP. A daemon never undoes
// it: signal.Stop before the process exits would reopen the window in
// which a signal kills parsecd. A run that is not a daemon (--version,
// --check-config) calls Release.
func Catch() *Signals {
	s := &Signals{stops: make(chan os.Signal, 4), hups: make(chan os.Signal, 4),
		stop: make(chan struct{}), reload: make(chan struct{}, 1)}
	signal.Notify(s.stops, syscall.SIGTERM, syscall.SIGINT)
	signal.Notify(s.hups, syscall.SIGHUP)
	go s.loop()
	return s
}

func (s *Signals) loop() {
	for {
		select {
		case <-s.hups:
			select {
			case s.reload <- struct{}{}:
			default: // a reload is already pending
			}
		case sig := <-s.stops:
			s.mu.Lock()
			if s.stopSig == nil {
				s.stopSig = sig
				close(s.stop)
			}
			s.mu.Unlock()
		}
	}
}

// Release gives SIGTERM, SIGINT and SIGHUP their default action back, for
// a run of parsecd that is not a daemon; a stop signal already held is
// raised again, so it does what it would have done.
func (s *Signals) Release() {
	signal.Reset(syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	if sig, ok := s.Stopping().(syscall.Signal); ok {
		_ = syscall.Kill(os.Getpid(), sig)
	}
}

// Stopping returns the stop signal received, or nil. Nil-safe.
func (s *Signals) Stopping() os.Signal {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopSig
}

// Stop and Reload are nil (never ready) without Signals: Stop is closed by
// the first stop signal; Reload delivers a pending SIGHUP.
func (s *Signals) Stop() <-chan struct{} {
	if s == nil {
		return nil
	}
	return s.stop
}

func (s *Signals) Reload() <-chan struct{} {
	if s == nil {
		return nil
	}
	return s.reload
}

// ReloadPending takes a pending SIGHUP, if any.
func (s *Signals) ReloadPending() bool {
	select {
	case <-s.Reload():
		return true
	default:
		return false
	}
}
