// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package bolt

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// lockedError says who holds the store, in place of bbolt's "timeout",
// which it wraps.
type lockedError struct {
	msg string
	err error
}

func (e lockedError) Error() string { return e.msg }
func (e lockedError) Unwrap() error { return e.err }

// lockHolder returns the pid of a process holding a lock on the file at
// path, from /proc/locks (Linux), or 0 when it cannot tell. bbolt takes a
// flock on the file: the line reads
// "ID: FLOCK ADVISORY WRITE PID MAJ:MIN:INODE START END".
func lockHolder(path string) int {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return 0
	}
	f, err := os.Open("/proc/locks")
	if err != nil {
		return 0
	}
	defer f.Close()
	ino := ":" + strconv.FormatUint(st.Ino, 10)
	dev := fmt.Sprintf("%02x:%02x", unix.Major(st.Dev), unix.Minor(st.Dev))
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		// A blocked waiter's line has "->" after the ID.
		if len(fields) < 6 || fields[1] == "->" || fields[5] != dev+ino {
			continue
		}
		if pid, err := strconv.Atoi(fields[4]); err == nil && pid > 0 && pid != os.Getpid() {
			return pid
		}
	}
	return 0
}
