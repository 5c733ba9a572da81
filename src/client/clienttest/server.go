// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package clienttest serves Parsec on a temporary Unix socket, for testing
// code built on package client: canned replies (NewServer, Mux) or the real
// service back end with the software provider (NewService).
package clienttest

import (
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/parsecd/parsecd/src/interface/pbwire"

	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/src/wire"
)

// Handler answers one request. Returning nil closes the connection without
// a reply.
type Handler func(req *wire.Request) *wire.Response

// Server is a fake service: one request per connection, like parsecd.
type Server struct {
	// Endpoint is the URI to give to client.WithEndpoint ("unix:/...").
	Endpoint string
	// Path is the socket path.
	Path string

	ln      net.Listener
	handler Handler
	mu      sync.Mutex
	reqs    []*wire.Request
	wg      sync.WaitGroup
}

// NewServer starts a fake service answering with h; it stops when the test ends.
func NewServer(t testing.TB, h Handler) *Server {
	t.Helper()
	// A short directory: socket paths are limited to about 107 bytes.
	dir, err := os.MkdirTemp("", "pct")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "s.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		os.RemoveAll(dir)
		t.Fatal(err)
	}
	s := &Server{Endpoint: "unix:" + path, Path: path, ln: ln, handler: h}
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(func() {
		ln.Close()
		s.wg.Wait()
		os.RemoveAll(dir)
	})
	return s
}

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer conn.Close()
			req, err := wire.ReadRequest(conn, wire.Limits{BodyLen: wire.DefaultBodyLimit})
			var resp *wire.Response
			if err != nil {
				resp = wire.DefaultResponse(status.CodeOf(err))
			} else {
				s.mu.Lock()
				s.reqs = append(s.reqs, req)
				s.mu.Unlock()
				resp = s.handler(req)
			}
			if resp != nil {
				_, _ = conn.Write(wire.EncodeResponse(resp))
			}
		}()
	}
}

// Requests returns the well-formed requests received so far.
func (s *Server) Requests() []*wire.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*wire.Request(nil), s.reqs...)
}

// Reply is a success response to req carrying res (nil for an empty body).
func Reply(req *wire.Request, res pbwire.Message) *wire.Response {
	var body []byte
	if res != nil {
		var err error
		if body, err = pbwire.Marshal(res); err != nil {
			panic(err)
		}
	}
	return wire.ReplyTo(req, status.Success, body)
}

// Fail is an error response to req, echoing its header like the service does.
func Fail(req *wire.Request, c status.Code) *wire.Response {
	return wire.ReplyTo(req, c, nil)
}

// Mux dispatches requests by opcode; unknown opcodes get PsaErrorNotSupported.
type Mux map[parsec.Opcode]Handler

// Handle implements Handler.
func (m Mux) Handle(req *wire.Request) *wire.Response {
	if h, ok := m[req.Header.Opcode]; ok {
		return h(req)
	}
	return Fail(req, status.PsaErrorNotSupported)
}
