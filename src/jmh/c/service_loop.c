// SPDX-License-Identifier: Apache-2.0
//
// The C baseline for io.p11j.bench.ServiceBenchmark: the JCE services of issue #5 on SoftHSM2, each in
// a tight loop straight through the module's function list, making the PKCS#11 calls an ideal caller
// makes per message (scripts/bench.sh).
//
//   service_loop MODULE TOKEN_LABEL USER_PIN [MILLISECONDS [REPETITIONS [OPS]]]
//
// dlopen()s MODULE, C_Initialize(CKF_OS_LOCKING_OK), finds the token labelled TOKEN_LABEL, opens a
// read-write session, logs the user in, and creates what the Java benchmark creates: an AES-256 key and
// a 32-byte generic secret as token objects (private, sensitive, not extractable: C_CreateObject), and
// an EC P-256 key pair as session objects (C_GenerateKeyPair, the private key with CKA_DERIVE); the
// peer's public point is a fixed valid P-256 point. Per operation:
//
//   AesGcm1KiB, AesGcm1MiB  C_EncryptInit(CKM_AES_GCM: a fresh 12-byte counter IV, no AAD, 128-bit tag)
//                           + C_Encrypt into a buffer of the right size (no length query)
//   AesCbc1KiB              C_EncryptInit(CKM_AES_CBC_PAD, a fresh 16-byte counter IV) + C_Encrypt
//   HmacSha256              C_SignInit(CKM_SHA256_HMAC) + C_Sign of 64 bytes
//   Sha256_64B, Sha256_1MiB C_DigestInit(CKM_SHA256) + C_Digest
//   Random32B               C_GenerateRandom(32)
//   EcdhP256                C_DeriveKey(CKM_ECDH1_DERIVE, CKD_NULL) to a session generic secret (not
//                           sensitive, extractable, CKA_VALUE_LEN 32: P11J's template)
//                           + C_GetAttributeValue(CKA_VALUE) + C_DestroyObject
//
// The operations cost from 1 us (random) to milliseconds (1 MiB), so each runs as many times per
// repetition as take about MILLISECONDS (default 300; counted once, from doubling batches, and then
// fixed). OPS, if given, is a comma-separated list of the operations to run (default all). For each:
// a warm-up of a tenth, REPETITIONS (default 5) timings, and
//
//   RESULT <name> median_ns_per_op=<x> min=<x> max=<x> iterations=<n> repetitions=<r>
//   CPU <name> median_cpu_ns_per_op=<x>
//
// The CPU line is the process's CPU time (user + system) per operation, median of the repetitions: on
// a shared machine the wall clock also counts the time other processes held the CPU, this does not.
//
// Exits non-zero on any failure. Build: gcc -O2 -I/usr/include/p11-kit-1/p11-kit service_loop.c -ldl

#define PROGRAM "service_loop"
#include "bench_common.h"

#include <malloc.h>

#define KIB 1024
#define MIB (1024 * 1024)

static CK_BYTE P256_OID[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
// The P-256 generator G, uncompressed: a valid peer point.
static CK_BYTE PEER_POINT[] = {
    0x04,
    0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5, 0x63, 0xa4, 0x40, 0xf2,
    0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96,
    0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e, 0x16,
    0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5,
};
static volatile CK_ULONG sink;

enum op { AES_GCM_1K, AES_GCM_1M, AES_CBC_1K, HMAC_SHA256, SHA256_64, SHA256_1M, RANDOM_32, ECDH_P256, N_OPS };
static const char *const OP_NAMES[N_OPS] = {
    "AesGcm1KiB", "AesGcm1MiB", "AesCbc1KiB", "HmacSha256", "Sha256_64B", "Sha256_1MiB", "Random32B", "EcdhP256",
};
// The name of each RESULT line: what one operation is.
static const char *const RESULT_NAMES[N_OPS] = {
    "C_EncryptInit+C_Encrypt(AES-GCM,1KiB)", "C_EncryptInit+C_Encrypt(AES-GCM,1MiB)",
    "C_EncryptInit+C_Encrypt(AES-CBC-PAD,1KiB)", "C_SignInit+C_Sign(SHA256-HMAC,64B)",
    "C_DigestInit+C_Digest(SHA256,64B)", "C_DigestInit+C_Digest(SHA256,1MiB)", "C_GenerateRandom(32)",
    "C_DeriveKey(ECDH1,P-256)+C_GetAttributeValue+C_DestroyObject",
};

struct ctx {
    enum op op;
    CK_OBJECT_HANDLE aes, hmac, ecPriv;
    CK_BYTE *in, *out;
    CK_ULONG inLen, outCap;
    CK_BYTE iv[16];
    int record;         // whether run() keeps its CPU time: not while calibrating
    int runs;           // run()s since recording began: the first is measure()'s warm-up
    double cpu[64];     // CPU ns/op of each timed repetition
};

static double cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double) ts.tv_sec * 1e9 + (double) ts.tv_nsec;
}

