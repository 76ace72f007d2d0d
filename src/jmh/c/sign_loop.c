// SPDX-License-Identifier: Apache-2.0
//
// The C baseline for io.p11j.bench.SignBenchmark: the same signatures on SoftHSM2, in a tight loop,
// straight through the module's function list, so that the wrapper and SunPKCS11 can be read against
// what the token itself costs, on the same machine, in the same run (scripts/bench.sh).
//
//   sign_loop MODULE TOKEN_LABEL USER_PIN [RSA_ITERATIONS [EC_ITERATIONS [REPETITIONS]]]
//
// dlopen()s MODULE, C_GetFunctionList, C_Initialize(CKF_OS_LOCKING_OK), finds the initialized token
// labelled TOKEN_LABEL, opens a read-write session and logs the user in. It finds the private keys
// labelled "bench-rsa2048" and "bench-ecp256" (C_FindObjects) or, when the token has none yet,
// generates them as the Java benchmark does: token objects, private, sensitive, with the same
// CKA_LABEL and CKA_ID (RSA-2048 with e = 65537; EC on P-256). Each key is checked once with
// C_Verify. Then, REPETITIONS times each, it times (CLOCK_MONOTONIC):
//
//   RSA_ITERATIONS x C_SignInit(CKM_SHA256_RSA_PKCS) + C_Sign of a 1 KiB message, and
//   EC_ITERATIONS  x C_SignInit(CKM_ECDSA) + C_Sign of a fixed 32-byte "digest" (SHA-256 of the
//                    message happens in Java on both Java paths; C has no hash without a library,
//                    and the token's work is the same),
//   RSA_ITERATIONS x C_SignInit(CKM_SHA256_RSA_PKCS_PSS: SHA-256, MGF1-SHA-256, 32-byte salt) + C_Sign
//                    of the 1 KiB message with the RSA key,
//
// after a warm-up of a tenth of the iterations. Prints one line per repetition and, per operation,
// a machine-readable line:
//
//   RESULT <op> median_ns_per_op=<x> min=<x> max=<x> iterations=<n> repetitions=<r>
//
// Exits non-zero on any failure. Build: gcc -O2 -I/usr/include/p11-kit-1/p11-kit sign_loop.c -ldl

#define PROGRAM "sign_loop"
#include "bench_common.h"

#define MESSAGE_LENGTH 1024

static volatile CK_ULONG sink;

static const char RSA_LABEL[] = "bench-rsa2048";
static const char EC_LABEL[] = "bench-ecp256";
static CK_BYTE RSA_ID[] = {0x52, 0x53, 0x41, 0x01}; // as io.p11j.bench.SignBenchmark
static CK_BYTE EC_ID[] = {0x45, 0x43, 0x01};
static CK_BYTE P256_OID[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};






// The one object of class cls labelled label, or CK_INVALID_HANDLE when there is none.
static CK_OBJECT_HANDLE find_key(CK_SESSION_HANDLE session, CK_OBJECT_CLASS cls, const char *label) {
    CK_ATTRIBUTE t[] = {
        {CKA_CLASS, &cls, sizeof cls},
        {CKA_LABEL, (void *) label, strlen(label)},
    };
    CK_OBJECT_HANDLE found[2];
    CK_ULONG n = 0;
    check("C_FindObjectsInit", f->C_FindObjectsInit(session, t, 2));
    check("C_FindObjects", f->C_FindObjects(session, found, 2, &n));
    check("C_FindObjectsFinal", f->C_FindObjectsFinal(session));
    if (n > 1) {
        fprintf(stderr, "sign_loop: more than one object labelled '%s'\n", label);
        exit(2);
    }
    return n == 1 ? found[0] : CK_INVALID_HANDLE;
}

