// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build cgo && pkcs11

package pkcs11

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/miekg/pkcs11"

	"github.com/parsecd/parsecd/src/migrate"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage/bolt"
)

// Attributes as Parsec 1.1.0's key info managers store them (bincode of
// psa-crypto Attributes; the first two are from the fixture manifests).
var parsecAttrs = map[string]string{
	"ecc-p256-sign":         "010000000a0000000100000000010000000000000000000000010101010005000000030000000000000006000000",
	"rsa2048-pkcs1v15-sign": "010000000900000000080000000000000000000000010101010005000000000000000000000006000000",
	// EccPublicKey SecpR1 256, verify_message + verify_hash, ECDSA(SHA-256).
	"ecc-p256-public-imported": "010000000b0000000100000000010000000000000000000000000100010005000000030000000000000006000000",
}

// parsecMapping writes an OnDisk mapping file the way Parsec does:
// <store>/<b64 app>/2/<b64 key name> = bincode KeyInfo{id: bincode u32, attributes}.
func parsecMapping(t *testing.T, store, app, name string, id uint32) {
	t.Helper()
	attrs, err := hex.DecodeString(parsecAttrs[name])
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(store, base64.URLEncoding.EncodeToString([]byte(app)), "2")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	b := binary.LittleEndian.AppendUint64(nil, 4)
	b = binary.LittleEndian.AppendUint32(b, id)
	if err := os.WriteFile(filepath.Join(dir, base64.URLEncoding.EncodeToString([]byte(name))), append(b, attrs...), 0o600); err != nil {
		t.Fatal(err)
	}
}

// parsecCKAID is Parsec's CKA_ID of key id: the u32 in big endian.
func parsecCKAID(id uint32) []byte { return binary.BigEndian.AppendUint32(nil, id) }

