// SPDX-License-Identifier: Apache-2.0
package io.p11j.sys;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The native memory of one call: every buffer a template, a mechanism parameter or an output needs,
 * released together when the call is done. Buffers are zeroed before they are released, so PINs and
 * key material copied in for a call do not linger in native memory.
 *
 * <p>Small buffers are carved out of one 4 KiB block (no native allocation, no JNA cleaner per
 * buffer); larger ones get memory of their own. A {@link #reusable(Abi) reusable} arena keeps its
 * block across calls — a session owns one, so a hot call allocates no native memory at all — and
 * {@link #close()} then only zeroes what was used; {@link #dispose()} frees it.
 *
 * <p>Confined to one thread at a time. Used by the wrapper's encoders ({@code Mechanism.encode},
 * templates), and available to callers of the raw functions for the same purpose.
 */
public final class NativeArena implements AutoCloseable {

    private static final int BLOCK = 4096;

    private final Abi abi;
    private final boolean reusable;
    private Memory block;
    private long used;
    private final List<Memory> large = new ArrayList<>();
    private boolean open;

    /** An arena for one call: {@link #close()} zeroes and frees its memory. */
    public NativeArena(Abi abi) {
        this(abi, false);
    }

    private NativeArena(Abi abi, boolean reusable) {
        this.abi = abi;
        this.reusable = reusable;
    }

    /** An arena reused call after call by one owner: {@link #close()} zeroes it for the next call. */
    public static NativeArena reusable(Abi abi) {
        return new NativeArena(abi, true);
    }

    public Abi abi() {
        return abi;
    }

    /**
     * Starts one call's use of a reusable arena; its {@link #close()} ends it. A nested start is
     * refused: the inner close would zero memory the outer call still uses.
     */
    public NativeArena open() {
        if (open) {
            throw new IllegalStateException("arena already in use by an unfinished call");
        }
        open = true;
        return this;
    }

    /** {@code size} zeroed bytes, 8-byte aligned ({@code size} 0 gives one byte: JNA has no empty memory). */
    public Pointer allocate(long size) {
        long n = Math.max(1, size);
        long aligned = (n + 7) & ~7L;
        if (aligned <= BLOCK) {
            if (block == null) {
                block = new Memory(BLOCK);
                block.clear();
            }
            if (used + aligned <= BLOCK) {
                Pointer p = block.share(used, n);
                used += aligned;
                return p;
            }
        }
        Memory m = new Memory(n);
        m.clear();
        large.add(m);
        return m;
    }

    /** A copy of {@code bytes} in native memory. */
    public Pointer bytes(byte[] bytes) {
        Pointer m = allocate(bytes.length);
        m.write(0, bytes, 0, bytes.length);
        return m;
    }

    /** A copy of {@code bytes[offset .. offset+length)} in native memory. */
    public Pointer bytes(byte[] bytes, int offset, int length) {
        Pointer m = allocate(length);
        m.write(0, bytes, offset, length);
        return m;
    }

    /** Native bytes and their length (which may be 0, while the allocation never is). */
    public record Bytes(Pointer memory, long length) {
    }

    /** {@code chars} encoded as UTF-8 in native memory (a PIN); the intermediate Java copy is wiped. */
    public Bytes utf8(char[] chars) {
        byte[] encoded = encodeUtf8(chars);
        try {
            return new Bytes(bytes(encoded), encoded.length);
        } finally {
            Arrays.fill(encoded, (byte) 0);
        }
    }

    /** UTF-8 of {@code chars} without going through a String; the caller wipes the result. */
    public static byte[] encodeUtf8(char[] chars) {
        java.nio.ByteBuffer bb = StandardCharsets.UTF_8.encode(java.nio.CharBuffer.wrap(chars));
        byte[] out = new byte[bb.remaining()];
        bb.get(out);
        if (bb.hasArray()) {
            Arrays.fill(bb.array(), (byte) 0);
        }
        return out;
    }

    /** A {@code CK_ULONG} holding {@code value}. */
    public Pointer ulong(long value) {
        Pointer m = allocate(abi.ulongSize());
        abi.setULong(m, 0, value);
        return m;
    }

    /** Zeroes every buffer; frees them, or for a reusable arena keeps its block for the next call. */
    @Override
    public void close() {
        open = false;
        release(!reusable);
    }

    /** Zeroes and frees everything, reusable or not. */
    public void dispose() {
        release(true);
    }

    private void release(boolean free) {
        if (block != null) {
            block.clear(used);
            used = 0;
            if (free) {
                block.close();
                block = null;
            }
        }
        if (!large.isEmpty()) { // the common call has none: no iterator on the hot path
            for (int i = 0; i < large.size(); i++) {
                large.get(i).clear();
                large.get(i).close();
            }
            large.clear();
        }
    }
}
