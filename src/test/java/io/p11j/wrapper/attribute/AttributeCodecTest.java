// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper.attribute;

import com.sun.jna.Pointer;
import io.p11j.sys.Abi;
import io.p11j.sys.StructLayout;
import io.p11j.sys.Structs;
import io.p11j.sys.NativeArena;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.HexFormat;
import java.util.List;

import static io.p11j.sys.Pkcs11Constants.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/** Encoding and decoding of attribute values, without a token. */
class AttributeCodecTest {

    private static final Abi ABI = Abi.NATIVE;
    private static final StructLayout ATTR = Structs.CK_ATTRIBUTE.layout();

    @Test
    void bigIntegersAreUnsignedBigEndianWithoutASignByte() {
        assertThat(AttributeCodec.unsigned(BigInteger.valueOf(65537))).containsExactly(0x01, 0x00, 0x01);
        // 0x80..: Java's two's complement needs a leading 0x00, PKCS#11 does not want it.
        assertThat(BigInteger.valueOf(0x80).toByteArray()).containsExactly(0x00, 0x80);
        assertThat(AttributeCodec.unsigned(BigInteger.valueOf(0x80))).containsExactly(0x80);
        assertThat(AttributeCodec.unsigned(new BigInteger("ff00", 16))).containsExactly(0xff, 0x00);
        assertThat(AttributeCodec.unsigned(BigInteger.ZERO)).containsExactly(0x00);
        BigInteger modulus = BigInteger.ONE.shiftLeft(2047).add(BigInteger.valueOf(12345));
        assertThat(AttributeCodec.unsigned(modulus)).hasSize(256);
        assertThatIllegalArgumentException().isThrownBy(() -> AttributeCodec.unsigned(BigInteger.valueOf(-1)));
        // And back: decoding is unsigned too.
        assertThat(AttributeCodec.decode(AttributeType.MODULUS, new byte[] {(byte) 0x80}, ABI)).isEqualTo(BigInteger.valueOf(128));
        assertThat(AttributeCodec.decode(AttributeType.MODULUS, AttributeCodec.unsigned(modulus), ABI)).isEqualTo(modulus);
    }

    @Test
    void datesRoundTripAsEightAsciiDigits() {
        for (LocalDate d : new LocalDate[] {LocalDate.of(2024, 2, 29), LocalDate.of(1, 1, 1), LocalDate.of(9999, 12, 31),
                LocalDate.of(1970, 10, 5)}) {
            byte[] raw = AttributeCodec.formatDate(d);
            assertThat(raw).hasSize(8);
            assertThat(AttributeCodec.parseDate(raw)).isEqualTo(d);
            assertThat(AttributeCodec.decode(AttributeType.START_DATE, raw, ABI)).isEqualTo(d);
        }
        assertThat(new String(AttributeCodec.formatDate(LocalDate.of(2024, 2, 9)), StandardCharsets.US_ASCII)).isEqualTo("20240209");
        assertThatIllegalArgumentException().isThrownBy(() -> AttributeCodec.formatDate(LocalDate.of(10000, 1, 1)));
        assertThatIllegalArgumentException().isThrownBy(() -> AttributeCodec.formatDate(LocalDate.of(-1, 1, 1)));
    }

    @Test
    void emptyOrMalformedDatesAreNull() {
        assertThat(AttributeCodec.parseDate(new byte[0])).isNull();
        assertThat(AttributeCodec.parseDate(new byte[8])).as("all NULs").isNull();
        assertThat(AttributeCodec.parseDate("        ".getBytes(StandardCharsets.US_ASCII))).isNull();
        assertThat(AttributeCodec.parseDate("00000000".getBytes(StandardCharsets.US_ASCII))).isNull();
        assertThat(AttributeCodec.parseDate("20241301".getBytes(StandardCharsets.US_ASCII))).as("month 13").isNull();
        assertThat(AttributeCodec.parseDate("2024-1-1".getBytes(StandardCharsets.US_ASCII))).isNull();
        assertThat(AttributeCodec.parseDate("202401".getBytes(StandardCharsets.US_ASCII))).isNull();
    }

