// SPDX-License-Identifier: Apache-2.0
package io.p11j.uri;

import io.p11j.uri.Pkcs11UriSyntaxException.Problem;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Locale;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Reads a {@code pkcs11:} string into a {@link Pkcs11Uri}, left to right, stopping at the first
 * error so that the reported position is the first thing wrong.
 *
 * <p>Values are percent-decoded before they are interpreted, also for {@code type},
 * {@code slot-id} and {@code library-version}: RFC 3986 section 6.2.2.2 makes a percent-encoded
 * unreserved character equivalent to the character itself, so {@code type=%70ublic} is
 * {@code type=public}.
 */
final class Pkcs11UriParser {

    static final String SCHEME = "pkcs11:";

    private final String input;
    private final EnumMap<Attribute, Object> values = new EnumMap<>(Attribute.class);
    private final SortedMap<String, String> vendorPath = new TreeMap<>();
    private final SortedMap<String, String> vendorQuery = new TreeMap<>();
    private PinRedaction redaction;
    /** The attribute being read, {@code [pieceStart, pieceEnd)}: a failure inside a masked one must not quote it. */
    private int pieceStart;
    private int pieceEnd;

    private Pkcs11UriParser(String input) {
        this.input = input;
    }

    static Pkcs11Uri parse(String input) throws Pkcs11UriSyntaxException {
        if (input == null) {
            throw new NullPointerException("input");
        }
        Pkcs11UriParser parser = new Pkcs11UriParser(input);
        try {
            return parser.parse();
        } catch (Pkcs11UriSyntaxException | RuntimeException e) {
            // A half-read PIN must not outlive a failed parse.
            Object pin = parser.values.get(Attribute.PIN_VALUE);
            if (pin instanceof char[]) {
                Arrays.fill((char[]) pin, '\0');
            }
            throw e;
        }
    }

    private Pkcs11Uri parse() throws Pkcs11UriSyntaxException {
        if (!input.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
            throw fail(Problem.WRONG_SCHEME, null, 0, "not a pkcs11: URI (the scheme must be pkcs11:)");
        }
        int query = input.indexOf('?', SCHEME.length());
        int pathEnd = query < 0 ? input.length() : query;
        component(SCHEME.length(), pathEnd, Attribute.Component.PATH);
        if (query >= 0) {
            component(query + 1, input.length(), Attribute.Component.QUERY);
        }
        return new Pkcs11Uri(values, vendorPath, vendorQuery);
    }

    /** One component; an empty one has no attributes, but an empty attribute within one is an error. */
    private void component(int from, int to, Attribute.Component component) throws Pkcs11UriSyntaxException {
        if (from == to) {
            return;
        }
        int start = from;
        while (true) {
            int end = input.indexOf(component.delimiter, start);
            if (end < 0 || end > to) {
                end = to;
            }
            attribute(start, end, component);
            if (end == to) {
                return;
            }
            start = end + 1;
        }
    }

    private void attribute(int start, int end, Attribute.Component component) throws Pkcs11UriSyntaxException {
        pieceStart = start;
        pieceEnd = end;
        int eq = input.indexOf('=', start);
        if (eq < 0 || eq >= end) {
            String piece = input.substring(start, end);
            throw fail(Problem.MISSING_EQUALS, piece, start,
                    start == end ? "empty attribute (two delimiters in a row, or one at the end)"
                                 : "attribute '" + piece + "' has no '='");
        }
        String name = input.substring(start, eq);
        if (name.isEmpty()) {
            throw fail(Problem.INVALID_ATTRIBUTE_NAME, name, start, "empty attribute name");
        }
        int bad = Attribute.firstInvalidNameChar(input, start, eq);
        if (bad >= 0) {
            throw fail(Problem.INVALID_ATTRIBUTE_NAME, name, bad,
                    "attribute name '" + name + "' holds '" + input.charAt(bad)
                            + "'; names are letters, digits, '-' and '_'");
        }
        Attribute standard = Attribute.byName(name);
        if (standard != null && standard.component != component) {
            throw fail(Problem.MISPLACED_ATTRIBUTE, name, start,
                    "'" + standard.uriName + "' is a " + standard.component.name().toLowerCase(Locale.ROOT)
                            + " attribute" + (standard.component == Attribute.Component.QUERY
                                    ? "; it goes after the '?'" : "; it goes before the '?'"));
        }
        if (standard != null ? values.containsKey(standard)
                             : (component == Attribute.Component.PATH ? vendorPath : vendorQuery).containsKey(name)) {
            throw fail(Problem.DUPLICATE_ATTRIBUTE, name, start, "duplicate attribute '" + name + "'");
        }
        if (standard == Attribute.PIN_VALUE && values.containsKey(Attribute.PIN_SOURCE)
                || standard == Attribute.PIN_SOURCE && values.containsKey(Attribute.PIN_VALUE)) {
            throw fail(Problem.PIN_VALUE_AND_PIN_SOURCE, name, start,
                    "pin-value and pin-source are mutually exclusive (RFC 7512 section 2.3)");
        }
        Decoded decoded = decode(name, eq + 1, end, component);
        if (standard == null) {
            String text = text(name, decoded);
            (component == Attribute.Component.PATH ? vendorPath : vendorQuery).put(name, text);
        } else {
            values.put(standard, interpret(standard, name, decoded, eq + 1));
        }
    }

