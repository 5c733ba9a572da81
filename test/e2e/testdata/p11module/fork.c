// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// p11module_test.go's fork check: the module works in the process that
// loaded it, a forked child sees CKR_CRYPTOKI_NOT_INITIALIZED and then a
// prompt CKR_GENERAL_ERROR from C_Initialize (never a hang), and the
// parent still works after the fork, and after C_Finalize and a new
// C_Initialize. Usage: fork <module.so>.
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "pk11.h"
static CK_FUNCTION_LIST *f;
static int sign_once(const char *who) {
	CK_SLOT_ID slots[8]; CK_ULONG n = 8;
	CK_RV rv = f->C_GetSlotList(0, slots, &n);
	if (rv) { printf("%s: GetSlotList %lx\n", who, rv); return 1; }
	CK_SESSION_HANDLE s; rv = f->C_OpenSession(slots[0], 4, NULL, NULL, &s);
	if (rv) { printf("%s: OpenSession %lx\n", who, rv); return 1; }
	// CKA_CLASS = CKO_PRIVATE_KEY, CKA_KEY_TYPE = CKK_EC
	CK_ULONG cls = 3, kt = 3;
	CK_ATTRIBUTE t[2] = {{0, &cls, sizeof cls}, {0x100, &kt, sizeof kt}};
	CK_OBJECT_HANDLE o; CK_ULONG cnt;
	f->C_FindObjectsInit(s, t, 2); f->C_FindObjects(s, &o, 1, &cnt); f->C_FindObjectsFinal(s);
	if (cnt != 1) { printf("%s: no key\n", who); return 1; }
	CK_MECHANISM m = {0x1041, NULL, 0}; // CKM_ECDSA over a SHA-256-sized digest
	unsigned char h[32] = {1}, sig[600]; CK_ULONG sl = sizeof sig;
	rv = f->C_SignInit(s, &m, o); if (!rv) rv = f->C_Sign(s, h, 32, sig, &sl);
	printf("%s: sign rv=%lx len=%lu\n", who, rv, sl);
	return rv != 0;
}
int main(int argc, char **argv) {
	setvbuf(stdout, NULL, _IONBF, 0);
	void *l = dlopen(argv[1], RTLD_NOW);
	CK_RV (*gfl)(CK_FUNCTION_LIST **) = dlsym(l, "C_GetFunctionList");
	gfl(&f);
	printf("init %lx\n", f->C_Initialize(NULL));
	sign_once("parent");
	pid_t p = fork();
	if (p == 0) {
		CK_ULONG n; printf("child before init: %lx\n", f->C_GetSlotList(0, NULL, &n));
		printf("child init %lx\n", f->C_Initialize(NULL));
		int r = sign_once("child");
		f->C_Finalize(NULL);
		_exit(r);
	}
	int st; waitpid(p, &st, 0);
	printf("child exit %d\n", WEXITSTATUS(st));
	sign_once("parent-after");
	// Finalize and initialize again in the same process (the library stays
	// mapped: a Go runtime cannot be unloaded).
	printf("finalize %lx\n", f->C_Finalize(NULL));
	printf("init again %lx\n", f->C_Initialize(NULL));
	sign_once("parent-again");
	return f->C_Finalize(NULL) != 0;
}
