// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.keystore;

import io.p11j.wrapper.PinSupplier;

import javax.security.auth.callback.CallbackHandler;
import java.util.Arrays;

/**
 * How a KeyStore was told the PIN at {@code load}: a copy of the password, or a
 * {@code CallbackHandler} to ask. Kept for what needs a PIN later — logging in to another token
 * named by a URI alias, and context-specific logins for {@code CKA_ALWAYS_AUTHENTICATE} keys.
 * Wiped when the KeyStore is loaded again. Never printed.
 */
final class Protection implements AutoCloseable {

    private static final Protection NONE = new Protection(null, null);

    private char[] pin;
    private final CallbackHandler handler;

    private Protection(char[] pin, CallbackHandler handler) {
        this.pin = pin;
        this.handler = handler;
    }

    static Protection none() {
        return NONE;
    }

    /** A copy of {@code pin} (the caller's array is the caller's to wipe); none when null. */
    static Protection of(char[] pin) {
        return pin == null ? NONE : new Protection(pin.clone(), null);
    }

    static Protection of(CallbackHandler handler) {
        return handler == null ? NONE : new Protection(null, handler);
    }

    synchronized boolean isPresent() {
        return pin != null || handler != null;
    }

    /** A new supplier of this PIN (its own copy, or asking the handler with {@code prompt}); null when there is none. */
    synchronized PinSupplier supplier(String prompt) {
        if (pin != null) {
            return PinSupplier.of(pin);
        }
        return handler == null ? null : PinSupplier.fromCallback(handler, prompt);
    }

    @Override
    public synchronized void close() {
        if (pin != null) {
            Arrays.fill(pin, '\0');
            pin = null;
        }
    }

    @Override
    public String toString() {
        return "Protection[" + (pin != null ? "PIN" : handler != null ? "callback" : "none") + "]";
    }
}
