// SPDX-License-Identifier: Apache-2.0
package io.p11j.uri;

import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SortedMap;
import java.util.TreeMap;
import javax.security.auth.Destroyable;

/**
 * An RFC 7512 {@code pkcs11:} URI: which module, slot, token and object to use, and how to get
 * the PIN.
 *
 * <h2>Attributes</h2>
 * Every attribute of RFC 7512 has an accessor named after it. An accessor returns an empty
 * {@link Optional} when the URI does not name the attribute; an attribute written with an empty
 * value ({@code serial=}) is present with an empty value and matches only an empty field. Textual
 * values are UTF-8 and are held decoded; {@code id} is bytes; {@code slot-id} is an unsigned
 * 64-bit {@code CK_SLOT_ID}; {@code type} is a {@link Type}; {@code library-version} a
 * {@link LibraryVersion}. Attribute names are read without regard to case (RFC 5234 makes the
 * ABNF's literals case-insensitive) and printed in lower case.
 *
 * <p>Attributes the RFC does not define are vendor attributes. By convention their names start
 * with {@code x-}, but any name of letters, digits, {@code -} and {@code _} is kept (the RFC's own
 * examples use {@code vendor-aaa}). They are kept, compared by {@link #equals} and printed back.
 * An unknown attribute in the <em>path</em> makes every {@code matches…} method answer
 * {@code false}, as p11-kit does: a URI that says something this code does not understand must not
 * select a key on the strength of the parts it does understand. An unknown attribute in the
 * <em>query</em> is ignored by matching.
 *
 * <h2>Canonical form</h2>
 * {@link #format(boolean)} writes {@code pkcs11:}, the path attributes in the order token,
 * manufacturer, serial, model, library-manufacturer, library-description, library-version,
 * slot-manufacturer, slot-description, slot-id, object, type, id, then vendor path attributes
 * sorted by name; then, when there is any, {@code ?} and the query attributes in the order
 * pin-source, pin-value, module-name, module-path, then vendor query attributes sorted by name.
 * A character that RFC 7512 lets stand unencoded in its component stands unencoded, every other
 * byte of the UTF-8 encoding is {@code %XX} in upper case, and every byte of {@code id} is
 * {@code %XX}, as p11-kit writes it. {@code library-version} is {@code M} when the minor version is
 * 0, else {@code M.N}; {@code slot-id} is decimal without leading zeros. So
 * {@code parse(u.format(true)).equals(u)} for every URI, and
 * {@code parse(s).format(true).equals(s)} for every canonical {@code s}.
 *
 * <h2>PIN</h2>
 * {@code pin-value} is held as a {@code char[]} and never as a {@code String} once parsed;
 * {@link #pinValue()} hands out a fresh copy that the caller wipes. {@link #toString()} and
 * {@link #format(boolean) format(false)} print it as {@code pin-value=<masked>}, which is
 * deliberately not a valid URI: parsing a masked URI back fails loudly instead of logging in with
 * a wrong PIN. Only {@link #format(boolean) format(true)} prints the PIN. {@link #withoutPin()}
 * drops it, for writing a URI back to configuration or a KeyStore alias. {@link #destroy()} wipes
 * it; that is the only thing about this object that can change.
 *
 * <p>Instances are immutable apart from {@link #destroy()}, and thread-safe.
 */
public final class Pkcs11Uri implements Destroyable {

    /** The RFC 7512 {@code type} attribute: an object's {@code CKA_CLASS}. */
    public enum Type {
        /** {@code public}: {@code CKO_PUBLIC_KEY}. */
        PUBLIC("public", 2),
        /** {@code private}: {@code CKO_PRIVATE_KEY}. */
        PRIVATE("private", 3),
        /** {@code cert}: {@code CKO_CERTIFICATE}. */
        CERT("cert", 1),
        /** {@code secret-key}: {@code CKO_SECRET_KEY}. */
        SECRET_KEY("secret-key", 4),
        /** {@code data}: {@code CKO_DATA}. */
        DATA("data", 0);

        private final String uriName;
        private final long objectClass;

        Type(String uriName, long objectClass) {
            this.uriName = uriName;
            this.objectClass = objectClass;
        }

        /** The name in a URI, e.g. {@code secret-key}. */
        public String uriName() {
            return uriName;
        }

        /** The {@code CKO_*} value of {@code CKA_CLASS} this type stands for. */
        public long objectClass() {
            return objectClass;
        }

