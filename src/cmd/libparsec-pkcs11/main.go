// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Command libparsec-pkcs11 is built with -buildmode=c-shared into
// libparsec-pkcs11.so, the PKCS#11 v2.40 module backed by parsecd
// (docs/pkcs11-module.md). shim.c holds the function list and the C-side
// checks; the functions here turn C arguments into Go values for
// src/pkcs11module and write its answers back.
package main

/*
#include <stdlib.h>
#include "pk11.h"
*/
import "C"

import (
	"math"
	"sync/atomic"
	"unicode/utf8"
	"unsafe"

	"github.com/parsecd/parsecd/src/client"
	p11 "github.com/parsecd/parsecd/src/pkcs11module"
)

func main() {}

// mod is the module between C_Initialize and C_Finalize; shim.c calls no
// function but goInitialize while it is nil.
var mod atomic.Pointer[p11.Module]

func rv(r p11.RV) C.CK_RV { return C.CK_RV(r) }

// module returns the live module (nil only if shim.c's check were bypassed).
func module() (*p11.Module, C.CK_RV) {
	m := mod.Load()
	if m == nil {
		return nil, rv(p11.CKR_CRYPTOKI_NOT_INITIALIZED)
	}
	return m, rv(p11.CKR_OK)
}

//export goInitialize
func goInitialize() C.CK_RV {
	// The process's environment as it is now: this library's Go runtime
	// copied the environment when it was loaded, and a program may set
	// PARSEC_SERVICE_ENDPOINT between loading the module and C_Initialize.
	endpoint := ""
	name := C.CString(client.EndpointEnv)
	defer C.free(unsafe.Pointer(name))
	if v := C.getenv(name); v != nil {
		endpoint = C.GoString(v)
	}
	m, r := p11.New(endpoint)
	if r == p11.CKR_OK {
		mod.Store(m)
	}
	return rv(r)
}

//export goFinalize
func goFinalize() { mod.Store(nil) }

// pad fills a blank-padded PKCS#11 text field, cut at a rune boundary.
func pad(dst *C.CK_UTF8CHAR, n int, s string) {
	b := unsafe.Slice((*byte)(unsafe.Pointer(dst)), n)
	for len(s) > n {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	copy(b, s)
	for i := len(s); i < n; i++ {
		b[i] = ' '
	}
}

// maxLen bounds the lengths taken from callers: a CK_ULONG above it
// would wrap to a negative int (and no real buffer is that long).
const maxLen = math.MaxInt32

// capLen is a caller's output capacity or count as an int.
func capLen(n C.CK_ULONG) int {
	if n > maxLen {
		return maxLen
	}
	return int(n)
}

func bytesOf(p C.CK_BYTE_PTR, n C.CK_ULONG) ([]byte, bool) {
	if p == nil || n > maxLen {
		return nil, n == 0
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n)), true
}

//export goC_GetInfo
func goC_GetInfo(p *C.CK_INFO) C.CK_RV {
	if p == nil {
		return rv(p11.CKR_ARGUMENTS_BAD)
	}
	info := p11.LibraryInfo()
	*p = C.CK_INFO{}
	p.cryptokiVersion = C.CK_VERSION{major: 2, minor: 40}
	pad(&p.manufacturerID[0], 32, info.Manufacturer)
	pad(&p.libraryDescription[0], 32, info.Description)
	p.libraryVersion = C.CK_VERSION{major: C.CK_BYTE(info.Major), minor: C.CK_BYTE(info.Minor)}
	return rv(p11.CKR_OK)
}

// ulongList answers the two-call list pattern (C_GetSlotList,
// C_GetMechanismList): a NULL list asks for the count.
func ulongList(items []uint, list *C.CK_ULONG, count *C.CK_ULONG) C.CK_RV {
	if count == nil {
		return rv(p11.CKR_ARGUMENTS_BAD)
	}
	if list == nil {
		*count = C.CK_ULONG(len(items))
		return rv(p11.CKR_OK)
	}
	if capLen(*count) < len(items) {
		*count = C.CK_ULONG(len(items))
		return rv(p11.CKR_BUFFER_TOO_SMALL)
	}
	out := unsafe.Slice(list, len(items))
	for i, v := range items {
		out[i] = C.CK_ULONG(v)
	}
	*count = C.CK_ULONG(len(items))
	return rv(p11.CKR_OK)
}

