// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

import io.p11j.sys.Pkcs11Exception;
import io.p11j.sys.Pkcs11Function;

import static io.p11j.sys.Pkcs11Constants.*;

/**
 * Turns a {@code CK_RV} into the typed exception callers act on. The one table of the wrapper's
 * error model: every subtype below is a {@link Pkcs11Exception} carrying the code and the function.
 */
public final class Pkcs11Errors {

    private Pkcs11Errors() {
    }

    /** Throws the typed exception for {@code rv} unless it is {@code CKR_OK}. */
    public static void check(Pkcs11Function function, long rv) throws Pkcs11Exception {
        if (rv != CKR_OK) {
            throw of(function, rv);
        }
    }

    /** The typed exception for a non-OK {@code rv}. */
    public static Pkcs11Exception of(Pkcs11Function function, long rv) {
        if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_INVALID || rv == CKR_PIN_LEN_RANGE) {
            return new PinIncorrectException(function, rv);
        }
        if (rv == CKR_PIN_LOCKED || rv == CKR_PIN_EXPIRED) {
            return new PinLockedException(function, rv);
        }
        if (rv == CKR_USER_NOT_LOGGED_IN) {
            return new NotLoggedInException(function, rv);
        }
        if (rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED) {
            return new SessionInvalidException(function, rv);
        }
        if (rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_DEVICE_REMOVED || rv == CKR_TOKEN_NOT_RECOGNIZED) {
            return new TokenNotPresentException(function, rv);
        }
        if (rv == CKR_DEVICE_ERROR || rv == CKR_CRYPTOKI_NOT_INITIALIZED || rv == CKR_GENERAL_ERROR
                || rv == CKR_DEVICE_MEMORY || rv == CKR_HOST_MEMORY) {
            return new DeviceException(function, rv);
        }
        if (rv == CKR_KEY_HANDLE_INVALID || rv == CKR_KEY_TYPE_INCONSISTENT || rv == CKR_KEY_SIZE_RANGE
                || rv == CKR_KEY_FUNCTION_NOT_PERMITTED || rv == CKR_KEY_NOT_WRAPPABLE || rv == CKR_KEY_UNEXTRACTABLE
                || rv == CKR_OBJECT_HANDLE_INVALID || rv == CKR_WRAPPING_KEY_HANDLE_INVALID
                || rv == CKR_WRAPPING_KEY_TYPE_INCONSISTENT || rv == CKR_UNWRAPPING_KEY_HANDLE_INVALID
                || rv == CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT) {
            return new KeyInvalidException(function, rv);
        }
        if (rv == CKR_MECHANISM_INVALID || rv == CKR_MECHANISM_PARAM_INVALID) {
            return new MechanismInvalidException(function, rv);
        }
        if (rv == CKR_BUFFER_TOO_SMALL || rv == CKR_DATA_LEN_RANGE || rv == CKR_ENCRYPTED_DATA_LEN_RANGE
                || rv == CKR_SIGNATURE_LEN_RANGE || rv == CKR_DATA_INVALID || rv == CKR_ENCRYPTED_DATA_INVALID
                || rv == CKR_WRAPPED_KEY_LEN_RANGE || rv == CKR_WRAPPED_KEY_INVALID) {
            return new DataException(function, rv);
        }
        return new Pkcs11Exception(function, rv);
    }

    /**
     * {@code e} as its typed subtype: the sys layer's helpers ({@code TwoCall}) throw plain
     * {@link Pkcs11Exception}s, which the wrapper must not pass on untyped. An exception that is
     * already typed, or whose code has no subtype, is returned as it is.
     */
    public static Pkcs11Exception typed(Pkcs11Exception e) {
        if (e.getClass() != Pkcs11Exception.class) {
            return e;
        }
        Pkcs11Exception t = of(e.function(), e.rv());
        if (t.getClass() == Pkcs11Exception.class) {
            return e;
        }
        t.setStackTrace(e.getStackTrace());
        return t;
    }

    /** Whether {@code rv} means the session (or all sessions of the token) are gone and must be reopened. */
    public static boolean isSessionLost(long rv) {
        return rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED || rv == CKR_TOKEN_NOT_PRESENT
                || rv == CKR_DEVICE_REMOVED || rv == CKR_DEVICE_ERROR || rv == CKR_CRYPTOKI_NOT_INITIALIZED
                || rv == CKR_TOKEN_NOT_RECOGNIZED;
    }

    /** A wrong PIN (or one the token refuses as a PIN). */
    public static final class PinIncorrectException extends Pkcs11Exception {
        private static final long serialVersionUID = 1L;

        PinIncorrectException(Pkcs11Function f, long rv) {
            super(f, rv);
        }

        PinIncorrectException(Pkcs11Function f, long rv, String context) {
            super(f, rv, context);
        }
    }

    /** The PIN is locked or expired: no login until an SO acts. */
    public static final class PinLockedException extends Pkcs11Exception {
        private static final long serialVersionUID = 1L;

        PinLockedException(Pkcs11Function f, long rv) {
            super(f, rv);
        }
    }

    /** The operation needs a logged-in user (also what a restarted token answers). */
    public static final class NotLoggedInException extends Pkcs11Exception {
        private static final long serialVersionUID = 1L;

        NotLoggedInException(Pkcs11Function f, long rv) {
            super(f, rv);
        }
    }

    /** The session handle is no longer valid (closed, or dropped by the token). */
    public static final class SessionInvalidException extends Pkcs11Exception {
        private static final long serialVersionUID = 1L;

        SessionInvalidException(Pkcs11Function f, long rv) {
            super(f, rv);
        }
    }

    /** The token was removed or is not present. */
    public static final class TokenNotPresentException extends Pkcs11Exception {
        private static final long serialVersionUID = 1L;

        TokenNotPresentException(Pkcs11Function f, long rv) {
            super(f, rv);
        }
    }

    /** The device or the module failed ({@code CKR_DEVICE_ERROR}, not initialized, general error, memory). */
    public static final class DeviceException extends Pkcs11Exception {
        private static final long serialVersionUID = 1L;

        DeviceException(Pkcs11Function f, long rv) {
            super(f, rv);
        }
    }

    /** The key (or object) is invalid, of the wrong type, or not permitted for this use. */
    public static final class KeyInvalidException extends Pkcs11Exception {
        private static final long serialVersionUID = 1L;

        KeyInvalidException(Pkcs11Function f, long rv) {
            super(f, rv);
        }
    }

    /** The mechanism or its parameter is not supported or invalid. */
    public static final class MechanismInvalidException extends Pkcs11Exception {
        private static final long serialVersionUID = 1L;

        MechanismInvalidException(Pkcs11Function f, long rv) {
            super(f, rv);
        }
    }

    /** Data, signature or buffer length out of range, or data invalid. */
    public static final class DataException extends Pkcs11Exception {
        private static final long serialVersionUID = 1L;

        DataException(Pkcs11Function f, long rv) {
            super(f, rv);
        }
    }
}
