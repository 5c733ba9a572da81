// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build pkcs11

package e2e

// libparsec-pkcs11.so (issue 18) driven by the real consumers from Debian
// against the real parsecd on a real socket: pkcs11-tool (opensc), OpenSSL 3
// through libengine-pkcs11-openssl, curl's TLS client authentication, OpenSSH (ssh-keygen -D, ssh -I against
// an sshd of the test's own on 127.0.0.1), p11-kit list-modules with the
// shipped module file, two Unix users, parsec-tool on the same keys, and a
// forked child. make test-p11module builds the module and names it in
// PARSEC_P11_MODULE; without it the test builds one itself.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	p11UserA = 4221 // the two-user check's users
	p11UserB = 4222
)

var (
	p11Once   sync.Once
	p11Module string
	p11Err    error
)

// p11ModulePath is the module under test: PARSEC_P11_MODULE, or one built
// here into a directory other users can read.
func p11ModulePath(t *testing.T) string {
	t.Helper()
	p11Once.Do(func() {
		if p := os.Getenv("PARSEC_P11_MODULE"); p != "" {
			p11Module = p
			return
		}
		dir, err := os.MkdirTemp("", "parsecd-e2e-p11module-")
		if err != nil {
			p11Err = err
			return
		}
		_ = os.Chmod(dir, 0o755)
		p11Module = filepath.Join(dir, "libparsec-pkcs11.so")
		cmd := exec.Command("go", "build", "-buildmode=c-shared", "-trimpath", "-o", p11Module, "./src/cmd/libparsec-pkcs11")
		cmd.Dir = repoRoot
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			p11Err = fmt.Errorf("building the module: %v\n%s", err, out)
		}
	})
	if p11Err != nil {
		t.Fatal(p11Err)
	}
	return p11Module
}

// p11Env runs consumers of one daemon as one uid.
type p11Env struct {
	t   *testing.T
	d   *Daemon
	mod string
	dir string // scratch files
}

// run runs a program as uid (0: as the test) with PARSEC_SERVICE_ENDPOINT
// set, and fails the test unless it exits 0.
func (e *p11Env) run(uid uint32, env []string, name string, args ...string) string {
	e.t.Helper()
	out, errOut, err := e.try(uid, env, name, args...)
	if err != nil {
		e.t.Fatalf("%s %s (uid %d): %v\nstdout: %s\nstderr: %s", name, strings.Join(args, " "), uid, err, out, errOut)
	}
	return out
}

