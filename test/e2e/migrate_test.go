// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package e2e

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/parsecd/parsecd/src/client"
	"github.com/parsecd/parsecd/src/migrate/manifest"
	"github.com/parsecd/parsecd/src/psa"
)

// The stores the real Parsec 1.1.0 service wrote (see the README there).
var parsecFixtures = filepath.Join("..", "..", "src", "migrate", "testdata", "parsec-1.1.0")

// copyParsecStore copies a fixture store to dir and makes it read-only:
// parsecd must never write to Parsec's files.
func copyParsecStore(t *testing.T, from, dir string) {
	t.Helper()
	if err := manifest.CopyStore(from, dir); err != nil {
		t.Fatal(err)
	}
}

func chownTree(t *testing.T, root string, uid int) {
	t.Helper()
	err := filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, uid)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func hashTree(t *testing.T, root string) string {
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

// parsecConfig is Parsec's own config of the fixture run, with only the
// paths of this machine put in (as the fixture README says to run Parsec
// on a copy) and Parsec's working directory named.
func parsecConfig(t *testing.T, file, storeDir, socket string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, " = ")
		switch {
		case ok && k == "socket_path":
			line = k + " = " + `"` + socket + `"`
		case ok && (k == "store_path" || k == "sqlite_db_path"):
			v = strings.Trim(v, `"`)
			rel := v[strings.Index(v, "/mappings")+1:]
			if k == "sqlite_db_path" {
				rel = v[strings.Index(v, "/kim/")+1:]
			}
			line = k + " = " + `"` + filepath.Join(storeDir, rel) + `"` + "\nparsec_working_dir = " + `"` + storeDir + `"`
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// clientOps checks keys through the daemon.
type clientOps struct {
	t *testing.T
	c *client.Client
}

func (o clientOps) attrs(name string) psa.KeyAttributes {
	ks, err := o.c.ListKeys(context.Background())
	if err != nil {
		o.t.Fatal(err)
	}
	for _, k := range ks {
		if k.Name == name {
			return k.Attributes
		}
	}
	o.t.Fatalf("key %q not listed", name)
	return psa.KeyAttributes{}
}

var bg = context.Background()

func (o clientOps) ExportPublicKey(n string) ([]byte, error) { return o.c.ExportPublicKey(bg, n) }
func (o clientOps) ExportKey(n string) ([]byte, error)       { return o.c.ExportKey(bg, n) }
func (o clientOps) SignHash(n string, h []byte) ([]byte, error) {
	return o.c.SignHash(bg, n, o.attrs(n).Policy.Alg.Sign, h)
}
func (o clientOps) VerifyHash(n string, h, s []byte) error {
	return o.c.VerifyHash(bg, n, o.attrs(n).Policy.Alg.Sign, h, s)
}
func (o clientOps) AsymmetricDecrypt(n string, ct []byte) ([]byte, error) {
	return o.c.AsymmetricDecrypt(bg, n, o.attrs(n).Policy.Alg.Encrypt, ct, nil)
}
func (o clientOps) AeadDecrypt(n string, nonce, aad, ct []byte) ([]byte, error) {
	return o.c.AeadDecrypt(bg, n, o.attrs(n).Policy.Alg.Aead, nonce, aad, ct)
}
func (o clientOps) AeadEncrypt(n string, nonce, aad, pt []byte) ([]byte, error) {
	return o.c.AeadEncrypt(bg, n, o.attrs(n).Policy.Alg.Aead, nonce, aad, pt)
}

// checkManifest runs the manifest's checks for the keys of one
// authenticator and application through the daemon.
func checkManifest(t *testing.T, m *manifest.Manifest, auth, app string, c *client.Client) int {
	t.Helper()
	n := 0
	for _, k := range m.Keys {
		if k.Authenticator != auth || k.Application != app {
			continue
		}
		n++
		o := clientOps{t: t, c: c}
		if a := o.attrs(k.KeyName); int(a.Bits) != k.PSANumeric.Bits {
			t.Errorf("%s/%s: ListKeys says %d bits, Parsec's key file %d", app, k.KeyName, a.Bits, k.PSANumeric.Bits)
		}
		_, errs := manifest.Check(o, k)
		for _, e := range errs {
			t.Errorf("%s %s/%s: %v", auth, app, k.KeyName, e)
		}
	}
	return n
}

// TestMigrateOnDisk: a device running Parsec with the OnDisk KIM (Direct
// apps) gets parsecd with Parsec's config: parsecd migrates at start,
// every key works as the manifest says, Parsec's files are untouched, and
// a restart does not migrate again.
func TestMigrateOnDisk(t *testing.T) {
	d := NewDaemon(t, Options{})
	store := filepath.Join(d.Dir, "parsec")
	copyParsecStore(t, filepath.Join(parsecFixtures, "ondisk", "direct"), store)
	before := hashTree(t, store)
	if err := os.WriteFile(d.Config, []byte(parsecConfig(t, filepath.Join(store, "config.toml"), store, d.Socket)), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Load(filepath.Join(store, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}

	// The dry run prints the plan, key by key, and writes nothing.
	out, err := exec.Command(parsecdBin, "migrate", "-c", d.Config, "--dry-run").CombinedOutput()
	if err != nil {
		t.Fatalf("migrate --dry-run: %v\n%s", err, out)
	}
	for _, want := range []string{`"ecc-p384-imported-bits0"`, `"dir/sub/key with slash"`, `"clé-ünïcødé-鍵-🔑"`, "13 keys migrate, 0 refused", "dry run"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("dry run output lacks %q:\n%s", want, out)
		}
	}
	db := filepath.Join(store, "parsecd-keys.db")
	if _, err := os.Stat(db); err == nil {
		t.Fatal("the dry run made the bbolt store")
	}

	d.Start()
	if !strings.Contains(d.Logs(), "migrated Parsec's key store") {
		t.Errorf("no migration logged:\n%s", d.Logs())
	}
	total := 0
	for _, app := range []string{"app-a", "app-b"} {
		total += checkManifest(t, m, "Direct", app, d.Direct(app))
	}
	if total != len(m.Keys) {
		t.Errorf("checked %d keys, the manifest has %d", total, len(m.Keys))
	}
	// Destroyed keys stay destroyed.
	for _, k := range m.DestroyedKeys {
		if _, err := d.Direct(k.Application).ExportPublicKey(bg, k.KeyName); err == nil {
			t.Errorf("destroyed key %s/%s exists", k.Application, k.KeyName)
		}
	}
	// A key made after the migration survives the restart.
	c := d.Direct("app-a")
	if err := c.GenerateKey(bg, "made-by-parsecd", psa.KeyAttributes{Type: psa.KeyType{Kind: psa.KeyEccPair, EccFamily: psa.EccSecpR1}, Bits: 256,
		Policy: psa.KeyPolicy{Usage: psa.UsageSignHash | psa.UsageVerifyHash, Alg: psa.Algorithm{Kind: psa.AlgAsymSign, Sign: psa.AsymSign{Kind: psa.SignEcdsa, Hash: psa.HashSHA256}}}}); err != nil {
		t.Fatal(err)
	}
	if err := c.DestroyKey(bg, "ecc-p256-exportable"); err != nil {
		t.Fatal(err)
	}
	d.Stop()

	d.Start()
	if strings.Contains(d.Logs(), "migrated Parsec's key store") {
		t.Errorf("migrated a second time:\n%s", d.Logs())
	}
	c = d.Direct("app-a")
	if _, err := c.ExportPublicKey(bg, "made-by-parsecd"); err != nil {
		t.Errorf("key made after the migration: %v", err)
	}
	if _, err := c.ExportPublicKey(bg, "ecc-p256-exportable"); err == nil {
		t.Error("a key destroyed in parsecd came back from the Parsec store")
	}
	checkManifest(t, m, "Direct", "app-b", d.Direct("app-b"))
	d.Stop()

	// Parsec's files are exactly as Parsec left them (but for the bbolt
	// store parsecd put next to them, by default).
	if err := os.Remove(db); err != nil {
		t.Fatal(err)
	}
	if got := hashTree(t, store); got != before {
		t.Error("Parsec's store changed")
	}
	// Run as root on a store another user owns (the daemon's user), the
	// new bbolt store goes to that user.
	if os.Geteuid() == 0 {
		chownTree(t, store, 4242)
	}
	out, err = exec.Command(parsecdBin, "migrate", "-c", d.Config).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "migrated 13 keys") {
		t.Errorf("parsecd migrate: %v\n%s", err, out)
	}
	if fi, err := os.Stat(db); err != nil {
		t.Error(err)
	} else if uid := fi.Sys().(*syscall.Stat_t).Uid; os.Geteuid() == 0 && uid != 4242 {
		t.Errorf("the bbolt store parsecd migrate made belongs to uid %d, not to the Parsec store's owner 4242", uid)
	}
	out, err = exec.Command(parsecdBin, "migrate", "-c", d.Config).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "nothing to do") {
		t.Errorf("parsecd migrate, twice: %v\n%s", err, out)
	}
}

// TestMigrateSQLite: Parsec's SQLite store, UnixPeerCredentials: uid 0's
// keys through the Go client, uid 1000's through parsec-tool run as 1000.
func TestMigrateSQLite(t *testing.T) {
	RequireRoot(t, "serving the keys of uids 0 and 1000")
	d := NewDaemon(t, Options{})
	// t.TempDir's per-test parent is 0700: uid 1000 must reach the socket.
	_ = os.Chmod(filepath.Dir(d.Dir), 0o755)
	store := filepath.Join(d.Dir, "parsec")
	copyParsecStore(t, filepath.Join(parsecFixtures, "sqlite"), store)
	before := hashTree(t, store)
	if err := os.WriteFile(d.Config, []byte(parsecConfig(t, filepath.Join(store, "config-unix-peer.toml"), store, d.Socket)), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Load(filepath.Join(store, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	d.Start()
	if n := checkManifest(t, m, "UnixPeerCredentials", "0", d.Client(client.WithAuth(client.UnixPeerCredentialsAuth()))); n != 11 {
		t.Errorf("uid 0: %d keys checked", n)
	}
	for _, k := range m.Keys {
		if k.Application != "1000" {
			continue
		}
		out, errOut, code := d.Tool(1000, "export-public-key", "--key-name", k.KeyName)
		if code != 0 {
			t.Errorf("uid 1000 %s: %s", k.KeyName, errOut)
			continue
		}
		blk, _ := pem.Decode([]byte(out))
		if blk == nil {
			t.Errorf("uid 1000 %s: no PEM in %q", k.KeyName, out)
			continue
		}
		got, err := x509.ParsePKIXPublicKey(blk.Bytes)
		want, werr := manifest.PublicKey(k.ExportedPublic)
		if err != nil || werr != nil || !got.(interface{ Equal(crypto.PublicKey) bool }).Equal(want) {
			t.Errorf("uid 1000 %s: public key differs from Parsec's (%v)", k.KeyName, err)
		}
	}
	d.Stop()
	if err := os.Remove(filepath.Join(store, "kim", "parsecd-keys.db")); err != nil {
		t.Fatal(err)
	}
	if hashTree(t, store) != before {
		t.Error("Parsec's store changed")
	}
}

// The layer's configuration for images that replace Parsec is valid for
// the default build.
func TestMigrateLayerConfig(t *testing.T) {
	cfg := filepath.Join(repoRoot, "meta-parsec", "recipes-parsec", "parsec-service", "files", "config-from-parsec.toml")
	out, err := exec.Command(parsecdBin, "--check-config", "-c", cfg).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "configuration is valid") {
		t.Errorf("parsecd --check-config %s: %v\n%s", cfg, err, out)
	}
}

// A Parsec store that cannot be read as a whole stops the start-up with a
// message that says why, rather than serving without its keys: here an
// SQLite transaction Parsec did not finish (a hot journal).
func TestMigrateUnreadableStore(t *testing.T) {
	d := NewDaemon(t, Options{})
	store := filepath.Join(d.Dir, "parsec")
	copyParsecStore(t, filepath.Join(parsecFixtures, "sqlite"), store)
	if err := os.WriteFile(d.Config, []byte(parsecConfig(t, filepath.Join(store, "config-direct.toml"), store, d.Socket)), 0o644); err != nil {
		t.Fatal(err)
	}
	journal := filepath.Join(store, "kim", "sqlite-key-info-manager.sqlite3-journal")
	if err := os.Chmod(filepath.Dir(journal), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(journal, []byte("an unfinished transaction"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := d.TryStart(); err == nil {
		t.Fatal("parsecd started on a Parsec store it cannot read")
	}
	if logs := d.Logs(); !strings.Contains(logs, "sqlite-key-info-manager.sqlite3-journal exists") || !strings.Contains(logs, "start Parsec once") {
		t.Errorf("the refusal does not say why:\n%s", logs)
	}
	// Nothing was migrated: once SQLite has finished (here: the journal
	// is gone), the next start migrates.
	if err := os.Remove(journal); err != nil {
		t.Fatal(err)
	}
	d.Start()
	if !strings.Contains(d.Logs(), "migrated Parsec's key store") {
		t.Errorf("no migration after the journal was gone:\n%s", d.Logs())
	}
	d.Stop()
}
