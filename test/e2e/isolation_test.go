// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package e2e

// Multi-tenancy: applications (Direct) and Unix users (UnixPeerCredentials)
// each have their own key namespace; admins alone list and delete clients;
// a client cannot claim another uid.

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"slices"
	"strings"
	"testing"

	"github.com/parsecd/parsecd/src/client"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/src/wire"
)

// isoKeyNames lists an application's key names, sorted.
func isoKeyNames(t testing.TB, c *client.Client) []string {
	t.Helper()
	keys, err := c.ListKeys(t.Context())
	opsOK(t, err, "ListKeys")
	var names []string
	for _, k := range keys {
		names = append(names, k.Name)
	}
	slices.Sort(names)
	return names
}

func TestIsolationDirectApplications(t *testing.T) {
	t.Parallel()
	d := NewDaemon(t, Options{Admins: []string{"alice"}}).Start()
	alice, bob := d.Direct("alice"), d.Direct("bob")
	ctx := t.Context()
	alg := opsSign(psa.SignEcdsa, psa.HashSHA256)
	attrs := opsSignAttrs(opsECCPair, 256, opsSignUsage, alg)

	opsOK(t, alice.GenerateKey(ctx, "shared", attrs), "alice GenerateKey shared")
	opsOK(t, bob.GenerateKey(ctx, "shared", attrs), "bob GenerateKey shared")
	opsOK(t, alice.GenerateKey(ctx, "alice-only", attrs), "alice GenerateKey alice-only")
	// The same name again in the same application is still a duplicate.
	opsExpect(t, bob.GenerateKey(ctx, "shared", attrs), status.PsaErrorAlreadyExists, "bob GenerateKey shared twice")

	aPub := opsECPublic(t, alice, "shared", elliptic.P256())
	bPub := opsECPublic(t, bob, "shared", elliptic.P256())
	if aPub.Equal(bPub) {
		t.Fatalf("alice and bob got the same key for the name \"shared\"")
	}

	digest := sha256.Sum256([]byte("isolation"))
	aSig, err := alice.SignHash(ctx, "shared", alg, digest[:])
	opsOK(t, err, "alice SignHash")
	bSig, err := bob.SignHash(ctx, "shared", alg, digest[:])
	opsOK(t, err, "bob SignHash")
	if !opsVerifyECDSA(aPub, digest[:], aSig) || opsVerifyECDSA(bPub, digest[:], aSig) {
		t.Errorf("alice's signature must verify with alice's public key only")
	}
	if !opsVerifyECDSA(bPub, digest[:], bSig) || opsVerifyECDSA(aPub, digest[:], bSig) {
		t.Errorf("bob's signature must verify with bob's public key only")
	}
	opsOK(t, alice.VerifyHash(ctx, "shared", alg, digest[:], aSig), "alice verifies her signature")
	opsExpect(t, bob.VerifyHash(ctx, "shared", alg, digest[:], aSig), status.PsaErrorInvalidSignature, "bob's \"shared\" verifies alice's signature")
	opsExpect(t, alice.VerifyHash(ctx, "shared", alg, digest[:], bSig), status.PsaErrorInvalidSignature, "alice's \"shared\" verifies bob's signature")

	if got := isoKeyNames(t, alice); !slices.Equal(got, []string{"alice-only", "shared"}) {
		t.Errorf("alice's keys = %q", got)
	}
	if got := isoKeyNames(t, bob); !slices.Equal(got, []string{"shared"}) {
		t.Errorf("bob's keys = %q", got)
	}
	// Application names are exact: "Alice" is somebody else.
	if got := isoKeyNames(t, d.Direct("Alice")); len(got) != 0 {
		t.Errorf("\"Alice\" sees alice's keys: %q", got)
	}

	// Bob cannot reach a name only alice has.
	_, err = bob.SignHash(ctx, "alice-only", alg, digest[:])
	opsExpect(t, err, status.PsaErrorDoesNotExist, "bob SignHash alice-only")
	_, err = bob.ExportPublicKey(ctx, "alice-only")
	opsExpect(t, err, status.PsaErrorDoesNotExist, "bob ExportPublicKey alice-only")
	opsExpect(t, bob.VerifyHash(ctx, "alice-only", alg, digest[:], aSig), status.PsaErrorDoesNotExist, "bob VerifyHash alice-only")
	opsExpect(t, bob.DestroyKey(ctx, "alice-only"), status.PsaErrorDoesNotExist, "bob DestroyKey alice-only")
	if _, err := alice.SignHash(ctx, "alice-only", alg, digest[:]); err != nil {
		t.Errorf("alice-only is unusable after bob's attempts: %v", err)
	}
	// ... but can create his own key of that name, which is a different key.
	opsOK(t, bob.GenerateKey(ctx, "alice-only", attrs), "bob GenerateKey alice-only")
	if opsECPublic(t, bob, "alice-only", elliptic.P256()).Equal(opsECPublic(t, alice, "alice-only", elliptic.P256())) {
		t.Errorf("bob's alice-only is alice's key")
	}
	opsOK(t, bob.DestroyKey(ctx, "alice-only"), "bob DestroyKey his alice-only")

	// Bob's destroy of "shared" removes his key only.
	opsOK(t, bob.DestroyKey(ctx, "shared"), "bob DestroyKey shared")
	_, err = bob.ExportPublicKey(ctx, "shared")
	opsExpect(t, err, status.PsaErrorDoesNotExist, "bob ExportPublicKey after his destroy")
	if !opsECPublic(t, alice, "shared", elliptic.P256()).Equal(aPub) {
		t.Errorf("alice's \"shared\" changed after bob destroyed his")
	}
	opsOK(t, alice.VerifyHash(ctx, "shared", alg, digest[:], aSig), "alice's shared after bob's destroy")
	if got := isoKeyNames(t, bob); len(got) != 0 {
		t.Errorf("bob's keys after destroy = %q", got)
	}
	if got := isoKeyNames(t, alice); !slices.Equal(got, []string{"alice-only", "shared"}) {
		t.Errorf("alice's keys after bob's destroy = %q", got)
	}

	// Admin operations: alice is the admin, bob is not.
	opsOK(t, bob.GenerateKey(ctx, "b2", attrs), "bob GenerateKey b2")
	clients, err := alice.ListClients(ctx)
	if err != nil || !slices.Equal(clients, []string{"alice", "bob"}) {
		t.Errorf("alice ListClients = %q, %v", clients, err)
	}
	_, err = bob.ListClients(ctx)
	opsExpect(t, err, status.AdminOperation, "bob ListClients")
	opsExpect(t, bob.DeleteClient(ctx, "alice"), status.AdminOperation, "bob DeleteClient alice")
	_, err = d.Client(client.WithAuth(client.NoAuth())).ListClients(ctx)
	opsExpect(t, err, status.NotAuthenticated, "unauthenticated ListClients")
	opsOK(t, alice.DeleteClient(ctx, "bob"), "alice DeleteClient bob")
	if got := isoKeyNames(t, bob); len(got) != 0 {
		t.Errorf("bob's keys after DeleteClient = %q", got)
	}
	if got := isoKeyNames(t, alice); len(got) != 2 {
		t.Errorf("DeleteClient bob touched alice's keys: %q", got)
	}
}

