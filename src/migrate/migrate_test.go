// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package migrate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parsecd/parsecd/providers/soft"
	"github.com/parsecd/parsecd/src/migrate/manifest"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/storage"
	"github.com/parsecd/parsecd/storage/bolt"
)

const fixtures = "testdata/parsec-1.1.0"

// copyTree copies a fixture store and makes the copy read-only, so that
// any write by the migration fails loudly.
func copyTree(t *testing.T, from string) string {
	t.Helper()
	to := filepath.Join(t.TempDir(), "parsec")
	if err := manifest.CopyStore(from, to); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { chmodTree(to, 0o755) })
	chmodTree(to, 0o555)
	return to
}

func chmodTree(root string, mode fs.FileMode) {
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(p, mode)
		}
		return nil
	})
}

// treeHash is a hash of every file name, mode and content under root.
func treeHash(t *testing.T, root string) string {
	t.Helper()
	h := sha256.New()
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := d.Info()
		h.Write([]byte(p + fi.Mode().String()))
		if d.Type().IsRegular() {
			b, _ := os.ReadFile(p)
			h.Write(b)
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))
}

var softTarget = []Target{{ParsecID: 1, ParsecName: "mbed-crypto-provider", Name: soft.DefaultName}}

// softOps checks keys through the software provider called directly.
type softOps struct {
	p *soft.Provider
	s storage.KeyStore
	c storage.Client
	t *testing.T
}

func (o softOps) attrs(name string) psa.KeyAttributes {
	info, err := o.s.Get(context.Background(), storage.KeyTriple{Auth: o.c.Auth, App: o.c.App, Provider: soft.DefaultName, Key: name})
	if err != nil {
		o.t.Fatalf("key %q: %v", name, err)
	}
	clear(info.ID)
	return info.Attributes
}

func (o softOps) ExportPublicKey(n string) ([]byte, error) {
	return o.p.ExportPublicKey(context.Background(), o.c, n)
}
func (o softOps) SignHash(n string, h []byte) ([]byte, error) {
	return o.p.SignHash(context.Background(), o.c, n, o.attrs(n).Policy.Alg.Sign, h)
}
func (o softOps) VerifyHash(n string, h, s []byte) error {
	return o.p.VerifyHash(context.Background(), o.c, n, o.attrs(n).Policy.Alg.Sign, h, s)
}
func (o softOps) AsymmetricDecrypt(n string, ct []byte) ([]byte, error) {
	return o.p.AsymmetricDecrypt(context.Background(), o.c, n, o.attrs(n).Policy.Alg.Encrypt, ct, nil)
}
func (o softOps) AeadDecrypt(n string, nonce, aad, ct []byte) ([]byte, error) {
	return o.p.AeadDecrypt(context.Background(), o.c, n, o.attrs(n).Policy.Alg.Aead, nonce, aad, ct)
}
func (o softOps) AeadEncrypt(n string, nonce, aad, pt []byte) ([]byte, error) {
	return o.p.AeadEncrypt(context.Background(), o.c, n, o.attrs(n).Policy.Alg.Aead, nonce, aad, pt)
}
func (o softOps) ExportKey(n string) ([]byte, error) {
	return o.p.ExportKey(context.Background(), o.c, n)
}

func authOf(t *testing.T, s string) parsec.AuthType {
	switch s {
	case "Direct":
		return parsec.AuthDirect
	case "UnixPeerCredentials":
		return parsec.AuthUnixPeerCredentials
	}
	t.Fatalf("authenticator %q", s)
	return 0
}

