// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package config

import "fmt"

// KeyError is a problem with one key of config.toml. Code that needs to
// know which key an error is about (the daemon pointing at a line, a test
// checking that the right key was refused) finds it with errors.As rather
// than by reading the message, whose words are for people and may change.
//
// Parse and DecodeProvider return KeyErrors, each inside an error whose text
// starts with the place ("FILE:LINE:COL: "). A provider's Options returns
// them with Key relative to its entry ("tcti"); Provider.Wrap then makes
// Key the full path and fills in Line.
type KeyError struct {
	// Key is the dotted path of the key from the top of the file, arrays of
	// tables by their index from 0: "listener.timeout",
	// "provider.1.library_path". It is "" for the file as a whole (a
	// missing section) and names a table for a problem with a whole entry
	// ("key_manager.0").
	Key string
	// Line is where the key (or, when it is not written in the file, the
	// nearest enclosing table) is, from 1; 0 when unknown (an entry built
	// in code, the embedded default configuration).
	Line int
	// Err says what is wrong, in the words of the file; its text starts
	// with the key's name as the user knows it.
	Err error
}

// Error is Err's text alone: the place is said by the error around it.
func (e *KeyError) Error() string { return e.Err.Error() }

func (e *KeyError) Unwrap() error { return e.Err }

// KeyErr is the error of a provider's Options about one of its entry's
// keys: key is relative to the entry ("user_pin"); the text should start
// with it, as every config message names the key it is about.
func KeyErr(key string, err error) *KeyError { return &KeyError{Key: key, Err: err} }

// KeyErrorf is KeyErr with a formatted message; %w wraps a cause.
func KeyErrorf(key, format string, a ...any) *KeyError {
	return &KeyError{Key: key, Err: fmt.Errorf(format, a...)}
}
