// SPDX-License-Identifier: Apache-2.0
package io.p11j.uri;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.p11j.uri.Pkcs11Uri.LibraryVersion;
import io.p11j.uri.Pkcs11Uri.Type;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Builders;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * Round trips, both ways: every URI survives being printed and read back, and every canonical
 * string survives being read and printed. The canonical strings are generated here from the
 * RFC's character classes, independently of the code that prints them.
 */
class Pkcs11UriPropertiesTest {

    /** RFC 7512 pk11-pchar and pk11-qchar, less pct-encoded: what may stand unencoded. */
    private static final String UNRESERVED = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~";
    private static final String PATH_UNENCODED = UNRESERVED + ":[]@!$'()*+,=&";
    private static final String QUERY_UNENCODED = UNRESERVED + ":[]@!$'()*+,=/?|";

    private static final List<String> PATH_TEXT_ATTRIBUTES = List.of("token", "manufacturer", "serial", "model",
            "library-manufacturer", "library-description");

    // ---------------------------------------------------------------- properties

    @Property(tries = 500)
    void everyUriSurvivesFormatAndParse(@ForAll("uris") Pkcs11Uri uri) throws Exception {
        Pkcs11Uri back = Pkcs11Uri.parse(uri.format(true));

        assertThat(back).isEqualTo(uri);
        assertThat(back.hashCode()).isEqualTo(uri.hashCode());
        assertThat(back.format(true)).isEqualTo(uri.format(true));
    }

    @Property(tries = 500)
    void everyCanonicalStringSurvivesParseAndFormat(@ForAll("canonicalStrings") String canonical) throws Exception {
        assertThat(Pkcs11Uri.parse(canonical).format(true)).isEqualTo(canonical);
    }

    @Property(tries = 300)
    void attributeOrderDoesNotMatter(@ForAll("canonicalStrings") String canonical, @ForAll long seed) throws Exception {
        int q = canonical.indexOf('?');
        String path = canonical.substring("pkcs11:".length(), q < 0 ? canonical.length() : q);
        List<String> pieces = path.isEmpty() ? new ArrayList<>() : new ArrayList<>(List.of(path.split(";", -1)));
        Collections.shuffle(pieces, new Random(seed));
        String shuffled = "pkcs11:" + String.join(";", pieces) + (q < 0 ? "" : canonical.substring(q));

        assertThat(Pkcs11Uri.parse(shuffled)).isEqualTo(Pkcs11Uri.parse(canonical));
        assertThat(Pkcs11Uri.parse(shuffled).format(true)).isEqualTo(canonical);
    }

    @Property(tries = 300)
    void lowerCaseEscapesReadTheSame(@ForAll("canonicalStrings") String canonical) throws Exception {
        String lower = lowerCaseEscapes(canonical);

        assertThat(Pkcs11Uri.parse(lower).format(true)).isEqualTo(canonical);
    }

    @Property(tries = 1000)
    void anyInputEitherParsesOrFailsWithASyntaxErrorInsideTheInput(@ForAll("junk") String input) {
        try {
            Pkcs11Uri uri = Pkcs11Uri.parse(input);
            // Whatever was read prints as something that reads back the same.
            assertThat(Pkcs11Uri.create(uri.format(true))).isEqualTo(uri);
        } catch (Pkcs11UriSyntaxException e) {
            assertThat(e.getIndex()).isBetween(0, e.getInput().length());
            assertThat(e.problem()).isNotNull();
        }
    }

    @Property(tries = 300)
    void toStringNeverShowsThePin(@ForAll("uris") Pkcs11Uri uri, @ForAll("pins") String pin) {
        Pkcs11Uri withPin = uri.toBuilder().pinSource(null).pinValue(pin.toCharArray()).build();

        assertThat(withPin.toString()).doesNotContain(pin).contains("pin-value=<masked>");
        assertThat(withPin.format(false)).isEqualTo(withPin.toString());
        assertThat(withPin.format(true)).contains("pin-value=" + pin);
        assertThat(withPin.withoutPin().format(true)).doesNotContain(pin).doesNotContain("pin-value");
    }