// TestMigrateParsecPKCS11Keys creates keys on SoftHSM as Parsec's PKCS#11
// provider does (token objects named by a 4-byte CKA_ID, no label), a
// Parsec OnDisk store mapping them, migrates it, and uses the keys through
// parsecd's provider: the same token objects sign and verify.
func TestMigrateParsecPKCS11Keys(t *testing.T) {
	ctx := context.Background()
	maker := newTestProvider(t, testOptions(), nil)
	h := rawSession(t, maker)
	c := maker.mod.ctx

	p256, _ := asn1.Marshal(asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7})
	gen := func(id uint32, mech uint, pubExtra []*pkcs11.Attribute) pkcs11.ObjectHandle {
		pub := append([]*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_ID, parsecCKAID(id)),
			pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
			pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PUBLIC_KEY),
			pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, false),
			pkcs11.NewAttribute(pkcs11.CKA_VERIFY, true),
		}, pubExtra...)
		priv := []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_ID, parsecCKAID(id)),
			pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
			pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY),
			pkcs11.NewAttribute(pkcs11.CKA_SIGN, true),
		}
		_, privH, err := c.GenerateKeyPair(h, []*pkcs11.Mechanism{pkcs11.NewMechanism(mech, nil)}, pub, priv)
		if err != nil {
			t.Fatalf("C_GenerateKeyPair: %v", err)
		}
		return privH
	}
	ecPriv := gen(2, pkcs11.CKM_EC_KEY_PAIR_GEN, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_EC_PARAMS, p256)})
	gen(3, pkcs11.CKM_RSA_PKCS_KEY_PAIR_GEN, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_MODULUS_BITS, 2048), pkcs11.NewAttribute(pkcs11.CKA_PUBLIC_EXPONENT, []byte{1, 0, 1})})
	// An imported public key: one token object.
	known, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	point, _ := known.PublicKey.Bytes()
	pointDER, _ := asn1.Marshal(point)
	if _, err := c.CreateObject(h, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PUBLIC_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
		pkcs11.NewAttribute(pkcs11.CKA_VERIFY, true),
		pkcs11.NewAttribute(pkcs11.CKA_ID, parsecCKAID(5)),
		pkcs11.NewAttribute(pkcs11.CKA_EC_POINT, pointDER),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, false),
		pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_EC),
		pkcs11.NewAttribute(pkcs11.CKA_EC_PARAMS, p256),
	}); err != nil {
		t.Fatalf("C_CreateObject: %v", err)
	}

	store := filepath.Join(t.TempDir(), "mappings")
	parsecMapping(t, store, "app-a", "ecc-p256-sign", 2)
	parsecMapping(t, store, "app-a", "rsa2048-pkcs1v15-sign", 3)
	parsecMapping(t, store, "app-a", "ecc-p256-public-imported", 5)

	o := testOptions()
	plan, err := migrate.Prepare(migrate.Source{Type: "OnDisk", Path: store, Auth: parsec.AuthDirect},
		[]migrate.Target{{ParsecID: 2, Name: o.Name, Convert: migrate.PKCS11Convert("")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Keys) != 3 || len(plan.Refused) != 0 {
		t.Fatalf("plan: %d keys, refused %v", len(plan.Keys), plan.Refused)
	}
	db, err := bolt.Open(filepath.Join(t.TempDir(), "keys.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := migrate.Apply(db, plan, time.Now()); err != nil {
		t.Fatal(err)
	}
	p := newTestProvider(t, o, db)

	// The ECDSA key: parsecd's signature verifies with the public key of
	// the token object, and a signature made with the token object behind
	// parsecd's back verifies through parsecd.
	pub, err := p.ExportPublicKey(ctx, appA, "ecc-p256-sign")
	if err != nil {
		t.Fatal(err)
	}
	ecPub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), pub)
	if err != nil {
		t.Fatal(err)
	}
	hash := sha256.Sum256([]byte("signed after the migration"))
	sig, err := p.SignHash(ctx, appA, "ecc-p256-sign", signAlg(psa.SignEcdsa, psa.HashSHA256), hash[:])
	if err != nil {
		t.Fatal(err)
	}
	if !ecdsa.Verify(ecPub, hash[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		t.Error("parsecd's signature does not verify")
	}
	if err := c.SignInit(h, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_ECDSA, nil)}, ecPriv); err != nil {
		t.Fatal(err)
	}
	raw, err := c.Sign(h, hash[:])
	if err != nil {
		t.Fatal(err)
	}
	if err := p.VerifyHash(ctx, appA, "ecc-p256-sign", signAlg(psa.SignEcdsa, psa.HashSHA256), hash[:], raw); err != nil {
		t.Errorf("a signature of the Parsec-made token object: %v", err)
	}

	// The RSA key signs, and the signature verifies with its public key.
	rpub, err := p.ExportPublicKey(ctx, appA, "rsa2048-pkcs1v15-sign")
	if err != nil {
		t.Fatal(err)
	}
	rsig, err := p.SignHash(ctx, appA, "rsa2048-pkcs1v15-sign", signAlg(psa.SignRsaPkcs1v15, psa.HashSHA256), hash[:])
	if err != nil {
		t.Fatal(err)
	}
	rk, err := x509.ParsePKCS1PublicKey(rpub)
	if err != nil {
		t.Fatal(err)
	}
	if err := rsa.VerifyPKCS1v15(rk, cryptoHash(psa.HashSHA256), hash[:], rsig); err != nil {
		t.Errorf("RSA: %v", err)
	}

	// The imported public key verifies the known key's signatures.
	r, s, _ := ecdsa.Sign(rand.Reader, known, hash[:])
	ksig := append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	if err := p.VerifyHash(ctx, appA, "ecc-p256-public-imported", signAlg(psa.SignEcdsa, psa.HashSHA256), hash[:], ksig); err != nil {
		t.Errorf("imported public key: %v", err)
	}
	if got, err := p.ExportPublicKey(ctx, appA, "ecc-p256-public-imported"); err != nil || hex.EncodeToString(got) != hex.EncodeToString(point) {
		t.Errorf("imported public key exports %x, %v", got, err)
	}

	// A serial_number in the configuration ties the keys to that token.
	db2, err := bolt.Open(filepath.Join(t.TempDir(), "keys.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	plan, err = migrate.Prepare(migrate.Source{Type: "OnDisk", Path: store, Auth: parsec.AuthDirect},
		[]migrate.Target{{ParsecID: 2, Name: o.Name, Convert: migrate.PKCS11Convert("another-token")}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate.Apply(db2, plan, time.Now()); err != nil {
		t.Fatal(err)
	}
	p2 := newTestProvider(t, o, db2)
	_, err = p2.ExportPublicKey(ctx, appA, "ecc-p256-sign")
	wantCode(t, err, status.PsaErrorDoesNotExist, "a key of another token")
}
