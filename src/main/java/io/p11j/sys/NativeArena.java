// SPDX-License-Identifier: Apache-2.0
package io.p11j.sys;

import com.sun.jna.Memory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The native memory of one call: every buffer a template, a mechanism parameter or an output needs,
 * released together when the call is done. Buffers are zeroed before they are freed, so PINs and key
 * material copied in for a call do not linger in freed native memory.
 *
 * <p>Confined to one thread. Used by the wrapper's encoders ({@code Mechanism.encode}, templates), and
 * available to callers of the raw functions for the same purpose.
 */
public final class NativeArena implements AutoCloseable {

    private final Abi abi;
    private final List<Memory> buffers = new ArrayList<>();

    public NativeArena(Abi abi) {
        this.abi = abi;
    }

    public Abi abi() {
        return abi;
    }

    /** {@code size} zeroed bytes ({@code size} of 0 allocates one byte, JNA refuses empty memory). */
    public Memory allocate(long size) {
        Memory m = new Memory(Math.max(1, size));
        m.clear();
        buffers.add(m);
        return m;
    }

    /** A copy of {@code bytes} in native memory. */
    public Memory bytes(byte[] bytes) {
        Memory m = allocate(bytes.length);
        m.write(0, bytes, 0, bytes.length);
        return m;
    }

    /** A copy of {@code bytes[offset .. offset+length)} in native memory. */
    public Memory bytes(byte[] bytes, int offset, int length) {
        Memory m = allocate(length);
        m.write(0, bytes, offset, length);
        return m;
    }

    /** Native bytes and their length (which may be 0, while the allocation never is). */
    public record Bytes(Memory memory, long length) {
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
    public Memory ulong(long value) {
        Memory m = allocate(abi.ulongSize());
        abi.setULong(m, 0, value);
        return m;
    }

    /** Zeroes and frees every buffer. */
    @Override
    public void close() {
        for (Memory m : buffers) {
            m.clear();
            m.close();
        }
        buffers.clear();
    }
}