func (e *p11Env) try(uid uint32, env []string, name string, args ...string) (string, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = e.dir
	cmd.Env = append(append(os.Environ(), "PARSEC_SERVICE_ENDPOINT="+e.d.Endpoint()), env...)
	if uid != 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

func (e *p11Env) tool(uid uint32, args ...string) string {
	e.t.Helper()
	return e.run(uid, nil, "pkcs11-tool", append([]string{"--module", e.mod}, args...)...)
}

func (e *p11Env) path(name string) string { return filepath.Join(e.dir, name) }

func (e *p11Env) write(name, data string) string {
	e.t.Helper()
	if err := os.WriteFile(e.path(name), []byte(data), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return e.path(name)
}

// p11ID is the CKA_ID the module gives a key: SHA-256 of its name, 16 bytes.
func p11ID(name string) string {
	s := sha256.Sum256([]byte(name))
	return hex.EncodeToString(s[:16])
}

func TestP11Module(t *testing.T) {
	RequireRoot(t, "running the module as other users and an sshd")
	d := cliUnixDaemon(t)
	dir := t.TempDir()
	_ = os.Chmod(filepath.Dir(dir), 0o755)
	_ = os.Chmod(dir, 0o777)
	e := &p11Env{t: t, d: d, mod: p11ModulePath(t), dir: dir}
	data := e.write("data.txt", "signed through libparsec-pkcs11\n")

	t.Run("pkcs11-tool", func(t *testing.T) {
		e.t = t
		info := e.tool(0, "--show-info")
		if !strings.Contains(info, "parsecd PKCS#11 module") || !strings.Contains(info, "Cryptoki version 2.40") {
			t.Errorf("--show-info: %s", info)
		}
		slots := e.tool(0, "--list-slots")
		if !strings.Contains(slots, "token label        : Software provider") || !strings.Contains(slots, "(0x1)") {
			t.Errorf("--list-slots has no token for the software provider (slot 0x1):\n%s", slots)
		}
		mechs := e.tool(0, "--list-mechanisms")
		for _, m := range []string{"ECDSA-SHA256", "RSA-PKCS-PSS", "RSA-PKCS-OAEP", "ECDSA-KEY-PAIR-GEN", "SHA256-RSA-PKCS"} {
			if !strings.Contains(mechs, m) {
				t.Errorf("--list-mechanisms lacks %s:\n%s", m, mechs)
			}
		}
		e.tool(0, "--keypairgen", "--key-type", "EC:prime256v1", "--label", "p11-ec")
		e.tool(0, "--keypairgen", "--key-type", "EC:secp384r1", "--label", "p11-ec384")
		e.tool(0, "--keypairgen", "--key-type", "rsa:2048", "--label", "p11-rsa")
		e.tool(0, "--keypairgen", "--key-type", "rsa:2048", "--label", "p11-pss", "--allowed-mechanisms", "SHA256-RSA-PKCS-PSS,RSA-PKCS-PSS")
		e.tool(0, "--keypairgen", "--key-type", "rsa:2048", "--label", "p11-dec", "--usage-decrypt")
		objs := e.tool(0, "--list-objects")
		for _, name := range []string{"p11-ec", "p11-ec384", "p11-rsa", "p11-pss", "p11-dec"} {
			if !strings.Contains(objs, "label:      "+name+"\n") || !strings.Contains(objs, "ID:         "+p11ID(name)) {
				t.Errorf("--list-objects lacks %s (ID %s):\n%s", name, p11ID(name), objs)
			}
		}
		if !strings.Contains(objs, "EC_PARAMS:  06082a8648ce3d030107") || !strings.Contains(objs, "Access:     sensitive, always sensitive, never extractable") {
			t.Errorf("--list-objects: P-256 parameters or private key access flags missing:\n%s", objs)
		}

		// Each signature verifies with openssl against the public key the
		// module exports (pkcs11-tool --read-object; for P-384 parsec-tool's
		// export: OpenSC 0.23's --read-object cannot build a P-384 EVP_PKEY,
		// while ssh-keygen -D below reads the same attributes).
		for _, c := range []struct{ key, mech, dgst string }{
			{"p11-ec", "ECDSA-SHA256", "-sha256"},
			{"p11-ec384", "ECDSA-SHA384", "-sha384"},
			{"p11-rsa", "SHA256-RSA-PKCS", "-sha256"},
			{"p11-rsa", "SHA512-RSA-PKCS", "-sha512"},
		} {
			pub, form := e.path(c.key+".pub.der"), "DER"
			if c.key == "p11-ec384" {
				pub, form = e.write(c.key+".pem", d.MustTool("export-public-key", "-k", c.key)), "PEM"
			} else {
				e.tool(0, "--read-object", "--type", "pubkey", "--id", p11ID(c.key), "-o", pub)
			}
			sig := e.path(c.key + c.mech + ".sig")
			e.tool(0, "--sign", "--id", p11ID(c.key), "-m", c.mech, "--signature-format", "openssl", "-i", data, "-o", sig)
			out := e.run(0, nil, "openssl", "dgst", c.dgst, "-verify", pub, "-keyform", form, "-signature", sig, data)
			if !strings.Contains(out, "Verified OK") {
				t.Errorf("%s %s: openssl says %q", c.key, c.mech, out)
			}
		}
		// RSA-PSS (the key's one permitted algorithm, from --allowed-mechanisms).
		psig := e.path("pss.sig")
		e.tool(0, "--read-object", "--type", "pubkey", "--id", p11ID("p11-pss"), "-o", e.path("pss.pub.der"))
		e.tool(0, "--sign", "--id", p11ID("p11-pss"), "-m", "SHA256-RSA-PKCS-PSS", "--mgf", "MGF1-SHA256", "--salt-len", "32", "-i", data, "-o", psig)
		out := e.run(0, nil, "openssl", "dgst", "-sha256", "-verify", e.path("pss.pub.der"), "-keyform", "DER",
			"-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32", "-signature", psig, data)
		if !strings.Contains(out, "Verified OK") {
			t.Errorf("PSS: openssl says %q", out)
		}
		// The PKCS#1 v1.5 key refuses PSS: one algorithm per parsecd key.
		if _, errOut, err := e.try(0, nil, "pkcs11-tool", "--module", e.mod, "--sign", "--id", p11ID("p11-rsa"), "-m", "SHA256-RSA-PKCS-PSS",
			"--mgf", "MGF1-SHA256", "--salt-len", "32", "-i", data, "-o", e.path("no.sig")); err == nil || !strings.Contains(errOut, "CKR_KEY_FUNCTION_NOT_PERMITTED") {
			t.Errorf("PSS with a PKCS#1 v1.5 key: err %v, stderr %s", err, errOut)
		}
		// Verification through the module.
		out = e.tool(0, "--verify", "--id", p11ID("p11-ec"), "-m", "ECDSA-SHA256", "--signature-format", "openssl", "-i", data, "--signature-file", e.path("p11-ecECDSA-SHA256.sig"))
		if !strings.Contains(out, "Signature is valid") {
			t.Errorf("--verify: %s", out)
		}
		// Decryption: openssl encrypts to the public key, the module decrypts.
		e.tool(0, "--read-object", "--type", "pubkey", "--id", p11ID("p11-dec"), "-o", e.path("dec.pub.der"))
		secret := e.write("secret.txt", "a session key")
		e.run(0, nil, "openssl", "pkeyutl", "-encrypt", "-pubin", "-keyform", "DER", "-inkey", e.path("dec.pub.der"), "-in", secret, "-out", e.path("secret.enc"))
		e.tool(0, "--decrypt", "--id", p11ID("p11-dec"), "-m", "RSA-PKCS", "-i", e.path("secret.enc"), "-o", e.path("secret.dec"))
		if got, _ := os.ReadFile(e.path("secret.dec")); string(got) != "a session key" {
			t.Errorf("decrypted %q", got)
		}
		// Random bytes and a digest.
		e.tool(0, "--generate-random", "48", "-o", e.path("rand"))
		if b, _ := os.ReadFile(e.path("rand")); len(b) != 48 {
			t.Errorf("--generate-random 48 gave %d bytes", len(b))
		}
		e.tool(0, "--hash", "-m", "SHA256", "-i", data, "-o", e.path("hash"))
		msg, _ := os.ReadFile(data)
		want := sha256.Sum256(msg)
		if got, _ := os.ReadFile(e.path("hash")); !bytes.Equal(got, want[:]) {
			t.Errorf("--hash SHA256 = %x, want %x", got, want)
		}
	})

	t.Run("openssl-engine", func(t *testing.T) {
		e.t = t
		conf := e.write("engine.cnf", "openssl_conf = oc\n[oc]\nengines = es\n[es]\npkcs11 = p11\n[p11]\nengine_id = pkcs11\nMODULE_PATH = "+e.mod+"\ninit = 0\n")
		env := []string{"OPENSSL_CONF=" + conf}
		e.run(0, env, "openssl", "req", "-new", "-engine", "pkcs11", "-keyform", "engine", "-key", "pkcs11:object=p11-ec;type=private",
			"-subj", "/CN=p11-ec", "-out", e.path("ec.csr"))
		if out, errOut, err := e.try(0, nil, "openssl", "req", "-in", e.path("ec.csr"), "-verify", "-noout"); err != nil || !strings.Contains(out+errOut, "verify OK") {
			t.Errorf("CSR: %v %s %s", err, out, errOut)
		}
		e.run(0, env, "openssl", "req", "-new", "-x509", "-days", "1", "-engine", "pkcs11", "-keyform", "engine",
			"-key", "pkcs11:object=p11-rsa;type=private", "-subj", "/CN=p11-rsa", "-out", e.path("rsa.crt"))
		// The curl check's client certificate.
		e.run(0, env, "openssl", "req", "-new", "-x509", "-days", "1", "-engine", "pkcs11", "-keyform", "engine",
			"-key", "pkcs11:object=p11-ec;type=private", "-subj", "/CN=p11-ec-client", "-out", e.path("ec.crt"))
		if out := e.run(0, nil, "openssl", "verify", "-CAfile", e.path("rsa.crt"), e.path("rsa.crt")); !strings.Contains(out, ": OK") {
			t.Errorf("self-signed certificate: %s", out)
		}
	})

	t.Run("curl", func(t *testing.T) {
		e.t = t
		// TLS client authentication with the key in parsecd: openssl
		// s_server asks for a client certificate and prints it (-www).
		e.run(0, nil, "openssl", "req", "-new", "-x509", "-days", "1", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
			"-keyout", e.path("srv.key"), "-subj", "/CN=127.0.0.1", "-out", e.path("srv.crt"))
		port := p11FreePort(t)
		var logs bytes.Buffer
		srv := exec.Command("openssl", "s_server", "-accept", "127.0.0.1:"+strconv.Itoa(port), "-cert", e.path("srv.crt"), "-key", e.path("srv.key"),
			"-Verify", "1", "-CAfile", e.path("ec.crt"), "-www")
		srv.Stdout, srv.Stderr = &logs, &logs
		if err := srv.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = srv.Process.Kill()
			_ = srv.Wait()
			if t.Failed() {
				t.Logf("s_server:\n%s", logs.String())
			}
		})
		p11WaitPort(t, port)
		out := e.run(0, []string{"OPENSSL_CONF=" + e.path("engine.cnf")}, "curl", "-sS", "-k", "--engine", "pkcs11", "--key-type", "ENG",
			"--key", "pkcs11:object=p11-ec;type=private", "--cert", e.path("ec.crt"), "https://127.0.0.1:"+strconv.Itoa(port)+"/")
		if !strings.Contains(out, "Subject: CN=p11-ec-client") {
			t.Errorf("s_server did not see the client certificate:\n%s", out)
		}
	})

	t.Run("openssh", func(t *testing.T) {
		e.t = t
		keys := e.run(0, nil, "ssh-keygen", "-D", e.mod)
		if !strings.Contains(keys, "ecdsa-sha2-nistp256 ") || !strings.Contains(keys, "ssh-rsa ") || !strings.Contains(keys, " p11-ec\n") {
			t.Fatalf("ssh-keygen -D printed:\n%s", keys)
		}
		p11SSHLogin(t, e, keys)
	})

	t.Run("p11-kit", func(t *testing.T) {
		e.t = t
		// p11-kit reads user module files only when not root: user A with a
		// HOME of its own, holding the shipped module file with the module's path.
		shipped, err := os.ReadFile(filepath.Join(repoRoot, "rootfs", "usr", "share", "p11-kit", "modules", "parsec.module"))
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, l := range strings.Split(strings.TrimSpace(string(shipped)), "\n") {
			if strings.HasPrefix(l, "module:") {
				l = "module: " + e.mod
			}
			lines = append(lines, l)
		}
		home := filepath.Join(e.dir, "home-a")
		mods := filepath.Join(home, ".config", "pkcs11", "modules")
		if err := os.MkdirAll(mods, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(mods, "parsec.module"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_ = os.Chown(home, p11UserA, p11UserA)
		out := e.run(p11UserA, []string{"HOME=" + home}, "p11-kit", "list-modules")
		if !strings.Contains(out, "parsec: ") || !strings.Contains(out, "library-description: parsecd PKCS#11 module") ||
			!strings.Contains(out, "token: Software provider") {
			t.Errorf("p11-kit list-modules does not show the module:\n%s", out)
		}
	})

	t.Run("two-users", func(t *testing.T) {
		e.t = t
		e.tool(p11UserA, "--keypairgen", "--key-type", "EC:prime256v1", "--label", "key-of-a")
		e.tool(p11UserB, "--keypairgen", "--key-type", "EC:prime256v1", "--label", "key-of-b")
		for uid, c := range map[uint32]struct{ mine, theirs string }{p11UserA: {"key-of-a", "key-of-b"}, p11UserB: {"key-of-b", "key-of-a"}} {
			objs := e.tool(uid, "--list-objects")
			if !strings.Contains(objs, "label:      "+c.mine+"\n") || strings.Contains(objs, c.theirs) || strings.Contains(objs, "p11-ec") {
				t.Errorf("uid %d sees:\n%s", uid, objs)
			}
		}
	})

	t.Run("parsec-tool", func(t *testing.T) {
		e.t = t
		// A key made through the module is parsec-tool's too: listed, its
		// public key the same, and one whose policy names its hash (from
		// CKA_ALLOWED_MECHANISMS) signs through parsec-tool.
		if out := d.MustTool("list-keys"); !strings.Contains(out, "* p11-ec (") {
			t.Errorf("parsec-tool list-keys lacks the module's key:\n%s", out)
		}
		e.write("p11-ec.pem", d.MustTool("export-public-key", "-k", "p11-ec"))
		modPub := e.run(0, nil, "openssl", "pkey", "-pubin", "-inform", "DER", "-in", e.path("p11-ec.pub.der"))
		toolPub := e.run(0, nil, "openssl", "pkey", "-pubin", "-in", e.path("p11-ec.pem"))
		if modPub != toolPub {
			t.Errorf("public keys differ: module\n%s\nparsec-tool\n%s", modPub, toolPub)
		}
		e.tool(0, "--keypairgen", "--key-type", "EC:prime256v1", "--label", "p11-ec-sha256", "--allowed-mechanisms", "ECDSA-SHA256")
		sig64 := strings.TrimSpace(d.MustTool("sign", "-k", "p11-ec-sha256", "from parsec-tool"))
		sig, err := base64.StdEncoding.DecodeString(sig64)
		if err != nil {
			t.Fatalf("parsec-tool sign printed %q", sig64)
		}
		msg := e.write("pt-msg", "from parsec-tool")
		if err := os.WriteFile(e.path("pt.sig"), sig, 0o644); err != nil {
			t.Fatal(err)
		}
		e.tool(0, "--read-object", "--type", "pubkey", "--id", p11ID("p11-ec-sha256"), "-o", e.path("sha256.pub.der"))
		if out := e.run(0, nil, "openssl", "dgst", "-sha256", "-verify", e.path("sha256.pub.der"), "-keyform", "DER", "-signature", e.path("pt.sig"), msg); !strings.Contains(out, "Verified OK") {
			t.Errorf("parsec-tool's signature with the module's key: %s", out)
		}
		// ...and a key made by parsec-tool signs through the module.
		d.MustTool("create-ecc-key", "-k", "tool-ecc")
		e.write("tool-ecc.pem", d.MustTool("export-public-key", "-k", "tool-ecc"))
		e.tool(0, "--sign", "--id", p11ID("tool-ecc"), "-m", "ECDSA-SHA256", "--signature-format", "openssl", "-i", data, "-o", e.path("tool.sig"))
		if out := e.run(0, nil, "openssl", "dgst", "-sha256", "-verify", e.path("tool-ecc.pem"), "-signature", e.path("tool.sig"), data); !strings.Contains(out, "Verified OK") {
			t.Errorf("module signature with parsec-tool's key: %s", out)
		}
		// C_DestroyObject destroys the parsecd key.
		e.tool(0, "--login", "--pin", "0000", "--delete-object", "--type", "privkey", "--id", p11ID("tool-ecc"))
		if out := d.MustTool("list-keys"); strings.Contains(out, "tool-ecc") {
			t.Errorf("tool-ecc still listed after --delete-object:\n%s", out)
		}
	})

	t.Run("bad-input", func(t *testing.T) {
		e.t = t
		out := e.run(0, nil, p11CompileC(t, e, "badinput"), e.mod)
		if out != p11BadInputWant {
			t.Errorf("bad-input check printed:\n%s\nwant:\n%s", out, p11BadInputWant)
		}
	})

	t.Run("fork", func(t *testing.T) {
		e.t = t
		out, errOut, err := e.try(0, nil, p11CompileC(t, e, "fork"), e.mod)
		want := "init 0\nparent: sign rv=0 len=64\nchild before init: 190\nchild init 5\nchild: GetSlotList 190\nchild exit 1\nparent-after: sign rv=0 len=64\n" +
			"finalize 0\ninit again 0\nparent-again: sign rv=0 len=64\n"
		if err != nil || out != want || !strings.Contains(errOut, "does not survive fork()") {
			t.Errorf("fork check: %v\nstdout:\n%s\nwant:\n%s\nstderr: %s", err, out, want, errOut)
		}
	})
}

// p11SSHLogin starts an sshd of its own on 127.0.0.1 (a free port, a
// temporary host key, the module's keys authorised; StrictModes off and
// root allowed: CI runs as root) and logs in with ssh -I.
func p11SSHLogin(t *testing.T, e *p11Env, keys string) {
	port := p11FreePort(t)
	hostKey := e.path("ssh_host_ed25519_key")
	e.run(0, nil, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKey)
	auth := e.write("authorized_keys", keys)
	conf := e.write("sshd_config", fmt.Sprintf("ListenAddress 127.0.0.1\nPort %d\nHostKey %s\nAuthorizedKeysFile %s\nStrictModes no\nUsePAM no\n"+
		"PasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nPidFile %s\n",
		port, hostKey, auth, e.path("sshd.pid")))
	// sshd wants its privilege separation directory.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	sshd := exec.Command("/usr/sbin/sshd", "-D", "-e", "-f", conf)
	sshd.Stdout, sshd.Stderr = &logs, &logs
	if err := sshd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = sshd.Process.Kill()
		_ = sshd.Wait()
		if t.Failed() {
			t.Logf("sshd:\n%s", logs.String())
		}
	})
	p11WaitPort(t, port)
	out := e.run(0, nil, "ssh", "-F", "/dev/null", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "BatchMode=yes", "-o", "IdentityAgent=none", "-o", "PubkeyAuthentication=yes",
		"-I", e.mod, "-p", strconv.Itoa(port), "root@127.0.0.1", "echo", "logged-in-through-parsecd")
	if strings.TrimSpace(out) != "logged-in-through-parsecd" {
		t.Errorf("ssh -I printed %q", out)
	}
}

