// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package auth

import (
	"context"
	"errors"
	"testing"

	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/status"
)

func TestSet(t *testing.T) {
	s := NewSet([]string{"1000", "admin-app"}, UnixPeer{})
	peer := &PeerCred{UID: 1000}
	tests := []struct {
		name     string
		typ      parsec.AuthType
		auth     []byte
		peer     *PeerCred
		wantApp  string
		wantAdm  bool
		wantCode error
	}{
		{"no auth", parsec.AuthNone, []byte("ignored"), peer, "", false, nil},
		{"uid matches", parsec.AuthUnixPeerCredentials, []byte{0xe8, 3, 0, 0}, peer, "1000", true, nil},
		{"uid mismatch", parsec.AuthUnixPeerCredentials, []byte{0xe9, 3, 0, 0}, peer, "", false, status.AuthenticationError},
		{"short field", parsec.AuthUnixPeerCredentials, []byte{0xe8, 3, 0}, peer, "", false, status.AuthenticationError},
		{"no peer creds", parsec.AuthUnixPeerCredentials, []byte{0xe8, 3, 0, 0}, nil, "", false, status.AuthenticationError},
		{"direct not configured", parsec.AuthDirect, []byte("x"), peer, "", false, status.AuthenticatorNotRegistered},
		{"jwt never registered", parsec.AuthJwt, []byte("x"), peer, "", false, status.AuthenticatorNotRegistered},
	}
	for _, tt := range tests {
		app, err := s.Authenticate(context.Background(), tt.typ, tt.auth, tt.peer)
		if tt.wantCode != nil {
			if !errors.Is(err, tt.wantCode) {
				t.Errorf("%s: err = %v, want %v", tt.name, err, tt.wantCode)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if tt.wantApp == "" {
			if app != nil {
				t.Errorf("%s: got app %v for no auth", tt.name, app)
			}
			continue
		}
		if app.Name != tt.wantApp || app.Admin != tt.wantAdm || app.Auth != tt.typ {
			t.Errorf("%s: got %+v", tt.name, app)
		}
	}
}

func TestDirect(t *testing.T) {
	s := NewSet(nil, Direct{})
	app, err := s.Authenticate(context.Background(), parsec.AuthDirect, []byte("app-one"), nil)
	if err != nil || app.Name != "app-one" || app.Admin {
		t.Fatalf("got %+v, %v", app, err)
	}
	for _, bad := range [][]byte{nil, {0xff, 0xfe}} {
		if _, err := s.Authenticate(context.Background(), parsec.AuthDirect, bad, nil); !errors.Is(err, status.AuthenticationError) {
			t.Errorf("auth %x: err = %v", bad, err)
		}
	}
	if got := s.Infos(); len(got) != 1 || got[0].ID != parsec.AuthDirect {
		t.Fatalf("Infos = %+v", got)
	}
}

// Several authenticators: the first is the default, each request goes to
// the one its header names, and an admin of one is not an admin of another.
func TestMulti(t *testing.T) {
	s := NewMulti(Configured{Authenticator: UnixPeer{}, Admins: []string{"1000"}},
		Configured{Authenticator: Direct{}, Admins: []string{"boss"}})
	if got := s.Infos(); len(got) != 2 || got[0].ID != parsec.AuthUnixPeerCredentials || got[1].ID != parsec.AuthDirect {
		t.Fatalf("Infos = %+v", got)
	}
	ctx := context.Background()
	peer := &PeerCred{UID: 1000}
	for _, tt := range []struct {
		typ   parsec.AuthType
		auth  string
		name  string
		admin bool
	}{
		{parsec.AuthUnixPeerCredentials, "\xe8\x03\x00\x00", "1000", true},
		{parsec.AuthDirect, "1000", "1000", false},
		{parsec.AuthDirect, "boss", "boss", true},
	} {
		app, err := s.Authenticate(ctx, tt.typ, []byte(tt.auth), peer)
		if err != nil || app.Name != tt.name || app.Auth != tt.typ || app.Admin != tt.admin {
			t.Errorf("%v %q: %+v, %v", tt.typ, tt.auth, app, err)
		}
	}
	if _, err := s.Authenticate(ctx, parsec.AuthJwtSvid, []byte("x.y.z"), peer); !errors.Is(err, status.AuthenticatorNotRegistered) {
		t.Errorf("JwtSvid not configured: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}
