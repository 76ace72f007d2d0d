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
//   C_GetSessionInfo, C_Login, C_CreateObject, C_DestroyObject, C_GenerateKeyPair,
//   C_EncryptInit, C_Encrypt, C_EncryptUpdate, C_EncryptFinal, C_SignInit, C_Sign, C_SignUpdate, C_SignFinal,
//   C_DigestInit, C_Digest, C_DigestUpdate, C_DigestFinal, C_GenerateRandom, C_SeedRandom, C_DeriveKey   calls
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
    "C_GenerateKeyPair", "C_EncryptInit", "C_Encrypt", "C_EncryptUpdate", "C_EncryptFinal", "C_SignInit", "C_Sign",
    "C_SignUpdate", "C_SignFinal", "C_DigestInit", "C_Digest", "C_DigestUpdate", "C_DigestFinal", "C_GenerateRandom",
    "C_SeedRandom", "C_DeriveKey",
};
enum { GET_ATTRIBUTE_VALUE, ATTRIBUTES, FIND_INIT, FIND, HANDLES, FIND_FINAL, OPEN_SESSION, CLOSE_SESSION,
       GET_SESSION_INFO, LOGIN, CREATE_OBJECT, DESTROY_OBJECT, GENERATE_KEY_PAIR, ENCRYPT_INIT, ENCRYPT, ENCRYPT_UPDATE,
       ENCRYPT_FINAL, SIGN_INIT, SIGN, SIGN_UPDATE, SIGN_FINAL, DIGEST_INIT, DIGEST, DIGEST_UPDATE, DIGEST_FINAL,
       GENERATE_RANDOM, SEED_RANDOM, DERIVE_KEY, N_COUNTERS };
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

// The operations of the JCE services (ServiceBenchmark): only counted, passed on unchanged.
static CK_RV encryptInit(CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k) {
    count(ENCRYPT_INIT, 1);
    return real->C_EncryptInit(s, m, k);
}

static CK_RV encrypt(CK_SESSION_HANDLE s, CK_BYTE_PTR in, CK_ULONG inLen, CK_BYTE_PTR out, CK_ULONG_PTR outLen) {
    count(ENCRYPT, 1);
    return real->C_Encrypt(s, in, inLen, out, outLen);
}

static CK_RV encryptUpdate(CK_SESSION_HANDLE s, CK_BYTE_PTR in, CK_ULONG inLen, CK_BYTE_PTR out, CK_ULONG_PTR outLen) {
    count(ENCRYPT_UPDATE, 1);
    return real->C_EncryptUpdate(s, in, inLen, out, outLen);
}

static CK_RV encryptFinal(CK_SESSION_HANDLE s, CK_BYTE_PTR out, CK_ULONG_PTR outLen) {
    count(ENCRYPT_FINAL, 1);
    return real->C_EncryptFinal(s, out, outLen);
}

static CK_RV signInit(CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k) {
    count(SIGN_INIT, 1);
    return real->C_SignInit(s, m, k);
}

static CK_RV sign(CK_SESSION_HANDLE s, CK_BYTE_PTR in, CK_ULONG inLen, CK_BYTE_PTR out, CK_ULONG_PTR outLen) {
    count(SIGN, 1);
    return real->C_Sign(s, in, inLen, out, outLen);
}

static CK_RV signUpdate(CK_SESSION_HANDLE s, CK_BYTE_PTR in, CK_ULONG inLen) {
    count(SIGN_UPDATE, 1);
    return real->C_SignUpdate(s, in, inLen);
}

static CK_RV signFinal(CK_SESSION_HANDLE s, CK_BYTE_PTR out, CK_ULONG_PTR outLen) {
    count(SIGN_FINAL, 1);
    return real->C_SignFinal(s, out, outLen);
}

static CK_RV digestInit(CK_SESSION_HANDLE s, CK_MECHANISM_PTR m) {
    count(DIGEST_INIT, 1);
    return real->C_DigestInit(s, m);
}

static CK_RV digest(CK_SESSION_HANDLE s, CK_BYTE_PTR in, CK_ULONG inLen, CK_BYTE_PTR out, CK_ULONG_PTR outLen) {
    count(DIGEST, 1);
    return real->C_Digest(s, in, inLen, out, outLen);
}

static CK_RV digestUpdate(CK_SESSION_HANDLE s, CK_BYTE_PTR in, CK_ULONG inLen) {
    count(DIGEST_UPDATE, 1);
    return real->C_DigestUpdate(s, in, inLen);
}

static CK_RV digestFinal(CK_SESSION_HANDLE s, CK_BYTE_PTR out, CK_ULONG_PTR outLen) {
    count(DIGEST_FINAL, 1);
    return real->C_DigestFinal(s, out, outLen);
}

static CK_RV generateRandom(CK_SESSION_HANDLE s, CK_BYTE_PTR out, CK_ULONG len) {
    count(GENERATE_RANDOM, 1);
    return real->C_GenerateRandom(s, out, len);
}

static CK_RV seedRandom(CK_SESSION_HANDLE s, CK_BYTE_PTR seed, CK_ULONG len) {
    count(SEED_RANDOM, 1);
    return real->C_SeedRandom(s, seed, len);
}

static CK_RV deriveKey(CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE base, CK_ATTRIBUTE_PTR t, CK_ULONG n,
                       CK_OBJECT_HANDLE_PTR out) {
    count(DERIVE_KEY, 1);
    return real->C_DeriveKey(s, m, base, t, n, out);
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
        list.C_EncryptInit = encryptInit;
        list.C_Encrypt = encrypt;
        list.C_EncryptUpdate = encryptUpdate;
        list.C_EncryptFinal = encryptFinal;
        list.C_SignInit = signInit;
        list.C_Sign = sign;
        list.C_SignUpdate = signUpdate;
        list.C_SignFinal = signFinal;
        list.C_DigestInit = digestInit;
        list.C_Digest = digest;
        list.C_DigestUpdate = digestUpdate;
        list.C_DigestFinal = digestFinal;
        list.C_GenerateRandom = generateRandom;
        list.C_SeedRandom = seedRandom;
        list.C_DeriveKey = deriveKey;
        real = r;
    }
    *out = &list;
    return CKR_OK;
}
