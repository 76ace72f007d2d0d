// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

import io.p11j.sys.Abi;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import io.p11j.wrapper.attribute.Attribute;
import io.p11j.wrapper.attribute.AttributeCodec;
import io.p11j.wrapper.attribute.AttributeType;
import io.p11j.wrapper.attribute.AttributeValues;
import io.p11j.wrapper.attribute.Template;
import io.p11j.wrapper.mechanism.Mechanism;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.math.BigInteger;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;

import static io.p11j.sys.Pkcs11Constants.*;
import static io.p11j.wrapper.WrapperFixture.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Objects through the wrapper: create, find (streamed), copy, destroy, typed attribute reads and writes. */
@ExtendWith(SoftHsmExtension.class)
class ObjectsIT {

    private final TestToken token;
    private Pkcs11Module module;
    private Session s;

    ObjectsIT(TestToken token) {
        this.token = token;
    }

    @BeforeEach
    void open() throws Exception {
        module = WrapperFixture.openModule();
        s = WrapperFixture.userSession(module, token);
    }

    @AfterEach
    void close() throws Exception {
        s.close();
        module.close();
    }

    private static Template data(String application, String label, byte[] value, boolean onToken) {
        return Template.builder().objectClass(CKO_DATA).set(AttributeType.TOKEN, onToken)
                .set(AttributeType.APPLICATION, application).label(label).set(AttributeType.VALUE, value).build();
    }

    @Test
    void dataObjectsRoundTrip() throws Exception {
        byte[] value = {0, 1, 2, (byte) 0xff, 0};
        long h = s.createObject(data("p11j-app", "Grüße data", value, true));
        AttributeValues v = s.getAttributes(h, AttributeType.CLASS, AttributeType.TOKEN, AttributeType.APPLICATION,
                AttributeType.LABEL, AttributeType.VALUE, AttributeType.PRIVATE);
        assertThat(v.require(AttributeType.CLASS)).isEqualTo(CKO_DATA);
        assertThat(v.require(AttributeType.TOKEN)).isTrue();
        assertThat(v.require(AttributeType.APPLICATION)).isEqualTo("p11j-app");
        assertThat(v.require(AttributeType.LABEL)).as("UTF-8 both ways").isEqualTo("Grüße data");
        assertThat(v.require(AttributeType.VALUE)).isEqualTo(value);
        assertThat(v.present()).hasSize(6);
        // byte[] values are copies: changing one read does not change the next.
        v.require(AttributeType.VALUE)[0] = 42;
        assertThat(v.require(AttributeType.VALUE)[0]).isZero();

        // An empty value is an empty array, not an error.
        long empty = s.createObject(data("p11j-app", "empty", new byte[0], false));
        assertThat(s.getAttribute(empty, AttributeType.VALUE)).hasValueSatisfying(b -> assertThat(b).isEmpty());
        assertThat(s.getAttribute(empty, AttributeType.LABEL)).contains("empty");
        s.destroyObject(h);
        s.destroyObject(empty);
    }

    @Test
    void searchStreamsPastOneBatch() throws Exception {
        Set<Long> created = new HashSet<>();
        for (int i = 0; i < 150; i++) {
            created.add(s.createObject(data("p11j-batch", "batch-" + i, new byte[] {(byte) i}, false)));
        }
        s.createObject(data("p11j-other", "not in the batch", new byte[] {1}, false));
        assertThat(created).hasSize(150);

        Template byApp = Template.builder().objectClass(CKO_DATA).set(AttributeType.APPLICATION, "p11j-batch").build();
        List<Long> seen = new ArrayList<>();
        ObjectSearch search = s.find(byApp);
        while (search.hasNext()) {
            seen.add(search.next());
        }
        assertThat(search.hasNext()).isFalse();
        assertThatThrownBy(search::next).isInstanceOf(NoSuchElementException.class);
        search.close();
        search.close(); // idempotent
        assertThat(search.hasNext()).as("a closed search has nothing more").isFalse();
        assertThat(seen).hasSize(150).doesNotHaveDuplicates();
        assertThat(new HashSet<>(seen)).isEqualTo(created);
        assertThat(s.findAll(byApp)).containsExactlyElementsOf(seen);

        // A search ended early leaves the session free for the next one (C_FindObjectsFinal ran).
        try (ObjectSearch early = s.find(byApp)) {
            assertThat(early.next()).isIn(created);
        }
        assertThat(s.findAll(Template.builder().label("batch-149").build())).hasSize(1);

        for (long h : seen) {
            s.destroyObject(h);
        }
        assertThat(s.findAll(byApp)).isEmpty();
    }

