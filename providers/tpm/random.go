// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package tpm

import (
	"context"

	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"

	"github.com/parsecd/parsecd/src/status"
)

// GenerateRandom implements provider.Random with TPM2_GetRandom, which
// returns at most TPM_PT_MAX_DIGEST bytes per call: larger requests are
// chunked, all under one hold of the lock.
func (p *Provider) GenerateRandom(ctx context.Context, size uint64) ([]byte, error) {
	if size > p.bufferSizeLimit {
		return nil, status.Errorf(status.PsaErrorInvalidArgument, "%d random bytes exceed the buffer size limit of %d", size, p.bufferSizeLimit)
	}
	out := make([]byte, 0, size)
	err := p.do(ctx, func(t transport.TPM) error {
		out = out[:0]
		for uint64(len(out)) < size {
			n := min(size-uint64(len(out)), uint64(p.caps.maxDigest))
			rsp, err := tpm2.GetRandom{BytesRequested: uint16(n)}.Execute(t)
			if err != nil {
				return tpmErr("GetRandom", err)
			}
			if len(rsp.RandomBytes.Buffer) == 0 {
				return status.Errorf(status.PsaErrorInsufficientEntropy, "TPM2_GetRandom returned no bytes")
			}
			out = append(out, rsp.RandomBytes.Buffer...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out[:size], nil
}
