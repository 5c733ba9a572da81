// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package status defines the response status codes of the Parsec wire
// protocol and the error type that carries one through the daemon, so that a
// failure deep in a provider reaches the wire with the right code.
package status

import (
	"errors"
	"fmt"
)

// Code is a Parsec response status (u16 on the wire).
type Code uint16

// Service status codes (Parsec book, "Response Status Codes").
const (
	Success                         Code = 0
	WrongProviderID                 Code = 1
	ContentTypeNotSupported         Code = 2
	AcceptTypeNotSupported          Code = 3
	WireProtocolVersionNotSupported Code = 4
	ProviderNotRegistered           Code = 5
	ProviderDoesNotExist            Code = 6
	DeserializingBodyFailed         Code = 7
	SerializingBodyFailed           Code = 8
	OpcodeDoesNotExist              Code = 9
	ResponseTooLarge                Code = 10
	AuthenticationError             Code = 11
	AuthenticatorDoesNotExist       Code = 12
	AuthenticatorNotRegistered      Code = 13
	KeyInfoManagerError             Code = 14
	ConnectionError                 Code = 15
	InvalidEncoding                 Code = 16
	InvalidHeader                   Code = 17
	WrongProviderUUID               Code = 18
	NotAuthenticated                Code = 19
	BodySizeExceedsLimit            Code = 20
	AdminOperation                  Code = 21
	DeprecatedPrimitive             Code = 22
)

// PSA Crypto API codes: 1000 + |psa_status_t|.
const (
	PsaErrorGenericError         Code = 1132
	PsaErrorNotPermitted         Code = 1133
	PsaErrorNotSupported         Code = 1134
	PsaErrorInvalidArgument      Code = 1135
	PsaErrorInvalidHandle        Code = 1136
	PsaErrorBadState             Code = 1137
	PsaErrorBufferTooSmall       Code = 1138
	PsaErrorAlreadyExists        Code = 1139
	PsaErrorDoesNotExist         Code = 1140
	PsaErrorInsufficientMemory   Code = 1141
	PsaErrorInsufficientStorage  Code = 1142
	PsaErrorInsufficientData     Code = 1143
	PsaErrorCommunicationFailure Code = 1145
	PsaErrorStorageFailure       Code = 1146
	PsaErrorHardwareFailure      Code = 1147
	PsaErrorInsufficientEntropy  Code = 1148
	PsaErrorInvalidSignature     Code = 1149
	PsaErrorInvalidPadding       Code = 1150
	PsaErrorCorruptionDetected   Code = 1151
	PsaErrorDataCorrupt          Code = 1152
	PsaErrorDataInvalid          Code = 1153
)

