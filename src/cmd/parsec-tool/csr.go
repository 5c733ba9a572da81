// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package main

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"io"
	"strings"

	"github.com/parsecd/parsecd/src/client"
	"github.com/parsecd/parsecd/src/psa"
)

// create-csr: a PKCS#10 request signed by a key of the service, laid out as
// parsec-tool 0.7.0 (rcgen 0.9) lays it out: one RDN per subject attribute
// in the order CN, OU, O, L, ST, C, serialNumber, each a UTF8String; the
// subject alternative names as DNS names; printed as PEM with CRLF line
// endings and an extra newline.

type csrFields struct {
	cn, l, o, ou, st, c, serialNumber string
	san                               []string
	set                               func(long string) bool // whether the option was given
}

const csrKeyHelp = "The name of the key to use for signing. This must be an existing key that is accessible to the user, and it must be a signing key (either an RSA key or an elliptic curve key)"

func csrCommand() *command {
	return &command{
		name:      "create-csr",
		about:     "Create a Certificate Signing Request (CSR) from a keypair",
		longAbout: "Creates an X509 Certificate Signing Request (CSR) from a keypair, using the signing algorithm that is associated with the key.\n\nThe CSR is written to the standard output in PEM format by default.",
		auth:      true,
		define: func(o *options) func(*app, []string) error {
			var name string
			f := csrFields{set: o.IsSet}
			k := o.String(&name, 'k', "key-name", "", csrKeyHelp, true)
			k.longHelp = csrKeyHelp + ".\n\nElliptic curve keys must use the NIST P256 or P384 curves."
			dn := func(p *string, long, clapName, what string) {
				o.String(p, 0, long, "", "The "+what+" to be used within the Distinguished Name (DN) specification of the CSR", false).name = clapName
			}
			dn(&f.cn, "cn", "common-name", "common name")
			dn(&f.l, "l", "locality", "locality name")
			dn(&f.o, "o", "organization", "organization name")
			dn(&f.ou, "ou", "organizational-unit", "organizational unit name")
			dn(&f.st, "st", "state", "state name")
			dn(&f.c, "c", "country", "country name")
			dn(&f.serialNumber, "serialNumber", "serial-number", "serial number")
			o.Strings(&f.san, 0, "san", "", "A Subject Alternative Name (SAN) for the domain of the CSR").name = "subject-alternative-name"
			return func(a *app, _ []string) error {
				if err := a.crypto(); err != nil {
					return err
				}
				pubData, err := a.c.ExportPublicKey(a.ctx, name)
				if err != nil {
					return err
				}
				sigAlg, err := a.csrSignatureAlgorithm(name)
				if err != nil {
					return err
				}
				attrs, err := a.keyAttributes(name)
				if err != nil {
					return err
				}
				pub, err := client.ParsePublicKey(attrs, pubData)
				if err != nil {
					return rcgenErr{}
				}
				tmpl, err := csrTemplate(f, sigAlg)
				if err != nil {
					return err
				}
				der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, &csrSigner{a: a, name: name, pub: pub})
				if err != nil {
					return rcgenErr{}
				}
				text := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
				_, err = fmt.Fprintln(a.stdout, strings.ReplaceAll(string(text), "\n", "\r\n"))
				return err
			}
		},
	}
}

// csrSigner signs the request as parsec-tool's remote key pair does, with
// the key's policy (SHA-256 when it permits any hash).
type csrSigner struct {
	a    *app
	name string
	pub  crypto.PublicKey
}

func (s *csrSigner) Public() crypto.PublicKey { return s.pub }

func (s *csrSigner) Sign(_ io.Reader, digest []byte, _ crypto.SignerOpts) ([]byte, error) {
	sha256 := psa.HashSHA256
	return s.a.signDigest(s.name, func(h psa.Hash) ([]byte, error) {
		if _, err := s.a.hashData(nil, h); err != nil {
			return nil, err
		}
		return digest, nil
	}, &sha256)
}

