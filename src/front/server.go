// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package front is the transport front end: it accepts connections on the
// Unix socket, reads exactly one request per connection within the
// configured timeout, hands it to the current back end and writes exactly
// one response before closing, as every Parsec client expects.
//
// Connections cost little until their request is complete: each one is
// read by its own goroutine under a deadline, and only a complete request
// takes one of the thread_pool_size execution slots. A client that sends
// nothing, or one byte at a time, holds a goroutine, a socket and what it
// has actually sent until the listener timeout, never a slot. How many
// connections a peer uid may hold is bounded (Settings.MaxConnsPerUID).
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

	"golang.org/x/sys/unix"

	"github.com/parsecd/parsecd/src/auth"
	"github.com/parsecd/parsecd/src/internal/ratelog"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/src/wire"
)

// Handler answers one parsed request.
type Handler interface {
	Handle(ctx context.Context, req *wire.Request, peer *auth.PeerCred) *wire.Response
}

// Defaults of the connection limits (listener.max_connections and
// listener.max_connections_per_uid).
const (
	DefaultMaxConns       = 4096
	DefaultMaxConnsPerUID = 64
	// HeldPerActive and HeldShare bound how many connections of a uid at
	// its cap may wait, unread, for one of its connections to end: the
	// larger of HeldPerActive × max_connections_per_uid and
	// max_connections / HeldShare. A burst of a busy client then queues
	// rather than fails, and a flood is parked without being read instead
	// of being closed at once: a closed flood connection reconnects at
	// once, and answering a flood with closes turns it into an accept storm
	// that costs the daemon far more than parked sockets do.
	HeldPerActive = 3
	HeldShare     = 4
	// MinHeldWait is the least a held connection waits for its turn before
	// it is closed (the listener timeout when that is longer): the longer a
	// flood connection stays parked, the less often it reconnects.
	MinHeldWait = time.Second
	// fdReserve is left of RLIMIT_NOFILE for key stores, a TPM or PKCS#11
	// module, log files: max_connections never eats into it.
	fdReserve = 64
)

// Settings are the per-connection limits of the current configuration.
type Settings struct {
	Timeout time.Duration // bounds reading a whole request, and again writing the answer
	Limits  wire.Limits
	// MaxConns bounds the connections open at once (0 = DefaultMaxConns);
	// it is lowered to fit the open-file limit.
	MaxConns int
	// MaxConnsPerUID bounds the connections of one peer uid being read or
	// served (0 = DefaultMaxConnsPerUID). More wait unread for their turn
	// (see HeldPerActive), up to heldWait; beyond that they are closed.
	MaxConnsPerUID int
}

func (s Settings) maxConns(fileLimit int) int {
	n := s.MaxConns
	if n <= 0 {
		n = DefaultMaxConns
	}
	if fileLimit > 0 {
		n = min(n, max(fileLimit-fdReserve, 16))
	}
	return n
}

func (s Settings) maxPerUID() int {
	if s.MaxConnsPerUID <= 0 {
		return DefaultMaxConnsPerUID
	}
	return s.MaxConnsPerUID
}

// maxHeld is how many connections of one uid may wait unread.
func (s Settings) maxHeld(fileLimit int) int {
	return max(HeldPerActive*s.maxPerUID(), s.maxConns(fileLimit)/HeldShare)
}

func (s Settings) heldWait() time.Duration { return max(s.Timeout, MinHeldWait) }

// pidShare is how many of its uid's slots one client process may take: an
// eighth is kept for the uid's other processes, so that one process
// flooding its uid does not make the others wait for a slot to free.
func (s Settings) pidShare() int {
	n := s.maxPerUID()
	return n - n/8
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
	// quiet carries the lines any local user can cause at will (malformed
	// requests, refused connections): they are rate-limited per cause.
	quiet *ratelog.Limiter

	mu   sync.RWMutex
	gen  *Generation
	sem  chan struct{} // execution slots (thread_pool_size)
	idle chan job      // parked workers take requests from here

	cmu       sync.Mutex
	open      int // connections accepted and not yet closed, held ones included
	peers     map[uint32]*peerConns
	fileLimit int // soft RLIMIT_NOFILE when the server was made

	conns sync.WaitGroup
}

// peerConns are one uid's connections.
type peerConns struct {
	active int           // being read, executed or answered
	pids   map[int32]int // active connections per client pid (SO_PEERCRED)
	hpids  map[int32]int // held connections per client pid
	nheld  int           // held connections still waiting
	held   []*held       // arrival order; gone ones stay until popped or compacted
}

// held is a connection waiting, unread, for its uid to drop below the cap.
type held struct {
	ctx   context.Context
	conn  net.Conn
	peer  *auth.PeerCred
	timer *time.Timer
	gone  bool // no longer waiting: expired, or popped by done; guarded by Server.cmu
}

// NewServer returns a server that executes at most poolSize requests at once.
func NewServer(g *Generation, poolSize int, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{log: log, quiet: ratelog.New(log, 0, 0), gen: g, sem: make(chan struct{}, poolSize),
		idle: make(chan job), peers: map[uint32]*peerConns{}}
	var rl unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &rl) == nil && rl.Cur < 1<<30 {
		s.fileLimit = int(rl.Cur)
	}
	return s
}