// TestFixtures migrates each store Parsec 1.1.0 wrote and checks every
// key of its manifest through the software provider.
func TestFixtures(t *testing.T) {
	for _, tc := range []struct {
		name, dir string
		src       Source
	}{
		{"ondisk-direct", "ondisk/direct", Source{Type: "OnDisk", Path: "mappings", Auth: parsec.AuthDirect}},
		{"ondisk-unix-peer", "ondisk/unix-peer", Source{Type: "OnDisk", Path: "mappings", Auth: parsec.AuthUnixPeerCredentials}},
		{"sqlite", "sqlite", Source{Type: "SQLite", Path: "kim/sqlite-key-info-manager.sqlite3", Auth: parsec.AuthUnixPeerCredentials}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyTree(t, filepath.Join(fixtures, tc.dir))
			before := treeHash(t, dir)
			src := tc.src
			src.Path, src.ITSDir = filepath.Join(dir, src.Path), dir
			m, err := manifest.Load(filepath.Join(dir, "manifest.json"))
			if err != nil {
				t.Fatal(err)
			}
			plan, err := Prepare(src, softTarget)
			if err != nil {
				t.Fatal(err)
			}
			if len(plan.Refused) != 0 {
				t.Errorf("refused: %v", plan.Refused)
			}
			if len(plan.Keys) != len(m.Keys) {
				t.Errorf("%d keys planned, the manifest has %d", len(plan.Keys), len(m.Keys))
			}
			store, err := bolt.Open(filepath.Join(t.TempDir(), "parsecd.db"), bolt.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			rec, err := Apply(store, plan, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if rec.Migrated != len(m.Keys) || rec.SHA256 != plan.Hash || len(plan.Hash) != 64 {
				t.Errorf("record %+v", rec)
			}
			if got := treeHash(t, dir); got != before {
				t.Error("the Parsec store changed")
			}
			p, err := soft.New("", provider.Deps{Keys: store})
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range m.Keys {
				o := softOps{p: p, s: store, c: storage.Client{Auth: authOf(t, k.Authenticator), App: k.Application}, t: t}
				a := o.attrs(k.KeyName)
				if int(a.Bits) != k.PSANumeric.Bits {
					t.Errorf("%s/%s: %d bits, the key file says %d", k.Application, k.KeyName, a.Bits, k.PSANumeric.Bits)
				}
				done, errs := manifest.Check(o, k)
				for _, e := range errs {
					t.Errorf("%s %s/%s: %v", k.Authenticator, k.Application, k.KeyName, e)
				}
				if len(done) < 2 && k.AEAD == nil {
					t.Errorf("%s/%s: only %v checked", k.Application, k.KeyName, done)
				}
			}
			for _, d := range m.DestroyedKeys {
				c := storage.Client{Auth: authOf(t, d.Authenticator), App: d.Application}
				if _, err := p.ExportPublicKey(context.Background(), c, d.KeyName); err == nil {
					t.Errorf("destroyed key %s/%s exists", d.Application, d.KeyName)
				}
			}
			// Once: a second run finds the record and writes nothing.
			if _, err := Apply(store, plan, time.Now()); err != ErrDone {
				t.Errorf("second Apply: %v, want ErrDone", err)
			}
			if r, err := Done(store, src); err != nil || r == nil || r.SHA256 != plan.Hash {
				t.Errorf("Done = %+v, %v", r, err)
			}
		})
	}
}

// TestQuirks pins the source quirks the migration handles.
func TestQuirks(t *testing.T) {
	dir := filepath.Join(fixtures, "ondisk/direct")
	plan, err := Prepare(Source{Type: "OnDisk", Path: filepath.Join(dir, "mappings"), ITSDir: dir, Auth: parsec.AuthDirect}, softTarget)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Key{}
	for _, k := range plan.Keys {
		if k.App == "app-a" {
			byName[k.Key] = k
		}
	}
	p384 := byName["ecc-p384-imported-bits0"]
	if p384.Attributes.Bits != 384 || !strings.Contains(p384.Note, "0 bits") {
		t.Errorf("P-384 imported with bits 0: %d bits, note %q", p384.Attributes.Bits, p384.Note)
	}
	for _, n := range []string{"clé-ünïcødé-鍵-🔑", "dir/sub/key with slash"} {
		if _, ok := byName[n]; !ok {
			t.Errorf("key %q not planned", n)
		}
	}
	// OnDisk records no authenticator: the configured one owns the keys.
	plan, err = Prepare(Source{Type: "OnDisk", Path: filepath.Join(dir, "mappings"), ITSDir: dir, Auth: parsec.AuthUnixPeerCredentials}, softTarget)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range plan.Keys {
		if k.Auth != parsec.AuthUnixPeerCredentials {
			t.Fatalf("%v", k.KeyTriple)
		}
	}
	// SQLite: one store, both authenticators; key id 0x11 was app-b's
	// destroyed key in the Direct run and is uid 0's ecc-p256-sign now.
	sdir := filepath.Join(fixtures, "sqlite")
	plan, err = Prepare(Source{Type: "SQLite", Path: filepath.Join(sdir, "kim/sqlite-key-info-manager.sqlite3"), ITSDir: sdir}, softTarget)
	if err != nil {
		t.Fatal(err)
	}
	auths := map[parsec.AuthType]int{}
	for _, k := range plan.Keys {
		auths[k.Auth]++
	}
	if auths[parsec.AuthDirect] != 13 || auths[parsec.AuthUnixPeerCredentials] != 13 {
		t.Errorf("keys per authenticator %v", auths)
	}
}
