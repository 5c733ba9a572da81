// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package pkcs11module

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"hash"
	"math/big"

	"github.com/parsecd/parsecd/src/client"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/psa"
)

// op is an operation begun by C_*Init: the mechanism, the key, and the
// input so far (hashed as it comes for the hashing mechanisms).
type op struct {
	mech   Mechanism
	mi     mechInfo
	k      *key
	h      hash.Hash // mi.hash != 0
	data   []byte    // otherwise
	result []byte    // a decryption kept for a retry with a bigger buffer
}

func (o *op) update(part []byte) {
	if o.h != nil {
		o.h.Write(part)
		return
	}
	o.data = append(o.data, part...)
}

// input is the digest of a hashing mechanism, the raw input otherwise.
func (o *op) input() []byte {
	if o.h != nil {
		return o.h.Sum(nil)
	}
	return o.data
}

func newOp(mech Mechanism, mi mechInfo, k *key) *op {
	o := &op{mech: mech, mi: mi, k: k}
	if mi.hash != 0 {
		o.h = mi.hash.New()
	}
	return o
}

// pssHash checks the PSS parameters (present, MGF1 of the same hash, the
// salt as long as the hash: what PSA's RSA-PSS produces) and returns the hash.
func pssHash(mech Mechanism, mi mechInfo) (crypto.Hash, RV) {
	p := mech.PSS
	if p == nil || mech.BadParam {
		return 0, CKR_MECHANISM_PARAM_INVALID
	}
	h, ok := digestMechHash[p.Hash]
	if !ok || mgfHash[p.MGF] != h || (mi.hash != 0 && mi.hash != h) || p.SaltLen != uint(h.Size()) {
		return 0, CKR_MECHANISM_PARAM_INVALID
	}
	return h, CKR_OK
}

// keyFor finds the key of a C_*Init: private only when needPriv.
func (m *Module) keyFor(s *session, hKey uint, needPriv bool) (*key, RV) {
	o, ok := m.object(s.slot, hKey)
	if !ok || (needPriv && o.class != CKO_PRIVATE_KEY) {
		return nil, CKR_KEY_HANDLE_INVALID
	}
	return o.k, CKR_OK
}

// checkSignMech is the common part of C_SignInit and C_VerifyInit.
func checkSignMech(mech Mechanism, k *key) (mechInfo, RV) {
	mi, ok := mechTable[mech.Type]
	if !ok || (mi.fam != famECDSA && mi.fam != famPKCS1 && mi.fam != famPSS) {
		return mi, CKR_MECHANISM_INVALID
	}
	_, isRSA := k.pub.(*rsa.PublicKey)
	if (mi.fam == famECDSA) == isRSA {
		return mi, CKR_KEY_TYPE_INCONSISTENT
	}
	if mi.fam == famPSS {
		if _, rv := pssHash(mech, mi); rv != CKR_OK {
			return mi, rv
		}
	}
	return mi, CKR_OK
}

