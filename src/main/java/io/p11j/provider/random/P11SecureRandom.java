// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.random;

import io.p11j.provider.token.Errors;
import io.p11j.provider.token.TokenContext;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.wrapper.SessionPool;

import java.security.SecureRandomSpi;
import java.util.Arrays;

import static io.p11j.sys.Pkcs11Constants.*;

/**
 * {@code SecureRandom} from the token's RNG ({@code C_GenerateRandom} on a pooled session).
 *
 * <p>Requests of up to {@value #SMALL} bytes (nonces, IVs, keys) are served from a
 * {@value #BUFFER}-byte buffer filled by one {@code C_GenerateRandom}: measured, a token round trip
 * per 32 bytes made P11J about 0.6 times as fast as SunPKCS11 (whose JNI call is cheaper than JNA's),
 * and the buffer makes it several times faster. Each buffered byte is handed out once and zeroed as it
 * goes; {@code setSeed} empties the buffer, so that what follows comes from the seeded generator.
 * Larger requests go to the token directly, in calls of at most {@value #CHUNK} bytes.
 *
 * <p>{@code setSeed} passes the seed to {@code C_SeedRandom}; a token that takes no seed
 * ({@code CKR_RANDOM_SEED_NOT_SUPPORTED}, or no such function) is fine, since a seed only
 * supplements the generator's own entropy and never replaces it.
 *
 * <p>Thread-safe (registered with {@code ThreadSafe=true}): the buffer is used under its lock, larger
 * requests each borrow their own session.
 */
public final class P11SecureRandom extends SecureRandomSpi {

    private static final long serialVersionUID = 1L;
    /** Largest single {@code C_GenerateRandom}: bounds the native buffer of a huge request. */
    private static final int CHUNK = 64 * 1024;

    /** Requests up to this many bytes come from the buffer. */
    static final int SMALL = 64;
    /** The buffer: eight 32-byte requests per token call. */
    static final int BUFFER = 256;

    private final transient TokenContext context;
    private final transient byte[] buffer = new byte[BUFFER]; // guarded by itself
    private transient int available; // the unused bytes are buffer[BUFFER - available ..]; guarded by buffer
    private final transient SessionPool.SessionWork<Void> refill = s -> {
        s.generateRandom(buffer);
        return null;
    };

    P11SecureRandom(TokenContext context) {
        this.context = context;
    }

    @Override
    protected void engineSetSeed(byte[] seed) {
        if (seed == null || seed.length == 0) {
            return;
        }
        synchronized (buffer) {
            Arrays.fill(buffer, (byte) 0);
            available = 0;
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
            if (bytes.length <= SMALL) {
                synchronized (buffer) {
                    if (available < bytes.length) {
                        context.execute(refill);
                        available = BUFFER;
                    }
                    int from = BUFFER - available;
                    System.arraycopy(buffer, from, bytes, 0, bytes.length);
                    Arrays.fill(buffer, from, from + bytes.length, (byte) 0);
                    available -= bytes.length;
                }
            } else if (bytes.length <= CHUNK) {
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
                    Arrays.fill(part, (byte) 0);
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
