// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build cgo && pkcs11

package pkcs11

import (
	"errors"
	"strings"
	"testing"

	"github.com/miekg/pkcs11"

	"github.com/parsecd/parsecd/src/status"
)

func TestCKRMapping(t *testing.T) {
	// The statuses the issue names, and a few more.
	want := map[uint]status.Code{
		pkcs11.CKR_KEY_HANDLE_INVALID:         status.PsaErrorDoesNotExist,
		pkcs11.CKR_OBJECT_HANDLE_INVALID:      status.PsaErrorDoesNotExist,
		pkcs11.CKR_SIGNATURE_INVALID:          status.PsaErrorInvalidSignature,
		pkcs11.CKR_SIGNATURE_LEN_RANGE:        status.PsaErrorInvalidSignature,
		pkcs11.CKR_ENCRYPTED_DATA_INVALID:     status.PsaErrorInvalidPadding,
		pkcs11.CKR_ENCRYPTED_DATA_LEN_RANGE:   status.PsaErrorInvalidArgument,
		pkcs11.CKR_MECHANISM_INVALID:          status.PsaErrorNotSupported,
		pkcs11.CKR_MECHANISM_PARAM_INVALID:    status.PsaErrorNotSupported,
		pkcs11.CKR_PIN_INCORRECT:              status.PsaErrorNotPermitted,
		pkcs11.CKR_PIN_LOCKED:                 status.PsaErrorNotPermitted,
		pkcs11.CKR_DEVICE_ERROR:               status.PsaErrorHardwareFailure,
		pkcs11.CKR_DEVICE_MEMORY:              status.PsaErrorInsufficientStorage,
		pkcs11.CKR_HOST_MEMORY:                status.PsaErrorInsufficientMemory,
		pkcs11.CKR_DEVICE_REMOVED:             status.PsaErrorCommunicationFailure,
		pkcs11.CKR_TOKEN_NOT_PRESENT:          status.PsaErrorCommunicationFailure,
		pkcs11.CKR_KEY_FUNCTION_NOT_PERMITTED: status.PsaErrorNotPermitted,
		pkcs11.CKR_ATTRIBUTE_SENSITIVE:        status.PsaErrorNotPermitted,
		pkcs11.CKR_DATA_LEN_RANGE:             status.PsaErrorInvalidArgument,
		pkcs11.CKR_USER_NOT_LOGGED_IN:         status.PsaErrorNotPermitted,
		pkcs11.CKR_BUFFER_TOO_SMALL:           status.PsaErrorBufferTooSmall,
		pkcs11.CKR_CURVE_NOT_SUPPORTED:        status.PsaErrorNotSupported,
		pkcs11.CKR_GENERAL_ERROR:              status.PsaErrorGenericError,
		0x7777:                                status.PsaErrorGenericError, // unknown
		pkcs11.CKR_VENDOR_DEFINED + 5:         status.PsaErrorGenericError,
	}
	for rv, code := range want {
		err := p11("C_Test", pkcs11.Error(rv))
		if got := status.CodeOf(err); got != code {
			t.Errorf("%s: %v, want %v", ckrName(rv), got, code)
		}
		if !errors.Is(err, code) || !errors.Is(err, pkcs11.Error(rv)) {
			t.Errorf("%s: errors.Is does not match the code and the return value", ckrName(rv))
		}
		if !strings.HasPrefix(err.Error(), "C_Test: ") {
			t.Errorf("%s: message %q", ckrName(rv), err)
		}
	}
	for rv, info := range ckrTable {
		if d := describeCKR(rv); !strings.HasPrefix(d, info.name+" (") || info.words == "" {
			t.Errorf("describeCKR(%#x) = %q", rv, d)
		}
		if !strings.HasPrefix(info.name, "CKR_") {
			t.Errorf("%#x named %q", rv, info.name)
		}
	}
	if got := describeCKR(pkcs11.CKR_VENDOR_DEFINED + 5); got != "CKR_VENDOR_DEFINED+0x5 (unknown return value)" {
		t.Errorf("vendor code: %q", got)
	}
	if got := describeCKR(0x7777); got != "CKR 0x7777 (unknown return value)" {
		t.Errorf("unknown code: %q", got)
	}
}

func TestP11PassThrough(t *testing.T) {
	if p11("C_X", nil) != nil {
		t.Error("nil is not kept")
	}
	plain := errors.New("not PKCS#11")
	if p11("C_X", plain) != plain {
		t.Error("a foreign error is changed")
	}
	mapped := p11("C_Sign", pkcs11.Error(pkcs11.CKR_DATA_INVALID))
	if p11("C_Other", mapped) != mapped {
		t.Error("an already mapped error is mapped again")
	}
	over := p11("C_Decrypt", pkcs11.Error(pkcs11.CKR_GENERAL_ERROR), remap{pkcs11.CKR_GENERAL_ERROR: status.PsaErrorInvalidPadding})
	if status.CodeOf(over) != status.PsaErrorInvalidPadding {
		t.Errorf("override ignored: %v", over)
	}
}

func TestStale(t *testing.T) {
	for _, rv := range []uint{pkcs11.CKR_SESSION_HANDLE_INVALID, pkcs11.CKR_SESSION_CLOSED, pkcs11.CKR_USER_NOT_LOGGED_IN,
		pkcs11.CKR_DEVICE_REMOVED, pkcs11.CKR_TOKEN_NOT_PRESENT, pkcs11.CKR_OPERATION_ACTIVE} {
		if !stale(p11("C_X", pkcs11.Error(rv))) {
			t.Errorf("%s is not stale", ckrName(rv))
		}
	}
	for _, err := range []error{nil, errors.New("x"), pkcs11.Error(pkcs11.CKR_SIGNATURE_INVALID), pkcs11.Error(pkcs11.CKR_PIN_INCORRECT)} {
		if stale(err) {
			t.Errorf("%v is stale", err)
		}
	}
}
