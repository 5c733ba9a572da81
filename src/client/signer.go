// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package client

import (
	"context"
	"crypto"
	"crypto/ecdh"
	"crypto/rsa"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

// Key is a key of the service seen through the standard crypto interfaces:
// it implements crypto.Signer and crypto.Decrypter, signing with PsaSignHash
// and decrypting with PsaAsymmetricDecrypt. Private material never leaves
// the service. Obtain one with Client.Key, Client.Signer or Client.Decrypter.
//
// Sign and Decrypt have no context parameter (the crypto interfaces have
// none): each call is bounded by the client's timeout only.
type Key struct {
	c     *Client // pinned to the provider holding the key
	name  string
	attrs psa.KeyAttributes
	pub   crypto.PublicKey
}

var (
	_ crypto.Signer    = (*Key)(nil)
	_ crypto.Decrypter = (*Key)(nil)
)

// Key looks a key up (ListKeys, in the client's provider) and fetches its
// public key (PsaExportPublicKey).
func (c *Client) Key(ctx context.Context, name string) (*Key, error) {
	p, err := c.Provider(ctx)
	if err != nil {
		return nil, err
	}
	pc := c.UsingProvider(p)
	attrs, err := pc.KeyAttributes(ctx, name)
	if err != nil {
		return nil, err
	}
	data, err := pc.ExportPublicKey(ctx, name)
	if err != nil {
		return nil, err
	}
	pub, err := ParsePublicKey(attrs, data)
	if err != nil {
		return nil, fmt.Errorf("key %q: %w", name, err)
	}
	return &Key{c: pc, name: name, attrs: attrs, pub: pub}, nil
}

// Signer returns a crypto.Signer for a key whose policy is an asymmetric
// signature algorithm. Digests are signed with the algorithm variant of the
// policy and the hash of the SignerOpts; *rsa.PSSOptions selects RSA-PSS.
// ECDSA signatures are returned ASN.1 DER encoded, as crypto.Signer requires.
func (c *Client) Signer(ctx context.Context, name string) (crypto.Signer, error) {
	k, err := c.Key(ctx, name)
	if err != nil {
		return nil, err
	}
	if k.attrs.Policy.Alg.Kind != psa.AlgAsymSign {
		return nil, &status.Error{Code: status.PsaErrorNotPermitted,
			Msg: fmt.Sprintf("key %q has policy %v, not a signature algorithm", name, k.attrs.Policy.Alg)}
	}
	if _, ok := k.pub.(*ecdh.PublicKey); ok {
		return nil, &status.Error{Code: status.PsaErrorNotSupported, Msg: fmt.Sprintf("key %q cannot sign", name)}
	}
	return k, nil
}

// Decrypter returns a crypto.Decrypter for an RSA key whose policy is an
// asymmetric encryption algorithm. Decrypt accepts *rsa.OAEPOptions (the
// label is sent as the salt), *rsa.PKCS1v15DecryptOptions, or nil for the
// policy's algorithm.
func (c *Client) Decrypter(ctx context.Context, name string) (crypto.Decrypter, error) {
	k, err := c.Key(ctx, name)
	if err != nil {
		return nil, err
	}
	if k.attrs.Policy.Alg.Kind != psa.AlgAsymEncrypt || !k.attrs.Type.IsRSA() {
		return nil, &status.Error{Code: status.PsaErrorNotPermitted,
			Msg: fmt.Sprintf("key %q (%v, policy %v) cannot decrypt", name, k.attrs.Type, k.attrs.Policy.Alg)}
	}
	return k, nil
}

// Name is the key's name.
func (k *Key) Name() string { return k.name }

// Attributes are the key's attributes as ListKeys reported them.
func (k *Key) Attributes() psa.KeyAttributes { return k.attrs }

// Public returns *rsa.PublicKey, *ecdsa.PublicKey or (Montgomery) *ecdh.PublicKey.
func (k *Key) Public() crypto.PublicKey { return k.pub }

// Sign signs digest (see Client.Signer). rand is ignored: the service
// provides the randomness.
func (k *Key) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	alg, err := k.SignAlgorithm(opts)
	if err != nil {
		return nil, err
	}
	if alg.HasHash() && len(digest) != alg.Hash.Size() {
		return nil, &status.Error{Code: status.PsaErrorInvalidArgument,
			Msg: fmt.Sprintf("digest of %d bytes for %v", len(digest), alg.Hash)}
	}
	sig, err := k.c.SignHash(context.Background(), k.name, alg, digest)
	if err != nil {
		return nil, err
	}
	if alg.IsECDSA() {
		return ECDSASignatureToASN1(sig)
	}
	return sig, nil
}

