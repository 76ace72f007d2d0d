// SPDX-License-Identifier: Apache-2.0
package io.p11j.uri;

import static org.assertj.core.api.Assertions.assertThat;

import io.p11j.uri.Pkcs11Uri.LibraryVersion;
import io.p11j.uri.Pkcs11Uri.Type;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every example of RFC 7512 section 3: what each one parses to and how it is printed back. */
class Pkcs11UriRfcExamplesTest {

    @Test
    void emptyUriNamesNothing() throws Exception {
        Pkcs11Uri uri = Pkcs11Uri.parse("pkcs11:");

        assertThat(uri.token()).isEmpty();
        assertThat(uri.hasTokenAttributes()).isFalse();
        assertThat(uri.hasObjectAttributes()).isFalse();
        assertThat(uri.hasSlotAttributes()).isFalse();
        assertThat(uri.hasModuleAttributes()).isFalse();
        assertThat(uri.namesModule()).isFalse();
        assertThat(uri.format(true)).isEqualTo("pkcs11:");
        assertThat(uri).isEqualTo(Pkcs11Uri.builder().build());
    }

    @Test
    void publicKeyByLabel() throws Exception {
        Pkcs11Uri uri = Pkcs11Uri.parse("pkcs11:object=my-pubkey;type=public");

        assertThat(uri.object()).contains("my-pubkey");
        assertThat(uri.type()).contains(Type.PUBLIC);
        assertThat(uri.hasObjectAttributes()).isTrue();
        assertThat(uri.format(true)).isEqualTo("pkcs11:object=my-pubkey;type=public");
    }

    @Test
    void privateKeyWithPinSource() throws Exception {
        Pkcs11Uri uri = Pkcs11Uri.parse("pkcs11:object=my-key;type=private?pin-source=file:/etc/token");

        assertThat(uri.object()).contains("my-key");
        assertThat(uri.type()).contains(Type.PRIVATE);
        assertThat(uri.pinSource()).contains("file:/etc/token");
        assertThat(uri.hasPinValue()).isFalse();
        assertThat(uri.format(true)).isEqualTo("pkcs11:object=my-key;type=private?pin-source=file:/etc/token");
    }

    @Test
    void certificateWithEveryTokenAttributeAndEmptySerial() throws Exception {
        Pkcs11Uri uri = Pkcs11Uri.parse("pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;"
                + "manufacturer=Snake%20Oil,%20Inc.;model=1.0;object=my-certificate;type=cert;"
                + "id=%69%95%3E%5C%F4%BD%EC%91;serial=?pin-source=file:/etc/token_pin");

        assertThat(uri.token()).contains("The Software PKCS#11 Softtoken");
        assertThat(uri.manufacturer()).contains("Snake Oil, Inc.");
        assertThat(uri.model()).contains("1.0");
        assertThat(uri.serial()).contains("");
        assertThat(uri.object()).contains("my-certificate");
        assertThat(uri.type()).contains(Type.CERT);
        assertThat(uri.id()).hasValueSatisfying(id -> assertThat(id).containsExactly(
                0x69, 0x95, 0x3E, 0x5C, 0xF4, 0xBD, 0xEC, 0x91));
        assertThat(uri.pinSource()).contains("file:/etc/token_pin");
        // Canonical order puts serial after manufacturer; the values print as they came.
        assertThat(uri.format(true)).isEqualTo("pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;"
                + "manufacturer=Snake%20Oil,%20Inc.;serial=;model=1.0;object=my-certificate;type=cert;"
                + "id=%69%95%3E%5C%F4%BD%EC%91?pin-source=file:/etc/token_pin");
    }

    @Test
    void moduleName() throws Exception {
        Pkcs11Uri uri = Pkcs11Uri.parse("pkcs11:object=my-sign-key;type=private?module-name=mypkcs11");

        assertThat(uri.moduleName()).contains("mypkcs11");
        assertThat(uri.modulePath()).isEmpty();
        assertThat(uri.namesModule()).isTrue();
        assertThat(uri.format(true)).isEqualTo("pkcs11:object=my-sign-key;type=private?module-name=mypkcs11");
    }

    @Test
    void modulePath() throws Exception {
        Pkcs11Uri uri = Pkcs11Uri.parse("pkcs11:object=my-sign-key;type=private?module-path=/mnt/libmypkcs11.so.1");

        assertThat(uri.modulePath()).contains("/mnt/libmypkcs11.so.1");
        assertThat(uri.format(true)).isEqualTo("pkcs11:object=my-sign-key;type=private?module-path=/mnt/libmypkcs11.so.1");
    }

    @Test
    void pinValue() throws Exception {
        String text = "pkcs11:token=Software%20PKCS%2311%20softtoken;manufacturer=Snake%20Oil,%20Inc.?pin-value=the-pin";
        Pkcs11Uri uri = Pkcs11Uri.parse(text);

        assertThat(uri.token()).contains("Software PKCS#11 softtoken");
        assertThat(uri.manufacturer()).contains("Snake Oil, Inc.");
        assertThat(uri.pinValue()).hasValueSatisfying(pin -> assertThat(pin).containsExactly("the-pin".toCharArray()));
        assertThat(uri.format(true)).isEqualTo(text);
        assertThat(uri.toString()).isEqualTo(
                "pkcs11:token=Software%20PKCS%2311%20softtoken;manufacturer=Snake%20Oil,%20Inc.?pin-value=<masked>");
    }