//export goC_GetSlotList
func goC_GetSlotList(_ C.CK_BBOOL, list C.CK_SLOT_ID_PTR, count C.CK_ULONG_PTR) C.CK_RV {
	m, r := module()
	if m == nil {
		return r
	}
	// Every slot has its token: tokenPresent changes nothing.
	return ulongList(m.SlotList(), list, count)
}

//export goC_GetSlotInfo
func goC_GetSlotInfo(slot C.CK_SLOT_ID, p *C.CK_SLOT_INFO) C.CK_RV {
	m, r := module()
	if m == nil {
		return r
	}
	if p == nil {
		return rv(p11.CKR_ARGUMENTS_BAD)
	}
	si, res := m.GetSlotInfo(uint(slot))
	if res != p11.CKR_OK {
		return rv(res)
	}
	*p = C.CK_SLOT_INFO{}
	pad(&p.slotDescription[0], 64, si.Description)
	pad(&p.manufacturerID[0], 32, si.Manufacturer)
	p.flags = p11.CKF_TOKEN_PRESENT
	p.firmwareVersion = C.CK_VERSION{major: C.CK_BYTE(si.FwMajor), minor: C.CK_BYTE(si.FwMinor)}
	return rv(p11.CKR_OK)
}

//export goC_GetTokenInfo
func goC_GetTokenInfo(slot C.CK_SLOT_ID, p *C.CK_TOKEN_INFO) C.CK_RV {
	m, r := module()
	if m == nil {
		return r
	}
	if p == nil {
		return rv(p11.CKR_ARGUMENTS_BAD)
	}
	ti, res := m.GetTokenInfo(uint(slot))
	if res != p11.CKR_OK {
		return rv(res)
	}
	unavailable := C.CK_ULONG(p11.CK_UNAVAILABLE_INFORMATION)
	*p = C.CK_TOKEN_INFO{}
	pad(&p.label[0], 32, ti.Label)
	pad(&p.manufacturerID[0], 32, ti.Manufacturer)
	pad(&p.model[0], 16, ti.Model)
	pad(&p.serialNumber[0], 16, ti.Serial)
	p.flags = C.CK_FLAGS(ti.Flags)
	p.ulMaxSessionCount, p.ulMaxRwSessionCount = 0, 0 // CK_EFFECTIVELY_INFINITE
	p.ulSessionCount, p.ulRwSessionCount = C.CK_ULONG(ti.Sessions), C.CK_ULONG(ti.RwSessions)
	p.ulMaxPinLen, p.ulMinPinLen = 0, 0
	p.ulTotalPublicMemory, p.ulFreePublicMemory = unavailable, unavailable
	p.ulTotalPrivateMemory, p.ulFreePrivateMemory = unavailable, unavailable
	p.firmwareVersion = C.CK_VERSION{major: C.CK_BYTE(ti.FwMajor), minor: C.CK_BYTE(ti.FwMinor)}
	pad(&p.utcTime[0], 16, "")
	return rv(p11.CKR_OK)
}

//export goC_GetMechanismList
func goC_GetMechanismList(slot C.CK_SLOT_ID, list C.CK_MECHANISM_TYPE_PTR, count C.CK_ULONG_PTR) C.CK_RV {
	m, r := module()
	if m == nil {
		return r
	}
	mechs, res := m.Mechanisms(uint(slot))
	if res != p11.CKR_OK {
		return rv(res)
	}
	return ulongList(mechs, list, count)
}

