// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package e2e

// The in-guest suite of the qemu/ test image (make test-qemu, make
// test-qemu-ota). These tests drive the parsecd that the image's /init
// started through rootfs/'s init script: user parsec, Unix peer
// credentials, every provider of rootfs/usr/share/parsec/config-qemu.toml
// (software, PKCS#11 on SoftHSM2, TPM on QEMU's TIS device and swtpm).
// They need that image: without PARSEC_GUEST_ENDPOINT (set by the guest's
// /init) they skip, and the image's /init fails on any skip.

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	bbolt "go.etcd.io/bbolt"

	"github.com/parsecd/parsecd/src/client"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

// guestEnv is what the guest's /init tells the tests.
type guestEnv struct {
	d         *Daemon  // a handle on the running daemon (not started by the test)
	providers []string // configured providers, in order: Software, Pkcs11, Tpm
	init      string   // rootfs/'s init script
	store     string   // parsecd's bbolt key store
	log       string   // parsecd's log file
	state     string   // the OTA scenario's records, on the data disk
}

// guestProviderIDs maps the names in PARSEC_GUEST_PROVIDERS to wire ids.
var guestProviderIDs = map[string]parsec.ProviderID{
	"Software": parsec.ProviderMbedCrypto,
	"Pkcs11":   parsec.ProviderPkcs11,
	"Tpm":      parsec.ProviderTpm,
}

// guestUsers are the two client users (no /etc/passwd entry is needed).
var guestUsers = []uint32{1001, 1002}

func guest(t *testing.T) guestEnv {
	t.Helper()
	ep := os.Getenv("PARSEC_GUEST_ENDPOINT")
	if ep == "" {
		t.Skip("runs only inside the qemu/ test image (make test-qemu): PARSEC_GUEST_ENDPOINT is unset")
	}
	g := guestEnv{
		d:     &Daemon{t: t, Socket: strings.TrimPrefix(ep, "unix:")},
		init:  os.Getenv("PARSEC_GUEST_INIT"),
		store: os.Getenv("PARSEC_GUEST_STORE"),
		log:   os.Getenv("PARSEC_GUEST_LOG"),
		state: os.Getenv("PARSEC_GUEST_STATE"),
	}
	for _, p := range strings.Split(os.Getenv("PARSEC_GUEST_PROVIDERS"), ",") {
		if _, ok := guestProviderIDs[p]; !ok {
			t.Fatalf("PARSEC_GUEST_PROVIDERS names unknown provider %q", p)
		}
		g.providers = append(g.providers, p)
	}
	return g
}

// client is a Unix-peer-credentials client (uid 0) of provider p.
func (g guestEnv) client(p string) *client.Client {
	return g.d.Client(client.WithAuth(client.UnixPeerCredentialsAuth()), client.WithProvider(guestProviderIDs[p]))
}

// service runs the init script with action and returns its output and status.
func (g guestEnv) service(t *testing.T, action string) (string, error) {
	t.Helper()
	out, err := exec.Command(g.init, action).CombinedOutput()
	return string(out), err
}

// pid is parsecd's pid from the init script's pidfile.
func (g guestEnv) pid(t *testing.T) int {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(filepath.Dir(g.d.Socket), "parsecd.pid"))
	opsOK(t, err, "reading parsecd's pidfile")
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	opsOK(t, err, "parsing parsecd's pidfile")
	return pid
}

var (
	guestAlg   = opsSign(psa.SignEcdsa, psa.HashSHA256)
	guestAttrs = opsSignAttrs(opsECCPair, 256, opsSignUsage, guestAlg)
)

// signCheck signs digest with key on c, checks the signature with pub in
// Go and on the provider, and checks that a flipped one fails there.
func guestSignCheck(t *testing.T, c *client.Client, key string, pub *ecdsa.PublicKey, digest []byte) {
	t.Helper()
	ctx := t.Context()
	sig, err := c.SignHash(ctx, key, guestAlg, digest)
	opsOK(t, err, "SignHash "+key)
	if !opsVerifyECDSA(pub, digest, sig) {
		t.Errorf("signature of %s does not verify with its public key in Go", key)
	}
	opsOK(t, c.VerifyHash(ctx, key, guestAlg, digest, sig), "VerifyHash "+key)
	opsExpect(t, c.VerifyHash(ctx, key, guestAlg, digest, opsFlip(sig, 7)), status.PsaErrorInvalidSignature, "VerifyHash of a flipped signature with "+key)
}