var names = map[Code]string{
	Success:                         "Success",
	WrongProviderID:                 "WrongProviderId",
	ContentTypeNotSupported:         "ContentTypeNotSupported",
	AcceptTypeNotSupported:          "AcceptTypeNotSupported",
	WireProtocolVersionNotSupported: "WireProtocolVersionNotSupported",
	ProviderNotRegistered:           "ProviderNotRegistered",
	ProviderDoesNotExist:            "ProviderDoesNotExist",
	DeserializingBodyFailed:         "DeserializingBodyFailed",
	SerializingBodyFailed:           "SerializingBodyFailed",
	OpcodeDoesNotExist:              "OpcodeDoesNotExist",
	ResponseTooLarge:                "ResponseTooLarge",
	AuthenticationError:             "AuthenticationError",
	AuthenticatorDoesNotExist:       "AuthenticatorDoesNotExist",
	AuthenticatorNotRegistered:      "AuthenticatorNotRegistered",
	KeyInfoManagerError:             "KeyInfoManagerError",
	ConnectionError:                 "ConnectionError",
	InvalidEncoding:                 "InvalidEncoding",
	InvalidHeader:                   "InvalidHeader",
	WrongProviderUUID:               "WrongProviderUuid",
	NotAuthenticated:                "NotAuthenticated",
	BodySizeExceedsLimit:            "BodySizeExceedsLimit",
	AdminOperation:                  "AdminOperation",
	DeprecatedPrimitive:             "DeprecatedPrimitive",
	PsaErrorGenericError:            "PsaErrorGenericError",
	PsaErrorNotPermitted:            "PsaErrorNotPermitted",
	PsaErrorNotSupported:            "PsaErrorNotSupported",
	PsaErrorInvalidArgument:         "PsaErrorInvalidArgument",
	PsaErrorInvalidHandle:           "PsaErrorInvalidHandle",
	PsaErrorBadState:                "PsaErrorBadState",
	PsaErrorBufferTooSmall:          "PsaErrorBufferTooSmall",
	PsaErrorAlreadyExists:           "PsaErrorAlreadyExists",
	PsaErrorDoesNotExist:            "PsaErrorDoesNotExist",
	PsaErrorInsufficientMemory:      "PsaErrorInsufficientMemory",
	PsaErrorInsufficientStorage:     "PsaErrorInsufficientStorage",
	PsaErrorInsufficientData:        "PsaErrorInsufficientData",
	PsaErrorCommunicationFailure:    "PsaErrorCommunicationFailure",
	PsaErrorStorageFailure:          "PsaErrorStorageFailure",
	PsaErrorHardwareFailure:         "PsaErrorHardwareFailure",
	PsaErrorInsufficientEntropy:     "PsaErrorInsufficientEntropy",
	PsaErrorInvalidSignature:        "PsaErrorInvalidSignature",
	PsaErrorInvalidPadding:          "PsaErrorInvalidPadding",
	PsaErrorCorruptionDetected:      "PsaErrorCorruptionDetected",
	PsaErrorDataCorrupt:             "PsaErrorDataCorrupt",
	PsaErrorDataInvalid:             "PsaErrorDataInvalid",
}

var descriptions = map[Code]string{
	Success:                         "successful operation",
	WrongProviderID:                 "requested provider ID does not match that of the backend",
	ContentTypeNotSupported:         "requested content type is not supported by the backend",
	AcceptTypeNotSupported:          "requested accept type is not supported by the backend",
	WireProtocolVersionNotSupported: "requested version is not supported by the backend",
	ProviderNotRegistered:           "no provider registered for the requested provider ID",
	ProviderDoesNotExist:            "no provider defined for requested provider ID",
	DeserializingBodyFailed:         "failed to deserialize the body of the message",
	SerializingBodyFailed:           "failed to serialize the body of the message",
	OpcodeDoesNotExist:              "requested operation is not defined",
	ResponseTooLarge:                "response size exceeds allowed limits",
	AuthenticationError:             "authentication failed",
	AuthenticatorDoesNotExist:       "authenticator not supported",
	AuthenticatorNotRegistered:      "authenticator not supported",
	KeyInfoManagerError:             "internal error in the key info manager",
	ConnectionError:                 "generic input/output error",
	InvalidEncoding:                 "invalid value for this data type",
	InvalidHeader:                   "constant fields in header are invalid",
	WrongProviderUUID:               "the UUID vector needs to only contain 16 bytes",
	NotAuthenticated:                "request did not provide a required authentication",
	BodySizeExceedsLimit:            "request length specified in the header is above defined limit",
	AdminOperation:                  "the operation requires admin privilege",
	DeprecatedPrimitive:             "the key template contains a deprecated type or algorithm",
	PsaErrorGenericError:            "an error occurred that does not correspond to any defined failure cause",
	PsaErrorNotPermitted:            "the requested action is denied by a policy",
	PsaErrorNotSupported:            "the requested operation or a parameter is not supported by this implementation",
	PsaErrorInvalidArgument:         "the parameters passed to the function are invalid",
	PsaErrorInvalidHandle:           "the key handle is not valid",
	PsaErrorBadState:                "the requested action cannot be performed in the current state",
	PsaErrorBufferTooSmall:          "an output buffer is too small",
	PsaErrorAlreadyExists:           "asking for an item that already exists",
	PsaErrorDoesNotExist:            "asking for an item that doesn't exist",
	PsaErrorInsufficientMemory:      "there is not enough runtime memory",
	PsaErrorInsufficientStorage:     "there is not enough persistent storage",
	PsaErrorInsufficientData:        "insufficient data when attempting to read from a resource",
	PsaErrorCommunicationFailure:    "there was a communication failure inside the implementation",
	PsaErrorStorageFailure:          "there was a storage failure that may have led to data loss",
	PsaErrorHardwareFailure:         "a hardware failure was detected",
	PsaErrorInsufficientEntropy:     "there is not enough entropy to generate random data needed for the requested action",
	PsaErrorInvalidSignature:        "the signature, MAC or hash is incorrect",
	PsaErrorInvalidPadding:          "the decrypted padding is incorrect",
	PsaErrorCorruptionDetected:      "a tampering attempt was detected",
	PsaErrorDataCorrupt:             "stored data has been corrupted",
	PsaErrorDataInvalid:             "data read from storage is not valid for the implementation",
}

