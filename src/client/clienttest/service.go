// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package clienttest

import (
	"context"
	"crypto/rand"
	"os"
	"testing"

	"github.com/parsecd/parsecd/providers/soft"
	"github.com/parsecd/parsecd/src/auth"
	"github.com/parsecd/parsecd/src/back"
	"github.com/parsecd/parsecd/src/internal/version"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/src/wire"
	"github.com/parsecd/parsecd/storage/memory"
)

// Service is the real Parsec back end (package back) with the software
// provider on an in-memory key store, served on a fake server. Set the
// fields before Start.
type Service struct {
	Authenticator parsec.AuthType // AuthDirect or AuthUnixPeerCredentials
	Admins        []string        // application names allowed admin ops
	// ExtraFirst puts inert providers with these ids before the software
	// provider (so the first is the clients' default); they only serve
	// PsaGenerateRandom.
	ExtraFirst []parsec.ProviderID
}

// NewService returns a service with the software provider (id 1) and the
// Direct authenticator.
func NewService() *Service { return &Service{Authenticator: parsec.AuthDirect} }

// Start builds the service and serves it on a new fake server that stops
// when the test ends. Requests carry the peer credentials of this process.
func (s *Service) Start(t testing.TB) *Server {
	t.Helper()
	var a auth.Authenticator = auth.Direct{}
	if s.Authenticator == parsec.AuthUnixPeerCredentials {
		a = auth.UnixPeer{}
	} else if s.Authenticator != parsec.AuthDirect {
		t.Fatalf("clienttest: unsupported authenticator %v", s.Authenticator)
	}
	store := memory.New()
	var mounts []back.Mount
	for _, id := range s.ExtraFirst {
		mounts = append(mounts, back.Mount{Provider: inert(id), Store: store})
	}
	sp, err := soft.New("", provider.Deps{Keys: store})
	if err != nil {
		t.Fatal(err)
	}
	mounts = append(mounts, back.Mount{Provider: sp, Store: store})
	svc, err := back.New(back.Options{Auth: auth.NewSet(s.Admins, a), Providers: mounts, Version: version.Triple()})
	if err != nil {
		t.Fatal(err)
	}
	peer := &auth.PeerCred{UID: uint32(os.Getuid()), GID: uint32(os.Getgid()), PID: int32(os.Getpid())}
	return NewServer(t, func(req *wire.Request) *wire.Response { return svc.Handle(context.Background(), req, peer) })
}

// inert is a provider that only generates random bytes.
type inert parsec.ProviderID

func (p inert) Info() provider.Info {
	return provider.Info{ID: parsec.ProviderID(p), Description: "clienttest inert provider", Vendor: "clienttest"}
}
func (p inert) Name() string { return "inert-" + parsec.ProviderID(p).String() }
func (inert) Close() error   { return nil }
func (inert) GenerateRandom(_ context.Context, size uint64) ([]byte, error) {
	if size > wire.DefaultBodyLimit {
		return nil, status.Errorf(status.ResponseTooLarge, "%d random bytes is too many", size)
	}
	b := make([]byte, size)
	_, _ = rand.Read(b)
	return b, nil
}
