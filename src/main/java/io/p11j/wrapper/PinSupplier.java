// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

import javax.security.auth.callback.Callback;
import javax.security.auth.callback.CallbackHandler;
import javax.security.auth.callback.PasswordCallback;
import javax.security.auth.callback.UnsupportedCallbackException;
import java.io.IOException;
import java.util.Arrays;
import java.util.Objects;

/**
 * Where a {@link SessionPool} gets the PIN for a login — the first one and every one after a
 * recovery. Each call returns a fresh {@code char[]} that the caller wipes.
 *
 * <ul>
 *   <li>{@link #of(char[])}: a PIN handed over directly, kept for re-logins in a holder that is wiped
 *       on {@link #close()} and never printed; {@link #once(char[])} keeps it for the first login only;</li>
 *   <li>{@link #fromCallback(CallbackHandler, String)}: asks a {@code PasswordCallback} every time;</li>
 *   <li>{@link #protectedAuthenticationPath()}: no PIN, the token's PIN pad does it;</li>
 *   <li>or any implementation, e.g. one that reads a {@code pin-source} file again each time.</li>
 * </ul>
 */
public interface PinSupplier extends AutoCloseable {

    /** A fresh copy of the PIN, or null for a protected-authentication-path login. */
    char[] pin() throws IOException;

    /** Wipes what the supplier holds. */
    @Override
    default void close() {
    }

    /** A PIN kept (in a wiped-on-close holder) so that the pool can log in again after a recovery. */
    static PinSupplier of(char[] pin) {
        return new Held(pin, true);
    }

    /** A PIN used for the first login only and wiped right after: recovery then needs a new {@code login}. */
    static PinSupplier once(char[] pin) {
        return new Held(pin, false);
    }

    /** Asks {@code handler} for the PIN each time, with {@code prompt}. */
    static PinSupplier fromCallback(CallbackHandler handler, String prompt) {
        Objects.requireNonNull(handler, "handler");
        return () -> {
            PasswordCallback cb = new PasswordCallback(prompt, false);
            try {
                handler.handle(new Callback[] {cb});
                char[] p = cb.getPassword();
                if (p == null) {
                    throw new IOException("the callback handler gave no PIN");
                }
                return p; // PasswordCallback returns a copy
            } catch (UnsupportedCallbackException e) {
                throw new IOException("the callback handler cannot answer a PasswordCallback", e);
            } finally {
                cb.clearPassword();
            }
        };
    }

    /**
     * The PIN a {@code pkcs11:} URI carries: its {@code pin-source}, read again at every login (so an
     * updated file is picked up), or its {@code pin-value}, held like {@link #of(char[])}. Empty when
     * the URI has neither.
     */
    static java.util.Optional<PinSupplier> fromUri(io.p11j.uri.Pkcs11Uri uri) throws io.p11j.uri.PinSourceException {
        java.util.Optional<io.p11j.uri.PinSource> source = io.p11j.uri.PinSource.of(uri);
        if (source.isPresent()) {
            io.p11j.uri.PinSource s = source.get();
            return java.util.Optional.of(s::readPin);
        }
        java.util.Optional<char[]> value = uri.pinValue();
        if (value.isPresent()) {
            char[] v = value.get();
            try {
                return java.util.Optional.of(of(v));
            } finally {
                Arrays.fill(v, '\0');
            }
        }
        return java.util.Optional.empty();
    }

    /** No PIN: log in through the token's protected authentication path. */
    static PinSupplier protectedAuthenticationPath() {
        return () -> null;
    }

    /** A PIN in memory: a copy of the caller's array, wiped on close (or after first use when not kept). */
    final class Held implements PinSupplier {
        private char[] pin;
        private final boolean keep;

        private Held(char[] pin, boolean keep) {
            this.pin = Objects.requireNonNull(pin, "pin").clone();
            this.keep = keep;
        }

        @Override
        public synchronized char[] pin() throws IOException {
            if (pin == null) {
                throw new IOException("the PIN is no longer held (not kept, or closed): log in again with a PIN");
            }
            char[] copy = pin.clone();
            if (!keep) {
                close();
            }
            return copy;
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
            return "PinSupplier.Held[" + (pin == null ? "wiped" : "held") + "]";
        }
    }
}
