// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package front

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// SystemSocketMode is the mode of a system daemon's socket (Parsec's
// convention): open to everyone who can reach it, access being controlled
// by its directory.
const SystemSocketMode fs.FileMode = 0o666

// Listen is ListenMode with SystemSocketMode.
func Listen(path string) (ln net.Listener, activated bool, err error) {
	return ListenMode(path, SystemSocketMode)
}

// ListenMode returns the daemon's listening socket: the one systemd passed
// by socket activation (LISTEN_FDS) if any, else a new socket at path with
// the given mode. An existing socket file is replaced only when it is
// stale (nothing answers on it: CheckFree); any other kind of file is left
// alone. A missing directory is created 0755 (a per-user daemon's
// directories are made private before, by PrivateDir).
func ListenMode(path string, mode fs.FileMode) (ln net.Listener, activated bool, err error) {
	if ln, err := activatedListener(); ln != nil || err != nil {
		return ln, ln != nil, err
	}
	if err := CheckFree(path); err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, false, fmt.Errorf("creating the socket directory %s: %w", filepath.Dir(path), err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, false, fmt.Errorf("removing the stale socket %s: %w", path, err)
	}
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, false, fmt.Errorf("listening on %s: %w", path, err)
	}
	// Close must not unlink a socket that a newer listener (after a reload)
	// may have put in its place; the daemon removes it on exit instead.
	l.SetUnlinkOnClose(false)
	if err := os.Chmod(path, mode); err != nil {
		l.Close()
		return nil, false, fmt.Errorf("setting the mode of socket %s: %w", path, err)
	}
	return l, false, nil
}

// CheckFree returns nil when a daemon may listen on path: nothing is there,
// or a stale socket (connecting is refused: no process listens on it), or
// systemd passes this process its socket. A socket on which a service
// answers is never taken over: the error names the path and, when the
// kernel tells it, the pid of the process listening there.
func CheckFree(path string) error {
	if activationForUs() {
		return nil
	}
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("socket path %s: %w", path, err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("%s exists and is not a socket: refusing to remove it (remove it yourself, or set another listener.socket_path)", path)
	}
	c, err := net.DialTimeout("unix", path, 2*time.Second)
	if err == nil {
		who := "another service"
		if cred, err := peerCred(c); err == nil && cred.PID > 0 {
			who = fmt.Sprintf("another service (pid %d)", cred.PID)
		}
		c.Close()
		return fmt.Errorf("%s is listening on %s: refusing to take over its socket (is another parsecd running? stop it first, or set another listener.socket_path)", who, path)
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return nil // stale: left by a daemon that did not exit cleanly
	}
	if errors.Is(err, fs.ErrNotExist) {
		// Gone between Lstat and Dial: a daemon starting at the same moment
		// removed it as stale. Nothing is there now; which of the two may
		// listen is settled by LockSocket, not here.
		return nil
	}
	return fmt.Errorf("cannot tell whether a service is listening on %s (%v): refusing to remove it", path, err)
}

// RemoveSocket deletes path only if it is still a socket.
func RemoveSocket(path string) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode().Type() == fs.ModeSocket {
		_ = os.Remove(path)
	}
}

// PrivateDir makes sure dir is a directory that only this process's user
// can change: it is created with mode 0700 if missing (its parents too,
// 0700); an existing one must be a real directory (not a symbolic link)
// owned by the effective uid and not writable by group or others, else it
// is refused, as ssh refuses a ~/.ssh others can write: whoever can write
// it can replace parsecd's socket or key store with their own.
func PrivateDir(dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(dir), err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if fi.Mode().Type() != fs.ModeDir {
		return fmt.Errorf("%s is not a directory (%s): refusing to use it for parsecd's socket or keys; remove it", dir, fi.Mode().Type())
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("%s: cannot read its owner", dir)
	}
	if euid := os.Geteuid(); int(st.Uid) != euid {
		return fmt.Errorf("%s belongs to uid %d, not to uid %d that runs parsecd: refusing to use it (another user could replace parsecd's socket there); remove it, or set XDG_RUNTIME_DIR", dir, st.Uid, euid)
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Errorf("%s is writable by group or others (mode %04o): refusing to use it (another user could replace parsecd's socket there); run chmod 700 %s", dir, perm, dir)
	}
	return nil
}

// activationForUs tells whether systemd passed this process a socket.
func activationForUs() bool {
	pid, fds := os.Getenv("LISTEN_PID"), os.Getenv("LISTEN_FDS")
	return pid != "" && fds != "" && pid == strconv.Itoa(os.Getpid())
}

// activatedListener implements the systemd socket-activation protocol:
// LISTEN_PID names this process and LISTEN_FDS counts fds from 3.
func activatedListener() (net.Listener, error) {
	if !activationForUs() {
		return nil, nil
	}
	fds := os.Getenv("LISTEN_FDS")
	os.Unsetenv("LISTEN_PID")
	os.Unsetenv("LISTEN_FDS")
	os.Unsetenv("LISTEN_FDNAMES")
	n, err := strconv.Atoi(fds)
	if err != nil || n < 1 {
		return nil, nil
	}
	if n > 1 {
		return nil, fmt.Errorf("socket activation passed %d sockets; parsecd takes exactly one", n)
	}
	f := os.NewFile(3, "systemd-socket")
	defer f.Close()
	ln, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("using the socket passed by systemd: %w", err)
	}
	if _, ok := ln.(*net.UnixListener); !ok {
		ln.Close()
		return nil, fmt.Errorf("the socket passed by systemd is not a Unix stream socket")
	}
	return ln, nil
}

// SocketLock is held by the daemon that owns a socket path, from before it
// checks the path to after it removed its socket: two daemons starting on
// one path at the same moment cannot both find it stale and replace each
// other's socket. It is an flock on PATH.lock, a file left in place (an
// unlinked lock file would let a third daemon lock a new one).
type SocketLock struct{ f *os.File }

// LockSocket takes the lock of socket path, without waiting: a lock held by
// another process is refused, naming that process when /proc/locks tells.
// With a socket passed by systemd there is nothing to lock (nil, nil).
func LockSocket(path string) (*SocketLock, error) {
	if activationForUs() {
		return nil, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("creating the socket directory %s: %w", filepath.Dir(path), err)
	}
	name := path + ".lock"
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the socket's lock file %s: %w", name, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			who := "another process"
			if pid := flockHolder(name); pid > 0 {
				who = fmt.Sprintf("process %d", pid)
			}
			return nil, fmt.Errorf("%s holds %s: refusing to take over socket %s (is another parsecd starting or running on it? stop it first, or set another listener.socket_path)", who, name, path)
		}
		return nil, fmt.Errorf("locking %s: %w", name, err)
	}
	return &SocketLock{f: f}, nil
}

// Release gives the lock up. Nil-safe.
func (l *SocketLock) Release() {
	if l != nil {
		l.f.Close()
	}
}

// flockHolder returns the pid holding a lock on the file at path, from
// /proc/locks ("ID: FLOCK ADVISORY WRITE PID MAJ:MIN:INODE START END"), or 0.
func flockHolder(path string) int {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return 0
	}
	data, err := os.ReadFile("/proc/locks")
	if err != nil {
		return 0
	}
	want := fmt.Sprintf("%02x:%02x:%d", unix.Major(st.Dev), unix.Minor(st.Dev), st.Ino)
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || f[1] == "->" || f[5] != want {
			continue
		}
		if pid, err := strconv.Atoi(f[4]); err == nil && pid > 0 && pid != os.Getpid() {
			return pid
		}
	}
	return 0
}
