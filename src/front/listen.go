package front

import (
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
)

// Listen returns the daemon's listening socket: the one systemd passed by
// socket activation (LISTEN_FDS) if any, else a new socket at path. A stale
// socket file is replaced, but any other kind of file is left alone.
func Listen(path string) (ln net.Listener, activated bool, err error) {
	if ln, err := activatedListener(); ln != nil || err != nil {
		return ln, ln != nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, false, fmt.Errorf("creating socket directory: %w", err)
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != fs.ModeSocket {
			return nil, false, fmt.Errorf("%s exists and is not a socket: refusing to remove it", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, false, fmt.Errorf("removing stale socket: %w", err)
		}
	}
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, false, err
	}
	// Close must not unlink a socket that a newer listener (after a reload)
	// may have put in its place; the daemon removes it on exit instead.
	l.SetUnlinkOnClose(false)
	// Access is controlled by the directory (Parsec's model): the socket
	// itself is open to everyone who can reach it.
	if err := os.Chmod(path, 0o666); err != nil {
		l.Close()
		return nil, false, err
	}
	return l, false, nil
}

// RemoveSocket deletes path only if it is still a socket.
func RemoveSocket(path string) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode().Type() == fs.ModeSocket {
		_ = os.Remove(path)
	}
}

// activatedListener implements the systemd socket-activation protocol:
// LISTEN_PID names this process and LISTEN_FDS counts fds from 3.
func activatedListener() (net.Listener, error) {
	pid, fds := os.Getenv("LISTEN_PID"), os.Getenv("LISTEN_FDS")
	if pid == "" || fds == "" || pid != strconv.Itoa(os.Getpid()) {
		return nil, nil
	}
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
