package tpm

import (
	"context"
	"testing"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

// BenchmarkSignHash is one ECDSA P-256 signature through the provider
// (key store, record, cached key and session, TPM2_Sign on swtpm), for
// profiling the provider's share of an operation.
func BenchmarkSignHash(b *testing.B) {
	p := newTestProvider(b, "", nil)
	ctx := context.Background()
	wantCode(b, p.GenerateKey(ctx, appA, "bench", signAttrs(psa.KeyEccPair, 256, allUsage, ecdsa256)), status.Success, "GenerateKey")
	h := digestFor(psa.HashSHA256, "bench")
	for b.Loop() {
		if _, err := p.SignHash(ctx, appA, "bench", ecdsa256, h); err != nil {
			b.Fatal(err)
		}
	}
}
