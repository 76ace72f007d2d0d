// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper.attribute;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import io.p11j.sys.Abi;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.sys.Pkcs11Function;
import io.p11j.sys.Pkcs11Functions;
import io.p11j.sys.StructLayout;
import io.p11j.sys.Structs;
import io.p11j.wrapper.Pkcs11Errors;
import io.p11j.sys.NativeArena;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.p11j.sys.Pkcs11Constants.CKR_ATTRIBUTE_SENSITIVE;
import static io.p11j.sys.Pkcs11Constants.CKR_ATTRIBUTE_TYPE_INVALID;
import static io.p11j.sys.Pkcs11Constants.CKR_BUFFER_TOO_SMALL;
import static io.p11j.sys.Pkcs11Constants.CKR_OK;
import static io.p11j.sys.Pkcs11Constants.CK_UNAVAILABLE_INFORMATION;

/**
 * Attributes to and from native {@code CK_ATTRIBUTE} arrays: the one place that knows how each
 * {@link AttributeType.Kind} is represented, and how {@code C_GetAttributeValue} is called so that
 * an unavailable attribute does not spoil the read of the others. Used by the wrapper's sessions.
 */
public final class AttributeCodec {

    private static final StructLayout ATTR = Structs.CK_ATTRIBUTE.layout();
    private static final StructLayout.Field TYPE = ATTR.field("type");
    private static final StructLayout.Field P_VALUE = ATTR.field("pValue");
    private static final StructLayout.Field LEN = ATTR.field("ulValueLen");

    private AttributeCodec() {
    }

    /** A native {@code CK_ATTRIBUTE} array for {@code template}, or NULL when it is empty. */
    public static Pointer encode(Template template, NativeArena arena) {
        return encode(template.attributes(), arena);
    }

    private static Pointer encode(List<Attribute<?>> attributes, NativeArena arena) {
        if (attributes.isEmpty()) {
            return Pointer.NULL;
        }
        Pointer array = arena.allocate(ATTR.size() * attributes.size());
        for (int i = 0; i < attributes.size(); i++) {
            Pointer entry = array.share(i * ATTR.size());
            Attribute<?> a = attributes.get(i);
            TYPE.setULong(entry, a.type().code());
            long length = writeValue(a, entry, arena);
            LEN.setULong(entry, length);
        }
        return array;
    }

    private static long writeValue(Attribute<?> a, Pointer entry, NativeArena arena) {
        Abi abi = arena.abi();
        Object v = a.value();
        byte[] bytes;
        switch (a.type().kind()) {
            case BOOLEAN -> bytes = new byte[] {(byte) (((Boolean) v) ? 1 : 0)};
            case ULONG -> {
                Pointer m = arena.ulong((Long) v);
                P_VALUE.setPointer(entry, m);
                return abi.ulongSize();
            }
            case STRING -> bytes = ((String) v).getBytes(StandardCharsets.UTF_8);
            case BYTES -> bytes = (byte[]) v;
            case BIG_INTEGER -> bytes = unsigned((BigInteger) v);
            case DATE -> bytes = formatDate((LocalDate) v);
            case MECHANISM_ARRAY -> {
                long[] mechs = (long[]) v;
                Pointer m = arena.allocate((long) mechs.length * abi.ulongSize());
                abi.setULongArray(m, 0, mechs);
                P_VALUE.setPointer(entry, mechs.length == 0 ? Pointer.NULL : m);
                return (long) mechs.length * abi.ulongSize();
            }
            case ATTRIBUTE_ARRAY -> {
                @SuppressWarnings("unchecked")
                List<Attribute<?>> inner = (List<Attribute<?>>) v;
                P_VALUE.setPointer(entry, encode(inner, arena));
                return inner.size() * ATTR.size();
            }
            default -> throw new AssertionError(a.type().kind());
        }
        P_VALUE.setPointer(entry, bytes.length == 0 ? Pointer.NULL : arena.bytes(bytes));
        return bytes.length;
    }

