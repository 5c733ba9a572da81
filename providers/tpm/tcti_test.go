// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package tpm

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"
)

func TestParseTCTI(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want TCTI
	}{
		{"device", TCTI{Kind: KindDevice}},
		{"device:", TCTI{Kind: KindDevice}},
		{"device:/dev/tpmrm0", TCTI{Kind: KindDevice, Path: "/dev/tpmrm0"}},
		{"device:/dev/tpm0", TCTI{Kind: KindDevice, Path: "/dev/tpm0"}},
		{"device:path=/dev/tpm1", TCTI{Kind: KindDevice, Path: "/dev/tpm1"}},
		{"mssim", TCTI{Kind: KindMssim, Host: "localhost", Port: 2321}},
		{"mssim:", TCTI{Kind: KindMssim, Host: "localhost", Port: 2321}},
		{"mssim:host=10.0.0.2,port=2421", TCTI{Kind: KindMssim, Host: "10.0.0.2", Port: 2421}},
		{"mssim:port=2421,host=tpm.local", TCTI{Kind: KindMssim, Host: "tpm.local", Port: 2421}},
		{"mssim:host=::1", TCTI{Kind: KindMssim, Host: "::1", Port: 2321}},
		{"mssim:host=[::1],port=1", TCTI{Kind: KindMssim, Host: "::1", Port: 1}},
		{"swtpm", TCTI{Kind: KindSwtpm, Host: "localhost", Port: 2321}},
		{"swtpm:port=2321", TCTI{Kind: KindSwtpm, Host: "localhost", Port: 2321}},
		{"swtpm:host=127.0.0.1,port=65535", TCTI{Kind: KindSwtpm, Host: "127.0.0.1", Port: 65535}},
		{"swtpm:path=/run/swtpm.sock", TCTI{Kind: KindSwtpm, Path: "/run/swtpm.sock"}},
	} {
		got, err := ParseTCTI(tc.in)
		if err != nil {
			t.Errorf("ParseTCTI(%q): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseTCTI(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
		// String gives back a value that parses to the same TCTI.
		if again, err := ParseTCTI(got.String()); err != nil || again != got {
			t.Errorf("ParseTCTI(%q.String() = %q) = %+v, %v", tc.in, got.String(), again, err)
		}
	}
}

func TestParseTCTIErrors(t *testing.T) {
	for _, tc := range []struct{ in, msg string }{
		{"", "empty"},
		{"Device", `unknown TCTI "Device"`},
		{"tpm:/dev/tpm0", `unknown TCTI "tpm"`},
		{"tabrmd:bus_type=session", "tabrmd TCTI is not supported"},
		{"libtpms", "libtpms TCTI is not supported"},
		{"device:dev/tpm0", "absolute path"},
		{"device:/dev/tpm0,x", "absolute path"},
		{"mssim:host=", "invalid host"},
		{"mssim:host=a b", "invalid host"},
		{"mssim:port=0", "invalid port"},
		{"mssim:port=65535", "invalid port"},
		{"swtpm:port=65536", "invalid port"},
		{"swtpm:port=-1", "invalid port"},
		{"swtpm:port=0x10", "invalid port"},
		{"swtpm:port=", "invalid port"},
		{"swtpm:2321", "not key=value"},
		{"swtpm:port=1,port=2", "given twice"},
		{"swtpm:host=a,", "not key=value"},
		{"swtpm:bus=1", `unknown option "bus" (expected host, port or path)`},
		{"mssim:path=/run/x.sock", "only for swtpm"},
		{"mssim:timeout=1", `unknown option "timeout" (expected host or port)`},
		{"swtpm:path=", "empty path"},
		{"swtpm:path=/run/swtpm.sock,port=2321", "excludes"},
		{"swtpm:host=x,path=/run/swtpm.sock", "excludes"},
	} {
		_, err := ParseTCTI(tc.in)
		if err == nil {
			t.Errorf("ParseTCTI(%q) succeeded", tc.in)
			continue
		}
		if !errors.Is(err, ErrTCTI) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("ParseTCTI(%q) = %v, want ErrTCTI with %q", tc.in, err, tc.msg)
		}
	}
}

type fakeInfo struct{ fs.FileInfo }

func TestDevicePathFallback(t *testing.T) {
	stat := func(present ...string) func(string) (os.FileInfo, error) {
		return func(p string) (os.FileInfo, error) {
			for _, q := range present {
				if p == q {
					return fakeInfo{}, nil
				}
			}
			if p == "/dev/eacces" {
				return nil, fs.ErrPermission
			}
			return nil, &fs.PathError{Op: "stat", Path: p, Err: fs.ErrNotExist}
		}
	}
	dflt := TCTI{Kind: KindDevice}
	for _, tc := range []struct {
		tcti    TCTI
		present []string
		want    string
	}{
		{dflt, []string{DefaultDevice, FallbackDevice}, DefaultDevice},
		{dflt, []string{DefaultDevice}, DefaultDevice},
		{dflt, []string{FallbackDevice}, FallbackDevice},
		{dflt, nil, DefaultDevice}, // neither: the error names the default
		{TCTI{Kind: KindDevice, Path: FallbackDevice}, []string{DefaultDevice}, FallbackDevice},
		{TCTI{Kind: KindDevice, Path: "/dev/tpmrm1"}, nil, "/dev/tpmrm1"},
	} {
		if got := tc.tcti.devicePath(stat(tc.present...)); got != tc.want {
			t.Errorf("%v with %v present: %s, want %s", tc.tcti, tc.present, got, tc.want)
		}
	}
}
