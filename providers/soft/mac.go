// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package soft

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/subtle"

	"github.com/parsecd/parsecd/providers/soft/cmac"
	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
)

var _ provider.Mac = (*Provider)(nil)

// MacCompute implements provider.Mac (PsaMacCompute, opcode 0x16):
//
//   - HMAC with every hash implementedHash allows (MD5, SHA-1, SHA-2, SHA-3),
//     over an HMAC key;
//   - CMAC (NIST SP 800-38B) over an AES key of 128, 192 or 256 bits;
//   - CBC-MAC over an AES key: raw CBC-MAC with a zero IV and no padding, so
//     the input must be a non-empty multiple of 16 bytes (else 1135);
//   - any of these truncated to its first Length bytes (at least 4).
//
// The key needs the sign-message usage flag and a policy naming the same MAC
// and length (psa.CheckMac); the algorithm must suit the key type
// (checkAlgorithm, as CanDoCrypto answers).
func (p *Provider) MacCompute(ctx context.Context, c storage.Client, name string, alg psa.Mac, input []byte) ([]byte, error) {
	k, err := p.load(ctx, c, name)
	if err != nil {
		return nil, err
	}
	return macCompute(k, alg, input)
}

// MacVerify implements provider.Mac (PsaMacVerify, opcode 0x17). The key
// needs the verify-message usage flag. A MAC that differs from the one
// computed, including one of the wrong length, is PsaErrorInvalidSignature;
// the comparison is constant-time.
func (p *Provider) MacVerify(ctx context.Context, c storage.Client, name string, alg psa.Mac, input, mac []byte) error {
	k, err := p.load(ctx, c, name)
	if err != nil {
		return err
	}
	return macVerify(k, alg, input, mac)
}

// macCheck runs the policy and capability checks of a MAC operation.
func macCheck(k *key, usage psa.UsageFlags, alg psa.Mac) error {
	return k.use(psa.UseMac(usage, alg))
}

// macCompute computes the (possibly truncated) MAC of input with k.
func macCompute(k *key, alg psa.Mac, input []byte) ([]byte, error) {
	if err := macCheck(k, psa.UsageSignMessage, alg); err != nil {
		return nil, err
	}
	return macOf(k, alg, input)
}

// macVerify checks mac against the MAC of input with k.
func macVerify(k *key, alg psa.Mac, input, mac []byte) error {
	if err := macCheck(k, psa.UsageVerifyMessage, alg); err != nil {
		return err
	}
	want, err := macOf(k, alg, input)
	if err != nil {
		return err
	}
	defer clear(want)
	// hmac.Equal is constant-time in the contents; a length mismatch
	// (which is not secret) fails at once.
	if !hmac.Equal(want, mac) {
		return status.Errorf(status.PsaErrorInvalidSignature, "MAC does not verify")
	}
	return nil
}

// macOf computes the MAC; the checks have been made.
func macOf(k *key, alg psa.Mac, input []byte) ([]byte, error) {
	if k.sym == nil {
		return nil, status.Errorf(status.PsaErrorDataInvalid, "stored key holds no symmetric key material")
	}
	var full []byte
	switch alg.Kind {
	case psa.MacHmac:
		ch, err := cryptoHash(alg.Hash)
		if err != nil {
			return nil, err
		}
		h := hmac.New(ch.New, k.sym)
		h.Write(input)
		full = h.Sum(nil)
	case psa.MacCmac:
		b, err := aes.NewCipher(k.sym)
		if err != nil {
			return nil, status.Errorf(status.PsaErrorDataInvalid, "stored AES key has an invalid length")
		}
		if full, err = cmac.Sum(b, input); err != nil {
			return nil, status.Errorf(status.PsaErrorGenericError, "CMAC: %v", err)
		}
	case psa.MacCbcMac:
		b, err := aes.NewCipher(k.sym)
		if err != nil {
			return nil, status.Errorf(status.PsaErrorDataInvalid, "stored AES key has an invalid length")
		}
		if full, err = cbcMac(b, input); err != nil {
			return nil, err
		}
	default:
		return nil, status.Errorf(status.PsaErrorNotSupported, "MAC algorithm %d is not supported", alg.Kind)
	}
	n := psa.MacLength(k.attrs.Type, alg)
	if int(n) > len(full) || n == 0 {
		// checkAlgorithm bounds the length; this only guards the slice.
		clear(full)
		return nil, status.Errorf(status.PsaErrorInvalidArgument, "a MAC truncated to %d bytes is not valid", n)
	}
	out := full[:n:n]
	clear(full[n:])
	return out, nil
}

// cbcMac is raw CBC-MAC (ISO/IEC 9797-1 MAC algorithm 1, padding method 1
// without padding): the last block of the CBC encryption of input under a
// zero IV. Raw CBC-MAC is only secure for messages of one fixed length;
// PSA offers it for protocols that need it. The input must be whole blocks,
// and at least one: the MAC of the empty message would be the constant IV.
func cbcMac(b cipher.Block, input []byte) ([]byte, error) {
	size := b.BlockSize()
	if len(input) == 0 || len(input)%size != 0 {
		return nil, status.Errorf(status.PsaErrorInvalidArgument, "CBC-MAC input must be a non-empty multiple of %d bytes, not %d", size, len(input))
	}
	x := make([]byte, size)
	for ; len(input) > 0; input = input[size:] {
		subtle.XORBytes(x, x, input[:size])
		b.Encrypt(x, x)
	}
	return x, nil
}
