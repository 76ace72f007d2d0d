// SPDX-License-Identifier: Apache-2.0
package io.p11j.uri;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The attributes RFC 7512 defines, in the canonical order in which {@link Pkcs11Uri} prints them:
 * module ({@code library-*}), slot, token and object attributes in the path, then the query
 * attributes. The declaration order is the canonical order; do not reorder.
 */
enum Attribute {
    TOKEN("token", Component.PATH, Kind.TEXT),
    MANUFACTURER("manufacturer", Component.PATH, Kind.TEXT),
    SERIAL("serial", Component.PATH, Kind.TEXT),
    MODEL("model", Component.PATH, Kind.TEXT),
    LIBRARY_MANUFACTURER("library-manufacturer", Component.PATH, Kind.TEXT),
    LIBRARY_DESCRIPTION("library-description", Component.PATH, Kind.TEXT),
    LIBRARY_VERSION("library-version", Component.PATH, Kind.VERSION),
    SLOT_MANUFACTURER("slot-manufacturer", Component.PATH, Kind.TEXT),
    SLOT_DESCRIPTION("slot-description", Component.PATH, Kind.TEXT),
    SLOT_ID("slot-id", Component.PATH, Kind.SLOT_ID),
    OBJECT("object", Component.PATH, Kind.TEXT),
    TYPE("type", Component.PATH, Kind.TYPE),
    ID("id", Component.PATH, Kind.BYTES),
    PIN_SOURCE("pin-source", Component.QUERY, Kind.TEXT),
    PIN_VALUE("pin-value", Component.QUERY, Kind.PIN),
    MODULE_NAME("module-name", Component.QUERY, Kind.TEXT),
    MODULE_PATH("module-path", Component.QUERY, Kind.ABSOLUTE_PATH);

    /** The two components of a {@code pkcs11:} URI; each has its own delimiter and character set. */
    enum Component {
        PATH(';'),
        QUERY('&');

        final char delimiter;

        Component(char delimiter) {
            this.delimiter = delimiter;
        }
    }

    /** How a value is read from and written to its percent-decoded bytes. */
    enum Kind {
        /** UTF-8 text. */
        TEXT,
        /** Any bytes; every byte percent-encoded on output. */
        BYTES,
        /** One of the {@link Pkcs11Uri.Type} names. */
        TYPE,
        /** A decimal unsigned 64-bit {@code CK_SLOT_ID}. */
        SLOT_ID,
        /** {@code M} or {@code M.N}, each 0..255. */
        VERSION,
        /** UTF-8 text held as {@code char[]}, never as a {@code String}. */
        PIN,
        /** UTF-8 text that must be an absolute file system path. */
        ABSOLUTE_PATH
    }

    private static final Map<String, Attribute> BY_NAME = new HashMap<>();

    static {
        for (Attribute a : values()) {
            BY_NAME.put(a.uriName, a);
        }
    }

    final String uriName;
    final Component component;
    final Kind kind;

    Attribute(String uriName, Component component, Kind kind) {
        this.uriName = uriName;
        this.component = component;
        this.kind = kind;
    }

    /**
     * The standard attribute with this name, or {@code null}. Names are compared without regard to
     * ASCII case: RFC 5234 section 2.3 makes the ABNF's quoted attribute names case-insensitive.
     */
    static Attribute byName(String name) {
        return BY_NAME.get(name.toLowerCase(Locale.ROOT));
    }

    /**
     * Whether {@code name} is the name of an attribute, standard or vendor: RFC 7512's
     * {@code 1*pk11-v-attr-nm-char}, that is ASCII letters, digits, {@code -} and {@code _}.
     */
    static boolean isValidName(String name) {
        return !name.isEmpty() && firstInvalidNameChar(name, 0, name.length()) < 0;
    }

    /** Index of the first character in {@code s[from, to)} that no attribute name may hold, or -1. */
    static int firstInvalidNameChar(CharSequence s, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '_';
            if (!ok) {
                return i;
            }
        }
        return -1;
    }
}