// SignAlgorithm is the algorithm Sign uses for opts: RSA-PSS for
// *rsa.PSSOptions, RSA PKCS#1 v1.5 for another RSA hash (raw when the hash
// is 0), and for ECC keys the ECDSA variant of the key policy.
func (k *Key) SignAlgorithm(opts crypto.SignerOpts) (psa.AsymSign, error) {
	var h crypto.Hash
	if opts != nil {
		h = opts.HashFunc()
	}
	ph := psa.HashNone
	if h != 0 {
		var err error
		if ph, err = HashFromCrypto(h); err != nil {
			return psa.AsymSign{}, err
		}
	}
	policy := k.attrs.Policy.Alg.Sign
	switch {
	case k.attrs.Type.IsRSA():
		if pss, ok := opts.(*rsa.PSSOptions); ok {
			if h == 0 {
				return psa.AsymSign{}, &status.Error{Code: status.PsaErrorInvalidArgument, Msg: "RSA-PSS needs a hash"}
			}
			switch pss.SaltLength {
			case rsa.PSSSaltLengthAuto, rsa.PSSSaltLengthEqualsHash, h.Size():
			default:
				return psa.AsymSign{}, &status.Error{Code: status.PsaErrorNotSupported,
					Msg: fmt.Sprintf("PSA RSA-PSS uses a salt as long as the hash (%d bytes), not %d", h.Size(), pss.SaltLength)}
			}
			return psa.AsymSign{Kind: psa.SignRsaPss, Hash: ph}, nil
		}
		if h == 0 {
			return psa.AsymSign{Kind: psa.SignRsaPkcs1v15Raw}, nil
		}
		return psa.AsymSign{Kind: psa.SignRsaPkcs1v15, Hash: ph}, nil
	case k.attrs.Type.IsECC():
		if k.attrs.Policy.Alg.Kind == psa.AlgAsymSign && policy.Kind == psa.SignEcdsaAny {
			return psa.AsymSign{Kind: psa.SignEcdsaAny}, nil
		}
		if h == 0 {
			return psa.AsymSign{}, &status.Error{Code: status.PsaErrorInvalidArgument, Msg: "ECDSA needs a hash"}
		}
		kind := psa.SignEcdsa
		if k.attrs.Policy.Alg.Kind == psa.AlgAsymSign && policy.Kind == psa.SignDetEcdsa {
			kind = psa.SignDetEcdsa
		}
		return psa.AsymSign{Kind: kind, Hash: ph}, nil
	}
	return psa.AsymSign{}, &status.Error{Code: status.PsaErrorNotSupported, Msg: fmt.Sprintf("%v keys cannot sign", k.attrs.Type)}
}

// Decrypt decrypts ciphertext (see Client.Decrypter). With
// *rsa.PKCS1v15DecryptOptions and a SessionKeyLen, a padding failure yields
// random bytes of that length instead of an error, as crypto/rsa does.
func (k *Key) Decrypt(rand io.Reader, ciphertext []byte, opts crypto.DecrypterOpts) ([]byte, error) {
	var alg psa.AsymEncrypt
	var salt []byte
	sessionKeyLen := 0
	switch o := opts.(type) {
	case nil:
		if k.attrs.Policy.Alg.Kind != psa.AlgAsymEncrypt {
			return nil, &status.Error{Code: status.PsaErrorNotPermitted, Msg: "the key policy is not an encryption algorithm"}
		}
		alg = k.attrs.Policy.Alg.Encrypt
	case *rsa.OAEPOptions:
		if o.MGFHash != 0 && o.MGFHash != o.Hash {
			return nil, &status.Error{Code: status.PsaErrorNotSupported, Msg: "PSA RSA-OAEP uses the same hash for MGF1"}
		}
		h, err := HashFromCrypto(o.Hash)
		if err != nil {
			return nil, err
		}
		alg, salt = psa.AsymEncrypt{Kind: psa.EncRsaOaep, Hash: h}, o.Label
	//lint:ignore SA1019 PKCS#1 v1.5 encryption is part of the Parsec/PSA contract (RsaPkcs1v15Crypt)
	case *rsa.PKCS1v15DecryptOptions:
		alg, sessionKeyLen = psa.AsymEncrypt{Kind: psa.EncRsaPkcs1v15}, o.SessionKeyLen
	default:
		return nil, &status.Error{Code: status.PsaErrorNotSupported, Msg: fmt.Sprintf("decrypter options %T", opts)}
	}
	pt, err := k.c.AsymmetricDecrypt(context.Background(), k.name, alg, ciphertext, salt)
	if sessionKeyLen > 0 && (errors.Is(err, status.PsaErrorInvalidPadding) || (err == nil && len(pt) != sessionKeyLen)) {
		if rand == nil {
			return nil, errors.New("client: PKCS#1 v1.5 session key decryption needs a random source")
		}
		key := make([]byte, sessionKeyLen)
		if _, err := io.ReadFull(rand, key); err != nil {
			return nil, err
		}
		return key, nil
	}
	return pt, err
}