// SetLogRate sets how many lines of each cause that clients can provoke at
// will are logged per window before they are only counted (ratelog).
// Call it before Serve.
func (s *Server) SetLogRate(burst int, window time.Duration) {
	s.quiet = ratelog.New(s.log, burst, window)
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

// Serve accepts connections until ln is closed or ctx is done. Accepting
// costs no execution slot: a connection takes one only once its request
// has been read whole. It returns once ln fails; call Wait to let
// in-flight requests finish.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	stop := context.AfterFunc(ctx, func() { _ = ln.Close() })
	defer stop()
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			// EMFILE and friends: back off briefly instead of spinning.
			s.quiet.Log(slog.LevelWarn, "accept", "accept failed", "error", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		s.admit(ctx, c)
	}
}

// admit starts serving c, holds it unread while its uid is at the cap, or
// closes it when the server or the uid has too many connections.
func (s *Server) admit(ctx context.Context, c net.Conn) {
	peer, err := peerCred(c)
	if err != nil {
		s.quiet.Log(slog.LevelWarn, "peercred", "dropping connection: cannot read peer credentials", "error", err)
		_ = c.Close()
		return
	}
	g, _ := s.current()
	set := g.Settings
	s.cmu.Lock()
	if limit := set.maxConns(s.fileLimit); s.open >= limit {
		s.cmu.Unlock()
		s.quiet.Log(slog.LevelWarn, "max_connections", "connection refused: too many open connections",
			"peer_uid", peer.UID, "max_connections", limit)
		_ = c.Close()
		return
	}
	p := s.peers[peer.UID]
	if p == nil {
		p = &peerConns{pids: map[int32]int{}, hpids: map[int32]int{}}
		s.peers[peer.UID] = p
	}
	perUID := set.maxPerUID()
	switch {
	case p.active < perUID && p.pids[peer.PID] < set.pidShare():
		p.active++
		p.pids[peer.PID]++
		s.open++
		s.conns.Add(1)
		s.cmu.Unlock()
		go s.serveConn(ctx, c, peer)
	case p.nheld < set.maxHeld(s.fileLimit):
		h := &held{ctx: ctx, conn: c, peer: peer}
		p.held = append(p.held, h)
		p.nheld++
		p.hpids[peer.PID]++
		s.open++
		s.conns.Add(1)
		// Under the lock, so that expire cannot run before timer is set.
		h.timer = time.AfterFunc(set.heldWait(), func() { s.expire(h) })
		s.cmu.Unlock()
	default:
		s.cmu.Unlock()
		s.quiet.Log(slog.LevelWarn, "max_connections_per_uid", "connection refused: this uid has too many open connections",
			"peer_uid", peer.UID, "open", perUID+set.maxHeld(s.fileLimit), "max_connections_per_uid", perUID)
		_ = c.Close()
	}
}

// expire closes a held connection whose turn did not come in time.
func (s *Server) expire(h *held) {
	s.cmu.Lock()
	p := s.peers[h.peer.UID]
	if h.gone { // done popped it just before the timer fired
		s.cmu.Unlock()
		return
	}
	p.unhold(h)
	s.open--
	p.compact()
	s.dropIfEmpty(h.peer.UID, p)
	s.cmu.Unlock()
	_ = h.conn.Close()
	s.conns.Done()
	s.quiet.Log(slog.LevelWarn, "max_connections_per_uid", "connection closed unread: this uid had too many open connections for the whole wait",
		"peer_uid", h.peer.UID)
}

// compact drops gone entries once they outnumber the live ones: the
// queue's length stays within twice the live count, at constant amortised
// cost per removal.
func (p *peerConns) compact() {
	if len(p.held) <= 2*p.nheld+16 {
		return
	}
	live := p.held[:0]
	for _, x := range p.held {
		if !x.gone {
			live = append(live, x)
		}
	}
	clear(p.held[len(live):])
	p.held = live
}

// next picks the held connection to start: the oldest of the client
// process with the fewest active connections, among processes below their
// share (nil if none is). One process flooding its uid's share then delays
// another process of the same uid by one free slot, not by the whole queue
// it has filled.
func (p *peerConns) next(share int) *held {
	if len(p.hpids) == 1 { // one process waiting: the oldest, without a scan
		for _, h := range p.held {
			if !h.gone {
				if p.pids[h.peer.PID] >= share {
					return nil
				}
				return h
			}
		}
	}
	var best *held
	bestActive := 0
	for _, h := range p.held {
		if h.gone {
			continue
		}
		n := p.pids[h.peer.PID]
		if n < share && (best == nil || n < bestActive) {
			best, bestActive = h, n
			if n == 0 {
				break
			}
		}
	}
	return best
}

// unhold marks h as no longer waiting (started, closed or expired).
func (p *peerConns) unhold(h *held) {
	h.gone = true
	p.nheld--
	if p.hpids[h.peer.PID]--; p.hpids[h.peer.PID] == 0 {
		delete(p.hpids, h.peer.PID)
	}
}

