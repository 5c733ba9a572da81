// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package tpm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// The TPM simulator ("mssim") protocol: commands go to the command port
// framed as TPM_SEND_COMMAND, locality, length, command; the response is
// length, data, then a u32 acknowledgement. Power and NV are switched on
// through the platform port (command port + 1).
const (
	mssimSendCommand = 8
	mssimPowerOn     = 1
	mssimNVOn        = 11
	mssimSessionEnd  = 20
)

// mssimTPM implements transport.TPMCloser over the simulator protocol.
type mssimTPM struct {
	latch
	cmd, plat net.Conn
	timeout   time.Duration
}

func (m *mssimTPM) Send(cmd []byte) ([]byte, error) {
	return m.exchange(func() ([]byte, error) { return m.roundTrip(cmd) })
}

func (m *mssimTPM) roundTrip(cmd []byte) ([]byte, error) {
	if len(cmd) > maxResponseSize {
		return nil, fmt.Errorf("%w: command of %d bytes too large", ErrTransport, len(cmd))
	}
	if err := m.cmd.SetDeadline(time.Now().Add(m.timeout)); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTransport, err)
	}
	msg := make([]byte, 0, 9+len(cmd))
	msg = binary.BigEndian.AppendUint32(msg, mssimSendCommand)
	msg = append(msg, 0) // locality 0
	msg = binary.BigEndian.AppendUint32(msg, uint32(len(cmd)))
	msg = append(msg, cmd...)
	if _, err := m.cmd.Write(msg); err != nil {
		return nil, fmt.Errorf("%w: sending command: %w", ErrTransport, err)
	}
	var u [4]byte
	if _, err := io.ReadFull(m.cmd, u[:]); err != nil {
		return nil, fmt.Errorf("%w: reading response length: %w", ErrTransport, err)
	}
	n := binary.BigEndian.Uint32(u[:])
	if n < tpmHeaderSize || n > maxResponseSize {
		return nil, fmt.Errorf("%w: response length %d out of range (is the simulator powered on?)", ErrTransport, n)
	}
	rsp := make([]byte, n)
	if _, err := io.ReadFull(m.cmd, rsp); err != nil {
		return nil, fmt.Errorf("%w: reading response: %w", ErrTransport, err)
	}
	if _, err := io.ReadFull(m.cmd, u[:]); err != nil {
		return nil, fmt.Errorf("%w: reading acknowledgement: %w", ErrTransport, err)
	}
	if ack := binary.BigEndian.Uint32(u[:]); ack != 0 {
		return nil, fmt.Errorf("%w: simulator acknowledgement %d", ErrTransport, ack)
	}
	return rsp, nil
}

// platform sends one platform command and checks its u32 result.
func (m *mssimTPM) platform(code uint32) error {
	if err := m.plat.SetDeadline(time.Now().Add(m.timeout)); err != nil {
		return fmt.Errorf("%w: %w", ErrTransport, err)
	}
	if _, err := m.plat.Write(binary.BigEndian.AppendUint32(nil, code)); err != nil {
		return fmt.Errorf("%w: platform command %d: %w", ErrTransport, code, err)
	}
	var u [4]byte
	if _, err := io.ReadFull(m.plat, u[:]); err != nil {
		return fmt.Errorf("%w: platform command %d: %w", ErrTransport, code, err)
	}
	if r := binary.BigEndian.Uint32(u[:]); r != 0 {
		return fmt.Errorf("%w: platform command %d returned %d", ErrTransport, code, r)
	}
	return nil
}

// powerOn switches the simulator's power and NV on (harmless when already on).
func (m *mssimTPM) powerOn() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.platform(mssimPowerOn); err != nil {
		return err
	}
	return m.platform(mssimNVOn)
}

func (m *mssimTPM) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.broken == nil {
		m.broken = fmt.Errorf("%w: closed", ErrTransport)
	}
	// Tell the simulator the session ends (best effort), then close.
	_ = m.cmd.SetDeadline(time.Now().Add(time.Second))
	_, _ = m.cmd.Write(binary.BigEndian.AppendUint32(nil, mssimSessionEnd))
	return errors.Join(m.cmd.Close(), m.plat.Close())
}

func (m *mssimTPM) closeAsync() { _ = m.cmd.Close(); _ = m.plat.Close() }
