// SPDX-License-Identifier: Apache-2.0
package io.p11j.uri;

import java.io.IOException;

/**
 * A {@code pin-source} was refused or its PIN could not be read: a scheme other than
 * {@code file:}, a relative path, a file that others can write, a file that is not a regular file,
 * too large, or not UTF-8. The message says which and how to fix it; it never holds the PIN.
 */
public final class PinSourceException extends IOException {

    private static final long serialVersionUID = 1L;

    PinSourceException(String message) {
        super(message);
    }
}
