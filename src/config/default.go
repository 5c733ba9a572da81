// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package config

import (
	"fmt"
	"path/filepath"
	"strconv"
)

// Default is the embedded configuration (DefaultText) parsed. As another
// user than root it is a per-user daemon: its socket is 0600 and the
// directories it makes for itself are private (Config.PrivateDirs).
func Default(uid int, getenv func(string) string) (*Config, error) {
	c, err := Parse("", []byte(DefaultText(uid, getenv)))
	if err != nil || uid == 0 {
		return c, err
	}
	// A per-user daemon's socket directory is not access-controlled by
	// anyone else, so the socket itself must be: 0600 lets only its user
	// connect, where the system daemon's 0666 leaves that to the directory.
	c.SocketMode = 0o600
	run, state, base := userDirs(uid, getenv)
	// The fallback comes first in PrivateDirs: it holds the others, and a
	// directory another user made there first (/tmp is shared) must be
	// refused before anything is put under it.
	if base != "" {
		c.PrivateDirs = append(c.PrivateDirs, base)
	}
	c.PrivateDirs = append(c.PrivateDirs, filepath.Join(run, "parsec"), filepath.Join(state, "parsec"))
	return c, nil
}

// userDirs returns a user's runtime and state directories and, when one of
// them is the fallback under the temporary directory, that fallback
// (TMPDIR or /tmp, then parsecd-<uid>), which parsecd then owns.
func userDirs(uid int, getenv func(string) string) (run, state, base string) {
	// A relative TMPDIR would put the socket wherever parsecd happened to
	// be started, where a client could not find it.
	tmp := getenv("TMPDIR")
	if tmp == "" || !filepath.IsAbs(tmp) {
		tmp = "/tmp"
	}
	fallback := filepath.Join(tmp, "parsecd-"+strconv.Itoa(uid))
	run = getenv("XDG_RUNTIME_DIR")
	if run == "" {
		run, base = fallback, fallback
	}
	state = getenv("XDG_STATE_HOME")
	if state == "" {
		if home := getenv("HOME"); home != "" {
			state = filepath.Join(home, ".local", "state")
		} else {
			state, base = filepath.Join(fallback, "state"), fallback
		}
	}
	return run, state, base
}

// DefaultText is the embedded configuration used when no config file is
// given and /etc/parsec/config.toml does not exist: the software provider,
// a bbolt store and Unix peer-credential authentication. As root it uses
// the system paths; otherwise paths the user owns, under $XDG_RUNTIME_DIR
// (or $TMPDIR/parsecd-<uid>, /tmp/parsecd-<uid> without TMPDIR) and
// $XDG_STATE_HOME (or ~/.local/state).
func DefaultText(uid int, getenv func(string) string) string {
	// The paths are written into the text and the text parsed like any
	// file, so that the default goes through the same checks as an
	// operator's configuration and cannot drift from what a file can say.
	socket, store := DefaultSocketPath, DefaultStorePath
	if uid != 0 {
		run, state, _ := userDirs(uid, getenv)
		socket = filepath.Join(run, "parsec", "parsec.sock")
		store = filepath.Join(state, "parsec", "parsec-keys.db")
	}
	return fmt.Sprintf(`# parsecd embedded default configuration
[core_settings]
log_level = "info"

[listener]
listener_type = "DomainSocket"
timeout = 200
socket_path = %q

[authenticator]
auth_type = "UnixPeerCredentials"

[[key_manager]]
name = "bbolt-manager"
manager_type = "Bbolt"
path = %q

[[provider]]
provider_type = "Software"
key_info_manager = "bbolt-manager"
`, socket, store)
}
