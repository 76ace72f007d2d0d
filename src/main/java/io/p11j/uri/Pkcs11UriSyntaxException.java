// SPDX-License-Identifier: Apache-2.0
package io.p11j.uri;

import java.net.URISyntaxException;
import java.util.Objects;
import java.util.Optional;

/**
 * A string is not a valid {@code pkcs11:} URI. {@link #problem()} says what is wrong,
 * {@link #attribute()} names the attribute it is wrong in, and {@link #getIndex()} is where.
 *
 * <p>Why a {@link URISyntaxException}: this is the JDK's type for "this string is not a valid
 * URI", and it already carries the input, the reason and the index, which tools and callers of
 * {@link java.net.URI} know how to read. It is checked on purpose: {@code pkcs11:} URIs come from
 * outside (configuration, a KeyStore alias, a user's input) and the compiler should make every
 * caller decide what a bad one means. Code holding a URI literal uses {@link Pkcs11Uri#create},
 * which throws {@link IllegalArgumentException} instead, as {@link java.net.URI#create} does.
 *
 * <p>A PIN never appears here: in {@link #getInput()}, and so in {@link #getMessage()}, the value
 * of every {@code pin-value} attribute (wherever it stands, however its name is spelled or
 * encoded) is replaced by {@code <masked>}, and so is every malformed piece after one,
 * which may be the rest of a PIN that held an unencoded delimiter. {@link #getIndex()} is an index
 * into that masked input; it differs from the index in the original string only past a masked
 * PIN.
 */
public final class Pkcs11UriSyntaxException extends URISyntaxException {

    private static final long serialVersionUID = 1L;

    /** What is wrong. */
    public enum Problem {
        /** The string does not start with {@code pkcs11:}. */
        WRONG_SCHEME("not a pkcs11: URI"),
        /** A path or query attribute has no {@code =}, or is empty ({@code ;;}). */
        MISSING_EQUALS("an attribute has no '='"),
        /** An attribute name is empty or holds a character other than letters, digits, - and _. */
        INVALID_ATTRIBUTE_NAME("invalid attribute name"),
        /**
         * A query attribute stands in the path or a path attribute in the query. Refused rather
         * than kept as unknown: {@code pkcs11:pin-value=…} would print its PIN back as a vendor
         * attribute, and {@code ?token=…} would silently select any token.
         */
        MISPLACED_ATTRIBUTE("attribute in the wrong component"),
        /** An attribute appears twice. */
        DUPLICATE_ATTRIBUTE("duplicate attribute"),
        /** A character that must be percent-encoded stands unencoded (a space, {@code #}, {@code ;} in the query…). */
        INVALID_CHARACTER("a character that must be percent-encoded stands unencoded"),
        /** A {@code %} is not followed by two hex digits. */
        BAD_PERCENT_ESCAPE("'%' not followed by two hex digits"),
        /** The bytes of a textual attribute are not UTF-8. */
        INVALID_UTF8("not valid UTF-8"),
        /** {@code type} is not one of public, private, cert, secret-key, data. */
        UNKNOWN_TYPE("unknown type"),
        /** {@code slot-id} is not a decimal number from 0 to 2<sup>64</sup>-1. */
        BAD_SLOT_ID("bad slot-id"),
        /** {@code library-version} is not {@code M} or {@code M.N} with each part from 0 to 255. */
        BAD_LIBRARY_VERSION("bad library-version"),
        /** {@code module-path} is not an absolute path. */
        RELATIVE_MODULE_PATH("module-path is not absolute"),
        /** Both {@code pin-value} and {@code pin-source} are given (RFC 7512 section 2.3). */
        PIN_VALUE_AND_PIN_SOURCE("both pin-value and pin-source");

        private final String summary;

        Problem(String summary) {
            this.summary = summary;
        }

        /**
         * A fixed description that holds nothing from the input; used as the reason when the
         * offending piece is masked, because the detailed reason would quote it.
         */
        public String summary() {
            return summary;
        }
    }

    private final Problem problem;
    private final String attribute;

    /**
     * Only the parser makes these, so that the input is always the masked one.
     *
     * @param maskedInput the input with every PIN masked
     * @param reason      what is wrong, in words
     * @param maskedIndex where, in {@code maskedInput}
     * @param attribute   the attribute name as written, or {@code null} when the problem is not
     *                    in one attribute (a wrong scheme)
     */
    Pkcs11UriSyntaxException(String maskedInput, String reason, int maskedIndex, Problem problem, String attribute) {
        super(maskedInput, reason, maskedIndex);
        this.problem = Objects.requireNonNull(problem, "problem");
        this.attribute = attribute;
    }

    /** What is wrong. */
    public Problem problem() {
        return problem;
    }

    /**
     * The offending attribute's name as written in the input (for {@link Problem#MISSING_EQUALS},
     * the whole malformed piece), or empty when the problem is not in one attribute, as for
     * {@link Problem#WRONG_SCHEME}, or when the piece is masked because it may hold a PIN.
     */
    public Optional<String> attribute() {
        return Optional.ofNullable(attribute);
    }
}
