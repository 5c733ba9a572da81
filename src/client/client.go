// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package client is a Go client for the Parsec service (wire protocol 1.0).
//
// A Client opens one Unix-socket connection per operation: it dials, writes
// the whole request frame, reads the whole response and closes, as the
// service expects. Failures come back as *status.Error, so callers can test
// them with errors.Is(err, status.PsaErrorDoesNotExist); transport failures
// carry status.ConnectionError.
//
// Routing follows the reference clients: core operations (Ping, ListProviders,
// ListOpcodes, ListAuthenticators, ListKeys, ListClients, DeleteClient) go to
// provider 0; every other operation goes to the client's provider, which is
// the one given with WithProvider or else the first entry of ListProviders.
// Ping, ListProviders, ListOpcodes and ListAuthenticators are sent without
// authentication; every other operation carries the client's authentication,
// which is WithAuth's or else the first entry of ListAuthenticators that the
// client supports (Direct with the WithAppName name, or UnixPeerCredentials
// with the caller's UID).
package client

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/parsecd/parsecd/src/interface/pbwire"

	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/src/wire"
)

// Defaults of a new Client.
const (
	// EndpointEnv is the environment variable holding the service endpoint URI.
	EndpointEnv = "PARSEC_SERVICE_ENDPOINT"
	// DefaultEndpoint is used when neither WithEndpoint nor EndpointEnv is set.
	DefaultEndpoint = "unix:/run/parsec/parsec.sock"
	// DefaultAppName is the application name sent with Direct authentication
	// when the authenticator is picked automatically and WithAppName is not given.
	DefaultAppName = "parsec-go-client"
	// DefaultTimeout bounds each request (dial, write, read).
	DefaultTimeout = 60 * time.Second
	// DefaultMaxResponseBody bounds the body length a response may announce.
	DefaultMaxResponseBody = 16 << 20
)

// Auth says how the client authenticates its requests.
type Auth struct {
	Type    parsec.AuthType
	AppName string // Direct: the application name
	UID     uint32 // UnixPeerCredentials: the UID to declare (must be the caller's)
	Token   string // JwtSvid: the JWT-SVID in JWS compact serialization
}

// NoAuth sends every request without authentication (auth type 0).
func NoAuth() Auth { return Auth{Type: parsec.AuthNone} }

// DirectAuth authenticates as the named application (Direct authenticator).
func DirectAuth(appName string) Auth { return Auth{Type: parsec.AuthDirect, AppName: appName} }

// UnixPeerCredentialsAuth declares the caller's UID (UnixPeerCredentials authenticator).
func UnixPeerCredentialsAuth() Auth {
	return Auth{Type: parsec.AuthUnixPeerCredentials, UID: uint32(os.Getuid())}
}

// JwtSvidAuth authenticates with a JWT-SVID token (JwtSvid authenticator).
func JwtSvidAuth(token string) Auth { return Auth{Type: parsec.AuthJwtSvid, Token: token} }

// Bytes returns the authentication field of a request.
func (a Auth) Bytes() []byte {
	switch a.Type {
	case parsec.AuthDirect:
		return []byte(a.AppName)
	case parsec.AuthUnixPeerCredentials:
		return binary.LittleEndian.AppendUint32(nil, a.UID)
	case parsec.AuthJwtSvid:
		return []byte(a.Token)
	}
	return nil
}

func (a Auth) String() string {
	switch a.Type {
	case parsec.AuthDirect:
		return fmt.Sprintf("Direct(%q)", a.AppName)
	case parsec.AuthUnixPeerCredentials:
		return fmt.Sprintf("UnixPeerCredentials(%d)", a.UID)
	}
	return a.Type.String()
}

// Option configures a Client.
type Option func(*config) error

type config struct {
	endpoint    string
	endpointSet bool
	auth        *Auth
	appName     string
	provider    *parsec.ProviderID
	timeout     time.Duration
	maxBody     uint32
	svids       TokenSource
}

// WithEndpoint sets the service endpoint: "unix:/path", "unix:///path" or a
// plain absolute path. It overrides PARSEC_SERVICE_ENDPOINT.
func WithEndpoint(uri string) Option {
	return func(c *config) error {
		c.endpoint, c.endpointSet = uri, true
		return nil
	}
}

// WithAuth fixes the authentication instead of asking ListAuthenticators.
func WithAuth(a Auth) Option {
	return func(c *config) error {
		if !a.Type.Known() || a.Type == parsec.AuthJwt {
			return fmt.Errorf("client: authentication type %v is not supported", a.Type)
		}
		if a.Type == parsec.AuthDirect && a.AppName == "" {
			return errors.New("client: Direct authentication needs an application name")
		}
		c.auth = &a
		return nil
	}
}

// WithAppName sets the application name used if the automatically picked
// authenticator is Direct (default DefaultAppName).
func WithAppName(name string) Option {
	return func(c *config) error {
		if name == "" {
			return errors.New("client: empty application name")
		}
		c.appName = name
		return nil
	}
}

// WithProvider sends cryptographic operations to provider p instead of the
// first provider of ListProviders.
func WithProvider(p parsec.ProviderID) Option {
	return func(c *config) error {
		c.provider = &p
		return nil
	}
}

