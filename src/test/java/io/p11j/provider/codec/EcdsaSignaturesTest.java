// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.SignatureException;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.HexFormat;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class EcdsaSignaturesTest {

    private static final HexFormat HEX = HexFormat.of();

    /** SEQUENCE { INTEGER 1, INTEGER 2 }, the smallest canonical signature. */
    private static final String ONE_TWO = "3006020101020102";

    @Provide
    Arbitrary<BigInteger> scalar() {
        // Up to 521 bits, with the small and the top-bit-set values BigInteger padding gets wrong.
        return Arbitraries.bigIntegers().between(BigInteger.ONE, BigInteger.ONE.shiftLeft(521).subtract(BigInteger.ONE))
                .edgeCases(c -> c.add(BigInteger.ONE.shiftLeft(255)).add(BigInteger.ONE.shiftLeft(256).subtract(BigInteger.ONE)));
    }

    @Property
    void rawAndDerRoundTrip(@ForAll("scalar") BigInteger r, @ForAll("scalar") BigInteger s) throws Exception {
        int fieldBytes = Math.max(1, Math.max((r.bitLength() + 7) / 8, (s.bitLength() + 7) / 8));
        byte[] raw = new byte[2 * fieldBytes];
        put(r, raw, 0, fieldBytes);
        put(s, raw, fieldBytes, fieldBytes);

        byte[] der = EcdsaSignatures.rawToDer(raw);

        assertThat(EcdsaSignatures.derToRaw(der, fieldBytes)).isEqualTo(raw);
        assertThat(EcdsaSignatures.rawToDer(EcdsaSignatures.derToRaw(der, fieldBytes + 3))).isEqualTo(der);
    }

    @Property(tries = 30)
    void rawToDerWritesWhatTheJdkReads(@ForAll @IntRange(min = 0, max = 2) int curve) throws Exception {
        String[] names = {"secp256r1", "secp384r1", "secp521r1"};
        String[] digests = {"SHA256", "SHA384", "SHA512"};
        KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC", "SunEC");
        kpg.initialize(new ECGenParameterSpec(names[curve]));
        KeyPair kp = kpg.generateKeyPair();
        int fieldBytes = EcCurves.fieldBytes(EcCurves.byName(names[curve]));
        byte[] message = {1, 2, 3};

        Signature p1363 = Signature.getInstance(digests[curve] + "withECDSAinP1363Format", "SunEC");
        p1363.initSign(kp.getPrivate());
        p1363.update(message);
        byte[] raw = p1363.sign();
        Signature der = Signature.getInstance(digests[curve] + "withECDSA", "SunEC");
        der.initVerify(kp.getPublic());
        der.update(message);
        assertThat(der.verify(EcdsaSignatures.rawToDer(raw))).isTrue();

        der.initSign(kp.getPrivate());
        der.update(message);
        byte[] derSignature = der.sign();
        p1363.initVerify(kp.getPublic());
        p1363.update(message);
        assertThat(p1363.verify(EcdsaSignatures.derToRaw(derSignature, fieldBytes))).isTrue();
    }

    @Test
    void padsSmallIntegersAndDropsTheSignByte() throws Exception {
        assertThat(HEX.formatHex(EcdsaSignatures.derToRaw(HEX.parseHex(ONE_TWO), 4))).isEqualTo("0000000100000002");
        // r = 0x80: DER needs a leading zero byte, the raw form has none.
        byte[] der = HEX.parseHex("300702020080020101");
        assertThat(HEX.formatHex(EcdsaSignatures.derToRaw(der, 1))).isEqualTo("8001");
        assertThat(EcdsaSignatures.rawToDer(HEX.parseHex("8001"))).isEqualTo(der);
    }

    @ParameterizedTest
    @CsvSource({
        "30810602010102010 2, long-form SEQUENCE length",
        "3080020101020102 0000, indefinite SEQUENCE length",
        "300702810101020102, long-form INTEGER length",
        "30070202000102 0102, INTEGER with a superfluous leading zero",
        "3007020101020200 02, s with a superfluous leading zero",
        "300602 01ff 020102, negative r",
        "3006020101 0201 fe, negative s",
        "3006020100020102, zero r",
        "3006020101020100, zero s",
        "300602010102010200, trailing byte",
        "3006020101020102 3000, trailing object",
        "3009020101020102020103, three INTEGERs",
        "3003020101, one INTEGER",
        "3000, empty SEQUENCE",
        "310602010102 0102, SET instead of SEQUENCE",
        "3006020101040102, OCTET STRING instead of INTEGER",
        "30050201010200, INTEGER of length zero",
        "020101, bare INTEGER",
        "30, truncated",
        "3007020101020102, SEQUENCE length too long",
        "3005020101020102, SEQUENCE length too short",
    })
    void rejectsEverythingButCanonicalDer(String hex, String why) {
        byte[] der = HEX.parseHex(hex.replace(" ", ""));
        assertThatThrownBy(() -> EcdsaSignatures.derToRaw(der, 32)).as(why).isInstanceOf(SignatureException.class);
    }

    @Test
    void rejectsIntegersLongerThanTheField() throws Exception {
        byte[] raw = new byte[66];
        Arrays.fill(raw, (byte) 0xff);
        byte[] der = EcdsaSignatures.rawToDer(raw);
        assertThat(EcdsaSignatures.derToRaw(der, 33)).isEqualTo(raw);
        assertThatThrownBy(() -> EcdsaSignatures.derToRaw(der, 32))
                .isInstanceOf(SignatureException.class)
                .hasMessageContaining("longer than 32 bytes");
    }

    @Test
    void rejectsEmptyInput() {
        assertThatThrownBy(() -> EcdsaSignatures.derToRaw(new byte[0], 32)).isInstanceOf(SignatureException.class);
        assertThatThrownBy(() -> EcdsaSignatures.derToRaw(null, 32)).isInstanceOf(SignatureException.class);
        assertThatThrownBy(() -> EcdsaSignatures.rawToDer(new byte[0])).isInstanceOf(SignatureException.class);
        assertThatThrownBy(() -> EcdsaSignatures.rawToDer(null)).isInstanceOf(SignatureException.class);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 63, 65})
    void rawToDerRejectsOddLengths(int length) {
        assertThatThrownBy(() -> EcdsaSignatures.rawToDer(new byte[length]))
                .isInstanceOf(SignatureException.class)
                .hasMessageContaining("odd length");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 62, 63, 65, 66, 128})
    void p1363CheckRejectsWrongLengths(int length) {
        assertThatThrownBy(() -> EcdsaSignatures.p1363Check(new byte[length], 32))
                .isInstanceOf(SignatureException.class)
                .hasMessageContaining("expected 64");
    }

    @Test
    void p1363CheckPassesTheRightLengthThrough() throws Exception {
        byte[] raw = new byte[132];
        assertThat(EcdsaSignatures.p1363Check(raw, 66)).isSameAs(raw);
        assertThatThrownBy(() -> EcdsaSignatures.p1363Check(null, 32)).isInstanceOf(SignatureException.class);
    }

    @Test
    void rejectsANonPositiveFieldLength() {
        assertThatThrownBy(() -> EcdsaSignatures.derToRaw(HEX.parseHex(ONE_TWO), 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EcdsaSignatures.p1363Check(new byte[0], -1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void messagesNeverQuoteTheSignature() {
        // A signature whose bytes are recognizable in hex and in decimal.
        byte[] der = HEX.parseHex("300a0203abcdef0203abcdef00");
        assertThatThrownBy(() -> EcdsaSignatures.derToRaw(der, 32))
                .isInstanceOf(SignatureException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContainIgnoringCase("abcdef")
                        .doesNotContain(new BigInteger("abcdef", 16).toString()));
    }

    private static void put(BigInteger v, byte[] out, int offset, int length) {
        byte[] b = v.toByteArray();
        int skip = b.length > length ? b.length - length : 0;
        System.arraycopy(b, skip, out, offset + length - (b.length - skip), b.length - skip);
    }
}
