// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider;

import io.p11j.uri.Pkcs11Uri;

import java.security.Key;

/**
 * A key that lives on a PKCS#11 token, as the P11J provider hands it out: private and secret keys
 * are references to token objects (their values never leave a sensitive key), public keys are also
 * ordinary {@code java.security} public keys that any provider can use.
 */
public interface P11jKey extends Key {

    /**
     * The key's {@code pkcs11:} URI: the token's attributes and the object's label, type and id —
     * what a user copies into a configuration, into {@code KeyStore.getKey}, or into OpenSSL. Never
     * carries a PIN.
     */
    Pkcs11Uri uri();

    /** The object's {@code CKA_LABEL}, or null. */
    String label();

    /** A copy of the object's {@code CKA_ID}, or null. */
    byte[] id();

    /** Whether the key is a token object (persistent), not a session object that dies with the session. */
    boolean isTokenObject();

    /** Whether the token keeps the key's value secret ({@code CKA_SENSITIVE}); false for public keys. */
    boolean isSensitive();

    /** Whether the token lets the key be wrapped ({@code CKA_EXTRACTABLE}). */
    boolean isExtractable();
}