    @Property(tries = 300)
    void parseErrorsNeverShowThePin(@ForAll("uris") Pkcs11Uri uri, @ForAll("pins") String pin,
                                    @ForAll("corruptions") String corruption) {
        String text = uri.toBuilder().pinSource(null).pinValue(pin.toCharArray()).build().format(true);
        String broken = switch (corruption) {
            case "escape" -> text.replace("pin-value=", "pin-value=%");
            case "space" -> text.replace("pin-value=", "pin-value= ");
            case "trailing-piece" -> text + "&" + pin;
            case "trailing-bad-name" -> text + "&" + pin + " x=1";
            case "duplicate" -> text + "&pin-value=" + pin;
            case "with-source" -> text + "&pin-source=file:/p";
            default -> "pkcs12" + text.substring("pkcs11".length());
        };
        Pkcs11UriSyntaxException e = catchThrowableOfType(Pkcs11UriSyntaxException.class, () -> Pkcs11Uri.parse(broken));

        assertThat(e).as(corruption).isNotNull();
        assertThat(e.getMessage()).doesNotContain(pin);
        assertThat(e.attribute().orElse("")).doesNotContain(pin);
    }

    // ---------------------------------------------------------------- generators

    /** Text of any Unicode code points (no lone surrogates: they have no UTF-8), often ASCII. */
    @Provide
    Arbitrary<String> text() {
        Arbitrary<Integer> codePoint = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.integers().between(0x20, 0x7E)),
                Tuple.of(1, Arbitraries.integers().between(0, 0x1F)),
                Tuple.of(2, Arbitraries.integers().between(0x80, 0x7FF)),
                Tuple.of(2, Arbitraries.integers().between(0x800, 0xFFFF).filter(c -> c < 0xD800 || c > 0xDFFF)),
                Tuple.of(2, Arbitraries.integers().between(0x10000, 0x10FFFF)));
        return codePoint.list().ofMaxSize(16).map(cps -> {
            StringBuilder sb = new StringBuilder();
            cps.forEach(sb::appendCodePoint);
            return sb.toString();
        });
    }

    @Provide
    Arbitrary<String> pins() {
        // A marker no generated attribute value can contain by chance.
        return Arbitraries.strings().withChars("0123456789abcdefXYZ").ofMinLength(6).ofMaxLength(12).map(s -> "Qz" + s);
    }

    @Provide
    Arbitrary<String> corruptions() {
        return Arbitraries.of("escape", "space", "trailing-piece", "trailing-bad-name", "duplicate", "with-source", "scheme");
    }

    private Arbitrary<String> vendorName() {
        return Arbitraries.strings().withChars("abcdefghijklmnopqrstuvwxyz0123456789-_").ofMinLength(1).ofMaxLength(6)
                .map(s -> "x-" + s);
    }

    @Provide
    Arbitrary<Pkcs11Uri> uris() {
        Arbitrary<String> text = text();
        Arbitrary<String> absolutePath = text.map(t -> "/" + t);
        Arbitrary<Object> credential = Arbitraries.oneOf(
                Arbitraries.just("none"),
                text.map(t -> (Object) ("source:" + t)),
                text.map(t -> (Object) t.toCharArray()));
        return Builders.withBuilder(Pkcs11Uri::builder)
                .use(text).withProbability(0.5).in(Pkcs11Uri.Builder::token)
                .use(text).withProbability(0.5).in(Pkcs11Uri.Builder::manufacturer)
                .use(text).withProbability(0.5).in(Pkcs11Uri.Builder::serial)
                .use(text).withProbability(0.5).in(Pkcs11Uri.Builder::model)
                .use(text).withProbability(0.3).in(Pkcs11Uri.Builder::libraryManufacturer)
                .use(text).withProbability(0.3).in(Pkcs11Uri.Builder::libraryDescription)
                .use(versions()).withProbability(0.3).in(Pkcs11Uri.Builder::libraryVersion)
                .use(text).withProbability(0.3).in(Pkcs11Uri.Builder::slotManufacturer)
                .use(text).withProbability(0.3).in(Pkcs11Uri.Builder::slotDescription)
                .use(Arbitraries.longs()).withProbability(0.3).in((b, id) -> b.slotId(id))
                .use(text).withProbability(0.5).in(Pkcs11Uri.Builder::object)
                .use(Arbitraries.of(Type.class)).withProbability(0.5).in(Pkcs11Uri.Builder::type)
                .use(Arbitraries.bytes().array(byte[].class).ofMaxSize(20)).withProbability(0.5).in(Pkcs11Uri.Builder::id)
                .use(credential).in((b, c) -> c instanceof char[] pin ? b.pinValue(pin)
                        : c.equals("none") ? b : b.pinSource(((String) c).substring("source:".length())))
                .use(text).withProbability(0.3).in(Pkcs11Uri.Builder::moduleName)
                .use(absolutePath).withProbability(0.3).in(Pkcs11Uri.Builder::modulePath)
                .use(Arbitraries.maps(vendorName(), text).ofMaxSize(3)).in((b, m) -> {
                    m.forEach(b::vendorPathAttribute);
                    return b;
                })
                .use(Arbitraries.maps(vendorName(), text).ofMaxSize(3)).in((b, m) -> {
                    m.forEach(b::vendorQueryAttribute);
                    return b;
                })
                .build(Pkcs11Uri.Builder::build);
    }

    private Arbitrary<LibraryVersion> versions() {
        return Combinators.combine(Arbitraries.integers().between(0, 255), Arbitraries.integers().between(0, 255))
                .as(LibraryVersion::new);
    }

    /**
     * Canonical strings, written from the RFC's rules: attributes in canonical order, unencoded
     * exactly the characters that may be, everything else {@code %XX} in upper case, every byte
     * of {@code id} encoded, {@code M} for version {@code M.0}, no leading zeros in slot-id.
     */
    @Provide
    Arbitrary<String> canonicalStrings() {
        List<Arbitrary<String>> path = new ArrayList<>();
        for (String name : PATH_TEXT_ATTRIBUTES) {
            path.add(attribute(name, encoded(PATH_UNENCODED)));
        }
        path.add(attribute("library-version", versions().map(v -> v.minor() == 0 ? "" + v.major()
                : v.major() + "." + v.minor())));
        path.add(attribute("slot-manufacturer", encoded(PATH_UNENCODED)));
        path.add(attribute("slot-description", encoded(PATH_UNENCODED)));
        path.add(attribute("slot-id", Arbitraries.longs().map(Long::toUnsignedString)));
        path.add(attribute("object", encoded(PATH_UNENCODED)));
        path.add(attribute("type", Arbitraries.of("public", "private", "cert", "secret-key", "data")));
        path.add(attribute("id", Arbitraries.bytes().array(byte[].class).ofMaxSize(16).map(bytes -> {
            StringBuilder sb = new StringBuilder();
            for (byte b : bytes) {
                sb.append(String.format("%%%02X", b & 0xFF));
            }
            return sb.toString();
        })));
        path.add(vendors(PATH_UNENCODED, ";"));

        List<Arbitrary<String>> query = new ArrayList<>();
        query.add(Arbitraries.oneOf(
                attribute("pin-source", encoded(QUERY_UNENCODED)),
                attribute("pin-value", encoded(QUERY_UNENCODED))));
        query.add(attribute("module-name", encoded(QUERY_UNENCODED)));
        query.add(attribute("module-path", encoded(QUERY_UNENCODED).map(p -> "/" + p)));
        query.add(vendors(QUERY_UNENCODED, "&"));

        Arbitrary<String> pathPart = Combinators.combine(path).as(pieces -> join(pieces, ";"));
        Arbitrary<String> queryPart = Combinators.combine(query).as(pieces -> join(pieces, "&"));
        return Combinators.combine(pathPart, queryPart)
                .as((p, q) -> "pkcs11:" + p + (q.isEmpty() ? "" : "?" + q));
    }

    /** {@code name=value}, or "" (absent) half of the time. */
    private static Arbitrary<String> attribute(String name, Arbitrary<String> value) {
        return value.map(v -> name + "=" + v).injectNull(0.5).map(s -> s == null ? "" : s);
    }

    private Arbitrary<String> vendors(String unencoded, String delimiter) {
        return Arbitraries.maps(vendorName(), encoded(unencoded)).ofMaxSize(3).map(m -> {
            List<String> pieces = new ArrayList<>();
            new TreeMap<>(m).forEach((k, v) -> pieces.add(k + "=" + v));
            return String.join(delimiter, pieces);
        });
    }

    /** Text encoded as the canonical form writes it. */
    private Arbitrary<String> encoded(String unencoded) {
        return text().map(t -> {
            StringBuilder sb = new StringBuilder();
            for (byte b : t.getBytes(StandardCharsets.UTF_8)) {
                int c = b & 0xFF;
                if (c < 128 && unencoded.indexOf(c) >= 0) {
                    sb.append((char) c);
                } else {
                    sb.append(String.format("%%%02X", c));
                }
            }
            return sb.toString();
        });
    }

    private static String join(List<String> pieces, String delimiter) {
        List<String> present = new ArrayList<>();
        for (String p : pieces) {
            if (!p.isEmpty()) {
                present.add(p);
            }
        }
        return String.join(delimiter, present);
    }

    private static String lowerCaseEscapes(String s) {
        StringBuilder sb = new StringBuilder(s);
        for (int i = 0; i + 2 < sb.length(); i++) {
            if (sb.charAt(i) == '%') {
                sb.setCharAt(i + 1, Character.toLowerCase(sb.charAt(i + 1)));
                sb.setCharAt(i + 2, Character.toLowerCase(sb.charAt(i + 2)));
            }
        }
        return sb.toString();
    }

    /** Strings built from the characters that matter to the grammar, most of them starting well. */
    @Provide
    Arbitrary<String> junk() {
        Arbitrary<String> body = Arbitraries.strings()
                .withChars(";?&=%:/#| aAzZ09-_.~[]@!$'()*+,\u00e1\u20ac")
                .withChars("tokenidpvslyx")
                .ofMaxLength(40);
        Arbitrary<String> names = Arbitraries.of("token", "id", "type", "slot-id", "library-version", "pin-value",
                "pin-source", "module-path", "module-name", "x-a", "object", "serial");
        Arbitrary<String> attribute = Combinators.combine(names, body).as((n, v) -> n + "=" + v);
        Arbitrary<String> structured = attribute.list().ofMaxSize(5).map(list -> "pkcs11:" + String.join(";", list));
        Arbitrary<String> withQuery = Combinators.combine(structured, attribute.list().ofMaxSize(4))
                .as((p, q) -> p + "?" + String.join("&", q));
        return Arbitraries.oneOf(body, body.map(b -> "pkcs11:" + b), structured, withQuery)
                .filter(Objects::nonNull);
    }

    /** Guards the generator itself: attribute names it makes must be vendor names. */
    @Property(tries = 50)
    void vendorNamesAreNeverStandardNames(@ForAll("canonicalStrings") String canonical) throws Exception {
        Set<String> standard = new TreeSet<>(PATH_TEXT_ATTRIBUTES);
        assertThat(Pkcs11Uri.parse(canonical).vendorPathAttributes().keySet()).noneMatch(standard::contains);
    }
}
