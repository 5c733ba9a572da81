// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package tpm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"
	"github.com/google/go-tpm/tpm2/transport/linuxtpm"
)

// Open connects to the TPM a TCTI names. ctx bounds the connection set-up
// only; each command on a socket transport is bounded by DefaultIOTimeout.
func Open(ctx context.Context, t TCTI) (transport.TPMCloser, error) {
	var d net.Dialer
	switch t.Kind {
	case KindDevice:
		path := t.DevicePath()
		tpm, err := linuxtpm.Open(path)
		if err != nil {
			return nil, fmt.Errorf("tpm: opening %s: %w", path, err)
		}
		return tpm, nil
	case KindSwtpm:
		network, addr := "tcp", t.Addr()
		if t.Path != "" {
			network, addr = "unix", t.Path
		}
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, fmt.Errorf("%w: connecting to swtpm at %s: %w", ErrTransport, addr, err)
		}
		return &streamTPM{conn: c, timeout: DefaultIOTimeout}, nil
	case KindMssim:
		m, err := openMssim(ctx, t.Addr(), net.JoinHostPort(t.Host, strconv.Itoa(int(t.Port)+1)))
		if err != nil {
			return nil, err // not a nil *mssimTPM in a non-nil interface
		}
		return m, nil
	}
	return nil, fmt.Errorf("tpm: unknown transport kind %v", t.Kind)
}

// openMssim connects to a TPM simulator's command and platform ports and
// switches its power and NV on.
func openMssim(ctx context.Context, cmdAddr, platAddr string) (*mssimTPM, error) {
	var d net.Dialer
	cmd, err := d.DialContext(ctx, "tcp", cmdAddr)
	if err != nil {
		return nil, fmt.Errorf("%w: connecting to the simulator's command port %s: %w", ErrTransport, cmdAddr, err)
	}
	plat, err := d.DialContext(ctx, "tcp", platAddr)
	if err != nil {
		cmd.Close()
		return nil, fmt.Errorf("%w: connecting to the simulator's platform port %s: %w", ErrTransport, platAddr, err)
	}
	m := &mssimTPM{cmd: cmd, plat: plat, timeout: DefaultIOTimeout}
	stop := context.AfterFunc(ctx, m.closeAsync)
	err = m.powerOn()
	stop()
	if err != nil {
		m.closeAsync()
		err = ctxErr(ctx, err)
		return nil, fmt.Errorf("%w (for swtpm, use the swtpm TCTI)", err)
	}
	return m, nil
}

// Startup sends TPM2_Startup(CLEAR); a TPM already started
// (TPM_RC_INITIALIZE) is not an error.
func Startup(tpm transport.TPM) error {
	_, err := tpm2.Startup{StartupType: tpm2.TPMSUClear}.Execute(tpm)
	if err != nil && !errors.Is(err, tpm2.TPMRCInitialize) {
		return fmt.Errorf("tpm: Startup: %w", err)
	}
	return nil
}

// Manufacturer reads TPM_PT_MANUFACTURER, the four-character vendor ID
// (e.g. "IBM" for swtpm/libtpms), trailing NULs and spaces removed.
func Manufacturer(tpm transport.TPM) (string, error) {
	rsp, err := tpm2.GetCapability{
		Capability:    tpm2.TPMCapTPMProperties,
		Property:      uint32(tpm2.TPMPTManufacturer),
		PropertyCount: 1,
	}.Execute(tpm)
	if err != nil {
		return "", fmt.Errorf("tpm: GetCapability(TPM_PT_MANUFACTURER): %w", err)
	}
	props, err := rsp.CapabilityData.Data.TPMProperties()
	if err != nil {
		return "", fmt.Errorf("tpm: GetCapability(TPM_PT_MANUFACTURER): %w", err)
	}
	if len(props.TPMProperty) == 0 || props.TPMProperty[0].Property != tpm2.TPMPTManufacturer {
		return "", errors.New("tpm: GetCapability(TPM_PT_MANUFACTURER): property missing from the response")
	}
	v := props.TPMProperty[0].Value
	id := string([]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
	return strings.TrimRight(id, "\x00 "), nil
}

// Probe opens the TPM a TCTI names, starts it up and reads its manufacturer:
// the check that proves the transport and framing work. It gives up when ctx
// ends.
func Probe(ctx context.Context, t TCTI) (manufacturer string, err error) {
	tpm, err := Open(ctx, t)
	if err != nil {
		return "", err
	}
	defer tpm.Close()
	if ac, ok := tpm.(interface{ closeAsync() }); ok {
		// Unblock a command in flight when ctx ends.
		stop := context.AfterFunc(ctx, ac.closeAsync)
		defer stop()
	}
	if err := Startup(tpm); err != nil {
		return "", ctxErr(ctx, err)
	}
	m, err := Manufacturer(tpm)
	return m, ctxErr(ctx, err)
}

func ctxErr(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("%w (%w)", ctx.Err(), err)
	}
	return err
}
