// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.token;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;

/**
 * The randomness the provider uses for itself (object ids, IVs, padding seeds when the caller gives
 * none): the JDK's own DRBG, named explicitly. {@code new SecureRandom()} would be the first
 * provider's, which is P11J's token when P11J stands first in the provider list: every id and IV
 * would then be a token round trip, and a token other than the key's.
 */
public final class JdkRandom {

    private static final SecureRandom INSTANCE = create();

    private JdkRandom() {
    }

    /** A shared, thread-safe instance of {@code SecureRandom.getInstance("DRBG", "SUN")}. */
    public static SecureRandom get() {
        return INSTANCE;
    }

    /** {@code length} random bytes. */
    public static byte[] bytes(int length) {
        byte[] b = new byte[length];
        INSTANCE.nextBytes(b);
        return b;
    }

    private static SecureRandom create() {
        try {
            return SecureRandom.getInstance("DRBG", "SUN");
        } catch (GeneralSecurityException e) {
            throw new ExceptionInInitializerError(e); // the JDK's SUN provider has DRBG from JDK 9 on
        }
    }
}