// Known reports whether c is a status code defined by the protocol.
func Known(c Code) bool { _, ok := names[c]; return ok }

// String returns the protocol name of the code, e.g. "PsaErrorDoesNotExist".
func (c Code) String() string {
	if n, ok := names[c]; ok {
		return n
	}
	return fmt.Sprintf("Status(%d)", uint16(c))
}

// Description returns a plain-words explanation of the code.
func (c Code) Description() string {
	if d, ok := descriptions[c]; ok {
		return d
	}
	return "unknown status code"
}

// Error makes a bare Code usable as an error value, so that
// errors.Is(err, status.PsaErrorDoesNotExist) works on any wrapped *Error.
func (c Code) Error() string {
	return fmt.Sprintf("%s (%d): %s", c.String(), uint16(c), c.Description())
}

// ParsecStatus implements Coder.
func (c Code) ParsecStatus() Code { return c }

// Coder is implemented by errors that know which status they map to.
type Coder interface{ ParsecStatus() Code }

// Error is an error with a wire status, a message for logs, and an optional cause.
type Error struct {
	Code Code
	Msg  string
	Err  error
	// causeInMsg is set by Errorf, whose Msg already spells out Err.
	causeInMsg bool
}

func (e *Error) Error() string {
	msg := e.Code.String()
	if e.Msg != "" {
		msg += ": " + e.Msg
	}
	if e.Err != nil && !e.causeInMsg {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// ParsecStatus implements Coder.
func (e *Error) ParsecStatus() Code { return e.Code }

// Is lets errors.Is match an *Error against a bare Code.
func (e *Error) Is(target error) bool {
	c, ok := target.(Code)
	return ok && c == e.Code
}

// Errorf builds an *Error; %w in format wraps the cause. With several %w,
// Err joins them all, so that errors.Is and errors.As find each of them,
// as they would in the error fmt.Errorf makes (errors.Unwrap alone returns
// nil for it, which would drop every cause).
func Errorf(c Code, format string, a ...any) error {
	err := fmt.Errorf(format, a...)
	var cause error
	switch w := err.(type) {
	case interface{ Unwrap() error }:
		cause = w.Unwrap()
	case interface{ Unwrap() []error }:
		cause = errors.Join(w.Unwrap()...)
	}
	return &Error{Code: c, Msg: err.Error(), Err: cause, causeInMsg: true}
}

// CodeOf maps any error to the status sent on the wire: nil is Success,
// anything that carries a code gives it, and everything else is a generic error.
func CodeOf(err error) Code {
	if err == nil {
		return Success
	}
	var c Coder
	if errors.As(err, &c) {
		return c.ParsecStatus()
	}
	return PsaErrorGenericError
}
