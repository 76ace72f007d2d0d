// SPDX-License-Identifier: Apache-2.0
//
// The C baseline for io.p11j.bench.KeyGenBenchmark: EC P-256 key pairs generated as session objects
// on SoftHSM2, in a tight loop straight through the module's function list (scripts/bench.sh).
//
//   keygen_loop MODULE TOKEN_LABEL USER_PIN [ITERATIONS [REPETITIONS]]
//
// dlopen()s MODULE, C_Initialize(CKF_OS_LOCKING_OK), finds the token labelled TOKEN_LABEL, opens a
// read-write session and logs the user in. One operation is what every Java KeyPairGenerator has to
// do before it can hand out a key pair whose public key is usable:
//
//   C_GenerateKeyPair(CKM_EC_KEY_PAIR_GEN) with P11J's templates (public: CKA_TOKEN false, not
//   private, verify, a 20-byte CKA_ID, CKA_EC_PARAMS P-256; private: CKA_TOKEN false, private,
//   sensitive, not extractable, sign, derive, the same CKA_ID), and one C_GetAttributeValue of the
//   public key's CKA_EC_POINT.
//
// Two timings, REPETITIONS times each after a warm-up of a tenth:
//
//   "generate": ITERATIONS operations; the 2 x ITERATIONS session objects are destroyed after the
//               clock stops (the Java keys are destroyed when the garbage collector finds them,
//               mostly outside the timed calls);
//   "lifecycle": ITERATIONS operations each followed by C_DestroyObject of both keys, timed.
//
//   RESULT <name> median_ns_per_op=<x> min=<x> max=<x> iterations=<n> repetitions=<r>
//
// Exits non-zero on any failure. Build: gcc -O2 -I/usr/include/p11-kit-1/p11-kit keygen_loop.c -ldl

#define PROGRAM "keygen_loop"
#include "bench_common.h"

static CK_BYTE P256_OID[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static volatile CK_ULONG sink;

struct ctx {
    int destroyInLoop;
    CK_OBJECT_HANDLE *handles; // 2 per operation when destroyed after the loop
    long cap;
};

static void generate(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE *hPub, CK_OBJECT_HANDLE *hPriv, CK_ULONG *pointLen) {
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_OBJECT_CLASS pubClass = CKO_PUBLIC_KEY, privClass = CKO_PRIVATE_KEY;
    CK_KEY_TYPE type = CKK_EC;
    CK_BYTE id[20];
    for (int i = 0; i < (int) sizeof id; i++) id[i] = (CK_BYTE) (i * 41 + 7);
    CK_ATTRIBUTE pub[] = {
        {CKA_CLASS, &pubClass, sizeof pubClass},
        {CKA_TOKEN, &no, sizeof no},
        {CKA_PRIVATE, &no, sizeof no},
        {CKA_VERIFY, &yes, sizeof yes},
        {CKA_ID, id, sizeof id},
        {CKA_KEY_TYPE, &type, sizeof type},
        {CKA_EC_PARAMS, P256_OID, sizeof P256_OID},
    };
    CK_ATTRIBUTE priv[] = {
        {CKA_CLASS, &privClass, sizeof privClass},
        {CKA_TOKEN, &no, sizeof no},
        {CKA_PRIVATE, &yes, sizeof yes},
        {CKA_SENSITIVE, &yes, sizeof yes},
        {CKA_EXTRACTABLE, &no, sizeof no},
        {CKA_SIGN, &yes, sizeof yes},
        {CKA_ID, id, sizeof id},
        {CKA_DERIVE, &yes, sizeof yes},
        {CKA_KEY_TYPE, &type, sizeof type},
    };
    CK_MECHANISM m = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
    CK_RV rv = f->C_GenerateKeyPair(session, &m, pub, sizeof pub / sizeof pub[0], priv, sizeof priv / sizeof priv[0],
                                    hPub, hPriv);
    if (rv != CKR_OK) die_rv("C_GenerateKeyPair", rv);
    CK_BYTE point[128];
    CK_ATTRIBUTE t = {CKA_EC_POINT, point, sizeof point};
    rv = f->C_GetAttributeValue(session, *hPub, &t, 1);
    if (rv != CKR_OK) die_rv("C_GetAttributeValue(CKA_EC_POINT)", rv);
    *pointLen = t.ulValueLen;
}

static void destroy(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE h) {
    CK_RV rv = f->C_DestroyObject(session, h);
    if (rv != CKR_OK) die_rv("C_DestroyObject", rv);
}

static double run(const void *arg, CK_SESSION_HANDLE session, long iterations) {
    struct ctx *c = (struct ctx *) arg;
    if (!c->destroyInLoop && 2 * iterations > c->cap) {
        c->cap = 2 * iterations;
        c->handles = realloc(c->handles, (size_t) c->cap * sizeof *c->handles);
        if (!c->handles) { fprintf(stderr, PROGRAM ": out of memory\n"); exit(2); }
    }
    CK_ULONG acc = 0;
    double t0 = now_ns();
    for (long i = 0; i < iterations; i++) {
        CK_OBJECT_HANDLE pub, priv;
        CK_ULONG len;
        generate(session, &pub, &priv, &len);
        acc += len;
        if (c->destroyInLoop) {
            destroy(session, pub);
            destroy(session, priv);
        } else {
            c->handles[2 * i] = pub;
            c->handles[2 * i + 1] = priv;
        }
    }
    double t1 = now_ns();
    if (!c->destroyInLoop) {
        for (long i = 0; i < 2 * iterations; i++) destroy(session, c->handles[i]);
    }
    if (acc != (CK_ULONG) iterations * 67) { // DER OCTET STRING around 04 || X || Y
        fprintf(stderr, PROGRAM ": unexpected CKA_EC_POINT lengths (%lu bytes over %ld keys)\n", (unsigned long) acc, iterations);
        exit(2);
    }
    sink = acc;
    return (t1 - t0) / (double) iterations;
}

int main(int argc, char **argv) {
    if (argc < 4 || argc > 6) {
        fprintf(stderr, "usage: %s MODULE TOKEN_LABEL USER_PIN [ITERATIONS [REPETITIONS]]\n", argv[0]);
        return 64;
    }
    const char *module = argv[1], *label = argv[2], *pin = argv[3];
    long n = argc > 4 ? atol(argv[4]) : 5000;
    int reps = argc > 5 ? atoi(argv[5]) : 5;
    if (n < 1 || reps < 1) {
        fprintf(stderr, PROGRAM ": iterations and repetitions must be positive\n");
        return 64;
    }

    load_module(module);
    CK_SLOT_ID slot = find_slot(label);
    CK_SESSION_HANDLE session;
    check("C_OpenSession", f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &session));
    CK_RV rv = f->C_Login(session, CKU_USER, (CK_UTF8CHAR_PTR) pin, strlen(pin));
    if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) die_rv("C_Login", rv);
    printf("module %s, token '%s' in slot %lu\n", module, label, (unsigned long) slot);

    struct ctx generateOnly = {0, NULL, 0}, lifecycle = {1, NULL, 0};
    measure("C_GenerateKeyPair(EC-P256,session)+EC_POINT", run, &generateOnly, session, n, reps);
    measure("C_GenerateKeyPair(EC-P256,session)+EC_POINT+2xC_DestroyObject", run, &lifecycle, session, n, reps);

    free(generateOnly.handles);
    check("C_Logout", f->C_Logout(session));
    check("C_CloseSession", f->C_CloseSession(session));
    check("C_Finalize", f->C_Finalize(NULL));
    return 0;
}
