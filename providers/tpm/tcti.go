// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package tpm

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

// Kind is the transport a TCTI names.
type Kind int

const (
	// KindDevice is a TPM character device (/dev/tpmrm0, /dev/tpm0).
	KindDevice Kind = iota + 1
	// KindMssim is the TPM simulator protocol over TCP (command port and
	// platform port = command port + 1).
	KindMssim
	// KindSwtpm is swtpm's socket server: raw TPM commands over TCP or a Unix socket.
	KindSwtpm
)

func (k Kind) String() string {
	switch k {
	case KindDevice:
		return "device"
	case KindMssim:
		return "mssim"
	case KindSwtpm:
		return "swtpm"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Defaults of Parsec's TCTI syntax.
const (
	DefaultDevice         = "/dev/tpmrm0"
	FallbackDevice        = "/dev/tpm0"
	DefaultHost           = "localhost"
	DefaultPort    uint16 = 2321
)

// TCTI is a parsed `tcti` configuration value.
type TCTI struct {
	Kind Kind
	// Path is the device path (KindDevice; empty means DefaultDevice with
	// the FallbackDevice fallback) or swtpm's Unix socket (KindSwtpm).
	Path string
	// Host and Port address a TCP server (KindMssim, and KindSwtpm when Path is empty).
	Host string
	Port uint16
}

// Addr is host:port of a TCP TCTI.
func (t TCTI) Addr() string { return net.JoinHostPort(t.Host, strconv.Itoa(int(t.Port))) }

func (t TCTI) String() string {
	switch {
	case t.Kind == KindDevice && t.Path == "":
		return "device"
	case t.Kind == KindDevice:
		return "device:" + t.Path
	case t.Kind == KindSwtpm && t.Path != "":
		return "swtpm:path=" + t.Path
	}
	return fmt.Sprintf("%s:host=%s,port=%d", t.Kind, t.Host, t.Port)
}

// ErrTCTI is wrapped by every TCTI syntax error.
var ErrTCTI = errors.New("invalid tcti")

func tctiErr(s, format string, args ...any) error {
	return fmt.Errorf("%w %q: %s", ErrTCTI, s, fmt.Sprintf(format, args...))
}

// ParseTCTI parses Parsec's TCTI syntax:
//
//	device                      /dev/tpmrm0, or /dev/tpm0 when there is no resource manager
//	device:/dev/tpmrm0          that device
//	mssim[:host=H][,port=P]     TPM simulator protocol, default localhost:2321
//	swtpm[:host=H][,port=P]     swtpm's TCP server, default localhost:2321
//	swtpm:path=/run/swtpm.sock  swtpm's Unix-socket server
func ParseTCTI(s string) (TCTI, error) {
	name, conf, hasConf := strings.Cut(s, ":")
	switch name {
	case "device":
		if !hasConf || conf == "" {
			return TCTI{Kind: KindDevice}, nil
		}
		conf = strings.TrimPrefix(conf, "path=")
		if !strings.HasPrefix(conf, "/") || strings.ContainsAny(conf, ",\x00") {
			return TCTI{}, tctiErr(s, "the device must be an absolute path such as %s", DefaultDevice)
		}
		return TCTI{Kind: KindDevice, Path: conf}, nil
	case "mssim", "swtpm":
		kind := KindMssim
		if name == "swtpm" {
			kind = KindSwtpm
		}
		return parseNet(s, kind, conf)
	case "":
		return TCTI{}, fmt.Errorf("%w: empty (expected device, mssim or swtpm, e.g. device:%s)", ErrTCTI, DefaultDevice)
	case "tabrmd", "libtpms", "cmd":
		return TCTI{}, tctiErr(s, "the %s TCTI is not supported (supported: device, mssim, swtpm)", name)
	}
	return TCTI{}, tctiErr(s, "unknown TCTI %q (supported: device, mssim, swtpm)", name)
}

func parseNet(s string, kind Kind, conf string) (TCTI, error) {
	t := TCTI{Kind: kind, Host: DefaultHost, Port: DefaultPort}
	if conf == "" {
		return t, nil
	}
	seen := map[string]bool{}
	for _, opt := range strings.Split(conf, ",") {
		key, val, ok := strings.Cut(opt, "=")
		if !ok {
			return TCTI{}, tctiErr(s, "option %q is not key=value", opt)
		}
		if seen[key] {
			return TCTI{}, tctiErr(s, "option %q given twice", key)
		}
		seen[key] = true
		switch key {
		case "host":
			val = strings.TrimSuffix(strings.TrimPrefix(val, "["), "]")
			if val == "" || strings.ContainsAny(val, " /\x00") {
				return TCTI{}, tctiErr(s, "invalid host %q", val)
			}
			t.Host = val
		case "port":
			p, err := strconv.ParseUint(val, 10, 16)
			if err != nil || p == 0 || (kind == KindMssim && p == 65535) {
				return TCTI{}, tctiErr(s, "invalid port %q (1-65535; mssim also uses port+1)", val)
			}
			t.Port = uint16(p)
		case "path":
			if kind != KindSwtpm {
				return TCTI{}, tctiErr(s, "path= is only for swtpm's Unix socket")
			}
			if val == "" || strings.ContainsRune(val, 0) {
				return TCTI{}, tctiErr(s, "empty path")
			}
			t.Path = val
		default:
			if kind == KindSwtpm {
				return TCTI{}, tctiErr(s, "unknown option %q (expected host, port or path)", key)
			}
			return TCTI{}, tctiErr(s, "unknown option %q (expected host or port)", key)
		}
	}
	if t.Path != "" {
		if seen["host"] || seen["port"] {
			return TCTI{}, tctiErr(s, "path= excludes host= and port=")
		}
		t.Host, t.Port = "", 0
	}
	return t, nil
}

// DevicePath is the device a KindDevice TCTI opens: its Path, or
// DefaultDevice, falling back to FallbackDevice only when DefaultDevice
// does not exist.
func (t TCTI) DevicePath() string { return t.devicePath(os.Stat) }

func (t TCTI) devicePath(stat func(string) (os.FileInfo, error)) string {
	if t.Path != "" {
		return t.Path
	}
	if _, err := stat(DefaultDevice); errors.Is(err, os.ErrNotExist) {
		if _, err := stat(FallbackDevice); err == nil {
			return FallbackDevice
		}
	}
	return DefaultDevice
}
