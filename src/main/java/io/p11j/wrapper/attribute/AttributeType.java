// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper.attribute;

import io.p11j.sys.Pkcs11Constants;

import java.math.BigInteger;
import java.time.LocalDate;
import java.util.List;
import java.util.Objects;

import static io.p11j.sys.Pkcs11Constants.*;

/**
 * A PKCS#11 attribute ({@code CKA_*}) together with the Java type of its value, so that templates
 * and reads are typed: {@code LABEL} is a {@code String}, {@code MODULUS} a {@code BigInteger},
 * {@code SENSITIVE} a {@code Boolean}. Any other attribute, vendor-defined ones included, is
 * reachable through {@link #bytes(long)}, {@link #ulong(long)}, {@link #bool(long)} and friends.
 *
 * <p>Immutable; two instances are equal when they name the same attribute with the same kind.
 */
public final class AttributeType<T> {

    /** How a value is represented natively. */
    public enum Kind {
        /** {@code CK_BBOOL}: {@link Boolean}. */
        BOOLEAN,
        /** {@code CK_ULONG}: {@link Long}. */
        ULONG,
        /** UTF-8 text: {@link String}. */
        STRING,
        /** Raw bytes: {@code byte[]}. */
        BYTES,
        /** Unsigned big-endian integer: {@link BigInteger}. */
        BIG_INTEGER,
        /** {@code CK_DATE}: {@link LocalDate} (an empty date reads as null). */
        DATE,
        /** An array of {@code CK_ATTRIBUTE}: {@code List<Attribute<?>>} of raw byte values. */
        ATTRIBUTE_ARRAY,
        /** An array of {@code CK_MECHANISM_TYPE}: {@code long[]}. */
        MECHANISM_ARRAY
    }

