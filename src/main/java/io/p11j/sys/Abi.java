// SPDX-License-Identifier: Apache-2.0
package io.p11j.sys;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * The C ABI facts that PKCS#11 bindings depend on, modelled once: the width of {@code CK_ULONG}
 * (C {@code unsigned long}), the width of a pointer, and whether structures are packed to one byte.
 *
 * <p>{@code CK_ULONG} is 8 bytes on 64-bit Linux and macOS (LP64) and 4 bytes on 32-bit platforms and
 * on 64-bit Windows (LLP64). The PKCS#11 headers pack every structure to one byte on Windows
 * ({@code #pragma pack(push, cryptoki, 1)}) and leave natural alignment everywhere else. Every
 * structure offset, every array of {@code CK_ULONG}s and every {@code CK_ULONG} argument of a call
 * goes through this class, so the rules live here and nowhere else.
 *
 * <p>Values are carried in Java as {@code long}. A 4-byte {@code CK_ULONG} is read zero-extended,
 * except the all-ones sentinel {@code CK_UNAVAILABLE_INFORMATION} ({@code ~0UL}), which is read as
 * {@code -1L} so that it equals {@link Pkcs11Constants#CK_UNAVAILABLE_INFORMATION} on every platform.
 *
 * <p>Instances are immutable and thread-safe. {@link #NATIVE} describes the running JVM; other
 * instances exist so that layout rules can be tested for platforms the tests do not run on.
 */
public final class Abi {

    /** The ABI of the running process. */
    public static final Abi NATIVE = new Abi(Native.LONG_SIZE, Native.POINTER_SIZE, Platform.isWindows());

    private final int ulongSize;
    private final int pointerSize;
    private final boolean packed;

    private Abi(int ulongSize, int pointerSize, boolean packed) {
        if (ulongSize != 4 && ulongSize != 8) {
            throw new IllegalArgumentException("CK_ULONG must be 4 or 8 bytes, not " + ulongSize);
        }
        if (pointerSize != 4 && pointerSize != 8) {
            throw new IllegalArgumentException("a pointer must be 4 or 8 bytes, not " + pointerSize);
        }
        this.ulongSize = ulongSize;
        this.pointerSize = pointerSize;
        this.packed = packed;
    }

    /**
     * An ABI with the given facts, e.g. {@code of(4, 8, true)} for 64-bit Windows or
     * {@code of(4, 4, false)} for 32-bit Linux.
     */
    public static Abi of(int ulongSize, int pointerSize, boolean packed) {
        return new Abi(ulongSize, pointerSize, packed);
    }

    /** Width of {@code CK_ULONG} in bytes (4 or 8). */
    public int ulongSize() {
        return ulongSize;
    }

    /** Width of a data or function pointer in bytes (4 or 8). */
    public int pointerSize() {
        return pointerSize;
    }

    /** Whether PKCS#11 structures are packed to one byte (Windows). */
    public boolean packed() {
        return packed;
    }

    /**
     * The alignment of a scalar of {@code size} bytes inside a PKCS#11 structure: 1 when packed,
     * else its natural alignment. (The scalars of PKCS#11 structures are bytes, {@code CK_ULONG}s
     * and pointers; none is wider than the platform's word, so natural alignment is its size.)
     */
    public int alignmentOf(int size) {
        return packed ? 1 : size;
    }

    /** Reads a {@code CK_ULONG} at {@code offset}. */
    public long getULong(Pointer p, long offset) {
        if (ulongSize == 8) {
            return p.getLong(offset);
        }
        return fromUlong32(p.getInt(offset));
    }

    /** Writes a {@code CK_ULONG} at {@code offset}; a 4-byte {@code CK_ULONG} keeps the low 32 bits. */
    public void setULong(Pointer p, long offset, long value) {
        if (ulongSize == 8) {
            p.setLong(offset, value);
        } else {
            p.setInt(offset, (int) value);
        }
    }

    /** Reads a pointer at {@code offset}, or null for NULL. */
    public Pointer getPointer(Pointer p, long offset) {
        return p.getPointer(offset);
    }

    /** Reads {@code count} consecutive {@code CK_ULONG}s (a slot list, a mechanism list, handles). */
    public long[] getULongArray(Pointer p, long offset, int count) {
        long[] out = new long[count];
        if (ulongSize == 8) {
            p.read(offset, out, 0, count);
        } else {
            int[] raw = p.getIntArray(offset, count);
            for (int i = 0; i < count; i++) {
                out[i] = fromUlong32(raw[i]);
            }
        }
        return out;
    }

    /** Writes {@code values} as consecutive {@code CK_ULONG}s. */
    public void setULongArray(Pointer p, long offset, long[] values) {
        if (ulongSize == 8) {
            p.write(offset, values, 0, values.length);
        } else {
            for (int i = 0; i < values.length; i++) {
                p.setInt(offset + (long) i * 4, (int) values[i]);
            }
        }
    }

    /**
     * A {@code CK_ULONG} as a call argument of the right native width. JNA passes a {@code Long} as
     * a 64-bit and an {@code Integer} as a 32-bit integer, so this is the only place that decides.
     */
    public Object ulongArg(long value) {
        return ulongSize == 8 ? (Object) value : (Object) (int) value;
    }

    /** Calls a function returning {@code CK_RV} with arguments already in native form: the return width is the ABI's. */
    long callRv(com.sun.jna.Function f, Object... args) {
        return ulongSize == 8 ? f.invokeLong(args) : rvFrom(f.invokeInt(args));
    }

    /** Normalises a call's raw {@code CK_RV} (or another returned {@code CK_ULONG}). */
    long rvFrom(long raw) {
        return ulongSize == 8 ? raw : fromUlong32((int) raw);
    }

    private static long fromUlong32(int v) {
        // ~0UL is the one sentinel; every other value is an unsigned quantity.
        return v == -1 ? -1L : Integer.toUnsignedLong(v);
    }

    @Override
    public String toString() {
        return "Abi[CK_ULONG=" + ulongSize + " bytes, pointer=" + pointerSize + " bytes, "
                + (packed ? "packed to 1 byte" : "natural alignment") + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Abi a && a.ulongSize == ulongSize && a.pointerSize == pointerSize && a.packed == packed;
    }

    @Override
    public int hashCode() {
        return (ulongSize * 31 + pointerSize) * 2 + (packed ? 1 : 0);
    }
}
