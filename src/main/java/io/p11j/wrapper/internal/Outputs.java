// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper.internal;

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

    /** Calls with a {@code hint}-byte buffer; on {@code CKR_BUFFER_TOO_SMALL} falls back to {@link TwoCall}. */
    public static byte[] bytes(Pkcs11Function function, NativeArena arena, long hint, TwoCall.Call call)
            throws Pkcs11Exception {
        Abi abi = arena.abi();
        Pointer length = arena.allocate(abi.ulongSize());
        long size = Math.max(hint, 1);
        Pointer out = arena.allocate(size);
        abi.setULong(length, 0, size);
        long rv = call.invoke(out, length);
        if (rv == CKR_OK) {
            long n = abi.getULong(length, 0);
            return n == 0 ? new byte[0] : out.getByteArray(0, (int) n);
        }
        if (rv != CKR_BUFFER_TOO_SMALL) {
            throw Pkcs11Errors.of(function, rv);
        }
        try {
            return TwoCall.bytes(function, abi, call); // the guess was short: the spec's way, length first
        } catch (Pkcs11Exception e) {
            throw Pkcs11Errors.typed(e);
        }
    }
}
