// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package pkcs11module

import (
	"crypto"
	"crypto/rand"
	"encoding/hex"
	"math/big"

	"github.com/parsecd/parsecd/src/client"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/psa"
)

const (
	signUsage    = psa.UsageSignHash | psa.UsageVerifyHash | psa.UsageSignMessage | psa.UsageVerifyMessage
	decryptUsage = psa.UsageEncrypt | psa.UsageDecrypt
)

// template is a key generation template, looked up by attribute type.
type template []Attribute

func (t template) get(typ uint) ([]byte, bool) {
	for _, a := range t {
		if a.Type == typ {
			return a.Value, true
		}
	}
	return nil, false
}

func (t template) flag(typ uint) (val, set bool) {
	v, ok := t.get(typ)
	return ok && len(v) == 1 && v[0] != 0, ok
}

// policyFor picks the one algorithm a new parsecd key permits (a PSA key
// has exactly one). The private template's CKA_ALLOWED_MECHANISMS decides
// when it names a mechanism the module knows (its first one: a hashing
// mechanism such as CKM_ECDSA_SHA256 fixes the hash, CKM_ECDSA,
// CKM_RSA_PKCS and CKM_RSA_PKCS_PSS allow any; CKM_RSA_PKCS_OAEP means
// OAEP with SHA-256, CKM_RSA_PKCS on a decrypt-only key PKCS#1 v1.5
// encryption); otherwise a
// signing key (CKA_SIGN true or unset) gets ECDSA or RSA PKCS#1 v1.5 with
// any hash — what OpenSSH, TLS through libp11, and pkcs11-tool --sign use
// — and an RSA key asked to decrypt and not to sign (CKA_DECRYPT true,
// CKA_SIGN false or unset) RSA PKCS#1 v1.5 encryption.
func policyFor(rsaKey bool, priv template) (psa.KeyPolicy, RV) {
	if v, ok := priv.get(CKA_ALLOWED_MECHANISMS); ok {
		for i := 0; i+ulongSize <= len(v); i += ulongSize {
			mech, _ := ReadUlong(v[i : i+ulongSize])
			mi, known := mechTable[mech]
			if !known {
				continue
			}
			switch {
			case mi.fam == famECDSA && !rsaKey:
				return signPolicyHash(psa.SignEcdsa, mi.hash), CKR_OK
			case mi.fam == famPSS && rsaKey:
				return signPolicyHash(psa.SignRsaPss, mi.hash), CKR_OK
			case mi.fam == famOAEP && rsaKey:
				return psa.KeyPolicy{Usage: decryptUsage, Alg: psa.Algorithm{Kind: psa.AlgAsymEncrypt,
					Encrypt: psa.AsymEncrypt{Kind: psa.EncRsaOaep, Hash: psa.HashSHA256}}}, CKR_OK
			case mi.fam == famPKCS1 && rsaKey:
				if d, _ := priv.flag(CKA_DECRYPT); d && mech == CKM_RSA_PKCS {
					if s, _ := priv.flag(CKA_SIGN); !s {
						return rsaDecryptPolicy(), CKR_OK
					}
				}
				return signPolicyHash(psa.SignRsaPkcs1v15, mi.hash), CKR_OK
			}
		}
		return psa.KeyPolicy{}, CKR_TEMPLATE_INCONSISTENT
	}
	sign, signSet := priv.flag(CKA_SIGN)
	decrypt, _ := priv.flag(CKA_DECRYPT)
	switch {
	case rsaKey && decrypt && !sign:
		return rsaDecryptPolicy(), CKR_OK
	case !rsaKey && signSet && !sign:
		return psa.KeyPolicy{}, CKR_TEMPLATE_INCONSISTENT // an EC key here only signs
	case rsaKey:
		return signPolicy(psa.SignRsaPkcs1v15), CKR_OK
	}
	return signPolicy(psa.SignEcdsa), CKR_OK
}

func signPolicy(kind psa.SignKind) psa.KeyPolicy { return signPolicyHash(kind, 0) }

// signPolicyHash is a signing policy for one hash (a hashing mechanism
// such as CKM_ECDSA_SHA256 was allowed), or any hash when h is 0.
func signPolicyHash(kind psa.SignKind, h crypto.Hash) psa.KeyPolicy {
	s := psa.AsymSign{Kind: kind, AnyHash: h == 0}
	if h != 0 {
		s.Hash = psaHash(h)
	}
	return psa.KeyPolicy{Usage: signUsage, Alg: psa.Algorithm{Kind: psa.AlgAsymSign, Sign: s}}
}

