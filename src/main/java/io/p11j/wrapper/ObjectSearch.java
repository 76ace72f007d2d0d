// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import io.p11j.sys.Abi;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.sys.Pkcs11Function;
import io.p11j.sys.Pkcs11Functions;
import io.p11j.wrapper.attribute.AttributeCodec;
import io.p11j.wrapper.attribute.Template;
import io.p11j.sys.NativeArena;

import java.util.NoSuchElementException;

/**
 * A running object search ({@code C_FindObjectsInit} … {@code C_FindObjectsFinal}): handles are
 * fetched a batch at a time, so a token holding thousands of objects is not read all at once.
 * Close it to end the search (a session runs one search at a time). Confined to its session's thread.
 */
public final class ObjectSearch implements AutoCloseable {

    private static final int BATCH = 64;

    private final Session session;
    private final Pkcs11Functions f;
    private final Memory batch;
    private final Memory count;
    private long[] buffered = new long[0];
    private int next;
    private boolean exhausted;
    private boolean closed;

    ObjectSearch(Session session, Pkcs11Functions f, Template template) throws Pkcs11Exception {
        this.session = session;
        this.f = f;
        Abi abi = f.abi();
        this.batch = new Memory((long) BATCH * abi.ulongSize());
        this.count = new Memory(abi.ulongSize());
        try (NativeArena arena = new NativeArena(abi)) {
            Pointer t = AttributeCodec.encode(template, arena);
            Pkcs11Errors.check(Pkcs11Function.C_FindObjectsInit, f.C_FindObjectsInit(session.handle(), t, template.size()));
        }
        session.searchStarted();
    }

    /** Whether another handle follows. */
    public boolean hasNext() throws Pkcs11Exception {
        if (next < buffered.length) {
            return true;
        }
        if (exhausted || closed) {
            return false;
        }
        Abi abi = f.abi();
        abi.setULong(count, 0, 0);
        Pkcs11Errors.check(Pkcs11Function.C_FindObjects, f.C_FindObjects(session.handle(), batch, BATCH, count));
        int n = (int) abi.getULong(count, 0);
        buffered = n == 0 ? new long[0] : abi.getULongArray(batch, 0, n);
        next = 0;
        if (n < BATCH) {
            exhausted = true;
        }
        return n > 0;
    }

    /** The next object handle. */
    public long next() throws Pkcs11Exception {
        if (!hasNext()) {
            throw new NoSuchElementException("no more objects");
        }
        return buffered[next++];
    }

    /** {@code C_FindObjectsFinal}. Idempotent. */
    @Override
    public void close() throws Pkcs11Exception {
        if (closed) {
            return;
        }
        closed = true;
        session.searchEnded();
        Pkcs11Errors.check(Pkcs11Function.C_FindObjectsFinal, f.C_FindObjectsFinal(session.handle()));
    }
}
