// SPDX-License-Identifier: Apache-2.0
//
// The C baselines for io.p11j.bench.KeyStoreLoadBenchmark: what loading a KeyStore of OBJECTS token
// objects costs at the least, straight through the module's function list, on the same machine in the
// same run (scripts/bench.sh).
//
//   keystore_loop MODULE TOKEN_LABEL USER_PIN OBJECTS [LAZY_LOADS [EAGER_LOADS [REPETITIONS]]]
//
// dlopen()s MODULE, C_Initialize(CKF_OS_LOCKING_OK), finds the token labelled TOKEN_LABEL, opens a
// read-only session and logs the user in. The token must hold the OBJECTS objects that
// io.p11j.bench.KeyStoreTokens fills it with (scripts/bench.sh does so once, and the Java benchmark
// loads the same token): a quarter each of EC P-256 private keys, their public keys, a certificate
// per key pair (all three labelled "ks-key-NNNN", one CKA_ID), and certificates without a key
// ("ks-ca-NNNN"). Anything else is an error.
//
// Then it times, REPETITIONS times each after a warm-up of a tenth:
//
//   lazy:  one C_FindObjectsInit over all objects (empty template), C_FindObjects in batches of 64,
//          C_FindObjectsFinal, and for each object one C_GetAttributeValue of CKA_CLASS, CKA_ID and
//          CKA_LABEL — everything a KeyStore needs for load() and aliases() when it reads nothing
//          else before it is asked — plus "getKey" of the private key labelled "ks-key-<OBJECTS/8>":
//          one C_GetAttributeValue of CKA_KEY_TYPE and CKA_EC_PARAMS on the handle found;
//   eager: the same, plus one C_GetAttributeValue of CKA_VALUE (into a 4 KiB buffer) per certificate:
//          a store that decodes every certificate at load.
//
// Prints per repetition and, per variant, a machine-readable line (ns per whole load):
//
//   RESULT <name> median_ns_per_op=<x> min=<x> max=<x> iterations=<n> repetitions=<r>
//   COUNT <name> C_GetAttributeValue=<calls> attributes=<n> C_FindObjects=<calls> objects=<n>
//
// Exits non-zero on any failure. Build: gcc -O2 -I/usr/include/p11-kit-1/p11-kit keystore_loop.c -ldl

#define PROGRAM "keystore_loop"
#include "bench_common.h"

#define FIND_BATCH 64

