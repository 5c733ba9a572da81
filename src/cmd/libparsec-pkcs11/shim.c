// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// The C face of libparsec-pkcs11.so: the CK_FUNCTION_LIST, argument checks
// of C_Initialize/C_Finalize, and the process check every call makes (a
// forked child sees CKR_CRYPTOKI_NOT_INITIALIZED until it calls
// C_Initialize itself, as PKCS#11 v2.40 section 6.7.7 asks). Served
// functions go on to the Go side (main.go); the rest answer
// CKR_FUNCTION_NOT_SUPPORTED here.
//
// The Go runtime starts when the library is loaded and does not survive
// fork(): its other threads and its poller belong to the parent, so Go
// code in a forked child can block for ever. C_Initialize in a child of
// the process that loaded the module therefore fails at once with
// CKR_GENERAL_ERROR (and a line on stderr) instead of hanging; a child
// that execs, or loads the module itself, is not affected.

#include <pthread.h>
#include <stddef.h>
#include <unistd.h>

#include "pk11.h"
#include "_cgo_export.h"

#define CKR_OK 0x0UL
#define CKR_GENERAL_ERROR 0x5UL
#define CKR_ARGUMENTS_BAD 0x7UL
#define CKR_NEED_TO_CREATE_THREADS 0x9UL
#define CKR_CANT_LOCK 0xAUL
#define CKR_FUNCTION_NOT_PARALLEL 0x51UL
#define CKR_FUNCTION_NOT_SUPPORTED 0x54UL
#define CKR_RANDOM_SEED_NOT_SUPPORTED 0x120UL
#define CKR_CRYPTOKI_NOT_INITIALIZED 0x190UL
#define CKR_CRYPTOKI_ALREADY_INITIALIZED 0x191UL
#define CKF_LIBRARY_CANT_CREATE_OS_THREADS 0x1UL
#define CKF_OS_LOCKING_OK 0x2UL

// The process that called C_Initialize; 0 before it and after C_Finalize.
static pid_t init_pid;
static pthread_mutex_t init_mu = PTHREAD_MUTEX_INITIALIZER;
// The process that loaded the library (and so runs its Go runtime).
static pid_t load_pid;

__attribute__((constructor)) static void record_load_pid(void) { load_pid = getpid(); }

static const char forked_msg[] = "libparsec-pkcs11: C_Initialize in a process forked after the module was "
	"loaded: the module's Go runtime does not survive fork(); load the module after fork, or exec\n";

static int live(void) {
	pid_t p = __atomic_load_n(&init_pid, __ATOMIC_ACQUIRE);
	return p != 0 && p == getpid();
}

#define LIVE do { if (!live()) return CKR_CRYPTOKI_NOT_INITIALIZED; } while (0)

