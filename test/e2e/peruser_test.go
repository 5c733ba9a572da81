// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package e2e

// The per-user daemon: parsecd started by another user than root without a
// config file runs on the embedded default, in directories of its own
// (TMPDIR/parsecd-<uid> without XDG_RUNTIME_DIR). They are created 0700,
// the socket is 0600, and directories another user prepared are refused.

import (
	"bytes"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	puUser  = 4211 // runs the per-user daemon
	puOther = 4212 // another local user
)

// puEnv is a fresh per-user environment: a sticky world-writable TMPDIR
// (as /tmp is) and a HOME owned by puUser; no XDG variables unless added.
type puEnv struct {
	t              *testing.T
	tmp, home, run string
}

func newPuEnv(t *testing.T) *puEnv {
	t.Helper()
	RequireRoot(t, "running parsecd as another user")
	if _, err := os.Stat("/etc/parsec/config.toml"); err == nil {
		t.Fatal("/etc/parsec/config.toml exists: parsecd would read it instead of its embedded default, which this test checks")
	}
	base := t.TempDir()
	// t.TempDir's parent is 0700: puUser must be able to traverse both.
	for _, d := range []string{filepath.Dir(base), base} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	e := &puEnv{t: t, tmp: filepath.Join(base, "tmp"), home: filepath.Join(base, "home"), run: filepath.Join(base, "run-user")}
	for _, d := range []struct {
		path string
		mode fs.FileMode
		uid  int
	}{{e.tmp, 0o777 | fs.ModeSticky, 0}, {e.home, 0o700, puUser}, {e.run, 0o700, puUser}} {
		if err := os.Mkdir(d.path, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d.path, d.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(d.path, d.uid, d.uid); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// base is the fallback runtime directory of puUser.
func (e *puEnv) base() string { return filepath.Join(e.tmp, "parsecd-"+strconv.Itoa(puUser)) }

func (e *puEnv) environ(extra ...string) []string {
	env := []string{"PATH=/usr/bin:/bin", "HOME=" + e.home, "TMPDIR=" + e.tmp}
	return append(env, extra...)
}

// start runs parsecd as puUser with no config file.
func (e *puEnv) start(extra ...string) (*exec.Cmd, *bytes.Buffer, chan error) {
	e.t.Helper()
	cmd := exec.Command(parsecdBin)
	cmd.Env = e.environ(extra...)
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: puUser, Gid: puUser}}
	out := &bytes.Buffer{}
	mu := &sync.Mutex{}
	cmd.Stdout, cmd.Stderr = syncWriter{mu, out}, syncWriter{mu, out}
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	e.t.Cleanup(func() {
		_ = cmd.Process.Kill()
	})
	return cmd, out, done
}

// refused runs parsecd as puUser and requires a non-zero exit whose output
// contains want.
func (e *puEnv) refused(what, want string) {
	e.t.Helper()
	_, out, done := e.start()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(out.String(), want) {
			e.t.Errorf("%s: exit %v, want non-zero and %q; output:\n%s", what, err, want, out)
		}
	case <-time.After(15 * time.Second):
		e.t.Fatalf("%s: parsecd still running; output:\n%s", what, out)
	}
}

// puMode requires path to be of type typ with permissions perm, owned by uid.
func puMode(t *testing.T, path string, typ, perm fs.FileMode, uid int) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Errorf("%v", err)
		return
	}
	st := fi.Sys().(*syscall.Stat_t)
	if fi.Mode().Type() != typ || fi.Mode().Perm() != perm || int(st.Uid) != uid {
		t.Errorf("%s: mode %v uid %d, want %v uid %d", path, fi.Mode(), st.Uid, typ|perm, uid)
	}
}

