// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package e2e

// Configured limits (body_len_limit, buffer_size_limit, thread_pool_size,
// listener timeout) and concurrent load.

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/parsecd/parsecd/src/interface/pbwire"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/parsecd/parsecd/src/interface/ops/psageneraterandom"
	"github.com/parsecd/parsecd/src/interface/ops/psahashcompute"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/src/wire"
)

// lmHashBody returns a HashCompute(SHA-256) body of exactly n bytes and its input.
func lmHashBody(t testing.TB, n int) ([]byte, []byte) {
	t.Helper()
	for in := n - 5; in > 0; in-- {
		input := bytes.Repeat([]byte{'a'}, in)
		b, err := pbwire.Marshal(&psahashcompute.Operation{Alg: psa.HashToProto(psa.HashSHA256), Input: input})
		if err != nil {
			t.Fatal(err)
		}
		if len(b) == n {
			return b, input
		}
	}
	t.Fatalf("no HashCompute body of %d bytes", n)
	return nil, nil
}

// lmRandomBody returns a GenerateRandom(size) body padded to exactly n
// bytes with an unknown field, which protobuf decoders skip.
func lmRandomBody(t testing.TB, size uint64, n int) []byte {
	t.Helper()
	base, err := pbwire.Marshal(&psageneraterandom.Operation{Size: size})
	if err != nil {
		t.Fatal(err)
	}
	for pad := 0; pad <= n; pad++ {
		b := protowire.AppendTag(bytes.Clone(base), 1000, protowire.BytesType)
		b = protowire.AppendBytes(b, make([]byte, pad))
		if len(b) == n {
			return b
		}
	}
	t.Fatalf("no GenerateRandom body of %d bytes", n)
	return nil
}

func TestLimitsBodyAndBuffer(t *testing.T) {
	t.Parallel()
	d := NewDaemon(t, Options{Core: "body_len_limit = 1024\nbuffer_size_limit = 1024"}).Start()
	app := []byte("limits")
	mbed := func(op parsec.Opcode) wire.Header {
		return wire.Header{Provider: parsec.ProviderMbedCrypto, Opcode: op, AuthType: parsec.AuthDirect, Session: 7}
	}

	// body_len_limit: 1024 bytes are accepted, 1025 refused with the default header.
	body, input := lmHashBody(t, 1024)
	got := wxExchange(t, d.Socket, wxRequest(t, mbed(parsec.OpPsaHashCompute), body, app))
	sum := sha256.Sum256(input)
	res, _ := pbwire.Marshal(&psahashcompute.Result{Hash: sum[:]})
	wxExpect(t, "1024-byte HashCompute body", got, wxReply(mbed(parsec.OpPsaHashCompute), status.Success, res))
	body, _ = lmHashBody(t, 1025)
	got = wxExchange(t, d.Socket, wxRequest(t, mbed(parsec.OpPsaHashCompute), body, app))
	wxExpect(t, "1025-byte HashCompute body", got, wxDefault(status.BodySizeExceedsLimit))

	got = wxExchange(t, d.Socket, wxRequest(t, mbed(parsec.OpPsaGenerateRandom), lmRandomBody(t, 16, 1024), app))
	resp := wxDecode(t, "1024-byte GenerateRandom body", got.reply)
	var rnd psageneraterandom.Result
	if err := pbwire.Unmarshal(resp.Body, &rnd); resp.Header.Status != status.Success || err != nil || len(rnd.RandomBytes) != 16 {
		t.Errorf("1024-byte GenerateRandom body: %v, %d bytes (%v)", resp.Header.Status, len(rnd.RandomBytes), err)
	}
	got = wxExchange(t, d.Socket, wxRequest(t, mbed(parsec.OpPsaGenerateRandom), lmRandomBody(t, 16, 1025), app))
	wxExpect(t, "1025-byte GenerateRandom body", got, wxDefault(status.BodySizeExceedsLimit))
	// The auth field does not count against the body limit.
	body, _ = lmHashBody(t, 1024)
	got = wxExchange(t, d.Socket, wxRequest(t, mbed(parsec.OpPsaHashCompute), body, bytes.Repeat([]byte{'n'}, 2000)))
	if r := wxDecode(t, "1024-byte body with 2000 auth bytes", got.reply); r.Header.Status != status.Success {
		t.Errorf("1024-byte body with a 2000-byte application name: %v", r.Header.Status)
	}

	// buffer_size_limit: GenerateRandom of 1024 works, 1025 is ResponseTooLarge, 0 is empty.
	c := d.Direct("limits")
	ctx := context.Background()
	if b, err := c.GenerateRandom(ctx, 1024); err != nil || len(b) != 1024 {
		t.Errorf("GenerateRandom(1024): %d bytes, %v", len(b), err)
	}
	if _, err := c.GenerateRandom(ctx, 1025); status.CodeOf(err) != status.ResponseTooLarge {
		t.Errorf("GenerateRandom(1025): %v, want ResponseTooLarge", err)
	}
	h := mbed(parsec.OpPsaGenerateRandom)
	zero, _ := pbwire.Marshal(&psageneraterandom.Operation{Size: 0})
	wxExpect(t, "GenerateRandom(0)", wxExchange(t, d.Socket, wxRequest(t, h, zero, app)), wxReply(h, status.Success, nil))
	wxCheckServing(t, d.Socket)
}

