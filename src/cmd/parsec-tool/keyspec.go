// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package main

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/parsecd/parsecd/src/psa"
)

// The one place where the words of --key-type, --curve, --bits, --alg and
// --usage are parsed, and where key types get their default size and
// policy. import-key, create-key and can-do-crypto share it.

// keyTypeSpec is one value of --key-type.
type keyTypeSpec struct {
	name string
	typ  psa.KeyType
	// bits is the size when the type fixes it (X25519, ChaCha20), else the
	// default size of create-key (0 = none).
	bits   uint32
	fixed  bool // bits is the only size of the type
	create bool // create-key can generate it
}

var (
	secpR1   = psa.KeyType{Kind: psa.KeyEccPair, EccFamily: psa.EccSecpR1}
	x25519   = psa.KeyType{Kind: psa.KeyEccPair, EccFamily: psa.EccMontgomery}
	keyTypes = []keyTypeSpec{
		{name: "rsa-public", typ: psa.KeyType{Kind: psa.KeyRsaPublic}},
		{name: "rsa-pair", typ: psa.KeyType{Kind: psa.KeyRsaPair}},
		{name: "ecc-public", typ: secpR1.PublicOf(), bits: 256},
		{name: "ecc-pair", typ: secpR1, bits: 256},
		{name: "x25519-public", typ: x25519.PublicOf(), bits: 255, fixed: true},
		{name: "x25519-pair", typ: x25519, bits: 255, fixed: true, create: true},
		{name: "aes", typ: psa.KeyType{Kind: psa.KeyAes}, bits: 256, create: true},
		{name: "chacha20", typ: psa.KeyType{Kind: psa.KeyChacha20}, bits: 256, fixed: true, create: true},
		{name: "hmac", typ: psa.KeyType{Kind: psa.KeyHmac}, bits: 256, create: true},
		{name: "raw", typ: psa.KeyType{Kind: psa.KeyRawData}, bits: 256, create: true},
	}
	// keyTypeAliases are other accepted spellings.
	keyTypeAliases = map[string]string{"x25519": "x25519-pair", "raw-data": "raw", "chacha": "chacha20"}
)

// keyTypeNames lists the names of the types keep accepts, for help and errors.
func keyTypeNames(keep func(keyTypeSpec) bool) string {
	var names []string
	for _, s := range keyTypes {
		if keep(s) {
			names = append(names, s.name)
		}
	}
	return strings.Join(names, ", ")
}

func anyKeyType(keyTypeSpec) bool { return true }

func creatable(s keyTypeSpec) bool { return s.create }

// parseKeyType reads --key-type among the types keep accepts.
func parseKeyType(s string, keep func(keyTypeSpec) bool) (keyTypeSpec, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if alias, ok := keyTypeAliases[s]; ok {
		s = alias
	}
	for _, t := range keyTypes {
		if t.name == s && keep(t) {
			return t, nil
		}
	}
	return keyTypeSpec{}, usagef("invalid key type %q (expected one of: %s)", s, keyTypeNames(keep))
}

// curves are the values of --curve (SECP-R1 curves, by size).
var curves = []struct {
	name string
	bits uint32
}{{"secp192r1", 192}, {"secp224r1", 224}, {"secp256r1", 256}, {"secp384r1", 384}, {"secp521r1", 521}}

func curveNames() string {
	var names []string
	for _, c := range curves {
		names = append(names, c.name)
	}
	return strings.Join(names, ", ")
}

func parseCurve(s string) (uint32, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, c := range curves {
		if c.name == s {
			return c.bits, nil
		}
	}
	return 0, usagef("invalid curve %q (expected one of: %s)", s, curveNames())
}

// ---- hashes ----

// hashNames are the canonical names of the hashes; parseHash also accepts
// them in capitals and without the dashes ("SHA-256", "sha3_256").
var hashNames = []struct {
	name string
	hash psa.Hash
}{
	{"md2", psa.HashMD2}, {"md4", psa.HashMD4}, {"md5", psa.HashMD5}, {"ripemd160", psa.HashRipemd160},
	{"sha1", psa.HashSHA1}, {"sha224", psa.HashSHA224}, {"sha256", psa.HashSHA256}, {"sha384", psa.HashSHA384},
	{"sha512", psa.HashSHA512}, {"sha512-224", psa.HashSHA512224}, {"sha512-256", psa.HashSHA512256},
	{"sha3-224", psa.HashSHA3_224}, {"sha3-256", psa.HashSHA3_256}, {"sha3-384", psa.HashSHA3_384}, {"sha3-512", psa.HashSHA3_512},
}