CK_RV C_Initialize(CK_VOID_PTR pInitArgs) {
	if (pInitArgs != NULL) {
		CK_C_INITIALIZE_ARGS *a = pInitArgs;
		int some = a->CreateMutex || a->DestroyMutex || a->LockMutex || a->UnlockMutex;
		int all = a->CreateMutex && a->DestroyMutex && a->LockMutex && a->UnlockMutex;
		if (a->pReserved != NULL || (some && !all))
			return CKR_ARGUMENTS_BAD;
		// The Go runtime has threads of its own, and locks with the OS.
		if (a->flags & CKF_LIBRARY_CANT_CREATE_OS_THREADS)
			return CKR_NEED_TO_CREATE_THREADS;
		if (all && !(a->flags & CKF_OS_LOCKING_OK))
			return CKR_CANT_LOCK;
	}
	if (getpid() != load_pid) {
		ssize_t ignored = write(2, forked_msg, sizeof forked_msg - 1);
		(void)ignored;
		return CKR_GENERAL_ERROR;
	}
	pthread_mutex_lock(&init_mu);
	CK_RV rv = CKR_CRYPTOKI_ALREADY_INITIALIZED;
	if (!live()) {
		rv = goInitialize();
		if (rv == CKR_OK)
			__atomic_store_n(&init_pid, getpid(), __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&init_mu);
	return rv;
}

CK_RV C_Finalize(CK_VOID_PTR pReserved) {
	if (pReserved != NULL)
		return CKR_ARGUMENTS_BAD;
	pthread_mutex_lock(&init_mu);
	CK_RV rv = CKR_CRYPTOKI_NOT_INITIALIZED;
	if (live()) {
		goFinalize();
		__atomic_store_n(&init_pid, 0, __ATOMIC_RELEASE);
		rv = CKR_OK;
	}
	pthread_mutex_unlock(&init_mu);
	return rv;
}

// Served: checked here, done in Go.
#define SERVE(name, params, ...) CK_RV name params { LIVE; return go##name(__VA_ARGS__); }

SERVE(C_GetInfo, (CK_INFO *p), p)
SERVE(C_GetSlotList, (CK_BBOOL t, CK_SLOT_ID_PTR l, CK_ULONG_PTR n), t, l, n)
SERVE(C_GetSlotInfo, (CK_SLOT_ID s, CK_SLOT_INFO *p), s, p)
SERVE(C_GetTokenInfo, (CK_SLOT_ID s, CK_TOKEN_INFO *p), s, p)
SERVE(C_GetMechanismList, (CK_SLOT_ID s, CK_MECHANISM_TYPE_PTR l, CK_ULONG_PTR n), s, l, n)
SERVE(C_GetMechanismInfo, (CK_SLOT_ID s, CK_MECHANISM_TYPE t, CK_MECHANISM_INFO *p), s, t, p)
SERVE(C_OpenSession, (CK_SLOT_ID s, CK_FLAGS f, CK_VOID_PTR a, CK_NOTIFY n, CK_SESSION_HANDLE_PTR h), s, f, h)
SERVE(C_CloseSession, (CK_SESSION_HANDLE h), h)
SERVE(C_CloseAllSessions, (CK_SLOT_ID s), s)
SERVE(C_GetSessionInfo, (CK_SESSION_HANDLE h, CK_SESSION_INFO *p), h, p)
SERVE(C_Login, (CK_SESSION_HANDLE h, CK_USER_TYPE u, CK_UTF8CHAR_PTR pin, CK_ULONG n), h, u)
SERVE(C_Logout, (CK_SESSION_HANDLE h), h)
SERVE(C_DestroyObject, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o), h, o)
SERVE(C_GetAttributeValue, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t, CK_ULONG n), h, o, t, n)
SERVE(C_FindObjectsInit, (CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR t, CK_ULONG n), h, t, n)
SERVE(C_FindObjects, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE_PTR o, CK_ULONG m, CK_ULONG_PTR n), h, o, m, n)
SERVE(C_FindObjectsFinal, (CK_SESSION_HANDLE h), h)
SERVE(C_DecryptInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k), h, m, k)
SERVE(C_Decrypt, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG n, CK_BYTE_PTR out, CK_ULONG_PTR on), h, in, n, out, on)
SERVE(C_DigestInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m), h, m)
SERVE(C_Digest, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG n, CK_BYTE_PTR out, CK_ULONG_PTR on), h, in, n, out, on)
SERVE(C_DigestUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG n), h, in, n)
SERVE(C_DigestFinal, (CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG_PTR on), h, out, on)
SERVE(C_SignInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k), h, m, k)
SERVE(C_Sign, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG n, CK_BYTE_PTR out, CK_ULONG_PTR on), h, in, n, out, on)
SERVE(C_SignUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG n), h, in, n)
SERVE(C_SignFinal, (CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG_PTR on), h, out, on)
SERVE(C_VerifyInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k), h, m, k)
SERVE(C_Verify, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG n, CK_BYTE_PTR sig, CK_ULONG sn), h, in, n, sig, sn)
SERVE(C_VerifyUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG n), h, in, n)
SERVE(C_VerifyFinal, (CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG sn), h, sig, sn)
SERVE(C_GenerateKeyPair, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR pt, CK_ULONG pn, CK_ATTRIBUTE_PTR st, CK_ULONG sn, CK_OBJECT_HANDLE_PTR ph, CK_OBJECT_HANDLE_PTR sh), h, m, pt, pn, st, sn, ph, sh)
SERVE(C_GenerateRandom, (CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG n), h, out, n)

