// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package status

import (
	"errors"
	"fmt"
	"testing"
)

func TestCodeOf(t *testing.T) {
	wrapped := fmt.Errorf("outer: %w", Errorf(PsaErrorDoesNotExist, "key %q", "k1"))
	tests := []struct {
		name string
		err  error
		want Code
	}{
		{"nil", nil, Success},
		{"plain", errors.New("boom"), PsaErrorGenericError},
		{"bare code", InvalidHeader, InvalidHeader},
		{"wrapped error", wrapped, PsaErrorDoesNotExist},
	}
	for _, tt := range tests {
		if got := CodeOf(tt.err); got != tt.want {
			t.Errorf("%s: CodeOf = %v, want %v", tt.name, got, tt.want)
		}
	}
	if !errors.Is(wrapped, PsaErrorDoesNotExist) {
		t.Error("errors.Is does not match a wrapped *Error against its Code")
	}
	if errors.Is(wrapped, PsaErrorAlreadyExists) {
		t.Error("errors.Is matched the wrong code")
	}
}

// Every cause of a multi-%w message is kept, each found by errors.Is and
// errors.As, and the text is fmt.Errorf's.
func TestErrorfKeepsEveryCause(t *testing.T) {
	first, second := errors.New("disk full"), &Error{Code: PsaErrorStorageFailure, Msg: "sync"}
	err := Errorf(KeyInfoManagerError, "writing mapping: %w; rolling back: %w", first, second)
	if !errors.Is(err, first) || !errors.Is(err, second) {
		t.Fatalf("%v lost a cause", err)
	}
	var inner *Error
	if !errors.As(errors.Unwrap(err), &inner) || inner != second {
		t.Errorf("errors.As on the causes found %v, want %v", inner, second)
	}
	if CodeOf(err) != KeyInfoManagerError {
		t.Errorf("code = %v, want the outer one", CodeOf(err))
	}
	if got, want := err.Error(), "KeyInfoManagerError: writing mapping: disk full; rolling back: PsaErrorStorageFailure: sync"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestErrorfKeepsCause(t *testing.T) {
	cause := errors.New("disk full")
	err := Errorf(KeyInfoManagerError, "writing mapping: %w", cause)
	if !errors.Is(err, cause) {
		t.Fatal("cause lost")
	}
	if CodeOf(err) != KeyInfoManagerError {
		t.Fatalf("code = %v", CodeOf(err))
	}
	if got, want := err.Error(), "KeyInfoManagerError: writing mapping: disk full"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
	manual := &Error{Code: ConnectionError, Msg: "reading body", Err: cause}
	if got, want := manual.Error(), "ConnectionError: reading body: disk full"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
}

func TestNamesAreComplete(t *testing.T) {
	for c := Code(0); c <= DeprecatedPrimitive; c++ {
		if !Known(c) || c.String() == "" || c.Description() == "unknown status code" {
			t.Errorf("code %d has no name or description", c)
		}
	}
	if Known(1144) {
		t.Error("1144 is unused by the protocol")
	}
	if PsaErrorDoesNotExist.String() != "PsaErrorDoesNotExist" {
		t.Error("bad name")
	}
}
