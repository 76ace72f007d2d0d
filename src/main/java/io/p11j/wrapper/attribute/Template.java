// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper.attribute;

import java.math.BigInteger;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An immutable attribute template: what {@code C_CreateObject}, {@code C_GenerateKey},
 * {@code C_FindObjectsInit} … take. Setting an attribute twice keeps the last value.
 *
 * <pre>{@code
 * Template t = Template.builder()
 *         .set(AttributeType.CLASS, CKO_PRIVATE_KEY)
 *         .set(AttributeType.LABEL, "signing key")
 *         .build();
 * }</pre>
 */
public final class Template implements Iterable<Attribute<?>> {

    private static final Template EMPTY = new Template(List.of());

    private final List<Attribute<?>> attributes;

    private Template(List<Attribute<?>> attributes) {
        this.attributes = attributes;
    }

    /** The empty template (matches every object in a search). */
    public static Template empty() {
        return EMPTY;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A template of {@code attributes}, in order. */
    public static Template of(Attribute<?>... attributes) {
        Builder b = builder();
        for (Attribute<?> a : attributes) {
            b.add(a);
        }
        return b.build();
    }

    public List<Attribute<?>> attributes() {
        return attributes;
    }

    public int size() {
        return attributes.size();
    }

    public boolean isEmpty() {
        return attributes.isEmpty();
    }

    /** This template with the attributes of {@code other} added (replacing those it also sets). */
    public Template with(Template other) {
        Builder b = toBuilder();
        for (Attribute<?> a : other) {
            b.add(a);
        }
        return b.build();
    }

    /**
     * Zeroes the byte-array values of this template's secret attributes ({@code CKA_VALUE} and the
     * private key components): call it once the object is created, so that an imported key value does
     * not wait in the heap for the garbage collector. The template (and any template sharing its
     * attributes through {@link #toBuilder()} or {@link #with}) must not be used afterwards.
     */
    public void wipeSecrets() {
        attributes.forEach(Attribute::wipeSecret);
    }

    public Builder toBuilder() {
        Builder b = builder();
        attributes.forEach(b::add);
        return b;
    }

    @Override
    public Iterator<Attribute<?>> iterator() {
        return attributes.iterator();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Template t && t.attributes.equals(attributes);
    }

    @Override
    public int hashCode() {
        return attributes.hashCode();
    }

    @Override
    public String toString() {
        return attributes.toString();
    }

    /** Collects attributes; the last value set for an attribute wins. */
    public static final class Builder {
        private final Map<Long, Attribute<?>> byCode = new LinkedHashMap<>();

        private Builder() {
        }

        public <T> Builder set(AttributeType<T> type, T value) {
            return add(type.of(value));
        }

        public Builder add(Attribute<?> attribute) {
            byCode.remove(attribute.type().code());
            byCode.put(attribute.type().code(), attribute);
            return this;
        }

        public Builder label(String label) {
            return set(AttributeType.LABEL, label);
        }

        public Builder id(byte[] id) {
            return set(AttributeType.ID, id);
        }

        public Builder objectClass(long cko) {
            return set(AttributeType.CLASS, cko);
        }

        public Builder keyType(long ckk) {
            return set(AttributeType.KEY_TYPE, ckk);
        }

        public Builder flag(AttributeType<Boolean> type, boolean value) {
            return set(type, value);
        }

        public Builder ulong(long cka, long value) {
            return set(AttributeType.ulong(cka), value);
        }

        public Builder bytes(long cka, byte[] value) {
            return set(AttributeType.bytes(cka), value);
        }

        public Builder bigInteger(AttributeType<BigInteger> type, BigInteger value) {
            return set(type, value);
        }

        public Builder date(AttributeType<LocalDate> type, LocalDate value) {
            return set(type, value);
        }

        public Template build() {
            return byCode.isEmpty() ? EMPTY : new Template(Collections.unmodifiableList(new ArrayList<>(byCode.values())));
        }
    }
}
