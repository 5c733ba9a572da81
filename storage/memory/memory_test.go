// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package memory_test

import (
	"testing"

	"github.com/parsecd/parsecd/storage"
	"github.com/parsecd/parsecd/storage/memory"
	"github.com/parsecd/parsecd/storage/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storage.KeyStore {
		s := memory.New()
		t.Cleanup(func() { s.Close() })
		return s
	})
}