static CK_BYTE P256_OID[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static volatile CK_ULONG sink;

// Every object handle (one search, empty template); *n is the count. The array grows as needed.
static CK_OBJECT_HANDLE *find_all(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE *buf, CK_ULONG *cap, CK_ULONG *n,
                                  unsigned long *findCalls) {
    CK_ULONG total = 0, got;
    check("C_FindObjectsInit", f->C_FindObjectsInit(session, NULL, 0));
    do {
        if (total + FIND_BATCH > *cap) {
            *cap = (total + FIND_BATCH) * 2;
            buf = realloc(buf, *cap * sizeof *buf);
            if (!buf) { fprintf(stderr, PROGRAM ": out of memory\n"); exit(2); }
        }
        check("C_FindObjects", f->C_FindObjects(session, buf + total, FIND_BATCH, &got));
        total += got;
        (*findCalls)++;
    } while (got > 0);
    check("C_FindObjectsFinal", f->C_FindObjectsFinal(session));
    *n = total;
    return buf;
}

struct load {
    int eager;
    int objects;
    char keyLabel[32];
    CK_OBJECT_HANDLE *handles;
    CK_ULONG cap;
    // what the last load did, for the COUNT line and the checks
    unsigned long getAttributeCalls, attributes, findCalls, found, certificates, privateKeys;
    int keyFound;
};

// One load: the search, the per-object reads, the certificates' values (eager), the key.
static void load_once(struct load *l, CK_SESSION_HANDLE session) {
    CK_ULONG n;
    l->getAttributeCalls = l->attributes = l->findCalls = l->certificates = l->privateKeys = 0;
    l->keyFound = 0;
    l->handles = find_all(session, l->handles, &l->cap, &n, &l->findCalls);
    l->found = n;
    size_t keyLabelLen = strlen(l->keyLabel);
    CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
    CK_BYTE value[4096];
    CK_ULONG acc = 0;
    for (CK_ULONG i = 0; i < n; i++) {
        CK_OBJECT_CLASS cls;
        CK_BYTE id[64];
        char label[128];
        CK_ATTRIBUTE t[] = {
            {CKA_CLASS, &cls, sizeof cls},
            {CKA_ID, id, sizeof id},
            {CKA_LABEL, label, sizeof label},
        };
        check("C_GetAttributeValue(class, id, label)", f->C_GetAttributeValue(session, l->handles[i], t, 3));
        l->getAttributeCalls++;
        l->attributes += 3;
        acc += t[1].ulValueLen + t[2].ulValueLen;
        if (cls == CKO_PRIVATE_KEY) {
            l->privateKeys++;
            if (t[2].ulValueLen == keyLabelLen && memcmp(label, l->keyLabel, keyLabelLen) == 0) key = l->handles[i];
        } else if (cls == CKO_CERTIFICATE) {
            l->certificates++;
            if (l->eager) {
                CK_ATTRIBUTE v = {CKA_VALUE, value, sizeof value};
                check("C_GetAttributeValue(CKA_VALUE)", f->C_GetAttributeValue(session, l->handles[i], &v, 1));
                l->getAttributeCalls++;
                l->attributes++;
                acc += v.ulValueLen;
            }
        }
    }
    if (key != CK_INVALID_HANDLE) {
        CK_KEY_TYPE type;
        CK_BYTE params[64];
        CK_ATTRIBUTE t[] = {{CKA_KEY_TYPE, &type, sizeof type}, {CKA_EC_PARAMS, params, sizeof params}};
        check("C_GetAttributeValue(key type, EC params)", f->C_GetAttributeValue(session, key, t, 2));
        l->getAttributeCalls++;
        l->attributes += 2;
        l->keyFound = type == CKK_EC && t[1].ulValueLen == sizeof P256_OID;
        acc += type;
    }
    sink = acc;
}

static double run(const void *ctx, CK_SESSION_HANDLE session, long iterations) {
    struct load *l = (struct load *) ctx;
    double t0 = now_ns();
    for (long i = 0; i < iterations; i++) load_once(l, session);
    return (now_ns() - t0) / (double) iterations;
}

int main(int argc, char **argv) {
    if (argc < 5 || argc > 8) {
        fprintf(stderr, "usage: %s MODULE TOKEN_LABEL USER_PIN OBJECTS [LAZY_LOADS [EAGER_LOADS [REPETITIONS]]]\n", argv[0]);
        return 64;
    }
    const char *module = argv[1], *tokenLabel = argv[2], *pin = argv[3];
    int objects = atoi(argv[4]);
    long nLazy = argc > 5 ? atol(argv[5]) : 200;
    long nEager = argc > 6 ? atol(argv[6]) : 200;
    int reps = argc > 7 ? atoi(argv[7]) : 5;
    if (objects < 8 || objects % 4 != 0 || objects > 4 * 10000) {
        fprintf(stderr, PROGRAM ": OBJECTS must be a multiple of 4, from 8 to 40000\n");
        return 64;
    }
    if (nLazy < 1 || nEager < 1 || reps < 1) {
        fprintf(stderr, PROGRAM ": loads and repetitions must be positive\n");
        return 64;
    }

    load_module(module);
    CK_SLOT_ID slot = find_slot(tokenLabel);
    CK_SESSION_HANDLE session;
    check("C_OpenSession", f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &session));
    CK_RV rv = f->C_Login(session, CKU_USER, (CK_UTF8CHAR_PTR) pin, strlen(pin));
    if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) die_rv("C_Login", rv);
    printf("module %s, token '%s' in slot %lu\n", module, tokenLabel, (unsigned long) slot);

    struct load lazy = {0}, eager = {0};
    snprintf(lazy.keyLabel, sizeof lazy.keyLabel, "ks-key-%04d", objects / 8);
    lazy.objects = objects;
    eager = lazy;
    eager.eager = 1;

    load_once(&lazy, session);
    if (lazy.found != (CK_ULONG) objects || lazy.privateKeys != (unsigned long) objects / 4
        || lazy.certificates != (unsigned long) objects / 2 || !lazy.keyFound) {
        fprintf(stderr, PROGRAM ": the token holds %lu objects (%lu private keys, %lu certificates; key '%s' %s),"
                " not the %d expected: fill it with io.p11j.bench.KeyStoreTokens first\n", lazy.found, lazy.privateKeys, lazy.certificates, lazy.keyLabel,
                lazy.keyFound ? "found" : "missing", objects);
        return 2;
    }
    printf("token: %lu objects, %lu private keys, %lu certificates\n", lazy.found, lazy.privateKeys, lazy.certificates);

    char name[96];
    snprintf(name, sizeof name, "KeyStoreLoad(lazy,%d)", objects);
    measure(name, run, &lazy, session, nLazy, reps);
    printf("COUNT %s C_GetAttributeValue=%lu attributes=%lu C_FindObjects=%lu objects=%lu\n", name,
           lazy.getAttributeCalls, lazy.attributes, lazy.findCalls, lazy.found);
    snprintf(name, sizeof name, "KeyStoreLoad(eager,%d)", objects);
    measure(name, run, &eager, session, nEager, reps);
    printf("COUNT %s C_GetAttributeValue=%lu attributes=%lu C_FindObjects=%lu objects=%lu\n", name,
           eager.getAttributeCalls, eager.attributes, eager.findCalls, eager.found);
    fflush(stdout);

    free(lazy.handles);
    free(eager.handles);
    check("C_Logout", f->C_Logout(session));
    check("C_CloseSession", f->C_CloseSession(session));
    check("C_Finalize", f->C_Finalize(NULL));
    return 0;
}
