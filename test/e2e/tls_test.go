// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package e2e

// A real mutual-TLS handshake whose two private keys live only in parsecd:
// crypto/tls signs through the client library's crypto.Signer (PsaSignHash).

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

// tlsCA is an in-process certificate authority (its key may live in Go).
type tlsCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func tlsNewCA(t testing.TB) *tlsCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	opsOK(t, err, "CA key")
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "parsecd e2e test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	opsOK(t, err, "CA certificate")
	cert, err := x509.ParseCertificate(der)
	opsOK(t, err, "CA certificate")
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tlsCA{cert: cert, key: key, pool: pool}
}

// issue certifies pub (a key of parsecd) for a server name or a client.
func (ca *tlsCA) issue(t testing.TB, serial int64, cn string, pub crypto.PublicKey, server bool) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.DNSNames = []string{cn}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, pub, ca.key)
	opsOK(t, err, "issuing "+cn)
	cert, err := x509.ParseCertificate(der)
	opsOK(t, err, "issuing "+cn)
	return cert
}

// tlsCountingSigner counts the signatures parsecd made for crypto/tls.
type tlsCountingSigner struct {
	crypto.Signer
	n atomic.Int32
}

func (s *tlsCountingSigner) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	s.n.Add(1)
	return s.Signer.Sign(r, digest, opts)
}

type tlsResult struct {
	state tls.ConnectionState
	got   string
	err   error
}

// tlsSocketPair returns the two ends of a connected Unix socketpair. Unlike
// net.Pipe its writes are buffered, so a side that fails the handshake and
// sends an alert does not block until the deadline.
func tlsSocketPair(t testing.TB) (net.Conn, net.Conn) {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	opsOK(t, err, "socketpair")
	conn := func(fd int, name string) net.Conn {
		f := os.NewFile(uintptr(fd), name)
		defer f.Close()
		c, err := net.FileConn(f)
		opsOK(t, err, "FileConn")
		return c
	}
	return conn(fds[0], "tls-server-end"), conn(fds[1], "tls-client-end")
}

// tlsExchange runs a server and a client over a socketpair, the client
// sends "ping", the server answers "pong".
func tlsExchange(t testing.TB, serverCfg, clientCfg *tls.Config) (srv, cli tlsResult) {
	a, b := tlsSocketPair(t)
	deadline := time.Now().Add(20 * time.Second)
	_ = a.SetDeadline(deadline)
	_ = b.SetDeadline(deadline)
	done := make(chan tlsResult, 1)
	go func() {
		defer a.Close()
		s := tls.Server(a, serverCfg)
		var r tlsResult
		if r.err = s.Handshake(); r.err != nil {
			done <- r
			return
		}
		buf := make([]byte, 4)
		if _, r.err = io.ReadFull(s, buf); r.err == nil {
			r.got = string(buf)
			_, r.err = s.Write([]byte("pong"))
		}
		r.state = s.ConnectionState()
		done <- r
	}()
	c := tls.Client(b, clientCfg)
	if cli.err = c.Handshake(); cli.err == nil {
		if _, cli.err = c.Write([]byte("ping")); cli.err == nil {
			buf := make([]byte, 4)
			if _, cli.err = io.ReadFull(c, buf); cli.err == nil {
				cli.got = string(buf)
			}
		}
		cli.state = c.ConnectionState()
	}
	b.Close()
	srv = <-done
	return srv, cli
}