// TestGuestDaemonUser: parsecd runs as user parsec, with the TPM group, and
// its directories and store have the modes of rootfs/'s tmpfiles.d.
func TestGuestDaemonUser(t *testing.T) {
	g := guest(t)
	ids := func(file, name string) (uid, gid string) {
		raw, err := os.ReadFile(file)
		opsOK(t, err, "reading "+file)
		for _, l := range strings.Split(string(raw), "\n") {
			if f := strings.Split(l, ":"); len(f) > 3 && f[0] == name {
				return f[2], f[3]
			}
		}
		t.Fatalf("%s has no entry %q", file, name)
		return "", ""
	}
	uid, gid := ids("/etc/passwd", "parsec")
	tss, _ := ids("/etc/group", "tss")
	proc, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", g.pid(t)))
	opsOK(t, err, "reading parsecd's /proc status")
	fields := map[string][]string{}
	for _, l := range strings.Split(string(proc), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok {
			fields[k] = strings.Fields(v)
		}
	}
	if fields["Name"][0] != "parsecd" {
		t.Errorf("the pidfile names %q, not parsecd", fields["Name"])
	}
	if want := []string{uid, uid, uid, uid}; !slices.Equal(fields["Uid"], want) {
		t.Errorf("parsecd runs with uids %q, want parsec's %q", fields["Uid"], want)
	}
	if fields["Gid"][0] != gid || !slices.Contains(fields["Groups"], tss) {
		t.Errorf("parsecd has gid %q and groups %q; want gid %s and group tss (%s)", fields["Gid"], fields["Groups"], gid, tss)
	}
	for path, want := range map[string]os.FileMode{filepath.Dir(g.store): os.ModeDir | 0o700, g.store: 0o600, filepath.Dir(g.d.Socket): os.ModeDir | 0o755} {
		fi, err := os.Stat(path)
		opsOK(t, err, "stat "+path)
		if fi.Mode() != want {
			t.Errorf("%s has mode %v, want %v", path, fi.Mode(), want)
		}
	}
}

// TestGuestProviders: exactly the configured providers answer, each one
// generates, lists, signs, verifies, exports and destroys a P-256 key.
func TestGuestProviders(t *testing.T) {
	g := guest(t)
	ctx := t.Context()
	infos, err := g.client("Software").ListProviders(ctx)
	opsOK(t, err, "ListProviders")
	var got, want []parsec.ProviderID
	for _, p := range infos {
		if p.ID != parsec.ProviderCore {
			got = append(got, p.ID)
		}
	}
	for _, p := range g.providers {
		want = append(want, guestProviderIDs[p])
	}
	if !slices.Equal(got, want) {
		t.Fatalf("ListProviders = %v, want %v (%s) then the core", got, want, g.providers)
	}
	for _, p := range g.providers {
		t.Run(p, func(t *testing.T) {
			c, key := g.client(p), "guest-"+p
			opsOK(t, c.GenerateKey(ctx, key, guestAttrs), "GenerateKey")
			keys, err := c.ListKeys(ctx)
			opsOK(t, err, "ListKeys")
			if !slices.ContainsFunc(keys, func(k client.KeyInfo) bool { return k.Name == key && k.Provider == guestProviderIDs[p] }) {
				t.Errorf("ListKeys lacks %s on %s: %v", key, p, keys)
			}
			digest := sha256.Sum256([]byte("guest " + p))
			guestSignCheck(t, c, key, opsECPublic(t, c, key, elliptic.P256()), digest[:])
			opsOK(t, c.DestroyKey(ctx, key), "DestroyKey")
			_, err = c.ExportPublicKey(ctx, key)
			opsExpect(t, err, status.PsaErrorDoesNotExist, "ExportPublicKey after DestroyKey")
		})
	}
}

