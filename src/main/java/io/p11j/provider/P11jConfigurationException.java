// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider;

import java.security.InvalidParameterException;

/**
 * The provider's configuration does not lead to a usable token: the module cannot be loaded, the URI
 * matches no token or several (the message lists the URIs of the tokens present, to copy the right
 * one), or the login failed. It is an {@link InvalidParameterException}, which is what
 * {@code Provider.configure} documents; the cause says more.
 */
public class P11jConfigurationException extends InvalidParameterException {

    private static final long serialVersionUID = 1L;

    public P11jConfigurationException(String message, Throwable cause) {
        super(message);
        if (cause != null) {
            initCause(cause);
        }
    }
}
