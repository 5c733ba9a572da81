// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package loadclient is the raw Parsec client of the measuring programs
// (test/bench, test/soak): requests framed once, then sent each on a fresh
// connection, as every Parsec client does, with nothing else on the path.
package loadclient

import (
	"net"
	"time"

	"github.com/parsecd/parsecd/src/interface/pbwire"

	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/src/wire"
)

// Frame encodes one request: unauthenticated when app is "", else with
// Direct authentication as app.
func Frame(provider parsec.ProviderID, op parsec.Opcode, body pbwire.Message, app string) []byte {
	var b []byte
	if body != nil {
		var err error
		if b, err = pbwire.Marshal(body); err != nil {
			panic(err)
		}
	}
	req := &wire.Request{Header: wire.Header{Provider: provider, Opcode: op}, Body: b}
	if app != "" {
		req.Header.AuthType = parsec.AuthDirect
		req.Auth = []byte(app)
	}
	out, err := wire.EncodeRequest(req)
	if err != nil {
		panic(err)
	}
	return out
}

// RoundTrip sends req on a fresh connection and reads the answer; a status
// other than Success is the error. A timeout above zero bounds the
// connection and the exchange.
func RoundTrip(sock string, req []byte, timeout time.Duration) error {
	c, err := net.DialTimeout("unix", sock, timeout)
	if err != nil {
		return err
	}
	defer c.Close()
	if timeout > 0 {
		_ = c.SetDeadline(time.Now().Add(timeout))
	}
	if _, err := c.Write(req); err != nil {
		return err
	}
	resp, err := wire.ReadResponse(c, 0)
	if err != nil {
		return err
	}
	if resp.Header.Status != status.Success {
		return resp.Header.Status
	}
	return nil
}
