// SPDX-License-Identifier: Apache-2.0
//
// What the C baselines of the benchmarks (syscall_loop.c, sign_loop.c) share: loading a module
// through its function list, finding a token by label, timing. Each program defines PROGRAM (its
// name, for messages) before including this file. Header-only: each program is one translation unit.

#ifndef P11J_BENCH_COMMON_H
#define P11J_BENCH_COMMON_H

#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pkcs11.h"

static CK_FUNCTION_LIST_PTR f;

static void die_rv(const char *what, CK_RV rv) {
    fprintf(stderr, PROGRAM ": %s failed: CK_RV 0x%08lx\n", what, (unsigned long) rv);
    exit(2);
}

static void check(const char *what, CK_RV rv) {
    if (rv != CKR_OK) die_rv(what, rv);
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

// dlopen(module), C_GetFunctionList into f, C_Initialize(CKF_OS_LOCKING_OK) — as the Java side does.
static void load_module(const char *module) {
    void *lib = dlopen(module, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, PROGRAM ": dlopen %s: %s\n", module, dlerror());
        exit(2);
    }
    CK_C_GetFunctionList getFunctionList = (CK_C_GetFunctionList) dlsym(lib, "C_GetFunctionList");
    if (!getFunctionList) {
        fprintf(stderr, PROGRAM ": %s exports no C_GetFunctionList\n", module);
        exit(2);
    }
    CK_RV rv = getFunctionList(&f);
    if (rv != CKR_OK || !f) die_rv("C_GetFunctionList", rv);
    CK_C_INITIALIZE_ARGS init;
    memset(&init, 0, sizeof init);
    init.flags = CKF_OS_LOCKING_OK;
    check("C_Initialize", f->C_Initialize(&init));
}

// The slot of the initialized token whose blank-padded label is label.
static CK_SLOT_ID find_slot(const char *label) {
    CK_ULONG n = 0;
    check("C_GetSlotList", f->C_GetSlotList(CK_TRUE, NULL, &n));
    CK_SLOT_ID *slots = calloc(n ? n : 1, sizeof *slots);
    check("C_GetSlotList", f->C_GetSlotList(CK_TRUE, slots, &n));
    size_t len = strlen(label);
    for (CK_ULONG i = 0; i < n; i++) {
        CK_TOKEN_INFO ti;
        check("C_GetTokenInfo", f->C_GetTokenInfo(slots[i], &ti));
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
    fprintf(stderr, PROGRAM ": no initialized token labelled '%s' among %lu slots\n", label, (unsigned long) n);
    exit(2);
}

// Warms up, then times `reps` repetitions of run(ctx, session, iterations) — which returns ns/op and
// holds the tight loop itself — printing each and a machine-readable median line:
//   RESULT <name> median_ns_per_op=<x> min=<x> max=<x> iterations=<n> repetitions=<r>
typedef double (*timed_loop)(const void *ctx, CK_SESSION_HANDLE session, long iterations);

static void measure(const char *name, timed_loop run, const void *ctx, CK_SESSION_HANDLE session,
                    long iterations, int reps) {
    double *r = calloc((size_t) reps, sizeof *r);
    run(ctx, session, iterations / 10 > 0 ? iterations / 10 : 1); // warm-up: caches, branch predictors, CPU clock
    for (int i = 0; i < reps; i++) {
        r[i] = run(ctx, session, iterations);
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

#endif
