// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package e2e

// Two providers of one type in one daemon (issue 19): two software
// providers here, two TPM providers on two swtpms below, two PKCS#11
// providers on two SoftHSM2 tokens in multiprov_pkcs11_test.go. Each
// combination runs mpRun: keys of one name made in both, signatures
// cross-verified between them, ids and keys kept by restarts and reloads
// (in another order too), one provider removed while the other serves,
// check-store reporting the removed one's kept keys, and its return.

import (
	"bytes"
	"crypto/elliptic"
	"crypto/sha256"
	"fmt"
	"maps"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/parsecd/parsecd/src/client"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

// mpSetup is one combination: the provider type, its fixed id, the two
// names and each one's own [[provider]] keys (its device).
type mpSetup struct {
	typ   string
	fixed parsec.ProviderID
	names [2]string
	keys  map[string]string
}

// options renders a config with the providers names, in that order.
func (s mpSetup) options(names ...string) Options {
	var extra strings.Builder
	for i, n := range names {
		if i > 0 {
			fmt.Fprintf(&extra, "\n[[provider]]\nprovider_type = %q\nkey_info_manager = \"store\"\n", s.typ)
		}
		fmt.Fprintf(&extra, "name = %q\n%s", n, s.keys[n])
	}
	return Options{ProvType: s.typ, ExtraConf: extra.String(), Admins: []string{"admin"}}
}

// mpIDs returns the id of each provider name that ListAllProviders reports.
func mpIDs(t *testing.T, c *client.Client) map[string]parsec.ProviderID {
	t.Helper()
	ps, err := c.ListAllProviders(t.Context())
	opsOK(t, err, "ListAllProviders")
	out := map[string]parsec.ProviderID{}
	for _, p := range ps {
		out[p.Name] = p.ID
	}
	return out
}

// mpListed returns the ids ListProviders reports, what Parsec's clients see.
func mpListed(t *testing.T, c *client.Client) []parsec.ProviderID {
	t.Helper()
	ps, err := c.ListProviders(t.Context())
	opsOK(t, err, "ListProviders")
	var out []parsec.ProviderID
	for _, p := range ps {
		out = append(out, p.ID)
		if p.Name != "" {
			t.Errorf("ListProviders (Parsec's request) carries the name %q", p.Name)
		}
	}
	return out
}

var mpDigest = func() []byte { h := sha256.Sum256([]byte("parsecd issue 19")); return h[:] }()

// mpSign signs mpDigest with key "same" of provider id and checks the
// signature with the Go standard library on the exported public key,
// which it returns.
func mpSign(t *testing.T, c *client.Client, id parsec.ProviderID) (sig, pub []byte) {
	t.Helper()
	p := c.UsingProvider(id)
	sig, err := p.SignHash(t.Context(), "same", tpmECDSA, mpDigest)
	opsOK(t, err, fmt.Sprintf("SignHash in provider %d", id))
	pub, err = p.ExportPublicKey(t.Context(), "same")
	opsOK(t, err, fmt.Sprintf("ExportPublicKey in provider %d", id))
	if !opsVerifyECDSA(opsECPublic(t, p, "same", elliptic.P256()), mpDigest, sig) {
		t.Errorf("provider %d: crypto/ecdsa does not verify its signature", id)
	}
	return sig, pub
}

func mpRun(t *testing.T, s mpSetup, d *Daemon) {
	ctx := t.Context()
	a, b := s.names[0], s.names[1]
	c := d.Direct("parsec-tool") // parsec-tool's application name: the tool sees the same keys
	want := map[string]parsec.ProviderID{a: s.fixed, b: parsec.ProviderExtraFirst, "core": parsec.ProviderCore}
	if got := mpIDs(t, c); !maps.Equal(got, want) {
		t.Fatalf("ids %v, want %v", got, want)
	}
	if got := mpListed(t, c); !slices.Equal(got, []parsec.ProviderID{s.fixed, parsec.ProviderCore}) {
		t.Errorf("ListProviders as Parsec's clients see it: %v, want [%d 0]", got, s.fixed)
	}

	// One key name in both providers: two keys.
	attrs := opsSignAttrs(opsECCPair, 256, opsSignUsage, tpmECDSA)
	for _, id := range []parsec.ProviderID{s.fixed, parsec.ProviderExtraFirst} {
		opsOK(t, c.UsingProvider(id).GenerateKey(ctx, "same", attrs), fmt.Sprintf("GenerateKey in provider %d", id))
	}
	sigA, pubA := mpSign(t, c, s.fixed)
	sigB, pubB := mpSign(t, c, parsec.ProviderExtraFirst)
	if bytes.Equal(pubA, pubB) {
		t.Fatal("the two providers' keys \"same\" have one public key")
	}
	// Cross-verification: each provider checks the other's signature on
	// the other's public key, imported.
	pubAttrs := opsSignAttrs(opsECCPub, 256, psa.UsageVerifyHash|psa.UsageVerifyMessage, tpmECDSA)
	for _, x := range []struct {
		id       parsec.ProviderID
		peer     string
		pub, sig []byte
	}{{s.fixed, "peer-" + b, pubB, sigB}, {parsec.ProviderExtraFirst, "peer-" + a, pubA, sigA}} {
		p := c.UsingProvider(x.id)
		opsOK(t, p.ImportKey(ctx, x.peer, pubAttrs, x.pub), fmt.Sprintf("ImportKey %s in provider %d", x.peer, x.id))
		opsOK(t, p.VerifyHash(ctx, x.peer, tpmECDSA, mpDigest, x.sig), fmt.Sprintf("provider %d verifying the other's signature", x.id))
		opsExpect(t, p.VerifyHash(ctx, x.peer, tpmECDSA, mpDigest, opsFlip(x.sig, 5)), status.PsaErrorInvalidSignature,
			fmt.Sprintf("provider %d verifying a corrupted signature of the other", x.id))
	}
	all, err := c.ListAllKeys(ctx)
	opsOK(t, err, "ListAllKeys")
	wantAll := []string{fmt.Sprintf("%d/peer-%s", s.fixed, b), fmt.Sprintf("%d/same", s.fixed), "128/peer-" + a, "128/same"}
	slices.Sort(wantAll)
	if got := mpKeys(all); !slices.Equal(got, wantAll) {
		t.Errorf("ListAllKeys: %v", got)
	}
	parsecView, err := c.ListKeys(ctx)
	opsOK(t, err, "ListKeys")
	if got := mpKeys(parsecView); !slices.Equal(got, []string{fmt.Sprintf("%d/peer-%s", s.fixed, b), fmt.Sprintf("%d/same", s.fixed)}) {
		t.Errorf("ListKeys as Parsec's clients see it: %v", got)
	}

	// parsec-tool selects either by name or id.
	pemB := d.MustTool("-p", b, "export-public-key", "-k", "same")
	if d.MustTool("-p", "128", "export-public-key", "-k", "same") != pemB || d.MustTool("-p", a, "export-public-key", "-k", "same") == pemB {
		t.Errorf("parsec-tool -p %s and -p 128 do not name one provider, or -p %s names it too", b, a)
	}
	if out := d.MustTool("list-providers"); !strings.Contains(out, fmt.Sprintf("ID: 0x80 (%q)", b)) {
		t.Errorf("list-providers does not show %s by name:\n%s", b, out)
	}
	if out := d.MustTool("list-keys"); !strings.Contains(out, fmt.Sprintf("* same (%q, ", b)) {
		t.Errorf("list-keys does not show %s's key by name:\n%s", b, out)
	}
	wantErr := fmt.Sprintf("[ERROR parsec_tool] The provider name entered does not map with an existing provider: no provider \"nope\": the service has %s (%d), %s (128)\n", a, s.fixed, b)
	if out, errOut, code := d.Tool(0, "-p", "nope", "ping"); code != 1 || out != "" || errOut != wantErr {
		t.Errorf("parsec-tool -p nope ping: exit %d, stdout %q, stderr %q; want exit 1 and %q", code, out, errOut, wantErr)
	}

	// A reload in another order and a restart keep ids and keys.
	check := func(when string) {
		t.Helper()
		if got := mpIDs(t, c); got[a] != s.fixed || got[b] != parsec.ProviderExtraFirst {
			t.Fatalf("%s: ids %v, want %s=%d %s=128", when, got, a, s.fixed, b)
		}
		for id, pub := range map[parsec.ProviderID][]byte{s.fixed: pubA, parsec.ProviderExtraFirst: pubB} {
			if _, got := mpSign(t, c, id); !bytes.Equal(got, pub) {
				t.Errorf("%s: the key of provider %d changed", when, id)
			}
		}
	}
	d.WriteConfig(s.options(b, a))
	d.Signal(syscall.SIGHUP)
	lcWaitLog(t, d, "configuration reloaded", 1)
	check("after a reload with the providers in the other order")
	d.Stop()
	d.Start()
	check("after a restart")

	// Without a, b keeps serving on its id; a's id is not given to anyone.
	d.WriteConfig(s.options(b))
	d.Signal(syscall.SIGHUP)
	lcWaitLog(t, d, "configuration reloaded", 1) // the restart began a new log
	if got := mpIDs(t, c); !maps.Equal(got, map[string]parsec.ProviderID{b: parsec.ProviderExtraFirst, "core": 0}) {
		t.Errorf("without %s: ids %v", a, got)
	}
	if _, got := mpSign(t, c, parsec.ProviderExtraFirst); !bytes.Equal(got, pubB) {
		t.Errorf("without %s: the key of %s changed", a, b)
	}
	_, err = c.UsingProvider(s.fixed).ExportPublicKey(ctx, "same")
	opsExpect(t, err, status.ProviderNotRegistered, fmt.Sprintf("a request to %s's id once it is removed", a))
	d.Stop()
	out, code := checkStore(t, d)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("note: 2 key(s) of provider %q (provider id %d, kept for it)", a, s.fixed)) {
		t.Errorf("check-store without %s: exit %d\n%s", a, code, out)
	}

	// a comes back with its id and keys.
	d.WriteConfig(s.options(a, b))
	d.Start()
	check("after " + a + " came back")
}