// begin installs an operation in one of the session's slots.
func (m *Module) begin(h uint, slot func(*session) **op, mk func(*session) (*op, RV)) RV {
	s, rv := m.session(h)
	if rv != CKR_OK {
		return rv
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if *slot(s) != nil {
		return CKR_OPERATION_ACTIVE
	}
	o, rv := mk(s)
	if rv != CKR_OK {
		return rv
	}
	*slot(s) = o
	return CKR_OK
}

func signSlot(s *session) **op    { return &s.sign }
func verifySlot(s *session) **op  { return &s.verify }
func decryptSlot(s *session) **op { return &s.decrypt }
func digestSlot(s *session) **op  { return &s.digest }

// SignInit is C_SignInit.
func (m *Module) SignInit(h uint, mech Mechanism, hKey uint) RV {
	return m.signInit(h, signSlot, mech, hKey, true)
}

// VerifyInit is C_VerifyInit; either object of a signing key verifies.
func (m *Module) VerifyInit(h uint, mech Mechanism, hKey uint) RV {
	return m.signInit(h, verifySlot, mech, hKey, false)
}

// signInit begins a signature (private key, parsecd policy permitting) or
// a verification (either object).
func (m *Module) signInit(h uint, slot func(*session) **op, mech Mechanism, hKey uint, signing bool) RV {
	return m.begin(h, slot, func(s *session) (*op, RV) {
		k, rv := m.keyFor(s, hKey, signing)
		if rv != CKR_OK {
			return nil, rv
		}
		mi, rv := checkSignMech(mech, k)
		if rv != CKR_OK {
			return nil, rv
		}
		if signing && !k.canSign() {
			return nil, CKR_KEY_FUNCTION_NOT_PERMITTED
		}
		return newOp(mech, mi, k), CKR_OK
	})
}

// DecryptInit is C_DecryptInit.
func (m *Module) DecryptInit(h uint, mech Mechanism, hKey uint) RV {
	return m.begin(h, decryptSlot, func(s *session) (*op, RV) {
		k, rv := m.keyFor(s, hKey, true)
		if rv != CKR_OK {
			return nil, rv
		}
		mi, ok := mechTable[mech.Type]
		if !ok || (mech.Type != CKM_RSA_PKCS && mech.Type != CKM_RSA_PKCS_OAEP) {
			return nil, CKR_MECHANISM_INVALID
		}
		if _, isRSA := k.pub.(*rsa.PublicKey); !isRSA {
			return nil, CKR_KEY_TYPE_INCONSISTENT
		}
		if mech.Type == CKM_RSA_PKCS_OAEP {
			p := mech.OAEP
			if p == nil || mech.BadParam {
				return nil, CKR_MECHANISM_PARAM_INVALID
			}
			hh, ok := digestMechHash[p.Hash]
			if !ok || mgfHash[p.MGF] != hh || (p.Source != CKZ_DATA_SPECIFIED && (p.Source != 0 || len(p.Label) != 0)) {
				return nil, CKR_MECHANISM_PARAM_INVALID
			}
		}
		if !k.canDecrypt() {
			return nil, CKR_KEY_FUNCTION_NOT_PERMITTED
		}
		return newOp(mech, mi, k), CKR_OK
	})
}

// DigestInit is C_DigestInit.
func (m *Module) DigestInit(h uint, mech Mechanism) RV {
	return m.begin(h, digestSlot, func(*session) (*op, RV) {
		mi, ok := mechTable[mech.Type]
		if !ok || mi.fam != famDigest {
			return nil, CKR_MECHANISM_INVALID
		}
		return newOp(mech, mi, nil), CKR_OK
	})
}

// Update feeds C_SignUpdate, C_VerifyUpdate or C_DigestUpdate (kind 's',
// 'v', 'd'); an error ends the operation.
func (m *Module) Update(h uint, kind byte, part []byte) RV {
	s, rv := m.session(h)
	if rv != CKR_OK {
		return rv
	}
	slot := slotOf(kind)
	s.mu.Lock()
	defer s.mu.Unlock()
	o := *slot(s)
	if o == nil {
		return CKR_OPERATION_NOT_INITIALIZED
	}
	o.update(part)
	return CKR_OK
}

func slotOf(kind byte) func(*session) **op {
	switch kind {
	case 's':
		return signSlot
	case 'v':
		return verifySlot
	case 'd':
		return digestSlot
	}
	return decryptSlot
}

// Finish completes C_Sign/C_SignFinal ('s'), C_Digest/C_DigestFinal ('d')
// or C_Decrypt ('x') with the last input. query (a NULL output buffer)
// and an output buffer smaller than needed return the length and keep
// the operation; anything else ends it.
func (m *Module) Finish(h uint, kind byte, last []byte, query bool, capacity int) ([]byte, int, RV) {
	s, rv := m.session(h)
	if rv != CKR_OK {
		return nil, 0, rv
	}
	slot := slotOf(kind)
	s.mu.Lock()
	defer s.mu.Unlock()
	o := *slot(s)
	if o == nil {
		return nil, 0, CKR_OPERATION_NOT_INITIALIZED
	}
	var need int
	switch kind {
	case 's':
		need = o.k.sigLen()
	case 'd':
		need = o.mi.hash.Size()
	default:
		need = o.k.sigLen() // the modulus: a bound on the plaintext
		if o.result != nil {
			need = len(o.result)
		}
	}
	if query {
		return nil, need, CKR_OK
	}
	if capacity < need && kind != 'x' {
		return nil, need, CKR_BUFFER_TOO_SMALL
	}
	var out []byte
	if o.result != nil {
		out = o.result
	} else {
		o.update(last)
		switch kind {
		case 's':
			out, rv = m.sign(o)
		case 'd':
			out, rv = o.input(), CKR_OK
		default:
			out, rv = m.decrypt(o)
		}
	}
	if rv == CKR_OK && capacity < len(out) {
		o.result = out
		return nil, len(out), CKR_BUFFER_TOO_SMALL
	}
	*slot(s) = nil
	return out, len(out), rv
}

// Verify completes C_Verify/C_VerifyFinal: the check runs here on the
// public key (no round trip; any signing key can be checked, whatever
// its parsecd usage flags).
func (m *Module) Verify(h uint, last, sig []byte) RV {
	s, rv := m.session(h)
	if rv != CKR_OK {
		return rv
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.verify
	if o == nil {
		return CKR_OPERATION_NOT_INITIALIZED
	}
	s.verify = nil
	o.update(last)
	in := o.input()
	if len(sig) != o.k.sigLen() {
		return CKR_SIGNATURE_LEN_RANGE
	}
	ok := false
	switch pub := o.k.pub.(type) {
	case *ecdsa.PublicKey:
		n := len(sig) / 2
		ok = ecdsa.Verify(pub, in, new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:]))
	case *rsa.PublicKey:
		switch o.mi.fam {
		case famPKCS1:
			ok = rsa.VerifyPKCS1v15(pub, o.mi.hash, in, sig) == nil
		case famPSS:
			hh, _ := pssHash(o.mech, o.mi)
			ok = rsa.VerifyPSS(pub, hh, in, sig, &rsa.PSSOptions{SaltLength: int(o.mech.PSS.SaltLen), Hash: hh}) == nil
		}
	}
	if !ok {
		return CKR_SIGNATURE_INVALID
	}
	return CKR_OK
}

