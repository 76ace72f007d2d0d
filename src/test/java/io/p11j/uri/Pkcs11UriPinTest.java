// SPDX-License-Identifier: Apache-2.0
package io.p11j.uri;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** How a URI holds, hands out, prints and forgets a PIN. */
class Pkcs11UriPinTest {

    private static final String WITH_PIN = "pkcs11:token=t;object=k?pin-value=p%C3%A4ss%26word&module-name=softhsm2";

    @Test
    void pinIsDecodedAndHandedOutAsAFreshCopy() throws Exception {
        Pkcs11Uri uri = Pkcs11Uri.parse(WITH_PIN);

        char[] first = uri.pinValue().orElseThrow();
        assertThat(first).containsExactly("p\u00e4ss&word".toCharArray());
        Arrays.fill(first, '\0');
        // Wiping the copy leaves the URI's own PIN intact.
        assertThat(uri.pinValue().orElseThrow()).containsExactly("p\u00e4ss&word".toCharArray());
        assertThat(uri.pinValue().orElseThrow()).isNotSameAs(uri.pinValue().orElseThrow());
    }

    @Test
    void toStringMasksThePinInAFormThatDoesNotParse() {
        Pkcs11Uri uri = Pkcs11Uri.create(WITH_PIN);

        assertThat(uri.toString()).isEqualTo("pkcs11:token=t;object=k?pin-value=<masked>&module-name=softhsm2");
        assertThat(uri.toString()).doesNotContain("ss");
        // Re-reading a masked URI fails loudly instead of logging in with the PIN "<masked>".
        assertThatThrownBy(() -> Pkcs11Uri.parse(uri.toString()))
                .isInstanceOf(Pkcs11UriSyntaxException.class)
                .hasMessageContaining("pin-value");
        assertThat(uri.format(true)).isEqualTo(WITH_PIN);
    }

    @Test
    void emptyPinIsAPinToo() throws Exception {
        Pkcs11Uri uri = Pkcs11Uri.parse("pkcs11:?pin-value=");

        assertThat(uri.hasPinValue()).isTrue();
        assertThat(uri.pinValue().orElseThrow()).isEmpty();
        assertThat(uri.toString()).isEqualTo("pkcs11:?pin-value=<masked>");
        assertThat(uri.format(true)).isEqualTo("pkcs11:?pin-value=");
    }

    @Test
    void withoutPinKeepsEverythingElse() throws Exception {
        Pkcs11Uri uri = Pkcs11Uri.parse(WITH_PIN);
        Pkcs11Uri without = uri.withoutPin();

        assertThat(without.hasPinValue()).isFalse();
        assertThat(without.pinValue()).isEmpty();
        assertThat(without.format(true)).isEqualTo("pkcs11:token=t;object=k?module-name=softhsm2");
        assertThat(uri.hasPinValue()).isTrue();
        Pkcs11Uri noPin = Pkcs11Uri.parse("pkcs11:token=t?pin-source=file:/p");
        assertThat(noPin.withoutPin()).isSameAs(noPin);
        assertThat(noPin.withoutPin().pinSource()).contains("file:/p");
    }

    @Test
    void withoutQueryKeepsOnlyThePath() throws Exception {
        Pkcs11Uri uri = Pkcs11Uri.parse("pkcs11:token=t;x-p=1?pin-source=file:/p&module-path=/m.so&x-q=2");

        assertThat(uri.withoutQuery().format(true)).isEqualTo("pkcs11:token=t;x-p=1");
        assertThat(Pkcs11Uri.parse(WITH_PIN).withoutQuery().format(true)).isEqualTo("pkcs11:token=t;object=k");
    }

    @Test
    void equalsComparesThePinButHashCodeDoesNotDependOnIt() throws Exception {
        Pkcs11Uri a = Pkcs11Uri.parse("pkcs11:token=t?pin-value=1111");
        Pkcs11Uri b = Pkcs11Uri.parse("pkcs11:token=t?pin-value=2222");
        Pkcs11Uri c = Pkcs11Uri.parse("pkcs11:token=t?pin-value=1111");
        Pkcs11Uri d = Pkcs11Uri.parse("pkcs11:token=t?pin-value=11111");

        assertThat(a).isEqualTo(c).isNotEqualTo(b).isNotEqualTo(d).isNotEqualTo(a.withoutPin());
        assertThat(a.hashCode()).isEqualTo(b.hashCode());
    }

    @Test
    void destroyWipesThePin() throws Exception {
        Pkcs11Uri uri = Pkcs11Uri.parse(WITH_PIN);

        uri.destroy();

        assertThat(uri.isDestroyed()).isTrue();
        assertThatThrownBy(uri::pinValue).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> uri.format(true)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(uri::toBuilder).isInstanceOf(IllegalStateException.class);
        // What needs no PIN still works.
        assertThat(uri.toString()).contains("pin-value=<masked>");
        assertThat(uri.withoutPin().format(true)).isEqualTo("pkcs11:token=t;object=k?module-name=softhsm2");
        assertThat(uri.hasPinValue()).isTrue();
    }

    @Test
    void builderCopiesThePinSoTheCallerMayWipeItsArray() {
        char[] pin = "123456".toCharArray();
        Pkcs11Uri uri = Pkcs11Uri.builder().token("t").pinValue(pin).build();
        Arrays.fill(pin, '\0');

        assertThat(uri.pinValue().orElseThrow()).containsExactly("123456".toCharArray());
        assertThat(uri.format(true)).isEqualTo("pkcs11:token=t?pin-value=123456");
    }

    @Test
    void pinValueAndPinSourceTogetherAreRefusedByTheBuilder() {
        Pkcs11Uri.Builder b = Pkcs11Uri.builder().pinValue("1".toCharArray()).pinSource("file:/p");

        assertThatThrownBy(b::build).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("mutually exclusive");
        assertThat(b.pinValue(null).build().pinSource()).contains("file:/p");
    }
}