// TestGuestCrossProvider: a signature made by each provider verifies on
// every other one, with the signer's public key imported there.
func TestGuestCrossProvider(t *testing.T) {
	g := guest(t)
	ctx := t.Context()
	pubAttrs := opsSignAttrs(opsECCPub, 256, psa.UsageVerifyHash|psa.UsageVerifyMessage, guestAlg)
	digest := sha256.Sum256([]byte("across providers"))
	for _, a := range g.providers {
		ca, key := g.client(a), "cross-"+a
		opsOK(t, ca.GenerateKey(ctx, key, guestAttrs), a+" GenerateKey")
		sig, err := ca.SignHash(ctx, key, guestAlg, digest[:])
		opsOK(t, err, a+" SignHash")
		pub, err := ca.ExportPublicKey(ctx, key)
		opsOK(t, err, a+" ExportPublicKey")
		for _, b := range g.providers {
			if b == a {
				continue
			}
			cb, imported := g.client(b), "cross-from-"+a
			opsOK(t, cb.ImportKey(ctx, imported, pubAttrs, pub), fmt.Sprintf("%s imports %s's public key", b, a))
			opsOK(t, cb.VerifyHash(ctx, imported, guestAlg, digest[:], sig), fmt.Sprintf("%s verifies %s's signature", b, a))
			opsExpect(t, cb.VerifyHash(ctx, imported, guestAlg, digest[:], opsFlip(sig, 3)), status.PsaErrorInvalidSignature,
				fmt.Sprintf("%s verifies a flipped signature of %s", b, a))
			opsOK(t, cb.DestroyKey(ctx, imported), b+" DestroyKey "+imported)
		}
		opsOK(t, ca.DestroyKey(ctx, key), a+" DestroyKey")
	}
}

// guestToolPub creates (when create) and exports uid's key with parsec-tool.
func guestToolPub(t *testing.T, d *Daemon, uid uint32, key string, create bool) *ecdsa.PublicKey {
	t.Helper()
	if create {
		isoMustTool(t, d, uid, "create-ecc-key", "-k", key)
	}
	return isoToolPub(t, d, uid, key)
}

// guestToolVerify signs msg as uid with parsec-tool and checks it with pub.
func guestToolVerify(t *testing.T, d *Daemon, uid uint32, key, msg string, pub *ecdsa.PublicKey) bool {
	t.Helper()
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(isoMustTool(t, d, uid, "sign", "-k", key, msg)))
	opsOK(t, err, "base64 of parsec-tool sign")
	digest := sha256.Sum256([]byte(msg))
	return ecdsa.VerifyASN1(pub, digest[:], sig)
}

// TestGuestUnixUsers: two client users of the deployed daemon (socket
// directory 0755, parsecd not root) have separate keys under one name.
func TestGuestUnixUsers(t *testing.T) {
	g := guest(t)
	a, b := guestUsers[0], guestUsers[1]
	pa, pb := guestToolPub(t, g.d, a, "same", true), guestToolPub(t, g.d, b, "same", true)
	if pa.Equal(pb) {
		t.Errorf("uids %d and %d share the key \"same\"", a, b)
	}
	only := fmt.Sprintf("only%d", a)
	po := guestToolPub(t, g.d, a, only, true)
	if !guestToolVerify(t, g.d, a, "same", "hello", pa) || guestToolVerify(t, g.d, b, "same", "hello", pa) {
		t.Errorf("uid %d's signature must verify with uid %d's key only", a, a)
	}
	if got := cliListKeys(t, g.d, b); len(got) != 1 || !strings.HasPrefix(got[0], "* same ") {
		t.Errorf("list-keys as uid %d = %q, want its key \"same\" only", b, got)
	}
	cliFailTool(t, g.d, b, []string{"(ParsecClientError(Client(NotFound)))"}, "sign", "-k", only, "hello")
	cliFailTool(t, g.d, b, []string{"(ParsecClientError(Service(PsaErrorDoesNotExist)))"}, "delete-key", "-k", only)
	if !guestToolVerify(t, g.d, a, only, "still mine", po) {
		t.Errorf("uid %d's %s changed after uid %d's attempts", a, only, b)
	}
	clients, err := g.client("Software").ListClients(t.Context())
	opsOK(t, err, "ListClients as admin uid 0")
	for _, uid := range guestUsers {
		if !slices.Contains(clients, fmt.Sprint(uid)) {
			t.Errorf("ListClients = %q lacks %d", clients, uid)
		}
	}
	for _, uid := range guestUsers {
		isoMustTool(t, g.d, uid, "delete-key", "-k", "same")
	}
	isoMustTool(t, g.d, a, "delete-key", "-k", only)
}

