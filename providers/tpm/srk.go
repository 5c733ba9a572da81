// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package tpm

import (
	"bytes"

	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"
)

// primary is a loaded primary key: the storage root key (SRK) under which
// every key is created or imported, or the endorsement key.
type primary struct {
	handle tpm2.TPMHandle
	name   tpm2.TPM2BName
	public tpm2.TPMTPublic
}

// createSRK creates the storage primary key in the owner hierarchy from the
// TCG reference SRK template (ECC P-256, or RSA 2048 on a TPM without that
// curve). CreatePrimary derives it from the owner hierarchy's seed, so the
// same key comes back after a restart or a TPM reset and the wrapped blobs
// in the key store stay loadable: nothing is made persistent in the TPM.
func createSRK(t transport.TPM, ownerAuth Auth, c caps) (*primary, error) {
	tmpl := tpm2.ECCSRKTemplate
	if !c.curves[tpm2.TPMECCNistP256] {
		tmpl = tpm2.RSASRKTemplate
	}
	return createPrimary(t, tpm2.TPMRHOwner, ownerAuth, tmpl)
}

// createPrimary creates a primary key in a hierarchy. The hierarchy's auth
// travels in an HMAC session, so it never crosses the bus in the clear.
func createPrimary(t transport.TPM, hierarchy tpm2.TPMHandle, auth Auth, tmpl tpm2.TPMTPublic) (*primary, error) {
	rsp, err := tpm2.CreatePrimary{
		PrimaryHandle: tpm2.AuthHandle{Handle: hierarchy, Auth: hierarchySession(auth)},
		InPublic:      tpm2.New2B(tmpl),
	}.Execute(t)
	if err != nil {
		return nil, tpmErr("CreatePrimary", err)
	}
	pub, err := rsp.OutPublic.Contents()
	if err != nil {
		flush(t, rsp.ObjectHandle)
		return nil, tpmErr("CreatePrimary", err)
	}
	return &primary{handle: rsp.ObjectHandle, name: rsp.Name, public: *pub}, nil
}

// hierarchySession authorises a hierarchy: an unsalted HMAC session proves
// knowledge of a non-empty auth without sending it; the empty auth needs
// no proof worth hiding. go-tpm v0.9.8 mangles an HMAC key with a zero
// byte inside (see newAuth), so such an auth (only possible with hex:)
// goes in a password session, in the clear on the bus.
func hierarchySession(auth Auth) tpm2.Session {
	trimmed := bytes.TrimRight(auth, "\x00")
	if len(trimmed) == 0 || bytes.IndexByte(trimmed, 0) >= 0 {
		return tpm2.PasswordAuth(auth)
	}
	return tpm2.HMAC(tpm2.TPMAlgSHA256, 16, tpm2.Auth(trimmed))
}

// flush unloads a transient object; a failure only leaks a slot until the
// TPM's next reset, so it is not reported.
func flush(t transport.TPM, h tpm2.TPMHandle) {
	_, _ = tpm2.FlushContext{FlushHandle: h}.Execute(t)
}
