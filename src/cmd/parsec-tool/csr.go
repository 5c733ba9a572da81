package main

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"net"

	"github.com/parsecd/parsecd/src/psa"
)

// create-csr: a PKCS#10 request signed by a key of the service, through the
// client's crypto.Signer (PsaSignHash).

type csrFields struct {
	cn, l, o, ou, st, c, serialNumber string
	san                               []string
}

func csrCommand() *command {
	return &command{
		name:  "create-csr",
		about: "Create a Certificate Signing Request (CSR) from a keypair",
		auth:  true,
		define: func(o *options) func(*app, []string) error {
			var name string
			var f csrFields
			o.String(&name, 'k', "key-name", "KEY_NAME", "Name of the signing key (RSA, or ECC on NIST P-256 / P-384)", true)
			o.String(&f.cn, 0, "cn", "CN", "Common name of the subject", false)
			o.String(&f.l, 0, "l", "L", "Locality of the subject", false)
			o.String(&f.o, 0, "o", "O", "Organization of the subject", false)
			o.String(&f.ou, 0, "ou", "OU", "Organizational unit of the subject", false)
			o.String(&f.st, 0, "st", "ST", "State or province of the subject", false)
			o.String(&f.c, 0, "c", "C", "Country of the subject", false)
			o.String(&f.serialNumber, 0, "serialNumber", "SERIAL_NUMBER", "Serial number of the subject", false)
			o.Strings(&f.san, 0, "san", "SAN", "Subject alternative name: a DNS name or an IP address (repeatable)")
			return func(a *app, _ []string) error {
				a.keyName = name
				key, err := a.c.Key(a.ctx, name)
				if err != nil {
					return err
				}
				sigAlg, err := csrSignatureAlgorithm(name, key.Attributes())
				if err != nil {
					return err
				}
				tmpl, err := csrTemplate(f, sigAlg)
				if err != nil {
					return err
				}
				der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
				if err != nil {
					return err
				}
				// parsec-tool prints the PEM text with println!, hence the blank line.
				fmt.Fprintln(a.stdout, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})))
				return nil
			}
		},
	}
}

// csrSignatureAlgorithm maps the key's policy to the hash-and-sign schemes
// parsec-tool supports for CSRs.
func csrSignatureAlgorithm(name string, attrs psa.KeyAttributes) (x509.SignatureAlgorithm, error) {
	pol := attrs.Policy.Alg
	if pol.Kind != psa.AlgAsymSign {
		return 0, wrongKeyAlgorithm("key %q is not an asymmetric signing key (algorithm %s), which certificate requests need", name, debugAlg(pol))
	}
	s := pol.Sign
	hash := s.Hash
	if s.AnyHash {
		hash = psa.HashNone
	}
	switch s.Kind {
	case psa.SignRsaPkcs1v15:
		switch hash {
		case psa.HashSHA256, psa.HashNone:
			return x509.SHA256WithRSA, nil
		case psa.HashSHA384:
			return x509.SHA384WithRSA, nil
		case psa.HashSHA512:
			return x509.SHA512WithRSA, nil
		}
	case psa.SignRsaPss:
		switch hash {
		case psa.HashSHA256, psa.HashNone:
			return x509.SHA256WithRSAPSS, nil
		case psa.HashSHA384:
			return x509.SHA384WithRSAPSS, nil
		}
	case psa.SignEcdsa:
		if attrs.Type.Kind != psa.KeyEccPair || attrs.Type.EccFamily != psa.EccSecpR1 {
			return 0, notSupported("key %q must use the curve family SecpR1 for certificate requests", name)
		}
		switch {
		case (hash == psa.HashSHA256 || hash == psa.HashNone) && attrs.Bits == 256:
			return x509.ECDSAWithSHA256, nil
		case hash == psa.HashSHA384 && attrs.Bits == 384:
			return x509.ECDSAWithSHA384, nil
		}
		return 0, notSupported("key %q (%d bits, %s) is not supported for certificate requests", name, attrs.Bits, debugAsymSign(s))
	case psa.SignRsaPkcs1v15Raw:
		return 0, notSupported("key %q permits raw signing only, which is not supported for certificate requests", name)
	}
	return 0, notSupported("key %q (%s) is not supported for certificate requests", name, debugAsymSign(s))
}

var oidSerialNumber = asn1.ObjectIdentifier{2, 5, 4, 5}

// csrTemplate builds the request; the subject attributes keep parsec-tool's
// order (CN, OU, O, L, ST, C, serialNumber).
func csrTemplate(f csrFields, alg x509.SignatureAlgorithm) (*x509.CertificateRequest, error) {
	var rdns pkix.RDNSequence
	add := func(oid asn1.ObjectIdentifier, v string) {
		if v != "" {
			rdns = append(rdns, pkix.RelativeDistinguishedNameSET{{Type: oid, Value: v}})
		}
	}
	add(asn1.ObjectIdentifier{2, 5, 4, 3}, f.cn)
	add(asn1.ObjectIdentifier{2, 5, 4, 11}, f.ou)
	add(asn1.ObjectIdentifier{2, 5, 4, 10}, f.o)
	add(asn1.ObjectIdentifier{2, 5, 4, 7}, f.l)
	add(asn1.ObjectIdentifier{2, 5, 4, 8}, f.st)
	add(asn1.ObjectIdentifier{2, 5, 4, 6}, f.c)
	add(oidSerialNumber, f.serialNumber)
	subject, err := asn1.Marshal(rdns)
	if err != nil {
		return nil, incorrectData("could not encode the subject: %v", err)
	}
	t := &x509.CertificateRequest{RawSubject: subject, SignatureAlgorithm: alg}
	for _, s := range f.san {
		if ip := net.ParseIP(s); ip != nil {
			t.IPAddresses = append(t.IPAddresses, ip)
		} else {
			t.DNSNames = append(t.DNSNames, s)
		}
	}
	return t, nil
}
