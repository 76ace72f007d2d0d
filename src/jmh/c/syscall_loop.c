// SPDX-License-Identifier: Apache-2.0
//
// The C baseline for io.p11j.bench.SysCallBenchmark: the same two PKCS#11 calls, in a tight loop,
// straight through the module's function list, so the per-call cost of the Java sys layer can be
// read as "p11j ns/op minus C ns/op" on the same machine, in the same run (scripts/bench.sh).
//
//   syscall_loop MODULE TOKEN_LABEL [RANDOM_ITERATIONS [SESSION_INFO_ITERATIONS [REPETITIONS]]]
//
// dlopen()s MODULE, C_GetFunctionList, C_Initialize(CKF_OS_LOCKING_OK), finds the initialized token
// labelled TOKEN_LABEL (C_GetSlotList + C_GetTokenInfo), opens a read-only session (no login),
// warms up, then times RANDOM_ITERATIONS calls of C_GenerateRandom(session, buf, 32) and
// SESSION_INFO_ITERATIONS calls of C_GetSessionInfo, REPETITIONS times each (CLOCK_MONOTONIC).
// Prints one line per repetition and, per call, a machine-readable line:
//
//   RESULT <call> median_ns_per_op=<x> min=<x> max=<x> iterations=<n> repetitions=<r>
//
// Exits non-zero on any failure. Build: gcc -O2 -I/usr/include/p11-kit-1/p11-kit syscall_loop.c -ldl

#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pkcs11.h"

static CK_FUNCTION_LIST_PTR f;
static volatile CK_RV sink;

static void die_rv(const char *what, CK_RV rv) {
    fprintf(stderr, "syscall_loop: %s failed: CK_RV 0x%08lx\n", what, (unsigned long) rv);
    exit(2);
}

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec * 1e9 + (double) ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y ? 1 : 0;
}

static CK_SLOT_ID find_slot(const char *label) {
    CK_ULONG n = 0;
    CK_RV rv = f->C_GetSlotList(CK_TRUE, NULL, &n);
    if (rv != CKR_OK) die_rv("C_GetSlotList", rv);
    CK_SLOT_ID *slots = calloc(n ? n : 1, sizeof *slots);
    rv = f->C_GetSlotList(CK_TRUE, slots, &n);
    if (rv != CKR_OK) die_rv("C_GetSlotList", rv);
    size_t len = strlen(label);
    for (CK_ULONG i = 0; i < n; i++) {
        CK_TOKEN_INFO ti;
        rv = f->C_GetTokenInfo(slots[i], &ti);
        if (rv != CKR_OK) die_rv("C_GetTokenInfo", rv);
        if (!(ti.flags & CKF_TOKEN_INITIALIZED) || len > sizeof ti.label) continue;
        if (memcmp(ti.label, label, len) != 0) continue;
        int padded = 1;
        for (size_t j = len; j < sizeof ti.label; j++) padded &= ti.label[j] == ' ';
        if (padded) {
            CK_SLOT_ID s = slots[i];
            free(slots);
            return s;
        }
    }
    fprintf(stderr, "syscall_loop: no initialized token labelled '%s' among %lu slots\n", label, (unsigned long) n);
    exit(2);
}

enum call { GENERATE_RANDOM_32, GET_SESSION_INFO };

// One timed loop; the body is exactly the call, as the Java benchmark method is.
static double run(enum call which, CK_SESSION_HANDLE session, long iterations) {
    CK_BYTE buf[32];
    CK_SESSION_INFO info;
    CK_RV acc = 0;
    double t0 = now_ns();
    if (which == GENERATE_RANDOM_32) {
        for (long i = 0; i < iterations; i++) acc |= f->C_GenerateRandom(session, buf, sizeof buf);
    } else {
        for (long i = 0; i < iterations; i++) acc |= f->C_GetSessionInfo(session, &info);
    }
    double t1 = now_ns();
    if (acc != CKR_OK) die_rv(which == GENERATE_RANDOM_32 ? "C_GenerateRandom" : "C_GetSessionInfo", acc);
    sink = acc;
    return (t1 - t0) / (double) iterations;
}

static void measure(const char *name, enum call which, CK_SESSION_HANDLE session, long iterations, int reps) {
    double *r = calloc((size_t) reps, sizeof *r);
    run(which, session, iterations / 10 > 0 ? iterations / 10 : 1); // warm-up: caches, branch predictors, CPU clock
    for (int i = 0; i < reps; i++) {
        r[i] = run(which, session, iterations);
        printf("%s rep %d: %.1f ns/op (%ld iterations)\n", name, i + 1, r[i], iterations);
        fflush(stdout);
    }
    qsort(r, (size_t) reps, sizeof *r, cmp_double);
    double median = reps % 2 ? r[reps / 2] : (r[reps / 2 - 1] + r[reps / 2]) / 2;
    printf("RESULT %s median_ns_per_op=%.1f min=%.1f max=%.1f iterations=%ld repetitions=%d\n",
           name, median, r[0], r[reps - 1], iterations, reps);
    fflush(stdout);
    free(r);
}

int main(int argc, char **argv) {
    if (argc < 3 || argc > 6) {
        fprintf(stderr, "usage: %s MODULE TOKEN_LABEL [RANDOM_ITERATIONS [SESSION_INFO_ITERATIONS [REPETITIONS]]]\n", argv[0]);
        return 64;
    }
    const char *module = argv[1], *label = argv[2];
    long nRandom = argc > 3 ? atol(argv[3]) : 500000;
    long nInfo = argc > 4 ? atol(argv[4]) : 2000000;
    int reps = argc > 5 ? atoi(argv[5]) : 5;
    if (nRandom < 1 || nInfo < 1 || reps < 1) {
        fprintf(stderr, "syscall_loop: iterations and repetitions must be positive\n");
        return 64;
    }

    void *lib = dlopen(module, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "syscall_loop: dlopen %s: %s\n", module, dlerror());
        return 2;
    }
    CK_C_GetFunctionList getFunctionList = (CK_C_GetFunctionList) dlsym(lib, "C_GetFunctionList");
    if (!getFunctionList) {
        fprintf(stderr, "syscall_loop: %s exports no C_GetFunctionList\n", module);
        return 2;
    }
    CK_RV rv = getFunctionList(&f);
    if (rv != CKR_OK || !f) die_rv("C_GetFunctionList", rv);

    CK_C_INITIALIZE_ARGS init;
    memset(&init, 0, sizeof init);
    init.flags = CKF_OS_LOCKING_OK;
    rv = f->C_Initialize(&init);
    if (rv != CKR_OK) die_rv("C_Initialize", rv);

    CK_SLOT_ID slot = find_slot(label);
    CK_SESSION_HANDLE session;
    rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &session);
    if (rv != CKR_OK) die_rv("C_OpenSession", rv);
    printf("module %s, token '%s' in slot %lu, session %lu\n", module, label, (unsigned long) slot, (unsigned long) session);

    measure("C_GenerateRandom(32)", GENERATE_RANDOM_32, session, nRandom, reps);
    measure("C_GetSessionInfo", GET_SESSION_INFO, session, nInfo, reps);

    rv = f->C_CloseSession(session);
    if (rv != CKR_OK) die_rv("C_CloseSession", rv);
    rv = f->C_Finalize(NULL);
    if (rv != CKR_OK) die_rv("C_Finalize", rv);
    return 0;
}
