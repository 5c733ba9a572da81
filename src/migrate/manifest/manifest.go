// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package manifest reads the manifest.json of the Parsec 1.1.0 fixtures
// (src/migrate/testdata/parsec-1.1.0: stores written by the real Parsec
// service) and checks a migrated key against what Parsec recorded: the
// public key it exported, the signatures and ciphertexts it made, the
// known private keys of imported keys. The unit tests of src/migrate and
// the end-to-end tests of the daemon share it.
package manifest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strings"
)

// Manifest is the part of manifest.json the checks use.
type Manifest struct {
	Keys          []Key `json:"keys"`
	DestroyedKeys []struct {
		Authenticator string `json:"authenticator"`
		Application   string `json:"application"`
		KeyName       string `json:"key_name"`
	} `json:"destroyed_keys"`
}

// Key is one key of the manifest.
type Key struct {
	Authenticator   string `json:"authenticator"`
	Application     string `json:"application"`
	KeyName         string `json:"key_name"`
	Bits            int    `json:"bits"`
	PermittedAlg    string `json:"permitted_algorithm_debug"`
	ExportedPublic  string `json:"exported_public_key_hex"`
	KnownPrivatePEM string `json:"known_private_key_pem"`
	ExportedKey     string `json:"exported_key_hex"`
	PSANumeric      struct {
		Bits int `json:"bits_in_its"`
	} `json:"psa_numeric"`
	Signature *struct {
		HashHex      string `json:"hash_hex"`
		SignatureHex string `json:"signature_hex"`
	} `json:"signature"`
	Verification *struct {
		HashHex      string `json:"hash_hex"`
		SignatureHex string `json:"signature_hex"`
	} `json:"verification"`
	OAEP *struct {
		CiphertextHex string `json:"ciphertext_hex"`
		PlaintextHex  string `json:"plaintext_hex"`
	} `json:"oaep"`
	AEAD *struct {
		NonceHex      string `json:"nonce_hex"`
		AADHex        string `json:"additional_data_hex"`
		PlaintextHex  string `json:"plaintext_hex"`
		CiphertextHex string `json:"ciphertext_and_tag_hex"`
	} `json:"aead"`
}

// Load reads a manifest.json.
func Load(path string) (*Manifest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &m, nil
}

// Ops is what a check needs from the migrated key's holder (a provider
// called directly, or the daemon through a client).
type Ops interface {
	ExportPublicKey(name string) ([]byte, error)
	// SignHash and VerifyHash use the key's own permitted algorithm.
	SignHash(name string, hash []byte) ([]byte, error)
	VerifyHash(name string, hash, sig []byte) error
	// AsymmetricDecrypt uses RSA OAEP SHA-256, AeadDecrypt AES-GCM.
	AsymmetricDecrypt(name string, ciphertext []byte) ([]byte, error)
	AeadDecrypt(name string, nonce, aad, ciphertext []byte) ([]byte, error)
	AeadEncrypt(name string, nonce, aad, plaintext []byte) ([]byte, error)
	ExportKey(name string) ([]byte, error)
}

