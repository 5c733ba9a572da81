// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build cgo && pkcs11

package pkcs11

import (
	"errors"
	"fmt"

	"github.com/miekg/pkcs11"

	"github.com/parsecd/parsecd/src/status"
)

// PKCS#11 return values are mapped to wire statuses here, at the provider
// edge, and nowhere else. Each known CKR_* has its name, a few plain words
// for start-up errors and logs (Parsec#611), and its status.

type ckrInfo struct {
	name  string
	words string
	code  status.Code
}

var ckrTable = map[uint]ckrInfo{
	pkcs11.CKR_CANCEL:                           {"CKR_CANCEL", "the function was cancelled", status.PsaErrorGenericError},
	pkcs11.CKR_HOST_MEMORY:                      {"CKR_HOST_MEMORY", "the module ran out of host memory", status.PsaErrorInsufficientMemory},
	pkcs11.CKR_SLOT_ID_INVALID:                  {"CKR_SLOT_ID_INVALID", "no such slot", status.PsaErrorCommunicationFailure},
	pkcs11.CKR_GENERAL_ERROR:                    {"CKR_GENERAL_ERROR", "unrecoverable error in the module or token", status.PsaErrorGenericError},
	pkcs11.CKR_FUNCTION_FAILED:                  {"CKR_FUNCTION_FAILED", "the function failed", status.PsaErrorGenericError},
	pkcs11.CKR_ARGUMENTS_BAD:                    {"CKR_ARGUMENTS_BAD", "the module rejected the arguments", status.PsaErrorInvalidArgument},
	pkcs11.CKR_NEED_TO_CREATE_THREADS:           {"CKR_NEED_TO_CREATE_THREADS", "the module needs to create threads", status.PsaErrorGenericError},
	pkcs11.CKR_CANT_LOCK:                        {"CKR_CANT_LOCK", "the module cannot use OS locking", status.PsaErrorGenericError},
	pkcs11.CKR_ATTRIBUTE_READ_ONLY:              {"CKR_ATTRIBUTE_READ_ONLY", "an attribute cannot be set", status.PsaErrorNotPermitted},
	pkcs11.CKR_ATTRIBUTE_SENSITIVE:              {"CKR_ATTRIBUTE_SENSITIVE", "the attribute is sensitive and cannot be read", status.PsaErrorNotPermitted},
	pkcs11.CKR_ATTRIBUTE_TYPE_INVALID:           {"CKR_ATTRIBUTE_TYPE_INVALID", "the token does not know an attribute", status.PsaErrorNotSupported},
	pkcs11.CKR_ATTRIBUTE_VALUE_INVALID:          {"CKR_ATTRIBUTE_VALUE_INVALID", "the token rejected an attribute value", status.PsaErrorInvalidArgument},
	pkcs11.CKR_ACTION_PROHIBITED:                {"CKR_ACTION_PROHIBITED", "the token's policy prohibits the action", status.PsaErrorNotPermitted},
	pkcs11.CKR_DATA_INVALID:                     {"CKR_DATA_INVALID", "the input data is invalid", status.PsaErrorInvalidArgument},
	pkcs11.CKR_DATA_LEN_RANGE:                   {"CKR_DATA_LEN_RANGE", "the input data has the wrong length", status.PsaErrorInvalidArgument},
	pkcs11.CKR_DEVICE_ERROR:                     {"CKR_DEVICE_ERROR", "the token reported a device error", status.PsaErrorHardwareFailure},
	pkcs11.CKR_DEVICE_MEMORY:                    {"CKR_DEVICE_MEMORY", "the token is out of memory", status.PsaErrorInsufficientStorage},
	pkcs11.CKR_DEVICE_REMOVED:                   {"CKR_DEVICE_REMOVED", "the token was removed", status.PsaErrorCommunicationFailure},
	pkcs11.CKR_ENCRYPTED_DATA_INVALID:           {"CKR_ENCRYPTED_DATA_INVALID", "the ciphertext is invalid", status.PsaErrorInvalidPadding},
	pkcs11.CKR_ENCRYPTED_DATA_LEN_RANGE:         {"CKR_ENCRYPTED_DATA_LEN_RANGE", "the ciphertext has the wrong length", status.PsaErrorInvalidArgument},
	pkcs11.CKR_FUNCTION_CANCELED:                {"CKR_FUNCTION_CANCELED", "the function was cancelled", status.PsaErrorGenericError},
	pkcs11.CKR_FUNCTION_NOT_PARALLEL:            {"CKR_FUNCTION_NOT_PARALLEL", "no function is running in parallel", status.PsaErrorBadState},
	pkcs11.CKR_FUNCTION_NOT_SUPPORTED:           {"CKR_FUNCTION_NOT_SUPPORTED", "the module does not implement the function", status.PsaErrorNotSupported},
	pkcs11.CKR_KEY_HANDLE_INVALID:               {"CKR_KEY_HANDLE_INVALID", "the key does not exist on the token", status.PsaErrorDoesNotExist},
	pkcs11.CKR_KEY_SIZE_RANGE:                   {"CKR_KEY_SIZE_RANGE", "the token does not support this key size", status.PsaErrorNotSupported},
	pkcs11.CKR_KEY_TYPE_INCONSISTENT:            {"CKR_KEY_TYPE_INCONSISTENT", "the key type does not fit the mechanism", status.PsaErrorInvalidArgument},
	pkcs11.CKR_KEY_FUNCTION_NOT_PERMITTED:       {"CKR_KEY_FUNCTION_NOT_PERMITTED", "the key's attributes do not allow this use", status.PsaErrorNotPermitted},
	pkcs11.CKR_KEY_NOT_WRAPPABLE:                {"CKR_KEY_NOT_WRAPPABLE", "the key cannot be wrapped", status.PsaErrorNotPermitted},
	pkcs11.CKR_KEY_UNEXTRACTABLE:                {"CKR_KEY_UNEXTRACTABLE", "the key is not extractable", status.PsaErrorNotPermitted},
	pkcs11.CKR_MECHANISM_INVALID:                {"CKR_MECHANISM_INVALID", "the token does not support the mechanism", status.PsaErrorNotSupported},
	pkcs11.CKR_MECHANISM_PARAM_INVALID:          {"CKR_MECHANISM_PARAM_INVALID", "the token does not support the mechanism parameters", status.PsaErrorNotSupported},
	pkcs11.CKR_OBJECT_HANDLE_INVALID:            {"CKR_OBJECT_HANDLE_INVALID", "the object does not exist on the token", status.PsaErrorDoesNotExist},
	pkcs11.CKR_OPERATION_ACTIVE:                 {"CKR_OPERATION_ACTIVE", "another operation is active in the session", status.PsaErrorBadState},
	pkcs11.CKR_OPERATION_NOT_INITIALIZED:        {"CKR_OPERATION_NOT_INITIALIZED", "no operation is active in the session", status.PsaErrorBadState},
	pkcs11.CKR_PIN_INCORRECT:                    {"CKR_PIN_INCORRECT", "wrong user PIN", status.PsaErrorNotPermitted},
	pkcs11.CKR_PIN_INVALID:                      {"CKR_PIN_INVALID", "the PIN has invalid characters", status.PsaErrorNotPermitted},
	pkcs11.CKR_PIN_LEN_RANGE:                    {"CKR_PIN_LEN_RANGE", "the PIN is too long or too short", status.PsaErrorNotPermitted},
	pkcs11.CKR_PIN_EXPIRED:                      {"CKR_PIN_EXPIRED", "the user PIN has expired", status.PsaErrorNotPermitted},
	pkcs11.CKR_PIN_LOCKED:                       {"CKR_PIN_LOCKED", "the user PIN is locked", status.PsaErrorNotPermitted},
	pkcs11.CKR_SESSION_CLOSED:                   {"CKR_SESSION_CLOSED", "the session was closed", status.PsaErrorCommunicationFailure},
	pkcs11.CKR_SESSION_COUNT:                    {"CKR_SESSION_COUNT", "the token has too many open sessions (lower session_pool_size)", status.PsaErrorInsufficientMemory},
	pkcs11.CKR_SESSION_HANDLE_INVALID:           {"CKR_SESSION_HANDLE_INVALID", "the session is no longer valid", status.PsaErrorCommunicationFailure},
	pkcs11.CKR_SESSION_PARALLEL_NOT_SUPPORTED:   {"CKR_SESSION_PARALLEL_NOT_SUPPORTED", "the token needs serial sessions", status.PsaErrorNotSupported},
	pkcs11.CKR_SESSION_READ_ONLY:                {"CKR_SESSION_READ_ONLY", "the session is read-only", status.PsaErrorNotPermitted},
	pkcs11.CKR_SESSION_EXISTS:                   {"CKR_SESSION_EXISTS", "a session is already open", status.PsaErrorBadState},
	pkcs11.CKR_SESSION_READ_ONLY_EXISTS:         {"CKR_SESSION_READ_ONLY_EXISTS", "a read-only session exists", status.PsaErrorBadState},
	pkcs11.CKR_SESSION_READ_WRITE_SO_EXISTS:     {"CKR_SESSION_READ_WRITE_SO_EXISTS", "the security officer is logged in", status.PsaErrorBadState},
	pkcs11.CKR_SIGNATURE_INVALID:                {"CKR_SIGNATURE_INVALID", "the signature does not verify", status.PsaErrorInvalidSignature},
	pkcs11.CKR_SIGNATURE_LEN_RANGE:              {"CKR_SIGNATURE_LEN_RANGE", "the signature has the wrong length", status.PsaErrorInvalidSignature},
	pkcs11.CKR_TEMPLATE_INCOMPLETE:              {"CKR_TEMPLATE_INCOMPLETE", "the token needs more attributes for this object", status.PsaErrorNotSupported},
	pkcs11.CKR_TEMPLATE_INCONSISTENT:            {"CKR_TEMPLATE_INCONSISTENT", "the token does not accept this combination of attributes", status.PsaErrorNotSupported},
	pkcs11.CKR_TOKEN_NOT_PRESENT:                {"CKR_TOKEN_NOT_PRESENT", "no token in the slot", status.PsaErrorCommunicationFailure},
	pkcs11.CKR_TOKEN_NOT_RECOGNIZED:             {"CKR_TOKEN_NOT_RECOGNIZED", "the module does not recognise the token", status.PsaErrorCommunicationFailure},
	pkcs11.CKR_TOKEN_WRITE_PROTECTED:            {"CKR_TOKEN_WRITE_PROTECTED", "the token is write-protected", status.PsaErrorNotPermitted},
	pkcs11.CKR_USER_ALREADY_LOGGED_IN:           {"CKR_USER_ALREADY_LOGGED_IN", "the user is already logged in", status.PsaErrorBadState},
	pkcs11.CKR_USER_NOT_LOGGED_IN:               {"CKR_USER_NOT_LOGGED_IN", "the session is not logged in (is user_pin set?)", status.PsaErrorNotPermitted},
	pkcs11.CKR_USER_PIN_NOT_INITIALIZED:         {"CKR_USER_PIN_NOT_INITIALIZED", "the token's user PIN was never set", status.PsaErrorNotPermitted},
	pkcs11.CKR_USER_TYPE_INVALID:                {"CKR_USER_TYPE_INVALID", "invalid user type", status.PsaErrorGenericError},
	pkcs11.CKR_USER_ANOTHER_ALREADY_LOGGED_IN:   {"CKR_USER_ANOTHER_ALREADY_LOGGED_IN", "another user is logged in to the token", status.PsaErrorBadState},
	pkcs11.CKR_USER_TOO_MANY_TYPES:              {"CKR_USER_TOO_MANY_TYPES", "too many users logged in to the token", status.PsaErrorBadState},
	pkcs11.CKR_RANDOM_SEED_NOT_SUPPORTED:        {"CKR_RANDOM_SEED_NOT_SUPPORTED", "the token's generator cannot be seeded", status.PsaErrorNotSupported},
	pkcs11.CKR_RANDOM_NO_RNG:                    {"CKR_RANDOM_NO_RNG", "the token has no random number generator", status.PsaErrorNotSupported},
	pkcs11.CKR_DOMAIN_PARAMS_INVALID:            {"CKR_DOMAIN_PARAMS_INVALID", "the token does not support these domain parameters", status.PsaErrorNotSupported},
	pkcs11.CKR_CURVE_NOT_SUPPORTED:              {"CKR_CURVE_NOT_SUPPORTED", "the token does not support the curve", status.PsaErrorNotSupported},
	pkcs11.CKR_BUFFER_TOO_SMALL:                 {"CKR_BUFFER_TOO_SMALL", "an output buffer is too small", status.PsaErrorBufferTooSmall},
	pkcs11.CKR_INFORMATION_SENSITIVE:            {"CKR_INFORMATION_SENSITIVE", "the information is sensitive", status.PsaErrorNotPermitted},
	pkcs11.CKR_CRYPTOKI_NOT_INITIALIZED:         {"CKR_CRYPTOKI_NOT_INITIALIZED", "the module is not initialised (C_Initialize)", status.PsaErrorBadState},
	pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED:     {"CKR_CRYPTOKI_ALREADY_INITIALIZED", "the module is already initialised", status.PsaErrorBadState},
	pkcs11.CKR_MUTEX_BAD:                        {"CKR_MUTEX_BAD", "bad mutex", status.PsaErrorGenericError},
	pkcs11.CKR_MUTEX_NOT_LOCKED:                 {"CKR_MUTEX_NOT_LOCKED", "mutex not locked", status.PsaErrorGenericError},
	pkcs11.CKR_FIPS_SELF_TEST_FAILED:            {"CKR_FIPS_SELF_TEST_FAILED", "the token failed its FIPS self-test", status.PsaErrorHardwareFailure},
	pkcs11.CKR_LIBRARY_LOAD_FAILED:              {"CKR_LIBRARY_LOAD_FAILED", "the module could not load a library it needs", status.PsaErrorGenericError},
	pkcs11.CKR_PIN_TOO_WEAK:                     {"CKR_PIN_TOO_WEAK", "the PIN is too weak", status.PsaErrorNotPermitted},
	pkcs11.CKR_PUBLIC_KEY_INVALID:               {"CKR_PUBLIC_KEY_INVALID", "the public key is invalid", status.PsaErrorInvalidArgument},
	pkcs11.CKR_FUNCTION_REJECTED:                {"CKR_FUNCTION_REJECTED", "the token refused the request", status.PsaErrorNotPermitted},
	pkcs11.CKR_UNWRAPPING_KEY_HANDLE_INVALID:    {"CKR_UNWRAPPING_KEY_HANDLE_INVALID", "the unwrapping key does not exist", status.PsaErrorDoesNotExist},
	pkcs11.CKR_WRAPPING_KEY_HANDLE_INVALID:      {"CKR_WRAPPING_KEY_HANDLE_INVALID", "the wrapping key does not exist", status.PsaErrorDoesNotExist},
	pkcs11.CKR_WRAPPED_KEY_INVALID:              {"CKR_WRAPPED_KEY_INVALID", "the wrapped key is invalid", status.PsaErrorInvalidArgument},
	pkcs11.CKR_KEY_NEEDED:                       {"CKR_KEY_NEEDED", "a key is needed", status.PsaErrorBadState},
	pkcs11.CKR_KEY_CHANGED:                      {"CKR_KEY_CHANGED", "the key changed", status.PsaErrorBadState},
	pkcs11.CKR_KEY_NOT_NEEDED:                   {"CKR_KEY_NOT_NEEDED", "no key is needed", status.PsaErrorBadState},
	pkcs11.CKR_KEY_INDIGESTIBLE:                 {"CKR_KEY_INDIGESTIBLE", "the key cannot be digested", status.PsaErrorNotSupported},
	pkcs11.CKR_SAVED_STATE_INVALID:              {"CKR_SAVED_STATE_INVALID", "the saved state is invalid", status.PsaErrorBadState},
	pkcs11.CKR_STATE_UNSAVEABLE:                 {"CKR_STATE_UNSAVEABLE", "the state cannot be saved", status.PsaErrorBadState},
	pkcs11.CKR_NEW_PIN_MODE:                     {"CKR_NEW_PIN_MODE", "the token wants a new PIN", status.PsaErrorNotPermitted},
	pkcs11.CKR_NEXT_OTP:                         {"CKR_NEXT_OTP", "the token wants the next one-time password", status.PsaErrorNotPermitted},
	pkcs11.CKR_EXCEEDED_MAX_ITERATIONS:          {"CKR_EXCEEDED_MAX_ITERATIONS", "too many iterations", status.PsaErrorGenericError},
	pkcs11.CKR_UNWRAPPING_KEY_SIZE_RANGE:        {"CKR_UNWRAPPING_KEY_SIZE_RANGE", "unsupported unwrapping key size", status.PsaErrorNotSupported},
	pkcs11.CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT: {"CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT", "the unwrapping key type does not fit", status.PsaErrorInvalidArgument},
	pkcs11.CKR_WRAPPED_KEY_LEN_RANGE:            {"CKR_WRAPPED_KEY_LEN_RANGE", "the wrapped key has the wrong length", status.PsaErrorInvalidArgument},
	pkcs11.CKR_WRAPPING_KEY_SIZE_RANGE:          {"CKR_WRAPPING_KEY_SIZE_RANGE", "unsupported wrapping key size", status.PsaErrorNotSupported},
	pkcs11.CKR_WRAPPING_KEY_TYPE_INCONSISTENT:   {"CKR_WRAPPING_KEY_TYPE_INCONSISTENT", "the wrapping key type does not fit", status.PsaErrorInvalidArgument},
	pkcs11.CKR_NO_EVENT:                         {"CKR_NO_EVENT", "no slot event", status.PsaErrorGenericError},
}

