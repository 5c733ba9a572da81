// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package auth turns the authentication field of a request, together with
// the peer credentials of its connection, into the application identity
// that owns keys. Each authenticator answers for one parsec.AuthType.
package auth

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/status"
)

// PeerCred is what the kernel says about the process on the other end of a
// connection (SO_PEERCRED), read at accept time.
type PeerCred struct {
	UID, GID uint32
	PID      int32
}

// Application is an authenticated client.
type Application struct {
	Name  string
	Auth  parsec.AuthType
	Admin bool
}

// Info is what ListAuthenticators says about an authenticator.
type Info struct {
	ID          parsec.AuthType
	Description string
	Version     [3]uint32
}

// Authenticator checks one kind of authentication field.
type Authenticator interface {
	Info() Info
	// Authenticate returns the application name; peer is nil when the
	// transport has no peer credentials. ctx bounds an authenticator that
	// asks another service (JwtSvid asks the SPIFFE Workload API).
	Authenticate(ctx context.Context, auth []byte, peer *PeerCred) (string, error)
}

// Direct takes the authentication field as the application name. It trusts
// every client that can reach the socket, so it suits only deployments
// where they all trust each other.
type Direct struct{}

// Info implements Authenticator.
func (Direct) Info() Info {
	return Info{ID: parsec.AuthDirect, Version: [3]uint32{0, 1, 0},
		Description: "Directly parses the authentication field as a UTF-8 string and uses that as the application identity. Should be used for testing only."}
}

// Authenticate implements Authenticator.
func (Direct) Authenticate(_ context.Context, auth []byte, _ *PeerCred) (string, error) {
	if len(auth) == 0 {
		return "", status.Errorf(status.AuthenticationError, "direct authentication needs a non-empty application name")
	}
	if !utf8.Valid(auth) {
		return "", status.Errorf(status.AuthenticationError, "direct authentication: application name is not valid UTF-8")
	}
	return string(auth), nil
}

// UnixPeer checks that the UID a client declares is the one the kernel
// reports for its socket; the application name is that UID in decimal.
type UnixPeer struct{}

// Info implements Authenticator.
func (UnixPeer) Info() Info {
	return Info{ID: parsec.AuthUnixPeerCredentials, Version: [3]uint32{0, 1, 0},
		Description: "Uses Unix peer credentials to authenticate the client. Verifies that the self-declared Unix user identifier (UID) in the request's authentication header matches that which is found from the peer credentials."}
}

// Authenticate implements Authenticator.
func (UnixPeer) Authenticate(_ context.Context, auth []byte, peer *PeerCred) (string, error) {
	if len(auth) != 4 {
		return "", status.Errorf(status.AuthenticationError, "unix peer credentials: authentication field is %d bytes, not 4", len(auth))
	}
	if peer == nil {
		return "", status.Errorf(status.AuthenticationError, "unix peer credentials: no peer credentials on this connection")
	}
	uid := binary.LittleEndian.Uint32(auth)
	if uid != peer.UID {
		return "", status.Errorf(status.AuthenticationError, "unix peer credentials: declared uid %d is not the peer's uid %d", uid, peer.UID)
	}
	return strconv.FormatUint(uint64(uid), 10), nil
}

// Configured is one configured authenticator and its administrators.
type Configured struct {
	Authenticator
	Admins []string
}

// Set is the configured authenticators, each with its own admin list: an
// administrator is an application of one authenticator ("1000" as a
// UnixPeer admin says nothing about the Direct application "1000").
type Set struct {
	byType map[parsec.AuthType]Authenticator
	order  []Authenticator
	admins map[parsec.AuthType]map[string]bool
}

// NewSet builds a set of one authenticator and its admins.
func NewSet(admins []string, a Authenticator) *Set {
	return NewMulti(Configured{Authenticator: a, Admins: admins})
}

// NewMulti builds a set from authenticators in preference order: the first
// is the default, which ListAuthenticators names first. A type given twice
// keeps its first entry (the configuration refuses duplicates).
func NewMulti(cs ...Configured) *Set {
	s := &Set{byType: map[parsec.AuthType]Authenticator{}, admins: map[parsec.AuthType]map[string]bool{}}
	for _, c := range cs {
		id := c.Info().ID
		if _, dup := s.byType[id]; dup {
			continue
		}
		s.byType[id] = c.Authenticator
		s.order = append(s.order, c.Authenticator)
		adm := map[string]bool{}
		for _, n := range c.Admins {
			adm[n] = true
		}
		s.admins[id] = adm
	}
	return s
}

// Infos lists the authenticators for ListAuthenticators, the default first.
func (s *Set) Infos() []Info {
	out := make([]Info, len(s.order))
	for i, a := range s.order {
		out[i] = a.Info()
	}
	return out
}

// Authenticate identifies the application behind a request with the
// authenticator its header names. It returns nil for an unauthenticated
// request (auth type 0).
func (s *Set) Authenticate(ctx context.Context, t parsec.AuthType, auth []byte, peer *PeerCred) (*Application, error) {
	if t == parsec.AuthNone {
		return nil, nil
	}
	a, ok := s.byType[t]
	if !ok {
		return nil, status.Errorf(status.AuthenticatorNotRegistered, "authentication type %v is not configured", t)
	}
	name, err := a.Authenticate(ctx, auth, peer)
	if err != nil {
		return nil, err
	}
	return &Application{Name: name, Auth: t, Admin: s.admins[t][name]}, nil
}

// Close releases what the authenticators hold (JwtSvid's Workload API
// connection).
func (s *Set) Close() error {
	var errs []error
	for _, a := range s.order {
		if c, ok := a.(io.Closer); ok {
			errs = append(errs, c.Close())
		}
	}
	return errors.Join(errs...)
}