// The next counter IV: the last 8 bytes of the first n, big-endian, plus one.
static void next_iv(CK_BYTE *iv, int n) {
    for (int i = n - 1; i >= n - 8; i--) {
        if (++iv[i] != 0) return;
    }
}

static CK_ULONG one(struct ctx *c, CK_SESSION_HANDLE s) {
    CK_RV rv;
    CK_ULONG outLen = c->outCap;
    switch (c->op) {
    case AES_GCM_1K:
    case AES_GCM_1M: {
        next_iv(c->iv, 12);
        CK_GCM_PARAMS gcm = {c->iv, 12, 96, NULL, 0, 128};
        CK_MECHANISM m = {CKM_AES_GCM, &gcm, sizeof gcm};
        if ((rv = f->C_EncryptInit(s, &m, c->aes)) != CKR_OK) die_rv("C_EncryptInit(CKM_AES_GCM)", rv);
        if ((rv = f->C_Encrypt(s, c->in, c->inLen, c->out, &outLen)) != CKR_OK) die_rv("C_Encrypt(GCM)", rv);
        return outLen;
    }
    case AES_CBC_1K: {
        next_iv(c->iv, 16);
        CK_MECHANISM m = {CKM_AES_CBC_PAD, c->iv, 16};
        if ((rv = f->C_EncryptInit(s, &m, c->aes)) != CKR_OK) die_rv("C_EncryptInit(CKM_AES_CBC_PAD)", rv);
        if ((rv = f->C_Encrypt(s, c->in, c->inLen, c->out, &outLen)) != CKR_OK) die_rv("C_Encrypt(CBC)", rv);
        return outLen;
    }
    case HMAC_SHA256: {
        CK_MECHANISM m = {CKM_SHA256_HMAC, NULL, 0};
        if ((rv = f->C_SignInit(s, &m, c->hmac)) != CKR_OK) die_rv("C_SignInit(CKM_SHA256_HMAC)", rv);
        if ((rv = f->C_Sign(s, c->in, c->inLen, c->out, &outLen)) != CKR_OK) die_rv("C_Sign(HMAC)", rv);
        return outLen;
    }
    case SHA256_64:
    case SHA256_1M: {
        CK_MECHANISM m = {CKM_SHA256, NULL, 0};
        if ((rv = f->C_DigestInit(s, &m)) != CKR_OK) die_rv("C_DigestInit(CKM_SHA256)", rv);
        if ((rv = f->C_Digest(s, c->in, c->inLen, c->out, &outLen)) != CKR_OK) die_rv("C_Digest", rv);
        return outLen;
    }
    case RANDOM_32:
        if ((rv = f->C_GenerateRandom(s, c->out, 32)) != CKR_OK) die_rv("C_GenerateRandom", rv);
        return 32;
    case ECDH_P256: {
        CK_ECDH1_DERIVE_PARAMS p = {CKD_NULL, 0, NULL, sizeof PEER_POINT, PEER_POINT};
        CK_MECHANISM m = {CKM_ECDH1_DERIVE, &p, sizeof p};
        CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
        CK_KEY_TYPE type = CKK_GENERIC_SECRET;
        CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
        CK_ULONG len = 32;
        CK_ATTRIBUTE t[] = {
            {CKA_CLASS, &cls, sizeof cls}, {CKA_KEY_TYPE, &type, sizeof type}, {CKA_TOKEN, &no, sizeof no},
            {CKA_SENSITIVE, &no, sizeof no}, {CKA_EXTRACTABLE, &yes, sizeof yes}, {CKA_VALUE_LEN, &len, sizeof len},
        };
        CK_OBJECT_HANDLE secret;
        if ((rv = f->C_DeriveKey(s, &m, c->ecPriv, t, sizeof t / sizeof t[0], &secret)) != CKR_OK)
            die_rv("C_DeriveKey(CKM_ECDH1_DERIVE)", rv);
        CK_ATTRIBUTE v = {CKA_VALUE, c->out, c->outCap};
        if ((rv = f->C_GetAttributeValue(s, secret, &v, 1)) != CKR_OK) die_rv("C_GetAttributeValue(CKA_VALUE)", rv);
        if ((rv = f->C_DestroyObject(s, secret)) != CKR_OK) die_rv("C_DestroyObject", rv);
        return v.ulValueLen;
    }
    default:
        abort();
    }
}

