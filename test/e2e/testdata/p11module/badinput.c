// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// p11module_test.go's bad-input check: calls a careless application makes
// (no C_Initialize, NULL pointers, huge counts, unknown handles, functions
// not served) each get their PKCS#11 return value, and the process lives.
// Prints one "what rv" line per call. Usage: badinput <module.so>.
#include <dlfcn.h>
#include <stdio.h>
#include "pk11.h"

static CK_FUNCTION_LIST *f;

static CK_RV create_mutex(CK_VOID_PTR *m) { (void)m; return 0; }
static CK_RV mutex_op(CK_VOID_PTR m) { (void)m; return 0; }

#define SHOW(what, call) printf("%s %lx\n", what, (unsigned long)(call))

int main(int argc, char **argv) {
	setvbuf(stdout, NULL, _IONBF, 0);
	void *l = dlopen(argv[1], RTLD_NOW);
	if (l == NULL || argc != 2)
		return 2;
	CK_RV (*gfl)(CK_FUNCTION_LIST **) = dlsym(l, "C_GetFunctionList");
	SHOW("GetFunctionList(NULL)", gfl(NULL));
	gfl(&f);
	CK_ULONG n = 0;
	SHOW("GetSlotList before init", f->C_GetSlotList(0, NULL, &n));
	CK_C_INITIALIZE_ARGS a = {0};
	a.pReserved = &a;
	SHOW("Initialize pReserved", f->C_Initialize(&a));
	a.pReserved = NULL;
	a.flags = 1; // CKF_LIBRARY_CANT_CREATE_OS_THREADS
	SHOW("Initialize no threads", f->C_Initialize(&a));
	a.flags = 0;
	a.CreateMutex = create_mutex;
	a.DestroyMutex = a.LockMutex = a.UnlockMutex = mutex_op;
	SHOW("Initialize own mutexes only", f->C_Initialize(&a));
	a.flags = 2; // CKF_OS_LOCKING_OK
	SHOW("Initialize", f->C_Initialize(&a));
	SHOW("Initialize again", f->C_Initialize(NULL));
	SHOW("GetInfo(NULL)", f->C_GetInfo(NULL));
	SHOW("GetSlotList(NULL count)", f->C_GetSlotList(0, NULL, NULL));
	CK_SLOT_ID slots[4];
	n = 0;
	SHOW("GetSlotList short", f->C_GetSlotList(0, slots, &n));
	n = 4;
	SHOW("GetSlotList", f->C_GetSlotList(0, slots, &n));
	CK_SLOT_INFO si;
	SHOW("GetSlotInfo 999", f->C_GetSlotInfo(999, &si));
	CK_SESSION_HANDLE s;
	SHOW("OpenSession not serial", f->C_OpenSession(slots[0], 0, NULL, NULL, &s));
	SHOW("OpenSession NULL handle", f->C_OpenSession(slots[0], 4, NULL, NULL, NULL));
	SHOW("OpenSession", f->C_OpenSession(slots[0], 4, NULL, NULL, &s));
	CK_OBJECT_HANDLE objs[256]; // room for every object: the huge count below is a claim of room
	SHOW("FindObjects not begun", f->C_FindObjects(s, objs, 2, &n));
	SHOW("FindObjectsInit NULL template", f->C_FindObjectsInit(s, NULL, 3));
	SHOW("FindObjectsInit", f->C_FindObjectsInit(s, NULL, 0));
	SHOW("FindObjects huge count", f->C_FindObjects(s, objs, (CK_ULONG)-1, &n));
	SHOW("FindObjectsFinal", f->C_FindObjectsFinal(s));
	CK_ATTRIBUTE t = {0, NULL, 0};
	SHOW("GetAttributeValue unknown object", f->C_GetAttributeValue(s, 12345, &t, 1));
	CK_MECHANISM m = {0x1041, NULL, 0};
	SHOW("SignInit NULL mechanism", f->C_SignInit(s, NULL, 1));
	SHOW("SignInit unknown key", f->C_SignInit(s, &m, 99999));
	unsigned char buf[8];
	CK_ULONG bl = sizeof buf;
	SHOW("Sign not begun", f->C_Sign(s, buf, sizeof buf, buf, &bl));
	SHOW("Sign NULL length", f->C_Sign(s, buf, sizeof buf, buf, NULL));
	SHOW("Encrypt", f->C_Encrypt(s, buf, sizeof buf, buf, &bl));
	SHOW("WaitForSlotEvent", f->C_WaitForSlotEvent(0, NULL, NULL));
	SHOW("SeedRandom", f->C_SeedRandom(s, buf, sizeof buf));
	SHOW("GenerateRandom NULL", f->C_GenerateRandom(s, NULL, 8));
	SHOW("Login SO", f->C_Login(s, 0, NULL, 0));
	SHOW("Login bad user type", f->C_Login(s, 7, NULL, 0));
	SHOW("CloseSession unknown", f->C_CloseSession(777));
	SHOW("CloseSession", f->C_CloseSession(s));
	SHOW("Finalize pReserved", f->C_Finalize(&a));
	SHOW("Finalize", f->C_Finalize(NULL));
	SHOW("Finalize again", f->C_Finalize(NULL));
	return 0;
}