    @Test
    void findFirstCopyAndDestroy() throws Exception {
        long original = s.createObject(data("p11j-copy", "original", utf8("payload"), false));
        assertThat(s.findFirst(Template.builder().label("original").build())).contains(original);
        assertThat(s.findFirst(Template.builder().label("no such object").build())).isEmpty();

        long copy = s.copyObject(original, Template.builder().label("the copy").build());
        assertThat(copy).isNotEqualTo(original);
        assertThat(s.getAttribute(copy, AttributeType.LABEL)).contains("the copy");
        assertThat(s.getAttribute(copy, AttributeType.VALUE)).hasValueSatisfying(b -> assertThat(b).isEqualTo(utf8("payload")));
        assertThat(s.getAttribute(copy, AttributeType.APPLICATION)).contains("p11j-copy");
        assertThat(s.getAttribute(original, AttributeType.LABEL)).contains("original");
        assertThat(s.findAll(Template.builder().set(AttributeType.APPLICATION, "p11j-copy").build()))
                .containsExactlyInAnyOrder(original, copy);

        s.destroyObject(original);
        assertThat(s.findFirst(Template.builder().label("original").build())).isEmpty();
        assertThat(s.findAll(Template.builder().set(AttributeType.APPLICATION, "p11j-copy").build())).containsExactly(copy);
        Pkcs11Errors.KeyInvalidException gone = assertThrows(Pkcs11Errors.KeyInvalidException.class,
                () -> s.getAttribute(original, AttributeType.LABEL));
        assertThat(gone.rv()).isEqualTo(CKR_OBJECT_HANDLE_INVALID);
        assertThrows(Pkcs11Errors.KeyInvalidException.class, () -> s.destroyObject(original));
        s.destroyObject(copy);
    }