// TestGuestRestart: keys of every provider and of a client user survive
// stopping parsecd and starting it again, and still sign.
func TestGuestRestart(t *testing.T) {
	g := guest(t)
	ctx := t.Context()
	pubs := map[string]*ecdsa.PublicKey{}
	for _, p := range g.providers {
		c := g.client(p)
		opsOK(t, c.GenerateKey(ctx, "restart-"+p, guestAttrs), p+" GenerateKey")
		pubs[p] = opsECPublic(t, c, "restart-"+p, elliptic.P256())
	}
	user := guestUsers[0]
	upub := guestToolPub(t, g.d, user, "restart-user", true)

	before := g.pid(t)
	if out, err := g.service(t, "restart"); err != nil {
		t.Fatalf("init script restart: %v\n%s", err, out)
	}
	if after := g.pid(t); after == before {
		t.Fatalf("parsecd still has pid %d after the restart", after)
	}

	for _, p := range g.providers {
		c := g.client(p)
		if !opsECPublic(t, c, "restart-"+p, elliptic.P256()).Equal(pubs[p]) {
			t.Errorf("%s: restart-%s has another public key after the restart", p, p)
		}
		digest := sha256.Sum256([]byte("after restart"))
		guestSignCheck(t, c, "restart-"+p, pubs[p], digest[:])
		opsOK(t, c.DestroyKey(ctx, "restart-"+p), p+" DestroyKey")
	}
	if !guestToolVerify(t, g.d, user, "restart-user", "after restart", upub) {
		t.Errorf("uid %d's key signs with another key after the restart", user)
	}
	isoMustTool(t, g.d, user, "delete-key", "-k", "restart-user")
}

// guestSchema reads the store's schema version and the otatest migration
// mark (storage/bolt/migrate_otatest.go) while parsecd is stopped.
func guestSchema(t *testing.T, path string) (uint32, string) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	opsOK(t, err, "opening the key store read-only")
	defer db.Close()
	var v uint32
	var mark string
	opsOK(t, db.View(func(tx *bbolt.Tx) error {
		meta := tx.Bucket([]byte("meta"))
		if meta == nil {
			return fmt.Errorf("no meta bucket")
		}
		if raw := meta.Get([]byte("schema_version")); len(raw) == 4 {
			v = binary.BigEndian.Uint32(raw)
		}
		mark = string(meta.Get([]byte("otatest_migrated")))
		return nil
	}), "reading the store's meta bucket")
	return v, mark
}

func guestFileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	opsOK(t, err, "reading "+path)
	return sha256.Sum256(raw)
}

// guestOTAKeys makes a key named prefix-<provider> on every provider and
// records its public key on the data disk.
func guestOTAKeys(t *testing.T, g guestEnv, prefix string) {
	t.Helper()
	for _, p := range g.providers {
		c := g.client(p)
		opsOK(t, c.GenerateKey(t.Context(), prefix+"-"+p, guestAttrs), p+" GenerateKey "+prefix)
		pub, err := c.ExportPublicKey(t.Context(), prefix+"-"+p)
		opsOK(t, err, p+" ExportPublicKey")
		opsOK(t, os.WriteFile(filepath.Join(g.state, prefix+"-"+p+".pub"), []byte(hex.EncodeToString(pub)), 0o600), "recording "+prefix)
	}
}