//export goC_GetMechanismInfo
func goC_GetMechanismInfo(slot C.CK_SLOT_ID, typ C.CK_MECHANISM_TYPE, p *C.CK_MECHANISM_INFO) C.CK_RV {
	m, r := module()
	if m == nil {
		return r
	}
	if p == nil {
		return rv(p11.CKR_ARGUMENTS_BAD)
	}
	lo, hi, flags, res := m.MechanismInfo(uint(slot), uint(typ))
	if res == p11.CKR_OK {
		*p = C.CK_MECHANISM_INFO{ulMinKeySize: C.CK_ULONG(lo), ulMaxKeySize: C.CK_ULONG(hi), flags: C.CK_FLAGS(flags)}
	}
	return rv(res)
}

//export goC_OpenSession
func goC_OpenSession(slot C.CK_SLOT_ID, flags C.CK_FLAGS, ph C.CK_SESSION_HANDLE_PTR) C.CK_RV {
	m, r := module()
	if m == nil {
		return r
	}
	if ph == nil {
		return rv(p11.CKR_ARGUMENTS_BAD)
	}
	h, res := m.OpenSession(uint(slot), uint(flags))
	if res == p11.CKR_OK {
		*ph = C.CK_SESSION_HANDLE(h)
	}
	return rv(res)
}

//export goC_CloseSession
func goC_CloseSession(h C.CK_SESSION_HANDLE) C.CK_RV {
	m, r := module()
	if m == nil {
		return r
	}
	return rv(m.CloseSession(uint(h)))
}

//export goC_CloseAllSessions
func goC_CloseAllSessions(slot C.CK_SLOT_ID) C.CK_RV {
	m, r := module()
	if m == nil {
		return r
	}
	return rv(m.CloseAllSessions(uint(slot)))
}

//export goC_GetSessionInfo
func goC_GetSessionInfo(h C.CK_SESSION_HANDLE, p *C.CK_SESSION_INFO) C.CK_RV {
	m, r := module()
	if m == nil {
		return r
	}
	if p == nil {
		return rv(p11.CKR_ARGUMENTS_BAD)
	}
	slot, state, flags, res := m.SessionInfo(uint(h))
	if res == p11.CKR_OK {
		*p = C.CK_SESSION_INFO{slotID: C.CK_SLOT_ID(slot), state: C.CK_ULONG(state), flags: C.CK_FLAGS(flags)}
	}
	return rv(res)
}

//export goC_Login
func goC_Login(h C.CK_SESSION_HANDLE, user C.CK_USER_TYPE) C.CK_RV {
	m, r := module()
	if m == nil {
		return r
	}
	return rv(m.Login(uint(h), uint(user)))
}

//export goC_Logout
func goC_Logout(h C.CK_SESSION_HANDLE) C.CK_RV {
	m, r := module()
	if m == nil {
		return r
	}
	return rv(m.Logout(uint(h)))
}

//export goC_DestroyObject
func goC_DestroyObject(h C.CK_SESSION_HANDLE, obj C.CK_OBJECT_HANDLE) C.CK_RV {
	m, r := module()
	if m == nil {
		return r
	}
	return rv(m.DestroyObject(uint(h), uint(obj)))
}

// readTemplate copies a CK_ATTRIBUTE array in.
func readTemplate(t C.CK_ATTRIBUTE_PTR, n C.CK_ULONG) ([]p11.Attribute, bool) {
	if t == nil {
		return nil, n == 0
	}
	var out []p11.Attribute
	if n > maxLen {
		return nil, false
	}
	for _, a := range unsafe.Slice(t, int(n)) {
		if (a.pValue == nil && a.ulValueLen != 0) || a.ulValueLen > maxLen {
			return nil, false
		}
		out = append(out, p11.Attribute{Type: uint(a._type), Value: C.GoBytes(unsafe.Pointer(a.pValue), C.int(a.ulValueLen))})
	}
	return out, true
}