static void generate(CK_SESSION_HANDLE session, int rsa) {
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_OBJECT_CLASS pubClass = CKO_PUBLIC_KEY, privClass = CKO_PRIVATE_KEY;
    CK_KEY_TYPE type = rsa ? CKK_RSA : CKK_EC;
    CK_ULONG bits = 2048;
    CK_BYTE e[] = {0x01, 0x00, 0x01};
    const char *label = rsa ? RSA_LABEL : EC_LABEL;
    CK_BYTE *id = rsa ? RSA_ID : EC_ID;
    CK_ULONG idLen = rsa ? sizeof RSA_ID : sizeof EC_ID;
    CK_ATTRIBUTE pub[] = {
        {CKA_CLASS, &pubClass, sizeof pubClass},
        {CKA_KEY_TYPE, &type, sizeof type},
        {CKA_LABEL, (void *) label, strlen(label)},
        {CKA_ID, id, idLen},
        {CKA_TOKEN, &yes, sizeof yes},
        {CKA_VERIFY, &yes, sizeof yes},
        {rsa ? CKA_MODULUS_BITS : CKA_EC_PARAMS, rsa ? (void *) &bits : (void *) P256_OID, rsa ? sizeof bits : sizeof P256_OID},
        {CKA_PUBLIC_EXPONENT, e, sizeof e}, // RSA only: left out of the EC template by its count
    };
    CK_ATTRIBUTE priv[] = {
        {CKA_CLASS, &privClass, sizeof privClass},
        {CKA_KEY_TYPE, &type, sizeof type},
        {CKA_LABEL, (void *) label, strlen(label)},
        {CKA_ID, id, idLen},
        {CKA_TOKEN, &yes, sizeof yes},
        {CKA_PRIVATE, &yes, sizeof yes},
        {CKA_SIGN, &yes, sizeof yes},
        {CKA_SENSITIVE, &yes, sizeof yes},
        {CKA_EXTRACTABLE, &no, sizeof no},
    };
    CK_MECHANISM m = {rsa ? CKM_RSA_PKCS_KEY_PAIR_GEN : CKM_EC_KEY_PAIR_GEN, NULL, 0};
    CK_OBJECT_HANDLE hPub, hPriv;
    check("C_GenerateKeyPair", f->C_GenerateKeyPair(session, &m, pub, rsa ? 8 : 7, priv, 9, &hPub, &hPriv));
}

enum op { RSA_SHA256, ECDSA_P256 };

struct key {
    CK_OBJECT_HANDLE priv, pub;
    CK_MECHANISM mech;
    CK_BYTE *data;
    CK_ULONG dataLen;
};

// One timed loop; the body is exactly what one Java benchmark call asks of the token.
static double run(const void *ctx, CK_SESSION_HANDLE session, long iterations) {
    const struct key *k = ctx;
    CK_BYTE sig[512];
    CK_ULONG acc = 0;
    double t0 = now_ns();
    for (long i = 0; i < iterations; i++) {
        CK_ULONG len = sizeof sig;
        CK_RV rv = f->C_SignInit(session, (CK_MECHANISM_PTR) &k->mech, k->priv);
        if (rv != CKR_OK) die_rv("C_SignInit", rv);
        rv = f->C_Sign(session, k->data, k->dataLen, sig, &len);
        if (rv != CKR_OK) die_rv("C_Sign", rv);
        acc += len;
    }
    double t1 = now_ns();
    sink = acc;
    return (t1 - t0) / (double) iterations;
}


// One signature with k's mechanism, checked with C_Verify.
static void check_key(CK_SESSION_HANDLE session, struct key *k, const char *what) {
    CK_BYTE sig[512];
    CK_ULONG len = sizeof sig;
    check("C_SignInit", f->C_SignInit(session, &k->mech, k->priv));
    check("C_Sign", f->C_Sign(session, k->data, k->dataLen, sig, &len));
    check("C_VerifyInit", f->C_VerifyInit(session, &k->mech, k->pub));
    check("C_Verify", f->C_Verify(session, k->data, k->dataLen, sig, len));
    printf("%s: %lu-byte signature verified\n", what, (unsigned long) len);
}

