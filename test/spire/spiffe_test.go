// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package spire

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/parsecd/parsecd/src/client"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

var eccSign = psa.KeyAttributes{
	Type: psa.KeyType{Kind: psa.KeyEccPair, EccFamily: psa.EccSecpR1}, Bits: 256,
	Policy: psa.KeyPolicy{
		Usage: psa.UsageSignHash | psa.UsageVerifyHash,
		Alg:   psa.Algorithm{Kind: psa.AlgAsymSign, Sign: psa.AsymSign{Kind: psa.SignEcdsa, Hash: psa.HashSHA256}},
	},
}

var all = []string{"JwtSvid", "UnixPeerCredentials", "Direct"}

// One SPIRE deployment and one parsecd serve every scenario, in order: the
// agent outage comes last. The expired token is minted first and checked
// once the validation leeway (one minute) has passed.
func TestSpiffe(t *testing.T) {
	w := newSpire(t)
	ctx := context.Background()
	expiring := w.mint("root-workload", "parsec", time.Second)
	expiringAt := time.Now().Add(time.Second)

	// Started with Unix peer credentials only: JwtSvid is not registered.
	w.startDaemon(w.authConf("UnixPeerCredentials"))
	root := w.client(client.UnixPeerCredentialsAuth())
	if err := root.GenerateKey(ctx, "kept-across-reloads", eccSign); err != nil {
		t.Fatal(err)
	}
	if _, err := w.client(client.JwtSvidAuth(w.mint("root-workload", "parsec", time.Hour))).ListKeys(ctx); !errors.Is(err, status.AuthenticatorNotRegistered) {
		t.Fatalf("JWT-SVID before JwtSvid is configured: %v, want AuthenticatorNotRegistered", err)
	}
	// SIGHUP adds JwtSvid (the new default) and Direct; keys stay.
	w.reload(w.authConf(all...))
	infos, err := root.ListAuthenticators(ctx)
	if err != nil || len(infos) != 3 || infos[0].ID != parsec.AuthJwtSvid || infos[1].ID != parsec.AuthUnixPeerCredentials || infos[2].ID != parsec.AuthDirect {
		t.Fatalf("ListAuthenticators after reload = %+v, %v", infos, err)
	}
	wantKeys(t, "uid 0 after reload", root, "kept-across-reloads")

	t.Run("accepted and refused tokens", func(t *testing.T) { tokens(t, w, expiring) })
	t.Run("workloads isolated", func(t *testing.T) { isolation(t, w) })
	t.Run("multitenancy JwtSvid", func(t *testing.T) {
		multitenancy(t, toolTenant{w, uidA, true, "spiffe://" + td + "/workload-a"}, toolTenant{w, uidB, true, "spiffe://" + td + "/workload-b"})
	})
	t.Run("multitenancy UnixPeerCredentials", func(t *testing.T) {
		multitenancy(t, toolTenant{w, uidA, false, "4301"}, toolTenant{w, uidB, false, "4302"})
	})
	t.Run("multitenancy Direct", func(t *testing.T) {
		multitenancy(t, goTenant{w.client(client.DirectAuth("client1")), "client1"}, goTenant{w.client(client.DirectAuth("client2")), "client2"})
	})
	t.Run("mixed clients concurrently", func(t *testing.T) { hammer(t, w) })

	t.Run("expired token", func(t *testing.T) {
		// go-jose, which SPIRE validates with, allows a minute of clock skew.
		time.Sleep(time.Until(expiringAt.Add(62 * time.Second)))
		_, err := w.client(client.JwtSvidAuth(expiring)).ListKeys(ctx)
		if !errors.Is(err, status.AuthenticationError) {
			t.Errorf("expired JWT-SVID: %v, want AuthenticationError", err)
		}
	})

	t.Run("agent outage", func(t *testing.T) { outage(t, w) })

	// SIGHUP removes JwtSvid: its clients get 13, nobody's keys go.
	jwt := w.jwtClient()
	if err := jwt.GenerateKey(ctx, "jwt-key", eccSign); err != nil {
		t.Fatal(err)
	}
	w.reload(w.authConf("UnixPeerCredentials"))
	if _, err := w.client(client.JwtSvidAuth(w.mint("root-workload", "parsec", time.Hour))).ListKeys(ctx); !errors.Is(err, status.AuthenticatorNotRegistered) {
		t.Errorf("JWT-SVID after JwtSvid was removed: %v, want AuthenticatorNotRegistered", err)
	}
	wantKeys(t, "uid 0 after removing JwtSvid", root, "kept-across-reloads")
	w.reload(w.authConf(all...))
	wantKeys(t, "root-workload after JwtSvid came back", w.jwtClient(), "jwt-key")
}

