// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package main

import (
	"fmt"

	"github.com/parsecd/parsecd/src/client"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/psa"
)

// Output formats of parsec-tool 0.7. Key types and algorithms are printed
// the way Rust's Debug formatting prints the parsec-interface types, e.g.
// "EccKeyPair { curve_family: SecpR1 }" and
// "AsymmetricSignature(Ecdsa { hash_alg: Specific(Sha256) })".

// authDisplay is parsec-interface's Display of AuthType.
func authDisplay(t parsec.AuthType) string {
	switch t {
	case parsec.AuthNone:
		return "No authentication"
	case parsec.AuthDirect:
		return "Direct authentication"
	case parsec.AuthJwt:
		return "JSON Web Tokens authentication"
	case parsec.AuthUnixPeerCredentials:
		return "Unix Peer Credentials authentication"
	case parsec.AuthJwtSvid:
		return "JWT SPIFFE Verifiable Identity Document authentication"
	}
	return t.String()
}

func formatProvider(p client.ProviderInfo) string {
	vendor := p.Vendor
	if vendor == "" {
		vendor = "Unspecified"
	}
	return fmt.Sprintf("ID: 0x%02x (%s)\nDescription: %s\nVersion: %s\nVendor: %s\nUUID: %s\n\n",
		uint8(p.ID), providerLabel(p.ID, p.Name), p.Description, p.Version(), vendor, p.UUID)
}

func formatAuthenticator(a client.AuthenticatorInfo) string {
	return fmt.Sprintf("ID: 0x%02x (%s)\nDescription: %s\nVersion: %s\n\n", uint8(a.ID), authDisplay(a.ID), a.Description, a.Version())
}

func formatOpcode(o parsec.Opcode) string { return fmt.Sprintf("0x%02x (%v)", uint32(o), o) }

// formatKey is one line of list-keys; names holds the names of the
// providers of the extra id range.
func formatKey(k client.KeyInfo, names map[parsec.ProviderID]string) string {
	return fmt.Sprintf("* %s (%s, %s, %d bits, permitted algorithm: %s)",
		k.Name, providerLabel(k.Provider, names[k.Provider]), debugKeyType(k.Attributes.Type), k.Attributes.Bits, debugAlg(k.Attributes.Policy.Alg))
}

// providerLabel names a provider as parsec-tool does ("TPM provider"),
// and a provider of the extra id range, which has no such name, by its
// configured name.
func providerLabel(id parsec.ProviderID, name string) string {
	if id.IsExtra() && name != "" {
		return fmt.Sprintf("%q", name)
	}
	return id.String()
}

func formatRandom(b []byte) string {
	s := make([]byte, 0, 3*len(b))
	for _, x := range b {
		s = fmt.Appendf(s, "%02X ", x)
	}
	return string(s)
}

func debugKeyType(t psa.KeyType) string {
	switch t.Kind {
	case psa.KeyEccPair, psa.KeyEccPublic:
		return fmt.Sprintf("%v { curve_family: %v }", t.Kind, t.EccFamily)
	case psa.KeyDhPair, psa.KeyDhPublic:
		return fmt.Sprintf("%v { group_family: Rfc7919 }", t.Kind)
	}
	return t.Kind.String()
}

func debugSignHash(s psa.AsymSign) string {
	if s.AnyHash {
		return "Any"
	}
	return "Specific(" + s.Hash.String() + ")"
}

func debugAsymSign(s psa.AsymSign) string {
	switch s.Kind {
	case psa.SignRsaPkcs1v15:
		return "RsaPkcs1v15Sign { hash_alg: " + debugSignHash(s) + " }"
	case psa.SignRsaPkcs1v15Raw:
		return "RsaPkcs1v15SignRaw"
	case psa.SignRsaPss:
		return "RsaPss { hash_alg: " + debugSignHash(s) + " }"
	case psa.SignEcdsa:
		return "Ecdsa { hash_alg: " + debugSignHash(s) + " }"
	case psa.SignEcdsaAny:
		return "EcdsaAny"
	case psa.SignDetEcdsa:
		return "DeterministicEcdsa { hash_alg: " + debugSignHash(s) + " }"
	}
	return "?"
}

func debugAsymEncrypt(e psa.AsymEncrypt) string {
	if e.Kind == psa.EncRsaOaep {
		return "RsaOaep { hash_alg: " + e.Hash.String() + " }"
	}
	return "RsaPkcs1v15Crypt"
}

var cipherNames = map[psa.Cipher]string{
	psa.CipherStream: "StreamCipher", psa.CipherCtr: "Ctr", psa.CipherCfb: "Cfb", psa.CipherOfb: "Ofb",
	psa.CipherXts: "Xts", psa.CipherEcbNoPadding: "EcbNoPadding", psa.CipherCbcNoPadding: "CbcNoPadding",
	psa.CipherCbcPkcs7: "CbcPkcs7",
}

var aeadNames = map[psa.AeadAlg]string{psa.AeadCcm: "Ccm", psa.AeadGcm: "Gcm", psa.AeadChacha20Poly1305: "Chacha20Poly1305"}

func debugFullMac(m psa.Mac) string {
	switch m.Kind {
	case psa.MacHmac:
		return "Hmac { hash_alg: " + m.Hash.String() + " }"
	case psa.MacCbcMac:
		return "CbcMac"
	case psa.MacCmac:
		return "Cmac"
	}
	return "?"
}

func debugKdf(k psa.KeyDerivation) string {
	names := map[psa.KdfKind]string{psa.KdfHkdf: "Hkdf", psa.KdfTls12Prf: "Tls12Prf", psa.KdfTls12PskToMs: "Tls12PskToMs"}
	return names[k.Kind] + " { hash_alg: " + k.Hash.String() + " }"
}

func debugAlg(a psa.Algorithm) string {
	switch a.Kind {
	case psa.AlgNone:
		return "None"
	case psa.AlgHash:
		return "Hash(" + a.Hash.String() + ")"
	case psa.AlgMac:
		if a.Mac.Truncated {
			return fmt.Sprintf("Mac(Truncated { mac_alg: %s, mac_length: %d })", debugFullMac(a.Mac), a.Mac.Length)
		}
		return "Mac(FullLength(" + debugFullMac(a.Mac) + "))"
	case psa.AlgCipher:
		return "Cipher(" + cipherNames[a.Cipher] + ")"
	case psa.AlgAead:
		if a.Aead.Shortened {
			return fmt.Sprintf("Aead(AeadWithShortenedTag { aead_alg: %s, tag_length: %d })", aeadNames[a.Aead.Alg], a.Aead.TagLength)
		}
		return "Aead(AeadWithDefaultLengthTag(" + aeadNames[a.Aead.Alg] + "))"
	case psa.AlgAsymSign:
		return "AsymmetricSignature(" + debugAsymSign(a.Sign) + ")"
	case psa.AlgAsymEncrypt:
		return "AsymmetricEncryption(" + debugAsymEncrypt(a.Encrypt) + ")"
	case psa.AlgKeyAgreement:
		raw := "Ffdh"
		if a.KeyAgreement.Raw == psa.KeyAgreementEcdh {
			raw = "Ecdh"
		}
		if a.KeyAgreement.HasKdf {
			return "KeyAgreement(WithKeyDerivation { ka_alg: " + raw + ", kdf_alg: " + debugKdf(a.KeyAgreement.Kdf) + " })"
		}
		return "KeyAgreement(Raw(" + raw + "))"
	case psa.AlgKeyDerivation:
		return "KeyDerivation(" + debugKdf(a.Kdf) + ")"
	}
	return "?"
}