func rsaDecryptPolicy() psa.KeyPolicy {
	return psa.KeyPolicy{Usage: decryptUsage, Alg: psa.Algorithm{Kind: psa.AlgAsymEncrypt, Encrypt: psa.AsymEncrypt{Kind: psa.EncRsaPkcs1v15}}}
}

// keyName is the parsecd name of a new key: CKA_LABEL (private template
// first), else "pkcs11-" and the hex of CKA_ID, else "pkcs11-" and
// random hex. CKA_ID itself is always derived from the name (keyID).
func keyName(pub, priv template) string {
	for _, t := range []template{priv, pub} {
		if v, ok := t.get(CKA_LABEL); ok && len(v) > 0 {
			return string(v)
		}
	}
	for _, t := range []template{priv, pub} {
		if v, ok := t.get(CKA_ID); ok && len(v) > 0 {
			return "pkcs11-" + hex.EncodeToString(v)
		}
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "pkcs11-" + hex.EncodeToString(b)
}

// GenerateKeyPair is C_GenerateKeyPair: PsaGenerateKey in the slot's
// provider with the attributes the templates ask for, then the new
// key's two objects.
func (m *Module) GenerateKeyPair(h uint, mech Mechanism, pubT, privT []Attribute) (pubH, privH uint, rv RV) {
	s, rv := m.session(h)
	if rv != CKR_OK {
		return 0, 0, rv
	}
	if !s.rw {
		return 0, 0, CKR_SESSION_READ_ONLY
	}
	pub, priv := template(pubT), template(privT)
	var attrs psa.KeyAttributes
	switch mech.Type {
	case CKM_RSA_PKCS_KEY_PAIR_GEN:
		v, ok := pub.get(CKA_MODULUS_BITS)
		if !ok {
			return 0, 0, CKR_TEMPLATE_INCOMPLETE
		}
		bits, ok := ReadUlong(v)
		if !ok {
			return 0, 0, CKR_ATTRIBUTE_VALUE_INVALID
		}
		if bits < rsaMin || bits > rsaMax {
			return 0, 0, CKR_KEY_SIZE_RANGE
		}
		// parsecd makes keys with the exponent 65537 only.
		if e, ok := pub.get(CKA_PUBLIC_EXPONENT); ok && new(big.Int).SetBytes(e).Cmp(big.NewInt(65537)) != 0 {
			return 0, 0, CKR_ATTRIBUTE_VALUE_INVALID
		}
		attrs = psa.KeyAttributes{Type: psa.KeyType{Kind: psa.KeyRsaPair}, Bits: uint32(bits)}
	case CKM_EC_KEY_PAIR_GEN:
		v, ok := pub.get(CKA_EC_PARAMS)
		if !ok {
			return 0, 0, CKR_TEMPLATE_INCOMPLETE
		}
		bits, rv := curveOfParams(v)
		if rv != CKR_OK {
			return 0, 0, rv
		}
		attrs = psa.KeyAttributes{Type: psa.KeyType{Kind: psa.KeyEccPair, EccFamily: psa.EccSecpR1}, Bits: uint32(bits)}
	default:
		return 0, 0, CKR_MECHANISM_INVALID
	}
	attrs.Policy, rv = policyFor(attrs.Type.IsRSA(), priv)
	if rv != CKR_OK {
		return 0, 0, rv
	}
	if x, _ := priv.flag(CKA_EXTRACTABLE); x {
		attrs.Policy.Usage |= psa.UsageExport
	}
	name := keyName(pub, priv)
	kc := m.c.UsingProvider(parsec.ProviderID(s.slot))
	cx, cancel := ctx()
	defer cancel()
	if err := kc.GenerateKey(cx, name, attrs); err != nil {
		return 0, 0, rvOf(err)
	}
	data, err := kc.ExportPublicKey(cx, name)
	if err != nil {
		return 0, 0, rvOf(err)
	}
	pk, err := client.ParsePublicKey(attrs, data)
	if err != nil {
		return 0, 0, CKR_DEVICE_ERROR
	}
	k := m.addKey(s.slot, name, attrs, pk)
	return k.public, k.priv, CKR_OK
}
