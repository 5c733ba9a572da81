// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package soft

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"encoding/asn1"
	"errors"
	"math/big"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
)

// SignHash implements provider.AsymSign: RSA PKCS#1 v1.5 (DigestInfo or raw),
// RSA-PSS (salt length = hash length), randomized and deterministic (RFC 6979)
// ECDSA on the Weierstrass curves of the curve table (curves.go). ECDSA
// signatures are r‖s, each ceil(curve_bits/8) bytes.
func (p *Provider) SignHash(ctx context.Context, c storage.Client, name string, alg psa.AsymSign, hash []byte) ([]byte, error) {
	k, err := p.loadFor(ctx, c, name, psa.UseSign(psa.UsageSignHash, alg, len(hash)))
	if err != nil {
		return nil, err
	}
	return sign(k, alg, hash)
}

// VerifyHash implements provider.AsymSign; public keys can verify. A signature
// that does not verify, whatever the reason, is PsaErrorInvalidSignature.
func (p *Provider) VerifyHash(ctx context.Context, c storage.Client, name string, alg psa.AsymSign, hash, sig []byte) error {
	k, err := p.loadFor(ctx, c, name, psa.UseSign(psa.UsageVerifyHash, alg, len(hash)))
	if err != nil {
		return err
	}
	return verify(k, alg, hash, sig)
}

// SignMessage implements provider.MessageSign: the message is hashed with the
// algorithm's hash, then signed as by SignHash. The raw variants
// (RsaPkcs1v15SignRaw, EcdsaAny) have no hash and are refused.
func (p *Provider) SignMessage(ctx context.Context, c storage.Client, name string, alg psa.AsymSign, msg []byte) ([]byte, error) {
	if !alg.HasHash() {
		return nil, status.Errorf(status.PsaErrorInvalidArgument, "%v cannot sign a message: it has no hash", alg)
	}
	k, err := p.loadFor(ctx, c, name, psa.UseSign(psa.UsageSignMessage, alg, -1))
	if err != nil {
		return nil, err
	}
	digest, err := digestOf(alg.Hash, msg)
	if err != nil {
		return nil, err
	}
	return sign(k, alg, digest)
}

// VerifyMessage implements provider.MessageSign.
func (p *Provider) VerifyMessage(ctx context.Context, c storage.Client, name string, alg psa.AsymSign, msg, sig []byte) error {
	if !alg.HasHash() {
		return status.Errorf(status.PsaErrorInvalidArgument, "%v cannot verify a message: it has no hash", alg)
	}
	k, err := p.loadFor(ctx, c, name, psa.UseSign(psa.UsageVerifyMessage, alg, -1))
	if err != nil {
		return err
	}
	digest, err := digestOf(alg.Hash, msg)
	if err != nil {
		return err
	}
	return verify(k, alg, digest, sig)
}

func digestOf(h psa.Hash, msg []byte) ([]byte, error) {
	ch, err := cryptoHash(h)
	if err != nil {
		return nil, err
	}
	hh := ch.New()
	hh.Write(msg)
	return hh.Sum(nil), nil
}

// pssSaltLength is the PSA salt length of RSA-PSS: the hash length, or the
// largest salt the key allows if that is smaller.
func pssSaltLength(pub *rsa.PublicKey, h crypto.Hash) int {
	emLen := (pub.N.BitLen() - 1 + 7) / 8
	salt := h.Size()
	if room := emLen - h.Size() - 2; room < salt {
		salt = max(room, 0)
	}
	return salt
}