static const CK_ULONG OUT_LEN[N_OPS] = {KIB + 16, MIB + 16, KIB + 16, 32, 32, 32, 32, 32};

static double run(const void *arg, CK_SESSION_HANDLE session, long iterations) {
    struct ctx *c = (struct ctx *) arg;
    CK_ULONG acc = 0;
    double c0 = cpu_ns();
    double t0 = now_ns();
    for (long i = 0; i < iterations; i++) acc += one(c, session);
    double t1 = now_ns();
    if (c->record) {
        if (c->runs >= 1 && c->runs <= 64) c->cpu[c->runs - 1] = (cpu_ns() - c0) / (double) iterations;
        c->runs++;
    }
    if (acc != (CK_ULONG) iterations * OUT_LEN[c->op]) {
        fprintf(stderr, PROGRAM ": %s: %lu output bytes over %ld operations, not %lu each\n", OP_NAMES[c->op],
                (unsigned long) acc, iterations, (unsigned long) OUT_LEN[c->op]);
        exit(2);
    }
    sink = acc;
    return (t1 - t0) / (double) iterations;
}

// How many operations take about ms milliseconds: batches double until one takes a tenth of that.
static long calibrate(struct ctx *c, CK_SESSION_HANDLE session, long ms) {
    double target = (double) ms * 1e6;
    for (long k = 1;; k *= 2) {
        double t = run(c, session, k) * (double) k;
        if (t >= target / 10 || k >= (1L << 24)) {
            long n = (long) ((double) k * target / (t > 1 ? t : 1));
            return n > 0 ? n : 1;
        }
    }
}

static CK_OBJECT_HANDLE create_secret(CK_SESSION_HANDLE s, CK_KEY_TYPE type, const char *label, CK_ATTRIBUTE_TYPE use1,
                                      CK_ATTRIBUTE_TYPE use2) {
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_BYTE value[32];
    for (int i = 0; i < (int) sizeof value; i++) value[i] = (CK_BYTE) (i * 29 + 11);
    CK_ATTRIBUTE t[] = {
        {CKA_CLASS, &cls, sizeof cls}, {CKA_KEY_TYPE, &type, sizeof type}, {CKA_LABEL, (void *) label, strlen(label)},
        {CKA_TOKEN, &yes, sizeof yes}, {CKA_PRIVATE, &yes, sizeof yes}, {CKA_SENSITIVE, &yes, sizeof yes},
        {CKA_EXTRACTABLE, &no, sizeof no}, {use1, &yes, sizeof yes}, {use2, &yes, sizeof yes},
        {CKA_VALUE, value, sizeof value},
    };
    CK_OBJECT_HANDLE h;
    check("C_CreateObject", f->C_CreateObject(s, t, sizeof t / sizeof t[0], &h));
    return h;
}

