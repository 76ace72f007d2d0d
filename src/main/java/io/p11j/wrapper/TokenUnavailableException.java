// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

import io.p11j.sys.Pkcs11Exception;
import io.p11j.sys.Pkcs11Function;

/**
 * The token did not come back within the configured time (or cannot be recovered at all), or no
 * session became free in time. The cause, when there is one, is the last error seen.
 */
public final class TokenUnavailableException extends Pkcs11Exception {

    private static final long serialVersionUID = 1L;

    TokenUnavailableException(Pkcs11Function function, long rv, String message, Throwable cause) {
        super(function, rv, message);
        if (cause != null) {
            initCause(cause);
        }
    }
}
