// SPDX-License-Identifier: Apache-2.0
package io.p11j.uri;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The character classes of RFC 7512 section 2.3 and the percent-encoding used on output.
 *
 * <pre>
 * pk11-res-avail       = ":" / "[" / "]" / "@" / "!" / "$" / "'" / "(" / ")" / "*" / "+" / "," / "="
 * pk11-path-res-avail  = pk11-res-avail / "&amp;"
 * pk11-query-res-avail = pk11-res-avail / "/" / "?" / "|"
 * pk11-pchar           = unreserved / pk11-path-res-avail / pct-encoded
 * pk11-qchar           = unreserved / pk11-query-res-avail / pct-encoded
 * </pre>
 *
 * <p>On output, a character of these classes stands as it is and every other byte of the UTF-8
 * encoding is written {@code %XX} with upper-case hex digits (RFC 3986 section 2.1 recommends
 * upper case). Nothing that may stand unencoded is encoded, so the canonical form is unique.
 */
final class PercentCodec {

    private static final String UNRESERVED_MARKS = "-._~";
    private static final String RES_AVAIL = ":[]@!$'()*+,=";
    private static final boolean[] PATH = table(UNRESERVED_MARKS + RES_AVAIL + "&");
    private static final boolean[] QUERY = table(UNRESERVED_MARKS + RES_AVAIL + "/?|");
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private PercentCodec() {
    }

    private static boolean[] table(String marks) {
        boolean[] t = new boolean[128];
        for (char c = 'a'; c <= 'z'; c++) {
            t[c] = true;
        }
        for (char c = 'A'; c <= 'Z'; c++) {
            t[c] = true;
        }
        for (char c = '0'; c <= '9'; c++) {
            t[c] = true;
        }
        for (char c : marks.toCharArray()) {
            t[c] = true;
        }
        return t;
    }

    /** Whether {@code c} may stand unencoded in a value of this component. */
    static boolean isUnencoded(int c, Attribute.Component component) {
        boolean[] t = component == Attribute.Component.PATH ? PATH : QUERY;
        return c >= 0 && c < 128 && t[c];
    }

    /** Appends {@code bytes}, leaving the component's unencoded characters as they are. */
    static void appendEncoded(StringBuilder out, byte[] bytes, Attribute.Component component) {
        for (byte b : bytes) {
            int c = b & 0xFF;
            if (isUnencoded(c, component)) {
                out.append((char) c);
            } else {
                appendEscape(out, c);
            }
        }
    }

    /** Appends every byte as {@code %XX}, as p11-kit writes {@code id}. */
    static void appendAllEncoded(StringBuilder out, byte[] bytes) {
        for (byte b : bytes) {
            appendEscape(out, b & 0xFF);
        }
    }

    private static void appendEscape(StringBuilder out, int c) {
        out.append('%').append(HEX[c >>> 4]).append(HEX[c & 0xF]);
    }

    /** The value of a hex digit, either case, or -1. */
    static int hexValue(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    /**
     * The UTF-8 encoding of {@code chars}, without making a {@code String} of them (they may be a
     * PIN). The caller wipes the result.
     */
    static byte[] utf8(char[] chars) {
        CharsetEncoder encoder = StandardCharsets.UTF_8.newEncoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer buffer;
        try {
            buffer = encoder.encode(CharBuffer.wrap(chars));
        } catch (CharacterCodingException e) {
            // Builders refuse text that is not well-formed UTF-16, so this cannot be reached.
            throw new IllegalStateException("not well-formed UTF-16", e);
        }
        byte[] result = Arrays.copyOfRange(buffer.array(), buffer.arrayOffset(), buffer.arrayOffset() + buffer.limit());
        Arrays.fill(buffer.array(), (byte) 0);
        return result;
    }

    /**
     * Index of the first unpaired surrogate in {@code s}, or -1. Text with one cannot be encoded
     * as UTF-8, so builders refuse it rather than print a {@code ?} in its place.
     */
    static int firstUnpairedSurrogate(CharSequence s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else {
                    return i;
                }
            } else if (Character.isLowSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }
}
