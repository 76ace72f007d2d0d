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

#define PROGRAM "syscall_loop"
#include "bench_common.h"

static volatile CK_RV sink;





enum call { GENERATE_RANDOM_32, GET_SESSION_INFO };

// One timed loop; the body is exactly the call, as the Java benchmark method is.
static double run(const void *ctx, CK_SESSION_HANDLE session, long iterations) {
    enum call which = *(const enum call *) ctx;
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

    load_module(module);
    CK_RV rv;

    CK_SLOT_ID slot = find_slot(label);
    CK_SESSION_HANDLE session;
    rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &session);
    if (rv != CKR_OK) die_rv("C_OpenSession", rv);
    printf("module %s, token '%s' in slot %lu, session %lu\n", module, label, (unsigned long) slot, (unsigned long) session);

    static const enum call random32 = GENERATE_RANDOM_32, sessionInfo = GET_SESSION_INFO;
    measure("C_GenerateRandom(32)", run, &random32, session, nRandom, reps);
    measure("C_GetSessionInfo", run, &sessionInfo, session, nInfo, reps);

    rv = f->C_CloseSession(session);
    if (rv != CKR_OK) die_rv("C_CloseSession", rv);
    rv = f->C_Finalize(NULL);
    if (rv != CKR_OK) die_rv("C_Finalize", rv);
    return 0;
}