func unhex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// Check runs every check the manifest allows for k and returns what
// failed (nil when the key behaves as Parsec's did). It names the checks
// it ran in done.
func Check(o Ops, k Key) (done []string, errs []error) {
	fail := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	name := k.KeyName
	isAES := strings.HasPrefix(k.PermittedAlg, "Aead")
	var pub crypto.PublicKey
	if !isAES {
		got, err := o.ExportPublicKey(name)
		done = append(done, "public key")
		if err != nil {
			fail("ExportPublicKey: %v", err)
			return done, errs
		}
		if !bytes.Equal(got, unhex(k.ExportedPublic)) {
			fail("exported public key %x, Parsec exported %s", got, k.ExportedPublic)
		}
		pub, err = parsePublic(unhex(k.ExportedPublic))
		if err != nil {
			fail("manifest public key: %v", err)
			return done, errs
		}
	}
	if s := k.Signature; s != nil {
		hash, sig := unhex(s.HashHex), unhex(s.SignatureHex)
		done = append(done, "verifies Parsec's signature")
		if err := o.VerifyHash(name, hash, sig); err != nil {
			fail("VerifyHash of Parsec's signature: %v", err)
		}
		done = append(done, "signs, verified with Parsec's public key")
		mine, err := o.SignHash(name, hash)
		if err != nil {
			fail("SignHash: %v", err)
		} else {
			if err := verify(pub, hash, mine); err != nil {
				fail("parsecd's signature does not verify with the manifest's public key: %v", err)
			}
			if _, ok := pub.(*rsa.PublicKey); ok && !bytes.Equal(mine, sig) {
				fail("RSA PKCS#1 v1.5 signature %x differs from Parsec's %x", mine, sig)
			}
		}
	}
	if v := k.Verification; v != nil {
		done = append(done, "verifies the known private key's signature")
		if err := o.VerifyHash(name, unhex(v.HashHex), unhex(v.SignatureHex)); err != nil {
			fail("VerifyHash of the known key's signature: %v", err)
		}
	}
	if c := k.OAEP; c != nil {
		done = append(done, "decrypts Parsec's OAEP ciphertext")
		pt, err := o.AsymmetricDecrypt(name, unhex(c.CiphertextHex))
		if err != nil || !bytes.Equal(pt, unhex(c.PlaintextHex)) {
			fail("AsymmetricDecrypt = %x, %v; want %s", pt, err, c.PlaintextHex)
		}
	}
	if a := k.AEAD; a != nil {
		done = append(done, "decrypts and re-makes Parsec's AES-GCM ciphertext")
		pt, err := o.AeadDecrypt(name, unhex(a.NonceHex), unhex(a.AADHex), unhex(a.CiphertextHex))
		if err != nil || !bytes.Equal(pt, unhex(a.PlaintextHex)) {
			fail("AeadDecrypt = %x, %v; want %s", pt, err, a.PlaintextHex)
		}
		ct, err := o.AeadEncrypt(name, unhex(a.NonceHex), unhex(a.AADHex), unhex(a.PlaintextHex))
		if err != nil || !bytes.Equal(ct, unhex(a.CiphertextHex)) {
			fail("AeadEncrypt = %x, %v; want %s", ct, err, a.CiphertextHex)
		}
	}
	if k.KnownPrivatePEM != "" {
		done = append(done, "matches the known private key")
		known, err := knownPublic(k.KnownPrivatePEM)
		if err != nil {
			fail("known private key: %v", err)
		} else if eq, ok := pub.(interface{ Equal(crypto.PublicKey) bool }); !ok || !eq.Equal(known) {
			fail("the migrated key's public key is not the known private key's")
		}
	}
	if k.ExportedKey != "" {
		done = append(done, "exports the same private key")
		got, err := o.ExportKey(name)
		if err != nil || !bytes.Equal(got, unhex(k.ExportedKey)) {
			fail("ExportKey = %x, %v; Parsec exported %s", got, err, k.ExportedKey)
		}
	}
	return done, errs
}

// PublicKey parses a manifest's exported_public_key_hex.
func PublicKey(hexKey string) (crypto.PublicKey, error) {
	b, err := hex.DecodeString(hexKey)
	if err != nil {
		return nil, err
	}
	return parsePublic(b)
}

// parsePublic parses a PSA public key export: DER RSAPublicKey or an
// uncompressed NIST point.
func parsePublic(b []byte) (crypto.PublicKey, error) {
	if len(b) > 0 && b[0] == 0x04 {
		var c elliptic.Curve
		switch len(b) {
		case 65:
			c = elliptic.P256()
		case 97:
			c = elliptic.P384()
		case 133:
			c = elliptic.P521()
		default:
			return nil, fmt.Errorf("%d-byte point", len(b))
		}
		return ecdsa.ParseUncompressedPublicKey(c, b)
	}
	return x509.ParsePKCS1PublicKey(b)
}

func verify(pub crypto.PublicKey, hash, sig []byte) error {
	switch p := pub.(type) {
	case *ecdsa.PublicKey:
		n := (p.Curve.Params().BitSize + 7) / 8
		if len(sig) != 2*n {
			return fmt.Errorf("%d-byte ECDSA signature", len(sig))
		}
		r, s := new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:])
		if !ecdsa.Verify(p, hash, r, s) {
			return fmt.Errorf("ECDSA signature does not verify")
		}
		return nil
	case *rsa.PublicKey:
		h := map[int]crypto.Hash{32: crypto.SHA256, 48: crypto.SHA384, 64: crypto.SHA512}[len(hash)]
		return rsa.VerifyPKCS1v15(p, h, hash, sig)
	}
	return fmt.Errorf("no verifier for %T", pub)
}

func knownPublic(pemText string) (crypto.PublicKey, error) {
	blk, _ := pem.Decode([]byte(pemText))
	if blk == nil {
		return nil, fmt.Errorf("no PEM block")
	}
	var priv any
	var err error
	if blk.Type == "EC PRIVATE KEY" {
		priv, err = x509.ParseECPrivateKey(blk.Bytes)
	} else {
		priv, err = x509.ParsePKCS8PrivateKey(blk.Bytes)
	}
	if err != nil {
		return nil, err
	}
	return priv.(crypto.Signer).Public(), nil
}

// CopyStore copies the fixture store (or any tree) at from to to, every
// file read-only (0444): parsecd must never write to Parsec's files, and a
// write then fails loudly.
func CopyStore(from, to string) error {
	return filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o444)
	})
}
