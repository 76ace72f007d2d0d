// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.token;

import java.security.GeneralSecurityException;

/** A token could not be opened: module, selection or login. Each caller turns it into its own JCA contract. */
public final class TokenOpenException extends GeneralSecurityException {

    private static final long serialVersionUID = 1L;

    private final boolean loginFailed;

    TokenOpenException(String message, Throwable cause, boolean loginFailed) {
        super(message, cause);
        this.loginFailed = loginFailed;
    }

    /** Whether the token was found and only the login (the PIN) failed. */
    public boolean loginFailed() {
        return loginFailed;
    }
}