func mpKeys(ks []client.KeyInfo) []string {
	var out []string
	for _, k := range ks {
		out = append(out, fmt.Sprintf("%d/%s", k.Provider, k.Name))
	}
	slices.Sort(out)
	return out
}

func TestMultiProviderSoftware(t *testing.T) {
	t.Parallel()
	s := mpSetup{typ: "Software", fixed: parsec.ProviderMbedCrypto, names: [2]string{"soft-a", "soft-b"}}
	d := NewDaemon(t, s.options("soft-a", "soft-b"))
	d.Start()
	mpRun(t, s, d)
}

func TestTpmMultiProvider(t *testing.T) {
	t.Parallel()
	s := mpSetup{typ: "Tpm", fixed: parsec.ProviderTpm, names: [2]string{"tpm-a", "tpm-b"}, keys: map[string]string{}}
	for _, n := range s.names {
		s.keys[n] = startSwtpm(t).Entry("")
	}
	d := NewDaemon(t, s.options("tpm-a", "tpm-b"))
	d.Start()
	mpRun(t, s, d)
}

// TestCompatTwoProvidersOfOneType: Parsec's own interface crate (the Rust
// compat client) against a daemon with two software providers, the second
// holding a key of the client's application. parsec-interface 0.27 fails a
// whole ListProviders or ListKeys answer holding an id it does not know
// (ProviderDoesNotExist): the run passing shows that the extra provider
// and its key stay out of what it is answered, and that the fixed id is
// served as with one provider.
func TestCompatTwoProvidersOfOneType(t *testing.T) {
	t.Parallel()
	s := mpSetup{typ: "Software", fixed: parsec.ProviderMbedCrypto, names: [2]string{"soft-a", "soft-b"}}
	d := NewDaemon(t, s.options("soft-a", "soft-b")).Start()
	c := d.Direct("parsec-compat").UsingProvider(parsec.ProviderExtraFirst) // the compat client's application
	attrs := opsSignAttrs(opsECCPair, 256, opsSignUsage, tpmECDSA)
	opsOK(t, c.GenerateKey(t.Context(), "in-soft-b", attrs), "GenerateKey in soft-b")
	r := compatRun(t, d, false)
	r.listed(t, 1)
	r.check(t, compatSoftKinds...)
	if slices.ContainsFunc(r.lines, func(l string) bool { return strings.Contains(l, "[provider 128") }) {
		t.Error("the compat client was shown provider 128")
	}
	keys, err := c.ListAllKeys(t.Context())
	opsOK(t, err, "ListAllKeys after the compat run")
	if !slices.ContainsFunc(keys, func(k client.KeyInfo) bool { return k.Provider == parsec.ProviderExtraFirst && k.Name == "in-soft-b" }) {
		t.Errorf("soft-b's key is gone after the compat run: %v", keys)
	}
}
