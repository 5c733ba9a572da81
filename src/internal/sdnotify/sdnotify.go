// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package sdnotify tells systemd about the daemon's state over
// $NOTIFY_SOCKET (sd_notify protocol), without cgo or libsystemd.
package sdnotify

import (
	"net"
	"os"
)

// Notify sends state (e.g. "READY=1") to the service manager. Without
// $NOTIFY_SOCKET it does nothing and returns nil.
func Notify(state string) error {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return nil
	}
	if path[0] == '@' {
		path = "\x00" + path[1:] // abstract socket namespace
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Write([]byte(state))
	return err
}