// guestOTACheck checks the keys prefix-<provider>: listed and signing for
// their recorded public key when present, absent from ListKeys otherwise.
func guestOTACheck(t *testing.T, g guestEnv, prefix, when string, present bool) {
	t.Helper()
	for _, p := range g.providers {
		c, name := g.client(p), prefix+"-"+p
		keys, err := c.ListKeys(t.Context())
		opsOK(t, err, "ListKeys")
		listed := slices.ContainsFunc(keys, func(k client.KeyInfo) bool { return k.Name == name && k.Provider == guestProviderIDs[p] })
		if listed != present {
			t.Errorf("%s: %s listed = %v, want %v", when, name, listed, present)
			continue
		}
		if !present {
			continue
		}
		rec, err := os.ReadFile(filepath.Join(g.state, name+".pub"))
		opsOK(t, err, "reading the recorded key "+name)
		want, err := hex.DecodeString(string(rec))
		opsOK(t, err, "decoding the recorded key "+name)
		recorded, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), want)
		opsOK(t, err, "parsing the recorded key "+name)
		pub := opsECPublic(t, c, name, elliptic.P256())
		if !pub.Equal(recorded) {
			t.Errorf("%s: %s has another public key", when, name)
		}
		digest := sha256.Sum256([]byte(when))
		guestSignCheck(t, c, name, pub, digest[:])
	}
}

// guestLogHas requires parsecd's log to hold want.
func guestLogHas(t *testing.T, g guestEnv, want string) {
	t.Helper()
	logs, err := os.ReadFile(g.log)
	opsOK(t, err, "reading parsecd's log")
	if i := strings.Index(string(logs), want); i < 0 {
		t.Errorf("parsecd's log lacks %q:\n%s", want, logs)
	} else {
		line := string(logs)[strings.LastIndexByte(string(logs[:i]), '\n')+1:]
		t.Logf("parsecd: %s", strings.SplitN(line, "\n", 2)[0])
	}
}

