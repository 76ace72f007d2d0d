// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.random;

import io.p11j.provider.token.Errors;
import io.p11j.provider.token.TokenContext;
import io.p11j.sys.Pkcs11Exception;

import java.security.SecureRandomSpi;

import static io.p11j.sys.Pkcs11Constants.*;

/**
 * {@code SecureRandom} from the token's RNG: every {@code nextBytes} is one {@code C_GenerateRandom}
 * on a pooled session, unbuffered (no random bytes wait in the JVM's memory).
 *
 * <p>{@code setSeed} passes the seed to {@code C_SeedRandom}; a token that takes no seed
 * ({@code CKR_RANDOM_SEED_NOT_SUPPORTED}, or no such function) is fine, since a seed only
 * supplements the generator's own entropy and never replaces it.
 *
 * <p>Thread-safe (registered with {@code ThreadSafe=true}): no state but the token context.
 */
public final class P11SecureRandom extends SecureRandomSpi {

    private static final long serialVersionUID = 1L;
    /** Largest single {@code C_GenerateRandom}: bounds the native buffer of a huge request. */
    private static final int CHUNK = 64 * 1024;

    private final transient TokenContext context;

    P11SecureRandom(TokenContext context) {
        this.context = context;
    }

    @Override
    protected void engineSetSeed(byte[] seed) {
        if (seed == null || seed.length == 0) {
            return;
        }
        try {
            context.execute(s -> {
                s.seedRandom(seed);
                return null;
            });
        } catch (Pkcs11Exception e) {
            long rv = e.rv();
            if (rv != CKR_RANDOM_SEED_NOT_SUPPORTED && rv != CKR_FUNCTION_NOT_SUPPORTED) {
                throw Errors.provider("C_SeedRandom on " + context.tokenUri(), e);
            }
        }
    }

    @Override
    protected void engineNextBytes(byte[] bytes) {
        if (bytes.length == 0) {
            return;
        }
        try {
            if (bytes.length <= CHUNK) {
                context.execute(s -> {
                    s.generateRandom(bytes);
                    return null;
                });
            } else {
                context.execute(s -> {
                    byte[] part = new byte[CHUNK];
                    for (int done = 0; done < bytes.length; done += CHUNK) {
                        int k = Math.min(CHUNK, bytes.length - done);
                        if (k != part.length) {
                            part = new byte[k];
                        }
                        s.generateRandom(part);
                        System.arraycopy(part, 0, bytes, done, k);
                    }
                    java.util.Arrays.fill(part, (byte) 0);
                    return null;
                });
            }
        } catch (Pkcs11Exception e) {
            throw Errors.provider("C_GenerateRandom on " + context.tokenUri(), e);
        }
    }

    @Override
    protected byte[] engineGenerateSeed(int numBytes) {
        if (numBytes < 0) {
            throw new IllegalArgumentException("numBytes must not be negative");
        }
        byte[] seed = new byte[numBytes];
        engineNextBytes(seed);
        return seed;
    }

    /** The token's generator cannot be serialized with its engine. */
    private Object writeReplace() throws java.io.ObjectStreamException {
        throw new java.io.NotSerializableException("a P11J SecureRandom draws from a token; it cannot be serialized");
    }
}
