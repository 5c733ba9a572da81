// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package tpm

import (
	"errors"
	"fmt"

	"github.com/parsecd/parsecd/src/config"
)

// ProviderType is the provider_type of the TPM provider.
const ProviderType = "Tpm"

// DefaultName is the provider name when the entry has none (Parsec's default).
const DefaultName = "tpm-provider"

// UUID is the Parsec UUID of the TPM provider (ListProviders).
const UUID = "1e4954a4-ff21-46d3-ab0c-661eeb667e1d"

// Config is the schema of a [[provider]] entry with provider_type = "Tpm".
// Unknown keys are refused (config.Provider.DecodeProvider).
type Config struct {
	ProviderType   string `toml:"provider_type"`
	KeyInfoManager string `toml:"key_info_manager"`
	Name           string `toml:"name"`
	// Tcti names the TPM (ParseTCTI): device[:path], mssim:..., swtpm:...
	Tcti string `toml:"tcti"`
	// OwnerHierarchyAuth authorises creating the storage primary key.
	OwnerHierarchyAuth string `toml:"owner_hierarchy_auth"`
	// EndorsementHierarchyAuth authorises using the endorsement key (attestation).
	EndorsementHierarchyAuth string `toml:"endorsement_hierarchy_auth"`
	// SkipIfNoTpm skips the provider, with a warning, when the TPM cannot be opened.
	SkipIfNoTpm bool `toml:"skip_if_no_tpm"`
}

// Options is the validated runtime configuration of a provider.
type Options struct {
	Name            string
	TCTI            TCTI
	OwnerAuth       Auth
	EndorsementAuth Auth
	SkipIfNoTPM     bool
}

// String never shows the auth values.
func (o Options) String() string {
	return fmt.Sprintf("tpm.Options{Name: %q, TCTI: %v, OwnerAuth: %v, EndorsementAuth: %v, SkipIfNoTPM: %v}",
		o.Name, o.TCTI, o.OwnerAuth, o.EndorsementAuth, o.SkipIfNoTPM)
}

// Options validates the entry.
func (c Config) Options() (Options, error) {
	o := Options{Name: c.Name, SkipIfNoTPM: c.SkipIfNoTpm}
	if o.Name == "" {
		o.Name = DefaultName
	}
	var errs []error
	if c.Tcti == "" {
		errs = append(errs, config.KeyErrorf("tcti", `tcti is required (e.g. "device", "device:/dev/tpmrm0", "swtpm:port=2321")`))
	} else if t, err := ParseTCTI(c.Tcti); err != nil {
		errs = append(errs, config.KeyErr("tcti", err))
	} else {
		o.TCTI = t
	}
	var err error
	if o.OwnerAuth, err = ParseHierarchyAuth("owner_hierarchy_auth", c.OwnerHierarchyAuth); err != nil {
		errs = append(errs, config.KeyErr("owner_hierarchy_auth", err))
	}
	if o.EndorsementAuth, err = ParseHierarchyAuth("endorsement_hierarchy_auth", c.EndorsementHierarchyAuth); err != nil {
		errs = append(errs, config.KeyErr("endorsement_hierarchy_auth", err))
	}
	if err := errors.Join(errs...); err != nil {
		return Options{}, err
	}
	return o, nil
}
