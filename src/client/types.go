// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package client

import (
	"fmt"

	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/psa"
)

// ProviderInfo describes one provider of the service (ListProviders).
type ProviderInfo struct {
	ID          parsec.ProviderID
	UUID        string
	Description string
	Vendor      string
	VersionMaj  uint32
	VersionMin  uint32
	VersionRev  uint32
	// Name is the provider's configured name: parsecd's, "" from a
	// Parsec service.
	Name string
}

// Version is "maj.min.rev".
func (p ProviderInfo) Version() string {
	return fmt.Sprintf("%d.%d.%d", p.VersionMaj, p.VersionMin, p.VersionRev)
}

// AuthenticatorInfo describes the authenticator of the service (ListAuthenticators).
type AuthenticatorInfo struct {
	ID          parsec.AuthType
	Description string
	VersionMaj  uint32
	VersionMin  uint32
	VersionRev  uint32
}

// Version is "maj.min.rev".
func (a AuthenticatorInfo) Version() string {
	return fmt.Sprintf("%d.%d.%d", a.VersionMaj, a.VersionMin, a.VersionRev)
}

// KeyInfo describes one key of the application (ListKeys).
type KeyInfo struct {
	Provider   parsec.ProviderID
	Name       string
	Attributes psa.KeyAttributes
}

// CheckType is psa.CheckType, the check CanDoCrypto performs; the
// constants below are kept for callers written against older versions.
type CheckType = psa.CheckType

// CanDoCrypto checks (the psa constants).
const (
	CheckUse      = psa.CheckUse
	CheckGenerate = psa.CheckGenerate
	CheckImport   = psa.CheckImport
	CheckDerive   = psa.CheckDerive
)

// ActivateCredentialParams are the parameters PrepareKeyAttestation returns
// for the ActivateCredential mechanism (TPM).
type ActivateCredentialParams struct {
	Name            []byte
	Public          []byte
	AttestingKeyPub []byte
}
