// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package atinit holds parsecd's signals from its package initialisation
// on: importing it (only package main does) runs sigs.Catch before main and
// before most packages' init, so the window in which a signal gets the
// kernel's default action is only the Go runtime's start. It depends on
// little, so it is initialised as soon as os/signal is.
//
// Under a service manager ($NOTIFY_SOCKET) it then says STATUS=starting:
// from that message on, a signal does what it says (the signal-race tests
// use it as their first point).
package atinit

import (
	"os"
	"syscall"

	"github.com/parsecd/parsecd/src/internal/sigs"
)

// Signals is what has been held since init.
var Signals = catch()

func catch() *sigs.Signals {
	s := sigs.Catch()
	notify("STATUS=starting")
	return s
}

// notify is sd_notify with the syscall package only: package net (which
// src/internal/sdnotify uses) would be initialised first, later.
func notify(state string) {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return
	}
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return
	}
	defer syscall.Close(fd)
	// A leading '@' names an abstract socket: syscall.SockaddrUnix maps it.
	_ = syscall.Sendto(fd, []byte(state), 0, &syscall.SockaddrUnix{Name: path})
}