    @Test
    void slotDescription() throws Exception {
        Pkcs11Uri uri = Pkcs11Uri.parse("pkcs11:slot-description=Sun%20Metaslot");

        assertThat(uri.slotDescription()).contains("Sun Metaslot");
        assertThat(uri.hasSlotAttributes()).isTrue();
        assertThat(uri.format(true)).isEqualTo("pkcs11:slot-description=Sun%20Metaslot");
    }

    @Test
    void libraryAttributes() throws Exception {
        String text = "pkcs11:library-manufacturer=Snake%20Oil,%20Inc.;library-description=Soft%20Token%20Library;"
                + "library-version=1.23";
        Pkcs11Uri uri = Pkcs11Uri.parse(text);

        assertThat(uri.libraryManufacturer()).contains("Snake Oil, Inc.");
        assertThat(uri.libraryDescription()).contains("Soft Token Library");
        assertThat(uri.libraryVersion()).contains(new LibraryVersion(1, 23));
        assertThat(uri.hasModuleAttributes()).isTrue();
        assertThat(uri.format(true)).isEqualTo(text);
    }

    @Test
    void percentSignInLabelMajorOnlyVersionAndMixedCaseEscapes() throws Exception {
        Pkcs11Uri uri = Pkcs11Uri.parse("pkcs11:token=My%20token%25%20created%20by%20Joe;library-version=3;"
                + "id=%01%02%03%Ba%dd%Ef%08");

        assertThat(uri.token()).contains("My token% created by Joe");
        assertThat(uri.libraryVersion()).contains(new LibraryVersion(3, 0));
        assertThat(uri.id()).hasValueSatisfying(id -> assertThat(id).containsExactly(
                0x01, 0x02, 0x03, 0xBA, 0xDD, 0xEF, 0x08));
        // Escapes are read in either case and written in upper case.
        assertThat(uri.format(true)).isEqualTo("pkcs11:token=My%20token%25%20created%20by%20Joe;library-version=3;"
                + "id=%01%02%03%BA%DD%EF%08");
    }

    @Test
    void encodedDelimiterInLabel() throws Exception {
        String text = "pkcs11:token=A%20name%20with%20a%20substring%20%25%3B;object=my-certificate;type=cert";
        Pkcs11Uri uri = Pkcs11Uri.parse(text);

        assertThat(uri.token()).contains("A name with a substring %;");
        assertThat(uri.format(true)).isEqualTo(text);
    }

    @Test
    void utf8Label() throws Exception {
        String text = "pkcs11:token=Name%20with%20a%20small%20A%20with%20acute:%20%C3%A1;object=my-certificate;type=cert";
        Pkcs11Uri uri = Pkcs11Uri.parse(text);

        assertThat(uri.token()).contains("Name with a small A with acute: \u00e1");
        assertThat(uri.token().orElseThrow().getBytes(StandardCharsets.UTF_8)).endsWith(0xC3, 0xA1);
        assertThat(uri.format(true)).isEqualTo(text);
    }

    @Test
    void vendorAttributesAreKeptPrintedBackAndMakeMatchingFailClosed() throws Exception {
        String text = "pkcs11:token=my-token;object=my-certificate;type=cert;vendor-aaa=value-a"
                + "?pin-source=file:/etc/token_pin&vendor-bbb=value-b";
        Pkcs11Uri uri = Pkcs11Uri.parse(text);

        assertThat(uri.token()).contains("my-token");
        assertThat(uri.vendorPathAttributes()).isEqualTo(Map.of("vendor-aaa", "value-a"));
        assertThat(uri.vendorQueryAttributes()).isEqualTo(Map.of("vendor-bbb", "value-b"));
        assertThat(uri.hasUnrecognizedPathAttributes()).isTrue();
        assertThat(uri.format(true)).isEqualTo(text);
        // The path names an attribute this code does not understand: it selects nothing, even the
        // token and certificate it otherwise describes.
        assertThat(uri.matchesToken(new Pkcs11Uri.TokenInfo("my-token", "m", "m", "s"))).isFalse();
        assertThat(uri.matchesObject(new Pkcs11Uri.ObjectInfo("my-certificate", Type.CERT, new byte[0]))).isFalse();
    }

    @Test
    void idBytesSurviveExactly() throws Exception {
        byte[] all = new byte[256];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) i;
        }
        Pkcs11Uri uri = Pkcs11Uri.builder().id(all).build();

        String text = uri.format(true);
        assertThat(text).startsWith("pkcs11:id=%00%01%02").endsWith("%FE%FF").hasSize("pkcs11:id=".length() + 3 * 256);
        assertThat(Arrays.equals(Pkcs11Uri.parse(text).id().orElseThrow(), all)).isTrue();
    }
}