    private Object interpret(Attribute attribute, String name, Decoded d, int valueStart)
            throws Pkcs11UriSyntaxException {
        switch (attribute.kind) {
            case TEXT:
                return text(name, d);
            case BYTES:
                return d.bytes;
            case PIN:
                return pin(name, d);
            case ABSOLUTE_PATH: {
                String path = text(name, d);
                if (!isAbsolutePath(path)) {
                    throw fail(Problem.RELATIVE_MODULE_PATH, name, valueStart,
                            "module-path must be an absolute path; a relative one is never searched for");
                }
                return path;
            }
            case TYPE: {
                String ascii = new String(d.bytes, StandardCharsets.ISO_8859_1);
                return Pkcs11Uri.Type.fromUriName(ascii).orElseThrow(() -> fail(Problem.UNKNOWN_TYPE, name, valueStart,
                        "unknown type '" + ascii + "'; expected public, private, cert, secret-key or data"));
            }
            case SLOT_ID:
                return slotId(name, d, valueStart);
            case VERSION:
                return version(name, d, valueStart);
            default:
                throw new AssertionError(attribute.kind);
        }
    }

    private Long slotId(String name, Decoded d, int valueStart) throws Pkcs11UriSyntaxException {
        String s = new String(d.bytes, StandardCharsets.ISO_8859_1);
        if (!isDigits(s)) {
            throw fail(Problem.BAD_SLOT_ID, name, valueStart, "slot-id '" + s + "' is not a decimal number");
        }
        try {
            return Long.parseUnsignedLong(s);
        } catch (NumberFormatException e) {
            throw fail(Problem.BAD_SLOT_ID, name, valueStart,
                    "slot-id " + s + " does not fit a CK_SLOT_ID (at most 18446744073709551615)");
        }
    }

    private Pkcs11Uri.LibraryVersion version(String name, Decoded d, int valueStart) throws Pkcs11UriSyntaxException {
        String s = new String(d.bytes, StandardCharsets.ISO_8859_1);
        int dot = s.indexOf('.');
        String major = dot < 0 ? s : s.substring(0, dot);
        String minor = dot < 0 ? "0" : s.substring(dot + 1);
        if (!isDigits(major) || !isDigits(minor) || versionPart(major) > 255 || versionPart(minor) > 255) {
            throw fail(Problem.BAD_LIBRARY_VERSION, name, valueStart,
                    "library-version '" + s + "' is not M or M.N with M and N from 0 to 255");
        }
        return new Pkcs11Uri.LibraryVersion(versionPart(major), versionPart(minor));
    }

    /** The value of a string of digits, or 256 when it is larger than 255 (no overflow either way). */
    private static int versionPart(String digits) {
        int v = 0;
        for (int i = 0; i < digits.length(); i++) {
            v = v * 10 + (digits.charAt(i) - '0');
            if (v > 255) {
                return 256;
            }
        }
        return v;
    }

