// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/parsecd/parsecd/src/client"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

func TestListKeysLine(t *testing.T) {
	// The lines of parsec-tool's tests/expected_output/list-keys.
	ecc := client.KeyInfo{Provider: parsec.ProviderMbedCrypto, Name: "ecc-key", Attributes: eccKeyAttributes}
	rsa := client.KeyInfo{Provider: parsec.ProviderMbedCrypto, Name: "rsa-key", Attributes: rsaKeyAttributes(2048, false, false, false)}
	want := map[string]client.KeyInfo{
		"* ecc-key (Mbed Crypto provider, EccKeyPair { curve_family: SecpR1 }, 256 bits, permitted algorithm: AsymmetricSignature(Ecdsa { hash_alg: Specific(Sha256) }))": ecc,
		"* rsa-key (Mbed Crypto provider, RsaKeyPair, 2048 bits, permitted algorithm: AsymmetricEncryption(RsaPkcs1v15Crypt))":                                            rsa,
	}
	for line, k := range want {
		if got := formatKey(k, nil); got != line {
			t.Errorf("formatKey:\n got %s\nwant %s", got, line)
		}
	}
	tpm := client.KeyInfo{Provider: parsec.ProviderTpm, Name: "a b", Attributes: psa.KeyAttributes{
		Type: psa.KeyType{Kind: psa.KeyRsaPublic}, Bits: 4096,
		Policy: psa.KeyPolicy{Alg: psa.Algorithm{Kind: psa.AlgAsymSign, Sign: psa.AsymSign{Kind: psa.SignRsaPss, AnyHash: true}}}}}
	if got, want := formatKey(tpm, nil), "* a b (TPM provider, RsaPublicKey, 4096 bits, permitted algorithm: AsymmetricSignature(RsaPss { hash_alg: Any }))"; got != want {
		t.Errorf("formatKey:\n got %s\nwant %s", got, want)
	}
	// A provider of the extra id range is named by its configured name.
	tpm.Provider = 129
	names := map[parsec.ProviderID]string{129: "tpm-b"}
	if got, want := formatKey(tpm, names), `* a b ("tpm-b", RsaPublicKey, 4096 bits, permitted algorithm: AsymmetricSignature(RsaPss { hash_alg: Any }))`; got != want {
		t.Errorf("formatKey:\n got %s\nwant %s", got, want)
	}
	if got, want := formatKey(tpm, nil), `* a b (Provider(129), RsaPublicKey, 4096 bits, permitted algorithm: AsymmetricSignature(RsaPss { hash_alg: Any }))`; got != want {
		t.Errorf("formatKey without the name:\n got %s\nwant %s", got, want)
	}
}

func TestDebugFormats(t *testing.T) {
	types := map[string]psa.KeyType{
		"EccPublicKey { curve_family: BrainpoolPR1 }": {Kind: psa.KeyEccPublic, EccFamily: psa.EccBrainpoolPR1},
		"DhKeyPair { group_family: Rfc7919 }":         {Kind: psa.KeyDhPair},
		"Aes":                                         {Kind: psa.KeyAes},
		"RawData":                                     {Kind: psa.KeyRawData},
	}
	for want, kt := range types {
		if got := debugKeyType(kt); got != want {
			t.Errorf("debugKeyType = %s, want %s", got, want)
		}
	}
	algs := map[string]psa.Algorithm{
		"None":         {Kind: psa.AlgNone},
		"Hash(Sha256)": {Kind: psa.AlgHash, Hash: psa.HashSHA256},
		"Mac(FullLength(Hmac { hash_alg: Sha256 }))":      {Kind: psa.AlgMac, Mac: psa.Mac{Kind: psa.MacHmac, Hash: psa.HashSHA256}},
		"Mac(Truncated { mac_alg: Cmac, mac_length: 8 })": {Kind: psa.AlgMac, Mac: psa.Mac{Kind: psa.MacCmac, Truncated: true, Length: 8}},
		"Cipher(CbcPkcs7)":                                                                     {Kind: psa.AlgCipher, Cipher: psa.CipherCbcPkcs7},
		"Aead(AeadWithDefaultLengthTag(Gcm))":                                                  {Kind: psa.AlgAead, Aead: psa.Aead{Alg: psa.AeadGcm}},
		"Aead(AeadWithShortenedTag { aead_alg: Ccm, tag_length: 8 })":                          {Kind: psa.AlgAead, Aead: psa.Aead{Alg: psa.AeadCcm, Shortened: true, TagLength: 8}},
		"AsymmetricSignature(EcdsaAny)":                                                        {Kind: psa.AlgAsymSign, Sign: psa.AsymSign{Kind: psa.SignEcdsaAny}},
		"AsymmetricSignature(RsaPkcs1v15SignRaw)":                                              {Kind: psa.AlgAsymSign, Sign: psa.AsymSign{Kind: psa.SignRsaPkcs1v15Raw}},
		"AsymmetricSignature(DeterministicEcdsa { hash_alg: Specific(Sha384) })":               {Kind: psa.AlgAsymSign, Sign: psa.AsymSign{Kind: psa.SignDetEcdsa, Hash: psa.HashSHA384}},
		"KeyAgreement(Raw(Ecdh))":                                                              {Kind: psa.AlgKeyAgreement, KeyAgreement: psa.KeyAgreement{Raw: psa.KeyAgreementEcdh}},
		"KeyAgreement(WithKeyDerivation { ka_alg: Ffdh, kdf_alg: Hkdf { hash_alg: Sha256 } })": {Kind: psa.AlgKeyAgreement, KeyAgreement: psa.KeyAgreement{Raw: psa.KeyAgreementFfdh, HasKdf: true, Kdf: psa.KeyDerivation{Kind: psa.KdfHkdf, Hash: psa.HashSHA256}}},
		"KeyDerivation(Tls12Prf { hash_alg: Sha384 })":                                         {Kind: psa.AlgKeyDerivation, Kdf: psa.KeyDerivation{Kind: psa.KdfTls12Prf, Hash: psa.HashSHA384}},
	}
	for want, a := range algs {
		if got := debugAlg(a); got != want {
			t.Errorf("debugAlg = %s, want %s", got, want)
		}
	}
}