// Not served: parsecd has no PINs to set, no objects other than keys, and
// no multi-part RSA; wrapping and derivation are not PKCS#11-shaped there.
#define REFUSE(name, params) CK_RV name params { LIVE; return CKR_FUNCTION_NOT_SUPPORTED; }

REFUSE(C_InitToken, (CK_SLOT_ID s, CK_UTF8CHAR_PTR p, CK_ULONG n, CK_UTF8CHAR_PTR l))
REFUSE(C_InitPIN, (CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR p, CK_ULONG n))
REFUSE(C_SetPIN, (CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR o, CK_ULONG on, CK_UTF8CHAR_PTR n, CK_ULONG nn))
REFUSE(C_GetOperationState, (CK_SESSION_HANDLE h, CK_BYTE_PTR p, CK_ULONG_PTR n))
REFUSE(C_SetOperationState, (CK_SESSION_HANDLE h, CK_BYTE_PTR p, CK_ULONG n, CK_OBJECT_HANDLE e, CK_OBJECT_HANDLE a))
REFUSE(C_CreateObject, (CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR o))
REFUSE(C_CopyObject, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR no))
REFUSE(C_GetObjectSize, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ULONG_PTR n))
REFUSE(C_SetAttributeValue, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t, CK_ULONG n))
REFUSE(C_EncryptInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k))
REFUSE(C_Encrypt, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG n, CK_BYTE_PTR out, CK_ULONG_PTR on))
REFUSE(C_EncryptUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG n, CK_BYTE_PTR out, CK_ULONG_PTR on))
REFUSE(C_EncryptFinal, (CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG_PTR on))
REFUSE(C_DecryptUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG n, CK_BYTE_PTR out, CK_ULONG_PTR on))
REFUSE(C_DecryptFinal, (CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG_PTR on))
REFUSE(C_DigestKey, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE k))
REFUSE(C_SignRecoverInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k))
REFUSE(C_SignRecover, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG n, CK_BYTE_PTR out, CK_ULONG_PTR on))
REFUSE(C_VerifyRecoverInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k))
REFUSE(C_VerifyRecover, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG n, CK_BYTE_PTR out, CK_ULONG_PTR on))
REFUSE(C_DigestEncryptUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG n, CK_BYTE_PTR out, CK_ULONG_PTR on))
REFUSE(C_DecryptDigestUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG n, CK_BYTE_PTR out, CK_ULONG_PTR on))
REFUSE(C_SignEncryptUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG n, CK_BYTE_PTR out, CK_ULONG_PTR on))
REFUSE(C_DecryptVerifyUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG n, CK_BYTE_PTR out, CK_ULONG_PTR on))
REFUSE(C_GenerateKey, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR k))
REFUSE(C_WrapKey, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE w, CK_OBJECT_HANDLE k, CK_BYTE_PTR out, CK_ULONG_PTR on))
REFUSE(C_UnwrapKey, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE u, CK_BYTE_PTR in, CK_ULONG n, CK_ATTRIBUTE_PTR t, CK_ULONG tn, CK_OBJECT_HANDLE_PTR k))
REFUSE(C_DeriveKey, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE b, CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR k))
REFUSE(C_WaitForSlotEvent, (CK_FLAGS f, CK_SLOT_ID_PTR s, CK_VOID_PTR r))

CK_RV C_SeedRandom(CK_SESSION_HANDLE h, CK_BYTE_PTR p, CK_ULONG n) { LIVE; return CKR_RANDOM_SEED_NOT_SUPPORTED; }
// Legacy functions: v2.40 wants CKR_FUNCTION_NOT_PARALLEL from both.
CK_RV C_GetFunctionStatus(CK_SESSION_HANDLE h) { LIVE; return CKR_FUNCTION_NOT_PARALLEL; }
CK_RV C_CancelFunction(CK_SESSION_HANDLE h) { LIVE; return CKR_FUNCTION_NOT_PARALLEL; }

#define ENTRY(name, args) name,
static CK_FUNCTION_LIST function_list = {
	{2, 40},
	PK11_FUNCTIONS(ENTRY)
};

CK_RV C_GetFunctionList(CK_FUNCTION_LIST **pp) {
	if (pp == NULL)
		return CKR_ARGUMENTS_BAD;
	*pp = &function_list;
	return CKR_OK;
}