func squash(s string) string {
	return strings.NewReplacer("-", "", "_", "", "/", "").Replace(strings.ToLower(strings.TrimSpace(s)))
}

// lookupHash finds a hash by name; ok is false for an unknown name.
func lookupHash(s string) (psa.Hash, bool) {
	s = squash(s)
	for _, h := range hashNames {
		if squash(h.name) == s {
			return h.hash, true
		}
	}
	return psa.HashNone, false
}

func parseHash(s string) (psa.Hash, error) {
	if h, ok := lookupHash(s); ok {
		return h, nil
	}
	var names []string
	for _, h := range hashNames {
		names = append(names, h.name)
	}
	return psa.HashNone, usagef("invalid hash algorithm %q (expected one of: %s)", s, strings.Join(names, ", "))
}

// ---- algorithms ----

// anyHash is the policy wildcard of the signature algorithms ("ecdsa-any-hash").
const anyHash = "any-hash"

// algForm is one family of --alg values: the exact name, or with hashed
// the name followed by "-" and a hash name.
type algForm struct {
	name     string
	hashed   bool
	wildcard bool // the hash may be anyHash
	build    func(h psa.Hash, any bool) psa.Algorithm
}

func sign(k psa.SignKind) func(psa.Hash, bool) psa.Algorithm {
	return func(h psa.Hash, any bool) psa.Algorithm {
		return psa.Algorithm{Kind: psa.AlgAsymSign, Sign: psa.AsymSign{Kind: k, Hash: h, AnyHash: any}}
	}
}

func cipherMode(c psa.Cipher) func(psa.Hash, bool) psa.Algorithm {
	return func(psa.Hash, bool) psa.Algorithm { return psa.Algorithm{Kind: psa.AlgCipher, Cipher: c} }
}

func aeadAlg(a psa.AeadAlg) func(psa.Hash, bool) psa.Algorithm {
	return func(psa.Hash, bool) psa.Algorithm { return psa.Algorithm{Kind: psa.AlgAead, Aead: psa.Aead{Alg: a}} }
}

func macAlg(k psa.MacKind) func(psa.Hash, bool) psa.Algorithm {
	return func(h psa.Hash, _ bool) psa.Algorithm {
		return psa.Algorithm{Kind: psa.AlgMac, Mac: psa.Mac{Kind: k, Hash: h}}
	}
}

func agreement(r psa.KeyAgreementRaw) func(psa.Hash, bool) psa.Algorithm {
	return func(psa.Hash, bool) psa.Algorithm {
		return psa.Algorithm{Kind: psa.AlgKeyAgreement, KeyAgreement: psa.KeyAgreement{Raw: r}}
	}
}

func kdf(k psa.KdfKind) func(psa.Hash, bool) psa.Algorithm {
	return func(h psa.Hash, _ bool) psa.Algorithm {
		return psa.Algorithm{Kind: psa.AlgKeyDerivation, Kdf: psa.KeyDerivation{Kind: k, Hash: h}}
	}
}

