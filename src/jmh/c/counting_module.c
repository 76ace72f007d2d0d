// SPDX-License-Identifier: Apache-2.0
//
// A PKCS#11 module that counts: it forwards every call to the real module named by the environment
// variable P11J_COUNTING_TARGET and counts a few of them, so that the benchmarks can say how many
// token calls one KeyStore load or one key generation makes — through SunPKCS11, whose calls cannot
// be intercepted from Java, and through P11J alike (scripts/bench.sh).
//
// Not a timing tool: the timed runs use the real module. The benchmarks configure a second provider
// over this file, do one operation, and read the counters through the exported function
//
//   unsigned long p11j_count(const char *counter)    (0 for an unknown name)
//
// whose counters are:
//
//   C_GetAttributeValue        calls
//   attributes                 CK_ATTRIBUTEs asked for, summed over those calls
//   C_FindObjectsInit, C_FindObjects, C_FindObjectsFinal, C_OpenSession, C_CloseSession,
//   C_GetSessionInfo, C_Login, C_CreateObject, C_DestroyObject, C_GenerateKeyPair   calls
//   handles                    object handles C_FindObjects returned, summed
//
// It exports only C_GetFunctionList (a PKCS#11 2.x function list: SoftHSM2 2.6 has no other), and
// its C_Initialize is the real one: a module another handle of the process initialized answers
// CKR_CRYPTOKI_ALREADY_INITIALIZED, which SunPKCS11 and P11J both accept. The counters are atomic.
//
// Build: gcc -O2 -shared -fPIC -I/usr/include/p11-kit-1/p11-kit counting_module.c -o libp11j-counting.so -ldl

#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkcs11.h"

#define EXPORT __attribute__((visibility("default")))

static const char *const NAMES[] = {
    "C_GetAttributeValue", "attributes", "C_FindObjectsInit", "C_FindObjects", "handles", "C_FindObjectsFinal",
    "C_OpenSession", "C_CloseSession", "C_GetSessionInfo", "C_Login", "C_CreateObject", "C_DestroyObject",
    "C_GenerateKeyPair",
};
enum { GET_ATTRIBUTE_VALUE, ATTRIBUTES, FIND_INIT, FIND, HANDLES, FIND_FINAL, OPEN_SESSION, CLOSE_SESSION,
       GET_SESSION_INFO, LOGIN, CREATE_OBJECT, DESTROY_OBJECT, GENERATE_KEY_PAIR, N_COUNTERS };
_Static_assert(sizeof NAMES / sizeof NAMES[0] == N_COUNTERS, "one name per counter");

static atomic_ulong counters[N_COUNTERS];
static CK_FUNCTION_LIST_PTR real;
static CK_FUNCTION_LIST list; // the real list, with the counted entries replaced

static void count(int which, unsigned long n) {
    atomic_fetch_add_explicit(&counters[which], n, memory_order_relaxed);
}

EXPORT unsigned long p11j_count(const char *counter) {
    for (int i = 0; i < N_COUNTERS; i++) {
        if (strcmp(counter, NAMES[i]) == 0) return atomic_load(&counters[i]);
    }
    return 0;
}

static CK_RV getAttributeValue(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t, CK_ULONG n) {
    count(GET_ATTRIBUTE_VALUE, 1);
    count(ATTRIBUTES, n);
    return real->C_GetAttributeValue(s, o, t, n);
}

static CK_RV findObjectsInit(CK_SESSION_HANDLE s, CK_ATTRIBUTE_PTR t, CK_ULONG n) {
    count(FIND_INIT, 1);
    return real->C_FindObjectsInit(s, t, n);
}

static CK_RV findObjects(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE_PTR o, CK_ULONG max, CK_ULONG_PTR n) {
    count(FIND, 1);
    CK_RV rv = real->C_FindObjects(s, o, max, n);
    if (rv == CKR_OK && n) count(HANDLES, *n);
    return rv;
}

static CK_RV findObjectsFinal(CK_SESSION_HANDLE s) {
    count(FIND_FINAL, 1);
    return real->C_FindObjectsFinal(s);
}

static CK_RV openSession(CK_SLOT_ID slot, CK_FLAGS flags, CK_VOID_PTR app, CK_NOTIFY notify, CK_SESSION_HANDLE_PTR s) {
    count(OPEN_SESSION, 1);
    return real->C_OpenSession(slot, flags, app, notify, s);
}

static CK_RV closeSession(CK_SESSION_HANDLE s) {
    count(CLOSE_SESSION, 1);
    return real->C_CloseSession(s);
}

static CK_RV getSessionInfo(CK_SESSION_HANDLE s, CK_SESSION_INFO_PTR info) {
    count(GET_SESSION_INFO, 1);
    return real->C_GetSessionInfo(s, info);
}

static CK_RV login(CK_SESSION_HANDLE s, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG len) {
    count(LOGIN, 1);
    return real->C_Login(s, user, pin, len);
}

static CK_RV createObject(CK_SESSION_HANDLE s, CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR o) {
    count(CREATE_OBJECT, 1);
    return real->C_CreateObject(s, t, n, o);
}

static CK_RV destroyObject(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o) {
    count(DESTROY_OBJECT, 1);
    return real->C_DestroyObject(s, o);
}

static CK_RV generateKeyPair(CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR pub, CK_ULONG nPub,
                             CK_ATTRIBUTE_PTR priv, CK_ULONG nPriv, CK_OBJECT_HANDLE_PTR hPub, CK_OBJECT_HANDLE_PTR hPriv) {
    count(GENERATE_KEY_PAIR, 1);
    return real->C_GenerateKeyPair(s, m, pub, nPub, priv, nPriv, hPub, hPriv);
}

static CK_RV getFunctionList(CK_FUNCTION_LIST_PTR_PTR out);

EXPORT CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR out) {
    return getFunctionList(out);
}

static CK_RV getFunctionList(CK_FUNCTION_LIST_PTR_PTR out) {
    if (!out) return CKR_ARGUMENTS_BAD;
    if (!real) {
        const char *target = getenv("P11J_COUNTING_TARGET");
        if (!target || !*target) {
            fprintf(stderr, "libp11j-counting: P11J_COUNTING_TARGET (the real module's path) is not set\n");
            return CKR_GENERAL_ERROR;
        }
        void *lib = dlopen(target, RTLD_NOW | RTLD_LOCAL);
        CK_C_GetFunctionList get = lib ? (CK_C_GetFunctionList) dlsym(lib, "C_GetFunctionList") : NULL;
        if (!get) {
            fprintf(stderr, "libp11j-counting: cannot load %s: %s\n", target, lib ? "no C_GetFunctionList" : dlerror());
            return CKR_GENERAL_ERROR;
        }
        CK_FUNCTION_LIST_PTR r = NULL;
        CK_RV rv = get(&r);
        if (rv != CKR_OK) return rv;
        list = *r;
        list.C_GetFunctionList = getFunctionList;
        list.C_GetAttributeValue = getAttributeValue;
        list.C_FindObjectsInit = findObjectsInit;
        list.C_FindObjects = findObjects;
        list.C_FindObjectsFinal = findObjectsFinal;
        list.C_OpenSession = openSession;
        list.C_CloseSession = closeSession;
        list.C_GetSessionInfo = getSessionInfo;
        list.C_Login = login;
        list.C_CreateObject = createObject;
        list.C_DestroyObject = destroyObject;
        list.C_GenerateKeyPair = generateKeyPair;
        real = r;
    }
    *out = &list;
    return CKR_OK;
}
