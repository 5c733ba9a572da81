// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package main

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/parsecd/parsecd/src/psa"
)

func signAlg(k psa.SignKind, h psa.Hash) psa.Algorithm {
	return psa.Algorithm{Kind: psa.AlgAsymSign, Sign: psa.AsymSign{Kind: k, Hash: h}}
}

func TestParseAlg(t *testing.T) {
	cases := map[string]psa.Algorithm{
		"none":                       {Kind: psa.AlgNone},
		"sha256":                     {Kind: psa.AlgHash, Hash: psa.HashSHA256},
		"SHA3-384":                   {Kind: psa.AlgHash, Hash: psa.HashSHA3_384},
		"rsa-pkcs1v15-sha256":        signAlg(psa.SignRsaPkcs1v15, psa.HashSHA256),
		"rsa-pkcs1v15-any-hash":      {Kind: psa.AlgAsymSign, Sign: psa.AsymSign{Kind: psa.SignRsaPkcs1v15, AnyHash: true}},
		"rsa-pkcs1v15-raw":           signAlg(psa.SignRsaPkcs1v15Raw, psa.HashNone),
		"rsa-pss-sha512":             signAlg(psa.SignRsaPss, psa.HashSHA512),
		"ecdsa-sha384":               signAlg(psa.SignEcdsa, psa.HashSHA384),
		"ecdsa-sha3-256":             signAlg(psa.SignEcdsa, psa.HashSHA3_256),
		"ecdsa-sha512-256":           signAlg(psa.SignEcdsa, psa.HashSHA512256),
		"ecdsa-any":                  signAlg(psa.SignEcdsaAny, psa.HashNone),
		"ecdsa-any-hash":             {Kind: psa.AlgAsymSign, Sign: psa.AsymSign{Kind: psa.SignEcdsa, AnyHash: true}},
		"deterministic-ecdsa-sha256": signAlg(psa.SignDetEcdsa, psa.HashSHA256),
		"rsa-pkcs1v15-crypt":         {Kind: psa.AlgAsymEncrypt, Encrypt: psa.AsymEncrypt{Kind: psa.EncRsaPkcs1v15}},
		"rsa-oaep-sha1":              {Kind: psa.AlgAsymEncrypt, Encrypt: psa.AsymEncrypt{Kind: psa.EncRsaOaep, Hash: psa.HashSHA1}},
		"gcm":                        {Kind: psa.AlgAead, Aead: psa.Aead{Alg: psa.AeadGcm}},
		"GCM:8":                      {Kind: psa.AlgAead, Aead: psa.Aead{Alg: psa.AeadGcm, Shortened: true, TagLength: 8}},
		"ccm":                        {Kind: psa.AlgAead, Aead: psa.Aead{Alg: psa.AeadCcm}},
		"chacha20-poly1305":          {Kind: psa.AlgAead, Aead: psa.Aead{Alg: psa.AeadChacha20Poly1305}},
		"stream-cipher":              {Kind: psa.AlgCipher, Cipher: psa.CipherStream},
		"ctr":                        {Kind: psa.AlgCipher, Cipher: psa.CipherCtr},
		"cfb":                        {Kind: psa.AlgCipher, Cipher: psa.CipherCfb},
		"ofb":                        {Kind: psa.AlgCipher, Cipher: psa.CipherOfb},
		"xts":                        {Kind: psa.AlgCipher, Cipher: psa.CipherXts},
		"ecb-no-padding":             {Kind: psa.AlgCipher, Cipher: psa.CipherEcbNoPadding},
		"cbc-no-padding":             {Kind: psa.AlgCipher, Cipher: psa.CipherCbcNoPadding},
		"cbc-pkcs7":                  {Kind: psa.AlgCipher, Cipher: psa.CipherCbcPkcs7},
		"hmac-sha256":                {Kind: psa.AlgMac, Mac: psa.Mac{Kind: psa.MacHmac, Hash: psa.HashSHA256}},
		"hmac-sha512:32":             {Kind: psa.AlgMac, Mac: psa.Mac{Kind: psa.MacHmac, Hash: psa.HashSHA512, Truncated: true, Length: 32}},
		"cmac":                       {Kind: psa.AlgMac, Mac: psa.Mac{Kind: psa.MacCmac}},
		"cbc-mac":                    {Kind: psa.AlgMac, Mac: psa.Mac{Kind: psa.MacCbcMac}},
		"ecdh":                       {Kind: psa.AlgKeyAgreement, KeyAgreement: psa.KeyAgreement{Raw: psa.KeyAgreementEcdh}},
		"ffdh":                       {Kind: psa.AlgKeyAgreement, KeyAgreement: psa.KeyAgreement{Raw: psa.KeyAgreementFfdh}},
		"ecdh+hkdf-sha256": {Kind: psa.AlgKeyAgreement, KeyAgreement: psa.KeyAgreement{Raw: psa.KeyAgreementEcdh, HasKdf: true,
			Kdf: psa.KeyDerivation{Kind: psa.KdfHkdf, Hash: psa.HashSHA256}}},
		"hkdf-sha384":                   {Kind: psa.AlgKeyDerivation, Kdf: psa.KeyDerivation{Kind: psa.KdfHkdf, Hash: psa.HashSHA384}},
		"tls12-prf-sha256":              {Kind: psa.AlgKeyDerivation, Kdf: psa.KeyDerivation{Kind: psa.KdfTls12Prf, Hash: psa.HashSHA256}},
		"tls12-psk-to-ms-sha384":        {Kind: psa.AlgKeyDerivation, Kdf: psa.KeyDerivation{Kind: psa.KdfTls12PskToMs, Hash: psa.HashSHA384}},
		" Deterministic-ECDSA-SHA-256 ": signAlg(psa.SignDetEcdsa, psa.HashSHA256),
	}
	for in, want := range cases {
		if got, err := parseAlg(in); err != nil || got != want {
			t.Errorf("parseAlg(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "ecdsa", "ecdsa-", "ecdsa-sha999", "rsa-oaep-any-hash", "hmac-any-hash", "gcm:0", "gcm:x",
		"ecdsa-sha256:8", "ctr+hkdf-sha256", "ecdh+gcm", "aes", "hmac"} {
		var ue *usageError
		if got, err := parseAlg(bad); !errors.As(err, &ue) {
			t.Errorf("parseAlg(%q) = %+v, %v; want a usage error", bad, got, err)
		}
	}
}

func TestParseHashUsageCheck(t *testing.T) {
	for in, want := range map[string]psa.Hash{"sha256": psa.HashSHA256, "SHA-256": psa.HashSHA256, "sha512/224": psa.HashSHA512224,
		"sha3_512": psa.HashSHA3_512, "ripemd160": psa.HashRipemd160, "md5": psa.HashMD5} {
		if got, err := parseHash(in); err != nil || got != want {
			t.Errorf("parseHash(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := parseHash("sha-3"); err == nil || !strings.Contains(err.Error(), "sha3-256") {
		t.Errorf("parseHash(bad) = %v", err)
	}
	for in, want := range map[string]psa.UsageFlags{
		"sign,verify":           signUsage,
		"encrypt, decrypt":      psa.UsageEncrypt | psa.UsageDecrypt,
		"sign-hash,export":      psa.UsageSignHash | psa.UsageExport,
		"verify-message,derive": psa.UsageVerifyMessage | psa.UsageDerive,
		"none":                  0,
	} {
		if got, err := parseUsage(in); err != nil || got != want {
			t.Errorf("parseUsage(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "sign,,verify", "write"} {
		if _, err := parseUsage(bad); err == nil {
			t.Errorf("parseUsage(%q) accepted", bad)
		}
	}
	for in, want := range map[string]psa.CheckType{"use": psa.CheckUse, "Generate": psa.CheckGenerate, "import": psa.CheckImport, "derive": psa.CheckDerive} {
		if got, err := parseCheck(in); err != nil || got != want {
			t.Errorf("parseCheck(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := parseCheck("export"); err == nil {
		t.Error("parseCheck(export) accepted")
	}
}

// specFrom parses a command line of key template flags.
func specFrom(keep func(keyTypeSpec) bool, defaultBits bool, args ...string) (psa.KeyAttributes, error) {
	o := newOptions("t")
	f := defineKeySpec(o, keep)
	if _, err := o.parse(args, false); err != nil {
		return psa.KeyAttributes{}, err
	}
	return f.attributes(defaultBits)
}

func TestKeySpecFlags(t *testing.T) {
	encDec := psa.UsageEncrypt | psa.UsageDecrypt
	ecdsa256 := signAlg(psa.SignEcdsa, psa.HashSHA256)
	ecdh := psa.Algorithm{Kind: psa.AlgKeyAgreement, KeyAgreement: psa.KeyAgreement{Raw: psa.KeyAgreementEcdh}}
	gcm := psa.Algorithm{Kind: psa.AlgAead, Aead: psa.Aead{Alg: psa.AeadGcm}}
	attrs := func(t psa.KeyType, bits uint32, u psa.UsageFlags, alg psa.Algorithm) psa.KeyAttributes {
		return psa.KeyAttributes{Type: t, Bits: bits, Policy: psa.KeyPolicy{Usage: u, Alg: alg}}
	}
	aes := psa.KeyType{Kind: psa.KeyAes}
	cases := []struct {
		args        []string
		defaultBits bool
		want        psa.KeyAttributes
	}{
		// The default policies of the brief: one per type.
		{[]string{"--key-type", "ecc-pair"}, false, attrs(secpR1, 0, signUsage, ecdsa256)},
		{[]string{"--key-type", "ecc-pair"}, true, attrs(secpR1, 256, signUsage, ecdsa256)},
		{[]string{"--key-type", "ecc-public", "--curve", "secp384r1"}, false,
			attrs(secpR1.PublicOf(), 384, psa.UsageVerifyHash|psa.UsageVerifyMessage, ecdsa256)},
		{[]string{"--key-type=rsa-pair"}, false, attrs(psa.KeyType{Kind: psa.KeyRsaPair}, 0, signUsage, signAlg(psa.SignRsaPkcs1v15, psa.HashSHA256))},
		{[]string{"--key-type", "rsa-pair", "--alg", "rsa-oaep-sha256"}, false, attrs(psa.KeyType{Kind: psa.KeyRsaPair}, 0, encDec,
			psa.Algorithm{Kind: psa.AlgAsymEncrypt, Encrypt: psa.AsymEncrypt{Kind: psa.EncRsaOaep, Hash: psa.HashSHA256}})},
		{[]string{"--key-type", "rsa-public", "--alg", "rsa-pkcs1v15-crypt"}, false, attrs(psa.KeyType{Kind: psa.KeyRsaPublic}, 0, psa.UsageEncrypt,
			psa.Algorithm{Kind: psa.AlgAsymEncrypt, Encrypt: psa.AsymEncrypt{Kind: psa.EncRsaPkcs1v15}})},
		{[]string{"--key-type", "aes"}, true, attrs(aes, 256, encDec, gcm)},
		{[]string{"--key-type", "aes"}, false, attrs(aes, 0, encDec, gcm)},
		{[]string{"--key-type", "aes", "-b", "128", "--alg", "cbc-pkcs7", "--export"}, true,
			attrs(aes, 128, encDec|psa.UsageExport, psa.Algorithm{Kind: psa.AlgCipher, Cipher: psa.CipherCbcPkcs7})},
		{[]string{"--key-type", "chacha20"}, false, attrs(psa.KeyType{Kind: psa.KeyChacha20}, 256, encDec,
			psa.Algorithm{Kind: psa.AlgAead, Aead: psa.Aead{Alg: psa.AeadChacha20Poly1305}})},
		{[]string{"--key-type", "hmac"}, true, attrs(psa.KeyType{Kind: psa.KeyHmac}, 256, psa.UsageSignMessage|psa.UsageVerifyMessage,
			psa.Algorithm{Kind: psa.AlgMac, Mac: psa.Mac{Kind: psa.MacHmac, Hash: psa.HashSHA256}})},
		{[]string{"--key-type", "raw"}, true, attrs(psa.KeyType{Kind: psa.KeyRawData}, 256, psa.UsageDerive, psa.Algorithm{Kind: psa.AlgNone})},
		{[]string{"--key-type", "x25519"}, false, attrs(x25519, 255, psa.UsageDerive, ecdh)},
		{[]string{"--key-type", "x25519-public"}, false, attrs(x25519.PublicOf(), 255, psa.UsageDerive, ecdh)},
		{[]string{"--key-type", "ecc-pair", "--alg", "ecdh", "--bits", "521"}, false, attrs(secpR1, 521, psa.UsageDerive, ecdh)},
		{[]string{"--key-type", "ecc-pair", "--curve", "secp256r1", "--bits", "256", "--usage", "sign-hash", "--export"}, false,
			attrs(secpR1, 256, psa.UsageSignHash|psa.UsageExport, ecdsa256)},
	}
	for _, tc := range cases {
		got, err := specFrom(anyKeyType, tc.defaultBits, tc.args...)
		if err != nil || got != tc.want {
			t.Errorf("%q: %+v, %v\n want %+v", tc.args, got, err, tc.want)
		}
	}
	for _, bad := range [][]string{
		{"--key-type", "des"}, {"--key-type", "aes", "--curve", "secp256r1"}, {"--key-type", "ecc-pair", "--curve", "p-256"},
		{"--key-type", "ecc-pair", "--curve", "secp256r1", "--bits", "384"}, {"--key-type", "aes", "--alg", "nope"},
		{"--key-type", "aes", "--usage", "fly"}, {"--key-type", "rsa-pair"}, // no default size for can-do-crypto
	} {
		if got, err := specFrom(anyKeyType, true, bad...); err == nil {
			t.Errorf("%q accepted: %+v", bad, got)
		}
	}
	// create-key accepts only what the service generates without a curve choice.
	if _, err := specFrom(creatable, true, "--key-type", "ecc-pair"); err == nil || !strings.Contains(err.Error(), "aes, chacha20, hmac, raw") {
		t.Errorf("create-key ecc-pair: %v", err)
	}
	o := newOptions("t")
	defineKeySpec(o, creatable)
	if o.byLong["curve"] != nil {
		t.Error("create-key has a --curve flag")
	}
}

func TestDataArguments(t *testing.T) {
	for in, want := range map[string]string{"00ff": "00ff", "0x00FF": "00ff", " 00 ff\n": "00ff", "": ""} {
		if got, err := decodeHex("x", in); err != nil || hex.EncodeToString(got) != want {
			t.Errorf("decodeHex(%q) = %x, %v", in, got, err)
		}
	}
	if _, err := decodeHex("MAC", "0g"); err == nil || !strings.HasPrefix(err.Error(), "the MAC is not valid hex") {
		t.Errorf("decodeHex(0g) = %v", err)
	}
	if got, err := decodeBase64Text("ciphertext", " APv/\n"); err != nil || hex.EncodeToString(got) != "00fbff" {
		t.Errorf("decodeBase64 = %x, %v", got, err)
	}
	if _, err := decodeBase64Text("ciphertext", "APv"); err == nil || !strings.Contains(err.Error(), "(IncorrectData)") {
		t.Errorf("decodeBase64(bad) = %v", err)
	}
	// --nonce: absent (nil: the tool picks one), given, or empty (refused).
	for _, tc := range []struct {
		args []string
		want string
		ok   bool
	}{{nil, "", true}, {[]string{"--nonce", "a1b2"}, "a1b2", true}, {[]string{"--nonce="}, "", false}, {[]string{"--nonce", "zz"}, "", false}} {
		o := newOptions("t")
		f := defineAead(o)
		if _, err := o.parse(tc.args, false); err != nil {
			t.Fatal(err)
		}
		n, err := f.nonce()
		if (err == nil) != tc.ok || hex.EncodeToString(n) != tc.want || (tc.args == nil && n != nil) {
			t.Errorf("%q: nonce %x, %v", tc.args, n, err)
		}
	}
	if aeadNonceSize(psa.AeadCcm) != 13 || aeadNonceSize(psa.AeadGcm) != 12 || aeadNonceSize(psa.AeadChacha20Poly1305) != 12 {
		t.Error("aeadNonceSize")
	}
}

// Every parsecd subcommand registers --key-name where it works on a key,
// and the policy subcommands refuse to run without it.
func TestExtraCommandFlags(t *testing.T) {
	withKey := map[string]bool{"import-key": true, "create-key": true, "export-key": true, "mac": true, "mac-verify": true,
		"aead-encrypt": true, "aead-decrypt": true, "cipher-encrypt": true, "cipher-decrypt": true, "key-agreement": true}
	n := 0
	for _, c := range commands {
		if !c.extra {
			continue
		}
		n++
		o := newOptions(c.name)
		c.define(o)
		if oi := o.byLong["key-name"]; (oi != nil) != withKey[c.name] || (oi != nil && (!oi.required || oi.short != 'k')) {
			t.Errorf("%s: --key-name %+v", c.name, oi)
		}
		if !c.auth {
			t.Errorf("%s does not authenticate", c.name)
		}
	}
	if n != 13 {
		t.Errorf("%d parsecd subcommands, want 13", n)
	}
}
