// SPDX-License-Identifier: Apache-2.0
package io.p11j.uri;

import static io.p11j.uri.Pkcs11UriSyntaxException.Problem.BAD_LIBRARY_VERSION;
import static io.p11j.uri.Pkcs11UriSyntaxException.Problem.BAD_PERCENT_ESCAPE;
import static io.p11j.uri.Pkcs11UriSyntaxException.Problem.BAD_SLOT_ID;
import static io.p11j.uri.Pkcs11UriSyntaxException.Problem.DUPLICATE_ATTRIBUTE;
import static io.p11j.uri.Pkcs11UriSyntaxException.Problem.INVALID_ATTRIBUTE_NAME;
import static io.p11j.uri.Pkcs11UriSyntaxException.Problem.INVALID_CHARACTER;
import static io.p11j.uri.Pkcs11UriSyntaxException.Problem.INVALID_UTF8;
import static io.p11j.uri.Pkcs11UriSyntaxException.Problem.MISPLACED_ATTRIBUTE;
import static io.p11j.uri.Pkcs11UriSyntaxException.Problem.MISSING_EQUALS;
import static io.p11j.uri.Pkcs11UriSyntaxException.Problem.PIN_VALUE_AND_PIN_SOURCE;
import static io.p11j.uri.Pkcs11UriSyntaxException.Problem.RELATIVE_MODULE_PATH;
import static io.p11j.uri.Pkcs11UriSyntaxException.Problem.UNKNOWN_TYPE;
import static io.p11j.uri.Pkcs11UriSyntaxException.Problem.WRONG_SCHEME;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.p11j.uri.Pkcs11Uri.LibraryVersion;
import io.p11j.uri.Pkcs11Uri.Type;
import io.p11j.uri.Pkcs11UriSyntaxException.Problem;
import java.net.URISyntaxException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What is refused, with which problem, attribute and position; and what lenient input is read. */
class Pkcs11UriSyntaxTest {

