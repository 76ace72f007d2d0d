// SPDX-License-Identifier: Apache-2.0
package io.p11j.uri;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A raw, possibly malformed, {@code pkcs11:} string with its PINs masked, for error messages.
 *
 * <p>The input is not trusted to be well formed, so the rule is generous: an attribute whose
 * name, leniently percent-decoded and lower-cased, contains {@code pin-value} has its value masked
 * (the whole piece when it has no {@code =}); after such an attribute, every piece that is not a
 * well-formed {@code name=value} is masked too, because it is most likely the rest of a PIN that
 * held an unencoded delimiter ({@code pin-value=ab&cd}). Over-masking a label that happens to
 * contain "pin-value" costs a less helpful message; under-masking would print a PIN.
 */
final class PinRedaction {

    /**
     * What a PIN is replaced by. Deliberately not valid in a {@code pkcs11:} URI ({@code <} and
     * {@code >} must be percent-encoded), so that {@code Pkcs11Uri.parse(uri.toString())} fails
     * loudly instead of quietly logging in with a wrong PIN and counting towards a token lock-out.
     */
    static final String MASK = "<masked>";

    private final String text;
    private final List<int[]> regions;

    private PinRedaction(String text, List<int[]> regions) {
        this.text = text;
        this.regions = regions;
    }

    static PinRedaction of(String input) {
        int query = input.indexOf('?');
        int colon = input.indexOf(':');
        int pathStart = colon >= 0 && (query < 0 || colon < query) ? colon + 1 : 0;
        List<int[]> regions = new ArrayList<>();
        boolean[] seenPin = {false};
        scan(input, pathStart, query < 0 ? input.length() : query, ';', regions, seenPin);
        if (query >= 0) {
            scan(input, query + 1, input.length(), '&', regions, seenPin);
        }
        if (regions.isEmpty()) {
            return new PinRedaction(input, regions);
        }
        StringBuilder sb = new StringBuilder(input.length());
        int at = 0;
        for (int[] r : regions) {
            sb.append(input, at, r[0]).append(MASK);
            at = r[1];
        }
        sb.append(input, at, input.length());
        return new PinRedaction(sb.toString(), regions);
    }

    private static void scan(String s, int from, int to, char delimiter, List<int[]> regions, boolean[] seenPin) {
        if (from >= to) {
            return;
        }
        int start = from;
        while (true) {
            int end = s.indexOf(delimiter, start);
            if (end < 0 || end > to) {
                end = to;
            }
            int eq = s.indexOf('=', start);
            if (eq >= end) {
                eq = -1;
            }
            String name = lenientDecodeLower(s, start, eq < 0 ? end : eq);
            if (name.contains("pin-value")) {
                regions.add(eq < 0 ? new int[] {start, end} : new int[] {eq + 1, end});
                seenPin[0] = true;
            } else if (seenPin[0] && (eq <= start || Attribute.firstInvalidNameChar(s, start, eq) >= 0)) {
                regions.add(new int[] {start, end});
            }
            if (end == to) {
                break;
            }
            start = end + 1;
        }
    }

    private static String lenientDecodeLower(String s, int from, int to) {
        StringBuilder sb = new StringBuilder(to - from);
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c == '%' && i + 2 < to
                    && PercentCodec.hexValue(s.charAt(i + 1)) >= 0 && PercentCodec.hexValue(s.charAt(i + 2)) >= 0) {
                sb.append((char) (PercentCodec.hexValue(s.charAt(i + 1)) * 16 + PercentCodec.hexValue(s.charAt(i + 2))));
                i += 2;
            } else {
                sb.append(c);
            }
        }
        return sb.toString().toLowerCase(Locale.ROOT);
    }

    /** The input with its PINs masked. */
    String text() {
        return text;
    }

    /** Where {@code index} of the original input is in {@link #text()}. */
    int map(int index) {
        int offset = 0;
        for (int[] r : regions) {
            if (index < r[0]) {
                break;
            }
            if (index < r[1]) {
                return r[0] + offset;
            }
            offset += MASK.length() - (r[1] - r[0]);
        }
        return index + offset;
    }

    /** Whether any of {@code [from, to)} of the original input is masked. */
    boolean masks(int from, int to) {
        for (int[] r : regions) {
            if (from < r[1] && r[0] < to) {
                return true;
            }
        }
        return false;
    }
}
