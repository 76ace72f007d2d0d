// SPDX-License-Identifier: Apache-2.0
package io.p11j.sys;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;

import static io.p11j.sys.Pkcs11Constants.CKR_BUFFER_TOO_SMALL;
import static io.p11j.sys.Pkcs11Constants.CKR_OK;

/**
 * The PKCS#11 convention for output of unknown length, handled in one place: call with a NULL
 * buffer to learn the length, allocate, call again. If the second call answers
 * {@code CKR_BUFFER_TOO_SMALL} (the output grew in between, e.g. a slot appeared), the length it
 * reports is used for another round, a bounded number of times.
 *
 * <p>Suitable for functions whose size query has no side effect: {@code C_GetSlotList},
 * {@code C_GetMechanismList}, {@code C_GetOperationState}, and single-part {@code C_Sign},
 * {@code C_Encrypt}, {@code C_Digest} … (for those the spec keeps the operation active after a
 * length query and after {@code CKR_BUFFER_TOO_SMALL}).
 */
public final class TwoCall {

    private static final int MAX_ROUNDS = 4;

    /** A call taking an output buffer and a pointer to its length in elements. */
    @FunctionalInterface
    public interface Call {
        long invoke(Pointer buffer, Pointer pulLength);
    }

    private TwoCall() {
    }

    /** The output of {@code call} as bytes. */
    public static byte[] bytes(Pkcs11Function function, Abi abi, Call call) throws Pkcs11Exception {
        Result r = run(function, abi, 1, call);
        return r.count == 0 ? new byte[0] : r.buffer.getByteArray(0, (int) r.count);
    }

    /** The output of {@code call} as {@code CK_ULONG}s (slot IDs, mechanism types, handles). */
    public static long[] ulongs(Pkcs11Function function, Abi abi, Call call) throws Pkcs11Exception {
        Result r = run(function, abi, abi.ulongSize(), call);
        return r.count == 0 ? new long[0] : abi.getULongArray(r.buffer, 0, (int) r.count);
    }

    /** The output of {@code call} as {@code count} elements of {@code elementSize} bytes (e.g. structures); null memory when empty. */
    public static Result elements(Pkcs11Function function, Abi abi, long elementSize, Call call) throws Pkcs11Exception {
        return run(function, abi, elementSize, call);
    }

    /** Elements returned by a two-call function. */
    public record Result(Memory buffer, long count) {
    }

    private static Result run(Pkcs11Function function, Abi abi, long elementSize, Call call) throws Pkcs11Exception {
        Memory length = new Memory(abi.ulongSize());
        abi.setULong(length, 0, 0);
        long rv = call.invoke(Pointer.NULL, length);
        Pkcs11Exception.check(function, rv);
        long count = abi.getULong(length, 0);
        for (int round = 0; round < MAX_ROUNDS; round++) {
            if (count == 0) {
                return new Result(null, 0);
            }
            Memory buffer = new Memory(count * elementSize);
            abi.setULong(length, 0, count);
            rv = call.invoke(buffer, length);
            long reported = abi.getULong(length, 0);
            if (rv == CKR_OK) {
                return new Result(buffer, reported);
            }
            if (rv != CKR_BUFFER_TOO_SMALL) {
                throw new Pkcs11Exception(function, rv);
            }
            // Grew between the calls: some modules report the new length, others leave it; grow either way.
            count = Math.max(reported, count + 1);
        }
        throw new Pkcs11Exception(function, CKR_BUFFER_TOO_SMALL, "output kept growing for " + MAX_ROUNDS + " rounds");
    }
}