// sign signs digest with k, which k.use has checked.
func sign(k *key, alg psa.AsymSign, digest []byte) ([]byte, error) {
	var ch crypto.Hash
	if alg.HasHash() {
		var err error
		if ch, err = cryptoHash(alg.Hash); err != nil {
			return nil, err
		}
	}
	switch alg.Kind {
	case psa.SignRsaPkcs1v15, psa.SignRsaPkcs1v15Raw:
		// ch is zero for the raw variant: the input is signed without DigestInfo.
		sig, err := rsa.SignPKCS1v15(nil, k.rsa, ch, digest)
		if err != nil {
			return nil, rsaSignErr(err)
		}
		return sig, nil
	case psa.SignRsaPss:
		opts := &rsa.PSSOptions{SaltLength: pssSaltLength(&k.rsa.PublicKey, ch), Hash: ch}
		sig, err := rsa.SignPSS(rand.Reader, k.rsa, ch, digest, opts)
		if err != nil {
			return nil, rsaSignErr(err)
		}
		return sig, nil
	case psa.SignEcdsa, psa.SignEcdsaAny:
		r, s, err := ecdsa.Sign(rand.Reader, k.ec, digest)
		if err != nil {
			return nil, status.Errorf(status.PsaErrorGenericError, "ECDSA signature failed: %w", err)
		}
		return rawECDSA(k.ec, r, s), nil
	case psa.SignDetEcdsa:
		if c := k.curve(); c == nil || !c.native {
			r, s := signDeterministic(k.ec, ch, digest)
			return rawECDSA(k.ec, r, s), nil
		}
		// crypto/ecdsa signs per RFC 6979 when the random source is nil.
		der, err := k.ec.Sign(nil, digest, ch)
		if err != nil {
			return nil, status.Errorf(status.PsaErrorGenericError, "deterministic ECDSA signature failed: %w", err)
		}
		var rs struct{ R, S *big.Int }
		if rest, err := asn1.Unmarshal(der, &rs); err != nil || len(rest) != 0 {
			return nil, status.Errorf(status.PsaErrorGenericError, "deterministic ECDSA signature failed")
		}
		return rawECDSA(k.ec, rs.R, rs.S), nil
	}
	return nil, status.Errorf(status.PsaErrorNotSupported, "%v is not supported", alg)
}

func rsaSignErr(err error) error {
	if errors.Is(err, rsa.ErrMessageTooLong) {
		return status.Errorf(status.PsaErrorInvalidArgument, "input too long for the RSA key")
	}
	return status.Errorf(status.PsaErrorGenericError, "RSA signature failed: %w", err)
}

func rawECDSA(k *ecdsa.PrivateKey, r, s *big.Int) []byte {
	n := byteLen(k.Curve.Params().BitSize)
	out := make([]byte, 2*n)
	r.FillBytes(out[:n])
	s.FillBytes(out[n:])
	return out
}

var errBadSignature = &status.Error{Code: status.PsaErrorInvalidSignature, Msg: "signature does not verify"}

// verify checks sig over digest with k, which k.use has checked.
func verify(k *key, alg psa.AsymSign, digest, sig []byte) error {
	var ch crypto.Hash
	if alg.HasHash() {
		var err error
		if ch, err = cryptoHash(alg.Hash); err != nil {
			return err
		}
	}
	switch alg.Kind {
	case psa.SignRsaPkcs1v15, psa.SignRsaPkcs1v15Raw:
		if rsa.VerifyPKCS1v15(k.rsaPublic(), ch, digest, sig) != nil {
			return errBadSignature
		}
		return nil
	case psa.SignRsaPss:
		pub := k.rsaPublic()
		opts := &rsa.PSSOptions{SaltLength: pssSaltLength(pub, ch), Hash: ch}
		if rsa.VerifyPSS(pub, ch, digest, sig, opts) != nil {
			return errBadSignature
		}
		return nil
	case psa.SignEcdsa, psa.SignEcdsaAny, psa.SignDetEcdsa:
		pub := k.ecPublic()
		n := byteLen(pub.Curve.Params().BitSize)
		if len(sig) != 2*n {
			return errBadSignature
		}
		r := new(big.Int).SetBytes(sig[:n])
		s := new(big.Int).SetBytes(sig[n:])
		if !ecdsa.Verify(pub, digest, r, s) {
			return errBadSignature
		}
		return nil
	}
	return status.Errorf(status.PsaErrorNotSupported, "%v is not supported", alg)
}