func TestBlockFormats(t *testing.T) {
	p := client.ProviderInfo{ID: parsec.ProviderCore, UUID: "47049873-2a43-4845-9d72-831eab668784",
		Description: "Software provider that implements only administrative (i.e. no cryptographic) operations", VersionMin: 6}
	want := "ID: 0x00 (Core provider)\nDescription: Software provider that implements only administrative (i.e. no cryptographic) operations\nVersion: 0.6.0\nVendor: Unspecified\nUUID: 47049873-2a43-4845-9d72-831eab668784\n\n"
	if got := formatProvider(p); got != want {
		t.Errorf("formatProvider:\n%q\nwant\n%q", got, want)
	}
	au := client.AuthenticatorInfo{ID: parsec.AuthUnixPeerCredentials, Description: "Uses Unix peer credentials.", VersionMin: 1}
	if got, want := formatAuthenticator(au), "ID: 0x03 (Unix Peer Credentials authentication)\nDescription: Uses Unix peer credentials.\nVersion: 0.1.0\n\n"; got != want {
		t.Errorf("formatAuthenticator = %q", got)
	}
	if got := formatOpcode(parsec.OpPsaGenerateKey); got != "0x02 (PsaGenerateKey)" {
		t.Errorf("formatOpcode = %q", got)
	}
	if got := formatOpcode(parsec.OpCanDoCrypto); got != "0x20 (CanDoCrypto)" {
		t.Errorf("formatOpcode = %q", got)
	}
	if got := formatRandom([]byte{0x00, 0xab, 0x7f}); got != "00 AB 7F " {
		t.Errorf("formatRandom = %q", got)
	}
}

// The outputs of the parsecd subcommands: hex (digests, MACs, secrets),
// base64 (ciphertexts), text (plaintexts), "valid" for checks, and the
// can-do-crypto answer.
func TestExtraOutputs(t *testing.T) {
	var out bytes.Buffer
	a := &app{stdout: &out}
	check := func(what string, err error, wantErr error, want string) {
		t.Helper()
		if err != wantErr || out.String() != want {
			t.Errorf("%s: %q, %v; want %q, %v", what, out.String(), err, want, wantErr)
		}
		out.Reset()
	}
	b := []byte{0x00, 0xfb, 0xff}
	check("printHex", a.printHex(b, nil), nil, "00fbff\n")
	check("printBase64", a.printBase64(b, nil), nil, "APv/\n")
	check("printText", a.printText([]byte("ok \xff"), nil), nil, "ok \uFFFD\n")
	failed := &status.Error{Code: status.PsaErrorInvalidSignature}
	check("printHex of a failure", a.printHex(nil, failed), failed, "")
	check("valid", a.valid(nil), nil, "valid\n")
	check("valid of a failure", a.valid(failed), failed, "")
	check("supported", a.answer(nil), nil, "supported\n")
	check("not supported", a.answer(&status.Error{Code: status.PsaErrorNotSupported, Msg: "curve"}), errAnswered,
		"not supported: the requested operation or a parameter is not supported by this implementation (PsaErrorNotSupported)\n")
	noService := &status.Error{Code: status.ConnectionError}
	check("no service", a.answer(noService), noService, "")
	unknownOp := &status.Error{Code: status.OpcodeDoesNotExist}
	check("no CanDoCrypto", a.answer(unknownOp), unknownOp, "")

	// A usage error of can-do-crypto stays an error line, not an answer.
	var stderr bytes.Buffer
	if code := run([]string{"can-do-crypto", "--check", "use"}, &out, &stderr, func(string) string { return "" }); code != 1 || !strings.HasPrefix(stderr.String(), "error: ") {
		t.Errorf("usage error: %d %q", code, stderr.String())
	}
}
