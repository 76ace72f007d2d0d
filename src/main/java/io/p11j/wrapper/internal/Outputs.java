// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper.internal;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import io.p11j.sys.Abi;
import io.p11j.sys.NativeArena;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.sys.Pkcs11Function;
import io.p11j.sys.TwoCall;
import io.p11j.wrapper.Pkcs11Errors;

import static io.p11j.sys.Pkcs11Constants.CKR_BUFFER_TOO_SMALL;
import static io.p11j.sys.Pkcs11Constants.CKR_OK;

/**
 * Output of an operation whose length the wrapper can guess: one call with a buffer of the guessed
 * size, and the two-call convention only when the guess was too small. Halves the native calls of
 * hot operations (sign, encrypt, digest) compared with always asking for the length first; PKCS#11
 * keeps the operation active after {@code CKR_BUFFER_TOO_SMALL}, so the retry is safe.
 */
public final class Outputs {

    private Outputs() {
    }

    /** Calls with a {@code hint}-byte buffer; on {@code CKR_BUFFER_TOO_SMALL} allocates what the module asks for. */
    public static byte[] bytes(Pkcs11Function function, NativeArena arena, long hint, TwoCall.Call call)
            throws Pkcs11Exception {
        Abi abi = arena.abi();
        Pointer length = arena.allocate(abi.ulongSize());
        long size = Math.max(hint, 1);
        for (int round = 0; round < 3; round++) {
            Pointer out = arena.allocate(size);
            abi.setULong(length, 0, size);
            long rv = call.invoke(out, length);
            long reported = abi.getULong(length, 0);
            if (rv == CKR_OK) {
                return reported == 0 ? new byte[0] : out.getByteArray(0, (int) reported);
            }
            if (rv != CKR_BUFFER_TOO_SMALL) {
                throw Pkcs11Errors.of(function, rv);
            }
            if (reported <= size) {
                // The module did not say how much it needs: ask the way the spec prescribes.
                abi.setULong(length, 0, 0);
                rv = call.invoke(Pointer.NULL, length);
                Pkcs11Errors.check(function, rv);
                reported = abi.getULong(length, 0);
                if (reported <= size) {
                    reported = size * 2;
                }
            }
            size = reported;
        }
        throw new Pkcs11Exception(function, CKR_BUFFER_TOO_SMALL, "output size kept growing");
    }
}
