// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package tpm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// Framing shared by the socket transports.
const (
	tpmHeaderSize   = 10      // tag u16, size u32, code u32
	maxResponseSize = 1 << 16 // far above any TPM's TPM_PT_MAX_RESPONSE_SIZE
	// DefaultIOTimeout bounds one command's round trip on a socket transport
	// (RSA key generation on a slow simulator takes seconds, not minutes).
	DefaultIOTimeout = 2 * time.Minute
)

// ErrTransport is wrapped by every socket transport failure (as opposed to
// a TPM response code).
var ErrTransport = errors.New("tpm transport")

// streamTPM sends raw TPM commands over one stream connection, as swtpm's
// socket server (TCP or Unix) expects them: the command, then a response
// whose header carries its size. It implements transport.TPMCloser.
type streamTPM struct {
	latch
	conn    net.Conn
	timeout time.Duration
}

func (s *streamTPM) Send(cmd []byte) ([]byte, error) {
	return s.exchange(func() ([]byte, error) { return s.roundTrip(cmd) })
}

// latch serialises the exchanges of a transport and, once one fails,
// refuses every later one: the stream is out of step after a partial
// exchange.
type latch struct {
	mu     sync.Mutex
	broken error
}

func (l *latch) exchange(f func() ([]byte, error)) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.broken != nil {
		return nil, l.broken
	}
	rsp, err := f()
	if err != nil {
		l.broken = err
		return nil, err
	}
	return rsp, nil
}

func (s *streamTPM) roundTrip(cmd []byte) ([]byte, error) {
	if err := s.conn.SetDeadline(time.Now().Add(s.timeout)); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTransport, err)
	}
	if _, err := s.conn.Write(cmd); err != nil {
		return nil, fmt.Errorf("%w: sending command: %w", ErrTransport, err)
	}
	return readResponse(s.conn)
}

// readResponse reads one TPM response (header, then the rest of its size).
func readResponse(r io.Reader) ([]byte, error) {
	hdr := make([]byte, tpmHeaderSize)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, fmt.Errorf("%w: reading response header: %w", ErrTransport, err)
	}
	size := binary.BigEndian.Uint32(hdr[2:6])
	if size < tpmHeaderSize || size > maxResponseSize {
		return nil, fmt.Errorf("%w: response size %d out of range", ErrTransport, size)
	}
	rsp := make([]byte, size)
	copy(rsp, hdr)
	if _, err := io.ReadFull(r, rsp[tpmHeaderSize:]); err != nil {
		return nil, fmt.Errorf("%w: reading response body: %w", ErrTransport, err)
	}
	return rsp, nil
}

func (s *streamTPM) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.broken == nil {
		s.broken = fmt.Errorf("%w: closed", ErrTransport)
	}
	return s.conn.Close()
}

// closeAsync closes the connection without waiting for a Send in flight
// (which then fails on the closed socket).
func (s *streamTPM) closeAsync() { _ = s.conn.Close() }