func TestTLSMutualHandshakeWithParsecKeys(t *testing.T) {
	t.Parallel()
	d := NewDaemon(t, Options{}).Start()
	c := d.Direct("tls-app")
	ctx := t.Context()
	ca := tlsNewCA(t)

	// Server key: ECDSA P-256 with an ECDSA SHA-256 policy, kept in parsecd.
	ecdsa256 := opsSign(psa.SignEcdsa, psa.HashSHA256)
	opsOK(t, c.GenerateKey(ctx, "tls-server", opsSignAttrs(opsECCPair, 256, psa.UsageSignHash|psa.UsageVerifyHash, ecdsa256)), "GenerateKey tls-server")
	srvSigner, err := c.Signer(ctx, "tls-server")
	opsOK(t, err, "Signer tls-server")
	srvLeaf := ca.issue(t, 2, "parsecd-server.test", srvSigner.Public(), true)
	srvCount := &tlsCountingSigner{Signer: srvSigner}

	clients := []struct {
		name     string
		attrs    psa.KeyAttributes
		version  uint16
		schemes  []tls.SignatureScheme // nil: let crypto/tls choose
		wantType string
	}{
		// RSA-PSS SHA-256, which TLS 1.3 requires for RSA keys.
		{"rsa-pss", opsSignAttrs(opsRSAPair, 2048, psa.UsageSignHash, opsSign(psa.SignRsaPss, psa.HashSHA256)), tls.VersionTLS13, nil, "*rsa.PublicKey"},
		{"ecdsa-p384", opsSignAttrs(opsECCPair, 384, psa.UsageSignHash, opsSign(psa.SignEcdsa, psa.HashSHA384)), tls.VersionTLS13, nil, "*ecdsa.PublicKey"},
		// TLS 1.2 with an RSA PKCS#1 v1.5 client key.
		{"rsa-pkcs1-tls12", opsSignAttrs(opsRSAPair, 2048, psa.UsageSignHash, opsSign(psa.SignRsaPkcs1v15, psa.HashSHA256)), tls.VersionTLS12,
			[]tls.SignatureScheme{tls.PKCS1WithSHA256}, "*rsa.PublicKey"},
	}
	for i, tc := range clients {
		t.Run(tc.name, func(t *testing.T) {
			key := "tls-client-" + tc.name
			opsOK(t, c.GenerateKey(ctx, key, tc.attrs), "GenerateKey "+key)
			cliSigner, err := c.Signer(ctx, key)
			opsOK(t, err, "Signer "+key)
			cliLeaf := ca.issue(t, int64(10+i), "client-"+tc.name, cliSigner.Public(), false)
			cliCount := &tlsCountingSigner{Signer: cliSigner}
			before := srvCount.n.Load()

			serverCfg := &tls.Config{
				Certificates: []tls.Certificate{{Certificate: [][]byte{srvLeaf.Raw}, PrivateKey: srvCount, Leaf: srvLeaf}},
				ClientAuth:   tls.RequireAndVerifyClientCert,
				ClientCAs:    ca.pool,
				MinVersion:   tc.version,
				MaxVersion:   tc.version,
			}
			clientCfg := &tls.Config{
				Certificates: []tls.Certificate{{Certificate: [][]byte{cliLeaf.Raw}, PrivateKey: cliCount, Leaf: cliLeaf,
					SupportedSignatureAlgorithms: tc.schemes}},
				RootCAs:    ca.pool,
				ServerName: "parsecd-server.test",
				MinVersion: tc.version,
				MaxVersion: tc.version,
			}
			srv, cli := tlsExchange(t, serverCfg, clientCfg)
			if srv.err != nil || cli.err != nil {
				t.Fatalf("TLS exchange failed: server: %v; client: %v", srv.err, cli.err)
			}
			if srv.got != "ping" || cli.got != "pong" {
				t.Errorf("messages: server got %q, client got %q", srv.got, cli.got)
			}
			for who, st := range map[string]tls.ConnectionState{"server": srv.state, "client": cli.state} {
				if !st.HandshakeComplete || st.Version != tc.version {
					t.Errorf("%s: handshake complete %v, version %#x; want %#x", who, st.HandshakeComplete, st.Version, tc.version)
				}
			}
			if len(srv.state.PeerCertificates) == 0 || !srv.state.PeerCertificates[0].Equal(cliLeaf) {
				t.Errorf("the server did not see the client certificate")
			} else if got := tlsKeyTypeName(srv.state.PeerCertificates[0].PublicKey); got != tc.wantType {
				t.Errorf("client certificate key %s, want %s", got, tc.wantType)
			}
			if len(srv.state.VerifiedChains) == 0 {
				t.Errorf("the server did not verify the client certificate chain")
			}
			if len(cli.state.PeerCertificates) == 0 || !cli.state.PeerCertificates[0].Equal(srvLeaf) || len(cli.state.VerifiedChains) == 0 {
				t.Errorf("the client did not see and verify the server certificate")
			}
			// Both handshake signatures were made by parsecd.
			if cliCount.n.Load() != 1 || srvCount.n.Load() != before+1 {
				t.Errorf("parsecd signatures: client %d (want 1), server %d (want 1)", cliCount.n.Load(), srvCount.n.Load()-before)
			}
			// The client's private key never leaves parsecd.
			_, err = c.ExportKey(ctx, key)
			opsExpect(t, err, status.PsaErrorNotPermitted, "ExportKey of the TLS client key")
		})
	}

	// TLS 1.3 signs with RSA-PSS only: an RSA key whose policy is PKCS#1 v1.5
	// is refused by parsecd's policy check, and the handshake fails cleanly.
	opsOK(t, c.GenerateKey(ctx, "tls-client-pkcs1-only", opsSignAttrs(opsRSAPair, 2048, psa.UsageSignHash,
		opsSign(psa.SignRsaPkcs1v15, psa.HashSHA256))), "GenerateKey pkcs1-only")
	pk1, err := c.Signer(ctx, "tls-client-pkcs1-only")
	opsOK(t, err, "Signer pkcs1-only")
	pk1Leaf := ca.issue(t, 50, "client-pkcs1-only", pk1.Public(), false)
	srv, cli := tlsExchange(t,
		&tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{srvLeaf.Raw}, PrivateKey: srvSigner}},
			ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: ca.pool, MinVersion: tls.VersionTLS13},
		&tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{pk1Leaf.Raw}, PrivateKey: pk1}},
			RootCAs: ca.pool, ServerName: "parsecd-server.test", MinVersion: tls.VersionTLS13})
	if cli.err == nil || !strings.Contains(cli.err.Error(), "PsaErrorNotPermitted") {
		t.Errorf("TLS 1.3 client with a PKCS#1 v1.5-only key: client err %v, want a PsaErrorNotPermitted signing failure", cli.err)
	}
	if srv.err == nil {
		t.Errorf("the server accepted a client whose key could not sign")
	}

	// Once the server key is destroyed in parsecd, the server cannot complete a handshake.
	opsOK(t, c.DestroyKey(ctx, "tls-server"), "DestroyKey tls-server")
	cliSigner, err := c.Signer(ctx, "tls-client-ecdsa-p384")
	opsOK(t, err, "Signer")
	cliLeaf := ca.issue(t, 99, "client-again", cliSigner.Public(), false)
	srv, cli = tlsExchange(t,
		&tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{srvLeaf.Raw}, PrivateKey: srvSigner}},
			ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: ca.pool, MinVersion: tls.VersionTLS13},
		&tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{cliLeaf.Raw}, PrivateKey: cliSigner}},
			RootCAs: ca.pool, ServerName: "parsecd-server.test", MinVersion: tls.VersionTLS13})
	if srv.err == nil || cli.err == nil {
		t.Errorf("handshake succeeded with a destroyed server key (server err %v, client err %v)", srv.err, cli.err)
	} else if !strings.Contains(srv.err.Error(), "PsaErrorDoesNotExist") {
		t.Errorf("server handshake error %q does not come from the destroyed key", srv.err)
	}
}

