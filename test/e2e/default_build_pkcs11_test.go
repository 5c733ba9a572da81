// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build !pkcs11

package e2e

// The default (static, CGO_ENABLED=0) parsecd has no PKCS#11 support: a
// config that asks for it stops the daemon with a message that says so.

import (
	"strings"
	"testing"
)

func TestPkcs11DefaultBuildRefuses(t *testing.T) {
	t.Parallel()
	for _, first := range []bool{true, false} {
		o := Options{ProvType: "Pkcs11", ExtraConf: `library_path = "/usr/lib/softhsm/libsofthsm2.so"
token_label = "parsec-test"
user_pin = "str:1234"
`}
		if !first {
			// Behind a working software provider, the whole start still fails.
			o = Options{ExtraConf: `
[[provider]]
provider_type = "Pkcs11"
key_info_manager = "store"
library_path = "/usr/lib/softhsm/libsofthsm2.so"
slot_number = 0
`}
		}
		d := NewDaemon(t, o)
		err := d.TryStart()
		if err == nil {
			t.Fatalf("the default parsecd started with a Pkcs11 provider (first = %v)", first)
		}
		if !ExitedEarly(err) {
			t.Fatalf("the default parsecd with a Pkcs11 provider: %v (want a non-zero exit)", err)
		}
		if logs := d.Logs(); !strings.Contains(logs, "built without PKCS#11 support") {
			t.Errorf("the refusal (first = %v) does not say \"built without PKCS#11 support\":\n%s", first, logs)
		}
	}
}
