// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package tpm

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"

	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
)

// ImportKey implements provider.KeyManagement. Public keys (DER
// RSAPublicKey, uncompressed secp R1 point) are stored as a public area
// only and used in Go. Key pairs (DER RSAPrivateKey, big-endian secp R1
// scalar) go into the TPM through the duplication flow: parsecd wraps the
// private key for the storage key as TPM2_Duplicate would (an outer wrapper
// keyed by a seed only the storage key can decrypt) and TPM2_Import turns
// it into a private area wrapped like a generated key's. So the key crosses
// the bus encrypted, and survives restarts and TPM resets like any other
// (Parsec#505 lost imported keys, which it loaded in the NULL hierarchy).
func (p *Provider) ImportKey(ctx context.Context, c storage.Client, name string, a psa.KeyAttributes, data []byte) error {
	if err := p.checkCreate(psa.CheckImport, a); err != nil {
		return err
	}
	pub, sens, bits, err := p.parseImport(a, data)
	if err != nil {
		return err
	}
	if a.Bits != 0 && a.Bits != bits {
		return status.Errorf(status.PsaErrorInvalidArgument, "the data is a %d-bit key, the attributes say %d bits", bits, a.Bits)
	}
	a.Bits = bits
	if err := p.checkCreate(psa.CheckImport, a); err != nil {
		return err
	}
	if !a.Type.IsPair() {
		return p.store(ctx, c, name, a, func() (record, error) { return record{public: pub}, nil })
	}
	return p.store(ctx, c, name, a, func() (record, error) {
		auth, err := newAuth()
		if err != nil {
			return record{}, err
		}
		sens.AuthValue = tpm2.TPM2BAuth{Buffer: auth}
		priv, err := p.importPair(ctx, pub, sens)
		if err != nil {
			return record{}, err
		}
		p.log.DebugContext(ctx, "imported key pair into the TPM", "type", a.Type.String(), "bits", bits)
		return record{public: pub, private: priv, auth: auth}, nil
	})
}

// parseImport builds the public area (and, for a key pair, the sensitive
// area) of the key in data.
func (p *Provider) parseImport(a psa.KeyAttributes, data []byte) (tpm2.TPMTPublic, tpm2.TPMTSensitive, uint32, error) {
	var sens tpm2.TPMTSensitive
	bad := func(what string) (tpm2.TPMTPublic, tpm2.TPMTSensitive, uint32, error) {
		return tpm2.TPMTPublic{}, sens, 0, status.Errorf(status.PsaErrorInvalidArgument, "the data is not %s", what)
	}
	if a.Type.IsRSA() {
		var pk *rsa.PublicKey
		if a.Type.IsPair() {
			k, err := x509.ParsePKCS1PrivateKey(data)
			if err != nil || len(k.Primes) != 2 {
				return bad("a DER RSAPrivateKey with two primes")
			}
			pk = &k.PublicKey
			sens = tpm2.TPMTSensitive{SensitiveType: tpm2.TPMAlgRSA,
				Sensitive: tpm2.NewTPMUSensitiveComposite(tpm2.TPMAlgRSA, &tpm2.TPM2BPrivateKeyRSA{Buffer: k.Primes[0].Bytes()})}
		} else {
			k, err := x509.ParsePKCS1PublicKey(data)
			if err != nil {
				return bad("a DER RSAPublicKey")
			}
			pk = k
		}
		bits := uint32(pk.N.BitLen())
		pub, err := p.keyTemplate(psa.KeyAttributes{Type: a.Type, Bits: bits}, false)
		if err != nil {
			return pub, sens, 0, err
		}
		parms, _ := pub.Parameters.RSADetail()
		if pk.E != 65537 {
			parms.Exponent = uint32(pk.E)
		}
		pub.Unique = tpm2.NewTPMUPublicID(tpm2.TPMAlgRSA, &tpm2.TPM2BPublicKeyRSA{Buffer: pk.N.Bytes()})
		return pub, sens, bits, nil
	}
	// secp R1: the size comes from the data when the attributes leave it out.
	bits := a.Bits
	if bits == 0 {
		for _, e := range eccCurves {
			if (a.Type.IsPair() && len(data) == byteLen(e.bits)) || (!a.Type.IsPair() && len(data) == 1+2*byteLen(e.bits)) {
				bits = e.bits
			}
		}
	}
	_, curve, ok := p.caps.curve(bits)
	if !ok {
		return tpm2.TPMTPublic{}, sens, 0, status.Errorf(status.PsaErrorNotSupported, "a %d-byte %v is not on a curve this TPM supports", len(data), a.Type)
	}
	var point []byte
	if a.Type.IsPair() {
		k, err := ecdsa.ParseRawPrivateKey(curve, data)
		if err != nil {
			return bad("a private key on the curve")
		}
		point, _ = k.PublicKey.Bytes()
		sens = tpm2.TPMTSensitive{SensitiveType: tpm2.TPMAlgECC,
			Sensitive: tpm2.NewTPMUSensitiveComposite(tpm2.TPMAlgECC, &tpm2.TPM2BECCParameter{Buffer: data})}
	} else {
		if _, err := ecdsa.ParseUncompressedPublicKey(curve, data); err != nil {
			return bad("an uncompressed point on the curve")
		}
		point = data
	}
	pub, err := p.keyTemplate(psa.KeyAttributes{Type: a.Type, Bits: bits}, false)
	if err != nil {
		return pub, sens, 0, err
	}
	n := byteLen(bits)
	pub.Unique = tpm2.NewTPMUPublicID(tpm2.TPMAlgECC, &tpm2.TPMSECCPoint{
		X: tpm2.TPM2BECCParameter{Buffer: point[1 : 1+n]},
		Y: tpm2.TPM2BECCParameter{Buffer: point[1+n:]},
	})
	return pub, sens, bits, nil
}

// importPair wraps the sensitive area for the storage key and imports it.
func (p *Provider) importPair(ctx context.Context, pub tpm2.TPMTPublic, sens tpm2.TPMTSensitive) ([]byte, error) {
	var priv []byte
	err := p.do(ctx, func(t transport.TPM) error {
		srk, err := p.storageKey(t)
		if err != nil {
			return err
		}
		encap, err := tpm2.ImportEncapsulationKey(&srk.public)
		if err != nil {
			return status.Errorf(status.PsaErrorGenericError, "the storage key cannot wrap keys for import: %w", err)
		}
		name, err := tpm2.ObjectName(&pub)
		if err != nil {
			return status.Errorf(status.PsaErrorGenericError, "computing the key's name: %w", err)
		}
		plain := tpm2.Marshal(sens)
		defer clear(plain)
		dup, seed, err := tpm2.CreateDuplicate(rand.Reader, encap, name.Buffer, plain)
		if err != nil {
			return status.Errorf(status.PsaErrorGenericError, "wrapping the key for import: %w", err)
		}
		rsp, err := tpm2.Import{
			ParentHandle: tpm2.AuthHandle{Handle: srk.handle, Name: srk.name, Auth: keySession(srk, nil)},
			ObjectPublic: tpm2.New2B(pub),
			Duplicate:    tpm2.TPM2BPrivate{Buffer: dup},
			InSymSeed:    tpm2.TPM2BEncryptedSecret{Buffer: seed},
		}.Execute(t)
		if err != nil {
			return tpmErr("Import", err)
		}
		priv = rsp.OutPrivate.Buffer
		return nil
	})
	return priv, err
}
