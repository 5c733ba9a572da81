package config

import (
	"fmt"
	"path/filepath"
	"strconv"
)

// DefaultText is the embedded configuration used when no config file is
// given and /etc/parsec/config.toml does not exist: the software provider,
// a bbolt store and Unix peer-credential authentication. As root it uses
// the system paths; otherwise paths the user owns, under $XDG_RUNTIME_DIR
// (or /tmp/parsecd-<uid>) and $XDG_STATE_HOME (or ~/.local/state).
func DefaultText(uid int, getenv func(string) string) string {
	socket, store := DefaultSocketPath, DefaultStorePath
	if uid != 0 {
		run := getenv("XDG_RUNTIME_DIR")
		if run == "" {
			run = filepath.Join("/tmp", "parsecd-"+strconv.Itoa(uid))
		}
		socket = filepath.Join(run, "parsec", "parsec.sock")
		state := getenv("XDG_STATE_HOME")
		if state == "" {
			if home := getenv("HOME"); home != "" {
				state = filepath.Join(home, ".local", "state")
			} else {
				state = filepath.Join("/tmp", "parsecd-"+strconv.Itoa(uid), "state")
			}
		}
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