// p11FreePort is a TCP port of 127.0.0.1 free a moment ago.
func p11FreePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// p11WaitPort waits until a server listens on 127.0.0.1:port.
func p11WaitPort(t *testing.T, port int) {
	t.Helper()
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err == nil {
			c.Close()
			return
		}
		if i == 200 {
			t.Fatalf("nothing listens on port %d: %v", port, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// p11CompileC builds testdata/p11module/<name>.c against the module's header.
func p11CompileC(t *testing.T, e *p11Env, name string) string {
	t.Helper()
	bin := e.path(name)
	e.run(0, nil, "gcc", "-Wall", "-Werror", "-I", filepath.Join(repoRoot, "src", "cmd", "libparsec-pkcs11"), "-o", bin,
		filepath.Join(repoRoot, "test", "e2e", "testdata", "p11module", name+".c"), "-ldl")
	return bin
}

// p11BadInputWant is what testdata/p11module/badinput.c prints: each
// call's CK_RV in hex (7 ARGUMENTS_BAD, 9 NEED_TO_CREATE_THREADS, a
// CANT_LOCK, 150 BUFFER_TOO_SMALL, 190/191 (NOT/ALREADY) INITIALIZED, 3
// SLOT_ID_INVALID, b4 SESSION_PARALLEL_NOT_SUPPORTED, 91
// OPERATION_NOT_INITIALIZED, 82 OBJECT_HANDLE_INVALID, 60
// KEY_HANDLE_INVALID, 54 FUNCTION_NOT_SUPPORTED, 120
// RANDOM_SEED_NOT_SUPPORTED, 103 USER_TYPE_INVALID, b3
// SESSION_HANDLE_INVALID).
const p11BadInputWant = `GetFunctionList(NULL) 7
GetSlotList before init 190
Initialize pReserved 7
Initialize no threads 9
Initialize own mutexes only a
Initialize 0
Initialize again 191
GetInfo(NULL) 7
GetSlotList(NULL count) 7
GetSlotList short 150
GetSlotList 0
GetSlotInfo 999 3
OpenSession not serial b4
OpenSession NULL handle 7
OpenSession 0
FindObjects not begun 91
FindObjectsInit NULL template 7
FindObjectsInit 0
FindObjects huge count 0
FindObjectsFinal 0
GetAttributeValue unknown object 82
SignInit NULL mechanism 7
SignInit unknown key 60
Sign not begun 91
Sign NULL length 7
Encrypt 54
WaitForSlotEvent 54
SeedRandom 120
GenerateRandom NULL 7
Login SO 0
Login bad user type 103
CloseSession unknown b3
CloseSession 0
Finalize pReserved 7
Finalize 0
Finalize again 190
`