func (e *puEnv) tool(uid int, socket string, args ...string) (string, error) {
	cmd := exec.Command(toolBin, args...)
	cmd.Env = append(e.environ(), "PARSEC_SERVICE_ENDPOINT=unix:"+socket)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestPerUserDaemon(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		env     func(e *puEnv) []string
		socket  func(e *puEnv) string
		private func(e *puEnv) []string // directories parsecd makes for itself
	}{
		{"fallback", func(*puEnv) []string { return nil },
			func(e *puEnv) string { return filepath.Join(e.base(), "parsec", "parsec.sock") },
			func(e *puEnv) []string {
				return []string{e.base(), filepath.Join(e.base(), "parsec"), filepath.Join(e.home, ".local", "state", "parsec")}
			}},
		{"XDG_RUNTIME_DIR", func(e *puEnv) []string { return []string{"XDG_RUNTIME_DIR=" + e.run} },
			func(e *puEnv) string { return filepath.Join(e.run, "parsec", "parsec.sock") },
			func(e *puEnv) []string {
				return []string{filepath.Join(e.run, "parsec"), filepath.Join(e.home, ".local", "state", "parsec")}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newPuEnv(t)
			cmd, out, done := e.start(tc.env(e)...)
			socket := tc.socket(e)
			deadline := time.Now().Add(15 * time.Second)
			for {
				if c, err := net.Dial("unix", socket); err == nil {
					c.Close()
					break
				}
				select {
				case err := <-done:
					t.Fatalf("parsecd exited: %v\n%s", err, out)
				default:
				}
				if time.Now().After(deadline) {
					t.Fatalf("no socket at %s:\n%s", socket, out)
				}
				time.Sleep(20 * time.Millisecond)
			}
			for _, dir := range tc.private(e) {
				puMode(t, dir, fs.ModeDir, 0o700, puUser)
			}
			puMode(t, socket, fs.ModeSocket, 0o600, puUser)
			if _, err := os.Stat(e.base()); tc.name != "fallback" && err == nil {
				t.Errorf("with XDG_RUNTIME_DIR, %s was created", e.base())
			}
			// The user reaches it; another user cannot.
			if o, err := e.tool(puUser, socket, "ping"); err != nil {
				t.Errorf("parsec-tool ping as uid %d: %v\n%s", puUser, err, o)
			}
			// parsec-tool says what the real 0.7.0 says of a socket it
			// cannot reach (it checks the path before connecting: the
			// private directory and the 0600 socket checked above keep it out).
			if o, err := e.tool(puOther, socket, "ping"); err == nil || !strings.Contains(o, "the socket address provided in the URL is not valid") {
				t.Errorf("parsec-tool ping as uid %d: %v, want the socket refused\n%s", puOther, err, o)
			}

			_ = cmd.Process.Signal(syscall.SIGTERM)
			if err := <-done; err != nil {
				t.Errorf("after SIGTERM: %v\n%s", err, out)
			}
		})
	}
}

func TestPerUserDirsRefused(t *testing.T) {
	t.Parallel()
	prepare := func(e *puEnv, mode fs.FileMode, uid int) {
		if err := os.Mkdir(e.base(), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(e.base(), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(e.base(), uid, uid); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("another owner", func(t *testing.T) {
		e := newPuEnv(t)
		prepare(e, 0o777, puOther) // the hijack of issue 12
		e.refused("a runtime directory of another user", fmt.Sprintf("%s belongs to uid %d, not to uid %d that runs parsecd: refusing to use it", e.base(), puOther, puUser))
		if _, err := os.Lstat(filepath.Join(e.base(), "parsec")); err == nil {
			t.Error("parsecd created its socket directory in another user's directory")
		}
		if _, err := os.Lstat(filepath.Join(e.home, ".local", "state", "parsec", "parsec-keys.db")); err == nil {
			t.Error("parsecd created its key store before refusing")
		}
	})
	t.Run("group or others may write", func(t *testing.T) {
		e := newPuEnv(t)
		prepare(e, 0o775, puUser)
		e.refused("a runtime directory its group may write", fmt.Sprintf("%s is writable by group or others (mode 0775): refusing to use it", e.base()))
	})
	t.Run("socket directory others may write", func(t *testing.T) {
		e := newPuEnv(t)
		prepare(e, 0o700, puUser)
		sub := filepath.Join(e.base(), "parsec")
		if err := os.Mkdir(sub, 0o777); err != nil {
			t.Fatal(err)
		}
		_ = os.Chmod(sub, 0o777)
		_ = os.Chown(sub, puUser, puUser)
		e.refused("a socket directory others may write", fmt.Sprintf("%s is writable by group or others (mode 0777)", sub))
	})
	t.Run("symbolic link", func(t *testing.T) {
		e := newPuEnv(t)
		target := filepath.Join(e.tmp, "elsewhere")
		if err := os.Mkdir(target, 0o700); err != nil {
			t.Fatal(err)
		}
		_ = os.Chown(target, puUser, puUser)
		if err := os.Symlink(target, e.base()); err != nil {
			t.Fatal(err)
		}
		e.refused("a runtime directory that is a symbolic link", e.base()+" is not a directory")
	})
}