var algForms = []algForm{
	{name: "none", build: func(psa.Hash, bool) psa.Algorithm { return psa.Algorithm{Kind: psa.AlgNone} }},
	{name: "rsa-pkcs1v15", hashed: true, wildcard: true, build: sign(psa.SignRsaPkcs1v15)},
	{name: "rsa-pkcs1v15-raw", build: sign(psa.SignRsaPkcs1v15Raw)},
	{name: "rsa-pss", hashed: true, wildcard: true, build: sign(psa.SignRsaPss)},
	{name: "ecdsa", hashed: true, wildcard: true, build: sign(psa.SignEcdsa)},
	{name: "ecdsa-any", build: sign(psa.SignEcdsaAny)},
	{name: "deterministic-ecdsa", hashed: true, wildcard: true, build: sign(psa.SignDetEcdsa)},
	{name: "rsa-pkcs1v15-crypt", build: func(psa.Hash, bool) psa.Algorithm {
		return psa.Algorithm{Kind: psa.AlgAsymEncrypt, Encrypt: psa.AsymEncrypt{Kind: psa.EncRsaPkcs1v15}}
	}},
	{name: "rsa-oaep", hashed: true, build: func(h psa.Hash, _ bool) psa.Algorithm {
		return psa.Algorithm{Kind: psa.AlgAsymEncrypt, Encrypt: psa.AsymEncrypt{Kind: psa.EncRsaOaep, Hash: h}}
	}},
	{name: "gcm", build: aeadAlg(psa.AeadGcm)},
	{name: "ccm", build: aeadAlg(psa.AeadCcm)},
	{name: "chacha20-poly1305", build: aeadAlg(psa.AeadChacha20Poly1305)},
	{name: "stream-cipher", build: cipherMode(psa.CipherStream)},
	{name: "ctr", build: cipherMode(psa.CipherCtr)},
	{name: "cfb", build: cipherMode(psa.CipherCfb)},
	{name: "ofb", build: cipherMode(psa.CipherOfb)},
	{name: "xts", build: cipherMode(psa.CipherXts)},
	{name: "ecb-no-padding", build: cipherMode(psa.CipherEcbNoPadding)},
	{name: "cbc-no-padding", build: cipherMode(psa.CipherCbcNoPadding)},
	{name: "cbc-pkcs7", build: cipherMode(psa.CipherCbcPkcs7)},
	{name: "hmac", hashed: true, build: macAlg(psa.MacHmac)},
	{name: "cmac", build: macAlg(psa.MacCmac)},
	{name: "cbc-mac", build: macAlg(psa.MacCbcMac)},
	{name: "ecdh", build: agreement(psa.KeyAgreementEcdh)},
	{name: "ffdh", build: agreement(psa.KeyAgreementFfdh)},
	{name: "hkdf", hashed: true, build: kdf(psa.KdfHkdf)},
	{name: "tls12-prf", hashed: true, build: kdf(psa.KdfTls12Prf)},
	{name: "tls12-psk-to-ms", hashed: true, build: kdf(psa.KdfTls12PskToMs)},
}

// algSyntax sums the --alg grammar up for help texts and errors.
const algSyntax = "none, a hash (sha256...), rsa-pkcs1v15-HASH, rsa-pkcs1v15-raw, rsa-pss-HASH, ecdsa-HASH, ecdsa-any, " +
	"deterministic-ecdsa-HASH (HASH may be any-hash in a policy), rsa-pkcs1v15-crypt, rsa-oaep-HASH, gcm, ccm, " +
	"chacha20-poly1305 (\":N\" for an N-byte tag), ctr, cfb, ofb, xts, ecb-no-padding, cbc-no-padding, cbc-pkcs7, " +
	"stream-cipher, hmac-HASH, cmac, cbc-mac (\":N\" truncates to N bytes), ecdh, ffdh (\"+KDF\" adds a key derivation), " +
	"hkdf-HASH, tls12-prf-HASH, tls12-psk-to-ms-HASH"

// parseAlg reads an --alg value (see algSyntax and docs/cli.md).
func parseAlg(s string) (psa.Algorithm, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if ka, kd, ok := strings.Cut(s, "+"); ok {
		a, err := parseAlg(ka)
		if err != nil || a.Kind != psa.AlgKeyAgreement {
			return psa.Algorithm{}, usagef("invalid algorithm %q: a key agreement (ecdh, ffdh) comes before \"+\"", s)
		}
		d, err := parseAlg(kd)
		if err != nil || d.Kind != psa.AlgKeyDerivation {
			return psa.Algorithm{}, usagef("invalid algorithm %q: a key derivation (hkdf-HASH...) comes after \"+\"", s)
		}
		a.KeyAgreement.HasKdf, a.KeyAgreement.Kdf = true, d.Kdf
		return a, nil
	}
	base, length, hasLength := strings.Cut(s, ":")
	a, err := parseBaseAlg(base)
	if err != nil || !hasLength {
		return a, err
	}
	n, err := strconv.ParseUint(length, 10, 32)
	if err != nil || n == 0 {
		return psa.Algorithm{}, usagef("invalid algorithm %q: the length after \":\" must be a positive number of bytes", s)
	}
	switch a.Kind {
	case psa.AlgAead:
		a.Aead.Shortened, a.Aead.TagLength = true, uint32(n)
	case psa.AlgMac:
		a.Mac.Truncated, a.Mac.Length = true, uint32(n)
	default:
		return psa.Algorithm{}, usagef("invalid algorithm %q: only AEAD tags and MACs take a length", s)
	}
	return a, nil
}

