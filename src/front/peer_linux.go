// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package front

import (
	"errors"
	"net"

	"golang.org/x/sys/unix"

	"github.com/parsecd/parsecd/src/auth"
)

// peerCred reads SO_PEERCRED: who is on the other end of the socket, as the
// kernel recorded it at connect time.
func peerCred(c net.Conn) (*auth.PeerCred, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return nil, errors.New("not a unix socket connection")
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return nil, err
	}
	var cred *unix.Ucred
	var serr error
	if err := raw.Control(func(fd uintptr) {
		cred, serr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return nil, err
	}
	if serr != nil {
		return nil, serr
	}
	return &auth.PeerCred{UID: cred.Uid, GID: cred.Gid, PID: cred.Pid}, nil
}
