// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package soft

import (
	"context"
	"crypto"
	_ "crypto/md5" // registers crypto.MD5
	"crypto/rand"
	_ "crypto/sha1" // registers crypto.SHA1
	_ "crypto/sha256"
	_ "crypto/sha3"
	_ "crypto/sha512"
	"crypto/subtle"

	//lint:ignore SA1019 a legacy hash clients ask for, computed for interoperability only (messageDigest)
	"golang.org/x/crypto/ripemd160"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

var cryptoHashes = [...]crypto.Hash{
	psa.HashMD5:       crypto.MD5,
	psa.HashSHA1:      crypto.SHA1,
	psa.HashSHA224:    crypto.SHA224,
	psa.HashSHA256:    crypto.SHA256,
	psa.HashSHA384:    crypto.SHA384,
	psa.HashSHA512:    crypto.SHA512,
	psa.HashSHA512224: crypto.SHA512_224,
	psa.HashSHA512256: crypto.SHA512_256,
	psa.HashSHA3_224:  crypto.SHA3_224,
	psa.HashSHA3_256:  crypto.SHA3_256,
	psa.HashSHA3_384:  crypto.SHA3_384,
	psa.HashSHA3_512:  crypto.SHA3_512,
}

// cryptoHash maps a PSA hash to its Go implementation: MD5, SHA-1, SHA-2
// (SHA-224/256/384/512, SHA-512/224, SHA-512/256) and SHA-3 (224/256/384/512),
// all from the standard library. The set is the one implementedHash in
// caps.go answers for (a test keeps the two equal). Others are
// PsaErrorNotSupported:
//
//   - MD2 and MD4: broken, and not in the standard library;
//   - RIPEMD-160 as a key policy's hash (signatures, MAC, OAEP): a legacy
//     hash that no new key should use. HashCompute and HashCompare do take
//     it (messageDigest), because clients of the reference ask for it.
func cryptoHash(h psa.Hash) (crypto.Hash, error) {
	if int(h) < len(cryptoHashes) {
		if ch := cryptoHashes[h]; ch != 0 && ch.Available() {
			return ch, nil
		}
	}
	return 0, status.Errorf(status.PsaErrorNotSupported, "hash %v is not supported", h)
}

// HashCompute implements provider.Hasher (PsaHashCompute, opcode 0x0F).
func (p *Provider) HashCompute(_ context.Context, alg psa.Hash, input []byte) ([]byte, error) {
	return messageDigest(alg, input)
}

// messageDigest is digestOf for HashCompute and HashCompare, which also
// take RIPEMD-160 as Mbed TLS does: Parsec's own test suite and its clients
// hash with it. golang.org/x/crypto/ripemd160 is marked deprecated upstream
// as a warning against new designs; computing an existing legacy digest for
// interoperability is what it remains for.
func messageDigest(alg psa.Hash, input []byte) ([]byte, error) {
	if alg == psa.HashRipemd160 {
		h := ripemd160.New()
		h.Write(input)
		return h.Sum(nil), nil
	}
	return digestOf(alg, input)
}

// HashCompare implements provider.Hasher (PsaHashCompare, opcode 0x10); the
// comparison is constant-time and a mismatch (or a wrong length) is
// PsaErrorInvalidSignature.
func (p *Provider) HashCompare(_ context.Context, alg psa.Hash, input, hash []byte) error {
	sum, err := messageDigest(alg, input)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(sum, hash) != 1 {
		return status.Errorf(status.PsaErrorInvalidSignature, "hash does not match")
	}
	return nil
}

// GenerateRandom implements provider.Random. Sizes above the buffer size
// limit are ResponseTooLarge; 0 gives an empty result.
func (p *Provider) GenerateRandom(_ context.Context, size uint64) ([]byte, error) {
	if size > p.bufferSizeLimit {
		return nil, status.Errorf(status.ResponseTooLarge, "%d random bytes exceed the buffer size limit of %d", size, p.bufferSizeLimit)
	}
	out := make([]byte, size)
	rand.Read(out)
	return out, nil
}
