// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper.attribute;

import java.util.Arrays;
import java.util.Objects;

import static io.p11j.sys.Pkcs11Constants.CKA_VALUE;

/**
 * One attribute and its value. Byte-array values are copied in and out, so an attribute is
 * immutable. {@link #toString()} never prints {@code CKA_VALUE} or private key components.
 */
public final class Attribute<T> {

    private final AttributeType<T> type;
    private final T value;

    Attribute(AttributeType<T> type, T value) {
        this.type = Objects.requireNonNull(type, "type");
        this.value = copy(Objects.requireNonNull(value, "value"));
    }

    public AttributeType<T> type() {
        return type;
    }

    /** The value (a copy, for arrays). */
    public T value() {
        return copy(value);
    }

    @SuppressWarnings("unchecked")
    private static <T> T copy(T v) {
        if (v instanceof byte[] b) {
            return (T) b.clone();
        }
        if (v instanceof long[] l) {
            return (T) l.clone();
        }
        if (v instanceof java.util.List<?> list) {
            return (T) java.util.List.copyOf(list);
        }
        return v;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Attribute<?> a) || !a.type.equals(type)) {
            return false;
        }
        return Objects.deepEquals(value, a.value);
    }

    @Override
    public int hashCode() {
        int h = type.hashCode() * 31;
        if (value instanceof byte[] b) {
            return h + Arrays.hashCode(b);
        }
        if (value instanceof long[] l) {
            return h + Arrays.hashCode(l);
        }
        return h + value.hashCode();
    }

    @Override
    public String toString() {
        return type + "=" + (isSecret(type.code()) ? "<redacted>" : render(value));
    }

    /**
     * Zeroes the value if it is a byte array of a secret attribute ({@code CKA_VALUE}, private key
     * components); the attribute must not be used afterwards. Immutable values ({@code BigInteger})
     * cannot be wiped.
     */
    void wipeSecret() {
        if (value instanceof byte[] b && isSecret(type.code())) {
            Arrays.fill(b, (byte) 0);
        }
    }

    private static boolean isSecret(long code) {
        // CKA_VALUE of a secret or private key, and the private RSA/DSA/EC components (0x123..0x128).
        return code == CKA_VALUE || (code >= 0x123 && code <= 0x128);
    }

    private static String render(Object v) {
        if (v instanceof byte[] b) {
            return java.util.HexFormat.of().formatHex(b);
        }
        if (v instanceof long[] l) {
            return Arrays.toString(l);
        }
        return String.valueOf(v);
    }
}