        /**
         * The type with this URI name, without regard to ASCII case (RFC 5234 literals), if any.
         * Only ASCII letters fold: {@code String.equalsIgnoreCase} would also take the Kelvin
         * sign for {@code k} and the long s for {@code s}.
         */
        public static Optional<Type> fromUriName(String name) {
            for (Type t : values()) {
                if (asciiEqualsIgnoreCase(t.uriName, name)) {
                    return Optional.of(t);
                }
            }
            return Optional.empty();
        }

        private static boolean asciiEqualsIgnoreCase(String lower, String s) {
            if (lower.length() != s.length()) {
                return false;
            }
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c >= 'A' && c <= 'Z') {
                    c = (char) (c + ('a' - 'A'));
                }
                if (c != lower.charAt(i)) {
                    return false;
                }
            }
            return true;
        }

        /** The type for a {@code CKA_CLASS} value; empty for classes a URI cannot name (e.g. {@code CKO_MECHANISM}). */
        public static Optional<Type> fromObjectClass(long objectClass) {
            for (Type t : values()) {
                if (t.objectClass == objectClass) {
                    return Optional.of(t);
                }
            }
            return Optional.empty();
        }

        @Override
        public String toString() {
            return uriName;
        }
    }

    /**
     * A module's {@code CK_INFO.libraryVersion}; in a URI {@code M} or {@code M.N}. {@code M}
     * means {@code M.0}, as in p11-kit, and is the canonical spelling of it.
     *
     * @param major 0..255
     * @param minor 0..255
     */
    public record LibraryVersion(int major, int minor) {

        /** @throws IllegalArgumentException when a part is outside 0..255 ({@code CK_BYTE}) */
        public LibraryVersion {
            if (major < 0 || major > 255 || minor < 0 || minor > 255) {
                throw new IllegalArgumentException("a library version part is 0..255: " + major + "." + minor);
            }
        }

        /** The URI spelling: {@code M} when the minor version is 0, else {@code M.N}. */
        @Override
        public String toString() {
            return minor == 0 ? Integer.toString(major) : major + "." + minor;
        }
    }

    /**
     * What a URI's module attributes are matched against: a module's {@code CK_INFO}. Fields are
     * {@code null} when unknown; a {@code null} field never matches a value the URI names.
     */
    public record ModuleInfo(String libraryManufacturer, String libraryDescription, LibraryVersion libraryVersion) {
    }

    /**
     * What a URI's slot attributes are matched against: a slot's id and {@code CK_SLOT_INFO}.
     * Text fields may carry PKCS#11's blank padding; {@code null} never matches a named value.
     *
     * @param slotId the {@code CK_SLOT_ID}, read as unsigned
     */
    public record SlotInfo(long slotId, String slotManufacturer, String slotDescription) {
    }

    /**
     * What a URI's token attributes are matched against: a token's {@code CK_TOKEN_INFO}. Fields
     * may carry PKCS#11's blank padding; {@code null} never matches a named value.
     */
    public record TokenInfo(String label, String manufacturer, String model, String serial) {
    }

    /**
     * What a URI's object attributes are matched against: an object's {@code CKA_LABEL},
     * {@code CKA_CLASS} (as a {@link Type}; {@code null} for a class a URI cannot name) and
     * {@code CKA_ID}. {@code null} means the object lacks the attribute and never matches a named
     * value. The id is copied in and out.
     */
    public record ObjectInfo(String label, Type type, byte[] id) {

        /** Copies {@code id}. */
        public ObjectInfo {
            id = id == null ? null : id.clone();
        }

        /** A copy of the id, or {@code null}. */
        @Override
        public byte[] id() {
            return id == null ? null : id.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ObjectInfo other && Objects.equals(label, other.label) && type == other.type
                    && Arrays.equals(id, other.id);
        }

        @Override
        public int hashCode() {
            return Objects.hash(label, type, Arrays.hashCode(id));
        }

        @Override
        public String toString() {
            return "ObjectInfo[label=" + label + ", type=" + type + ", id=" + (id == null ? null : hex(id)) + "]";
        }
    }

    private final EnumMap<Attribute, Object> values;
    private final SortedMap<String, String> vendorPath;
    private final SortedMap<String, String> vendorQuery;
    private volatile boolean destroyed;

    /** Takes ownership of the maps and of the arrays in {@code values}. */
    Pkcs11Uri(EnumMap<Attribute, Object> values, SortedMap<String, String> vendorPath,
              SortedMap<String, String> vendorQuery) {
        this.values = values;
        this.vendorPath = Collections.unmodifiableSortedMap(vendorPath);
        this.vendorQuery = Collections.unmodifiableSortedMap(vendorQuery);
    }

    // ---------------------------------------------------------------- creating

    /**
     * Parses a {@code pkcs11:} URI. Percent escapes may use either case; the scheme and the
     * standard attribute names may too.
     *
     * @throws Pkcs11UriSyntaxException naming the problem, the attribute and the position; its
     *                                  message never holds a PIN
     */
    public static Pkcs11Uri parse(String uri) throws Pkcs11UriSyntaxException {
        return Pkcs11UriParser.parse(uri);
    }

    /**
     * Parses a URI known to be valid, such as a literal in code, as {@link java.net.URI#create}
     * does.
     *
     * @throws IllegalArgumentException with the {@link Pkcs11UriSyntaxException} as its cause
     */
    public static Pkcs11Uri create(String uri) {
        try {
            return parse(uri);
        } catch (Pkcs11UriSyntaxException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** A builder with no attribute set; {@code builder().build()} is {@code pkcs11:}. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The URI of a token, from its {@code CK_TOKEN_INFO} fields, as {@code p11tool --list-tokens}
     * prints it. Blank padding is trimmed; a {@code null} field is left out.
     */
    public static Pkcs11Uri forToken(String label, String manufacturer, String model, String serial) {
        return forToken(new TokenInfo(label, manufacturer, model, serial));
    }

    /** The URI of a token; see {@link #forToken(String, String, String, String)}. */
    public static Pkcs11Uri forToken(TokenInfo token) {
        return builder().tokenInfo(token).build();
    }

    /**
     * The URI of an object on a token, as {@code p11tool --list-all} prints it: the token's
     * attributes and the object's label, type and id.
     */
    public static Pkcs11Uri forObject(TokenInfo token, ObjectInfo object) {
        return builder().tokenInfo(token).objectInfo(object).build();
    }

    /** A builder holding this URI's attributes, PIN included. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.values.putAll(copyValues(true));
        b.vendorPath.putAll(vendorPath);
        b.vendorQuery.putAll(vendorQuery);
        return b;
    }

    /** This URI without {@code pin-value} (a {@code pin-source} stays: it is no secret). */
    public Pkcs11Uri withoutPin() {
        if (!values.containsKey(Attribute.PIN_VALUE)) {
            return this;
        }
        return new Pkcs11Uri(copyValues(false), new TreeMap<>(vendorPath), new TreeMap<>(vendorQuery));
    }

    /** This URI with its path only: no PIN, no PIN source, no module, no vendor query attribute. */
    public Pkcs11Uri withoutQuery() {
        EnumMap<Attribute, Object> v = copyValues(false);
        v.keySet().removeIf(a -> a.component == Attribute.Component.QUERY);
        return new Pkcs11Uri(v, new TreeMap<>(vendorPath), new TreeMap<>());
    }

    /** Deep copies of the values; with the PIN only when asked (and then only if not destroyed). */
    private EnumMap<Attribute, Object> copyValues(boolean withPin) {
        EnumMap<Attribute, Object> v = new EnumMap<>(Attribute.class);
        values.forEach((k, val) -> {
            if (k != Attribute.PIN_VALUE) {
                v.put(k, copy(val));
            }
        });
        if (withPin && values.containsKey(Attribute.PIN_VALUE)) {
            checkNotDestroyed();
            v.put(Attribute.PIN_VALUE, copy(values.get(Attribute.PIN_VALUE)));
        }
        return v;
    }

    private static Object copy(Object v) {
        if (v instanceof byte[] b) {
            return b.clone();
        }
        if (v instanceof char[] c) {
            return c.clone();
        }
        return v;
    }

    // ---------------------------------------------------------------- attributes

    /** {@code token}: the token label. */
    public Optional<String> token() {
        return text(Attribute.TOKEN);
    }

    /** {@code manufacturer}: the token's manufacturer ID. */
    public Optional<String> manufacturer() {
        return text(Attribute.MANUFACTURER);
    }

    /** {@code serial}: the token's serial number. */
    public Optional<String> serial() {
        return text(Attribute.SERIAL);
    }

    /** {@code model}: the token's model. */
    public Optional<String> model() {
        return text(Attribute.MODEL);
    }

    /** {@code library-manufacturer}: the module's {@code CK_INFO.manufacturerID}. */
    public Optional<String> libraryManufacturer() {
        return text(Attribute.LIBRARY_MANUFACTURER);
    }

    /** {@code library-description}: the module's {@code CK_INFO.libraryDescription}. */
    public Optional<String> libraryDescription() {
        return text(Attribute.LIBRARY_DESCRIPTION);
    }

    /** {@code library-version}: the module's {@code CK_INFO.libraryVersion}. */
    public Optional<LibraryVersion> libraryVersion() {
        return Optional.ofNullable((LibraryVersion) values.get(Attribute.LIBRARY_VERSION));
    }

    /** {@code slot-manufacturer}: the slot's {@code CK_SLOT_INFO.manufacturerID}. */
    public Optional<String> slotManufacturer() {
        return text(Attribute.SLOT_MANUFACTURER);
    }

    /** {@code slot-description}: the slot's {@code CK_SLOT_INFO.slotDescription}. */
    public Optional<String> slotDescription() {
        return text(Attribute.SLOT_DESCRIPTION);
    }

    /**
     * {@code slot-id}: the {@code CK_SLOT_ID}, an unsigned 64-bit value (use
     * {@link Long#toUnsignedString(long)} to print one above {@link Long#MAX_VALUE}).
     */
    public OptionalLong slotId() {
        Long id = (Long) values.get(Attribute.SLOT_ID);
        return id == null ? OptionalLong.empty() : OptionalLong.of(id);
    }

    /** {@code object}: the object's {@code CKA_LABEL}. */
    public Optional<String> object() {
        return text(Attribute.OBJECT);
    }

    /** {@code type}: the object's {@code CKA_CLASS}. */
    public Optional<Type> type() {
        return Optional.ofNullable((Type) values.get(Attribute.TYPE));
    }

    /** {@code id}: a copy of the object's {@code CKA_ID}. */
    public Optional<byte[]> id() {
        byte[] id = (byte[]) values.get(Attribute.ID);
        return id == null ? Optional.empty() : Optional.of(id.clone());
    }

    /** {@code pin-source}: where to read the PIN from; see {@link PinSource}. */
    public Optional<String> pinSource() {
        return text(Attribute.PIN_SOURCE);
    }

    /** Whether the URI holds a {@code pin-value}. */
    public boolean hasPinValue() {
        return values.containsKey(Attribute.PIN_VALUE);
    }

    /**
     * {@code pin-value}: a fresh copy of the PIN, which the caller wipes
     * ({@code Arrays.fill(pin, '\0')}) when done.
     *
     * @throws IllegalStateException after {@link #destroy()}
     */
    public Optional<char[]> pinValue() {
        char[] pin = (char[]) values.get(Attribute.PIN_VALUE);
        if (pin == null) {
            return Optional.empty();
        }
        checkNotDestroyed();
        return Optional.of(pin.clone());
    }

    /** {@code module-name}: a module's name, resolved by {@link ModuleResolver}. */
    public Optional<String> moduleName() {
        return text(Attribute.MODULE_NAME);
    }

    /** {@code module-path}: a module's absolute path. It wins over {@code module-name}. */
    public Optional<String> modulePath() {
        return text(Attribute.MODULE_PATH);
    }

    /** Whether the URI names a module to load ({@code module-path} or {@code module-name}). */
    public boolean namesModule() {
        return values.containsKey(Attribute.MODULE_PATH) || values.containsKey(Attribute.MODULE_NAME);
    }

    /** The path attributes RFC 7512 does not define, by name, sorted; unmodifiable. */
    public SortedMap<String, String> vendorPathAttributes() {
        return vendorPath;
    }

    /** The query attributes RFC 7512 does not define, by name, sorted; unmodifiable. */
    public SortedMap<String, String> vendorQueryAttributes() {
        return vendorQuery;
    }

    /** Whether the path holds attributes this code does not understand; such a URI matches nothing. */
    public boolean hasUnrecognizedPathAttributes() {
        return !vendorPath.isEmpty();
    }

    /** Whether the URI names library-manufacturer, library-description or library-version. */
    public boolean hasModuleAttributes() {
        return hasAny(Attribute.LIBRARY_MANUFACTURER, Attribute.LIBRARY_DESCRIPTION, Attribute.LIBRARY_VERSION);
    }

    /** Whether the URI names slot-manufacturer, slot-description or slot-id. */
    public boolean hasSlotAttributes() {
        return hasAny(Attribute.SLOT_MANUFACTURER, Attribute.SLOT_DESCRIPTION, Attribute.SLOT_ID);
    }

    /** Whether the URI names token, manufacturer, serial or model. */
    public boolean hasTokenAttributes() {
        return hasAny(Attribute.TOKEN, Attribute.MANUFACTURER, Attribute.SERIAL, Attribute.MODEL);
    }

    /** Whether the URI names object, type or id: whether it points at objects rather than at a token. */
    public boolean hasObjectAttributes() {
        return hasAny(Attribute.OBJECT, Attribute.TYPE, Attribute.ID);
    }

    private boolean hasAny(Attribute... attributes) {
        for (Attribute a : attributes) {
            if (values.containsKey(a)) {
                return true;
            }
        }
        return false;
    }

    private Optional<String> text(Attribute a) {
        return Optional.ofNullable((String) values.get(a));
    }

    // ---------------------------------------------------------------- matching

    /**
     * Whether the module matches: every library attribute the URI names equals the module's
     * (text compared after trimming blank padding, the version exactly). {@code false} when the
     * URI's path holds an unknown attribute.
     */
    public boolean matchesModule(ModuleInfo module) {
        Objects.requireNonNull(module, "module");
        if (hasUnrecognizedPathAttributes()) {
            return false;
        }
        LibraryVersion version = (LibraryVersion) values.get(Attribute.LIBRARY_VERSION);
        return paddedMatches(Attribute.LIBRARY_MANUFACTURER, module.libraryManufacturer())
                && paddedMatches(Attribute.LIBRARY_DESCRIPTION, module.libraryDescription())
                && (version == null || version.equals(module.libraryVersion()));
    }

    /**
     * Whether the slot matches: slot-id equals, slot-manufacturer and slot-description equal
     * after trimming blank padding. {@code false} when the URI's path holds an unknown attribute.
     */
    public boolean matchesSlot(SlotInfo slot) {
        Objects.requireNonNull(slot, "slot");
        if (hasUnrecognizedPathAttributes()) {
            return false;
        }
        Long id = (Long) values.get(Attribute.SLOT_ID);
        return (id == null || id == slot.slotId())
                && paddedMatches(Attribute.SLOT_MANUFACTURER, slot.slotManufacturer())
                && paddedMatches(Attribute.SLOT_DESCRIPTION, slot.slotDescription());
    }

    /**
     * Whether the token matches: token (label), manufacturer, serial and model each equal the
     * token's after trimming the blank padding of {@code CK_TOKEN_INFO}'s fixed-size fields.
     * {@code false} when the URI's path holds an unknown attribute.
     */
    public boolean matchesToken(TokenInfo token) {
        Objects.requireNonNull(token, "token");
        if (hasUnrecognizedPathAttributes()) {
            return false;
        }
        return paddedMatches(Attribute.TOKEN, token.label())
                && paddedMatches(Attribute.MANUFACTURER, token.manufacturer())
                && paddedMatches(Attribute.SERIAL, token.serial())
                && paddedMatches(Attribute.MODEL, token.model());
    }

    /**
     * Whether the object matches: object equals its label exactly ({@code CKA_LABEL} is not
     * padded), type its class, id its {@code CKA_ID} byte for byte. {@code false} when the URI's
     * path holds an unknown attribute.
     */
    public boolean matchesObject(ObjectInfo object) {
        Objects.requireNonNull(object, "object");
        if (hasUnrecognizedPathAttributes()) {
            return false;
        }
        String label = (String) values.get(Attribute.OBJECT);
        Type type = (Type) values.get(Attribute.TYPE);
        byte[] id = (byte[]) values.get(Attribute.ID);
        return (label == null || label.equals(object.label()))
                && (type == null || type == object.type())
                && (id == null || (object.id != null && Arrays.equals(id, object.id)));
    }

    private boolean paddedMatches(Attribute a, String field) {
        String wanted = (String) values.get(a);
        if (wanted == null) {
            return true;
        }
        return field != null && unpad(wanted).equals(unpad(field));
    }

    /**
     * Without PKCS#11's blank padding: trailing spaces, and trailing NULs, which some modules pad
     * with against the standard.
     */
    static String unpad(String s) {
        int end = s.length();
        while (end > 0 && (s.charAt(end - 1) == ' ' || s.charAt(end - 1) == '\0')) {
            end--;
        }
        return s.substring(0, end);
    }

    // ---------------------------------------------------------------- printing

    /**
     * The canonical form (see the class comment).
     *
     * @param includePin whether to print the PIN; when {@code false} a {@code pin-value} is printed
     *                   as {@code pin-value=<masked>}, as by {@link #toString()}. To write a URI
     *                   back without its PIN, use {@code withoutPin().format(false)}.
     * @throws IllegalStateException when asked for a PIN that {@link #destroy()} wiped
     */
    public String format(boolean includePin) {
        StringBuilder sb = new StringBuilder(Pkcs11UriParser.SCHEME);
        int path = 0;
        for (Attribute a : Attribute.values()) {
            if (a.component == Attribute.Component.PATH && values.containsKey(a)) {
                sb.append(path++ == 0 ? "" : ";").append(a.uriName).append('=');
                appendValue(sb, a, values.get(a), includePin);
            }
        }
        for (Map.Entry<String, String> e : vendorPath.entrySet()) {
            sb.append(path++ == 0 ? "" : ";").append(e.getKey()).append('=');
            PercentCodec.appendEncoded(sb, utf8(e.getValue()), Attribute.Component.PATH);
        }
        int query = 0;
        for (Attribute a : Attribute.values()) {
            if (a.component == Attribute.Component.QUERY && values.containsKey(a)) {
                sb.append(query++ == 0 ? '?' : '&').append(a.uriName).append('=');
                appendValue(sb, a, values.get(a), includePin);
            }
        }
        for (Map.Entry<String, String> e : vendorQuery.entrySet()) {
            sb.append(query++ == 0 ? '?' : '&').append(e.getKey()).append('=');
            PercentCodec.appendEncoded(sb, utf8(e.getValue()), Attribute.Component.QUERY);
        }
        return sb.toString();
    }

    private void appendValue(StringBuilder sb, Attribute a, Object v, boolean includePin) {
        switch (a.kind) {
            case TEXT, ABSOLUTE_PATH -> PercentCodec.appendEncoded(sb, utf8((String) v), a.component);
            case BYTES -> PercentCodec.appendAllEncoded(sb, (byte[]) v);
            case TYPE -> sb.append(((Type) v).uriName());
            case SLOT_ID -> sb.append(Long.toUnsignedString((Long) v));
            case VERSION -> sb.append(v);
            case PIN -> {
                if (includePin) {
                    checkNotDestroyed();
                    byte[] bytes = PercentCodec.utf8((char[]) v);
                    PercentCodec.appendEncoded(sb, bytes, a.component);
                    Arrays.fill(bytes, (byte) 0);
                } else {
                    sb.append(PinRedaction.MASK);
                }
            }
            default -> throw new AssertionError(a.kind);
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The canonical form with any PIN masked: {@code format(false)}. Never reveals a PIN. */
    @Override
    public String toString() {
        return format(false);
    }

    // ---------------------------------------------------------------- PIN lifetime

    /** Wipes the PIN held by this URI, if any. Afterwards the PIN cannot be read or printed. */
    @Override
    public void destroy() {
        destroyed = true;
        char[] pin = (char[]) values.get(Attribute.PIN_VALUE);
        if (pin != null) {
            Arrays.fill(pin, '\0');
        }
    }

    @Override
    public boolean isDestroyed() {
        return destroyed;
    }

    private boolean pinDestroyed() {
        return destroyed && values.containsKey(Attribute.PIN_VALUE);
    }

    private void checkNotDestroyed() {
        if (destroyed && values.containsKey(Attribute.PIN_VALUE)) {
            throw new IllegalStateException("the PIN of this pkcs11: URI has been destroyed");
        }
    }

    // ---------------------------------------------------------------- identity

    /**
     * Equal when both name the same attributes with the same values, vendor attributes and PIN
     * included; the order they were written in does not count.
     */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Pkcs11Uri other) || !values.keySet().equals(other.values.keySet())
                || !vendorPath.equals(other.vendorPath) || !vendorQuery.equals(other.vendorQuery)
                || pinDestroyed() != other.pinDestroyed()) {
            return false;
        }
        for (Map.Entry<Attribute, Object> e : values.entrySet()) {
            Object a = e.getValue();
            Object b = other.values.get(e.getKey());
            boolean same = a instanceof byte[] x ? Arrays.equals(x, (byte[]) b)
                    : a instanceof char[] p ? pinEquals(p, (char[]) b)
                    : a.equals(b);
            if (!same) {
                return false;
            }
        }
        return true;
    }

    /** Time independent of where the PINs differ. */
    private static boolean pinEquals(char[] a, char[] b) {
        int diff = a.length ^ b.length;
        for (int i = 0; i < Math.max(a.length, b.length); i++) {
            diff |= (i < a.length ? a[i] : 0) ^ (i < b.length ? b[i] : 0);
        }
        return diff == 0;
    }

    /** Does not depend on the PIN's value, only on its presence. */
    @Override
    public int hashCode() {
        int h = 1;
        for (Map.Entry<Attribute, Object> e : values.entrySet()) {
            Object v = e.getValue();
            int vh = v instanceof byte[] b ? Arrays.hashCode(b) : v instanceof char[] ? 0 : v.hashCode();
            h = 31 * h + (e.getKey().ordinal() ^ vh);
        }
        return 31 * (31 * h + vendorPath.hashCode()) + vendorQuery.hashCode();
    }

    private static String hex(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (byte b : bytes) {
            sb.append(String.format(Locale.ROOT, "%02X", b & 0xFF));
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------- builder

    /**
     * Builds a {@link Pkcs11Uri}. Each setter replaces the attribute; {@code null} removes it.
     * Text must be well-formed UTF-16 (no unpaired surrogate), since it is printed as UTF-8.
     * Not thread-safe.
     */
    public static final class Builder {

        private final EnumMap<Attribute, Object> values = new EnumMap<>(Attribute.class);
        private final SortedMap<String, String> vendorPath = new TreeMap<>();
        private final SortedMap<String, String> vendorQuery = new TreeMap<>();

        private Builder() {
        }

        /** {@code token}: the token label, as it is (see {@link #tokenInfo} for padded fields). */
        public Builder token(String label) {
            return text(Attribute.TOKEN, label);
        }

        /** {@code manufacturer}. */
        public Builder manufacturer(String manufacturer) {
            return text(Attribute.MANUFACTURER, manufacturer);
        }

        /** {@code serial}. */
        public Builder serial(String serial) {
            return text(Attribute.SERIAL, serial);
        }

        /** {@code model}. */
        public Builder model(String model) {
            return text(Attribute.MODEL, model);
        }

        /** {@code library-manufacturer}. */
        public Builder libraryManufacturer(String manufacturer) {
            return text(Attribute.LIBRARY_MANUFACTURER, manufacturer);
        }

        /** {@code library-description}. */
        public Builder libraryDescription(String description) {
            return text(Attribute.LIBRARY_DESCRIPTION, description);
        }

        /** {@code library-version}. */
        public Builder libraryVersion(LibraryVersion version) {
            return put(Attribute.LIBRARY_VERSION, version);
        }

        /** {@code slot-manufacturer}. */
        public Builder slotManufacturer(String manufacturer) {
            return text(Attribute.SLOT_MANUFACTURER, manufacturer);
        }

        /** {@code slot-description}. */
        public Builder slotDescription(String description) {
            return text(Attribute.SLOT_DESCRIPTION, description);
        }

        /** {@code slot-id}, read as unsigned. */
        public Builder slotId(Long slotId) {
            return put(Attribute.SLOT_ID, slotId);
        }

        /** {@code object}: the object's label. */
        public Builder object(String label) {
            return text(Attribute.OBJECT, label);
        }

        /** {@code type}. */
        public Builder type(Type type) {
            return put(Attribute.TYPE, type);
        }

        /** {@code id}: copied. */
        public Builder id(byte[] id) {
            return put(Attribute.ID, id == null ? null : id.clone());
        }

        /** {@code pin-source}. */
        public Builder pinSource(String pinSource) {
            return text(Attribute.PIN_SOURCE, pinSource);
        }

        /** {@code pin-value}: copied, so the caller may wipe its array at once. */
        public Builder pinValue(char[] pin) {
            Object old = values.remove(Attribute.PIN_VALUE);
            if (old instanceof char[] o) {
                Arrays.fill(o, '\0');
            }
            if (pin != null) {
                checkText(Attribute.PIN_VALUE.uriName, CharBuffer.wrap(pin));
                values.put(Attribute.PIN_VALUE, pin.clone());
            }
            return this;
        }

        /** {@code module-name}. */
        public Builder moduleName(String name) {
            return text(Attribute.MODULE_NAME, name);
        }

        /**
         * {@code module-path}.
         *
         * @throws IllegalArgumentException when the path is not absolute
         */
        public Builder modulePath(String path) {
            if (path != null && !Pkcs11UriParser.isAbsolutePath(path)) {
                throw new IllegalArgumentException("module-path must be an absolute path: " + path);
            }
            return text(Attribute.MODULE_PATH, path);
        }

        /**
         * A vendor path attribute, conventionally {@code x-…}; {@code null} removes it.
         *
         * @throws IllegalArgumentException when the name is not letters, digits, - and _, or is a
         *                                  standard attribute's name
         */
        public Builder vendorPathAttribute(String name, String value) {
            return vendor(vendorPath, name, value);
        }

        /** A vendor query attribute; see {@link #vendorPathAttribute}. */
        public Builder vendorQueryAttribute(String name, String value) {
            return vendor(vendorQuery, name, value);
        }

        /** The library attributes of a module's {@code CK_INFO}, blank padding trimmed; {@code null} fields left out. */
        public Builder moduleInfo(ModuleInfo module) {
            return libraryManufacturer(trimmed(module.libraryManufacturer()))
                    .libraryDescription(trimmed(module.libraryDescription()))
                    .libraryVersion(module.libraryVersion());
        }

        /** The slot attributes of a slot, blank padding trimmed; {@code null} fields left out. */
        public Builder slotInfo(SlotInfo slot) {
            return slotId(slot.slotId())
                    .slotManufacturer(trimmed(slot.slotManufacturer()))
                    .slotDescription(trimmed(slot.slotDescription()));
        }

        /** The token attributes of a token's {@code CK_TOKEN_INFO}, blank padding trimmed; {@code null} fields left out. */
        public Builder tokenInfo(TokenInfo token) {
            return token(trimmed(token.label()))
                    .manufacturer(trimmed(token.manufacturer()))
                    .model(trimmed(token.model()))
                    .serial(trimmed(token.serial()));
        }

        /** The object attributes of an object: label as it is, type, id; {@code null} fields left out. */
        public Builder objectInfo(ObjectInfo object) {
            return object(object.label()).type(object.type()).id(object.id);
        }

        /**
         * The URI.
         *
         * @throws IllegalArgumentException when both pin-value and pin-source are set
         */
        public Pkcs11Uri build() {
            if (values.containsKey(Attribute.PIN_VALUE) && values.containsKey(Attribute.PIN_SOURCE)) {
                throw new IllegalArgumentException("pin-value and pin-source are mutually exclusive (RFC 7512 section 2.3)");
            }
            EnumMap<Attribute, Object> v = new EnumMap<>(Attribute.class);
            values.forEach((k, val) -> v.put(k, copy(val)));
            return new Pkcs11Uri(v, new TreeMap<>(vendorPath), new TreeMap<>(vendorQuery));
        }

        private static String trimmed(String s) {
            return s == null ? null : unpad(s);
        }

        private Builder text(Attribute a, String value) {
            if (value != null) {
                checkText(a.uriName, value);
            }
            return put(a, value);
        }

        private Builder put(Attribute a, Object value) {
            if (value == null) {
                values.remove(a);
            } else {
                values.put(a, value);
            }
            return this;
        }

        private static void checkText(String name, CharSequence value) {
            int bad = PercentCodec.firstUnpairedSurrogate(value);
            if (bad >= 0) {
                throw new IllegalArgumentException(name + " holds an unpaired surrogate at index " + bad
                        + "; it cannot be written as UTF-8");
            }
        }

        private Builder vendor(SortedMap<String, String> map, String name, String value) {
            Objects.requireNonNull(name, "name");
            if (!Attribute.isValidName(name)) {
                throw new IllegalArgumentException("an attribute name is letters, digits, '-' and '_': " + name);
            }
            if (Attribute.byName(name) != null) {
                throw new IllegalArgumentException(name + " is a standard attribute, not a vendor one");
            }
            if (value == null) {
                map.remove(name);
            } else {
                checkText(name, value);
                map.put(name, value);
            }
            return this;
        }
    }
}