// HashFromCrypto maps a crypto.Hash to the PSA hash.
func HashFromCrypto(h crypto.Hash) (psa.Hash, error) {
	switch h {
	case crypto.MD5:
		return psa.HashMD5, nil
	case crypto.SHA1:
		return psa.HashSHA1, nil
	case crypto.RIPEMD160:
		return psa.HashRipemd160, nil
	case crypto.SHA224:
		return psa.HashSHA224, nil
	case crypto.SHA256:
		return psa.HashSHA256, nil
	case crypto.SHA384:
		return psa.HashSHA384, nil
	case crypto.SHA512:
		return psa.HashSHA512, nil
	case crypto.SHA512_224:
		return psa.HashSHA512224, nil
	case crypto.SHA512_256:
		return psa.HashSHA512256, nil
	case crypto.SHA3_224:
		return psa.HashSHA3_224, nil
	case crypto.SHA3_256:
		return psa.HashSHA3_256, nil
	case crypto.SHA3_384:
		return psa.HashSHA3_384, nil
	case crypto.SHA3_512:
		return psa.HashSHA3_512, nil
	}
	return 0, &status.Error{Code: status.PsaErrorNotSupported, Msg: fmt.Sprintf("hash %v has no PSA equivalent", h)}
}

// CryptoHash maps a PSA hash to the crypto.Hash (0 when there is none).
func CryptoHash(h psa.Hash) crypto.Hash {
	for _, ch := range []crypto.Hash{crypto.MD5, crypto.SHA1, crypto.RIPEMD160, crypto.SHA224, crypto.SHA256,
		crypto.SHA384, crypto.SHA512, crypto.SHA512_224, crypto.SHA512_256, crypto.SHA3_224, crypto.SHA3_256,
		crypto.SHA3_384, crypto.SHA3_512} {
		if p, _ := HashFromCrypto(ch); p == h {
			return ch
		}
	}
	return 0
}

type ecdsaSig struct{ R, S *big.Int }

// ECDSASignatureToASN1 converts a PSA ECDSA signature (r ‖ s, big-endian,
// equal halves) to the ASN.1 DER Ecdsa-Sig-Value that crypto.Signer and
// X.509 use.
func ECDSASignatureToASN1(sig []byte) ([]byte, error) {
	if len(sig) == 0 || len(sig)%2 != 0 {
		return nil, &status.Error{Code: status.InvalidEncoding, Msg: fmt.Sprintf("ECDSA signature of %d bytes is not r‖s", len(sig))}
	}
	n := len(sig) / 2
	return asn1.Marshal(ecdsaSig{new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:])})
}

// ECDSASignatureFromASN1 converts an ASN.1 DER ECDSA signature to the PSA
// form r ‖ s, each padded to size bytes (the curve's byte length).
func ECDSASignatureFromASN1(der []byte, size int) ([]byte, error) {
	var s ecdsaSig
	rest, err := asn1.Unmarshal(der, &s)
	if err != nil || len(rest) != 0 || s.R == nil || s.S == nil || s.R.Sign() <= 0 || s.S.Sign() <= 0 {
		return nil, &status.Error{Code: status.InvalidEncoding, Msg: "malformed ASN.1 ECDSA signature", Err: err}
	}
	if s.R.BitLen() > 8*size || s.S.BitLen() > 8*size {
		return nil, &status.Error{Code: status.InvalidEncoding, Msg: "ECDSA signature too long for the curve"}
	}
	out := make([]byte, 2*size)
	s.R.FillBytes(out[:size])
	s.S.FillBytes(out[size:])
	return out, nil
}
