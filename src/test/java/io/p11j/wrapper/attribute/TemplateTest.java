// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper.attribute;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.time.LocalDate;
import java.util.List;

import static io.p11j.sys.Pkcs11Constants.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TemplateTest {

    @Test
    void builderKeepsTheLastValueOfAnAttribute() {
        Template t = Template.builder()
                .label("first")
                .objectClass(CKO_SECRET_KEY)
                .set(AttributeType.LABEL, "second")
                .flag(AttributeType.SENSITIVE, true)
                .set(AttributeType.SENSITIVE, false)
                .label("third")
                .build();
        assertThat(t.size()).isEqualTo(3);
        assertThat(t.attributes()).containsExactly(AttributeType.CLASS.of(CKO_SECRET_KEY),
                AttributeType.SENSITIVE.of(false), AttributeType.LABEL.of("third"));
    }

    @Test
    void lastWinsAcrossKindsOfTheSameCode() {
        // The same CKA_ code under another kind is still the same attribute: one entry, the last.
        Template t = Template.builder().set(AttributeType.VALUE, new byte[] {1}).bytes(CKA_VALUE, new byte[] {2}).build();
        assertThat(t.size()).isEqualTo(1);
        assertThat((byte[]) t.attributes().get(0).value()).containsExactly(2);
    }

    @Test
    void withReplacesAndAdds() {
        Template base = Template.of(AttributeType.LABEL.of("base"), AttributeType.TOKEN.of(true));
        Template changed = base.with(Template.of(AttributeType.LABEL.of("changed"), AttributeType.ID.of(new byte[] {9})));
        assertThat(changed.size()).isEqualTo(3);
        assertThat(changed.attributes()).contains(AttributeType.LABEL.of("changed"), AttributeType.TOKEN.of(true),
                AttributeType.ID.of(new byte[] {9})).doesNotContain(AttributeType.LABEL.of("base"));
        assertThat(base.attributes()).as("templates are immutable").containsExactly(AttributeType.LABEL.of("base"),
                AttributeType.TOKEN.of(true));
        assertThat(base.toBuilder().build()).isEqualTo(base);
    }

    @Test
    void emptyAndImmutable() {
        assertThat(Template.empty().isEmpty()).isTrue();
        assertThat(Template.builder().build()).isSameAs(Template.empty());
        Template t = Template.builder().label("x").build();
        assertThatThrownBy(() -> t.attributes().add(AttributeType.LABEL.of("y")))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThat(t).containsExactly(AttributeType.LABEL.of("x")); // Iterable
    }

    @Test
    void equalityComparesArrayContents() {
        Template a = Template.builder().id(new byte[] {1, 2, 3}).set(AttributeType.ALLOWED_MECHANISMS, new long[] {1, 2})
                .bigInteger(AttributeType.MODULUS, BigInteger.TEN).date(AttributeType.START_DATE, LocalDate.of(2024, 1, 1))
                .set(AttributeType.WRAP_TEMPLATE, List.of(AttributeType.KEY_TYPE.of(CKK_AES))).build();
        Template b = Template.builder().id(new byte[] {1, 2, 3}).set(AttributeType.ALLOWED_MECHANISMS, new long[] {1, 2})
                .bigInteger(AttributeType.MODULUS, BigInteger.TEN).date(AttributeType.START_DATE, LocalDate.of(2024, 1, 1))
                .set(AttributeType.WRAP_TEMPLATE, List.of(AttributeType.KEY_TYPE.of(CKK_AES))).build();
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(a).isNotEqualTo(b.with(Template.builder().id(new byte[] {1, 2, 4}).build()));
    }

    @Test
    void convenienceSettersUseTheTypedAttributes() {
        Template t = Template.builder().objectClass(CKO_PRIVATE_KEY).keyType(CKK_EC).label("l").id(new byte[] {7})
                .ulong(CKA_VALUE_LEN, 32).build();
        assertThat(t.attributes()).containsExactly(AttributeType.CLASS.of(CKO_PRIVATE_KEY), AttributeType.KEY_TYPE.of(CKK_EC),
                AttributeType.LABEL.of("l"), AttributeType.ID.of(new byte[] {7}), AttributeType.VALUE_LEN.of(32L));
    }

    @Test
    void wipeSecretsZeroesKeyValuesAndLeavesTheRest() {
        byte[] value = {1, 2, 3, 4};
        byte[] id = {9, 9};
        Template t = Template.builder().set(AttributeType.VALUE, value).id(id)
                .set(AttributeType.EC_PARAMS, new byte[] {6, 8}).build();
        Template shared = t.toBuilder().label("x").build();
        t.wipeSecrets();
        assertThat(value).as("the caller's array was copied, not taken").containsExactly(1, 2, 3, 4);
        assertThat(t.attributes()).filteredOn(a -> a.type() == AttributeType.VALUE).singleElement()
                .satisfies(a -> assertThat((byte[]) a.value()).containsOnly(0));
        assertThat(shared.attributes()).filteredOn(a -> a.type() == AttributeType.VALUE).singleElement()
                .satisfies(a -> assertThat((byte[]) a.value()).as("shared attributes are wiped too").containsOnly(0));
        assertThat(t.attributes()).filteredOn(a -> a.type() == AttributeType.ID).singleElement()
                .satisfies(a -> assertThat((byte[]) a.value()).containsExactly(9, 9));
        assertThat(t.attributes()).filteredOn(a -> a.type() == AttributeType.EC_PARAMS).singleElement()
                .satisfies(a -> assertThat((byte[]) a.value()).containsExactly(6, 8));
    }
}