// tokens: the agent's verdicts reach the client as Parsec's statuses.
func tokens(t *testing.T, w *world, expiring string) {
	ctx := context.Background()
	// The token about to expire is still good (proof the expired case below
	// fails for its expiry alone), and so is one minted for "parsec".
	for name, tok := range map[string]string{"minted": w.mint("root-workload", "parsec", time.Hour), "expiring": expiring} {
		c := w.client(client.JwtSvidAuth(tok))
		if err := c.GenerateKey(ctx, "tok-"+name, eccSign); err != nil {
			t.Errorf("%s token: %v", name, err)
		}
	}
	foreign := otherTrustDomainToken(t)
	for _, tc := range []struct {
		name  string
		token string
		want  status.Code
	}{
		{"wrong audience", w.mint("root-workload", "not-parsec", time.Hour), status.AuthenticationError},
		{"signed by a key outside the bundle", localToken(t, "spiffe://"+td+"/root-workload"), status.AuthenticationError},
		{"other trust domain", foreign, status.AuthenticationError},
		{"not a JWT", "not.a.jwt", status.AuthenticationError},
		{"empty", "", status.AuthenticationError},
		{"not UTF-8", "\xff\xfe", status.InvalidEncoding},
	} {
		_, err := w.client(client.JwtSvidAuth(tc.token)).ListKeys(ctx)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	// The minted tokens name root-workload: its keys, seen by its own SVIDs.
	wantKeys(t, "root-workload", w.jwtClient(), "tok-minted", "tok-expiring")
}

// localToken is a well-formed JWT-SVID for sub signed by a fresh key that
// no bundle holds.
func localToken(t *testing.T, sub string) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: k, KeyID: "i15-local"}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(sig).Claims(jwt.Claims{Subject: sub, Audience: jwt.Audience{"parsec"},
		Expiry: jwt.NewNumericDate(time.Now().Add(time.Hour)), IssuedAt: jwt.NewNumericDate(time.Now())}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// otherTrustDomainToken is signed by a key of a trust domain the agent
// does not federate with.
func otherTrustDomainToken(t *testing.T) string {
	return localToken(t, "spiffe://other.example/root-workload")
}

// isolation: two Unix users as two workloads (parsec-tool, JwtSvid picked
// as the service's default with SPIFFE_ENDPOINT_SOCKET set).
func isolation(t *testing.T, w *world) {
	a := toolTenant{w, uidA, true, ""}
	b := toolTenant{w, uidB, true, ""}
	if err := a.create("iso-a"); err != nil {
		t.Fatal(err)
	}
	if err := b.create("iso-b"); err != nil {
		t.Fatal(err)
	}
	ka, _ := a.keys()
	kb, _ := b.keys()
	if !slices.Contains(ka, "iso-a") || slices.Contains(ka, "iso-b") || !slices.Contains(kb, "iso-b") || slices.Contains(kb, "iso-a") {
		t.Errorf("workload A sees %v, B sees %v", ka, kb)
	}
	if err := b.sign("iso-a"); !isMissingKey(err) {
		t.Errorf("B signing with A's key: %v, want the key not found", err)
	}
	// The same users without SPIFFE are their Unix uids, another namespace.
	ua := toolTenant{w, uidA, false, ""}
	if k, err := ua.keys(); err != nil || slices.Contains(k, "iso-a") {
		t.Errorf("uid %d under UnixPeerCredentials sees %v (%v)", uidA, k, err)
	}
	// The admin (workload-a) names the SPIFFE IDs.
	out, errOut, code := w.tool(uidA, true, "list-clients")
	for _, id := range []string{"spiffe://" + td + "/workload-a", "spiffe://" + td + "/workload-b"} {
		if code != 0 || !strings.Contains(out, id) {
			t.Errorf("list-clients as workload-a: exit %d, missing %s\n%s%s", code, id, out, errOut)
		}
	}
	for _, c := range []toolTenant{a, b} {
		for _, k := range []string{"iso-a", "iso-b"} {
			_, _, _ = w.tool(c.uid, true, "delete-key", "-k", k)
		}
	}
}

// tenant is one client of the multitenancy scenario.
type tenant interface {
	create(key string) error
	keys() ([]string, error)
	sign(key string) error
	listClients() ([]string, error)
	deleteClient(name string) error
	app() string
}

type goTenant struct {
	c    *client.Client
	name string
}

func (g goTenant) app() string { return g.name }
func (g goTenant) create(key string) error {
	return g.c.GenerateKey(context.Background(), key, eccSign)
}
func (g goTenant) keys() ([]string, error) {
	ks, err := g.c.ListKeys(context.Background())
	var out []string
	for _, k := range ks {
		out = append(out, k.Name)
	}
	return out, err
}
func (g goTenant) sign(key string) error {
	h := sha256.Sum256([]byte("x"))
	_, err := g.c.SignHash(context.Background(), key, eccSign.Policy.Alg.Sign, h[:])
	return err
}
func (g goTenant) listClients() ([]string, error) { return g.c.ListClients(context.Background()) }
func (g goTenant) deleteClient(n string) error    { return g.c.DeleteClient(context.Background(), n) }

// toolTenant is parsec-tool run as a Unix user, with or without SPIFFE.
type toolTenant struct {
	w      *world
	uid    int
	spiffe bool
	name   string
}

func (c toolTenant) app() string { return c.name }
func (c toolTenant) run(args ...string) (string, error) {
	out, errOut, code := c.w.tool(c.uid, c.spiffe, args...)
	if code != 0 {
		return out, fmt.Errorf("parsec-tool %v as uid %d: exit %d: %s", args, c.uid, code, errOut)
	}
	return out, nil
}
func (c toolTenant) create(key string) error {
	_, err := c.run("create-ecc-key", "-k", key)
	return err
}
func (c toolTenant) keys() ([]string, error) {
	out, err := c.run("list-keys")
	var names []string
	for _, l := range lines(out) {
		// "* name (provider, type, bits)" lines; the name is the first word after "*".
		f := strings.Fields(strings.TrimPrefix(l, "*"))
		if len(f) > 0 {
			names = append(names, strings.Trim(f[0], `"`))
		}
	}
	return names, err
}
func (c toolTenant) sign(key string) error {
	_, err := c.run("sign", "-k", key, "data")
	return err
}
func (c toolTenant) listClients() ([]string, error) {
	out, err := c.run("list-clients")
	return lines(out), err
}
func (c toolTenant) deleteClient(n string) error {
	_, err := c.run("delete-client", "-c", n)
	return err
}

// isStatus: the Go client's error carries the code; parsec-tool prints its description.
func isStatus(err error, code status.Code) bool {
	return err != nil && (errors.Is(err, code) || strings.Contains(err.Error(), code.Description()))
}

// isMissingKey: the service's PsaErrorDoesNotExist (Go client), or
// parsec-tool's own not-found: like Parsec's, it looks the key up with
// ListKeys before signing, so another namespace's key never reaches the wire.
func isMissingKey(err error) bool {
	return isStatus(err, status.PsaErrorDoesNotExist) || (err != nil && strings.Contains(err.Error(), "ParsecClientError(Client(NotFound))"))
}

// multitenancy is Parsec's scenario: client1 (admin) and client2.
func multitenancy(t *testing.T, c1, c2 tenant) {
	if err := c1.create("mt-key"); err != nil {
		t.Fatal(err)
	}
	if k, err := c2.keys(); err != nil || len(k) != 0 {
		t.Errorf("client2 sees keys %v (%v), want none", k, err)
	}
	if err := c2.sign("mt-key"); !isMissingKey(err) {
		t.Errorf("client2 signing with client1's key: %v, want the key not found", err)
	}
	if _, err := c2.listClients(); !isStatus(err, status.AdminOperation) {
		t.Errorf("client2 ListClients: %v, want AdminOperation", err)
	}
	if err := c2.deleteClient(c1.app()); !isStatus(err, status.AdminOperation) {
		t.Errorf("client2 DeleteClient: %v, want AdminOperation", err)
	}
	if err := c2.create("mt-key-2"); err != nil {
		t.Fatal(err)
	}
	// Other applications of the same authenticator (uid 0, root-workload)
	// own keys in this shared service: both tenants must be listed.
	got, err := c1.listClients()
	if err != nil || !slices.Contains(got, c1.app()) || !slices.Contains(got, c2.app()) {
		t.Errorf("client1 ListClients = %v (%v), want %s and %s among them", got, err, c1.app(), c2.app())
	}
	for _, c := range []tenant{c1, c2} {
		if err := c1.deleteClient(c.app()); err != nil {
			t.Errorf("DeleteClient %s: %v", c.app(), err)
		}
	}
	if got, err := c1.listClients(); err != nil || slices.Contains(got, c1.app()) || slices.Contains(got, c2.app()) {
		t.Errorf("ListClients after deleting both = %v (%v)", got, err)
	}
	for _, c := range []tenant{c1, c2} {
		if k, err := c.keys(); err != nil || len(k) != 0 {
			t.Errorf("%s after DeleteClient: keys %v (%v)", c.app(), k, err)
		}
	}
}

// hammer: Unix-peer, Direct and JWT-SVID clients at once. Each namespace
// must list exactly the keys made in it: Direct "0" is not uid 0.
func hammer(t *testing.T, w *world) {
	const per, rounds = 4, 8
	type group struct {
		name string
		mk   func(i int) *client.Client
		made []string
	}
	groups := []*group{
		{name: "unix", mk: func(int) *client.Client { return w.client(client.UnixPeerCredentialsAuth()) }},
		{name: "direct0", mk: func(int) *client.Client { return w.client(client.DirectAuth("0")) }},
		{name: "jwt", mk: func(int) *client.Client { return w.jwtClient() }},
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, 3*per*rounds)
	for _, g := range groups {
		for i := range per {
			c := g.mk(i)
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx := context.Background()
				for r := range rounds {
					name := fmt.Sprintf("h-%s-%d-%d", g.name, i, r)
					if err := c.GenerateKey(ctx, name, eccSign); err != nil {
						errs <- fmt.Errorf("%s: %w", name, err)
						return
					}
					h := sha256.Sum256([]byte(name))
					if _, err := c.SignHash(ctx, name, eccSign.Policy.Alg.Sign, h[:]); err != nil {
						errs <- fmt.Errorf("sign %s: %w", name, err)
					}
					mu.Lock()
					g.made = append(g.made, name)
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, g := range groups {
		ks, err := g.mk(0).ListKeys(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, k := range ks {
			if strings.HasPrefix(k.Name, "h-") {
				got = append(got, k.Name)
			}
		}
		slices.Sort(got)
		slices.Sort(g.made)
		if !slices.Equal(got, g.made) {
			t.Errorf("%s lists %v, made %v", g.name, got, g.made)
		}
	}
}

// outage: the agent stops; JWT-SVID clients get AuthenticationError and
// the log says why, Unix-peer clients are served; the agent returns and
// the same token is good again.
func outage(t *testing.T, w *world) {
	ctx := context.Background()
	tok := w.mint("root-workload", "parsec", time.Hour)
	jwtc := w.client(client.JwtSvidAuth(tok))
	if _, err := jwtc.ListKeys(ctx); err != nil {
		t.Fatalf("before the outage: %v", err)
	}
	w.agent.stop()
	if _, err := jwtc.ListKeys(ctx); !errors.Is(err, status.AuthenticationError) {
		t.Errorf("agent down: %v, want AuthenticationError", err)
	}
	// parsecd's output reaches this process through a pipe: wait for it.
	eventually(t, "parsecd logs the Workload API outage", 10*time.Second, func() error {
		if !strings.Contains(w.daemon.output(), "SPIFFE Workload API unavailable") {
			return fmt.Errorf("no outage line in parsecd's log:\n%s", w.daemon.output())
		}
		return nil
	})
	root := w.client(client.UnixPeerCredentialsAuth())
	if err := root.GenerateKey(ctx, "during-outage", eccSign); err != nil {
		t.Errorf("Unix peer client during the outage: %v", err)
	}
	w.startAgent()
	eventually(t, "JWT-SVID accepted after the agent returned", 60*time.Second, func() error {
		_, err := jwtc.ListKeys(ctx)
		return err
	})
}

func wantKeys(t *testing.T, who string, c *client.Client, want ...string) {
	t.Helper()
	ks, err := c.ListKeys(context.Background())
	if err != nil {
		t.Fatalf("%s: %v", who, err)
	}
	var got []string
	for _, k := range ks {
		got = append(got, k.Name)
	}
	for _, n := range want {
		if !slices.Contains(got, n) {
			t.Errorf("%s: keys %v lack %s", who, got, n)
		}
	}
}
