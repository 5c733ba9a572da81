// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package main

// The providers register their provider_type, schema and --check-config
// check themselves (provider.Register in each package's init).
import (
	// The PKCS#11 provider: the real one with cgo and -tags pkcs11, else a
	// stub that refuses provider_type "Pkcs11" ("built without PKCS#11 support").
	_ "github.com/parsecd/parsecd/providers/pkcs11"
	// The software provider (Software, alias MbedCrypto): in every build.
	_ "github.com/parsecd/parsecd/providers/soft"
	// The TPM 2.0 provider (pure Go, go-tpm): in every build.
	_ "github.com/parsecd/parsecd/providers/tpm"
)
