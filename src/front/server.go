// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package front is the transport front end: it accepts connections on the
// Unix socket, reads exactly one request per connection within the
// configured timeout, hands it to the current back end and writes exactly
// one response before closing, as every Parsec client expects.
package front

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"time"

	"github.com/parsecd/parsecd/src/auth"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/src/wire"
)

// Handler answers one parsed request.
type Handler interface {
	Handle(ctx context.Context, req *wire.Request, peer *auth.PeerCred) *wire.Response
}

// Settings are the per-connection limits of the current configuration.
type Settings struct {
	Timeout time.Duration // read and write deadline
	Limits  wire.Limits
}

// Generation is one configuration's handler, and a count of the requests
// it serves so that a reload can wait for them before closing it.
type Generation struct {
	Handler  Handler
	Settings Settings
	inflight sync.WaitGroup
}

// Server serves a listener with the current Generation.
type Server struct {
	log *slog.Logger

	mu   sync.RWMutex
	gen  *Generation
	sem  chan struct{} // bounds concurrent connections (thread_pool_size)
	idle chan task     // parked workers take connections from here

	conns sync.WaitGroup
}

// NewServer returns a server that bounds concurrent connections to poolSize.
func NewServer(g *Generation, poolSize int, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{log: log, gen: g, sem: make(chan struct{}, poolSize), idle: make(chan task)}
}

// Swap installs a new generation (and pool size) for new connections and
// waits until every request of the old one has been answered.
func (s *Server) Swap(g *Generation, poolSize int) *Generation {
	s.mu.Lock()
	old := s.gen
	s.gen = g
	if poolSize != cap(s.sem) {
		s.sem = make(chan struct{}, poolSize)
	}
	s.mu.Unlock()
	old.inflight.Wait()
	return old
}

func (s *Server) current() (*Generation, chan struct{}) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.gen, s.sem
}

// Serve accepts connections until ln is closed or ctx is done. It takes a
// pool slot before accepting, so that load waits in the kernel's backlog
// rather than in unbounded goroutines. It returns once ln fails; call
// Wait to let in-flight requests finish.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	for {
		_, sem := s.current()
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
		c, err := ln.Accept()
		if err != nil {
			<-sem
			if errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			// EMFILE and friends: back off briefly instead of spinning.
			s.log.Warn("accept failed", "error", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		s.conns.Add(1)
		t := task{ctx: ctx, conn: c, sem: sem}
		select {
		case s.idle <- t: // a parked worker takes it
		default:
			go s.worker(t)
		}
	}
}

// task is one accepted connection and the pool slot it holds.
type task struct {
	ctx  context.Context
	conn net.Conn
	sem  chan struct{}
}

// workerIdle is how long a worker waits for another connection before
// exiting. Reusing workers keeps their grown stacks: a fresh goroutine
// would grow its stack again on every signature.
const workerIdle = 5 * time.Second

func (s *Server) worker(t task) {
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		s.serveConn(t.ctx, t.conn)
		<-t.sem
		s.conns.Done()
		idle.Reset(workerIdle)
		select {
		case t = <-s.idle:
		case <-idle.C:
			return
		}
	}
}

// Wait blocks until every accepted connection has been answered.
func (s *Server) Wait() { s.conns.Wait() }

func (s *Server) serveConn(ctx context.Context, c net.Conn) {
	defer c.Close()
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("panic while serving a request", "panic", r, "stack", string(debug.Stack()))
		}
	}()
	peer, err := peerCred(c)
	if err != nil {
		s.log.Warn("dropping connection: cannot read peer credentials", "error", err)
		return
	}
	s.mu.RLock()
	g := s.gen
	g.inflight.Add(1)
	s.mu.RUnlock()
	defer g.inflight.Done()

	_ = c.SetReadDeadline(time.Now().Add(g.Settings.Timeout))
	var resp *wire.Response
	req, err := wire.ReadRequest(c, g.Settings.Limits)
	if err != nil {
		code := status.CodeOf(err)
		if errors.Is(err, io.EOF) {
			// Not a byte sent: a probe (such as a second parsecd checking
			// that this socket is live), not a malformed request.
			s.log.Debug("connection closed before a request", "peer_uid", peer.UID)
		} else {
			s.log.Info("rejected malformed request", "status", code.String(), "peer_uid", peer.UID)
		}
		resp = wire.DefaultResponse(code)
	} else {
		// A shutdown must not abort a request already being served.
		resp = s.handle(context.WithoutCancel(ctx), g.Handler, req, peer)
	}
	_ = c.SetWriteDeadline(time.Now().Add(g.Settings.Timeout))
	if _, err := c.Write(wire.EncodeResponse(resp)); err != nil {
		s.log.Debug("writing response failed", "error", err)
		return
	}
	if err != nil {
		drain(c, g.Settings)
	}
}

// handle runs the handler; a panic is logged and answered with a generic
// error, so that the client is not left without a reply.
func (s *Server) handle(ctx context.Context, h Handler, req *wire.Request, peer *auth.PeerCred) (resp *wire.Response) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("panic while serving a request", "opcode", req.Header.Opcode.String(), "panic", r, "stack", string(debug.Stack()))
			resp = wire.ReplyTo(req, status.PsaErrorGenericError, nil)
		}
	}()
	return h.Handle(ctx, req, peer)
}

// drain follows an early rejection, when part of the request may still be
// unread: closing a Unix socket with unread input resets the peer, and a
// client reading to EOF (as parsec-client-go does) would lose the reply.
// Signal EOF first, then discard what is left, bounded in size and time.
func drain(c net.Conn, set Settings) {
	if uc, ok := c.(*net.UnixConn); ok {
		_ = uc.CloseWrite()
	}
	_ = c.SetReadDeadline(time.Now().Add(set.Timeout))
	_, _ = io.Copy(io.Discard, io.LimitReader(c, int64(set.Limits.BodyLen)+wire.HeaderLen+1<<16))
}
