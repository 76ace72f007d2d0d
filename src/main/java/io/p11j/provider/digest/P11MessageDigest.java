// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.digest;

import io.p11j.provider.token.Errors;
import io.p11j.provider.token.Quirk;
import io.p11j.provider.token.TokenContext;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.wrapper.PooledSession;
import io.p11j.wrapper.Session;
import io.p11j.wrapper.SessionPool;
import io.p11j.wrapper.mechanism.Mechanism;

import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.security.MessageDigestSpi;
import java.security.ProviderException;
import java.util.Arrays;


/**
 * A {@code MessageDigest} computed by the token ({@code CKM_SHA_1}, {@code CKM_SHA256}, …).
 *
 * <p><b>Data path.</b> {@code update} buffers up to {@value #SINGLE_PART_LIMIT} bytes in Java, and
 * {@code digest} borrows one pooled session for a single {@code C_DigestInit}+{@code C_Digest}: one
 * session round trip per digest, no session held between calls. More data switches to a multi-part
 * operation that holds its session until {@code digest} or {@code reset}, always given back (the
 * pool ends an unfinished operation; a cleaner gives it back if the engine is abandoned), and
 * streams {@code C_DigestUpdate}s of up to 256 KiB through the session's bulk buffer (zeroed by
 * the session when the digest ends).
 *
 * <p><b>Clone.</b> While the data is still buffered the clone copies the buffer. Once a multi-part
 * operation runs on the token, cloning would need {@code C_GetOperationState}: the wrapper does not
 * offer it, and SoftHSM2 does not implement it (quirk {@code no-operation-state}), so such a digest
 * throws {@code CloneNotSupportedException}.
 *
 * <p><b>Errors.</b> A token failure is a {@code ProviderException} (the SPI declares no other) with
 * the {@code CKR_} failure as cause; after a failed {@code update} the message is lost, and
 * {@code digest} says so instead of returning the digest of part of it.
 *
 * <p>Not thread-safe, as every {@code MessageDigest}.
 */
public final class P11MessageDigest extends MessageDigestSpi implements Cloneable {

    /** Most bytes buffered for a single-part digest. */
    static final int SINGLE_PART_LIMIT = 64 * 1024;
    /** Largest piece handed to one {@code C_DigestUpdate}: few calls per message, a bounded native buffer. */
    private static final int CHUNK = 256 * 1024;
    private static final int INITIAL_BUFFER = 128;

    /** Gives back the session of a multi-part digest whose engine was dropped before finishing. */
    private static final Cleaner CLEANER = Cleaner.create();

    private final TokenContext context;
    private final DigestServices.Algorithm algorithm;
    private final Mechanism mechanism;

    private byte[] buf;
    private int len;
    private PooledSession held;
    private Cleaner.Cleanable heldRelease;
    private boolean failed;
    private final byte[] one = new byte[1];
    private byte[] chunk;

    /** The operand of {@link #digestWork}: a field, so that a digest allocates no lambda. */
    private byte[] opData;
    private final SessionPool.SessionWork<byte[]> digestWork = this::digestOn;

    P11MessageDigest(TokenContext context, DigestServices.Algorithm algorithm) {
        this.context = context;
        this.algorithm = algorithm;
        this.mechanism = Mechanism.of(algorithm.mechanism());
    }

    @Override
    protected int engineGetDigestLength() {
        return algorithm.length();
    }

    @Override
    protected void engineUpdate(byte input) {
        one[0] = input;
        engineUpdate(one, 0, 1);
    }

    @Override
    protected void engineUpdate(byte[] input, int offset, int n) {
        if (n == 0 || failed) {
            return; // after a failure nothing more is sent; digest reports it
        }
        if (held != null) {
            stream(input, offset, n);
        } else if (n <= SINGLE_PART_LIMIT - len) {
            append(input, offset, n);
        } else {
            startMultipart();
            if (held != null) {
                stream(input, offset, n);
            }
        }
    }

    @Override
    protected void engineUpdate(ByteBuffer input) {
        if (input.hasArray()) {
            int n = input.remaining();
            engineUpdate(input.array(), input.arrayOffset() + input.position(), n);
            input.position(input.limit());
            return;
        }
        if (chunk == null) {
            chunk = new byte[8192];
        }
        while (input.hasRemaining()) {
            int k = Math.min(input.remaining(), chunk.length);
            input.get(chunk, 0, k);
            engineUpdate(chunk, 0, k);
        }
    }

