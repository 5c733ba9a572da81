// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package e2e

// The compat client's own guarantees, against a scripted service (built on
// src/wire and the generated protobuf types) that answers the core
// operations and lists what the test says for provider 1: a listed opcode
// the client has no check for fails it, and so does a ListOpcodes answer
// Parsec's crate cannot decode (MAC, 0x16 — as parsecd did before 78f3e07).

import (
	"errors"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parsecd/parsecd/src/interface/pbwire"

	"github.com/parsecd/parsecd/src/interface/ops/listauthenticators"
	"github.com/parsecd/parsecd/src/interface/ops/listkeys"
	"github.com/parsecd/parsecd/src/interface/ops/listopcodes"
	"github.com/parsecd/parsecd/src/interface/ops/listproviders"
	"github.com/parsecd/parsecd/src/interface/ops/ping"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/src/wire"
)

// compatFake serves one request per connection on a socket of the test;
// provider 1 lists listed. It returns the socket path.
func compatFake(t *testing.T, listed []uint32) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "fake.sock")
	l, err := net.Listen("unix", sock)
	opsOK(t, err, "listen")
	t.Cleanup(func() { _ = l.Close() })
	answer := func(req *wire.Request) (pbwire.Message, status.Code) {
		switch req.Header.Opcode {
		case parsec.OpPing:
			return &ping.Result{WireProtocolVersionMaj: 1}, status.Success
		case parsec.OpListAuthenticators:
			return &listauthenticators.Result{Authenticators: []*listauthenticators.AuthenticatorInfo{
				{Description: "direct", VersionMin: 1, Id: uint32(parsec.AuthDirect)}}}, status.Success
		case parsec.OpListProviders:
			return &listproviders.Result{Providers: []*listproviders.ProviderInfo{
				{Uuid: opsSoftUUID, Description: "scripted", VersionMin: 1, Id: 1},
				{Uuid: opsCoreUUID, Description: "core", VersionMin: 1, Id: 0}}}, status.Success
		case parsec.OpListOpcodes:
			var op listopcodes.Operation
			if pbwire.Unmarshal(req.Body, &op) != nil {
				return nil, status.DeserializingBodyFailed
			}
			if op.ProviderId == 0 {
				return &listopcodes.Result{Opcodes: []uint32{0x01, 0x08, 0x09, 0x0e, 0x1a}}, status.Success
			}
			return &listopcodes.Result{Opcodes: listed}, status.Success
		case parsec.OpListKeys:
			return &listkeys.Result{}, status.Success
		}
		return nil, status.PsaErrorNotSupported
	}
	go func() {
		for {
			c, err := l.Accept()
			if errors.Is(err, net.ErrClosed) {
				return
			} else if err != nil {
				continue
			}
			go func() {
				defer c.Close()
				req, err := wire.ReadRequest(c, wire.Limits{BodyLen: wire.DefaultBodyLimit})
				if err != nil {
					return
				}
				msg, code := answer(req)
				var body []byte
				if msg != nil {
					body, _ = pbwire.Marshal(msg)
				}
				_, _ = c.Write(wire.EncodeResponse(wire.ReplyTo(req, code, body)))
			}()
		}
	}()
	return sock
}

// compatRunFake runs the client against the scripted service and returns
// its output; it must exit 1.
func compatRunFake(t *testing.T, listed []uint32) string {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), compatClient(t), "--socket", compatFake(t, listed)).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("the client exits with %v, want status 1\n%s", err, out)
	}
	return string(out)
}

func TestCompatFailsOnAnOpcodeItCannotExercise(t *testing.T) {
	t.Parallel()
	out := compatRunFake(t, []uint32{0x01})
	want := "FAIL [provider 1 Mbed Crypto provider] listed opcode 0x01 exercised: a core opcode listed by a crypto provider"
	if !strings.Contains(out, want) {
		t.Errorf("no %q in:\n%s", want, out)
	}
}

func TestCompatFailsOnAListingParsecCannotDecode(t *testing.T) {
	t.Parallel()
	out := compatRunFake(t, []uint32{0x0d, 0x16, 0x17})
	want := "FAIL [core] ListOpcodes(Mbed Crypto provider): status 9 (OpcodeDoesNotExist)"
	if !strings.Contains(out, want) {
		t.Errorf("no %q in:\n%s", want, out)
	}
}