func tlsKeyTypeName(v any) string {
	switch v.(type) {
	case *rsa.PublicKey:
		return "*rsa.PublicKey"
	case *ecdsa.PublicKey:
		return "*ecdsa.PublicKey"
	}
	return "other"
}

func TestTLSDecrypterFromParsec(t *testing.T) {
	t.Parallel()
	d := NewDaemon(t, Options{}).Start()
	c := d.Direct("tls-decrypt")
	ctx := t.Context()
	msg := []byte("a session key, say")

	opsOK(t, c.GenerateKey(ctx, "oaep", opsCryptAttrs(opsRSAPair, 2048, opsCryptUsage, opsOAEP256)), "GenerateKey oaep")
	dec, err := c.Decrypter(ctx, "oaep")
	opsOK(t, err, "Decrypter")
	pub, ok := dec.Public().(*rsa.PublicKey)
	if !ok || !pub.Equal(opsRSAPublic(t, c, "oaep")) {
		t.Fatalf("Decrypter.Public() = %T, not the key's RSA public key", dec.Public())
	}
	for _, label := range [][]byte{nil, []byte("label")} {
		ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, msg, label)
		opsOK(t, err, "rsa.EncryptOAEP")
		pt, err := dec.Decrypt(rand.Reader, ct, &rsa.OAEPOptions{Hash: crypto.SHA256, Label: label})
		if err != nil || !bytes.Equal(pt, msg) {
			t.Errorf("Decrypt (label %q) = %q, %v", label, pt, err)
		}
		// nil options: the key's policy (OAEP SHA-256, no label).
		if label == nil {
			if pt, err := dec.Decrypt(rand.Reader, ct, nil); err != nil || !bytes.Equal(pt, msg) {
				t.Errorf("Decrypt with nil options = %q, %v", pt, err)
			}
		}
		ct[5] ^= 1
		_, err = dec.Decrypt(rand.Reader, ct, &rsa.OAEPOptions{Hash: crypto.SHA256, Label: label})
		opsExpect(t, err, status.PsaErrorInvalidPadding, "Decrypt of a corrupted ciphertext")
	}
	// Another hash than the policy's is refused by parsecd.
	ct, _ := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, msg, nil)
	_, err = dec.Decrypt(rand.Reader, ct, &rsa.OAEPOptions{Hash: crypto.SHA384})
	opsExpect(t, err, status.PsaErrorNotPermitted, "Decrypt OAEP SHA-384 with an OAEP SHA-256 key")

	// PKCS#1 v1.5 through crypto/rsa's session-key idiom.
	opsOK(t, c.GenerateKey(ctx, "pkcs1", opsCryptAttrs(opsRSAPair, 2048, opsCryptUsage, opsPKCS1Enc)), "GenerateKey pkcs1")
	dec1, err := c.Decrypter(ctx, "pkcs1")
	opsOK(t, err, "Decrypter pkcs1")
	pub1 := dec1.Public().(*rsa.PublicKey)
	//lint:ignore SA1019 PKCS#1 v1.5 encryption is part of the Parsec/PSA contract (RsaPkcs1v15Crypt)
	ct, err = rsa.EncryptPKCS1v15(rand.Reader, pub1, msg)
	opsOK(t, err, "rsa.EncryptPKCS1v15")
	//lint:ignore SA1019 PKCS#1 v1.5 encryption is part of the Parsec/PSA contract (RsaPkcs1v15Crypt)
	if pt, err := dec1.Decrypt(rand.Reader, ct, &rsa.PKCS1v15DecryptOptions{}); err != nil || !bytes.Equal(pt, msg) {
		t.Errorf("PKCS#1 v1.5 Decrypt = %q, %v", pt, err)
	}
	ct[10] ^= 1
	//lint:ignore SA1019 PKCS#1 v1.5 encryption is part of the Parsec/PSA contract (RsaPkcs1v15Crypt)
	if pt, err := dec1.Decrypt(rand.Reader, ct, &rsa.PKCS1v15DecryptOptions{SessionKeyLen: 16}); err != nil || len(pt) != 16 {
		t.Errorf("PKCS#1 v1.5 session-key Decrypt of a bad ciphertext = %d bytes, %v; want 16 random bytes", len(pt), err)
	}

	// A signing key is no Decrypter, and an encryption key is no Signer.
	opsOK(t, c.GenerateKey(ctx, "sig", opsSignAttrs(opsECCPair, 256, opsSignUsage, opsSign(psa.SignEcdsa, psa.HashSHA256))), "GenerateKey sig")
	_, err = c.Decrypter(ctx, "sig")
	opsExpect(t, err, status.PsaErrorNotPermitted, "Decrypter of an ECDSA key")
	_, err = c.Signer(ctx, "oaep")
	opsExpect(t, err, status.PsaErrorNotPermitted, "Signer of an OAEP key")
	_, err = c.Signer(ctx, "missing")
	opsExpect(t, err, status.PsaErrorDoesNotExist, "Signer of a missing key")
}