    @Override
    protected byte[] engineDigest() {
        try {
            if (failed) {
                throw new ProviderException(algorithm.name() + " on " + context.tokenUri()
                        + ": an update failed, so the message is incomplete; the digest was reset");
            }
            if (held != null) {
                try {
                    return held.session().digestFinal();
                } catch (Pkcs11Exception e) {
                    throw Errors.provider(algorithm.name() + " (C_DigestFinal) on " + context.tokenUri(), e);
                }
            }
            opData = buf == null ? new byte[0] : len == buf.length ? buf : Arrays.copyOf(buf, len);
            try {
                return context.execute(digestWork);
            } catch (Pkcs11Exception e) {
                throw Errors.provider(algorithm.name() + " (C_Digest) on " + context.tokenUri(), e);
            }
        } finally {
            opData = null;
            engineReset();
        }
    }

    private byte[] digestOn(Session s) throws Pkcs11Exception {
        return s.digest(mechanism, opData);
    }

    @Override
    protected void engineReset() {
        len = 0;
        failed = false;
        release();
        if (buf != null && buf.length > 4096) {
            buf = null; // do not keep a large message's buffer for the engine's lifetime
        }
    }

    @Override
    public Object clone() throws CloneNotSupportedException {
        if (held != null) {
            throw new CloneNotSupportedException(algorithm.name() + " on " + context.tokenUri() + " is past "
                    + SINGLE_PART_LIMIT + " bytes and runs on the token, which cannot copy an operation in progress"
                    + (context.has(Quirk.NO_OPERATION_STATE) ? " (quirk " + Quirk.NO_OPERATION_STATE.configName() + ")"
                    : " (C_GetOperationState is not used)"));
        }
        // A new engine rather than super.clone(): nothing mutable (buffer, scratch arrays, session work) is shared.
        P11MessageDigest copy = new P11MessageDigest(context, algorithm);
        copy.buf = buf == null ? null : buf.clone();
        copy.len = len;
        copy.failed = failed;
        return copy;
    }

    // ---------------------------------------------------------------- buffering and streaming

    private void append(byte[] b, int off, int n) {
        if (buf == null || len + n > buf.length) {
            int grown = Math.max(len + n, buf == null ? INITIAL_BUFFER : Math.min(2 * buf.length, SINGLE_PART_LIMIT));
            buf = Arrays.copyOf(buf == null ? new byte[0] : buf, grown);
        }
        System.arraycopy(b, off, buf, len, n);
        len += n;
    }

    /** Switches to a multi-part operation: borrows a session, inits, sends what was buffered. */
    private void startMultipart() {
        PooledSession ps;
        try {
            ps = context.pool().borrow();
        } catch (Pkcs11Exception e) {
            failed = true;
            throw Errors.provider(algorithm.name() + " (borrowing a session) on " + context.tokenUri(), e);
        }
        boolean ok = false;
        try {
            ps.session().digestInit(mechanism);
            held = ps;
            // A method reference to the pooled session only: the engine itself stays collectable.
            heldRelease = CLEANER.register(this, ps::close);
            ok = true;
        } catch (Pkcs11Exception e) {
            failed = true;
            throw Errors.provider(algorithm.name() + " (C_DigestInit) on " + context.tokenUri(), e);
        } finally {
            if (!ok) {
                ps.close();
            }
        }
        if (len > 0) {
            stream(buf, 0, len);
            len = 0;
        }
    }

    /** {@code C_DigestUpdate}s of at most {@value #CHUNK} bytes on the held session. */
    private void stream(byte[] b, int off, int n) {
        Session s = held.session();
        try {
            for (int done = 0; done < n; done += CHUNK) {
                s.digestUpdate(b, off + done, Math.min(CHUNK, n - done));
            }
        } catch (Pkcs11Exception e) {
            failed = true;
            release();
            throw Errors.provider(algorithm.name() + " (C_DigestUpdate) on " + context.tokenUri(), e);
        }
    }

    /** Gives back the session of a multi-part digest; the pool ends the operation if it is still active. */
    private void release() {
        if (held != null) {
            Cleaner.Cleanable r = heldRelease;
            held = null;
            heldRelease = null;
            r.clean();
        }
    }
}