    /**
     * Reads {@code types} of {@code object}. Attributes the token refuses (sensitive) or lacks are
     * reported as {@link AttributeValues.Unavailable}; any other error is thrown.
     */
    public static AttributeValues read(Pkcs11Functions f, long session, long object, List<AttributeType<?>> types)
            throws Pkcs11Exception {
        Map<AttributeType<?>, Object> values = new LinkedHashMap<>();
        Map<AttributeType<?>, AttributeValues.Unavailable> unavailable = new LinkedHashMap<>();
        if (types.isEmpty()) {
            return new AttributeValues(values, unavailable);
        }
        try (NativeArena arena = new NativeArena(f.abi())) {
            int n = types.size();
            Pointer array = arena.allocate(ATTR.size() * n);
            for (int i = 0; i < n; i++) {
                TYPE.setULong(array.share(i * ATTR.size()), types.get(i).code());
            }
            long rv = f.C_GetAttributeValue(session, object, array, n);
            if (rv != CKR_OK && rv != CKR_ATTRIBUTE_SENSITIVE && rv != CKR_ATTRIBUTE_TYPE_INVALID) {
                throw Pkcs11Errors.of(Pkcs11Function.C_GetAttributeValue, rv);
            }
            List<Integer> readable = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                long len = LEN.getULong(array.share(i * ATTR.size()));
                if (len == CK_UNAVAILABLE_INFORMATION) {
                    unavailable.put(types.get(i), whyUnavailable(f, session, object, types.get(i)));
                } else {
                    readable.add(i);
                }
            }
            if (readable.isEmpty()) {
                return new AttributeValues(values, unavailable);
            }
            // Second round: only the readable ones, with buffers of the reported sizes.
            Pointer second = arena.allocate(ATTR.size() * readable.size());
            for (int j = 0; j < readable.size(); j++) {
                Pointer src = array.share(readable.get(j) * ATTR.size());
                Pointer dst = second.share(j * ATTR.size());
                long len = LEN.getULong(src);
                TYPE.setULong(dst, TYPE.getULong(src));
                LEN.setULong(dst, len);
                P_VALUE.setPointer(dst, len == 0 ? Pointer.NULL : arena.allocate(len));
            }
            Pkcs11Errors.check(Pkcs11Function.C_GetAttributeValue,
                    f.C_GetAttributeValue(session, object, second, readable.size()));
            for (int j = 0; j < readable.size(); j++) {
                AttributeType<?> type = types.get(readable.get(j));
                Pointer entry = second.share(j * ATTR.size());
                if (type.kind() == AttributeType.Kind.ATTRIBUTE_ARRAY) {
                    values.put(type, readAttributeArray(f, session, object, type, entry, arena));
                } else {
                    long len = LEN.getULong(entry);
                    Pointer p = P_VALUE.getPointer(entry);
                    values.put(type, decode(type, p == null ? new byte[0] : p.getByteArray(0, (int) len), f.abi()));
                }
            }
        }
        return new AttributeValues(values, unavailable);
    }

    /**
     * Reads {@code types} of {@code object} in one {@code C_GetAttributeValue} where the values fit:
     * fixed-size attributes get their exact size and variable-length ones {@code sizeHint} bytes up
     * front, instead of a length query first. Attributes that did not fit, or that the token refused
     * or lacks, are read again by {@link #read} (which tells those apart) — except a single one the
     * return code already explains ({@code CKR_ATTRIBUTE_TYPE_INVALID}, {@code CKR_ATTRIBUTE_SENSITIVE}),
     * so that asking every object for an attribute only some have costs nothing more. The result is the same;
     * the call saved matters when reading a few short attributes (labels, ids) of thousands of objects.
     * Array-valued attributes always go through {@link #read}.
     */
    public static AttributeValues readSized(Pkcs11Functions f, long session, long object, List<AttributeType<?>> types,
                                            int sizeHint) throws Pkcs11Exception {
        return readSized(f, session, object, types, sizeHint, new NativeArena(f.abi()));
    }

    /** As {@link #readSized(Pkcs11Functions, long, long, List, int)}, in {@code arena} (a session's reusable one), which it closes. */
    public static AttributeValues readSized(Pkcs11Functions f, long session, long object, List<AttributeType<?>> types,
                                            int sizeHint, NativeArena arena) throws Pkcs11Exception {
        if (types.isEmpty() || sizeHint < 1 || types.stream().anyMatch(t -> t.kind() == AttributeType.Kind.ATTRIBUTE_ARRAY
                || t.kind() == AttributeType.Kind.MECHANISM_ARRAY)) {
            arena.close();
            return read(f, session, object, types);
        }
        Map<AttributeType<?>, Object> values = new LinkedHashMap<>();
        Map<AttributeType<?>, AttributeValues.Unavailable> unavailable = new LinkedHashMap<>();
        List<AttributeType<?>> again = new ArrayList<>();
        long code; // what the call answered, as far as it explains the unavailable attributes
        Abi abi = f.abi();
        try (arena) {
            int n = types.size();
            long[] capacity = new long[n];
            Pointer array = arena.allocate(ATTR.size() * n);
            for (int i = 0; i < n; i++) {
                Pointer entry = array.share(i * ATTR.size());
                capacity[i] = switch (types.get(i).kind()) {
                    case BOOLEAN -> 1;
                    case ULONG -> abi.ulongSize();
                    case DATE -> 8;
                    default -> sizeHint;
                };
                TYPE.setULong(entry, types.get(i).code());
                P_VALUE.setPointer(entry, arena.allocate(capacity[i]));
                LEN.setULong(entry, capacity[i]);
            }
            long rv = f.C_GetAttributeValue(session, object, array, n);
            if (rv != CKR_OK && rv != CKR_BUFFER_TOO_SMALL && rv != CKR_ATTRIBUTE_SENSITIVE && rv != CKR_ATTRIBUTE_TYPE_INVALID) {
                throw Pkcs11Errors.of(Pkcs11Function.C_GetAttributeValue, rv);
            }
            code = rv;
            for (int i = 0; i < n; i++) {
                Pointer entry = array.share(i * ATTR.size());
                long len = LEN.getULong(entry);
                // Some modules report the needed size instead of CK_UNAVAILABLE_INFORMATION: read those again too.
                if (len == CK_UNAVAILABLE_INFORMATION || len > capacity[i]) {
                    if (len != CK_UNAVAILABLE_INFORMATION) {
                        code = CKR_BUFFER_TOO_SMALL; // then the code speaks of this one, not of a missing one
                    }
                    again.add(types.get(i));
                } else {
                    Pointer p = P_VALUE.getPointer(entry);
                    AttributeType.Kind kind = types.get(i).kind();
                    if (kind == AttributeType.Kind.ULONG && len == abi.ulongSize()) {
                        values.put(types.get(i), abi.getULong(p, 0)); // straight from native memory: no copy to decode
                    } else if (kind == AttributeType.Kind.BOOLEAN && len == 1) {
                        values.put(types.get(i), p.getByte(0) != 0);
                    } else {
                        values.put(types.get(i), decode(types.get(i), len == 0 ? new byte[0] : p.getByteArray(0, (int) len), abi));
                    }
                }
            }
        }
        if (again.size() == 1 && (code == CKR_ATTRIBUTE_TYPE_INVALID || code == CKR_ATTRIBUTE_SENSITIVE)) {
            // One attribute unavailable and the code says why: no call needed to ask it alone.
            unavailable.put(again.get(0), code == CKR_ATTRIBUTE_SENSITIVE
                    ? AttributeValues.Unavailable.SENSITIVE : AttributeValues.Unavailable.ABSENT);
            again.clear();
        }
        if (!again.isEmpty()) {
            AttributeValues rest = read(f, session, object, again);
            for (AttributeType<?> t : again) {
                if (rest.present().contains(t)) {
                    values.put(t, rest.get(t).orElse(null));
                } else {
                    rest.unavailable(t).ifPresent(why -> unavailable.put(t, why));
                }
            }
        }
        // In the caller's order, as read() gives them.
        Map<AttributeType<?>, Object> ordered = new LinkedHashMap<>();
        for (AttributeType<?> t : types) {
            if (values.containsKey(t)) {
                ordered.put(t, values.get(t));
            }
        }
        return new AttributeValues(ordered, unavailable);
    }

    /** With several attributes unavailable the code of the combined call is ambiguous: ask for this one alone. */
    private static AttributeValues.Unavailable whyUnavailable(Pkcs11Functions f, long session, long object,
                                                             AttributeType<?> type) throws Pkcs11Exception {
        try (NativeArena arena = new NativeArena(f.abi())) {
            Pointer one = arena.allocate(ATTR.size());
            TYPE.setULong(one, type.code());
            long rv = f.C_GetAttributeValue(session, object, one, 1);
            if (rv == CKR_ATTRIBUTE_SENSITIVE) {
                return AttributeValues.Unavailable.SENSITIVE;
            }
            if (rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_OK) {
                return AttributeValues.Unavailable.ABSENT; // (OK with an unavailable length: absent all the same)
            }
            throw Pkcs11Errors.of(Pkcs11Function.C_GetAttributeValue, rv);
        }
    }

    /** A third round for {@code CKA_WRAP_TEMPLATE} and friends: the inner values' sizes are known only now. */
    private static List<Attribute<?>> readAttributeArray(Pkcs11Functions f, long session, long object, AttributeType<?> type,
                                                         Pointer entry, NativeArena arena) throws Pkcs11Exception {
        long len = LEN.getULong(entry);
        int count = (int) (len / ATTR.size());
        Pointer inner = P_VALUE.getPointer(entry);
        List<Attribute<?>> out = new ArrayList<>(count);
        if (count == 0 || inner == null) {
            return List.of();
        }
        for (int k = 0; k < count; k++) {
            Pointer e = inner.share(k * ATTR.size());
            long l = LEN.getULong(e);
            P_VALUE.setPointer(e, l == 0 || l == CK_UNAVAILABLE_INFORMATION ? Pointer.NULL : arena.allocate(l));
        }
        Pointer outer = arena.allocate(ATTR.size());
        TYPE.setULong(outer, type.code());
        P_VALUE.setPointer(outer, inner);
        LEN.setULong(outer, len);
        Pkcs11Errors.check(Pkcs11Function.C_GetAttributeValue, f.C_GetAttributeValue(session, object, outer, 1));
        for (int k = 0; k < count; k++) {
            Pointer e = inner.share(k * ATTR.size());
            long l = LEN.getULong(e);
            Pointer p = P_VALUE.getPointer(e);
            byte[] raw = p == null || l == CK_UNAVAILABLE_INFORMATION ? new byte[0] : p.getByteArray(0, (int) l);
            out.add(AttributeType.bytes(TYPE.getULong(e)).of(raw));
        }
        return List.copyOf(out);
    }

    /** A raw attribute value as the Java type of {@code type}. */
    public static Object decode(AttributeType<?> type, byte[] raw, Abi abi) {
        switch (type.kind()) {
            case BOOLEAN:
                return raw.length > 0 && raw[0] != 0;
            case ULONG: {
                if (raw.length != abi.ulongSize()) {
                    throw new IllegalArgumentException(type + ": " + raw.length + " bytes is not a CK_ULONG");
                }
                Memory m = new Memory(raw.length);
                m.write(0, raw, 0, raw.length);
                return abi.getULong(m, 0);
            }
            case STRING:
                return new String(raw, StandardCharsets.UTF_8);
            case BYTES:
                return raw;
            case BIG_INTEGER:
                return new BigInteger(1, raw);
            case DATE:
                return parseDate(raw);
            case MECHANISM_ARRAY: {
                int count = raw.length / abi.ulongSize();
                if (count == 0) {
                    return new long[0];
                }
                Memory m = new Memory(raw.length);
                m.write(0, raw, 0, raw.length);
                return abi.getULongArray(m, 0, count);
            }
            default:
                throw new IllegalArgumentException(type + " cannot be decoded from bytes alone");
        }
    }

    static byte[] unsigned(BigInteger v) {
        if (v.signum() < 0) {
            throw new IllegalArgumentException("PKCS#11 big integers are unsigned");
        }
        byte[] b = v.toByteArray();
        if (b.length > 1 && b[0] == 0) {
            return java.util.Arrays.copyOfRange(b, 1, b.length);
        }
        return b;
    }

    static byte[] formatDate(LocalDate d) {
        if (d.getYear() < 0 || d.getYear() > 9999) {
            throw new IllegalArgumentException("CK_DATE holds years 0000-9999, not " + d.getYear());
        }
        return String.format(java.util.Locale.ROOT, "%04d%02d%02d", d.getYear(), d.getMonthValue(), d.getDayOfMonth())
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** A CK_DATE; empty, blank or all-zero dates (tokens use all three for "no date") are null. */
    static LocalDate parseDate(byte[] raw) {
        if (raw.length != 8) {
            return null;
        }
        String s = new String(raw, StandardCharsets.US_ASCII);
        if (s.isBlank() || s.equals("00000000") || s.chars().allMatch(c -> c == 0)) {
            return null;
        }
        try {
            return LocalDate.of(Integer.parseInt(s.substring(0, 4)), Integer.parseInt(s.substring(4, 6)),
                    Integer.parseInt(s.substring(6, 8)));
        } catch (NumberFormatException | java.time.DateTimeException e) {
            return null;
        }
    }

}