    public static final AttributeType<Long> CLASS = ulong(CKA_CLASS);
    public static final AttributeType<Boolean> TOKEN = bool(CKA_TOKEN);
    public static final AttributeType<Boolean> PRIVATE = bool(CKA_PRIVATE);
    public static final AttributeType<String> LABEL = string(CKA_LABEL);
    public static final AttributeType<String> APPLICATION = string(CKA_APPLICATION);
    public static final AttributeType<byte[]> VALUE = bytes(CKA_VALUE);
    public static final AttributeType<byte[]> OBJECT_ID = bytes(CKA_OBJECT_ID);
    public static final AttributeType<Long> CERTIFICATE_TYPE = ulong(CKA_CERTIFICATE_TYPE);
    public static final AttributeType<byte[]> ISSUER = bytes(CKA_ISSUER);
    public static final AttributeType<byte[]> SERIAL_NUMBER = bytes(CKA_SERIAL_NUMBER);
    public static final AttributeType<byte[]> SUBJECT = bytes(CKA_SUBJECT);
    public static final AttributeType<Boolean> TRUSTED = bool(CKA_TRUSTED);
    public static final AttributeType<Long> CERTIFICATE_CATEGORY = ulong(CKA_CERTIFICATE_CATEGORY);
    public static final AttributeType<Long> KEY_TYPE = ulong(CKA_KEY_TYPE);
    public static final AttributeType<byte[]> ID = bytes(CKA_ID);
    public static final AttributeType<Boolean> SENSITIVE = bool(CKA_SENSITIVE);
    public static final AttributeType<Boolean> ENCRYPT = bool(CKA_ENCRYPT);
    public static final AttributeType<Boolean> DECRYPT = bool(CKA_DECRYPT);
    public static final AttributeType<Boolean> WRAP = bool(CKA_WRAP);
    public static final AttributeType<Boolean> UNWRAP = bool(CKA_UNWRAP);
    public static final AttributeType<Boolean> SIGN = bool(CKA_SIGN);
    public static final AttributeType<Boolean> SIGN_RECOVER = bool(CKA_SIGN_RECOVER);
    public static final AttributeType<Boolean> VERIFY = bool(CKA_VERIFY);
    public static final AttributeType<Boolean> VERIFY_RECOVER = bool(CKA_VERIFY_RECOVER);
    public static final AttributeType<Boolean> DERIVE = bool(CKA_DERIVE);
    public static final AttributeType<LocalDate> START_DATE = date(CKA_START_DATE);
    public static final AttributeType<LocalDate> END_DATE = date(CKA_END_DATE);
    public static final AttributeType<BigInteger> MODULUS = bigInteger(CKA_MODULUS);
    public static final AttributeType<Long> MODULUS_BITS = ulong(CKA_MODULUS_BITS);
    public static final AttributeType<BigInteger> PUBLIC_EXPONENT = bigInteger(CKA_PUBLIC_EXPONENT);
    public static final AttributeType<BigInteger> PRIVATE_EXPONENT = bigInteger(CKA_PRIVATE_EXPONENT);
    public static final AttributeType<BigInteger> PRIME_1 = bigInteger(CKA_PRIME_1);
    public static final AttributeType<BigInteger> PRIME_2 = bigInteger(CKA_PRIME_2);
    public static final AttributeType<BigInteger> EXPONENT_1 = bigInteger(CKA_EXPONENT_1);
    public static final AttributeType<BigInteger> EXPONENT_2 = bigInteger(CKA_EXPONENT_2);
    public static final AttributeType<BigInteger> COEFFICIENT = bigInteger(CKA_COEFFICIENT);
    public static final AttributeType<byte[]> PUBLIC_KEY_INFO = bytes(CKA_PUBLIC_KEY_INFO);
    public static final AttributeType<BigInteger> PRIME = bigInteger(CKA_PRIME);
    public static final AttributeType<BigInteger> SUBPRIME = bigInteger(CKA_SUBPRIME);
    public static final AttributeType<BigInteger> BASE = bigInteger(CKA_BASE);
    public static final AttributeType<Long> VALUE_BITS = ulong(CKA_VALUE_BITS);
    public static final AttributeType<Long> VALUE_LEN = ulong(CKA_VALUE_LEN);
    public static final AttributeType<Boolean> EXTRACTABLE = bool(CKA_EXTRACTABLE);
    public static final AttributeType<Boolean> LOCAL = bool(CKA_LOCAL);
    public static final AttributeType<Boolean> NEVER_EXTRACTABLE = bool(CKA_NEVER_EXTRACTABLE);
    public static final AttributeType<Boolean> ALWAYS_SENSITIVE = bool(CKA_ALWAYS_SENSITIVE);
    public static final AttributeType<Long> KEY_GEN_MECHANISM = ulong(CKA_KEY_GEN_MECHANISM);
    public static final AttributeType<Boolean> MODIFIABLE = bool(CKA_MODIFIABLE);
    public static final AttributeType<Boolean> COPYABLE = bool(CKA_COPYABLE);
    public static final AttributeType<Boolean> DESTROYABLE = bool(CKA_DESTROYABLE);
    public static final AttributeType<byte[]> EC_PARAMS = bytes(CKA_EC_PARAMS);
    public static final AttributeType<byte[]> EC_POINT = bytes(CKA_EC_POINT);
    public static final AttributeType<Boolean> ALWAYS_AUTHENTICATE = bool(CKA_ALWAYS_AUTHENTICATE);
    public static final AttributeType<Boolean> WRAP_WITH_TRUSTED = bool(CKA_WRAP_WITH_TRUSTED);
    public static final AttributeType<List<Attribute<?>>> WRAP_TEMPLATE = attributeArray(CKA_WRAP_TEMPLATE);
    public static final AttributeType<List<Attribute<?>>> UNWRAP_TEMPLATE = attributeArray(CKA_UNWRAP_TEMPLATE);
    public static final AttributeType<List<Attribute<?>>> DERIVE_TEMPLATE = attributeArray(CKA_DERIVE_TEMPLATE);
    public static final AttributeType<long[]> ALLOWED_MECHANISMS = mechanismArray(CKA_ALLOWED_MECHANISMS);

    private final long code;
    private final Kind kind;

    private AttributeType(long code, Kind kind) {
        this.code = code;
        this.kind = Objects.requireNonNull(kind);
    }

    public static AttributeType<Boolean> bool(long code) {
        return new AttributeType<>(code, Kind.BOOLEAN);
    }

    public static AttributeType<Long> ulong(long code) {
        return new AttributeType<>(code, Kind.ULONG);
    }

    public static AttributeType<String> string(long code) {
        return new AttributeType<>(code, Kind.STRING);
    }

    public static AttributeType<byte[]> bytes(long code) {
        return new AttributeType<>(code, Kind.BYTES);
    }

    public static AttributeType<BigInteger> bigInteger(long code) {
        return new AttributeType<>(code, Kind.BIG_INTEGER);
    }

    public static AttributeType<LocalDate> date(long code) {
        return new AttributeType<>(code, Kind.DATE);
    }

    public static AttributeType<List<Attribute<?>>> attributeArray(long code) {
        return new AttributeType<>(code, Kind.ATTRIBUTE_ARRAY);
    }

    public static AttributeType<long[]> mechanismArray(long code) {
        return new AttributeType<>(code, Kind.MECHANISM_ARRAY);
    }

    /** The {@code CKA_*} value. */
    public long code() {
        return code;
    }

    public Kind kind() {
        return kind;
    }

    /** An attribute of this type with {@code value}. */
    public Attribute<T> of(T value) {
        return new Attribute<>(this, value);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AttributeType<?> t && t.code == code && t.kind == kind;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(code) * 31 + kind.hashCode();
    }

    @Override
    public String toString() {
        return Pkcs11Constants.attributeName(code);
    }
}