func parseBaseAlg(s string) (psa.Algorithm, error) {
	if h, ok := lookupHash(s); ok {
		return psa.Algorithm{Kind: psa.AlgHash, Hash: h}, nil
	}
	for _, f := range algForms {
		if !f.hashed {
			if s == f.name {
				return f.build(psa.HashNone, false), nil
			}
			continue
		}
		rest, ok := strings.CutPrefix(s, f.name+"-")
		if !ok {
			continue
		}
		if rest == anyHash && f.wildcard {
			return f.build(psa.HashNone, true), nil
		}
		if h, ok := lookupHash(rest); ok {
			return f.build(h, false), nil
		}
	}
	return psa.Algorithm{}, usagef("invalid algorithm %q (expected %s)", s, algSyntax)
}

// ---- usage flags ----

var usageWords = []struct {
	name  string
	flags psa.UsageFlags
}{
	{"sign", psa.UsageSignHash | psa.UsageSignMessage},
	{"verify", psa.UsageVerifyHash | psa.UsageVerifyMessage},
	{"sign-hash", psa.UsageSignHash}, {"verify-hash", psa.UsageVerifyHash},
	{"sign-message", psa.UsageSignMessage}, {"verify-message", psa.UsageVerifyMessage},
	{"encrypt", psa.UsageEncrypt}, {"decrypt", psa.UsageDecrypt},
	{"export", psa.UsageExport}, {"derive", psa.UsageDerive},
	{"copy", psa.UsageCopy}, {"cache", psa.UsageCache}, {"none", 0},
}

// parseUsage reads a comma-separated list of usage words.
func parseUsage(s string) (psa.UsageFlags, error) {
	var u psa.UsageFlags
	for _, w := range strings.Split(s, ",") {
		w = strings.ToLower(strings.TrimSpace(w))
		found := false
		for _, uw := range usageWords {
			if uw.name == w {
				u, found = u|uw.flags, true
			}
		}
		if !found {
			var names []string
			for _, uw := range usageWords {
				names = append(names, uw.name)
			}
			return 0, usagef("invalid usage %q (expected a comma-separated list of: %s)", w, strings.Join(names, ", "))
		}
	}
	return u, nil
}

// ---- default policies ----

// defaultAlg is the policy algorithm of a key type when --alg is absent.
func defaultAlg(t psa.KeyType) psa.Algorithm {
	switch {
	case t.IsRSA():
		return sign(psa.SignRsaPkcs1v15)(psa.HashSHA256, false)
	case t.EccFamily == psa.EccMontgomery:
		return agreement(psa.KeyAgreementEcdh)(psa.HashNone, false)
	case t.IsECC():
		return sign(psa.SignEcdsa)(psa.HashSHA256, false)
	}
	switch t.Kind {
	case psa.KeyAes:
		return aeadAlg(psa.AeadGcm)(psa.HashNone, false)
	case psa.KeyChacha20:
		return aeadAlg(psa.AeadChacha20Poly1305)(psa.HashNone, false)
	case psa.KeyHmac:
		return macAlg(psa.MacHmac)(psa.HashSHA256, false)
	}
	return psa.Algorithm{Kind: psa.AlgNone}
}