func TestLimitsSingleThread(t *testing.T) {
	t.Parallel()
	// A timeout long enough that the Ping below cannot lose the race to it
	// on a loaded machine: the order of the answers is what is checked.
	d := NewDaemon(t, Options{Core: "thread_pool_size = 1", Timeout: 2000}).Start()
	ctx := context.Background()

	// Two concurrent clients are both served, one after the other.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := d.Direct(fmt.Sprintf("client-%d", i))
			for j := range 5 {
				name := fmt.Sprintf("k%d", j)
				if err := c.GenerateKey(ctx, name, eccSignAttrs()); err != nil {
					errs[i] = err
					return
				}
				if _, err := c.SignHash(ctx, name, eccAlg, lcDigest(name)); err != nil {
					errs[i] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("client %d with a single worker: %v", i, err)
		}
	}

	// A client that connects and sends nothing does not hold the only
	// worker (issue 13): a Ping is answered while the silent client still
	// waits for its timeout, which then answers it with status 15.
	slow, err := net.Dial("unix", d.Socket)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	_ = slow.SetDeadline(time.Now().Add(20 * time.Second))
	slowDone := make(chan wxResult, 1)
	go func() { slowDone <- wxReadAll(slow) }()
	if _, _, err := d.Client().Ping(ctx); err != nil {
		t.Fatalf("Ping behind a silent client: %v", err)
	}
	select {
	case r := <-slowDone:
		t.Fatalf("the silent client was answered (%x, %v) before the Ping that came after it: the Ping waited for its timeout", r.reply, r.end)
	default:
	}
	wxExpect(t, "silent client", <-slowDone, wxDefault(status.ConnectionError))
}

// Eight clients run fifty mixed operations each, concurrently, without a failure.
func TestLimitsConcurrentClients(t *testing.T) {
	t.Parallel()
	d := NewDaemon(t, Options{}).Start()
	ctx := context.Background()
	const clients, opsPerClient = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, clients*opsPerClient)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := d.Direct("stress")
			fail := func(step string, err error) { errs <- fmt.Errorf("client %d %s: %w", i, step, err) }
			ops := 0
			for cycle := 0; ops < opsPerClient; cycle++ {
				name := fmt.Sprintf("c%d-key%d", i, cycle)
				useRSA := cycle == 0
				attrs, alg := eccSignAttrs(), eccAlg
				if useRSA {
					attrs, alg = rsaSignAttrs(2048), rsaAlg
				}
				digest := lcDigest(name)
				var sig, pub []byte
				steps := []func() error{
					func() error { return c.GenerateKey(ctx, name, attrs) },
					func() (err error) { sig, err = c.SignHash(ctx, name, alg, digest); return },
					func() error { return c.VerifyHash(ctx, name, alg, digest, sig) },
					func() (err error) {
						if pub, err = c.ExportPublicKey(ctx, name); err != nil {
							return err
						}
						if useRSA {
							return rsaVerify(pub, digest, sig)
						}
						if !verifyP256Bytes(pub, digest, sig) {
							return fmt.Errorf("signature does not verify with the exported key")
						}
						return nil
					},
					func() error { _, _, err := c.Ping(ctx); return err },
					func() error {
						if err := c.VerifyHash(ctx, name, alg, lcDigest("other"), sig); status.CodeOf(err) != status.PsaErrorInvalidSignature {
							return fmt.Errorf("wrong digest verified: %v", err)
						}
						return nil
					},
					func() error { return c.DestroyKey(ctx, name) },
				}
				for s, step := range steps {
					if err := step(); err != nil {
						fail(fmt.Sprintf("cycle %d step %d (key %s)", cycle, s, name), err)
						return
					}
					ops++
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if keys, err := d.Direct("stress").ListKeys(ctx); err != nil || len(keys) != 0 {
		t.Errorf("after every key was destroyed: %d keys left, %v", len(keys), err)
	}
	wxCheckServing(t, d.Socket)
}

// rsaVerify and verifyP256Bytes check signatures without a testing.TB
// (they run in client goroutines).
func rsaVerify(der, digest, sig []byte) error {
	pub, err := x509.ParsePKCS1PublicKey(der)
	if err != nil {
		return err
	}
	return rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest, sig)
}

func verifyP256Bytes(point, digest, sig []byte) bool {
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), point)
	return err == nil && verifyP256(pub, digest, sig)
}
