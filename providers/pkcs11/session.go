// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build cgo && pkcs11

package pkcs11

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/miekg/pkcs11"

	"github.com/parsecd/parsecd/src/status"
)

// pool keeps up to size read-write sessions on the token, logged in when a
// PIN is configured (the login state is the token's, shared by all
// sessions of the process). A session serves one operation at a time: it
// is taken from the pool, used by one goroutine and given back.
type pool struct {
	ctx   *pkcs11.Ctx
	tok   token
	pin   string
	login bool

	idle  chan pkcs11.SessionHandle // open sessions not in use
	slots chan struct{}             // one element per open session (capacity = size)

	mu     sync.Mutex
	closed bool

	// retries counts operations run again in a new session.
	retries atomic.Int64

	// handles caches the sessions' object handles (handles.go).
	handles handleCache
}

func newPool(ctx *pkcs11.Ctx, tok token, o Options) *pool {
	return &pool{
		ctx:   ctx,
		tok:   tok,
		pin:   o.PIN,
		login: o.HasPIN,
		idle:  make(chan pkcs11.SessionHandle, o.SessionPoolSize),
		slots: make(chan struct{}, o.SessionPoolSize),
	}
}

// wrap names the slot and token in a call's error.
func (p *pool) wrap(call string, err error) error {
	err = p11(call, err)
	if ce, ok := err.(*ckError); ok {
		ce.where = p.tok.where()
	}
	return err
}

// open opens a session and logs it in.
func (p *pool) open() (pkcs11.SessionHandle, error) {
	h, err := p.ctx.OpenSession(p.tok.slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
	if err != nil {
		return 0, p.wrap("C_OpenSession", err)
	}
	if p.login {
		if err := p.ctx.Login(h, pkcs11.CKU_USER, p.pin); err != nil && !isCKR(err, pkcs11.CKR_USER_ALREADY_LOGGED_IN) {
			_ = p.ctx.CloseSession(h)
			return 0, p.wrap("C_Login", err)
		}
	}
	return h, nil
}

// errHidden: without a login, private objects are invisible.
var errHidden = &status.Error{Code: status.PsaErrorNotPermitted, Msg: "the token requires a login to use private keys and no user_pin is configured"}

var errClosed = &status.Error{Code: status.PsaErrorBadState, Msg: "the PKCS#11 provider is closed"}

// get takes an idle session, or opens one if fewer than size are open,
// or waits for one to come back.
func (p *pool) get(ctx context.Context) (pkcs11.SessionHandle, error) {
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return 0, errClosed
	}
	select {
	case h := <-p.idle:
		return h, nil
	default:
	}
	select {
	case h := <-p.idle:
		return h, nil
	case p.slots <- struct{}{}:
		h, err := p.open()
		if err != nil {
			<-p.slots
			return 0, err
		}
		return h, nil
	case <-ctx.Done():
		return 0, status.Errorf(status.PsaErrorCommunicationFailure, "waiting for a PKCS#11 session: %w", ctx.Err())
	}
}

// put gives a session back (or closes it when the pool is closed).
func (p *pool) put(h pkcs11.SessionHandle) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		p.handles.forgetSession(h)
		_ = p.ctx.CloseSession(h)
		<-p.slots
		return
	}
	p.idle <- h // never blocks: at most size sessions exist
}

// discard closes a session that can no longer be used.
func (p *pool) discard(h pkcs11.SessionHandle) {
	p.handles.forgetSession(h)
	_ = p.ctx.CloseSession(h)
	<-p.slots
}

// flush closes the idle sessions: after a session turned out stale (token
// reset, logout), the others are likely stale as well.
func (p *pool) flush() {
	for {
		select {
		case h := <-p.idle:
			p.discard(h)
		default:
			return
		}
	}
}

// do runs fn in a session. If the session turns out to be stale (closed,
// logged out, token removed or reset), it is dropped and fn runs once more
// in a freshly opened, logged-in session. fn must leave no operation active
// when it returns, and must tolerate running twice.
func (p *pool) do(ctx context.Context, fn func(h pkcs11.SessionHandle) error) error {
	h, err := p.get(ctx)
	if err != nil {
		return err
	}
	err = fn(h)
	if !stale(err) {
		p.put(h)
		return err
	}
	p.discard(h)
	p.flush()
	p.retries.Add(1)
	if h, err = p.get(ctx); err != nil {
		return err
	}
	err = fn(h)
	if stale(err) {
		p.discard(h)
		return err
	}
	p.put(h)
	return err
}

// close closes the idle sessions; sessions in use are closed when they come back.
func (p *pool) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.flush()
}

// canSeePrivate checks that private objects are visible in the session,
// so that a missing key is not mistaken for a deleted one. With a PIN, the
// session must be logged in: if it is not (token reset, logout), it reports
// CKR_USER_NOT_LOGGED_IN, which is stale: the pool logs in again and
// retries. Without a PIN, a token that requires login hides private objects:
// PsaErrorNotPermitted.
func (p *pool) canSeePrivate(h pkcs11.SessionHandle) error {
	if !p.login {
		if p.tok.flags&pkcs11.CKF_LOGIN_REQUIRED != 0 {
			return errHidden
		}
		return nil
	}
	info, err := p.ctx.GetSessionInfo(h)
	if err != nil {
		return p.wrap("C_GetSessionInfo", err)
	}
	if info.State != pkcs11.CKS_RO_USER_FUNCTIONS && info.State != pkcs11.CKS_RW_USER_FUNCTIONS {
		return p.wrap("C_GetSessionInfo", pkcs11.Error(pkcs11.CKR_USER_NOT_LOGGED_IN))
	}
	return nil
}