    @Test
    void scalarsDecode() {
        assertThat(AttributeCodec.decode(AttributeType.SENSITIVE, new byte[] {1}, ABI)).isEqualTo(true);
        assertThat(AttributeCodec.decode(AttributeType.SENSITIVE, new byte[] {0}, ABI)).isEqualTo(false);
        assertThat(AttributeCodec.decode(AttributeType.LABEL, "é".getBytes(StandardCharsets.UTF_8), ABI)).isEqualTo("é");
        byte[] ulong = new byte[ABI.ulongSize()];
        com.sun.jna.Memory m = new com.sun.jna.Memory(ulong.length);
        ABI.setULong(m, 0, CKK_EC_EDWARDS);
        m.read(0, ulong, 0, ulong.length);
        assertThat(AttributeCodec.decode(AttributeType.KEY_TYPE, ulong, ABI)).isEqualTo(CKK_EC_EDWARDS);
        assertThatIllegalArgumentException().isThrownBy(() -> AttributeCodec.decode(AttributeType.KEY_TYPE, new byte[3], ABI));
        assertThat((long[]) AttributeCodec.decode(AttributeType.ALLOWED_MECHANISMS, new byte[0], ABI)).isEmpty();
    }

    @Test
    void templateEncodesToNativeAttributes() {
        byte[] value = HexFormat.of().parseHex("00ff10");
        Template t = Template.builder()
                .objectClass(CKO_SECRET_KEY)
                .set(AttributeType.SENSITIVE, true)
                .label("ключ")
                .set(AttributeType.VALUE, value)
                .set(AttributeType.ID, new byte[0])
                .set(AttributeType.PUBLIC_EXPONENT, BigInteger.valueOf(65537))
                .date(AttributeType.END_DATE, LocalDate.of(2030, 6, 1))
                .set(AttributeType.ALLOWED_MECHANISMS, new long[] {CKM_AES_GCM, CKM_AES_CBC_PAD})
                .set(AttributeType.WRAP_TEMPLATE, List.of(AttributeType.KEY_TYPE.of(CKK_AES), AttributeType.EXTRACTABLE.of(true)))
                .build();
        try (NativeArena arena = new NativeArena(ABI)) {
            Pointer array = AttributeCodec.encode(t, arena);
            assertThat(type(array, 0)).isEqualTo(CKA_CLASS);
            assertThat(ulongValue(array, 0)).isEqualTo(CKO_SECRET_KEY);
            assertThat(bytes(array, 1)).containsExactly(1);
            assertThat(new String(bytes(array, 2), StandardCharsets.UTF_8)).isEqualTo("ключ");
            assertThat(bytes(array, 3)).isEqualTo(value);
            assertThat(len(array, 4)).isZero();
            assertThat(ATTR.field("pValue").getPointer(entry(array, 4))).as("empty value: NULL").isNull();
            assertThat(bytes(array, 5)).containsExactly(1, 0, 1);
            assertThat(new String(bytes(array, 6), StandardCharsets.US_ASCII)).isEqualTo("20300601");
            assertThat(len(array, 7)).isEqualTo(2L * ABI.ulongSize());
            Pointer mechs = ATTR.field("pValue").getPointer(entry(array, 7));
            assertThat(ABI.getULongArray(mechs, 0, 2)).containsExactly(CKM_AES_GCM, CKM_AES_CBC_PAD);
            assertThat(type(array, 8)).isEqualTo(CKA_WRAP_TEMPLATE);
            assertThat(len(array, 8)).isEqualTo(2L * ATTR.size());
            Pointer inner = ATTR.field("pValue").getPointer(entry(array, 8));
            assertThat(type(inner, 0)).isEqualTo(CKA_KEY_TYPE);
            assertThat(ulongValue(inner, 0)).isEqualTo(CKK_AES);
            assertThat(type(inner, 1)).isEqualTo(CKA_EXTRACTABLE);
            assertThat(bytes(inner, 1)).containsExactly(1);
        }
        try (NativeArena arena = new NativeArena(ABI)) {
            assertThat(AttributeCodec.encode(Template.empty(), arena)).isNull();
        }
    }

    private static Pointer entry(Pointer array, int i) {
        return array.share((long) i * ATTR.size());
    }

    private static long type(Pointer array, int i) {
        return ATTR.field("type").getULong(entry(array, i));
    }

    private static long len(Pointer array, int i) {
        return ATTR.field("ulValueLen").getULong(entry(array, i));
    }

    private static byte[] bytes(Pointer array, int i) {
        Pointer p = ATTR.field("pValue").getPointer(entry(array, i));
        return p.getByteArray(0, (int) len(array, i));
    }

    private static long ulongValue(Pointer array, int i) {
        assertThat(len(array, i)).isEqualTo(ABI.ulongSize());
        return ABI.getULong(ATTR.field("pValue").getPointer(entry(array, i)), 0);
    }
}
