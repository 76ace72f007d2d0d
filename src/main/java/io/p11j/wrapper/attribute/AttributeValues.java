// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper.attribute;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The result of reading several attributes of an object at once: the values the token gave, and for
 * each attribute it could not give, why ({@link Unavailable}) — one sensitive or absent attribute
 * does not fail the whole read.
 */
public final class AttributeValues {

    /** Why an attribute has no value. */
    public enum Unavailable {
        /** {@code CKR_ATTRIBUTE_SENSITIVE}: the value exists but must not leave the token. */
        SENSITIVE,
        /** {@code CKR_ATTRIBUTE_TYPE_INVALID}: the object has no such attribute. */
        ABSENT
    }

    private final Map<AttributeType<?>, Object> values;
    private final Map<AttributeType<?>, Unavailable> unavailable;

    public AttributeValues(Map<AttributeType<?>, Object> values, Map<AttributeType<?>, Unavailable> unavailable) {
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
        this.unavailable = Collections.unmodifiableMap(new LinkedHashMap<>(unavailable));
    }

    /** The value of {@code type}, if the token gave one. */
    @SuppressWarnings("unchecked")
    public <T> Optional<T> get(AttributeType<T> type) {
        Object v = values.get(type);
        if (v instanceof byte[] b) {
            return Optional.of((T) b.clone());
        }
        if (v instanceof long[] l) {
            return Optional.of((T) l.clone());
        }
        return Optional.ofNullable((T) v);
    }

    /** The value of {@code type}, or an {@link IllegalStateException} naming why it is unavailable. */
    public <T> T require(AttributeType<T> type) {
        return get(type).orElseThrow(() -> new IllegalStateException(type + " is "
                + (unavailable.containsKey(type) ? unavailable.get(type).name().toLowerCase(java.util.Locale.ROOT)
                : values.containsKey(type) ? "empty" : "not read")));
    }

    /** Why {@code type} has no value, if it has none. */
    public Optional<Unavailable> unavailable(AttributeType<?> type) {
        return Optional.ofNullable(unavailable.get(type));
    }

    /** The attributes that have values. */
    public Set<AttributeType<?>> present() {
        return values.keySet();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("{");
        values.forEach((t, v) -> {
            if (sb.length() > 1) {
                sb.append(", ");
            }
            // An empty CK_DATE is held as null, which an Attribute cannot carry.
            sb.append(v == null ? t + "=<empty>" : new Attribute<>(castType(t), v));
        });
        unavailable.forEach((t, why) -> sb.append(sb.length() > 1 ? ", " : "").append(t).append('=').append(why));
        return sb.append('}').toString();
    }

    @SuppressWarnings("unchecked")
    private static AttributeType<Object> castType(AttributeType<?> t) {
        return (AttributeType<Object>) t;
    }
}