// csrSignatureAlgorithm maps the key's policy to the hash-and-sign schemes
// parsec-tool 0.7.0 supports for CSRs, with its errors.
func (a *app) csrSignatureAlgorithm(name string) (x509.SignatureAlgorithm, error) {
	attrs, err := a.keyAttributes(name)
	if err != nil {
		return 0, err
	}
	pol := attrs.Policy.Alg
	if pol.Kind != psa.AlgAsymSign {
		a.errorf("Specified key is not an asymmetric signing key, which is needed for certificate requests.")
		return 0, &toolError{kind: "WrongKeyAlgorithm"}
	}
	s := pol.Sign
	fail := func(format string, args ...any) (x509.SignatureAlgorithm, error) {
		a.errorf(format, args...)
		return 0, &toolError{kind: "NotSupported"}
	}
	switch s.Kind {
	case psa.SignRsaPkcs1v15:
		switch {
		case s.AnyHash || s.Hash == psa.HashSHA256:
			return x509.SHA256WithRSA, nil
		case s.Hash == psa.HashSHA384:
			return x509.SHA384WithRSA, nil
		case s.Hash == psa.HashSHA512:
			return x509.SHA512WithRSA, nil
		}
		return fail("Signing key requires use of hashing algorithm (%s), which is not supported for certificate requests.", debugAsymSign(s))
	case psa.SignRsaPkcs1v15Raw:
		return fail("Signing key specifies raw signing only, which is not supported for certificate requests.")
	case psa.SignRsaPss:
		return fail("Signing key specifies RSA PSS scheme, which is not supported for certificate requests.")
	case psa.SignEcdsa:
		if attrs.Type.Kind != psa.KeyEccPair || attrs.Type.EccFamily != psa.EccSecpR1 {
			return fail("Signing key must use curve family SecpR1 for certificate requests.")
		}
		switch {
		case s.AnyHash && attrs.Bits == 256:
			return x509.ECDSAWithSHA256, nil
		case s.AnyHash:
			return fail("Signing keys of strength other than 256-bit not supported without specific hash algorithm.")
		case s.Hash == psa.HashSHA256 && attrs.Bits == 256:
			return x509.ECDSAWithSHA256, nil
		case s.Hash == psa.HashSHA256:
			return fail("Signing key should have strength 256, but actually has strength %d.", attrs.Bits)
		case s.Hash == psa.HashSHA384 && attrs.Bits == 384:
			return x509.ECDSAWithSHA384, nil
		case s.Hash == psa.HashSHA384:
			return fail("Signing key should have strength 384, but actually has strength %d.", attrs.Bits)
		}
		return fail("Signing key requires use of hashing algorithm (%s), which is not supported for certificate requests.", debugAsymSign(s))
	}
	return fail("The specified key is not supported for certificate requests.")
}

var oidSerialNumber = asn1.ObjectIdentifier{2, 5, 4, 5}

// csrTemplate builds the request: the subject attributes in parsec-tool's
// order, each in its own RDN, as UTF8String; every SAN a DNS name.
func csrTemplate(f csrFields, alg x509.SignatureAlgorithm) (*x509.CertificateRequest, error) {
	var rdns pkix.RDNSequence
	add := func(oid asn1.ObjectIdentifier, v *string) {
		if v != nil {
			rdns = append(rdns, pkix.RelativeDistinguishedNameSET{{Type: oid,
				Value: asn1.RawValue{Tag: asn1.TagUTF8String, Bytes: []byte(*v)}}})
		}
	}
	opt := func(long, s string) *string {
		if s == "" && (f.set == nil || !f.set(long)) {
			return nil
		}
		return &s
	}
	add(asn1.ObjectIdentifier{2, 5, 4, 3}, opt("cn", f.cn))
	add(asn1.ObjectIdentifier{2, 5, 4, 11}, opt("ou", f.ou))
	add(asn1.ObjectIdentifier{2, 5, 4, 10}, opt("o", f.o))
	add(asn1.ObjectIdentifier{2, 5, 4, 7}, opt("l", f.l))
	add(asn1.ObjectIdentifier{2, 5, 4, 8}, opt("st", f.st))
	add(asn1.ObjectIdentifier{2, 5, 4, 6}, opt("c", f.c))
	add(oidSerialNumber, opt("serialNumber", f.serialNumber))
	subject, err := asn1.Marshal(rdns)
	if err != nil {
		return nil, incorrectData("could not encode the subject: %v", err)
	}
	return &x509.CertificateRequest{RawSubject: subject, SignatureAlgorithm: alg, DNSNames: f.san}, nil
}
