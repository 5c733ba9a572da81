// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package pkcs11module

// The module against the real service back end (clienttest.NewService:
// package back with the software provider) through the real client: the
// PKCS#11 semantics the consumers of test/e2e/p11module_test.go do not
// reach (short buffers, refused parameters, handles after destruction,
// many threads at once).

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"sync"
	"testing"

	"github.com/parsecd/parsecd/src/client/clienttest"
)

func newTestModule(t *testing.T) (*Module, uint) {
	t.Helper()
	srv := clienttest.NewService().Start(t)
	m, rv := New(srv.Endpoint)
	if rv != CKR_OK {
		t.Fatalf("New: %#x", rv)
	}
	slots := m.SlotList()
	if len(slots) != 1 || slots[0] != 1 {
		t.Fatalf("slots %v, want the software provider's [1]", slots)
	}
	h, rv := m.OpenSession(slots[0], CKF_SERIAL_SESSION|CKF_RW_SESSION)
	if rv != CKR_OK {
		t.Fatalf("OpenSession: %#x", rv)
	}
	return m, h
}

func mustRV(t *testing.T, what string, got, want RV) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: %#x, want %#x", what, got, want)
	}
}

func genEC(t *testing.T, m *Module, h uint, label string) (pub, priv uint) {
	t.Helper()
	pub, priv, rv := m.GenerateKeyPair(h, Mechanism{Type: CKM_EC_KEY_PAIR_GEN},
		[]Attribute{{CKA_EC_PARAMS, ecParams(256)}}, []Attribute{{CKA_LABEL, []byte(label)}})
	mustRV(t, "GenerateKeyPair EC", rv, CKR_OK)
	return pub, priv
}

func TestServiceSignVerify(t *testing.T) {
	m, h := newTestModule(t)
	pub, priv := genEC(t, m, h, "ec")
	digest := sha256.Sum256([]byte("m"))

	mustRV(t, "SignInit", m.SignInit(h, Mechanism{Type: CKM_ECDSA}, priv), CKR_OK)
	mustRV(t, "second SignInit", m.SignInit(h, Mechanism{Type: CKM_ECDSA}, priv), CKR_OPERATION_ACTIVE)
	_, n, rv := m.Finish(h, 's', digest[:], true, 0)
	mustRV(t, "length query", rv, CKR_OK)
	if n != 64 {
		t.Fatalf("length query: %d", n)
	}
	_, n, rv = m.Finish(h, 's', digest[:], false, 10)
	mustRV(t, "short buffer", rv, CKR_BUFFER_TOO_SMALL)
	sig, _, rv := m.Finish(h, 's', digest[:], false, n)
	mustRV(t, "Sign", rv, CKR_OK)
	_, _, rv = m.Finish(h, 's', digest[:], false, 64)
	mustRV(t, "Sign after the end", rv, CKR_OPERATION_NOT_INITIALIZED)

	mustRV(t, "VerifyInit", m.VerifyInit(h, Mechanism{Type: CKM_ECDSA}, pub), CKR_OK)
	mustRV(t, "Verify", m.Verify(h, digest[:], sig), CKR_OK)
	sig[5] ^= 1
	mustRV(t, "VerifyInit", m.VerifyInit(h, Mechanism{Type: CKM_ECDSA}, pub), CKR_OK)
	mustRV(t, "Verify a bad signature", m.Verify(h, digest[:], sig), CKR_SIGNATURE_INVALID)

	// Multi-part with hashing in the module.
	mustRV(t, "SignInit SHA256", m.SignInit(h, Mechanism{Type: CKM_ECDSA_SHA256}, priv), CKR_OK)
	mustRV(t, "SignUpdate", m.Update(h, 's', []byte("m")), CKR_OK)
	sig, _, rv = m.Finish(h, 's', nil, false, 64)
	mustRV(t, "SignFinal", rv, CKR_OK)
	mustRV(t, "VerifyInit", m.VerifyInit(h, Mechanism{Type: CKM_ECDSA}, pub), CKR_OK)
	mustRV(t, "Verify multi-part", m.Verify(h, digest[:], sig), CKR_OK)

	// Refusals at SignInit.
	mustRV(t, "public key", m.SignInit(h, Mechanism{Type: CKM_ECDSA}, pub), CKR_KEY_HANDLE_INVALID)
	mustRV(t, "RSA mechanism", m.SignInit(h, Mechanism{Type: CKM_SHA256_RSA_PKCS}, priv), CKR_KEY_TYPE_INCONSISTENT)
	mustRV(t, "digest mechanism", m.SignInit(h, Mechanism{Type: CKM_SHA256}, priv), CKR_MECHANISM_INVALID)
	mustRV(t, "CKM_ECDSA of 33 bytes", m.SignInit(h, Mechanism{Type: CKM_ECDSA}, priv), CKR_OK)
	_, _, rv = m.Finish(h, 's', make([]byte, 33), false, 64)
	mustRV(t, "CKM_ECDSA of 33 bytes", rv, CKR_DATA_LEN_RANGE)

	// Destroy: both handles go, and the key is gone from parsecd.
	ro, _ := m.OpenSession(1, CKF_SERIAL_SESSION)
	mustRV(t, "DestroyObject read-only", m.DestroyObject(ro, priv), CKR_SESSION_READ_ONLY)
	mustRV(t, "DestroyObject", m.DestroyObject(h, pub), CKR_OK)
	mustRV(t, "SignInit destroyed", m.SignInit(h, Mechanism{Type: CKM_ECDSA}, priv), CKR_KEY_HANDLE_INVALID)
	mustRV(t, "FindObjectsInit", m.FindObjectsInit(h, nil), CKR_OK)
	found, _ := m.FindObjects(h, 10)
	mustRV(t, "FindObjectsFinal", m.FindObjectsFinal(h), CKR_OK)
	if len(found) != 0 {
		t.Errorf("objects after destruction: %v", found)
	}
}

