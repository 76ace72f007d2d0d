// SPDX-License-Identifier: Apache-2.0
package io.p11j.sys;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A {@link StructDef} laid out for one {@link Abi}: the offset of every member, the size and the
 * alignment of the whole, following the C rules: each member at the next multiple of its alignment
 * (1 when packed), the structure's alignment the largest of its members', its size rounded up to
 * that alignment.
 *
 * <p>{@link Field}s read and write members of a structure in native memory by offset. Immutable and
 * thread-safe; the memory they touch is the caller's to guard.
 */
public final class StructLayout {

    private final StructDef def;
    private final Abi abi;
    private final Map<String, Field> fields;
    private final long size;
    private final int alignment;

    private StructLayout(StructDef def, Abi abi, Map<String, Field> fields, long size, int alignment) {
        this.def = def;
        this.abi = abi;
        this.fields = fields;
        this.size = size;
        this.alignment = alignment;
    }

    static StructLayout of(StructDef def, Abi abi) {
        Map<String, Field> fields = new LinkedHashMap<>();
        long offset = 0;
        int structAlign = 1;
        for (StructDef.Member m : def.members()) {
            long memberSize;
            int memberAlign;
            switch (m.kind()) {
                case BYTE -> { memberSize = 1; memberAlign = 1; }
                case BYTES -> { memberSize = m.count(); memberAlign = 1; }
                case ULONG -> { memberSize = abi.ulongSize(); memberAlign = abi.alignmentOf(abi.ulongSize()); }
                case POINTER -> { memberSize = abi.pointerSize(); memberAlign = abi.alignmentOf(abi.pointerSize()); }
                case STRUCT -> {
                    StructLayout nested = m.type().layout(abi);
                    memberSize = nested.size();
                    memberAlign = nested.alignment();
                }
                default -> throw new AssertionError(m.kind());
            }
            offset = align(offset, memberAlign);
            fields.put(m.name(), new Field(m.name(), m.kind(), offset, memberSize, abi));
            offset += memberSize;
            structAlign = Math.max(structAlign, memberAlign);
        }
        return new StructLayout(def, abi, Collections.unmodifiableMap(fields), align(offset, structAlign), structAlign);
    }

    private static long align(long offset, int alignment) {
        return (offset + alignment - 1) / alignment * alignment;
    }

    /** The structure declared. */
    public StructDef def() {
        return def;
    }

    /** The ABI this layout is for. */
    public Abi abi() {
        return abi;
    }

    /** {@code sizeof} the structure. */
    public long size() {
        return size;
    }

    /** The structure's alignment. */
    public int alignment() {
        return alignment;
    }

    /** All fields, in declaration order. */
    public Map<String, Field> fields() {
        return fields;
    }

    /** The field for member {@code name}. */
    public Field field(String name) {
        Field f = fields.get(name);
        if (f == null) {
            throw new IllegalArgumentException(def.name() + " has no member " + name);
        }
        return f;
    }

    /** Native memory for one structure, zeroed. */
    public Memory allocate() {
        return allocate(1);
    }

    /** Native memory for an array of {@code count} structures, zeroed. */
    public Memory allocate(int count) {
        Memory m = new Memory(size * count);
        m.clear();
        return m;
    }

    @Override
    public String toString() {
        return def.name() + "[size=" + size + ", align=" + alignment + ", " + abi + "]";
    }

    /** One member at its offset. Accessors take the structure's base address. */
    public static final class Field {
        private final String name;
        private final StructDef.Kind kind;
        private final long offset;
        private final long size;
        private final Abi abi;

        Field(String name, StructDef.Kind kind, long offset, long size, Abi abi) {
            this.name = name;
            this.kind = kind;
            this.offset = offset;
            this.size = size;
            this.abi = abi;
        }

        public String name() {
            return name;
        }

        public StructDef.Kind kind() {
            return kind;
        }

        /** {@code offsetof} the member. */
        public long offset() {
            return offset;
        }

        /** {@code sizeof} the member. */
        public long size() {
            return size;
        }

        public long getULong(Pointer base) {
            return abi.getULong(base, offset);
        }

        public void setULong(Pointer base, long value) {
            abi.setULong(base, offset, value);
        }

        public Pointer getPointer(Pointer base) {
            return base.getPointer(offset);
        }

        public void setPointer(Pointer base, Pointer value) {
            base.setPointer(offset, value);
        }

        public byte getByte(Pointer base) {
            return base.getByte(offset);
        }

        public void setByte(Pointer base, byte value) {
            base.setByte(offset, value);
        }

        /** The bytes of the member (a byte array member, or a nested structure's raw bytes). */
        public byte[] getBytes(Pointer base) {
            return base.getByteArray(offset, (int) size);
        }

        /** Writes {@code value}, which must be exactly the member's size. */
        public void setBytes(Pointer base, byte[] value) {
            if (value.length != size) {
                throw new IllegalArgumentException(name + " is " + size + " bytes, not " + value.length);
            }
            base.write(offset, value, 0, value.length);
        }

        /** The address of the member itself (for a nested structure). */
        public Pointer address(Pointer base) {
            return base.share(offset);
        }

        @Override
        public String toString() {
            return name + "@" + offset;
        }
    }
}
