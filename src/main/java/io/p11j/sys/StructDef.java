// SPDX-License-Identifier: Apache-2.0
package io.p11j.sys;

import java.util.ArrayList;
import java.util.List;

/**
 * The declaration of a PKCS#11 C structure, independent of any platform: its C name and its
 * members in declaration order, each a byte, a {@code CK_ULONG}, a pointer, a byte array or a nested
 * structure. {@link #layout(Abi)} turns it into offsets for one {@link Abi}.
 *
 * <p>The bindings do not use JNA's reflective {@code Structure}: a structure here is native memory
 * plus precomputed offsets, so hot calls pay for no reflection and no automatic
 * read/write of every field. Member names are the C names, which is what the layout test
 * compares against the C compiler's {@code offsetof}.
 *
 * <p>Immutable and thread-safe.
 */
public final class StructDef {

    /** The kinds of member a PKCS#11 structure has. */
    public enum Kind {
        /** {@code CK_BYTE}, {@code CK_CHAR}, {@code CK_UTF8CHAR}, {@code CK_BBOOL}. */
        BYTE,
        /** {@code CK_ULONG} and its typedefs ({@code CK_FLAGS}, {@code CK_MECHANISM_TYPE}, handles …). */
        ULONG,
        /** A data or function pointer. */
        POINTER,
        /** A fixed-size array of bytes, e.g. {@code CK_UTF8CHAR label[32]}. */
        BYTES,
        /** A nested structure, e.g. {@code CK_VERSION}. */
        STRUCT
    }

    /** One member: its C name, its kind, the array length for {@link Kind#BYTES}, the type for {@link Kind#STRUCT}. */
    public record Member(String name, Kind kind, int count, StructDef type) {
    }

    private final String name;
    private final String since;
    private final List<Member> members;
    private volatile StructLayout nativeLayout;
    private final java.util.Map<Abi, StructLayout> otherLayouts = new java.util.concurrent.ConcurrentHashMap<>();

    private StructDef(String name, String since, List<Member> members) {
        this.name = name;
        this.since = since;
        this.members = List.copyOf(members);
    }

    /** Starts the declaration of the C structure {@code cName}, part of PKCS#11 since 2.x. */
    public static Builder struct(String cName) {
        return new Builder(cName, "2.40");
    }

    /** Starts the declaration of a structure introduced by PKCS#11 3.0. */
    public static Builder struct30(String cName) {
        return new Builder(cName, "3.0");
    }

    /** The C type name, e.g. {@code CK_MECHANISM}. */
    public String name() {
        return name;
    }

    /** The PKCS#11 version that introduced this structure ({@code "2.40"} for anything older than 3.0). */
    public String since() {
        return since;
    }

    /** The members in declaration order. */
    public List<Member> members() {
        return members;
    }

    /** This structure's layout on the running platform ({@link Abi#NATIVE}), computed once. */
    public StructLayout layout() {
        StructLayout l = nativeLayout;
        if (l == null) {
            l = StructLayout.of(this, Abi.NATIVE);
            nativeLayout = l;
        }
        return l;
    }

    /** This structure's layout under {@code abi} (computed once per ABI: callers use it on hot paths). */
    public StructLayout layout(Abi abi) {
        if (abi == Abi.NATIVE) {
            return layout();
        }
        return otherLayouts.computeIfAbsent(abi, a -> StructLayout.of(this, a));
    }

    @Override
    public String toString() {
        return name;
    }

    /** Declares members in C order. */
    public static final class Builder {
        private final String name;
        private final String since;
        private final List<Member> members = new ArrayList<>();

        private Builder(String name, String since) {
            this.name = name;
            this.since = since;
        }

        public Builder byteMember(String member) {
            return add(new Member(member, Kind.BYTE, 1, null));
        }

        public Builder ulong(String member) {
            return add(new Member(member, Kind.ULONG, 1, null));
        }

        public Builder pointer(String member) {
            return add(new Member(member, Kind.POINTER, 1, null));
        }

        public Builder bytes(String member, int length) {
            if (length <= 0) {
                throw new IllegalArgumentException(name + "." + member + ": array length must be positive");
            }
            return add(new Member(member, Kind.BYTES, length, null));
        }

        public Builder struct(String member, StructDef type) {
            return add(new Member(member, Kind.STRUCT, 1, type));
        }

        private Builder add(Member m) {
            for (Member existing : members) {
                if (existing.name().equals(m.name())) {
                    throw new IllegalArgumentException(name + " declares " + m.name() + " twice");
                }
            }
            members.add(m);
            return this;
        }

        public StructDef build() {
            if (members.isEmpty()) {
                throw new IllegalStateException(name + " has no members");
            }
            return new StructDef(name, since, members);
        }
    }
}