func TestServiceRSA(t *testing.T) {
	m, h := newTestModule(t)
	bits := []Attribute{{CKA_MODULUS_BITS, Ulong(2048)}}
	pub, priv, rv := m.GenerateKeyPair(h, Mechanism{Type: CKM_RSA_PKCS_KEY_PAIR_GEN}, bits, []Attribute{{CKA_LABEL, []byte("rsa")}})
	mustRV(t, "GenerateKeyPair RSA", rv, CKR_OK)
	o, _ := m.object(1, pub)
	rpub := o.k.pub.(*rsa.PublicKey)

	// CKM_RSA_PKCS over a DigestInfo, as OpenSSL and OpenSSH sign.
	d := sha256.Sum256([]byte("m"))
	di, _ := encodeDigestInfo(crypto.SHA256, d[:])
	mustRV(t, "SignInit", m.SignInit(h, Mechanism{Type: CKM_RSA_PKCS}, priv), CKR_OK)
	sig, _, rv := m.Finish(h, 's', di, false, 256)
	mustRV(t, "Sign DigestInfo", rv, CKR_OK)
	if err := rsa.VerifyPKCS1v15(rpub, crypto.SHA256, d[:], sig); err != nil {
		t.Errorf("PKCS#1 v1.5 signature: %v", err)
	}
	mustRV(t, "SignInit raw", m.SignInit(h, Mechanism{Type: CKM_RSA_PKCS}, priv), CKR_OK)
	_, _, rv = m.Finish(h, 's', []byte("not a DigestInfo"), false, 256)
	mustRV(t, "raw input, hash policy", rv, CKR_KEY_FUNCTION_NOT_PERMITTED)
	// One algorithm per key: PSS is refused by parsecd's policy check.
	pss := Mechanism{Type: CKM_SHA256_RSA_PKCS_PSS, PSS: &PSSParams{Hash: CKM_SHA256, MGF: CKG_MGF1_SHA256, SaltLen: 32}}
	mustRV(t, "SignInit PSS", m.SignInit(h, pss, priv), CKR_OK)
	_, _, rv = m.Finish(h, 's', []byte("m"), false, 256)
	mustRV(t, "PSS with a PKCS#1 v1.5 key", rv, CKR_KEY_FUNCTION_NOT_PERMITTED)
	bad := Mechanism{Type: CKM_RSA_PKCS_PSS, PSS: &PSSParams{Hash: CKM_SHA256, MGF: CKG_MGF1_SHA1, SaltLen: 32}}
	mustRV(t, "PSS with MGF1-SHA1", m.SignInit(h, bad, priv), CKR_MECHANISM_PARAM_INVALID)
	mustRV(t, "PSS without parameters", m.SignInit(h, Mechanism{Type: CKM_RSA_PKCS_PSS}, priv), CKR_MECHANISM_PARAM_INVALID)
	mustRV(t, "DecryptInit a signing key", m.DecryptInit(h, Mechanism{Type: CKM_RSA_PKCS}, priv), CKR_KEY_FUNCTION_NOT_PERMITTED)

	// A decryption key: short buffer keeps the result for the retry.
	_, dpriv, rv := m.GenerateKeyPair(h, Mechanism{Type: CKM_RSA_PKCS_KEY_PAIR_GEN}, bits,
		[]Attribute{{CKA_LABEL, []byte("dec")}, {CKA_DECRYPT, []byte{1}}})
	mustRV(t, "GenerateKeyPair decrypt", rv, CKR_OK)
	do, _ := m.object(1, dpriv)
	//lint:ignore SA1019 PKCS#1 v1.5 encryption is what the key's policy is for
	ct, err := rsa.EncryptPKCS1v15(rand.Reader, do.k.pub.(*rsa.PublicKey), []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	mustRV(t, "DecryptInit", m.DecryptInit(h, Mechanism{Type: CKM_RSA_PKCS}, dpriv), CKR_OK)
	_, n, rv := m.Finish(h, 'x', ct, false, 2)
	mustRV(t, "Decrypt short", rv, CKR_BUFFER_TOO_SMALL)
	if n != 6 {
		t.Errorf("Decrypt short: length %d, want 6", n)
	}
	pt, _, rv := m.Finish(h, 'x', ct, false, n)
	mustRV(t, "Decrypt", rv, CKR_OK)
	if string(pt) != "secret" {
		t.Errorf("decrypted %q", pt)
	}
	mustRV(t, "DecryptInit truncated ciphertext", m.DecryptInit(h, Mechanism{Type: CKM_RSA_PKCS}, dpriv), CKR_OK)
	_, _, rv = m.Finish(h, 'x', ct[1:], false, 256)
	mustRV(t, "Decrypt truncated ciphertext", rv, CKR_ENCRYPTED_DATA_LEN_RANGE)

	_, _, rv = m.GenerateKeyPair(h, Mechanism{Type: CKM_RSA_PKCS_KEY_PAIR_GEN}, nil, nil)
	mustRV(t, "RSA without CKA_MODULUS_BITS", rv, CKR_TEMPLATE_INCOMPLETE)
	_, _, rv = m.GenerateKeyPair(h, Mechanism{Type: CKM_RSA_PKCS_KEY_PAIR_GEN}, append(bits, Attribute{CKA_PUBLIC_EXPONENT, []byte{3}}), nil)
	mustRV(t, "exponent 3", rv, CKR_ATTRIBUTE_VALUE_INVALID)
	_, _, rv = m.GenerateKeyPair(h, Mechanism{Type: CKM_RSA_PKCS_KEY_PAIR_GEN}, bits, []Attribute{{CKA_LABEL, []byte("rsa")}})
	mustRV(t, "an existing name", rv, CKR_ATTRIBUTE_VALUE_INVALID)
}

// Threads at once, one session each (run under make race).
func TestServiceConcurrent(t *testing.T) {
	m, h := newTestModule(t)
	pub, priv := genEC(t, m, h, "shared")
	d := sha256.Sum256([]byte("m"))
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, rv := m.OpenSession(1, CKF_SERIAL_SESSION)
			if rv != CKR_OK {
				errs <- "OpenSession"
				return
			}
			defer m.CloseSession(s)
			for range 5 {
				if m.FindObjectsInit(s, []Attribute{{CKA_LABEL, []byte("shared")}}) != CKR_OK {
					errs <- "FindObjectsInit"
					return
				}
				found, _ := m.FindObjects(s, 4)
				m.FindObjectsFinal(s)
				if len(found) != 2 {
					errs <- "FindObjects"
					return
				}
				if m.SignInit(s, Mechanism{Type: CKM_ECDSA}, priv) != CKR_OK {
					errs <- "SignInit"
					return
				}
				sig, _, rv := m.Finish(s, 's', d[:], false, 64)
				if rv != CKR_OK || m.VerifyInit(s, Mechanism{Type: CKM_ECDSA}, pub) != CKR_OK || m.Verify(s, d[:], sig) != CKR_OK {
					errs <- "sign/verify"
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