// defaultUsage is what a key of type t does with alg when --usage is
// absent: a public key only verifies or encrypts; raw data feeds derivations.
func defaultUsage(t psa.KeyType, alg psa.Algorithm) psa.UsageFlags {
	public := t.IsPublic()
	switch alg.Kind {
	case psa.AlgAsymSign:
		if public {
			return psa.UsageVerifyHash | psa.UsageVerifyMessage
		}
		return signUsage
	case psa.AlgAsymEncrypt:
		if public {
			return psa.UsageEncrypt
		}
		return psa.UsageEncrypt | psa.UsageDecrypt
	case psa.AlgAead, psa.AlgCipher:
		return psa.UsageEncrypt | psa.UsageDecrypt
	case psa.AlgMac:
		return psa.UsageSignMessage | psa.UsageVerifyMessage
	case psa.AlgKeyAgreement, psa.AlgKeyDerivation:
		return psa.UsageDerive
	}
	if t.Kind == psa.KeyRawData {
		return psa.UsageDerive
	}
	return 0
}

// ---- the flags ----

// keySpecFlags are the flags that describe a key template.
type keySpecFlags struct {
	o                        *options
	keep                     func(keyTypeSpec) bool
	keyType, curve, alg, use string
	bits                     uint64
	export                   bool
}

// defineKeySpec registers --key-type (required), --curve, --bits, --alg,
// --usage and --export for key types keep accepts.
func defineKeySpec(o *options, keep func(keyTypeSpec) bool) *keySpecFlags {
	f := &keySpecFlags{o: o, keep: keep}
	o.String(&f.keyType, 0, "key-type", "KEY_TYPE", "Type of the key: "+keyTypeNames(keep), true)
	if slices.ContainsFunc(keyTypes, func(s keyTypeSpec) bool { return keep(s) && s.typ.EccFamily == psa.EccSecpR1 }) {
		o.String(&f.curve, 0, "curve", "CURVE", "Curve of an ecc key: "+curveNames()+" (default: secp256r1, or the curve of the key data)", false)
	}
	o.Uint(&f.bits, 'b', "bits", "BITS", "Size of the key in bits (default: from the type, curve or key data)", math.MaxUint32, false)
	o.String(&f.alg, 0, "alg", "ALG", "Permitted algorithm of the key policy (default: from the key type; see docs/cli.md)", false)
	o.String(&f.use, 0, "usage", "USAGE", "Comma-separated usage flags: sign, verify, encrypt, decrypt, export, derive, ... (default: from the algorithm)", false)
	o.Bool(&f.export, 0, "export", "Also permit exporting the key (usage flag export)")
	return f
}

// attributes builds the key template. defaultBits says whether to fill in
// a default size (create-key, can-do-crypto) or leave 0 for the key data to
// decide (import-key).
func (f *keySpecFlags) attributes(defaultBits bool) (psa.KeyAttributes, error) {
	spec, err := parseKeyType(f.keyType, f.keep)
	if err != nil {
		return psa.KeyAttributes{}, err
	}
	a := psa.KeyAttributes{Type: spec.typ}
	if a.Bits, err = f.size(spec, defaultBits); err != nil {
		return a, err
	}
	a.Policy.Alg = defaultAlg(spec.typ)
	if f.o.IsSet("alg") {
		if a.Policy.Alg, err = parseAlg(f.alg); err != nil {
			return a, err
		}
	}
	a.Policy.Usage = defaultUsage(spec.typ, a.Policy.Alg)
	if f.o.IsSet("usage") {
		if a.Policy.Usage, err = parseUsage(f.use); err != nil {
			return a, err
		}
	}
	if f.export {
		a.Policy.Usage |= psa.UsageExport
	}
	return a, nil
}

// size is the key size from --bits, --curve and the type.
func (f *keySpecFlags) size(spec keyTypeSpec, defaultBits bool) (uint32, error) {
	bits := uint32(f.bits)
	hasBits := f.o.IsSet("bits")
	ecc := spec.typ.IsECC() && spec.typ.EccFamily == psa.EccSecpR1
	switch {
	case f.curve != "" && !ecc:
		return 0, usagef("--curve only applies to the ecc key types")
	case f.curve != "":
		c, err := parseCurve(f.curve)
		if err != nil {
			return 0, err
		}
		if hasBits && bits != c {
			return 0, usagef("--bits %d does not match --curve %s (%d bits)", bits, f.curve, c)
		}
		return c, nil
	case hasBits:
		return bits, nil
	case spec.fixed || defaultBits:
		if spec.bits == 0 {
			return 0, usagef("--bits is required for %s keys", spec.name)
		}
		return spec.bits, nil
	}
	return 0, nil
}