// WithTimeout bounds each request; 0 means no timeout.
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return errors.New("client: negative timeout")
		}
		c.timeout = d
		return nil
	}
}

// WithMaxResponseBody bounds the body length a response may announce; 0
// means no limit. Larger responses fail with status.ResponseTooLarge.
func WithMaxResponseBody(n uint32) Option {
	return func(c *config) error {
		c.maxBody = n
		return nil
	}
}

// Client talks to one Parsec service. It is safe for concurrent use.
type Client struct {
	path     string
	timeout  time.Duration
	maxBody  uint32
	provider *parsec.ProviderID // nil: discover lazily
	shared   *shared
}

// shared holds what clients derived with UsingProvider have in common.
type shared struct {
	appName string
	fixed   *Auth
	svids   TokenSource // nil: JwtSvid only with a token given to WithAuth

	mu              sync.Mutex
	defaultProvider *parsec.ProviderID
	auth            *Auth
}

// New creates a client. It does not connect: providers and authenticators
// are discovered on first use.
func New(opts ...Option) (*Client, error) {
	cfg := config{appName: DefaultAppName, timeout: DefaultTimeout, maxBody: DefaultMaxResponseBody}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	uri := cfg.endpoint
	if !cfg.endpointSet {
		uri = os.Getenv(EndpointEnv)
		if uri == "" {
			uri = DefaultEndpoint
		}
	}
	path, err := ParseEndpoint(uri)
	if err != nil {
		return nil, err
	}
	return &Client{
		path:     path,
		timeout:  cfg.timeout,
		maxBody:  cfg.maxBody,
		provider: cfg.provider,
		shared:   &shared{appName: cfg.appName, fixed: cfg.auth, svids: cfg.svids},
	}, nil
}

// EndpointHint says how to point a client at another socket; connection
// errors end with it.
const EndpointHint = "is parsecd running? " + EndpointEnv + "=unix:/path/to/parsec.sock selects another socket"

// ParseEndpoint returns the socket path of an endpoint URI: "unix:/path",
// "unix:///path" (empty authority) or a plain absolute path. Its error
// carries status.ConnectionError, names the endpoint and shows the form
// PARSEC_SERVICE_ENDPOINT takes.
func ParseEndpoint(uri string) (string, error) {
	bad := func(why string) (string, error) {
		return "", status.Errorf(status.ConnectionError, "%w", fmt.Errorf(
			"service endpoint %q: %s (%s=unix:/path/to/parsec.sock)", uri, why, EndpointEnv))
	}
	rest, ok := strings.CutPrefix(uri, "unix:")
	if !ok {
		if strings.HasPrefix(uri, "/") {
			return uri, nil
		}
		return bad("only Unix sockets are supported")
	}
	if after, ok := strings.CutPrefix(rest, "//"); ok {
		if !strings.HasPrefix(after, "/") {
			return bad("a unix: URI cannot name a host")
		}
		rest = after
	}
	if !strings.HasPrefix(rest, "/") || len(rest) < 2 {
		return bad("the socket path must be absolute")
	}
	return rest, nil
}

// SocketPath is the Unix socket the client connects to.
func (c *Client) SocketPath() string { return c.path }

// UsingProvider returns a client sending cryptographic operations to p. It
// shares the authentication and caches of c.
func (c *Client) UsingProvider(p parsec.ProviderID) *Client {
	d := *c
	d.provider = &p
	return &d
}

// Provider returns the provider cryptographic operations go to, asking
// ListProviders the first time if WithProvider was not given.
func (c *Client) Provider(ctx context.Context) (parsec.ProviderID, error) {
	if c.provider != nil {
		return *c.provider, nil
	}
	s := c.shared
	s.mu.Lock()
	if p := s.defaultProvider; p != nil {
		s.mu.Unlock()
		return *p, nil
	}
	s.mu.Unlock()
	providers, err := c.ListProviders(ctx)
	if err != nil {
		return 0, err
	}
	if len(providers) == 0 {
		return 0, &status.Error{Code: status.ProviderNotRegistered, Msg: "the service lists no provider"}
	}
	p := providers[0].ID
	s.mu.Lock()
	s.defaultProvider = &p
	s.mu.Unlock()
	return p, nil
}

// Auth returns the authentication sent with operations that need one,
// asking ListAuthenticators the first time if WithAuth was not given.
func (c *Client) Auth(ctx context.Context) (Auth, error) {
	s := c.shared
	if s.fixed != nil {
		return s.fresh(ctx, *s.fixed)
	}
	s.mu.Lock()
	if a := s.auth; a != nil {
		s.mu.Unlock()
		return s.fresh(ctx, *a)
	}
	s.mu.Unlock()
	auths, err := c.ListAuthenticators(ctx)
	if err != nil {
		return Auth{}, err
	}
	a, err := pickAuth(auths, s.appName, s.svids != nil)
	if err != nil {
		return Auth{}, err
	}
	s.mu.Lock()
	s.auth = &a
	s.mu.Unlock()
	return s.fresh(ctx, a)
}