func (m *Module) keyClient(k *key) *client.Client {
	return m.c.UsingProvider(parsec.ProviderID(k.slot))
}

// sign turns the PKCS#11 mechanism into the PSA algorithm the key's
// policy permits and has parsecd sign (PsaSignHash).
func (m *Module) sign(o *op) ([]byte, RV) {
	in := o.input()
	pol := o.k.attrs.Policy.Alg.Sign
	var alg psa.AsymSign
	switch o.mi.fam {
	case famECDSA:
		switch {
		case pol.Kind == psa.SignEcdsaAny:
			alg = psa.AsymSign{Kind: psa.SignEcdsaAny}
		default:
			hh := psaHash(o.mi.hash)
			if o.mi.hash == 0 {
				// CKM_ECDSA: the input is a digest; its length names the hash.
				hh = hashOfDigestLen(len(in), pol.Hash)
			}
			if hh == psa.HashNone {
				return nil, CKR_DATA_LEN_RANGE
			}
			alg = psa.AsymSign{Kind: pol.Kind, Hash: hh}
		}
	case famPKCS1:
		hh, digest, isDI := o.mi.hash, in, o.mi.hash != 0
		if !isDI {
			hh, digest, isDI = parseDigestInfo(in)
		}
		switch {
		case pol.Kind == psa.SignRsaPkcs1v15Raw && o.mi.hash != 0:
			di, err := encodeDigestInfo(hh, digest)
			if err != nil {
				return nil, CKR_GENERAL_ERROR
			}
			alg, in = psa.AsymSign{Kind: psa.SignRsaPkcs1v15Raw}, di
		case pol.Kind == psa.SignRsaPkcs1v15Raw:
			alg = psa.AsymSign{Kind: psa.SignRsaPkcs1v15Raw}
		case !isDI:
			// Raw PKCS#1 v1.5 input (no DigestInfo) needs a raw policy.
			return nil, CKR_KEY_FUNCTION_NOT_PERMITTED
		default:
			alg, in = psa.AsymSign{Kind: psa.SignRsaPkcs1v15, Hash: psaHash(hh)}, digest
		}
	case famPSS:
		hh, _ := pssHash(o.mech, o.mi)
		if len(in) != hh.Size() {
			return nil, CKR_DATA_LEN_RANGE
		}
		alg = psa.AsymSign{Kind: psa.SignRsaPss, Hash: psaHash(hh)}
	}
	cx, cancel := ctx()
	defer cancel()
	sig, err := m.keyClient(o.k).SignHash(cx, o.k.name, alg, in)
	if err != nil {
		return nil, rvOf(err)
	}
	return sig, CKR_OK
}

// decrypt has parsecd decrypt (PsaAsymmetricDecrypt); the OAEP label
// travels as the salt.
func (m *Module) decrypt(o *op) ([]byte, RV) {
	ct := o.input()
	if len(ct) != o.k.sigLen() {
		return nil, CKR_ENCRYPTED_DATA_LEN_RANGE
	}
	alg := psa.AsymEncrypt{Kind: psa.EncRsaPkcs1v15}
	var label []byte
	if p := o.mech.OAEP; o.mech.Type == CKM_RSA_PKCS_OAEP {
		alg = psa.AsymEncrypt{Kind: psa.EncRsaOaep, Hash: psaHash(digestMechHash[p.Hash])}
		label = p.Label
	}
	cx, cancel := ctx()
	defer cancel()
	pt, err := m.keyClient(o.k).AsymmetricDecrypt(cx, o.k.name, alg, ct, label)
	if err != nil {
		return nil, rvOf(err)
	}
	return pt, CKR_OK
}

// GenerateRandom is C_GenerateRandom (PsaGenerateRandom of the slot's provider).
func (m *Module) GenerateRandom(h uint, n int) ([]byte, RV) {
	s, rv := m.session(h)
	if rv != CKR_OK {
		return nil, rv
	}
	cx, cancel := ctx()
	defer cancel()
	b, err := m.c.UsingProvider(parsec.ProviderID(s.slot)).GenerateRandom(cx, n)
	if err != nil {
		return nil, rvOf(err)
	}
	return b, CKR_OK
}

// DestroyObject is C_DestroyObject: either object of a pair destroys the
// parsecd key, so both handles go (parsecd keeps no half pairs).
func (m *Module) DestroyObject(h, obj uint) RV {
	s, rv := m.session(h)
	if rv != CKR_OK {
		return rv
	}
	if !s.rw {
		return CKR_SESSION_READ_ONLY
	}
	o, ok := m.object(s.slot, obj)
	if !ok {
		return CKR_OBJECT_HANDLE_INVALID
	}
	cx, cancel := ctx()
	defer cancel()
	if err := m.keyClient(o.k).DestroyKey(cx, o.k.name); err != nil {
		return rvOf(err)
	}
	m.mu.Lock()
	m.dropLocked(o.k)
	m.mu.Unlock()
	return CKR_OK
}