    static Stream<Arguments> invalid() {
        return Stream.of(
                // input, problem, attribute (null: none), index
                Arguments.of("http:token=a", WRONG_SCHEME, null, 0),
                Arguments.of("", WRONG_SCHEME, null, 0),
                Arguments.of("pkcs11", WRONG_SCHEME, null, 0),
                Arguments.of("pkcs12:token=a", WRONG_SCHEME, null, 0),
                Arguments.of(" pkcs11:", WRONG_SCHEME, null, 0),
                Arguments.of("pkcs11:token=a%2", BAD_PERCENT_ESCAPE, "token", 14),
                Arguments.of("pkcs11:token=%G1", BAD_PERCENT_ESCAPE, "token", 13),
                Arguments.of("pkcs11:token=%", BAD_PERCENT_ESCAPE, "token", 13),
                Arguments.of("pkcs11:id=%0", BAD_PERCENT_ESCAPE, "id", 10),
                Arguments.of("pkcs11:?pin-source=file:%zz", BAD_PERCENT_ESCAPE, "pin-source", 24),
                Arguments.of("pkcs11:token=a;token=b", DUPLICATE_ATTRIBUTE, "token", 15),
                Arguments.of("pkcs11:token=a;TOKEN=b", DUPLICATE_ATTRIBUTE, "TOKEN", 15),
                Arguments.of("pkcs11:id=%01;type=cert;id=%01", DUPLICATE_ATTRIBUTE, "id", 24),
                Arguments.of("pkcs11:x-a=1;x-a=2", DUPLICATE_ATTRIBUTE, "x-a", 13),
                Arguments.of("pkcs11:?module-name=a&module-name=b", DUPLICATE_ATTRIBUTE, "module-name", 22),
                Arguments.of("pkcs11:type=key", UNKNOWN_TYPE, "type", 12),
                Arguments.of("pkcs11:type=", UNKNOWN_TYPE, "type", 12),
                Arguments.of("pkcs11:type=secret", UNKNOWN_TYPE, "type", 12),
                Arguments.of("pkcs11:type=public%20", UNKNOWN_TYPE, "type", 12),
                Arguments.of("pkcs11:slot-id=abc", BAD_SLOT_ID, "slot-id", 15),
                Arguments.of("pkcs11:slot-id=", BAD_SLOT_ID, "slot-id", 15),
                Arguments.of("pkcs11:slot-id=-1", BAD_SLOT_ID, "slot-id", 15),
                Arguments.of("pkcs11:slot-id=+1", BAD_SLOT_ID, "slot-id", 15),
                Arguments.of("pkcs11:slot-id=0x10", BAD_SLOT_ID, "slot-id", 15),
                Arguments.of("pkcs11:slot-id=18446744073709551616", BAD_SLOT_ID, "slot-id", 15),
                Arguments.of("pkcs11:library-version=1.2.3", BAD_LIBRARY_VERSION, "library-version", 23),
                Arguments.of("pkcs11:library-version=256", BAD_LIBRARY_VERSION, "library-version", 23),
                Arguments.of("pkcs11:library-version=1.256", BAD_LIBRARY_VERSION, "library-version", 23),
                Arguments.of("pkcs11:library-version=1.", BAD_LIBRARY_VERSION, "library-version", 23),
                Arguments.of("pkcs11:library-version=.1", BAD_LIBRARY_VERSION, "library-version", 23),
                Arguments.of("pkcs11:library-version=", BAD_LIBRARY_VERSION, "library-version", 23),
                Arguments.of("pkcs11:library-version=v1", BAD_LIBRARY_VERSION, "library-version", 23),
                Arguments.of("pkcs11:library-version=99999999999", BAD_LIBRARY_VERSION, "library-version", 23),
                // The index is in the masked input: "1234" became "<masked>", four characters longer.
                Arguments.of("pkcs11:?pin-value=1234&pin-source=file:/x", PIN_VALUE_AND_PIN_SOURCE, "pin-source", 27),
                Arguments.of("pkcs11:?pin-source=file:/x&pin-value=1234", PIN_VALUE_AND_PIN_SOURCE, "pin-value", 27),
                Arguments.of("pkcs11:token", MISSING_EQUALS, "token", 7),
                Arguments.of("pkcs11:token=a;object", MISSING_EQUALS, "object", 15),
                Arguments.of("pkcs11:token=a;;object=b", MISSING_EQUALS, "", 15),
                Arguments.of("pkcs11:token=a;", MISSING_EQUALS, "", 15),
                Arguments.of("pkcs11:?module-name", MISSING_EQUALS, "module-name", 8),
                Arguments.of("pkcs11:?module-name=a&", MISSING_EQUALS, "", 22),
                Arguments.of("pkcs11:token=%C3%28", INVALID_UTF8, "token", 13),
                Arguments.of("pkcs11:object=ok%FF", INVALID_UTF8, "object", 16),
                Arguments.of("pkcs11:token=%C0%AF", INVALID_UTF8, "token", 13),
                Arguments.of("pkcs11:token=%ED%A0%80", INVALID_UTF8, "token", 13),
                Arguments.of("pkcs11:x-vendor=%E2%82", INVALID_UTF8, "x-vendor", 16),
                Arguments.of("pkcs11:token=a b", INVALID_CHARACTER, "token", 14),
                Arguments.of("pkcs11:token=a#b", INVALID_CHARACTER, "token", 14),
                Arguments.of("pkcs11:token=\u00e1", INVALID_CHARACTER, "token", 13),
                Arguments.of("pkcs11:token=a/b", INVALID_CHARACTER, "token", 14),
                Arguments.of("pkcs11:token=a|b", INVALID_CHARACTER, "token", 14),
                Arguments.of("pkcs11:?pin-source=a;b", INVALID_CHARACTER, "pin-source", 20),
                Arguments.of("pkcs11:?module-name=a&b", MISSING_EQUALS, "b", 22),
                Arguments.of("pkcs11:tok en=a", INVALID_ATTRIBUTE_NAME, "tok en", 10),
                Arguments.of("pkcs11:=a", INVALID_ATTRIBUTE_NAME, "", 7),
                Arguments.of("pkcs11:x.y=a", INVALID_ATTRIBUTE_NAME, "x.y", 8),
                Arguments.of("pkcs11:?module-path=lib/x.so", RELATIVE_MODULE_PATH, "module-path", 20),
                Arguments.of("pkcs11:?module-path=", RELATIVE_MODULE_PATH, "module-path", 20),
                Arguments.of("pkcs11:?module-path=./x.so", RELATIVE_MODULE_PATH, "module-path", 20),
                Arguments.of("pkcs11:pin-value=1234", MISPLACED_ATTRIBUTE, "pin-value", 7),
                Arguments.of("pkcs11:module-path=/x.so", MISPLACED_ATTRIBUTE, "module-path", 7),
                Arguments.of("pkcs11:?token=a", MISPLACED_ATTRIBUTE, "token", 8),
                Arguments.of("pkcs11:?ID=%01", MISPLACED_ATTRIBUTE, "ID", 8));
    }