// ckrName returns the CKR_* name of a return value, or its hex value.
func ckrName(rv uint) string {
	if i, ok := ckrTable[rv]; ok {
		return i.name
	}
	if rv >= pkcs11.CKR_VENDOR_DEFINED {
		return fmt.Sprintf("CKR_VENDOR_DEFINED+0x%X", rv-pkcs11.CKR_VENDOR_DEFINED)
	}
	return fmt.Sprintf("CKR 0x%X", rv)
}

// describeCKR names a return value and says what it means, e.g.
// "CKR_PIN_INCORRECT (wrong user PIN)".
func describeCKR(rv uint) string {
	if i, ok := ckrTable[rv]; ok {
		return i.name + " (" + i.words + ")"
	}
	return ckrName(rv) + " (unknown return value)"
}

// codeOfCKR is the wire status of a return value; anything unknown is a generic error.
func codeOfCKR(rv uint) status.Code {
	if i, ok := ckrTable[rv]; ok {
		return i.code
	}
	return status.PsaErrorGenericError
}

// ckrOf extracts the PKCS#11 return value from an error chain.
func ckrOf(err error) (uint, bool) {
	var e pkcs11.Error
	if errors.As(err, &e) {
		return uint(e), true
	}
	return 0, false
}

// isCKR reports whether err carries the return value rv.
func isCKR(err error, rv uint) bool {
	got, ok := ckrOf(err)
	return ok && got == rv
}

