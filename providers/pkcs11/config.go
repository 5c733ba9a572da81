// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build cgo && pkcs11

package pkcs11

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/parsecd/parsecd/src/config"
)

// DefaultSessionPoolSize is the number of sessions the provider keeps open
// when session_pool_size is not set.
const DefaultSessionPoolSize = 4

// maxSessionPoolSize bounds session_pool_size: tokens limit sessions, and
// more sessions than parsecd has worker threads buy nothing.
const maxSessionPoolSize = 256

// Config is the schema of a [[provider]] entry with provider_type = "Pkcs11".
// Unknown keys are refused (config.Provider.DecodeProvider).
type Config struct {
	ProviderType   string `toml:"provider_type"`
	KeyInfoManager string `toml:"key_info_manager"`
	Name           string `toml:"name"`
	// LibraryPath is the PKCS#11 module (required).
	LibraryPath string `toml:"library_path"`
	// SlotNumber selects the slot.
	SlotNumber *uint64 `toml:"slot_number"`
	// SerialNumber selects the token by serial number (compared after
	// trimming spaces); preferred over SlotNumber.
	SerialNumber *string `toml:"serial_number"`
	// TokenLabel selects the token by label.
	TokenLabel *string `toml:"token_label"`
	// UserPin logs the sessions in: "str:PIN", "hex:3132", "file:/path"
	// (the file holds the PIN; a trailing newline is dropped) or the PIN
	// itself. Without it the sessions are not logged in.
	UserPin *string `toml:"user_pin"`
	// SoftwarePublicOperations runs VerifyHash and AsymmetricEncrypt in Go
	// on the public key read from the token.
	SoftwarePublicOperations bool `toml:"software_public_operations"`
	// AllowExport (default true) lets keys have the export usage flag; when
	// false, creating such a key fails with PsaErrorNotPermitted.
	AllowExport *bool `toml:"allow_export"`
	// SessionPoolSize is the number of logged-in sessions kept open (default 4).
	SessionPoolSize *int `toml:"session_pool_size"`
}

// Options is the validated runtime configuration of a provider.
type Options struct {
	// Name is the provider's configured name (DefaultName if empty).
	Name        string
	LibraryPath string
	// Slot, SerialNumber and TokenLabel select the token; when none is
	// set, exactly one slot must hold an initialised token.
	Slot         *uint
	SerialNumber string
	TokenLabel   string
	// PIN is the user PIN; HasPIN false means sessions are not logged in.
	PIN    string
	HasPIN bool
	// PINFileWarning is set when the PIN file can be read by other users.
	PINFileWarning           string
	SoftwarePublicOperations bool
	AllowExport              bool
	SessionPoolSize          int
}

// Notes are the warnings the provider logs at start; they implement
// provider.Noter, so --check-config shows them too.
func (o Options) Notes() []string {
	var notes []string
	if o.PINFileWarning != "" {
		notes = append(notes, o.PINFileWarning)
	}
	if !o.HasPIN {
		notes = append(notes, "no user_pin configured: PKCS#11 sessions are not logged in, so private keys may be unusable")
	}
	return notes
}

// String never shows the PIN.
func (o Options) String() string {
	slot := "unset"
	if o.Slot != nil {
		slot = fmt.Sprint(*o.Slot)
	}
	return fmt.Sprintf("pkcs11.Options{Name: %q, LibraryPath: %q, Slot: %s, SerialNumber: %q, TokenLabel: %q, HasPIN: %v, SoftwarePublicOperations: %v, AllowExport: %v, SessionPoolSize: %d}",
		o.Name, o.LibraryPath, slot, o.SerialNumber, o.TokenLabel, o.HasPIN, o.SoftwarePublicOperations, o.AllowExport, o.SessionPoolSize)
}

// Options validates the entry and resolves the PIN (reading its file).
func (c Config) Options() (Options, error) {
	o := Options{
		Name:                     c.Name,
		LibraryPath:              strings.TrimSpace(c.LibraryPath),
		SoftwarePublicOperations: c.SoftwarePublicOperations,
		AllowExport:              true,
		SessionPoolSize:          DefaultSessionPoolSize,
	}
	if o.Name == "" {
		o.Name = DefaultName
	}
	var errs []error
	if o.LibraryPath == "" {
		errs = append(errs, config.KeyErrorf("library_path", "library_path is required: the path of the token's PKCS#11 module (e.g. /usr/lib/softhsm/libsofthsm2.so)"))
	}
	if c.SlotNumber != nil {
		if s := uint(*c.SlotNumber); uint64(s) != *c.SlotNumber {
			errs = append(errs, config.KeyErrorf("slot_number", "slot_number %d is too large for this platform", *c.SlotNumber))
		} else {
			o.Slot = &s
		}
	}
	if c.SerialNumber != nil {
		o.SerialNumber = strings.TrimSpace(*c.SerialNumber)
		if o.SerialNumber == "" {
			errs = append(errs, config.KeyErrorf("serial_number", "serial_number is empty"))
		}
	}
	if c.TokenLabel != nil {
		o.TokenLabel = strings.TrimSpace(*c.TokenLabel)
		if o.TokenLabel == "" {
			errs = append(errs, config.KeyErrorf("token_label", "token_label is empty"))
		}
	}
	if c.UserPin != nil {
		pin, warn, err := parsePIN(*c.UserPin)
		if err != nil {
			errs = append(errs, config.KeyErr("user_pin", err))
		} else {
			o.PIN, o.HasPIN, o.PINFileWarning = pin, true, warn
		}
	}
	if c.AllowExport != nil {
		o.AllowExport = *c.AllowExport
	}
	if c.SessionPoolSize != nil {
		n := *c.SessionPoolSize
		if n < 1 || n > maxSessionPoolSize {
			errs = append(errs, config.KeyErrorf("session_pool_size", "session_pool_size %d is out of range (1 to %d)", n, maxSessionPoolSize))
		} else {
			o.SessionPoolSize = n
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Options{}, err
	}
	return o, nil
}

// parsePIN resolves a user_pin value. Errors never quote the PIN. warn is
// set when a PIN file is readable by other users.
func parsePIN(v string) (pin, warn string, err error) {
	switch {
	case strings.HasPrefix(v, "str:"):
		return v[len("str:"):], "", nil
	case strings.HasPrefix(v, "hex:"):
		b, err := hex.DecodeString(v[len("hex:"):])
		if err != nil {
			return "", "", errors.New("user_pin: the hex: value is not an even number of hexadecimal digits")
		}
		return string(b), "", nil
	case strings.HasPrefix(v, "file:"):
		path := v[len("file:"):]
		if path == "" {
			return "", "", errors.New("user_pin: file: needs a path (file:/etc/parsec/pin)")
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return "", "", fmt.Errorf("user_pin: reading the PIN file: %w", err)
		}
		pin := strings.TrimRight(string(data), "\r\n")
		clear(data)
		if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
			warn = fmt.Sprintf("the PIN file %s has mode %v: other users may read it (chmod 600)", path, fi.Mode().Perm())
		}
		return pin, warn, nil
	}
	return v, "", nil
}
