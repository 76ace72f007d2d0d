// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper.attribute;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.List;

import static io.p11j.sys.Pkcs11Constants.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

class AttributeTest {

    private static final byte[] SECRET = {(byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef};
    private static final BigInteger SECRET_NUMBER = new BigInteger("deadbeefcafe", 16);

    @Test
    void toStringRedactsValueAndPrivateKeyComponents() {
        List<Attribute<?>> secrets = List.of(
                AttributeType.VALUE.of(SECRET),
                AttributeType.bytes(CKA_VALUE).of(SECRET),
                AttributeType.PRIVATE_EXPONENT.of(SECRET_NUMBER),
                AttributeType.PRIME_1.of(SECRET_NUMBER),
                AttributeType.PRIME_2.of(SECRET_NUMBER),
                AttributeType.EXPONENT_1.of(SECRET_NUMBER),
                AttributeType.EXPONENT_2.of(SECRET_NUMBER),
                AttributeType.COEFFICIENT.of(SECRET_NUMBER));
        for (Attribute<?> a : secrets) {
            assertThat(a.toString()).as(a.type().toString())
                    .isEqualTo(a.type() + "=<redacted>")
                    .doesNotContainIgnoringCase("deadbeef")
                    .doesNotContain(SECRET_NUMBER.toString());
        }
        assertThat(AttributeType.VALUE.of(SECRET).toString()).isEqualTo("CKA_VALUE=<redacted>");
        assertThat(AttributeType.PRIVATE_EXPONENT.of(SECRET_NUMBER).toString()).isEqualTo("CKA_PRIVATE_EXPONENT=<redacted>");
    }

    @Test
    void secretsInsideAnAttributeArrayAreRedactedToo() {
        Attribute<List<Attribute<?>>> wrap = AttributeType.UNWRAP_TEMPLATE.of(List.of(
                AttributeType.KEY_TYPE.of(CKK_AES), AttributeType.VALUE.of(SECRET)));
        assertThat(wrap.toString()).contains("CKA_VALUE=<redacted>").doesNotContainIgnoringCase("deadbeef");
    }

    @Test
    void publicAttributesArePrinted() {
        assertThat(AttributeType.LABEL.of("my key").toString()).isEqualTo("CKA_LABEL=my key");
        assertThat(AttributeType.ID.of(new byte[] {0x0a, (byte) 0xff}).toString()).isEqualTo("CKA_ID=0aff");
        assertThat(AttributeType.MODULUS.of(BigInteger.valueOf(255)).toString()).isEqualTo("CKA_MODULUS=255");
        assertThat(AttributeType.SENSITIVE.of(true).toString()).isEqualTo("CKA_SENSITIVE=true");
        assertThat(AttributeType.ALLOWED_MECHANISMS.of(new long[] {1, 2}).toString()).isEqualTo("CKA_ALLOWED_MECHANISMS=[1, 2]");
        assertThat(AttributeType.EC_POINT.of(new byte[] {4}).toString()).isEqualTo("CKA_EC_POINT=04");
    }

    @Test
    void arraysAreCopiedInAndOut() {
        byte[] in = {1, 2, 3};
        Attribute<byte[]> a = AttributeType.ID.of(in);
        in[0] = 99;
        assertThat(a.value()).containsExactly(1, 2, 3);
        a.value()[1] = 99;
        assertThat(a.value()).containsExactly(1, 2, 3);

        long[] mechs = {CKM_AES_GCM};
        Attribute<long[]> m = AttributeType.ALLOWED_MECHANISMS.of(mechs);
        mechs[0] = 0;
        assertThat(m.value()).containsExactly(CKM_AES_GCM);
    }

    @Test
    void equalityIsByTypeAndContent() {
        assertThat(AttributeType.ID.of(new byte[] {1})).isEqualTo(AttributeType.ID.of(new byte[] {1}))
                .hasSameHashCodeAs(AttributeType.ID.of(new byte[] {1}))
                .isNotEqualTo(AttributeType.ID.of(new byte[] {2}))
                .isNotEqualTo(AttributeType.VALUE.of(new byte[] {1}));
        assertThat(AttributeType.ALLOWED_MECHANISMS.of(new long[] {1})).isEqualTo(AttributeType.ALLOWED_MECHANISMS.of(new long[] {1}));
        assertThat(AttributeType.LABEL).isEqualTo(AttributeType.string(CKA_LABEL)).isNotEqualTo(AttributeType.bytes(CKA_LABEL));
        assertThatNullPointerException().isThrownBy(() -> AttributeType.LABEL.of(null));
    }
}