int main(int argc, char **argv) {
    if (argc < 4 || argc > 7) {
        fprintf(stderr, "usage: %s MODULE TOKEN_LABEL USER_PIN [MILLISECONDS [REPETITIONS [OPS]]]\n", argv[0]);
        return 64;
    }
    const char *module = argv[1], *label = argv[2], *pin = argv[3];
    long ms = argc > 4 ? atol(argv[4]) : 300;
    int reps = argc > 5 ? atoi(argv[5]) : 5;
    const char *ops = argc > 6 ? argv[6] : NULL;
    if (ms < 1 || reps < 1) {
        fprintf(stderr, PROGRAM ": milliseconds and repetitions must be positive\n");
        return 64;
    }
    int want[N_OPS];
    for (int i = 0; i < N_OPS; i++) want[i] = ops == NULL;
    if (ops) {
        char *list = strdup(ops), *save = NULL;
        for (char *o = strtok_r(list, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
            int found = 0;
            for (int i = 0; i < N_OPS; i++) {
                if (strcmp(o, OP_NAMES[i]) == 0) want[i] = found = 1;
            }
            if (!found) {
                fprintf(stderr, PROGRAM ": unknown operation %s\n", o);
                return 64;
            }
        }
        free(list);
    }

    // SoftHSM2 copies each message into fresh heap buffers. In a small single-threaded process glibc's
    // defaults hand 1 MiB of them back to the kernel at every free (heap trim, or munmap), so every
    // operation page-faults them in again: three times the CPU of the work itself on 1 MiB messages. The
    // JVM's benchmark threads allocate in their own arenas and do not see that; keeping the memory here
    // too makes the C loop the token's cost, not the allocator's.
    mallopt(M_MMAP_THRESHOLD, 32 * MIB);
    mallopt(M_TRIM_THRESHOLD, 64 * MIB);

    load_module(module);
    CK_SLOT_ID slot = find_slot(label);
    CK_SESSION_HANDLE session;
    check("C_OpenSession", f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &session));
    CK_RV rv = f->C_Login(session, CKU_USER, (CK_UTF8CHAR_PTR) pin, strlen(pin));
    if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) die_rv("C_Login", rv);
    printf("module %s, token '%s' in slot %lu\n", module, label, (unsigned long) slot);

    struct ctx c;
    memset(&c, 0, sizeof c);
    c.aes = create_secret(session, CKK_AES, "bench-aes256", CKA_ENCRYPT, CKA_DECRYPT);
    c.hmac = create_secret(session, CKK_GENERIC_SECRET, "bench-hmac256", CKA_SIGN, CKA_VERIFY);
    {
        CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
        CK_KEY_TYPE type = CKK_EC;
        CK_ATTRIBUTE pub[] = {{CKA_TOKEN, &no, sizeof no}, {CKA_KEY_TYPE, &type, sizeof type},
                              {CKA_EC_PARAMS, P256_OID, sizeof P256_OID}};
        CK_ATTRIBUTE priv[] = {{CKA_TOKEN, &no, sizeof no}, {CKA_PRIVATE, &yes, sizeof yes}, {CKA_SENSITIVE, &yes, sizeof yes},
                               {CKA_EXTRACTABLE, &no, sizeof no}, {CKA_DERIVE, &yes, sizeof yes}, {CKA_KEY_TYPE, &type, sizeof type}};
        CK_MECHANISM m = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
        CK_OBJECT_HANDLE hPub;
        check("C_GenerateKeyPair", f->C_GenerateKeyPair(session, &m, pub, 3, priv, 6, &hPub, &c.ecPriv));
    }
    c.in = malloc(MIB);
    c.out = malloc(MIB + 16);
    if (!c.in || !c.out) {
        fprintf(stderr, PROGRAM ": out of memory\n");
        return 2;
    }
    for (long i = 0; i < MIB; i++) c.in[i] = (CK_BYTE) (i * 31 + 7);
    static const CK_ULONG IN_LEN[N_OPS] = {KIB, MIB, KIB, 64, 64, MIB, 0, 0};

    for (int i = 0; i < N_OPS; i++) {
        if (!want[i]) continue;
        c.op = (enum op) i;
        c.inLen = IN_LEN[i];
        c.outCap = OUT_LEN[i];
        c.record = 0;
        long iterations = calibrate(&c, session, ms);
        c.record = 1;
        c.runs = 0;
        measure(RESULT_NAMES[i], run, &c, session, iterations, reps);
        int n = reps < 64 ? reps : 64;
        qsort(c.cpu, (size_t) n, sizeof c.cpu[0], cmp_double);
        printf("CPU %s median_cpu_ns_per_op=%.1f\n", RESULT_NAMES[i], n % 2 ? c.cpu[n / 2] : (c.cpu[n / 2 - 1] + c.cpu[n / 2]) / 2);
        fflush(stdout);
    }

    // The token objects go, so that a second run on the token finds it as the first did.
    check("C_DestroyObject", f->C_DestroyObject(session, c.aes));
    check("C_DestroyObject", f->C_DestroyObject(session, c.hmac));
    free(c.in);
    free(c.out);
    check("C_Logout", f->C_Logout(session));
    check("C_CloseSession", f->C_CloseSession(session));
    check("C_Finalize", f->C_Finalize(NULL));
    return 0;
}
