// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build cgo && pkcs11

package pkcs11

import (
	"context"

	"github.com/miekg/pkcs11"

	"github.com/parsecd/parsecd/src/status"
)

// randomChunk bounds one C_GenerateRandom call: some tokens limit it.
const randomChunk = 64 << 10

// GenerateRandom implements provider.Random with C_GenerateRandom.
func (p *Provider) GenerateRandom(ctx context.Context, size uint64) ([]byte, error) {
	if size > p.bufferSizeLimit {
		return nil, status.Errorf(status.ResponseTooLarge, "%d random bytes exceed the buffer size limit of %d", size, p.bufferSizeLimit)
	}
	out := make([]byte, 0, size)
	for uint64(len(out)) < size {
		n := min(int(size)-len(out), randomChunk)
		err := p.pool.do(ctx, func(h pkcs11.SessionHandle) error {
			b, err := p.mod.ctx.GenerateRandom(h, n)
			if err != nil {
				return p11("C_GenerateRandom", err)
			}
			if len(b) != n {
				return status.Errorf(status.PsaErrorInsufficientEntropy, "the token returned %d random bytes, not %d", len(b), n)
			}
			out = append(out, b...)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
