// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build cgo && pkcs11

package pkcs11

import (
	"testing"

	"github.com/parsecd/parsecd/providers/providertest"
	"github.com/parsecd/parsecd/src/provider"
)

func TestConformance(t *testing.T) {
	providertest.Run(t, func(t *testing.T) provider.Provider { return newTestProvider(t, testOptions(), nil) }, appA, appB)
}

func TestConformanceSoftwarePublicOperations(t *testing.T) {
	o := testOptions()
	o.SoftwarePublicOperations = true
	providertest.Run(t, func(t *testing.T) provider.Provider { return newTestProvider(t, o, nil) }, appA, appB)
}