    private static boolean isDigits(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether {@code path} is absolute, decided on the text alone so that the answer does not
     * depend on the platform's file system or on the JVM's file name encoding: a Unix path
     * ({@code /…}), a Windows drive path ({@code C:\…}, {@code C:/…}) or a UNC path ({@code \\…}).
     */
    static boolean isAbsolutePath(String path) {
        if (path.startsWith("/") || path.startsWith("\\\\")) {
            return true;
        }
        return path.length() >= 3 && Character.isLetter(path.charAt(0)) && path.charAt(0) < 128
                && path.charAt(1) == ':' && (path.charAt(2) == '\\' || path.charAt(2) == '/');
    }

    /** Percent-decoded bytes, and for each the index in the input where it was written. */
    private record Decoded(byte[] bytes, int[] source) {
    }

    private Decoded decode(String name, int from, int to, Attribute.Component component)
            throws Pkcs11UriSyntaxException {
        byte[] bytes = new byte[to - from];
        int[] source = new int[to - from];
        int n = 0;
        for (int i = from; i < to; i++) {
            char c = input.charAt(i);
            if (c == '%') {
                int hi = i + 1 < to ? PercentCodec.hexValue(input.charAt(i + 1)) : -1;
                int lo = i + 2 < to ? PercentCodec.hexValue(input.charAt(i + 2)) : -1;
                if (hi < 0 || lo < 0) {
                    throw fail(Problem.BAD_PERCENT_ESCAPE, name, i,
                            "'%' must be followed by two hex digits in attribute '" + name + "'");
                }
                source[n] = i;
                bytes[n++] = (byte) (hi * 16 + lo);
                i += 2;
            } else if (PercentCodec.isUnencoded(c, component)) {
                source[n] = i;
                bytes[n++] = (byte) c;
            } else {
                throw fail(Problem.INVALID_CHARACTER, name, i, "character " + describe(c) + " in attribute '"
                        + name + "' must be percent-encoded");
            }
        }
        return new Decoded(Arrays.copyOf(bytes, n), Arrays.copyOf(source, n));
    }

    private static String describe(char c) {
        return c >= 0x21 && c < 0x7F ? "'" + c + "'" : String.format("U+%04X", (int) c);
    }

    private String text(String name, Decoded d) throws Pkcs11UriSyntaxException {
        return new String(utf8(name, d));
    }

    private char[] pin(String name, Decoded d) throws Pkcs11UriSyntaxException {
        try {
            return utf8(name, d);
        } finally {
            Arrays.fill(d.bytes, (byte) 0);
        }
    }

    /** Strict UTF-8: malformed input, overlong forms and encoded surrogates are errors, not U+FFFD. */
    private char[] utf8(String name, Decoded d) throws Pkcs11UriSyntaxException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(d.bytes);
        CharBuffer out = CharBuffer.allocate(d.bytes.length);
        try {
            CoderResult result = decoder.decode(in, out, true);
            if (!result.isError()) {
                result = decoder.flush(out);
            }
            if (result.isError()) {
                int at = in.position() < d.source.length ? d.source[in.position()] : input.length();
                throw fail(Problem.INVALID_UTF8, name, at, "attribute '" + name + "' is not valid UTF-8");
            }
            return Arrays.copyOf(out.array(), out.position());
        } finally {
            Arrays.fill(out.array(), '\0');
        }
    }

    private PinRedaction redaction() {
        if (redaction == null) {
            redaction = PinRedaction.of(input);
        }
        return redaction;
    }

    /**
     * The exception for a failure at {@code index}. When the piece being read is masked, neither
     * its text nor a detailed reason (which may quote a character of it) is given: for a masked
     * value the name stays, for a piece masked whole nothing of it does.
     */
    private Pkcs11UriSyntaxException fail(Problem problem, String attribute, int index, String reason) {
        PinRedaction r = redaction();
        if (problem != Problem.WRONG_SCHEME && r.masks(pieceStart, Math.max(pieceEnd, pieceStart + 1))) {
            boolean wholePiece = r.masks(pieceStart, pieceStart + 1);
            String shownAttribute = wholePiece ? null : attribute;
            reason = problem.summary() + (shownAttribute == null ? "" : " in attribute '" + shownAttribute + "'");
            attribute = shownAttribute;
        }
        return new Pkcs11UriSyntaxException(r.text(), reason, r.map(index), problem, attribute);
    }
}