// pickAuth returns the authentication for the first listed authenticator the
// client supports: JwtSvid only with a token source (WithJwtSvidSource).
func pickAuth(auths []AuthenticatorInfo, appName string, svids bool) (Auth, error) {
	var seen []string
	for _, ai := range auths {
		switch ai.ID {
		case parsec.AuthDirect:
			return DirectAuth(appName), nil
		case parsec.AuthUnixPeerCredentials:
			return UnixPeerCredentialsAuth(), nil
		case parsec.AuthJwtSvid:
			if svids {
				return JwtSvidAuth(""), nil
			}
		}
		seen = append(seen, ai.ID.String())
	}
	return Auth{}, &status.Error{Code: status.AuthenticatorNotRegistered,
		Msg: fmt.Sprintf("the service offers no authenticator this client can use automatically (offered: %v); use WithAuth, or WithJwtSvidSource for JwtSvid", seen)}
}

// invoke sends one operation with the client's routing and authentication
// rules and decodes the result into res (which may be nil for an empty
// result). The typed methods are built on it.
func (c *Client) invoke(ctx context.Context, op parsec.Opcode, req, res pbwire.Message) error {
	provider := parsec.ProviderCore
	if !op.IsCore() {
		p, err := c.Provider(ctx)
		if err != nil {
			return err
		}
		provider = p
	}
	// The core's discovery operations (those that act for no application)
	// are sent without authentication, as the reference clients do; the
	// others carry it, even those the service would serve without.
	auth := NoAuth()
	if !op.IsCore() || op.NeedsAuth() {
		a, err := c.Auth(ctx)
		if err != nil {
			return err
		}
		auth = a
	}
	return c.call(ctx, op, provider, auth, req, res)
}

// call sends one operation to an explicit provider with explicit
// authentication, and decodes the result into res (nil for none).
func (c *Client) call(ctx context.Context, op parsec.Opcode, provider parsec.ProviderID, auth Auth, req, res pbwire.Message) error {
	var body []byte
	if req != nil {
		var err error
		body, err = pbwire.Marshal(req)
		if err != nil {
			return &status.Error{Code: status.SerializingBodyFailed, Msg: op.String(), Err: err}
		}
	}
	resp, err := c.roundTrip(ctx, &wire.Request{
		Header: wire.Header{Provider: provider, AuthType: auth.Type, Opcode: op},
		Body:   body,
		Auth:   auth.Bytes(),
	})
	if err != nil {
		return err
	}
	if err := checkResponse(op, resp); err != nil {
		return err
	}
	if res != nil {
		if err := pbwire.Unmarshal(resp.Body, res); err != nil {
			return &status.Error{Code: status.DeserializingBodyFailed, Msg: "decoding the " + op.String() + " result", Err: err}
		}
	}
	return nil
}

// checkResponse maps a response header to an error. The status is looked at
// first: the service answers early failures with opcode Ping whatever the
// request was, so comparing opcodes first would hide the real cause.
func checkResponse(op parsec.Opcode, resp *wire.Response) error {
	h := resp.Header
	if h.Status != status.Success {
		return &status.Error{Code: h.Status, Msg: fmt.Sprintf("%s: %s", op, h.Status.Description())}
	}
	if h.Opcode != op {
		return &status.Error{Code: status.InvalidEncoding,
			Msg: fmt.Sprintf("the service answered %v to a %v request", h.Opcode, op)}
	}
	if h.ContentType != wire.ContentProtobuf {
		return &status.Error{Code: status.ContentTypeNotSupported,
			Msg: fmt.Sprintf("the %v response has content type %d", op, h.ContentType)}
	}
	return nil
}

// roundTrip sends one request frame as it is (lengths are taken from Body and
// Auth) on a new connection and returns the response frame, whatever its
// status. Transport failures carry status.ConnectionError.
func (c *Client) roundTrip(ctx context.Context, req *wire.Request) (*wire.Response, error) {
	frame, err := wire.EncodeRequest(req)
	if err != nil {
		return nil, &status.Error{Code: status.InvalidEncoding, Msg: "encoding the request", Err: err}
	}
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", c.path)
	if err != nil {
		return nil, &status.Error{Code: status.ConnectionError, Msg: "cannot connect to the Parsec service at " + c.path + " (" + EndpointHint + ")", Err: err}
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	_, werr := conn.Write(frame)
	// The service may answer and close before reading everything (early
	// rejection): the reply is still readable after a failed write.
	resp, rerr := wire.ReadResponse(conn, c.maxBody)
	if rerr != nil {
		cerr := ctx.Err()
		if dl, ok := ctx.Deadline(); ok && cerr == nil && !time.Now().Before(dl) {
			cerr = context.DeadlineExceeded // the connection deadline fired first
		}
		if cerr != nil {
			return nil, &status.Error{Code: status.ConnectionError, Msg: "no response from " + c.path, Err: cerr}
		}
		if werr != nil {
			return nil, &status.Error{Code: status.ConnectionError, Msg: "sending the request to " + c.path, Err: werr}
		}
		return nil, rerr
	}
	return resp, nil
}
