// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package e2e

// A kill -9 campaign against the real daemon with the TPM (on swtpm) and
// software providers: mixed operations from several applications,
// DeleteClient and SIGHUP reloads, then SIGKILL at a random moment, 20
// times. After each kill check-store finds nothing but the reservations a
// kill may leave, and after each restart every key whose creation was
// acknowledged is listed and signs, and every listed key works: nothing is
// lost and nothing is left half made.

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/parsecd/parsecd/src/client"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

type campaignKey struct {
	app  string
	prov parsec.ProviderID
	name string
}

// campaignBook is what the applications were told: acknowledged keys
// exist; keys whose creation, destruction or deletion did not answer may
// or may not.
type campaignBook struct {
	mu        sync.Mutex
	acked     map[campaignKey]bool
	uncertain map[campaignKey]bool
}

func (b *campaignBook) set(k campaignKey, acked, uncertain bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.acked, k)
	delete(b.uncertain, k)
	if acked {
		b.acked[k] = true
	}
	if uncertain {
		b.uncertain[k] = true
	}
}

// outcome records what an answer says about k: Success means the wanted
// state, a refusal the old one, anything else (the connection cut by the
// kill) either.
func (b *campaignBook) outcome(k campaignKey, err error, existsOnSuccess bool) {
	switch {
	case err == nil:
		b.set(k, existsOnSuccess, false)
	case status.CodeOf(err) == status.ConnectionError || !status.Known(status.CodeOf(err)) || status.CodeOf(err) == status.PsaErrorGenericError:
		b.set(k, false, true)
	}
}

func TestKillCampaign(t *testing.T) {
	t.Parallel()
	s := startSwtpm(t)
	d := NewDaemon(t, Options{ProvType: "Tpm", ExtraConf: s.Entry("") + tpmSoftEntry, Admins: []string{"admin"}})
	ctx := t.Context()
	book := &campaignBook{acked: map[campaignKey]bool{}, uncertain: map[campaignKey]bool{}}
	sign := opsSign(psa.SignEcdsa, psa.HashSHA256)
	attrs := opsSignAttrs(opsECCPair, 256, opsSignUsage, sign)
	digest := sha256.Sum256([]byte("campaign"))
	apps := []string{"app-a", "app-b", "app-c"}
	provs := []parsec.ProviderID{parsec.ProviderTpm, parsec.ProviderMbedCrypto}

	// verify checks the keys after a restart and settles the uncertain ones.
	verify := func(round int) {
		t.Helper()
		listed := map[campaignKey]bool{}
		for _, app := range apps {
			keys, err := d.Direct(app).ListKeys(ctx)
			opsOK(t, err, fmt.Sprintf("round %d: ListKeys of %s", round, app))
			for _, k := range keys {
				listed[campaignKey{app, k.Provider, k.Name}] = true
			}
		}
		book.mu.Lock()
		defer book.mu.Unlock()
		for k := range book.acked {
			if !listed[k] {
				t.Fatalf("round %d: acknowledged key %+v is lost", round, k)
			}
		}
		for k := range listed {
			if !book.acked[k] && !book.uncertain[k] {
				t.Fatalf("round %d: key %+v is listed but was never created, or was destroyed", round, k)
			}
			c := d.Direct(k.app).UsingProvider(k.prov)
			sig, err := c.SignHash(ctx, k.name, sign, digest[:])
			if err != nil {
				t.Fatalf("round %d: listed key %+v does not sign: %v", round, k, err)
			}
			der, _ := client.ECDSASignatureToASN1(sig)
			pub, err := c.ExportPublicKey(ctx, k.name)
			opsOK(t, err, "ExportPublicKey")
			pk, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), pub)
			if err != nil || !ecdsa.VerifyASN1(pk, digest[:], der) {
				t.Fatalf("round %d: key %+v signs with another key than it exports (%v)", round, k, err)
			}
			book.acked[k] = true
		}
		clear(book.uncertain)
	}

	const rounds = 20
	for round := range rounds {
		d.Start()
		verify(round)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for i, app := range apps {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(round), uint64(i)))
				for n := 0; ; n++ {
					select {
					case <-stop:
						return
					default:
					}
					prov := provs[rng.IntN(len(provs))]
					c := d.Direct(app).UsingProvider(prov)
					k := campaignKey{app, prov, fmt.Sprintf("r%d-%d", round, n)}
					switch op := rng.IntN(10); {
					case op < 5:
						book.set(k, false, true)
						book.outcome(k, c.GenerateKey(ctx, k.name, attrs), true)
					case op < 8:
						book.mu.Lock()
						var victim *campaignKey
						for v := range book.acked {
							if v.app == app {
								victim = &v
								break
							}
						}
						book.mu.Unlock()
						if victim != nil {
							book.set(*victim, false, true)
							book.outcome(*victim, d.Direct(app).UsingProvider(victim.prov).DestroyKey(ctx, victim.name), false)
						}
					case op == 8 && app == "app-c":
						book.mu.Lock()
						var mine []campaignKey
						for v := range book.acked {
							if v.app == app {
								mine = append(mine, v)
							}
						}
						book.mu.Unlock()
						for _, v := range mine {
							book.set(v, false, true)
						}
						err := d.Direct("admin").DeleteClient(ctx, app)
						for _, v := range mine {
							book.outcome(v, err, false)
						}
					default:
						_, _ = c.SignHash(ctx, "none", sign, digest[:])
					}
				}
			}()
		}
		rng := rand.New(rand.NewPCG(uint64(round), 99))
		time.Sleep(time.Duration(100+rng.IntN(200)) * time.Millisecond)
		if round%3 == 0 {
			d.Signal(syscall.SIGHUP)
			time.Sleep(time.Duration(rng.IntN(100)) * time.Millisecond)
		}
		d.Signal(syscall.SIGKILL)
		_ = d.Wait(10 * time.Second)
		close(stop)
		wg.Wait()

		out, code := checkStore(t, d)
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "problem:") && !strings.Contains(line, "reservation(s) in provider") {
				t.Fatalf("round %d: check-store after the kill: %s\n%s", round, line, out)
			}
		}
		if code != 0 && !strings.Contains(out, "reservation(s) in provider") {
			t.Fatalf("round %d: check-store exit %d\n%s", round, code, out)
		}
	}
	d.Start()
	verify(rounds)
	out, code := checkStore(t, d)
	if code != 1 || !strings.Contains(out, "stop it first") {
		t.Errorf("check-store beside the running daemon: exit %d\n%s", code, out)
	}
	book.mu.Lock()
	t.Logf("%d rounds: %d keys alive at the end", rounds, len(book.acked))
	book.mu.Unlock()
}