// isoToolPub returns the public key parsec-tool exports for uid.
func isoToolPub(t testing.TB, d *Daemon, uid uint32, key string) *ecdsa.PublicKey {
	t.Helper()
	out, errOut, code := d.Tool(uid, "export-public-key", "-k", key)
	if code != 0 {
		t.Fatalf("export-public-key -k %s as uid %d: %s", key, uid, errOut)
	}
	b, _ := pem.Decode([]byte(out))
	if b == nil {
		t.Fatalf("export-public-key printed %q", out)
	}
	pub, err := x509.ParsePKIXPublicKey(b.Bytes)
	opsOK(t, err, "ParsePKIXPublicKey")
	return pub.(*ecdsa.PublicKey)
}

func isoMustTool(t testing.TB, d *Daemon, uid uint32, args ...string) string {
	t.Helper()
	out, errOut, code := d.Tool(uid, args...)
	if code != 0 {
		t.Fatalf("parsec-tool %v as uid %d: exit %d: %s", args, uid, code, errOut)
	}
	return out
}

func TestIsolationUnixUsers(t *testing.T) {
	t.Parallel()
	RequireRoot(t, "running parsec-tool as uids 4201 and 4202")
	d := cliUnixDaemon(t) // admins = ["0"]
	uids := []uint32{0, 4201, 4202}
	line := func(name string) string { return "* " + name + " (Mbed Crypto provider, " + cliECCPolicy + ")" }

	for _, uid := range uids {
		isoMustTool(t, d, uid, "create-ecc-key", "-k", "same")
	}
	isoMustTool(t, d, 4201, "create-ecc-key", "-k", "only4201")

	pubs := map[uint32]*ecdsa.PublicKey{}
	for _, uid := range uids {
		pubs[uid] = isoToolPub(t, d, uid, "same")
	}
	for i, a := range uids {
		for _, b := range uids[i+1:] {
			if pubs[a].Equal(pubs[b]) {
				t.Errorf("uids %d and %d share the key \"same\"", a, b)
			}
		}
	}
	// Root's Go client (uid 0) sees root's key.
	if !opsECPublic(t, d.Client(), "same", elliptic.P256()).Equal(pubs[0]) {
		t.Errorf("the Go client of uid 0 and parsec-tool as uid 0 see different keys")
	}

	want := map[uint32][]string{0: {line("same")}, 4201: {line("only4201"), line("same")}, 4202: {line("same")}}
	for _, uid := range uids {
		if got := cliListKeys(t, d, uid); !slices.Equal(got, want[uid]) {
			t.Errorf("list-keys as uid %d = %q, want %q", uid, got, want[uid])
		}
	}

	// Each user's signature verifies with its own public key only.
	for _, uid := range uids {
		sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(isoMustTool(t, d, uid, "sign", "-k", "same", "message")))
		opsOK(t, err, "base64")
		digest := sha256.Sum256([]byte("message"))
		for _, other := range uids {
			if ok := ecdsa.VerifyASN1(pubs[other], digest[:], sig); ok != (other == uid) {
				t.Errorf("signature of uid %d verifies with the key of uid %d: %v", uid, other, ok)
			}
		}
	}

	// uid 4202 cannot use, export or delete the key only 4201 has.
	cliFailTool(t, d, 4202, []string{"(ParsecClientError(Client(NotFound)))"}, "sign", "-k", "only4201", "message")
	cliFailTool(t, d, 4202, []string{"(ParsecClientError(Service(PsaErrorDoesNotExist)))"}, "export-public-key", "-k", "only4201")
	cliFailTool(t, d, 4202, []string{"(ParsecClientError(Service(PsaErrorDoesNotExist)))"}, "delete-key", "-k", "only4201")
	cliFailTool(t, d, 0, []string{"(ParsecClientError(Client(NotFound)))"}, "sign", "-k", "only4201", "message")
	isoMustTool(t, d, 4201, "sign", "-k", "only4201", "message")

	// Admin operations.
	if out := isoMustTool(t, d, 0, "list-clients"); out != "0\n4201\n4202\n" {
		t.Errorf("list-clients as admin = %q", out)
	}
	cliFailTool(t, d, 4202, []string{"AdminOperation"}, "list-clients")
	cliFailTool(t, d, 4201, []string{"AdminOperation"}, "delete-client", "-c", "4202")
	clients, err := d.Client().ListClients(t.Context())
	if err != nil || !slices.Equal(clients, []string{"0", "4201", "4202"}) {
		t.Errorf("ListClients through the Go client as uid 0 = %q, %v", clients, err)
	}

	isoMustTool(t, d, 0, "delete-client", "-c", "4201")
	if got := cliListKeys(t, d, 4201); len(got) != 0 {
		t.Errorf("uid 4201 keeps keys after delete-client: %q", got)
	}
	for _, uid := range []uint32{0, 4202} {
		if got := cliListKeys(t, d, uid); !slices.Equal(got, want[uid]) {
			t.Errorf("delete-client -c 4201 changed the keys of uid %d: %q", uid, got)
		}
		if !isoToolPub(t, d, uid, "same").Equal(pubs[uid]) {
			t.Errorf("delete-client -c 4201 changed the key \"same\" of uid %d", uid)
		}
	}
	if out := isoMustTool(t, d, 0, "list-clients"); out != "0\n4202\n" {
		t.Errorf("list-clients after delete-client = %q", out)
	}
	cliFailTool(t, d, 4201, []string{"(ParsecClientError(Client(NotFound)))"}, "sign", "-k", "same", "message")
}

