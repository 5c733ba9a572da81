// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package tpm

import (
	"errors"

	"github.com/google/go-tpm/tpm2"

	"github.com/parsecd/parsecd/src/status"
)

// The PSA status of a TPM failure is decided here, once, at the provider
// edge. A TPM response code names what the TPM refused; anything else that
// fails while talking to the TPM (a socket, a device, a response that does
// not parse or whose session HMAC does not check) means the TPM could not be
// reached reliably, PsaErrorCommunicationFailure, and the connection is
// dropped so that the next operation opens a fresh one.

// rcStatus maps canonical TPM response codes to PSA statuses; codes not
// listed are PsaErrorGenericError, warnings PsaErrorHardwareFailure.
var rcStatus = []struct {
	rc   tpm2.TPMRC
	code status.Code
}{
	{tpm2.TPMRCAuthFail, status.PsaErrorNotPermitted},
	{tpm2.TPMRCBadAuth, status.PsaErrorNotPermitted},
	{tpm2.TPMRCPolicyFail, status.PsaErrorNotPermitted},
	{tpm2.TPMRCLockout, status.PsaErrorNotPermitted},
	{tpm2.TPMRCAttributes, status.PsaErrorNotPermitted},
	{tpm2.TPMRCSignature, status.PsaErrorInvalidSignature},
	{tpm2.TPMRCSize, status.PsaErrorInvalidArgument},
	{tpm2.TPMRCValue, status.PsaErrorInvalidArgument},
	{tpm2.TPMRCKey, status.PsaErrorInvalidArgument},
	{tpm2.TPMRCAsymmetric, status.PsaErrorNotSupported},
	{tpm2.TPMRCHash, status.PsaErrorNotSupported},
	{tpm2.TPMRCKeySize, status.PsaErrorNotSupported},
	{tpm2.TPMRCCurve, status.PsaErrorNotSupported},
	{tpm2.TPMRCScheme, status.PsaErrorNotSupported},
	{tpm2.TPMRCSymmetric, status.PsaErrorNotSupported},
	{tpm2.TPMRCType, status.PsaErrorNotSupported},
	// A wrapped blob that does not belong to this TPM's storage key (the
	// owner hierarchy was cleared) or was altered.
	{tpm2.TPMRCIntegrity, status.PsaErrorDataCorrupt},
	{tpm2.TPMRCBinding, status.PsaErrorDataCorrupt},
	{tpm2.TPMRCObjectMemory, status.PsaErrorInsufficientMemory},
	{tpm2.TPMRCSessionMemory, status.PsaErrorInsufficientMemory},
	{tpm2.TPMRCMemory, status.PsaErrorInsufficientMemory},
	{tpm2.TPMRCObjectHandles, status.PsaErrorInsufficientMemory},
	{tpm2.TPMRCFailure, status.PsaErrorHardwareFailure},
}

// errTransportStatus marks errors that mean the connection must be dropped.
var errTransportStatus = errors.New("TPM unreachable")

// tpmErr gives a failure of TPM command cmd its PSA status. Errors that
// already carry one keep it.
func tpmErr(cmd string, err error) error {
	if err == nil {
		return nil
	}
	var c status.Coder
	if errors.As(err, &c) {
		return err
	}
	var rc tpm2.TPMRC
	if !errors.As(err, &rc) {
		return &status.Error{Code: status.PsaErrorCommunicationFailure, Msg: "TPM2_" + cmd, Err: errors.Join(errTransportStatus, err)}
	}
	code := status.PsaErrorGenericError
	if rc.IsWarning() {
		code = status.PsaErrorHardwareFailure
	}
	for _, m := range rcStatus {
		if errors.Is(rc, m.rc) {
			code = m.code
			break
		}
	}
	return &status.Error{Code: code, Msg: "TPM2_" + cmd, Err: err}
}

// unreachable reports whether err means the TPM connection is unusable.
func unreachable(err error) bool { return errors.Is(err, errTransportStatus) }