    @ParameterizedTest(name = "{0} -> {1} in {2} at {3}")
    @MethodSource("invalid")
    void refusedWithProblemAttributeAndPosition(String input, Problem problem, String attribute, int index) {
        Pkcs11UriSyntaxException e = catchThrowableOfType(Pkcs11UriSyntaxException.class, () -> Pkcs11Uri.parse(input));

        assertThat(e).as("parse(%s)", input).isNotNull();
        assertThat(e.problem()).isEqualTo(problem);
        assertThat(e.attribute().orElse(null)).isEqualTo(attribute);
        assertThat(e.getIndex()).isEqualTo(index);
        assertThat(e).isInstanceOf(URISyntaxException.class);
        assertThat(e.getMessage()).contains(" at index " + index + ": ");
        assertThat(e.getMessage()).doesNotContain("1234");
    }

    @Test
    void createWrapsTheSyntaxErrorInAnIllegalArgumentException() {
        assertThatThrownBy(() -> Pkcs11Uri.create("pkcs11:type=key"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasCauseInstanceOf(Pkcs11UriSyntaxException.class)
                .hasMessageContaining("unknown type 'key'");
        assertThat(Pkcs11Uri.create("pkcs11:type=cert").type()).contains(Type.CERT);
    }

    @Test
    void messageNamesTheProblemAndShowsTheInput() {
        Pkcs11UriSyntaxException e = catchThrowableOfType(Pkcs11UriSyntaxException.class,
                () -> Pkcs11Uri.parse("pkcs11:token=a;token=b"));

        assertThat(e.getMessage()).isEqualTo("duplicate attribute 'token' at index 15: pkcs11:token=a;token=b");
        assertThat(e.getInput()).isEqualTo("pkcs11:token=a;token=b");
        assertThat(e.getReason()).isEqualTo("duplicate attribute 'token'");
    }

    // ---------------------------------------------------------------- PIN never in an error

    static Stream<Arguments> brokenWithPin() {
        return Stream.of(
                Arguments.of("pkcs11:?pin-value=s3cr3t&pin-source=file:/x", PIN_VALUE_AND_PIN_SOURCE),
                Arguments.of("pkcs11:?pin-source=file:/x&pin-value=s3cr3t", PIN_VALUE_AND_PIN_SOURCE),
                Arguments.of("pkcs11:?pin-value=s3cr3t&pin-value=s3cr3t", DUPLICATE_ATTRIBUTE),
                Arguments.of("pkcs11:?PIN-VALUE=s3cr3t&pin-source=file:/x", PIN_VALUE_AND_PIN_SOURCE),
                Arguments.of("pkcs11:?pin-value=s3c r3t", INVALID_CHARACTER),
                Arguments.of("pkcs11:?pin-value=s3cr3t%zz", BAD_PERCENT_ESCAPE),
                Arguments.of("pkcs11:?pin-value=s3cr3t%FF", INVALID_UTF8),
                Arguments.of("pkcs11:?pin-value=s3cr3t;x", INVALID_CHARACTER),
                // A PIN with an unencoded '&': the rest of it is a piece without '=' ...
                Arguments.of("pkcs11:?pin-value=s3&cr3t", MISSING_EQUALS),
                // ... or a piece with a name no attribute has.
                Arguments.of("pkcs11:?pin-value=s3&cr 3t=x", INVALID_ATTRIBUTE_NAME),
                // Misplaced in the path, or with its name percent-encoded: still masked.
                Arguments.of("pkcs11:pin-value=s3cr3t", MISPLACED_ATTRIBUTE),
                Arguments.of("pkcs11:token=a;pin-value=s3cr3t;cr3t?x=1", MISPLACED_ATTRIBUTE),
                Arguments.of("pkcs11:?pin%2Dvalue=s3cr3t", INVALID_ATTRIBUTE_NAME),
                Arguments.of("pkcs11:?pin-value=s3cr3t&type=cert", MISPLACED_ATTRIBUTE),
                Arguments.of("pkcs11:type=nope?pin-value=s3cr3t", UNKNOWN_TYPE));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenWithPin")
    void pinIsMaskedInEveryPartOfTheException(String input, Problem problem) {
        Pkcs11UriSyntaxException e = catchThrowableOfType(Pkcs11UriSyntaxException.class, () -> Pkcs11Uri.parse(input));

        assertThat(e).isNotNull();
        assertThat(e.problem()).isEqualTo(problem);
        for (String part : new String[] {e.getMessage(), e.getInput(), e.getReason(), e.attribute().orElse(""),
                                         String.valueOf(e)}) {
            assertThat(part).doesNotContain("s3").doesNotContain("cr3t").doesNotContain("r3t");
        }
        assertThat(e.getInput()).contains("<masked>");
        assertThat(e.getIndex()).isBetween(0, e.getInput().length());
    }

    @Test
    void indexPointsAtTheMaskWhenTheErrorIsInsideThePin() {
        Pkcs11UriSyntaxException e = catchThrowableOfType(Pkcs11UriSyntaxException.class,
                () -> Pkcs11Uri.parse("pkcs11:?pin-value=ab%zz"));

        assertThat(e.getInput()).isEqualTo("pkcs11:?pin-value=<masked>");
        assertThat(e.getIndex()).isEqualTo("pkcs11:?pin-value=".length());
        assertThat(e.attribute()).contains("pin-value");
        assertThat(e.getReason()).isEqualTo("'%' not followed by two hex digits in attribute 'pin-value'");
    }

    // ---------------------------------------------------------------- lenient but exact reading

    @Test
    void schemeAttributeNamesAndTypeAreCaseInsensitive() throws Exception {
        Pkcs11Uri uri = Pkcs11Uri.parse("PKCS11:Token=a;TYPE=Secret-Key?Module-Name=m");

        assertThat(uri.token()).contains("a");
        assertThat(uri.type()).contains(Type.SECRET_KEY);
        assertThat(uri.moduleName()).contains("m");
        assertThat(uri.format(true)).isEqualTo("pkcs11:token=a;type=secret-key?module-name=m");
    }

    @Test
    void typeFoldsAsciiCaseOnly() {
        assertThat(Type.fromUriName("\u017Fecret-key")).isEmpty(); // long s would upper-case to S
        assertThat(Type.fromUriName("PUBLIC")).contains(Type.PUBLIC);
    }

    @Test
    void percentEncodedUnreservedCharactersAreTheCharactersThemselves() throws Exception {
        Pkcs11Uri uri = Pkcs11Uri.parse("pkcs11:token=%41b%2d;type=%70ublic;slot-id=%31%32");

        assertThat(uri.token()).contains("Ab-");
        assertThat(uri.type()).contains(Type.PUBLIC);
        assertThat(uri.slotId()).hasValue(12);
        assertThat(uri.format(true)).isEqualTo("pkcs11:token=Ab-;slot-id=12;type=public");
    }

    @Test
    void everyCharacterTheRfcLetsStandUnencodedIsReadAndWrittenAsItIs() throws Exception {
        String text = "pkcs11:token=:[]@!$'()*+,=&-._~aZ09?pin-source=:[]@!$'()*+,=/?|-._~aZ09";
        Pkcs11Uri uri = Pkcs11Uri.parse(text);

        assertThat(uri.token()).contains(":[]@!$'()*+,=&-._~aZ09");
        assertThat(uri.pinSource()).contains(":[]@!$'()*+,=/?|-._~aZ09");
        assertThat(uri.format(true)).isEqualTo(text);
    }

    @Test
    void charactersOnlyOneComponentAllowsAreEncodedInTheOther() {
        Pkcs11Uri uri = Pkcs11Uri.builder().token("a/b?c|d;e&f").pinSource("a&b;c").build();

        assertThat(uri.format(true)).isEqualTo("pkcs11:token=a%2Fb%3Fc%7Cd%3Be&f?pin-source=a%26b%3Bc");
    }

    @Test
    void slotIdIsUnsigned64Bit() throws Exception {
        Pkcs11Uri max = Pkcs11Uri.parse("pkcs11:slot-id=18446744073709551615");
        Pkcs11Uri padded = Pkcs11Uri.parse("pkcs11:slot-id=007");

        assertThat(max.slotId()).hasValue(-1L);
        assertThat(max.format(true)).isEqualTo("pkcs11:slot-id=18446744073709551615");
        assertThat(padded.slotId()).hasValue(7);
        assertThat(padded.format(true)).isEqualTo("pkcs11:slot-id=7");
    }

    @Test
    void libraryVersionMinorZeroIsWrittenAsMajorOnly() throws Exception {
        assertThat(Pkcs11Uri.parse("pkcs11:library-version=3.0")).isEqualTo(Pkcs11Uri.parse("pkcs11:library-version=3"));
        assertThat(Pkcs11Uri.parse("pkcs11:library-version=3.0").format(true)).isEqualTo("pkcs11:library-version=3");
        assertThat(Pkcs11Uri.parse("pkcs11:library-version=2.040").libraryVersion()).contains(new LibraryVersion(2, 40));
        assertThat(Pkcs11Uri.parse("pkcs11:library-version=255.255").libraryVersion())
                .contains(new LibraryVersion(255, 255));
        assertThatThrownBy(() -> new LibraryVersion(256, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LibraryVersion(0, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void emptyQueryIsNoQuery() throws Exception {
        assertThat(Pkcs11Uri.parse("pkcs11:?")).isEqualTo(Pkcs11Uri.parse("pkcs11:"));
        assertThat(Pkcs11Uri.parse("pkcs11:token=a?").format(true)).isEqualTo("pkcs11:token=a");
    }

    @Test
    void equalsIgnoresTheOrderAttributesWereWrittenIn() throws Exception {
        Pkcs11Uri a = Pkcs11Uri.parse("pkcs11:object=k;token=t;x-b=2;x-a=1?module-name=m&x-q=1");
        Pkcs11Uri b = Pkcs11Uri.parse("pkcs11:x-a=1;token=t;x-b=2;object=k?x-q=1&module-name=m");

        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(a.format(true)).isEqualTo(b.format(true)).isEqualTo("pkcs11:token=t;object=k;x-a=1;x-b=2?module-name=m&x-q=1");
        assertThat(a).isNotEqualTo(Pkcs11Uri.parse("pkcs11:object=k;token=t;x-b=2;x-a=1?module-name=m"));
    }

    @Test
    void absoluteModulePathsOfOtherPlatformsAreAccepted() throws Exception {
        assertThat(Pkcs11Uri.parse("pkcs11:?module-path=C:%5CWindows%5Cp11.dll").modulePath()).contains("C:\\Windows\\p11.dll");
        assertThat(Pkcs11Uri.parse("pkcs11:?module-path=%5C%5Cserver%5Cshare%5Cp11.dll").modulePath())
                .contains("\\\\server\\share\\p11.dll");
    }
}