//export goC_GetAttributeValue
func goC_GetAttributeValue(h C.CK_SESSION_HANDLE, obj C.CK_OBJECT_HANDLE, t C.CK_ATTRIBUTE_PTR, n C.CK_ULONG) C.CK_RV {
	m, r := module()
	if m == nil {
		return r
	}
	if t == nil && n != 0 {
		return rv(p11.CKR_ARGUMENTS_BAD)
	}
	if res := m.ObjectValid(uint(h), uint(obj)); res != p11.CKR_OK {
		return rv(res)
	}
	result := p11.CKR_OK
	if n > maxLen {
		return rv(p11.CKR_ARGUMENTS_BAD)
	}
	attrs := unsafe.Slice(t, int(n))
	for i := range attrs {
		a := &attrs[i]
		v, res := m.Attribute(uint(h), uint(obj), uint(a._type))
		switch {
		case res == p11.CKR_ATTRIBUTE_SENSITIVE || res == p11.CKR_ATTRIBUTE_TYPE_INVALID:
			a.ulValueLen, result = C.CK_ULONG(p11.CK_UNAVAILABLE_INFORMATION), res
		case res != p11.CKR_OK:
			return rv(res)
		case a.pValue == nil:
			a.ulValueLen = C.CK_ULONG(len(v))
		case capLen(a.ulValueLen) < len(v):
			a.ulValueLen, result = C.CK_ULONG(p11.CK_UNAVAILABLE_INFORMATION), p11.CKR_BUFFER_TOO_SMALL
		default:
			copy(unsafe.Slice((*byte)(a.pValue), len(v)), v)
			a.ulValueLen = C.CK_ULONG(len(v))
		}
	}
	return rv(result)
}

//export goC_FindObjectsInit
func goC_FindObjectsInit(h C.CK_SESSION_HANDLE, t C.CK_ATTRIBUTE_PTR, n C.CK_ULONG) C.CK_RV {
	m, r := module()
	if m == nil {
		return r
	}
	tmpl, ok := readTemplate(t, n)
	if !ok {
		return rv(p11.CKR_ARGUMENTS_BAD)
	}
	return rv(m.FindObjectsInit(uint(h), tmpl))
}

//export goC_FindObjects
func goC_FindObjects(h C.CK_SESSION_HANDLE, out C.CK_OBJECT_HANDLE_PTR, max C.CK_ULONG, count C.CK_ULONG_PTR) C.CK_RV {
	m, r := module()
	if m == nil {
		return r
	}
	if count == nil || (out == nil && max != 0) {
		return rv(p11.CKR_ARGUMENTS_BAD)
	}
	found, res := m.FindObjects(uint(h), capLen(max))
	if res != p11.CKR_OK {
		return rv(res)
	}
	if len(found) > 0 {
		dst := unsafe.Slice(out, len(found))
		for i, f := range found {
			dst[i] = C.CK_OBJECT_HANDLE(f)
		}
	}
	*count = C.CK_ULONG(len(found))
	return rv(p11.CKR_OK)
}

//export goC_FindObjectsFinal
func goC_FindObjectsFinal(h C.CK_SESSION_HANDLE) C.CK_RV {
	m, r := module()
	if m == nil {
		return r
	}
	return rv(m.FindObjectsFinal(uint(h)))
}

// readMechanism copies a CK_MECHANISM and the PSS/OAEP parameters in.
func readMechanism(p C.CK_MECHANISM_PTR) (p11.Mechanism, bool) {
	if p == nil {
		return p11.Mechanism{}, false
	}
	mech := p11.Mechanism{Type: uint(p.mechanism)}
	if p.pParameter == nil || p.ulParameterLen == 0 {
		return mech, true
	}
	switch {
	case p.ulParameterLen == C.sizeof_CK_RSA_PKCS_PSS_PARAMS && mech.Type != p11.CKM_RSA_PKCS_OAEP:
		pp := (*C.CK_RSA_PKCS_PSS_PARAMS)(p.pParameter)
		mech.PSS = &p11.PSSParams{Hash: uint(pp.hashAlg), MGF: uint(pp.mgf), SaltLen: uint(pp.sLen)}
	case p.ulParameterLen == C.sizeof_CK_RSA_PKCS_OAEP_PARAMS && mech.Type == p11.CKM_RSA_PKCS_OAEP:
		op := (*C.CK_RSA_PKCS_OAEP_PARAMS)(p.pParameter)
		if (op.pSourceData == nil && op.ulSourceDataLen != 0) || op.ulSourceDataLen > maxLen {
			mech.BadParam = true
			break
		}
		mech.OAEP = &p11.OAEPParams{Hash: uint(op.hashAlg), MGF: uint(op.mgf), Source: uint(op.source),
			Label: C.GoBytes(unsafe.Pointer(op.pSourceData), C.int(op.ulSourceDataLen))}
	default:
		mech.BadParam = true
	}
	return mech, true
}