// The key pair labelled for op, generated first if the token has none; checked with one C_Verify.
static struct key key_for(CK_SESSION_HANDLE session, int rsa, CK_BYTE *data, CK_ULONG dataLen) {
    const char *label = rsa ? RSA_LABEL : EC_LABEL;
    struct key k;
    int generated = 0;
    k.priv = find_key(session, CKO_PRIVATE_KEY, label);
    if (k.priv == CK_INVALID_HANDLE) {
        generate(session, rsa);
        generated = 1;
        k.priv = find_key(session, CKO_PRIVATE_KEY, label);
    }
    k.pub = find_key(session, CKO_PUBLIC_KEY, label);
    if (k.priv == CK_INVALID_HANDLE || k.pub == CK_INVALID_HANDLE) {
        fprintf(stderr, "sign_loop: no key pair labelled '%s'\n", label);
        exit(2);
    }
    k.mech.mechanism = rsa ? CKM_SHA256_RSA_PKCS : CKM_ECDSA;
    k.mech.pParameter = NULL;
    k.mech.ulParameterLen = 0;
    k.data = data;
    k.dataLen = dataLen;

    printf("key '%s': %s, private key %lu\n", label, generated ? "generated" : "found", (unsigned long) k.priv);
    check_key(session, &k, rsa ? "SHA256_RSA_PKCS" : "ECDSA");
    return k;
}

int main(int argc, char **argv) {
    if (argc < 4 || argc > 7) {
        fprintf(stderr, "usage: %s MODULE TOKEN_LABEL USER_PIN [RSA_ITERATIONS [EC_ITERATIONS [REPETITIONS]]]\n", argv[0]);
        return 64;
    }
    const char *module = argv[1], *label = argv[2], *pin = argv[3];
    long nRsa = argc > 4 ? atol(argv[4]) : 2000;
    long nEc = argc > 5 ? atol(argv[5]) : 10000;
    int reps = argc > 6 ? atoi(argv[6]) : 5;
    if (nRsa < 1 || nEc < 1 || reps < 1) {
        fprintf(stderr, "sign_loop: iterations and repetitions must be positive\n");
        return 64;
    }

    load_module(module);
    CK_RV rv;

    CK_SLOT_ID slot = find_slot(label);
    CK_SESSION_HANDLE session;
    check("C_OpenSession", f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &session));
    rv = f->C_Login(session, CKU_USER, (CK_UTF8CHAR_PTR) pin, strlen(pin));
    if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) die_rv("C_Login", rv);
    printf("module %s, token '%s' in slot %lu, session %lu\n", module, label, (unsigned long) slot, (unsigned long) session);

    CK_BYTE message[MESSAGE_LENGTH], digest[32];
    for (int i = 0; i < MESSAGE_LENGTH; i++) message[i] = (CK_BYTE) (i * 31 + 7);
    for (int i = 0; i < 32; i++) digest[i] = (CK_BYTE) (i * 17 + 3);
    struct key rsa = key_for(session, 1, message, sizeof message);
    struct key ec = key_for(session, 0, digest, sizeof digest);

    // RSASSA-PSS with the same key: SHA-256, MGF1-SHA-256, 32-byte salt; the token hashes.
    CK_RSA_PKCS_PSS_PARAMS pssParams = {CKM_SHA256, CKG_MGF1_SHA256, 32};
    struct key pss = rsa;
    pss.mech.mechanism = CKM_SHA256_RSA_PKCS_PSS;
    pss.mech.pParameter = &pssParams;
    pss.mech.ulParameterLen = sizeof pssParams;
    check_key(session, &pss, "RSASSA-PSS");

    measure("C_Sign(RSA-2048,SHA256_RSA_PKCS,1KiB)", run, &rsa, session, nRsa, reps);
    measure("C_Sign(EC-P256,ECDSA,32B)", run, &ec, session, nEc, reps);
    measure("C_Sign(RSA-2048,SHA256_RSA_PKCS_PSS,1KiB)", run, &pss, session, nRsa, reps);

    check("C_Logout", f->C_Logout(session));
    check("C_CloseSession", f->C_CloseSession(session));
    check("C_Finalize", f->C_Finalize(NULL));
    return 0;
}