func TestIsolationForgedUID(t *testing.T) {
	t.Parallel()
	d := cliUnixDaemon(t)
	ctx := t.Context()
	honest := d.Client(client.WithAuth(client.UnixPeerCredentialsAuth()))
	me := client.UnixPeerCredentialsAuth().UID
	opsOK(t, honest.GenerateKey(ctx, "mine", opsSignAttrs(opsECCPair, 256, opsSignUsage, opsSign(psa.SignEcdsa, psa.HashSHA256))), "honest GenerateKey")
	if got := isoKeyNames(t, honest); !slices.Equal(got, []string{"mine"}) {
		t.Errorf("honest ListKeys = %q", got)
	}
	forgedUID := me + 4201
	forged := client.Auth{Type: parsec.AuthUnixPeerCredentials, UID: forgedUID}
	fc := d.Client(client.WithAuth(forged))

	_, err := fc.ListKeys(ctx)
	opsExpect(t, err, status.AuthenticationError, "ListKeys with a forged uid")
	err = fc.GenerateKey(ctx, "stolen", opsSignAttrs(opsECCPair, 256, opsSignUsage, opsSign(psa.SignEcdsa, psa.HashSHA256)))
	opsExpect(t, err, status.AuthenticationError, "GenerateKey with a forged uid")
	_, err = fc.SignHash(ctx, "mine", opsSign(psa.SignEcdsa, psa.HashSHA256), make([]byte, 32))
	opsExpect(t, err, status.AuthenticationError, "SignHash with a forged uid")
	// The next requests are sent raw: the client sends no authentication
	// with a Ping, and never malformed uid fields.
	raw := func(what string, op parsec.Opcode, auth []byte) status.Code {
		h := wire.Header{Provider: parsec.ProviderCore, AuthType: parsec.AuthUnixPeerCredentials, Opcode: op}
		return wxDecode(t, what, wxExchange(t, d.Socket, wxRequest(t, h, nil, auth)).reply).Header.Status
	}
	// A failing authentication rejects even a Ping.
	if got := raw("Ping with a forged uid", parsec.OpPing, forged.Bytes()); got != status.AuthenticationError {
		t.Errorf("Ping with a forged uid: status %v, want AuthenticationError", got)
	}
	if got := raw("Ping with the true uid", parsec.OpPing, client.UnixPeerCredentialsAuth().Bytes()); got != status.Success {
		t.Errorf("Ping with the true uid: status %v, want Success", got)
	}
	// Malformed uid fields.
	for _, auth := range [][]byte{{0, 0, 0}, binary.LittleEndian.AppendUint32(nil, me)[:3], append(binary.LittleEndian.AppendUint32(nil, me), 0), binary.BigEndian.AppendUint32(nil, forgedUID)} {
		if got := raw("ListKeys with malformed auth", parsec.OpListKeys, auth); got != status.AuthenticationError {
			t.Errorf("ListKeys with auth bytes %x: status %v, want AuthenticationError", auth, got)
		}
	}
	// Another authenticator than the configured one is not registered.
	_, err = d.Direct("0").ListKeys(ctx)
	opsExpect(t, err, status.AuthenticatorNotRegistered, "Direct authentication on a UnixPeerCredentials daemon")

	// Nothing was created for the forged identity (root is the admin).
	if me == 0 {
		clients, err := honest.ListClients(ctx)
		if err != nil || !slices.Equal(clients, []string{"0"}) {
			t.Errorf("ListClients = %q, %v; want only \"0\"", clients, err)
		}
	}
}
