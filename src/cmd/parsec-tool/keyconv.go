// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package main

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"os"
	"strings"

	"github.com/parsecd/parsecd/src/client"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

// Key material in and out of the tool: PEM files (PKCS#1, PKCS#8, SPKI,
// SEC1) converted to and from the PSA formats, and hex for the rest.

func isPEM(data []byte) bool {
	return bytes.HasPrefix(bytes.TrimSpace(data), []byte("-----BEGIN "))
}

// decodePEMKey parses the first key of PEM data: "RSA PRIVATE KEY" and
// "RSA PUBLIC KEY" (PKCS#1), "EC PRIVATE KEY" (SEC1, an "EC PARAMETERS"
// block before it is skipped), "PRIVATE KEY" (PKCS#8) and "PUBLIC KEY"
// (SubjectPublicKeyInfo).
func decodePEMKey(data []byte) (any, error) {
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, incorrectData("no PEM key block found")
		}
		if block.Headers["Proc-Type"] != "" || block.Type == "ENCRYPTED PRIVATE KEY" {
			return nil, notSupported("encrypted PEM keys are not supported (decrypt it first, e.g. with openssl pkey)")
		}
		var key any
		var err error
		switch block.Type {
		case "EC PARAMETERS":
			continue
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "RSA PUBLIC KEY":
			key, err = x509.ParsePKCS1PublicKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "PUBLIC KEY":
			key, err = x509.ParsePKIXPublicKey(block.Bytes)
		default:
			return nil, incorrectData("unsupported PEM block %q (expected a private or public key)", block.Type)
		}
		if err != nil {
			return nil, incorrectData("the %q PEM block does not parse: %v", block.Type, err)
		}
		return key, nil
	}
}

// keyTypeName is the --key-type name of a type.
func keyTypeName(t psa.KeyType) string {
	for _, s := range keyTypes {
		if s.typ == t {
			return s.name
		}
	}
	return debugKeyType(t)
}

// psaKeyData converts a Go key to PSA data of type want (taking the public
// half of a private key when want is a public type) and returns its size.
func psaKeyData(key any, want psa.KeyType) ([]byte, uint32, error) {
	if priv, ok := key.(interface{ Public() crypto.PublicKey }); ok && want.IsPublic() {
		key = priv.Public()
	}
	typ, bits, data, err := client.KeyData(key)
	if err != nil {
		var se *status.Error
		if errors.As(err, &se) {
			return nil, 0, notSupported("%s", se.Msg)
		}
		return nil, 0, err
	}
	if typ != want {
		return nil, 0, incorrectData("the PEM data holds a %s key, not a %s key", keyTypeName(typ), keyTypeName(want))
	}
	return data, bits, nil
}

// importMaterial turns the input of import-key (PEM, or raw bytes already
// in the PSA format) into PsaImportKey data, and completes a.Bits: from the
// PEM key, or 8 bits a byte for symmetric keys; RSA and raw ECC data left at
// 0 let the service take the size from the data.
func importMaterial(a *psa.KeyAttributes, input []byte) ([]byte, error) {
	if len(bytes.TrimSpace(input)) == 0 {
		return nil, incorrectData("the key data is empty")
	}
	asymmetric := a.Type.IsRSA() || a.Type.IsECC()
	if !isPEM(input) {
		if a.Bits == 0 && !asymmetric {
			a.Bits = 8 * uint32(len(input))
		}
		return input, nil
	}
	if !asymmetric {
		return nil, incorrectData("a %s key is given as raw bytes, not PEM", keyTypeName(a.Type))
	}
	key, err := decodePEMKey(input)
	if err != nil {
		return nil, err
	}
	data, bits, err := psaKeyData(key, a.Type)
	if err != nil {
		return nil, err
	}
	if a.Bits != 0 && a.Bits != bits {
		return nil, incorrectData("the PEM key has %d bits, not %d", bits, a.Bits)
	}
	a.Bits = bits
	return data, nil
}

// peerKey reads the --peer value of key-agreement: a file (PEM public or
// private key, or raw bytes in the PSA public key format), else hex.
func peerKey(arg string, own psa.KeyType) ([]byte, error) {
	data, err := os.ReadFile(arg)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			return nil, incorrectData("cannot read the peer key: %v", err)
		}
		return decodeHex("peer key (not a file either)", arg)
	}
	if !isPEM(data) {
		return data, nil
	}
	key, err := decodePEMKey(data)
	if err != nil {
		return nil, err
	}
	pub, _, err := psaKeyData(key, own.PublicOf())
	return pub, err
}

// exportText renders exported key material: PEM for asymmetric keys (private
// keys as PKCS#8 "PRIVATE KEY", public keys as SubjectPublicKeyInfo "PUBLIC
// KEY"), hex for the others or when hexOnly.
func exportText(a psa.KeyAttributes, data []byte, hexOnly bool) (string, error) {
	switch {
	case hexOnly || (!a.Type.IsRSA() && !a.Type.IsECC()):
		return hex.EncodeToString(data) + "\n", nil
	case a.Type.IsPublic():
		return publicKeyText(a, data, false)
	}
	priv, err := client.ParsePrivateKey(a, data)
	if err != nil {
		return "", notSupported("cannot convert a %s key of %d bits to PEM (use --hex)", keyTypeName(a.Type), a.Bits)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", incorrectData("could not encode the private key: %v", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
}

// ---- hex and base64 arguments ----

func decodeHex(what, s string) ([]byte, error) {
	s = strings.Join(strings.Fields(s), "")
	b, err := hex.DecodeString(strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X"))
	if err != nil {
		return nil, incorrectData("the %s is not valid hex: %v", what, err)
	}
	return b, nil
}