type initFn func(m *p11.Module, h uint, mech p11.Mechanism, key uint) p11.RV

func initOp(f initFn, h C.CK_SESSION_HANDLE, p C.CK_MECHANISM_PTR, key C.CK_OBJECT_HANDLE) C.CK_RV {
	m, r := module()
	if m == nil {
		return r
	}
	mech, ok := readMechanism(p)
	if !ok {
		return rv(p11.CKR_ARGUMENTS_BAD)
	}
	return rv(f(m, uint(h), mech, uint(key)))
}

//export goC_SignInit
func goC_SignInit(h C.CK_SESSION_HANDLE, p C.CK_MECHANISM_PTR, key C.CK_OBJECT_HANDLE) C.CK_RV {
	return initOp((*p11.Module).SignInit, h, p, key)
}

//export goC_VerifyInit
func goC_VerifyInit(h C.CK_SESSION_HANDLE, p C.CK_MECHANISM_PTR, key C.CK_OBJECT_HANDLE) C.CK_RV {
	return initOp((*p11.Module).VerifyInit, h, p, key)
}

//export goC_DecryptInit
func goC_DecryptInit(h C.CK_SESSION_HANDLE, p C.CK_MECHANISM_PTR, key C.CK_OBJECT_HANDLE) C.CK_RV {
	return initOp((*p11.Module).DecryptInit, h, p, key)
}

//export goC_DigestInit
func goC_DigestInit(h C.CK_SESSION_HANDLE, p C.CK_MECHANISM_PTR) C.CK_RV {
	return initOp(func(m *p11.Module, h uint, mech p11.Mechanism, _ uint) p11.RV { return m.DigestInit(h, mech) }, h, p, 0)
}

// finish is the output half of C_Sign, C_SignFinal, C_Digest,
// C_DigestFinal and C_Decrypt (the length query and the short buffer).
func finish(kind byte, h C.CK_SESSION_HANDLE, in C.CK_BYTE_PTR, n C.CK_ULONG, out C.CK_BYTE_PTR, outLen C.CK_ULONG_PTR) C.CK_RV {
	m, r := module()
	if m == nil {
		return r
	}
	data, ok := bytesOf(in, n)
	if !ok || outLen == nil {
		return rv(p11.CKR_ARGUMENTS_BAD)
	}
	res, size, code := m.Finish(uint(h), kind, data, out == nil, capLen(*outLen))
	if code == p11.CKR_OK && out != nil {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(out)), len(res)), res)
	}
	if code == p11.CKR_OK || code == p11.CKR_BUFFER_TOO_SMALL {
		*outLen = C.CK_ULONG(size)
	}
	return rv(code)
}

func update(kind byte, h C.CK_SESSION_HANDLE, in C.CK_BYTE_PTR, n C.CK_ULONG) C.CK_RV {
	m, r := module()
	if m == nil {
		return r
	}
	data, ok := bytesOf(in, n)
	if !ok {
		return rv(p11.CKR_ARGUMENTS_BAD)
	}
	return rv(m.Update(uint(h), kind, data))
}

//export goC_Sign
func goC_Sign(h C.CK_SESSION_HANDLE, in C.CK_BYTE_PTR, n C.CK_ULONG, out C.CK_BYTE_PTR, outLen C.CK_ULONG_PTR) C.CK_RV {
	return finish('s', h, in, n, out, outLen)
}

//export goC_SignUpdate
func goC_SignUpdate(h C.CK_SESSION_HANDLE, in C.CK_BYTE_PTR, n C.CK_ULONG) C.CK_RV {
	return update('s', h, in, n)
}

