// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider;

import io.p11j.uri.Pkcs11Uri;
import io.p11j.uri.Pkcs11UriSyntaxException;

import java.security.KeyStore;
import java.util.Objects;

/**
 * What {@code KeyStore.load(LoadStoreParameter)} of the {@code PKCS11-URI} KeyStore takes to name
 * its token: a {@code pkcs11:} URI (module, token, and optionally a {@code pin-source}), and how to
 * get the PIN — a {@link KeyStore.PasswordProtection}, a {@link KeyStore.CallbackHandlerProtection},
 * or null to use the URI's PIN source (or no login).
 *
 * <pre>{@code
 * KeyStore ks = KeyStore.getInstance("PKCS11-URI", new P11jProvider());
 * ks.load(new P11jKeyStoreParameter("pkcs11:token=demo?module-path=/usr/lib/softhsm/libsofthsm2.so",
 *         new KeyStore.CallbackHandlerProtection(handler)));
 * }</pre>
 *
 * A configured provider's KeyStore also accepts any {@code LoadStoreParameter} (its token is known);
 * with this one it opens the token the URI names, if the configuration allows its module.
 */
public final class P11jKeyStoreParameter implements KeyStore.LoadStoreParameter {

    private final Pkcs11Uri uri;
    private final KeyStore.ProtectionParameter protection;

    /** @throws IllegalArgumentException when {@code uri} is not a valid {@code pkcs11:} URI (the message never shows a PIN) */
    public P11jKeyStoreParameter(String uri, KeyStore.ProtectionParameter protection) {
        this(parse(uri), protection);
    }

    public P11jKeyStoreParameter(Pkcs11Uri uri, KeyStore.ProtectionParameter protection) {
        this.uri = Objects.requireNonNull(uri, "uri");
        this.protection = protection;
    }

    private static Pkcs11Uri parse(String uri) {
        try {
            return Pkcs11Uri.parse(Objects.requireNonNull(uri, "uri"));
        } catch (Pkcs11UriSyntaxException e) {
            throw new IllegalArgumentException("not a valid pkcs11: URI: " + e.getMessage(), e);
        }
    }

    /** The token's URI. */
    public Pkcs11Uri uri() {
        return uri;
    }

    @Override
    public KeyStore.ProtectionParameter getProtectionParameter() {
        return protection;
    }

    @Override
    public String toString() {
        return "P11jKeyStoreParameter[" + uri + "]"; // Pkcs11Uri.toString masks a pin-value
    }
}