    @Test
    void attributesOfSeveralTypesAtOnceOnAnRsaPrivateKey() throws Exception {
        LocalDate start = LocalDate.of(2024, 2, 29);
        byte[] id = {(byte) 0xca, (byte) 0xfe, 0, 1};
        // CKA_PRIVATE false: SoftHSM2 2.6.1 cannot read back a date it stored on a private object (see below).
        KeyPairHandles kp = s.generateKeyPair(Mechanism.of(CKM_RSA_PKCS_KEY_PAIR_GEN),
                WrapperFixture.rsaPublicTemplate("typed", 1024).id(id).build(),
                WrapperFixture.rsaPrivateTemplate("typed").id(id).set(AttributeType.PRIVATE, false)
                        .date(AttributeType.START_DATE, start).build());

        AttributeValues v = s.getAttributes(kp.privateKey(), AttributeType.PRIVATE_EXPONENT, AttributeType.EC_POINT,
                AttributeType.MODULUS, AttributeType.LABEL, AttributeType.ID, AttributeType.KEY_TYPE,
                AttributeType.SENSITIVE, AttributeType.START_DATE, AttributeType.END_DATE, AttributeType.CLASS,
                AttributeType.EXTRACTABLE, AttributeType.NEVER_EXTRACTABLE, AttributeType.LOCAL,
                AttributeType.KEY_GEN_MECHANISM, AttributeType.PRIME_1);

        assertThat(v.unavailable(AttributeType.PRIVATE_EXPONENT)).contains(AttributeValues.Unavailable.SENSITIVE);
        assertThat(v.get(AttributeType.PRIVATE_EXPONENT)).isEmpty();
        assertThat(v.unavailable(AttributeType.PRIME_1)).contains(AttributeValues.Unavailable.SENSITIVE);
        assertThat(v.unavailable(AttributeType.EC_POINT)).contains(AttributeValues.Unavailable.ABSENT);
        assertThat(v.get(AttributeType.EC_POINT)).isEmpty();
        assertThatThrownBy(() -> v.require(AttributeType.PRIVATE_EXPONENT)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("sensitive");
        assertThatThrownBy(() -> v.require(AttributeType.EC_POINT)).hasMessageContaining("absent");

        BigInteger publicModulus = s.getAttribute(kp.publicKey(), AttributeType.MODULUS).orElseThrow();
        assertThat(publicModulus.bitLength()).isEqualTo(1024);
        assertThat(v.require(AttributeType.MODULUS)).isEqualTo(publicModulus);
        assertThat(v.require(AttributeType.LABEL)).isEqualTo("typed");
        assertThat(v.require(AttributeType.ID)).isEqualTo(id);
        assertThat(v.require(AttributeType.KEY_TYPE)).isEqualTo(CKK_RSA);
        assertThat(v.require(AttributeType.CLASS)).isEqualTo(CKO_PRIVATE_KEY);
        assertThat(v.require(AttributeType.SENSITIVE)).isTrue();
        assertThat(v.require(AttributeType.EXTRACTABLE)).isFalse();
        assertThat(v.require(AttributeType.NEVER_EXTRACTABLE)).isTrue();
        assertThat(v.require(AttributeType.LOCAL)).isTrue();
        assertThat(v.require(AttributeType.KEY_GEN_MECHANISM)).isEqualTo(CKM_RSA_PKCS_KEY_PAIR_GEN);
        assertThat(v.get(AttributeType.START_DATE)).contains(start);
        assertThat(v.get(AttributeType.END_DATE)).as("an unset date (empty CK_DATE)").isEmpty();
        assertThat(v.unavailable(AttributeType.END_DATE)).as("unset is not unavailable").isEmpty();

        // The public key's unset start date reads as empty too, and its exponent as a number.
        assertThat(s.getAttribute(kp.publicKey(), AttributeType.START_DATE)).isEmpty();
        assertThat(s.getAttribute(kp.publicKey(), AttributeType.PUBLIC_EXPONENT)).contains(BigInteger.valueOf(65537));

        // The printed form names what is unavailable and never shows a private component.
        String printed = v.toString();
        assertThat(printed).contains("CKA_PRIVATE_EXPONENT=SENSITIVE").contains("CKA_EC_POINT=ABSENT")
                .contains("CKA_LABEL=typed");
    }

    @Test
    void softHsmCannotReadADateBackFromAPrivateObject() throws Exception {
        // SoftHSM2 2.6.1 stores CKA_START_DATE/CKA_END_DATE in clear but tries to decrypt them on
        // reading when the object is private (CKA_PRIVATE true): CKR_GENERAL_ERROR
        // (SoftHSMv2 issues #655, #804). The wrapper reports it typed, and an unset date is still fine.
        KeyPairHandles kp = s.generateKeyPair(Mechanism.of(CKM_RSA_PKCS_KEY_PAIR_GEN),
                WrapperFixture.rsaPublicTemplate("private-dated", 1024).date(AttributeType.START_DATE, LocalDate.of(2025, 1, 2)).build(),
                WrapperFixture.rsaPrivateTemplate("private-dated").date(AttributeType.START_DATE, LocalDate.of(2025, 1, 2)).build());
        assertThat(s.getAttribute(kp.privateKey(), AttributeType.PRIVATE)).contains(true);
        Pkcs11Errors.DeviceException e = assertThrows(Pkcs11Errors.DeviceException.class,
                () -> s.getAttributes(kp.privateKey(), AttributeType.START_DATE, AttributeType.LABEL));
        assertThat(e.rv()).isEqualTo(CKR_GENERAL_ERROR);
        assertThat(s.getAttribute(kp.privateKey(), AttributeType.END_DATE)).isEmpty();
        // The public key (CKA_PRIVATE false) reads its date back.
        assertThat(s.getAttribute(kp.publicKey(), AttributeType.START_DATE)).contains(LocalDate.of(2025, 1, 2));
    }

    @Test
    void setAttributesChangesTheLabelAndDatesAndRefusesReadOnlyOnes() throws Exception {
        long h = s.createObject(data("p11j-set", "before", new byte[] {1}, false));
        s.setAttributes(h, Template.builder().label("after").build());
        assertThat(s.getAttribute(h, AttributeType.LABEL)).contains("after");

        KeyPairHandles kp = WrapperFixture.rsaPair(s, "dates", 1024);
        LocalDate end = LocalDate.of(2031, 12, 31);
        s.setAttributes(kp.publicKey(), Template.builder().date(AttributeType.END_DATE, end)
                .date(AttributeType.START_DATE, LocalDate.of(2000, 1, 1)).label("dated").build());
        AttributeValues v = s.getAttributes(kp.publicKey(), AttributeType.START_DATE, AttributeType.END_DATE, AttributeType.LABEL);
        assertThat(v.get(AttributeType.START_DATE)).contains(LocalDate.of(2000, 1, 1));
        assertThat(v.get(AttributeType.END_DATE)).contains(end);
        assertThat(v.get(AttributeType.LABEL)).contains("dated");
        assertThat(v.toString()).contains("CKA_START_DATE=2000-01-01");

        // CKA_CLASS cannot change: CKR_ATTRIBUTE_READ_ONLY, an untyped Pkcs11Exception.
        Pkcs11Exception e = assertThrows(Pkcs11Exception.class,
                () -> s.setAttributes(h, Template.builder().objectClass(CKO_SECRET_KEY).build()));
        assertThat(e.rv()).isEqualTo(CKR_ATTRIBUTE_READ_ONLY);
        // Once sensitive, a key cannot be made non-sensitive.
        Pkcs11Exception sensitive = assertThrows(Pkcs11Exception.class,
                () -> s.setAttributes(kp.privateKey(), Template.builder().set(AttributeType.SENSITIVE, false).build()));
        assertThat(sensitive.rvName()).isEqualTo("CKR_ATTRIBUTE_READ_ONLY");
    }

    @Test
    void allowedMechanismsAreReadAsLongsAndEnforced() throws Exception {
        byte[] value = new byte[16];
        long key = s.createObject(WrapperFixture.aesKeyTemplate(value)
                .set(AttributeType.ALLOWED_MECHANISMS, new long[] {CKM_AES_CBC_PAD, CKM_AES_GCM}).build());
        AttributeValues read = s.getAttributes(key, AttributeType.ALLOWED_MECHANISMS);
        assertThat(read.require(AttributeType.ALLOWED_MECHANISMS)).containsExactly(CKM_AES_CBC_PAD, CKM_AES_GCM);
        read.require(AttributeType.ALLOWED_MECHANISMS)[0] = 0; // a copy, like byte[] values
        assertThat(read.require(AttributeType.ALLOWED_MECHANISMS)).containsExactly(CKM_AES_CBC_PAD, CKM_AES_GCM);

        assertThat(s.encrypt(Mechanism.aesCbcPad(new byte[16]), key, new byte[5])).hasSize(16);
        // SoftHSM2 refuses a mechanism outside the list with CKR_MECHANISM_INVALID.
        Pkcs11Errors.MechanismInvalidException e = assertThrows(Pkcs11Errors.MechanismInvalidException.class,
                () -> s.encrypt(Mechanism.aesCtr(128, new byte[16]), key, new byte[16]));
        assertThat(e.rv()).isEqualTo(CKR_MECHANISM_INVALID);

        // A key without the attribute reads it as an empty list (SoftHSM2 keeps an empty default).
        long free = WrapperFixture.aesKey(s, value);
        assertThat(s.getAttribute(free, AttributeType.ALLOWED_MECHANISMS)).hasValueSatisfying(m -> assertThat(m).isEmpty());
    }

    @Test
    void wrapTemplateRoundTripsAsAnAttributeArray() throws Exception {
        List<Attribute<?>> wrapTemplate = List.of(AttributeType.KEY_TYPE.of(CKK_AES), AttributeType.EXTRACTABLE.of(true),
                AttributeType.LABEL.of("wrappable"));
        long wrapping = s.createObject(WrapperFixture.aesKeyTemplate(new byte[32]).set(AttributeType.WRAP, true)
                .set(AttributeType.WRAP_TEMPLATE, wrapTemplate).build());

        List<Attribute<?>> read = s.getAttribute(wrapping, AttributeType.WRAP_TEMPLATE).orElseThrow();
        assertThat(read).hasSize(3);
        assertThatThrownBy(() -> read.clear()).as("read values are immutable").isInstanceOf(UnsupportedOperationException.class);
        Abi abi = s.token().module().functions().abi();
        for (Attribute<?> a : read) {
            byte[] raw = (byte[]) a.value();
            if (a.type().code() == CKA_KEY_TYPE) {
                assertThat(AttributeCodec.decode(AttributeType.KEY_TYPE, raw, abi)).isEqualTo(CKK_AES);
            } else if (a.type().code() == CKA_EXTRACTABLE) {
                assertThat(AttributeCodec.decode(AttributeType.EXTRACTABLE, raw, abi)).isEqualTo(true);
            } else if (a.type().code() == CKA_LABEL) {
                assertThat(AttributeCodec.decode(AttributeType.LABEL, raw, abi)).isEqualTo("wrappable");
            } else {
                throw new AssertionError("unexpected " + a);
            }
        }
        // A key without a wrap template reads an empty one.
        long plain = WrapperFixture.aesKey(s, new byte[16]);
        assertThat(s.getAttribute(plain, AttributeType.WRAP_TEMPLATE)).hasValueSatisfying(l -> assertThat(l).isEmpty());
    }
}