//export goC_SignFinal
func goC_SignFinal(h C.CK_SESSION_HANDLE, out C.CK_BYTE_PTR, outLen C.CK_ULONG_PTR) C.CK_RV {
	return finish('s', h, nil, 0, out, outLen)
}

//export goC_Digest
func goC_Digest(h C.CK_SESSION_HANDLE, in C.CK_BYTE_PTR, n C.CK_ULONG, out C.CK_BYTE_PTR, outLen C.CK_ULONG_PTR) C.CK_RV {
	return finish('d', h, in, n, out, outLen)
}

//export goC_DigestUpdate
func goC_DigestUpdate(h C.CK_SESSION_HANDLE, in C.CK_BYTE_PTR, n C.CK_ULONG) C.CK_RV {
	return update('d', h, in, n)
}

//export goC_DigestFinal
func goC_DigestFinal(h C.CK_SESSION_HANDLE, out C.CK_BYTE_PTR, outLen C.CK_ULONG_PTR) C.CK_RV {
	return finish('d', h, nil, 0, out, outLen)
}

//export goC_Decrypt
func goC_Decrypt(h C.CK_SESSION_HANDLE, in C.CK_BYTE_PTR, n C.CK_ULONG, out C.CK_BYTE_PTR, outLen C.CK_ULONG_PTR) C.CK_RV {
	return finish('x', h, in, n, out, outLen)
}

//export goC_Verify
func goC_Verify(h C.CK_SESSION_HANDLE, in C.CK_BYTE_PTR, n C.CK_ULONG, sig C.CK_BYTE_PTR, sn C.CK_ULONG) C.CK_RV {
	m, r := module()
	if m == nil {
		return r
	}
	data, ok1 := bytesOf(in, n)
	s, ok2 := bytesOf(sig, sn)
	if !ok1 || !ok2 {
		return rv(p11.CKR_ARGUMENTS_BAD)
	}
	return rv(m.Verify(uint(h), data, s))
}

//export goC_VerifyUpdate
func goC_VerifyUpdate(h C.CK_SESSION_HANDLE, in C.CK_BYTE_PTR, n C.CK_ULONG) C.CK_RV {
	return update('v', h, in, n)
}

//export goC_VerifyFinal
func goC_VerifyFinal(h C.CK_SESSION_HANDLE, sig C.CK_BYTE_PTR, sn C.CK_ULONG) C.CK_RV {
	return goC_Verify(h, nil, 0, sig, sn)
}

//export goC_GenerateKeyPair
func goC_GenerateKeyPair(h C.CK_SESSION_HANDLE, p C.CK_MECHANISM_PTR, pt C.CK_ATTRIBUTE_PTR, pn C.CK_ULONG,
	st C.CK_ATTRIBUTE_PTR, sn C.CK_ULONG, ph, sh C.CK_OBJECT_HANDLE_PTR) C.CK_RV {
	m, r := module()
	if m == nil {
		return r
	}
	mech, ok := readMechanism(p)
	pub, ok1 := readTemplate(pt, pn)
	priv, ok2 := readTemplate(st, sn)
	if !ok || !ok1 || !ok2 || ph == nil || sh == nil {
		return rv(p11.CKR_ARGUMENTS_BAD)
	}
	pubH, privH, res := m.GenerateKeyPair(uint(h), mech, pub, priv)
	if res == p11.CKR_OK {
		*ph, *sh = C.CK_OBJECT_HANDLE(pubH), C.CK_OBJECT_HANDLE(privH)
	}
	return rv(res)
}

//export goC_GenerateRandom
func goC_GenerateRandom(h C.CK_SESSION_HANDLE, out C.CK_BYTE_PTR, n C.CK_ULONG) C.CK_RV {
	m, r := module()
	if m == nil {
		return r
	}
	if (out == nil && n != 0) || n > maxLen {
		return rv(p11.CKR_ARGUMENTS_BAD)
	}
	b, res := m.GenerateRandom(uint(h), int(n))
	if res == p11.CKR_OK {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(out)), int(n)), b)
	}
	return rv(res)
}