// ckError is a failed PKCS#11 call: which function, where (slot and token),
// the return value and the wire status it maps to. errors.Is matches it
// against a status.Code and, through Unwrap, against a pkcs11.Error.
type ckError struct {
	call  string
	where string
	rv    pkcs11.Error
	code  status.Code
}

func (e *ckError) Error() string {
	s := e.call
	if e.where != "" {
		s += " " + e.where
	}
	return s + ": " + describeCKR(uint(e.rv))
}

// Unwrap returns the pkcs11.Error.
func (e *ckError) Unwrap() error { return e.rv }

// ParsecStatus implements status.Coder.
func (e *ckError) ParsecStatus() status.Code { return e.code }

// Is matches a bare status.Code.
func (e *ckError) Is(target error) bool {
	c, ok := target.(status.Code)
	return ok && c == e.code
}

// remap overrides the status of some return values for one call site, e.g.
// any failure of a raw RSA decryption is bad padding.
type remap map[uint]status.Code

// p11 turns the error of a PKCS#11 call into a *ckError carrying its wire
// status; nil stays nil, and errors that are not PKCS#11 return values (or
// already mapped) pass through unchanged.
func p11(call string, err error, overrides ...remap) error {
	if err == nil {
		return nil
	}
	var done *ckError
	if errors.As(err, &done) {
		return err
	}
	rv, ok := ckrOf(err)
	if !ok {
		return err
	}
	code := codeOfCKR(rv)
	for _, o := range overrides {
		if c, ok := o[rv]; ok {
			code = c
		}
	}
	return &ckError{call: call, rv: pkcs11.Error(rv), code: code}
}

// stale reports whether err means the session can no longer be used as it
// is (closed, logged out, token removed or reset, or left with an active
// operation): the pool then opens a new session, logs in and retries once.
func stale(err error) bool {
	rv, ok := ckrOf(err)
	if !ok {
		return false
	}
	switch rv {
	case pkcs11.CKR_SESSION_HANDLE_INVALID, pkcs11.CKR_SESSION_CLOSED, pkcs11.CKR_USER_NOT_LOGGED_IN,
		pkcs11.CKR_DEVICE_REMOVED, pkcs11.CKR_TOKEN_NOT_PRESENT, pkcs11.CKR_OPERATION_ACTIVE:
		return true
	}
	return false
}