// done ends one active connection of uid and starts a held one, if any.
func (s *Server) done(peer *auth.PeerCred) {
	g, _ := s.current()
	share := g.Settings.pidShare()
	s.cmu.Lock()
	s.open--
	p := s.peers[peer.UID]
	p.active--
	if p.pids[peer.PID]--; p.pids[peer.PID] == 0 {
		delete(p.pids, peer.PID)
	}
	var next *held
	for p.nheld > 0 {
		h := p.next(share)
		if h == nil {
			break
		}
		p.unhold(h) // its timer, if it fires now, leaves it alone
		if h.timer.Stop() {
			next = h
			break
		}
		// Its timer fired and its expire waits for the lock: its time is
		// up, so it is closed here.
		s.open--
		_ = h.conn.Close()
		s.conns.Done()
	}
	for len(p.held) > 0 && p.held[0].gone {
		p.held[0] = nil
		p.held = p.held[1:]
	}
	p.compact()
	if next != nil {
		p.active++
		p.pids[next.peer.PID]++
	}
	s.dropIfEmpty(peer.UID, p)
	s.cmu.Unlock()
	if next != nil {
		go s.serveConn(next.ctx, next.conn, next.peer)
	}
}

func (s *Server) dropIfEmpty(uid uint32, p *peerConns) {
	if p.active == 0 && p.nheld == 0 {
		delete(s.peers, uid)
	}
}

// Wait blocks until every accepted connection has been answered.
func (s *Server) Wait() { s.conns.Wait() }

func (s *Server) serveConn(ctx context.Context, c net.Conn, peer *auth.PeerCred) {
	defer s.conns.Done()
	defer s.done(peer)
	defer c.Close()
	defer s.guard(nil, nil)
	s.mu.RLock()
	g := s.gen
	g.inflight.Add(1)
	s.mu.RUnlock()
	defer g.inflight.Done()

	// One deadline for the whole request: a client trickling bytes does
	// not earn more time with each one.
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
			s.quiet.Log(slog.LevelInfo, "malformed:"+code.String(), "rejected malformed request", "status", code.String(), "peer_uid", peer.UID)
		}
		resp = wire.DefaultResponse(code)
	} else {
		// A shutdown must not abort a request already being served.
		resp = s.execute(context.WithoutCancel(ctx), g.Handler, req, peer)
	}
	_ = c.SetWriteDeadline(time.Now().Add(g.Settings.Timeout))
	if _, err := c.Write(wire.EncodeResponse(resp)); err != nil {
		s.log.Debug("writing response failed", "error", err)
		return
	}
	// A request cut short by the timeout or by the client left nothing
	// unread: closing at once is clean, and saves a wake-up and the time
	// a client that never closes would hold the connection in drain.
	if err != nil && status.CodeOf(err) != status.ConnectionError {
		drain(c, g.Settings)
	}
}

// job is one complete request waiting for a worker.
type job struct {
	ctx  context.Context
	h    Handler
	req  *wire.Request
	peer *auth.PeerCred
	sem  chan struct{}
	resp chan *wire.Response
}

// workerIdle is how long a worker waits for another request before
// exiting. Reusing workers keeps their grown stacks: a fresh goroutine
// would grow its stack again on every signature.
const workerIdle = 5 * time.Second

// execute runs req on a worker once an execution slot is free. The slot is
// released before the answer is written, so a client slow to read its
// answer does not hold it either.
func (s *Server) execute(ctx context.Context, h Handler, req *wire.Request, peer *auth.PeerCred) *wire.Response {
	_, sem := s.current()
	sem <- struct{}{}
	j := job{ctx: ctx, h: h, req: req, peer: peer, sem: sem, resp: make(chan *wire.Response, 1)}
	select {
	case s.idle <- j: // a parked worker takes it
	default:
		go s.worker(j)
	}
	return <-j.resp
}

func (s *Server) worker(j job) {
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		resp := s.handle(j.ctx, j.h, j.req, j.peer)
		<-j.sem
		j.resp <- resp
		idle.Reset(workerIdle)
		select {
		case j = <-s.idle:
		case <-idle.C:
			return
		}
	}
}

// handle runs the handler; a panic is answered with a generic error, so
// that the client is not left without a reply.
func (s *Server) handle(ctx context.Context, h Handler, req *wire.Request, peer *auth.PeerCred) (resp *wire.Response) {
	defer s.guard(req, &resp)
	return h.Handle(ctx, req, peer)
}

// guard, deferred by every goroutine that serves a request (the
// connection's and the handler's worker), keeps a panic from stopping the
// daemon: it logs it with its stack and, given the request being handled,
// sets *resp to a generic error answer to it.
func (s *Server) guard(req *wire.Request, resp **wire.Response) {
	r := recover()
	if r == nil {
		return
	}
	attrs := []any{"panic", r, "stack", string(debug.Stack())}
	if req != nil {
		attrs = append(attrs, "opcode", req.Header.Opcode.String())
		*resp = wire.ReplyTo(req, status.PsaErrorGenericError, nil)
	}
	s.log.Error("panic while serving a request", attrs...)
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
