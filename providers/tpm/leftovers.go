// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package tpm

import (
	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"
)

// flushLeftovers flushes the transient objects and the loaded sessions the
// TPM holds when parsecd connects to it, and says how many there were.
//
// Without a resource manager (swtpm's and the simulator's sockets,
// /dev/tpm0) the TPM serves one connection at a time and keeps what a
// connection loaded after it ends: a parsecd killed before it could flush
// leaves its storage key, cached keys and sessions behind until the TPM
// restarts, and a few such crashes fill the TPM's object slots
// (TPM_RC_OBJECT_MEMORY) so that no key loads any more. Whoever holds the
// connection now is the only user, so everything loaded is left over.
// Through /dev/tpmrm0 the kernel shows a new connection nothing: there is
// nothing to flush.
func flushLeftovers(t transport.TPM) int {
	n := 0
	for _, ht := range []tpm2.TPMHT{tpm2.TPMHTTransient, tpm2.TPMHTHMACSession, tpm2.TPMHTPolicySession} {
		rsp, err := tpm2.GetCapability{Capability: tpm2.TPMCapHandles, Property: uint32(ht) << 24, PropertyCount: 64}.Execute(t)
		if err != nil {
			continue
		}
		hs, err := rsp.CapabilityData.Data.Handles()
		if err != nil {
			continue
		}
		for _, h := range hs.Handle {
			if h>>24 != tpm2.TPMHandle(ht) {
				break // the listing runs on into the next handle type
			}
			flush(t, h)
			n++
		}
	}
	return n
}