// TestGuestOTA is one boot of the OTA scenario (PARSEC_GUEST_OTA), on one
// data disk (docs/ota.md):
//   - create (image N): keys "ota" on every provider and of a client user;
//     their public keys are recorded on the data disk; a key store the real
//     Parsec wrote is put at Parsec's default paths (guest_migrate_test.go);
//   - (image N+1 then loses power in the middle of its migration: qemu/ota.sh)
//   - afterpowercut (image N): every key is there, the store is still N's;
//   - verify (image N+1, store schema 2 through a step N cannot read): every
//     key is listed and signs for its recorded public key, the store was
//     migrated and a rollback snapshot kept; keys "n1" are made; parsecd
//     with Parsec's own config migrates Parsec's store and serves its keys;
//   - rollback (image N again): it serves the snapshot: the "ota" keys
//     sign, the "n1" keys are reported in the log, not listed; keys "rb"
//     are made; the updated store is left byte for byte as it was;
//   - reverify (image N+1 again): "ota", "n1" and "rb" keys all sign (what
//     N made is merged); parsecd commit-update, beside the running daemon,
//     ends the rollback window; with Parsec's config, Parsec's keys are
//     served without a second migration (a reboot does not migrate twice);
//   - committed (image N after the commit): it refuses the store with a
//     clear error and leaves it as it was.
func TestGuestOTA(t *testing.T) {
	g := guest(t)
	version, err := exec.Command(parsecdBin, "--version").Output()
	opsOK(t, err, "parsecd --version")
	if want := os.Getenv("PARSEC_GUEST_VERSION"); !strings.Contains(string(version), " "+want+" ") {
		t.Fatalf("parsecd --version = %q, want version %s", version, want)
	}
	record := func(name string) string { return filepath.Join(g.state, name) }
	snapshot := g.store + ".rollback-v1"
	user := guestUsers[0]
	userKey := func(when string) {
		t.Helper()
		rec, err := os.ReadFile(record("user.pem"))
		opsOK(t, err, "reading the user's recorded key")
		b, _ := pem.Decode(rec)
		if b == nil {
			t.Fatalf("the user's recorded key is not PEM")
		}
		upub, err := x509.ParsePKIXPublicKey(b.Bytes)
		opsOK(t, err, "parsing the user's recorded key")
		if !guestToolVerify(t, g.d, user, "ota-user", when, upub.(*ecdsa.PublicKey)) {
			t.Errorf("uid %d's ota-user signs with another key %s", user, when)
		}
	}
	stop := func() {
		t.Helper()
		if out, err := g.service(t, "stop"); err != nil {
			t.Fatalf("init script stop: %v\n%s", err, out)
		}
	}
	switch phase := os.Getenv("PARSEC_GUEST_OTA"); phase {
	case "create":
		guestOTAKeys(t, g, "ota")
		der, err := x509.MarshalPKIXPublicKey(guestToolPub(t, g.d, user, "ota-user", true))
		opsOK(t, err, "MarshalPKIXPublicKey")
		opsOK(t, os.WriteFile(record("user.pem"), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600), "recording the user's key")
		opsOK(t, os.WriteFile(record("providers"), []byte(strings.Join(g.providers, ",")), 0o600), "recording the providers")
		guestParsecCreate(t, record)

	case "verify":
		raw, err := os.ReadFile(record("providers"))
		opsOK(t, err, "reading the providers image N had")
		if string(raw) != strings.Join(g.providers, ",") {
			t.Fatalf("image N had providers %s, image N+1 has %s", raw, strings.Join(g.providers, ","))
		}
		guestOTACheck(t, g, "ota", "after the update", true)
		userKey("after the update")
		guestLogHas(t, g, "migrated from schema version 1 to 2")
		guestOTAKeys(t, g, "n1")
		guestParsecVerify(t, record, true)
		stop()
		if v, mark := guestSchema(t, g.store); v != 2 || mark != "1->2" {
			t.Errorf("after the update the store has schema %d and migration mark %q; want 2 and \"1->2\"", v, mark)
		}
		if v, _ := guestSchema(t, snapshot); v != 1 {
			t.Errorf("the rollback snapshot has schema %d, want 1", v)
		}

	case "rollback":
		guestOTACheck(t, g, "ota", "after the rollback", true)
		guestOTACheck(t, g, "n1", "after the rollback", false)
		userKey("after the rollback")
		guestLogHas(t, g, "serving its rollback snapshot")
		guestLogHas(t, g, fmt.Sprintf("%d key(s) made since the update", len(g.providers)))
		guestOTAKeys(t, g, "rb")
		stop()
		if v, _ := guestSchema(t, g.store); v != 2 {
			t.Errorf("the updated store has schema %d after the rollback, want 2", v)
		}

	case "reverify":
		for _, prefix := range []string{"ota", "n1", "rb"} {
			guestOTACheck(t, g, prefix, "after the update came back", true)
		}
		userKey("after the update came back")
		guestLogHas(t, g, fmt.Sprintf("%d key(s) it made added", len(g.providers)))
		out, err := exec.Command(parsecdBin, "commit-update", "-c", "/etc/parsec/config.toml").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "removed the rollback snapshot "+snapshot) {
			t.Errorf("parsecd commit-update: %v\n%s", err, out)
		}
		if _, err := os.Stat(snapshot); !os.IsNotExist(err) {
			t.Errorf("the rollback snapshot is still there after the commit: %v", err)
		}
		guestOTACheck(t, g, "rb", "after the commit", true)
		guestParsecVerify(t, record, false)
		stop()

	case "afterpowercut":
		// The power went in the middle of N+1's migration: the store is
		// still N's, every key is there.
		guestOTACheck(t, g, "ota", "after a power cut during the update", true)
		userKey("after a power cut during the update")
		stop()
		if v, mark := guestSchema(t, g.store); v != 1 || mark != "" {
			t.Errorf("after the power cut the store has schema %d and migration mark %q; want 1 and none", v, mark)
		}

	case "committed":
		before := guestFileSum(t, g.store)
		out, err := g.service(t, "start")
		if err == nil {
			t.Errorf("image N started on a committed schema 2 store: %s", out)
		}
		guestLogHas(t, g, "schema version 2 is newer than this parsecd understands (1); refusing to open it to avoid damage")
		guestLogHas(t, g, "the update was committed")
		if out, err := g.service(t, "status"); err == nil {
			t.Errorf("parsecd runs after refusing the store: %s", out)
		}
		if guestFileSum(t, g.store) != before {
			t.Errorf("the refused start changed the key store")
		}

	default:
		t.Fatalf("PARSEC_GUEST_OTA = %q, want create, afterpowercut, verify, rollback, reverify or committed", phase)
	}
}
